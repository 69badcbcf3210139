/**
 * HTTP plumbing shared by every API handler: JSON responses, the protocol's error body, and
 * one middy stack (header normalisation, structured logs, metrics, error mapping).
 */
import middy from '@middy/core';
import httpHeaderNormalizer from '@middy/http-header-normalizer';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { logger, metrics } from './observability';
import { httpCompression } from './compression';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;
export type HttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

/** An error a caller can act on: it becomes `{"error": {"code", "message", "data"}}`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly data: unknown = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function errorBody(code: string, message: string, data: unknown = null) {
  return { error: { code, message, data } };
}

/** A refusal's body in the route's own protocol (sync v6, sync files and login answer in shapes of their own). */
export type ErrorBodyOf = (error: { readonly code: string; readonly message: string; readonly data: unknown }, event: HttpEvent) => unknown;

export interface HttpHandlerOptions {
  /** The body of a refusal thrown outside the handler (a request body that does not decode); the v5 error body by default. */
  readonly errorBody?: ErrorBodyOf;
}

const v5ErrorBody: ErrorBodyOf = ({ code, message, data }) => errorBody(code, message, data);

/** Maps thrown errors to the protocol's error body; anything unexpected is a logged 500. */
const errorMapper = (bodyOf: ErrorBodyOf): middy.MiddlewareObj<HttpEvent, HttpResult> => ({
  onError: async (request) => {
    const { error } = request;
    if (error instanceof HttpError) {
      if (error.statusCode >= 500) logger.error('request failed', { error });
      else logger.info('request refused', { code: error.code, status: error.statusCode });
      request.response = json(error.statusCode, bodyOf(error, request.event), error.headers);
      return;
    }
    logger.error('unexpected error', { error: error as Error });
    metrics.addMetric('UnexpectedErrors', 'Count', 1);
    request.response = json(500, bodyOf({ code: 'internal_error', message: 'The server could not complete the request; it has been logged.', data: null }, request.event));
  },
});

/** Wraps a plain async handler in the project's one middy stack. */
export function httpHandler(handler: HttpHandler, options: HttpHandlerOptions = {}) {
  return middy<HttpEvent, HttpResult>(handler)
    .use(httpHeaderNormalizer())
    .use(injectLambdaContext(logger))
    .use(logMetrics(metrics))
    .use(errorMapper(options.errorBody ?? v5ErrorBody))
    .use(httpCompression());
}
