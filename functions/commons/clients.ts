/**
 * AWS SDK clients, created once per execution environment. Locally the SDK's own
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_SQS variables point them at the stand-ins.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

let documentClient: DynamoDBDocumentClient | undefined;
let sqsClient: SQSClient | undefined;

export function dynamoDb(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

/** Endpoint from configuration, not from each QueueUrl's host (which local emulators make up). */
export const createSqsClient = () => new SQSClient({ useQueueUrlAsEndpoint: false });

export function sqs(): SQSClient {
  sqsClient ??= createSqsClient();
  return sqsClient;
}
