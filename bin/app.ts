#!/usr/bin/env node
/** CDK app: `npx cdk synth` (offline, no credentials) and `npx cdk deploy`. */
import { App } from 'aws-cdk-lib';
import { CentralSyncStack } from '../lib/central-sync-stack';

const app = new App();
new CentralSyncStack(app, 'CentralSync', {
  description: 'Central sync server for mSupply remote synchronisation (sync API v5)',
});
