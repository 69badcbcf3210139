/**
 * Counts DynamoDB requests and capacity units. Read units are what DynamoDB Local reports (every
 * request asks for its consumed capacity; it computes them from item size and consistency as
 * DynamoDB does). Write units are computed here from each request as DynamoDB bills writes: one
 * unit per KB of the item written (rounded up), twice that in a transaction. DynamoDB Local's own
 * write figures are not used: it reports nothing for PartiQL statements, and for transactions
 * figures that follow neither their items nor their sizes. An update or a delete counts what it
 * sends (at least one unit): the stored item's size, which DynamoDB bills when larger, is not in
 * the request, so those are lower bounds.
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
      const write = writeUnitsOf(command, input);
      // Reads report ReadCapacityUnits or only CapacityUnits (which, for a write, are its write units).
      const isWrite = write > 0 || /Put|Update|Delete|BatchWrite|TransactWrite/.test(command);
      const read = consumed.reduce((sum, entry) => sum + (entry.ReadCapacityUnits ?? (isWrite ? 0 : (entry.CapacityUnits ?? 0))), 0);
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

interface PartiqlStatement {
  readonly Statement: string;
  readonly Parameters?: readonly unknown[];
}

type Request = Record<string, unknown>;

/** Units of writing an item of this size: one per KB, rounded up. */
const unitsOf = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));

/** Write units of one request, as DynamoDB bills them (see the file's comment for the bounds). */
function writeUnitsOf(command: string, input: Request): number {
  const put = (item: unknown) => unitsOf(itemBytes(item));
  const update = (request: Request) => unitsOf(itemBytes({ ...(request.Key as object), ...(request.ExpressionAttributeValues as object) }));
  switch (command) {
    case 'PutItemCommand':
      return put(input.Item);
    case 'UpdateItemCommand':
      return update(input);
    case 'DeleteItemCommand':
      return 1;
    case 'BatchWriteItemCommand':
      return Object.values((input.RequestItems ?? {}) as Record<string, Array<{ PutRequest?: { Item: unknown } }>>)
        .flat()
        .reduce((sum, request) => sum + (request.PutRequest ? put(request.PutRequest.Item) : 1), 0);
    case 'TransactWriteItemsCommand':
      return ((input.TransactItems ?? []) as Array<{ Put?: Request; Update?: Request; Delete?: Request }>).reduce(
        (sum, item) => sum + 2 * (item.Put ? put(item.Put.Item) : item.Update ? update(item.Update) : item.Delete ? 1 : 0),
        0,
      );
    case 'BatchExecuteStatementCommand':
      return partiqlWriteUnits(input.Statements as PartiqlStatement[]);
    default:
      return 0;
  }
}

/** Write units of PartiQL INSERT and UPDATE statements, from the values they write (the WHERE values are not stored). */
function partiqlWriteUnits(statements: readonly PartiqlStatement[] = []): number {
  let units = 0;
  for (const { Statement, Parameters = [] } of statements) {
    if (!/^\s*(INSERT|UPDATE)/i.test(Statement)) continue;
    // Attribute names: INSERT's 'name': ?, UPDATE's SET "name" = ?, in the order of their values.
    const names = [...Statement.matchAll(/'([^']+)'\s*:\s*\?|SET\s+"([^"]+)"\s*=\s*\?/g)].map((match) => match[1] ?? match[2]!);
    units += unitsOf(names.reduce((sum, name, i) => sum + Buffer.byteLength(name) + attributeBytes(Parameters[i]), 0));
  }
  return units;
}

/** DynamoDB's size of an item: its attribute names and values. */
function itemBytes(item: unknown): number {
  if (!item || typeof item !== 'object') return 0;
  return Object.entries(item as Record<string, unknown>).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + attributeBytes(value), 0);
}

/** DynamoDB's size of a value, plain or marshalled (strings and binaries by their bytes, numbers about one byte per two digits). */
function attributeBytes(value: unknown): number {
  if (value === null || value === undefined) return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(value).length / 2) + 1;
  if (typeof value === 'boolean') return 1;
  if (value instanceof Uint8Array) return value.byteLength;
  if (value instanceof Set) return [...value].reduce((sum: number, item) => sum + attributeBytes(item), 0);
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, item) => sum + 1 + attributeBytes(item), 0);
  const object = value as Record<string, unknown>;
  const keys = Object.keys(object);
  if (keys.length === 1 && ['S', 'N', 'B', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'BS'].includes(keys[0]!)) {
    const type = keys[0]!;
    if (type === 'N') return attributeBytes(Number(object.N));
    if (type === 'M') return 3 + itemBytes(object.M) + Object.keys(object.M as object).length;
    return attributeBytes(object[type]);
  }
  return 3 + itemBytes(object) + keys.length;
}
