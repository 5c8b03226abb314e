/** Chaos fault 2 at CI size (chaos/faults/destination-outage.ts), on the chaos-owned PostgreSQL (5440). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { destinationOutageFault } from '../../../chaos/faults/destination-outage.ts';
import { failedChecks } from '../../../chaos/lib/result.ts';
import { progressLog } from './progress-log.ts';
import { startServices } from '../../support/services.ts';

test('chaos destination outage (ci size): paused, up, unready, then caught up; nothing lost', async (t) => {
  await startServices();
  const result = await destinationOutageFault.run({ size: 'ci', seed: 20261125, log: progressLog(t, 'destination-outage') });
  t.diagnostic(JSON.stringify({ ...result, checks: undefined }));
  assert.equal(result.lost, 0);
  assert.ok(result.passed, failedChecks(result));
});
