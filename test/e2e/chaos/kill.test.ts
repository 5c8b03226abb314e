/** Chaos fault 1 at CI size (chaos/faults/kill.ts): kill -9 while writing, exactly-once, audited. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { killFault } from '../../../chaos/faults/kill.ts';
import { failedChecks } from '../../../chaos/lib/result.ts';
import { progressLog } from './progress-log.ts';
import { startServices } from '../../support/services.ts';

test('chaos kill (ci size): target equals expected, no duplicate effects, nothing lost', async (t) => {
  await startServices();
  const result = await killFault.run({ size: 'ci', seed: 20261125, log: progressLog(t, 'kill') });
  t.diagnostic(JSON.stringify({ ...result, checks: undefined }));
  assert.equal(result.lost, 0);
  assert.ok(result.passed, failedChecks(result));
});
