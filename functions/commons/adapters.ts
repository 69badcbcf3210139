/**
 * Production adapters, built from the environment the stack gives each function. Getters, so a
 * function only builds (and needs the environment of) the adapters it uses.
 */
import { randomUUID } from 'node:crypto';
import type { PushDeps } from '../services/push';
import { DynamoCentralCopy } from '../storage/central-copy';
import { DynamoChangeLog } from '../storage/change-log';
import { ConfigStore } from '../storage/config-store';
import { DynamoOutgoingQueue } from '../storage/outgoing-queue';
import { DynamoQuarantine } from '../storage/quarantine';
import { countingRefusals, DynamoRefusalCounts } from '../storage/refusal-counts';
import { DynamoReportFigures } from '../storage/report-figures';
import { DynamoReportProjection } from '../storage/report-projection';
import { DynamoSiteProgress } from '../storage/site-progress';
import { DynamoSiteSessions } from '../storage/site-sessions';
import { SqsWorkQueue } from '../storage/work-queue';
import { dynamoDb, sqs } from './clients';
import { optionalQueueUrl, queueUrl, tableName } from './environment';

export const adapters = {
  get configStore() {
    return new ConfigStore(dynamoDb(), tableName('config'));
  },
  get centralCopy() {
    return new DynamoCentralCopy(dynamoDb(), tableName('records'));
  },
  /** Counts what it keeps per site and hour, for the sync report. */
  get quarantine() {
    return countingRefusals(new DynamoQuarantine(dynamoDb(), tableName('quarantine')), adapters.refusalCounts, systemClock);
  },
  get refusalCounts() {
    return new DynamoRefusalCounts(dynamoDb(), tableName('siteState'));
  },
  get outgoing() {
    return new DynamoOutgoingQueue(dynamoDb(), { syncOut: tableName('syncOut'), siteState: tableName('siteState') });
  },
  get changeLog() {
    return new DynamoChangeLog(dynamoDb(), tableName('changeLog'));
  },
  get progress() {
    return new DynamoSiteProgress(dynamoDb(), tableName('siteState'));
  },
  get sessions() {
    return new DynamoSiteSessions(dynamoDb(), tableName('siteState'));
  },
  get reportProjection() {
    return new DynamoReportProjection(dynamoDb(), tableName('reports'));
  },
  get reportFigures() {
    return new DynamoReportFigures(dynamoDb(), tableName('reports'));
  },
  get work() {
    return new SqsWorkQueue(sqs(), { fanOut: queueUrl('fanOut'), transfers: optionalQueueUrl('transfers') });
  },
};

export const systemClock = () => new Date();
export const newWorkId = () => randomUUID();

/** What storing a pushed (or imported) batch needs. */
export const pushDependencies = (): PushDeps => ({
  centralCopy: adapters.centralCopy,
  quarantine: adapters.quarantine,
  work: adapters.work,
  progress: adapters.progress,
  now: systemClock,
  newId: newWorkId,
});
