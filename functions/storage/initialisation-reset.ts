/** Forgets a site's initialisation (site info says `new` again); a new initialise starts a new one. */
import { DeleteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { InitialisationState } from '../domain/ports';
import { siteStateKeys } from './keys';

/** Deletes the initialisation item; answers the status it had (`new` when there was none). */
export async function resetInitialisation(db: DynamoDBDocumentClient, table: string, siteId: number): Promise<InitialisationState['status']> {
  const { Attributes } = await db.send(new DeleteCommand({ TableName: table, Key: siteStateKeys.initialisation(siteId), ReturnValues: 'ALL_OLD' }));
  return (Attributes?.status as InitialisationState['status'] | undefined) ?? 'new';
}
