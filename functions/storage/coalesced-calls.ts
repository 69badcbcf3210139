/**
 * Calls that may run together: while one run is under way, further calls wait and then run as one
 * (their arguments concatenated, in call order), so concurrent callers of a strictly sequential
 * write (the change log's) form one long run instead of contending with each other. Every caller
 * hears when its own arguments are written. A merged run that fails is run again one call at a
 * time, so one caller's bad input fails only that caller.
 */
interface Waiting<T> {
  readonly items: readonly T[];
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class CoalescedCalls<T> {
  private waiting: Array<Waiting<T>> = [];
  private running = false;

  constructor(private readonly run: (items: readonly T[]) => Promise<void>) {}

  call(items: readonly T[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, resolve, reject });
      if (!this.running) void this.drain();
    });
  }

  private async drain() {
    this.running = true;
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0);
      try {
        await this.run(batch.flatMap(({ items }) => items));
        for (const call of batch) call.resolve();
      } catch (error) {
        if (batch.length === 1) batch[0]!.reject(error);
        else for (const call of batch) await this.run(call.items).then(call.resolve, call.reject);
      }
    }
    this.running = false;
  }
}
