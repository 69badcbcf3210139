/** The local CreateTable input is derived from the same description as the stack's tables. */
import { createTableInput } from '../../lib/local/provision';
import { physicalQueueName, queueEnvVar, tableEnvVar, tables } from '../../lib/resources';

test('a table with a local index declares every key attribute once, with its type', () => {
  const input = createTableInput(tables.syncOut, 'x-syncOut');
  expect(input.KeySchema).toEqual([
    { AttributeName: 'site', KeyType: 'HASH' },
    { AttributeName: 'entry', KeyType: 'RANGE' },
  ]);
  expect(input.AttributeDefinitions).toEqual([
    { AttributeName: 'site', AttributeType: 'S' },
    { AttributeName: 'entry', AttributeType: 'S' },
    { AttributeName: 'sequence', AttributeType: 'S' },
  ]);
  expect(input.LocalSecondaryIndexes?.[0]).toMatchObject({ IndexName: 'bySequence' });
  expect(input.BillingMode).toBe('PAY_PER_REQUEST');
});

test('a numeric sort key keeps its type', () => {
  const input = createTableInput(tables.changeLog, 'x');
  expect(input.AttributeDefinitions).toContainEqual({ AttributeName: 'sk', AttributeType: 'N' });
  expect(input.GlobalSecondaryIndexes).toBeUndefined();
});

test('environment variable and queue names follow one convention', () => {
  expect(tableEnvVar('syncOut')).toBe('TABLE_SYNC_OUT');
  expect(queueEnvVar('fanOut')).toBe('QUEUE_URL_FAN_OUT');
  expect(physicalQueueName('p-', 'fanOut')).toBe('p-fanOut.fifo');
  expect(physicalQueueName('p-', 'fanOut', true)).toBe('p-fanOut-dlq.fifo');
});
