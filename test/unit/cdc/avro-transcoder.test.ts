/**
 * The transcoder's schema cache (records laid out as {"schema":…,"payload":…} parse only their
 * payload once the schema text is known) gives the same bytes as parsing every record whole.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createWorkload } from '../../../src/loadgen/index.ts';
import { AvroTranscoder } from './avro-transcoder.ts';

test('transcoding with the schema cache equals transcoding each record whole', () => {
  const workload = createWorkload({ seed: 7_011, tables: ['measurements', 'toasty', 'composite', 'wide'], events: 3_000, partitions: 3, topicPrefix: 'transcode' });
  const cached = new AvroTranscoder();
  const whole = new AvroTranscoder();
  let compared = 0;
  for (const record of workload.records()) {
    for (const bytes of [record.key, record.value]) {
      if (bytes === null || bytes.length === 0) continue;
      // A leading space keeps the JSON valid and takes the whole-record path.
      const expected = whole.transcode(Buffer.concat([Buffer.from(' '), bytes]));
      assert.deepEqual(cached.transcode(bytes), expected);
      compared++;
    }
  }
  assert.ok(compared > 5_000, `compared ${compared}`);
});
