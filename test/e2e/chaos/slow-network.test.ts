/** Chaos fault 8 at CI size (chaos/faults/slow-network.ts): latency proxy in front of PostgreSQL. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { slowNetworkFault } from '../../../chaos/faults/slow-network.ts';
import { failedChecks } from '../../../chaos/lib/result.ts';
import { progressLog } from './progress-log.ts';
import { startServices } from '../../support/services.ts';

test('chaos slow network (ci size): the controller adapts, memory bounded, nothing lost', async (t) => {
  await startServices();
  const result = await slowNetworkFault.run({ size: 'ci', seed: 20261125, log: progressLog(t, 'slow-network') });
  t.diagnostic(JSON.stringify({ ...result, checks: undefined }));
  assert.equal(result.lost, 0);
  assert.ok(result.passed, failedChecks(result));
});
