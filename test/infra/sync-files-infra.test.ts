/**
 * The sync-files bucket and function as synthesised: a private, encrypted, versioned bucket that
 * refuses plain HTTP, logged to an access-log bucket, and one function that may get and put
 * objects under the bucket's prefix (no delete, no other bucket), with the routes the client calls.
 */
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { CentralSyncStack } from '../../lib/central-sync-stack';
import { apiFunctions } from '../../lib/functions';
import { bucketEnvVar, buckets } from '../../lib/resources';

const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
const template = Template.fromStack(new CentralSyncStack(app, 'SyncFiles'));

const bucketsByLogicalId = template.findResources('AWS::S3::Bucket');
const [filesBucketId] = Object.keys(bucketsByLogicalId).filter((id) => id.startsWith('BucketssyncFiles'));
const [logsBucketId] = Object.keys(bucketsByLogicalId).filter((id) => id.startsWith('BucketsAccessLogs'));

interface Statement {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: unknown;
}

const statementsOfRole = (rolePrefix: string): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: Match.stringLikeRegexp(`^${rolePrefix}`) }] } })).flatMap(
    (policy) => policy.Properties.PolicyDocument.Statement as Statement[],
  );

const actionsOf = (statements: readonly Statement[]) => statements.flatMap((statement) => ([] as string[]).concat(statement.Action));

test('one files bucket and its access-log bucket', () => {
  expect(filesBucketId).toBeDefined();
  expect(logsBucketId).toBeDefined();
  expect(Object.keys(bucketsByLogicalId)).toHaveLength(2);
});

test('the files bucket is encrypted, versioned, private and logged; old versions expire', () => {
  const bucket = bucketsByLogicalId[filesBucketId!]!;
  expect(bucket.Properties).toMatchObject({
    BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    VersioningConfiguration: { Status: 'Enabled' },
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
    OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
    LoggingConfiguration: { DestinationBucketName: { Ref: logsBucketId } },
  });
  expect(bucket.Properties.LifecycleConfiguration.Rules).toEqual(
    expect.arrayContaining([expect.objectContaining({ NoncurrentVersionExpiration: { NoncurrentDays: buckets.syncFiles.noncurrentVersionDays }, Status: 'Enabled' })]),
  );
  // Files are every site's documents: kept when the stack is deleted, unless told otherwise.
  expect(bucket.DeletionPolicy).toBe('Retain');
});

test('both buckets refuse requests without TLS', () => {
  for (const id of [filesBucketId!, logsBucketId!]) {
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy', { Properties: { Bucket: { Ref: id } } }));
    const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
    expect(statements).toEqual(
      expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
    );
    expect(bucketsByLogicalId[id]!.Properties.PublicAccessBlockConfiguration).toMatchObject({ BlockPublicAcls: true, RestrictPublicBuckets: true });
  }
});

test('the files function may get and put objects under the prefix, and list the bucket; nothing else in S3', () => {
  const s3Statements = statementsOfRole('syncFilesFunction').filter((statement) => actionsOf([statement]).some((action) => action.startsWith('s3:')));
  const objectStatement = s3Statements.find((statement) => actionsOf([statement]).includes('s3:PutObject'))!;
  expect(actionsOf([objectStatement]).sort()).toEqual(['s3:GetObject', 's3:PutObject']);
  expect(JSON.stringify(objectStatement.Resource)).toContain(filesBucketId);
  expect(JSON.stringify(objectStatement.Resource)).toContain(`/${buckets.syncFiles.prefix}*`);
  expect(actionsOf(s3Statements).sort()).toEqual(['s3:GetObject', 's3:ListBucket', 's3:PutObject']);
  for (const statement of s3Statements) expect(JSON.stringify(statement.Resource)).not.toContain(logsBucketId);
});

test('no other function has any S3 access', () => {
  const roles = Object.keys(template.findResources('AWS::IAM::Role')).filter((id) => !id.startsWith('syncFilesFunction'));
  expect(roles.length).toBeGreaterThan(5);
  for (const role of roles) {
    const prefix = role.replace(/Role[0-9A-F]{8}$/, '');
    expect({ role, s3: actionsOf(statementsOfRole(prefix)).filter((action) => action.startsWith('s3:')) }).toEqual({ role, s3: [] });
  }
});

test('the files function: its routes, its bucket in the environment, and only the tables it reads', () => {
  for (const routeKey of apiFunctions.syncFiles.routes) template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: routeKey });
  expect(apiFunctions.syncFiles.routes).toEqual(['PUT /central/sync/upload_file', 'POST /central/sync/download_file']);
  template.hasResourceProperties('AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ [bucketEnvVar('syncFiles')]: { Ref: filesBucketId } }) },
    Handler: 'index.handler',
    Description: Match.stringLikeRegexp('sync files'),
  });
  const writes = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem)$/;
  const dynamoStatements = statementsOfRole('syncFilesFunction').filter((statement) => actionsOf([statement]).some((action) => action.startsWith('dynamodb:')));
  const written = dynamoStatements.filter((statement) => actionsOf([statement]).some((action) => writes.test(action))).map((statement) => JSON.stringify(statement.Resource));
  // Only site state (login failures and connections) is written.
  expect(written.every((resource) => resource.includes('TablessiteState'))).toBe(true);
  expect(written.length).toBeGreaterThan(0);
});
