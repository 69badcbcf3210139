/** Structured logs and metrics shared by every function (Powertools for AWS Lambda). */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

import { METRICS_NAMESPACE, SERVICE_NAME } from './service-names';

export { METRICS_NAMESPACE, SERVICE_NAME };

export const logger = new Logger({ serviceName: SERVICE_NAME });
// Metrics' own warnings go through the logger so they honour POWERTOOLS_LOG_LEVEL.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });
