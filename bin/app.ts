#!/usr/bin/env node
/** CDK app: `npx cdk synth` (offline, no credentials) and `npx cdk deploy`. */
import { App } from 'aws-cdk-lib';
import { CentralSyncStack } from '../lib/central-sync-stack';

const app = new App();
// `npx cdk deploy -c publicBaseUrl=https://sync.example.org` names the URL sites are given for the
// Open mSupply central API; by default it is the host each request came in on.
const publicBaseUrl = app.node.tryGetContext('publicBaseUrl') as string | undefined;
// `-c edgeRateLimit=3000` puts CloudFront + a WAF rate rule per client address in front (us-east-1 only).
const edgeRateLimit = app.node.tryGetContext('edgeRateLimit') as string | undefined;
new CentralSyncStack(app, 'CentralSync', {
  description: 'Central sync server for mSupply remote synchronisation (sync API v5)',
  ...(publicBaseUrl ? { publicBaseUrl } : {}),
  ...(edgeRateLimit ? { edgeRateLimit: Number(edgeRateLimit), env: { region: 'us-east-1' } } : {}),
});
