/** Stands in for SQS in tests that route or complete the work themselves: it collects the work instead of sending it. */
import type { BackgroundWork, WorkQueue } from '../../functions/domain/ports';

export class CollectedWork implements WorkQueue {
  readonly sent: BackgroundWork[] = [];
  async send(work: BackgroundWork): Promise<void> {
    this.sent.push(work);
  }
}
