/** Chaos fault 5 at CI size (chaos/faults/broker-restart.ts), on the chaos-owned broker (19092). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brokerRestartFault } from '../../../chaos/faults/broker-restart.ts';
import { failedChecks } from '../../../chaos/lib/result.ts';
import { progressLog } from './progress-log.ts';
import { startServices } from '../../support/services.ts';

test('chaos broker restart (ci size): recovers on its own, nothing lost', async (t) => {
  await startServices();
  const result = await brokerRestartFault.run({ size: 'ci', seed: 20261125, log: progressLog(t, 'broker-restart') });
  t.diagnostic(JSON.stringify({ ...result, checks: undefined }));
  assert.equal(result.lost, 0);
  assert.ok(result.passed, failedChecks(result));
});
