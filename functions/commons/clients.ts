/**
 * AWS SDK clients, created once per execution environment. Locally the SDK's own
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS variables point them at the stand-ins.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SQSClient } from '@aws-sdk/client-sqs';

let documentClient: DynamoDBDocumentClient | undefined;
let sqsClient: SQSClient | undefined;

export function dynamoDb(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

/**
 * Endpoint from configuration, not from each QueueUrl's host (which local emulators make up).
 * The SQS module is loaded on first use: a function that never sends (login) does not pay for
 * loading it in its cold start.
 */
export const createSqsClient = (): SQSClient => {
  const { SQSClient: Client } = require('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs');
  return new Client({ useQueueUrlAsEndpoint: false });
};

export function sqs(): SQSClient {
  sqsClient ??= createSqsClient();
  return sqsClient;
}
