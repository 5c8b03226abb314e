/** Chaos fault 6 at CI size (chaos/faults/retention-breach.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { retentionBreachFault } from '../../../chaos/faults/retention-breach.ts';
import { failedChecks } from '../../../chaos/lib/result.ts';
import { progressLog } from './progress-log.ts';
import { startServices } from '../../support/services.ts';

test('chaos retention breach (ci size): warned first, then the loss reported loudly, none silent', async (t) => {
  await startServices();
  const result = await retentionBreachFault.run({ size: 'ci', seed: 20261125, log: progressLog(t, 'retention-breach') });
  t.diagnostic(JSON.stringify({ ...result, checks: undefined }));
  assert.equal(result.lost, 0);
  assert.ok(result.passed, failedChecks(result));
});
