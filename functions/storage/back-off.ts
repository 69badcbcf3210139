/** A jittered pause that doubles with each attempt (10 ms scale, capped at 64 times): between retries of a throttled or contended write. */
export const backOff = (attempt: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** Math.min(attempt, 6)));
