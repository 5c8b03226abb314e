/** Chaos fault 7 (chaos/faults/bad-config.ts), the same at CI and full size. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { badConfigFault } from '../../../chaos/faults/bad-config.ts';
import { failedChecks } from '../../../chaos/lib/result.ts';
import { progressLog } from './progress-log.ts';
import { startServices } from '../../support/services.ts';

test('chaos bad configuration: exit 2 naming the variable; unreachable services end in bounded time', async (t) => {
  await startServices();
  const result = await badConfigFault.run({ size: 'ci', seed: 20261125, log: progressLog(t, 'bad-config') });
  t.diagnostic(JSON.stringify({ ...result, checks: undefined }));
  assert.equal(result.lost, 0);
  assert.ok(result.passed, failedChecks(result));
});
