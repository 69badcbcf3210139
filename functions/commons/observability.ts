/** Structured logs and metrics shared by every function (Powertools for AWS Lambda). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { METRICS_NAMESPACE, SERVICE_NAME } from './service-names';

export { METRICS_NAMESPACE, SERVICE_NAME };

export const logger = new Logger({ serviceName: SERVICE_NAME });

/** What Metrics says when a call recorded no metric; most calls record none, so it is no warning here. */
export const NO_METRICS_NOTICE = 'No application metrics to publish';

/**
 * Metrics' own messages go through the logger, so they honour POWERTOOLS_LOG_LEVEL. Its notice of
 * a call that recorded no metric is logged at debug: as a warning it was a log line on nearly
 * every request, paid for in CloudWatch Logs and noise for whoever reads them.
 */
export const metricsLogger = {
  debug: (...content: unknown[]) => logger.debug(...(content as [string])),
  info: (...content: unknown[]) => logger.info(...(content as [string])),
  warn: (...content: unknown[]) =>
    typeof content[0] === 'string' && content[0].startsWith(NO_METRICS_NOTICE) ? logger.debug(content[0]) : logger.warn(...(content as [string])),
  error: (...content: unknown[]) => logger.error(...(content as [string])),
};

export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger: metricsLogger });
