/** Names shared by the functions' logs and metrics and the stack's dashboard. */
export const SERVICE_NAME = 'central-sync';
export const METRICS_NAMESPACE = 'CentralSync';

/** Counts the functions emit (Powertools metrics, dimension `service`). */
export const syncMetricNames = ['RecordsAccepted', 'RecordsRefused', 'RecordsRouted', 'Deliveries', 'TransfersCompleted'] as const;
