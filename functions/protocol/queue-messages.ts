/** Messages that travel on the project's own queues, validated on both ends. */
import { z } from 'zod';

/** Proves the fan-out path end to end: the consumer records when it last handled one. */
export const heartbeatMessage = z.object({
  kind: z.literal('heartbeat'),
  id: z.string().min(1),
  sentAt: z.iso.datetime(),
});

export const fanOutMessage = z.discriminatedUnion('kind', [heartbeatMessage]);
export type FanOutMessage = z.infer<typeof fanOutMessage>;
