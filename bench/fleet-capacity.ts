/**
 * Counts DynamoDB requests and the capacity units DynamoDB reports for them, by asking every
 * request for its consumed capacity. DynamoDB Local computes units as DynamoDB does (item size,
 * consistency, transactions at twice the cost), so the counts carry over even if times do not.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface CapacityCount {
  requests: number;
  readUnits: number;
  writeUnits: number;
  /** Strongly consistent reads of the configuration's version item (one item: one partition). */
  configVersionReads?: number;
  byCommand: Record<string, { requests: number; readUnits: number; writeUnits: number }>;
}

const CAPACITY_COMMANDS = new Set([
  'GetItemCommand', 'PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand', 'QueryCommand', 'ScanCommand',
  'BatchGetItemCommand', 'BatchWriteItemCommand', 'TransactGetItemsCommand', 'TransactWriteItemsCommand',
]);

type Consumed = { CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number };

export const emptyCount = (): CapacityCount => ({ requests: 0, readUnits: 0, writeUnits: 0, byCommand: {} });

/** Adds the counting middleware once; `count` is reset by the caller between measurements. */
export function countCapacity(client: DynamoDBDocumentClient, count: { current: CapacityCount }): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = context.commandName ?? 'unknown';
      const input = args.input as Record<string, unknown>;
      const key = input.Key as { pk?: unknown; sk?: unknown } | undefined;
      // Marshalled or not, depending on where in the stack this runs.
      const text = (value: unknown) => (value && typeof value === 'object' ? (value as { S?: string }).S : value);
      if (command === 'GetItemCommand' && text(key?.pk) === 'config' && text(key?.sk) === 'version') count.current.configVersionReads = (count.current.configVersionReads ?? 0) + 1;
      if (CAPACITY_COMMANDS.has(command)) input.ReturnConsumedCapacity = 'TOTAL';
      const result = await next(args);
      const output = result.output as { ConsumedCapacity?: Consumed | Consumed[] };
      const consumed = output.ConsumedCapacity === undefined ? [] : Array.isArray(output.ConsumedCapacity) ? output.ConsumedCapacity : [output.ConsumedCapacity];
      let read = 0;
      let write = 0;
      for (const entry of consumed) {
        // Reads report ReadCapacityUnits or only CapacityUnits; writes WriteCapacityUnits or only CapacityUnits.
        const isWrite = /Put|Update|Delete|BatchWrite|TransactWrite/.test(command);
        read += entry.ReadCapacityUnits ?? (isWrite ? 0 : (entry.CapacityUnits ?? 0));
        write += entry.WriteCapacityUnits ?? (isWrite ? (entry.CapacityUnits ?? 0) : 0);
      }
      const totals = count.current;
      totals.requests++;
      totals.readUnits += read;
      totals.writeUnits += write;
      const byCommand = (totals.byCommand[command] ??= { requests: 0, readUnits: 0, writeUnits: 0 });
      byCommand.requests++;
      byCommand.readUnits += read;
      byCommand.writeUnits += write;
      return result;
    },
    { step: 'initialize', name: 'fleetCapacityCount', override: true },
  );
}
