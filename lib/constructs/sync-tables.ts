/** Builds every DynamoDB table of lib/resources.ts with safe defaults. */
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { tableNames, tables, type KeyAttribute, type TableName } from '../resources';

export interface SyncTablesProps {
  /**
   * What happens to the tables (and the synced data in them) when the stack is deleted.
   * @default RemovalPolicy.RETAIN — the central copy is every site's backup.
   */
  readonly removalPolicy?: RemovalPolicy;
}

const attribute = (key: KeyAttribute): dynamodb.Attribute => ({
  name: key.name,
  type: key.type === 'S' ? dynamodb.AttributeType.STRING : dynamodb.AttributeType.NUMBER,
});

/** On-demand, encrypted with an AWS-managed key, point-in-time recovery on, deletion-protected. */
export class SyncTables extends Construct {
  readonly tables: Readonly<Record<TableName, dynamodb.Table>>;

  constructor(scope: Construct, id: string, props: SyncTablesProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const built = {} as Record<TableName, dynamodb.Table>;
    for (const name of tableNames) {
      const description = tables[name];
      const table = new dynamodb.Table(this, name, {
        partitionKey: attribute(description.partitionKey),
        sortKey: 'sortKey' in description ? attribute(description.sortKey) : undefined,
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
        timeToLiveAttribute: 'timeToLiveAttribute' in description ? description.timeToLiveAttribute : undefined,
        removalPolicy,
      });
      for (const index of 'localIndexes' in description ? description.localIndexes : []) {
        table.addLocalSecondaryIndex({ indexName: index.name, sortKey: attribute(index.sortKey!) });
      }
      for (const index of 'globalIndexes' in description ? description.globalIndexes : []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: attribute(index.partitionKey),
          sortKey: index.sortKey ? attribute(index.sortKey) : undefined,
        });
      }
      built[name] = table;
    }
    this.tables = built;
  }
}
