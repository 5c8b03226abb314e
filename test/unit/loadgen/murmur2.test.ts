import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { murmur2, partitionForKey } from '../../../src/loadgen/murmur2.ts';
import { Prng } from '../../../src/loadgen/prng.ts';

const require = createRequire(import.meta.url);
/** kafkajs's port of the Java murmur2 (Long arithmetic), as an independent oracle. */
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer) => number;

describe('murmur2', () => {
  it("matches Kafka's Utils.murmur2 test vectors", () => {
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ];
    for (const [text, expected] of vectors) assert.equal(murmur2(Buffer.from(text)), expected, text);
  });

  it('agrees with kafkajs on random keys of every length remainder', () => {
    const rng = new Prng(99);
    for (let index = 0; index < 500; index++) {
      const key = Buffer.from(Array.from({ length: rng.int(64) }, () => rng.int(256)));
      assert.equal(murmur2(key), kafkajsMurmur2(key), key.toString('hex'));
    }
  });

  it('picks partitions like the default partitioner (toPositive(hash) % n)', () => {
    const key = Buffer.from('{"id":1}');
    assert.equal(partitionForKey(key, 4), (kafkajsMurmur2(key) & 0x7fffffff) % 4);
  });
});
