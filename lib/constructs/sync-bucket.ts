/**
 * The S3 buckets of lib/resources.ts: private (public access blocked, owner-enforced objects, no
 * ACLs; the access log bucket keeps the ACL S3's log delivery needs), encrypted with S3-managed keys, TLS required, versioned (an overwritten file's previous
 * version expires after the described days), with server access logs in a bucket of their own.
 * Grants are object-level under the bucket's prefix, given per function (`grantObjects`).
 */
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { bucketNames, buckets, type BucketAccess, type BucketName } from '../resources';

export interface SyncBucketsProps {
  /** What happens to the files when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

const privateBucketDefaults = {
  encryption: s3.BucketEncryption.S3_MANAGED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
} as const;

export class SyncBuckets extends Construct {
  readonly buckets: Readonly<Record<BucketName, s3.Bucket>>;
  readonly accessLogs: s3.Bucket;

  constructor(scope: Construct, id: string, props: SyncBucketsProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.accessLogs = new s3.Bucket(this, 'AccessLogs', {
      ...privateBucketDefaults,
      removalPolicy,
      lifecycleRules: [{ expiration: Duration.days(365) }],
    });
    Validations.of(this.accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This is the server access log bucket of the sync buckets; logging it into itself would loop.',
    });
    const built = {} as Record<BucketName, s3.Bucket>;
    for (const name of bucketNames) {
      const description = buckets[name];
      built[name] = new s3.Bucket(this, name, {
        ...privateBucketDefaults,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        versioned: true,
        removalPolicy,
        serverAccessLogsBucket: this.accessLogs,
        serverAccessLogsPrefix: `${name}/`,
        lifecycleRules: [
          { noncurrentVersionExpiration: Duration.days(description.noncurrentVersionDays) },
          { abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ],
      });
    }
    this.buckets = built;
  }

  /**
   * Object access under the bucket's prefix only: get (and put for `readWrite`); no delete, no
   * ACLs. ListBucket on the bucket itself so that a missing file is a 404 rather than an access
   * denied (S3 checks it without a prefix for a missing key, so it cannot be scoped to one).
   */
  grantObjects(bucket: BucketName, role: iam.IRole, access: BucketAccess): void {
    const target = this.buckets[bucket];
    const prefix = buckets[bucket].prefix;
    const actions = access === 'readWrite' ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'];
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [target.arnForObjects(`${prefix}*`)] }));
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [target.bucketArn] }),
    );
    const logicalId = Stack.of(target).getLogicalId(target.node.defaultChild as s3.CfnBucket);
    Validations.of(role as unknown as Construct).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/${prefix}*]`,
      reason: `Objects under the ${bucket} bucket's ${prefix} prefix, where every file this function reads or writes lives.`,
    });
  }
}
