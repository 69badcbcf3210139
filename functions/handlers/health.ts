/** GET /health: are the tables and queues reachable? 200 when all are, 503 otherwise. */
import { apiFunctions } from '../../lib/functions';
import type { QueueName, TableName } from '../../lib/resources';
import { dynamoDb, sqs } from '../commons/clients';
import { deadLetterQueueUrl, queueUrl, tableName } from '../commons/environment';
import { httpHandler, json } from '../commons/http';
import { lazyHandler } from '../commons/lazy-handler';
import { AwsHealthProbe, type HealthProbe } from '../storage/health-probe';

export function createHealthHandler(deps: { probe: HealthProbe; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return httpHandler(async () => {
    const report = await deps.probe.check();
    return json(report.ok ? 200 : 503, { status: report.ok ? 'ok' : 'degraded', checkedAt: now().toISOString(), ...report });
  });
}

const description = apiFunctions.health;

export const handler = lazyHandler(() =>
  createHealthHandler({
  probe: new AwsHealthProbe(dynamoDb(), sqs(), {
    tables: (Object.keys(description.tables) as TableName[]).map((table) => ({ table, name: tableName(table) })),
    queues: (description.inspects as readonly QueueName[]).map((queue) => ({
      queue,
      url: queueUrl(queue),
      deadLetterUrl: deadLetterQueueUrl(queue),
    })),
  }),
  }),
);
