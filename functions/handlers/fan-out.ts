/** Consumer of the fan-out queue. */
import { dynamoDb } from '../commons/clients';
import { tableName } from '../commons/environment';
import { lazyHandler } from '../commons/lazy-handler';
import { queueConsumer } from '../commons/queue-consumer';
import { fanOutMessage } from '../protocol/queue-messages';
import { HeartbeatStore } from '../storage/heartbeats';

export function createFanOutHandler(deps: { heartbeats: HeartbeatStore; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());
  return queueConsumer(fanOutMessage, async (message) => {
    switch (message.kind) {
      case 'heartbeat':
        await deps.heartbeats.record('fanOut', { id: message.id, sentAt: message.sentAt, handledAt: now().toISOString() });
        return;
    }
  });
}

export const handler = lazyHandler(() =>
  createFanOutHandler({ heartbeats: new HeartbeatStore(dynamoDb(), tableName('siteState')) }),
);
