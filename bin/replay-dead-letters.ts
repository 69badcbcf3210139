/**
 * `npm run replay-dead-letters -- ...`: sends the messages of a queue's dead-letter queue back to
 * the queue, once the cause of their failure is fixed (docs/operations.md).
 *
 *   --queue <fanOut|transfers>   which queue's dead letters
 *   --from <url> --to <url>      the dead-letter queue and the queue to send to (AWS: from the stack outputs)
 *   --stack <name>               stack whose outputs hold the URLs, for the printed look-up command (default CentralSync)
 *   --local --endpoint <url>     against `npm start`: the SQS endpoint it prints; the queue URLs are found by name
 *   --dry-run                    list the messages, move nothing
 *   --max N                      move (or list) at most N messages
 *   --force                      replay even though `--from` is not the dead-letter queue of `--to`
 */
import { parseArgs } from 'node:util';
import { GetQueueUrlCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsClient } from '../functions/commons/clients';
import { errorText, queueDepth, redriveMismatch, replayDeadLetters } from '../lib/operations/replay-dead-letters';
import { physicalQueueName, queueNames, type QueueName } from '../lib/resources';

const DEFAULT_STACK = 'CentralSync';

const USAGE = `Usage:
  npm run replay-dead-letters -- --queue <${queueNames.join('|')}> --from <dead-letter queue URL> --to <queue URL> [--dry-run] [--max N]
  npm run replay-dead-letters -- --local --endpoint <SQS endpoint printed by npm start> --queue <${queueNames.join('|')}> [--dry-run] [--max N]

options:
  --queue <${queueNames.join('|')}>   which queue's dead letters
  --from URL --to URL          the dead-letter queue and the queue to send to (AWS: from the stack outputs)
  --stack NAME                 stack whose outputs hold the URLs, for the printed look-up command (default ${DEFAULT_STACK})
  --local --endpoint URL       against \`npm start\`: the SQS endpoint it prints; the queue URLs are found by name
  --dry-run                    list the messages, move nothing
  --max N                      move (or list) at most N messages
  --force                      replay even though --from is not the dead-letter queue of --to
  --help                       this text`;

class UsageError extends Error {}

/** CloudFormation output keys of the stack (lib/central-sync-stack.ts). */
const outputKeys = (queue: QueueName) => {
  const suffix = queue.charAt(0).toUpperCase() + queue.slice(1);
  return { queue: `QueueUrl${suffix}`, deadLetter: `DeadLetterQueueUrl${suffix}` };
};

function describeStacksCommand(stack: string, queue: QueueName | undefined): string {
  const keys = (queue ? [queue] : queueNames).flatMap((name) => Object.values(outputKeys(name)));
  const filter = keys.map((key) => `OutputKey=='${key}'`).join(' || ');
  return `aws cloudformation describe-stacks --stack-name ${stack} --query "Stacks[0].Outputs[?${filter}].[OutputKey,OutputValue]" --output text`;
}

