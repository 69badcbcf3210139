/**
 * Runs a scheduled function locally the way its EventBridge rule does in the stack: every
 * `localEverySeconds`, one run at a time. The first run happens at start-up with
 * `detail.everything`: the local queues live in memory, so whatever was queued before a restart
 * (or a crash) is gone and must be sent again from the markers kept in DynamoDB.
 */
import type { Context } from 'aws-lambda';
import type { ScheduledFunctionDescription } from '../functions';
import { lambdaContext } from './http-gateway';

export type ScheduledHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalSchedule {
  stop(): Promise<void>;
}

export function startSchedule(options: {
  readonly name: string;
  readonly description: ScheduledFunctionDescription;
  readonly handler: ScheduledHandler;
  readonly log: (line: string) => void;
}): LocalSchedule {
  const { name, description, handler, log } = options;
  const timeoutMs = (description.timeoutSeconds ?? 10) * 1000;
  let running: Promise<void> = Promise.resolve();
  const run = (detail: Record<string, unknown>) => {
    running = running.then(async () => {
      try {
        const event = { source: 'local.schedule', 'detail-type': 'Scheduled Event', time: new Date().toISOString(), detail };
        await handler(event, lambdaContext(`${name}Function`, timeoutMs));
      } catch (error) {
        log(`${name}: scheduled run failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    return running;
  };
  void run({ everything: true });
  const timer = setInterval(() => void run({}), description.localEverySeconds * 1000);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
