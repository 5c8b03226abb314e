/** Chaos fault 3 at CI size (chaos/faults/poison.ts). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { poisonFault } from '../../../chaos/faults/poison.ts';
import { failedChecks } from '../../../chaos/lib/result.ts';
import { progressLog } from './progress-log.ts';
import { startServices } from '../../support/services.ts';

test('chaos poison corpus (ci size): hostile identifiers quoted or dead-lettered, oversized values, no injection', async (t) => {
  await startServices();
  const result = await poisonFault.run({ size: 'ci', seed: 20261125, log: progressLog(t, 'poison') });
  t.diagnostic(JSON.stringify({ ...result, checks: undefined }));
  assert.equal(result.lost, 0);
  assert.ok(result.passed, failedChecks(result));
});