async function main(): Promise<number> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const { values } = parseArgs({
    options: {
      queue: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      stack: { type: 'string' },
      local: { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      max: { type: 'string' },
      force: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const queue = values.queue as QueueName | undefined;
  if (queue !== undefined && !queueNames.includes(queue)) {
    throw new UsageError(`--queue must be one of ${queueNames.join(', ')}, got "${queue}"`);
  }
  const max = values.max === undefined ? undefined : Number(values.max);
  if (max !== undefined && !(Number.isInteger(max) && max > 0)) throw new UsageError(`--max must be a positive whole number, got "${values.max}"`);
  if ((values.from === undefined) !== (values.to === undefined)) throw new UsageError('--from and --to go together');

  let sqs: SQSClient;
  let from = values.from;
  let to = values.to;
  const local = values.local || values.endpoint !== undefined;
  if (local) {
    const endpoint = values.endpoint;
    if (!endpoint) throw new UsageError('--local needs --endpoint: the "SQS endpoint" line `npm start` prints (its port changes at every start)');
    if (values.stack) throw new UsageError('--stack is for the deployed stack; --local/--endpoint is for `npm start`');
    // The emulator accepts any credentials; never use real ones against it.
    process.env.AWS_ENDPOINT_URL_SQS = endpoint;
    process.env.AWS_REGION ??= 'us-east-1';
    process.env.AWS_ACCESS_KEY_ID = 'local';
    process.env.AWS_SECRET_ACCESS_KEY = 'local';
    delete process.env.AWS_SESSION_TOKEN;
    delete process.env.AWS_PROFILE;
    sqs = createSqsClient();
    if (from === undefined || to === undefined) {
      if (!queue) throw new UsageError('--queue is required (or give --from and --to)');
      // `npm start` creates its queues without a prefix (lib/local/local-server.ts).
      try {
        from = await queueUrl(sqs, physicalQueueName('', queue, true));
        to = await queueUrl(sqs, physicalQueueName('', queue));
      } catch (error) {
        throw new Error(`Cannot find the ${queue} queues at ${endpoint} (is \`npm start\` running?): ${errorText(error)}`);
      }
    }
  } else {
    if (from === undefined || to === undefined) {
      const stack = values.stack ?? DEFAULT_STACK;
      throw new UsageError(
        `--from and --to are required against AWS. The stack's outputs hold them (QueueUrl<Queue>, DeadLetterQueueUrl<Queue>):\n  ${describeStacksCommand(stack, queue)}`,
      );
    }
    // Against AWS each request goes to the queue URL's own region.
    sqs = new SQSClient(regionOf(to) && !process.env.AWS_REGION ? { region: regionOf(to) } : {});
  }
  if (from === to) throw new UsageError('--from and --to are the same queue');

  const mismatch = await redriveMismatch(sqs, from, to);
  if (mismatch) {
    if (!values.force) throw new Error(`Refusing to replay: ${mismatch}. Check --from/--to, or pass --force if this is intended.`);
    console.warn(`Warning: ${mismatch} (--force given)`);
  }

  const dryRun = values['dry-run'];
  const depth = await queueDepth(sqs, from);
  console.log(`${dryRun ? 'Dry run: listing' : 'Replaying'} the dead letters of ${queue ?? to}`);
  console.log(`  from ${from} (about ${depth} message${depth === 1 ? '' : 's'})`);
  console.log(`  to   ${to}`);
  if (depth === 0) {
    console.log('Nothing to replay.');
    return 0;
  }

  const result = await replayDeadLetters(sqs, { from, to, max, dryRun, log: (line) => console.log(line) });
  if (dryRun) {
    console.log(`\nListed ${result.listed.length} of about ${depth}; nothing was moved.`);
    if (result.listed.length < depth && max === undefined) {
      console.log('In a FIFO queue only the first messages of each message group can be seen without moving them.');
    }
    return 0;
  }
  console.log(`\nMoved ${result.moved}, failed ${result.failed}, sent but not deleted ${result.notDeleted}.`);
  if (result.error) console.error(`Stopped: ${result.error}. The messages not moved are still in the dead-letter queue.`);
  if (result.notDeleted > 0) console.error('Messages sent but not deleted are in both queues; replaying them again is safe.');
  return result.failed > 0 || result.notDeleted > 0 ? 1 : 0;
}

async function queueUrl(sqs: SQSClient, name: string): Promise<string> {
  const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: name }));
  if (!QueueUrl) throw new Error(`no URL for ${name}`);
  return QueueUrl;
}

/** `https://sqs.<region>.amazonaws.com/<account>/<name>` → region. */
function regionOf(url: string): string | undefined {
  try {
    return /^sqs\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(url).hostname)?.[1];
  } catch {
    throw new UsageError(`Not a URL: ${url}`);
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const usage = error instanceof UsageError || (error instanceof Error && 'code' in error && String(error.code).startsWith('ERR_PARSE_ARGS'));
    console.error(`Error: ${errorText(error).replace(/^UsageError: /, '')}`);
    if (usage) console.error(`\n${USAGE}`);
    process.exit(usage ? 2 : 1);
  },
);
