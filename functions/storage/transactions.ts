/** Types shared by the adapters that write with TransactWriteItems. */
import type { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';

/** One operation of a document-client transaction. */
export type TransactWriteItem = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>[number];
