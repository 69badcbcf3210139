/** Structured logs and metrics shared by every function (Powertools for AWS Lambda). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const SERVICE_NAME = 'central-sync';
export const METRICS_NAMESPACE = 'CentralSync';

export const logger = new Logger({ serviceName: SERVICE_NAME });
// Metrics' own warnings go through the logger so they honour POWERTOOLS_LOG_LEVEL.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });
