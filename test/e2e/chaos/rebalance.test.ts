/** Chaos fault 4 at CI size (chaos/faults/rebalance.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { rebalanceFault } from '../../../chaos/faults/rebalance.ts';
import { failedChecks } from '../../../chaos/lib/result.ts';
import { progressLog } from './progress-log.ts';
import { startServices } from '../../support/services.ts';

test('chaos rebalance 1 → 3 → 1 (ci size): final state equal, nothing lost', async (t) => {
  await startServices();
  const result = await rebalanceFault.run({ size: 'ci', seed: 20261125, log: progressLog(t, 'rebalance') });
  t.diagnostic(JSON.stringify({ ...result, checks: undefined }));
  assert.equal(result.lost, 0);
  assert.ok(result.passed, failedChecks(result));
});
