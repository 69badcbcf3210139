/** The attempt gate's rule, against a plain restatement: free attempts, then doubling waits, forgotten after a day. */
import fc from 'fast-check';
import { decideAttempt, DEFAULT_GATE_POLICY as policy, type GateState } from '../../functions/domain/auth/attempt-gate';

test('after the free attempts, each evaluated attempt waits twice as long as the one before, up to the ceiling; refused attempts change nothing', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 7200 }), { minLength: 1, maxLength: 40 }), (gaps) => {
      let state: GateState | undefined;
      let now = 1_000_000;
      let evaluated = 0;
      let lastEvaluatedAt = -Infinity;
      for (const gap of gaps) {
        now += gap;
        const forgotten = now - lastEvaluatedAt >= policy.forgetAfterSeconds;
        if (forgotten) evaluated = 0;
        // The oracle: the wait owed after the n-th evaluated attempt.
        const owed = evaluated < policy.freeAttempts ? 0 : Math.min(policy.baseBackoffSeconds * 2 ** (evaluated - policy.freeAttempts), policy.maxBackoffSeconds);
        const decision = decideAttempt(state, now, policy);
        if (now < lastEvaluatedAt + owed && !forgotten) {
          expect(decision).toEqual({ admitted: false, retryAfterSeconds: lastEvaluatedAt + owed - now });
        } else {
          expect(decision.admitted).toBe(true);
          if (decision.admitted) state = decision.next;
          evaluated++;
          lastEvaluatedAt = now;
        }
      }
    }),
  );
});
