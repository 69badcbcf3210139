/**
 * A local stand-in for API Gateway HTTP API: turns each HTTP request into a payload-2.0 event,
 * calls the same handler the stack deploys for that route, and writes its result back.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { RouteKey } from '../functions';
import { decodePathSegment } from '../../functions/protocol/json-text';

export type LambdaHttpHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export interface LocalRoute {
  readonly routeKey: RouteKey;
  readonly functionName: string;
  readonly handler: LambdaHttpHandler;
}

/**
 * AWS's limits, enforced exactly so a test sees what a deployed site would: HTTP APIs take bodies
 * up to 10 MB; Lambda takes an invocation payload (the whole event) up to 6 MB and returns one
 * up to 6,291,556 bytes; an HTTP API waits 30 s for its integration.
 */
export const AWS_LIMITS = {
  maxRequestBodyBytes: 10 * 1024 * 1024,
  maxEventBytes: 6 * 1024 * 1024,
  maxResultBytes: 6_291_556,
  integrationTimeoutMs: 30_000,
} as const;

interface CompiledRoute extends LocalRoute {
  readonly method: string;
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
}

function compile(route: LocalRoute): CompiledRoute {
  const [method, routePath] = route.routeKey.split(' ') as [string, string];
  const parameterNames: string[] = [];
  const source = routePath
    .split('/')
    .map((segment) => {
      const greedy = /^\{(\w+)\+\}$/.exec(segment);
      if (greedy) {
        parameterNames.push(greedy[1]!);
        return '(.+)';
      }
      const single = /^\{(\w+)\}$/.exec(segment);
      if (single) {
        parameterNames.push(single[1]!);
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { ...route, method, pattern: new RegExp(`^${source}$`), parameterNames };
}

/** Most specific route first, as API Gateway does: literal paths before parameters before greedy. */
function specificity(route: CompiledRoute): number {
  const path = route.routeKey.split(' ')[1]!;
  return (path.includes('+}') ? 2 : path.includes('{') ? 1 : 0) * 10 + (route.method === 'ANY' ? 1 : 0);
}

export type GatewayLimits = { readonly [K in keyof typeof AWS_LIMITS]: number };

/** `limits` exist to be shortened in tests; the server always uses AWS's. */
export function createHttpGateway(routes: readonly LocalRoute[], log: (line: string) => void = () => {}, limits: GatewayLimits = AWS_LIMITS): Server {
  const compiled = routes.map(compile).sort((a, b) => specificity(a) - specificity(b));
  return createServer((request, response) => {
    handle(compiled, request, response, limits).catch((error: unknown) => {
      log(`gateway error: ${error instanceof Error ? error.stack : String(error)}`);
      if (!response.headersSent) send(response, 500, { message: 'Internal Server Error' });
    });
  });
}

async function handle(routes: readonly CompiledRoute[], request: IncomingMessage, response: ServerResponse, limits: GatewayLimits) {
  const url = new URL(request.url ?? '/', 'http://localhost');
  const method = (request.method ?? 'GET').toUpperCase();
  let match: { route: CompiledRoute; values: string[] } | undefined;
  for (const route of routes) {
    if (route.method !== 'ANY' && route.method !== method) continue;
    const found = route.pattern.exec(url.pathname);
    if (found) {
      match = { route, values: found.slice(1) };
      break;
    }
  }
  if (!match) return send(response, 404, { message: 'Not Found' });

  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limits.maxRequestBodyBytes) return send(response, 413, { message: 'Request Entity Too Large' });
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const event = toEvent(request, url, method, match.route, match.values, body);
  // Lambda refuses an invocation whose event is too large; API Gateway answers 413.
  if (Buffer.byteLength(JSON.stringify(event)) > limits.maxEventBytes) return send(response, 413, { message: 'Request Too Long' });
  const result = await withTimeout(match.route.handler(event, lambdaContext(match.route.functionName)), limits.integrationTimeoutMs);
  if (result === TIMED_OUT) return send(response, 503, { message: 'Service Unavailable' });
  // A result Lambda cannot return fails the integration: API Gateway answers 502.
  if (Buffer.byteLength(JSON.stringify(result)) > limits.maxResultBytes) return send(response, 502, { message: 'Internal Server Error' });
  writeResult(response, result);
}

const TIMED_OUT = Symbol('timed out');

/** The handler keeps running after the gateway gives up, as a Lambda invocation would. */
async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function toEvent(
  request: IncomingMessage,
  url: URL,
  method: string,
  route: CompiledRoute,
  values: readonly string[],
  body: Buffer,
): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined) continue;
    if (name === 'cookie') cookies.push(...String(value).split(/;\s*/));
    else headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  // API Gateway tells the integration which scheme the client used; locally that is plain HTTP.
  headers['x-forwarded-proto'] = 'http';
  const query: Record<string, string> = {};
  for (const [name, value] of url.searchParams) query[name] = name in query ? `${query[name]},${value}` : value;
  // A malformed percent-encoding stays as it came: the route answers it, as API Gateway passes it on.
  const pathParameters = Object.fromEntries(route.parameterNames.map((name, i) => [name, decodePathSegment(values[i]!) ?? values[i]!]));
  // An encoded (compressed) body is bytes whatever its type says: passed on base64-encoded.
  const encoded = (headers['content-encoding'] ?? 'identity').trim().toLowerCase() !== 'identity';
  const textual = body.length === 0 || (!encoded && /json|text|xml|form-urlencoded/.test(headers['content-type'] ?? 'application/json'));
  const now = new Date();
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    cookies: cookies.length ? cookies : undefined,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: route.parameterNames.length ? pathParameters : undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    body: body.length ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !textual,
  };
}

/** Payload 2.0 result rules: a structured result is used as is; anything else is JSON with 200. */
function writeResult(response: ServerResponse, result: APIGatewayProxyResultV2) {
  if (typeof result === 'object' && result !== null && 'statusCode' in result) {
    const headers = { ...(result.headers ?? {}) } as Record<string, string | number | boolean>;
    for (const [name, value] of Object.entries(headers)) response.setHeader(name, String(value));
    if (result.cookies?.length) response.setHeader('set-cookie', result.cookies);
    response.statusCode = result.statusCode ?? 200;
    const body = result.body ?? '';
    response.end(result.isBase64Encoded ? Buffer.from(body, 'base64') : body);
    return;
  }
  send(response, 200, result);
}

function send(response: ServerResponse, status: number, body: unknown) {
  response.statusCode = status;
  response.setHeader('content-type', 'application/json');
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}

export function lambdaContext(functionName: string, timeoutMs = 30_000): Context {
  const started = Date.now();
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, timeoutMs - (Date.now() - started)),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
