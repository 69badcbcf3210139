/** Calls that run together while one is under way: call order kept, each caller answered for its own items. */
import { CoalescedCalls } from '../../functions/storage/coalesced-calls';

/** Calls whose runs are recorded; the first run holds until released; a run holding 'bad' fails. */
function heldCalls() {
  const runs: string[][] = [];
  let release: () => void = () => {};
  const first = new Promise<void>((resolve) => (release = resolve));
  const calls = new CoalescedCalls<string>(async (items) => {
    runs.push([...items]);
    if (runs.length === 1) await first;
    if (items.includes('bad')) throw new Error('bad item');
  });
  return { calls, runs, release: () => release() };
}

test('calls made during a run wait and then run as one, in call order', async () => {
  const { calls, runs, release } = heldCalls();
  const answered = [calls.call(['a']), calls.call(['b', 'c']), calls.call(['d'])];
  release();
  await Promise.all(answered);
  expect(runs).toEqual([['a'], ['b', 'c', 'd']]);
  await calls.call(['e']);
  expect(runs.at(-1)).toEqual(['e']);
});

test('a merged run that fails is run again call by call: only the call with bad input fails', async () => {
  const { calls, runs, release } = heldCalls();
  const a = calls.call(['a']);
  const outcomes = [calls.call(['b']), calls.call(['bad']), calls.call(['c'])].map((call) => call.then(() => 'ok', (error: Error) => error.message));
  release();
  await a;
  expect(await Promise.all(outcomes)).toEqual(['ok', 'bad item', 'ok']);
  expect(runs).toEqual([['a'], ['b', 'bad', 'c'], ['b'], ['bad'], ['c']]);
});
