/** Reads the report figures the projection keeps (`reports` table): one partition per query. */
import { QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReportFigures, StockFigure, StoreValueFigure, UsageFigure } from '../domain/reports/ports';
import { reportKeys } from './keys';

export class DynamoReportFigures implements ReportFigures {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async stores(): Promise<string[]> {
    return (await this.query(reportKeys.storesPartition)).map((item) => item.sk as string);
  }

  async stock(storeId: string, itemIds?: readonly string[]): Promise<StockFigure[]> {
    const partition = reportKeys.stockStore(storeId);
    const items = itemIds ? (await Promise.all(itemIds.map((itemId) => this.query(partition, { prefix: reportKeys.stockItemPrefix(itemId) })))).flat() : await this.query(partition);
    return items.map((item) => ({
      storeId,
      itemId: item.itemId as string,
      locationId: item.locationId as string,
      units: Number(item.units ?? 0),
      value: Number(item.value ?? 0),
    }));
  }

  async storeValues(): Promise<StoreValueFigure[]> {
    return (await this.query(reportKeys.storeValuePartition)).map((item) => ({ storeId: item.sk as string, units: Number(item.units ?? 0), value: Number(item.value ?? 0) }));
  }

  async usage(storeId: string, fromMonth?: string, toMonth?: string): Promise<UsageFigure[]> {
    // Sort keys are `month\u0001item`: '\u0002' sorts after every item of the last month.
    const range = { from: fromMonth ?? '0', to: `${toMonth ?? '\uffff'}\u0002` };
    return (await this.query(reportKeys.usageStore(storeId), { range })).map((item) => ({
      storeId,
      month: item.month as string,
      itemId: item.itemId as string,
      units: Number(item.units ?? 0),
    }));
  }

  async mergedItems(): Promise<Map<string, string>> {
    const items = await this.query(reportKeys.mergedItemsPartition);
    return new Map(items.filter((item) => item.keepId).map((item) => [item.sk as string, item.keepId as string]));
  }

  private query(pk: string, options: PartitionQuery = {}): Promise<Array<Record<string, unknown>>> {
    return queryPartition(this.db, this.table, pk, options);
  }
}

export interface PartitionQuery {
  readonly prefix?: string;
  readonly range?: { readonly from: string; readonly to: string };
}

/** Every item of one partition of the reports table (strongly consistent), page by page. */
export async function queryPartition(db: DynamoDBDocumentClient, table: string, pk: string, options: PartitionQuery = {}): Promise<Array<Record<string, unknown>>> {
  const condition = options.prefix !== undefined ? ' AND begins_with(sk, :prefix)' : options.range ? ' AND sk BETWEEN :from AND :to' : '';
  const values: Record<string, unknown> = { ':pk': pk };
  if (options.prefix !== undefined) values[':prefix'] = options.prefix;
  if (options.range) Object.assign(values, { ':from': options.range.from, ':to': options.range.to });
  const items: Array<Record<string, unknown>> = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: `pk = :pk${condition}`, ExpressionAttributeValues: values, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}
