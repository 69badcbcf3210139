/** Reading one function's IAM grants out of a synthesised stack, for the infra tests. */
import { Match, type Template } from 'aws-cdk-lib/assertions';

export interface Statement {
  readonly Action: string | string[];
  readonly Resource: unknown;
}

export const actionsOf = (statement: Statement): string[] => ([] as string[]).concat(statement.Action);

/** Every policy statement of the function whose role's logical id starts with `functionId` (e.g. `consoleFunction`). */
export function functionStatements(template: Template, functionId: string): Statement[] {
  return Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${functionId}`) }] } })).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );
}

/** DynamoDB actions granted per table, by the table's name in lib/resources.ts (from its logical id `Tables<name>…`). */
export function dynamoActionsByTable(statements: readonly Statement[]): Record<string, Set<string>> {
  const out: Record<string, Set<string>> = {};
  for (const statement of statements) {
    const actions = actionsOf(statement).filter((action) => action.startsWith('dynamodb:'));
    if (actions.length === 0) continue;
    for (const resource of JSON.stringify(statement.Resource).match(/Tables[a-zA-Z0-9]+?[0-9A-F]{8}/g) ?? []) {
      const table = resource.replace(/^Tables/, '').replace(/[0-9A-F]{8}$/, '');
      out[table] ??= new Set();
      for (const action of actions) out[table]!.add(action);
    }
  }
  return out;
}

/** Actions that write or delete items. */
export const WRITE_ACTIONS = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;
