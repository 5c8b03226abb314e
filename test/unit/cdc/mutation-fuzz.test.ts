/**
 * Seeded mutation fuzzing: byte flips, truncations, insertions and splices of valid records must
 * either decode or raise a DecodeError with one of the documented codes — never another error,
 * never `cdc.unexpected` (a decoder fault) — and the decoder keeps decoding valid records after.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDecoder } from '../../../src/cdc/decode.ts';
import { DecodeError } from '../../../src/errors.ts';
import { changeRecord, decimalWire, type EncodedRecord, field, seededRandom, type TableSpec } from './debezium-encoder.ts';

const SEED = Number(process.env['SLUICE_TEST_SEED'] ?? 31_337);
const MUTATIONS = 3_000;
const DOCUMENTED = new Set([
  'cdc.invalid_utf8',
  'cdc.malformed_json',
  'cdc.invalid_schema',
  'cdc.not_change_event',
  'cdc.unknown_op',
  'cdc.value_mismatch',
  'cdc.missing_row',
  'cdc.missing_key',
  'cdc.invalid_key',
]);

const table: TableSpec = {
  prefix: 'fuzz',
  schema: 'public',
  table: 'things',
  key: ['id'],
  columns: [
    field('id', { type: 'int64', optional: false }),
    field('amount', { type: 'bytes', optional: true, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '2' } }),
    field('at', { type: 'int64', optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1 }),
    field('tags', { type: 'array', items: { type: 'string', optional: true }, optional: true }),
    field('doc', { type: 'string', optional: true, name: 'io.debezium.data.Json', version: 1 }),
  ],
};

function validRecord(id: bigint, schemasEnabled: boolean): EncodedRecord {
  const after = { id, amount: decimalWire('-12.34', 2), at: 1_700_000_000_000_000n, tags: ['a', 'é'], doc: '{"k": [1, 2]}' };
  return changeRecord(table, { id }, { op: 'u', after, stamp: { tsMs: 1_700_000_000_000, lsn: 5n, txId: 6n } }, schemasEnabled);
}

function mutate(bytes: Buffer, random: () => number): Buffer {
  const position = Math.floor(random() * bytes.length);
  switch (Math.floor(random() * 5)) {
    case 0: {
      const copy = Buffer.from(bytes);
      copy[position] = Math.floor(random() * 256);
      return copy;
    }
    case 1:
      return bytes.subarray(0, position);
    case 2:
      return Buffer.concat([bytes.subarray(0, position), Buffer.from([Math.floor(random() * 256)]), bytes.subarray(position)]);
    case 3: {
      const tokens = ['"', '}', ']', ',', '9223372036854775808', '-', 'null', '"__debezium_unavailable_value"', '{', '\\'];
      const token = Buffer.from(tokens[Math.floor(random() * tokens.length)]!);
      return Buffer.concat([bytes.subarray(0, position), token, bytes.subarray(position + 1)]);
    }
    default: {
      const from = Math.floor(random() * bytes.length);
      return Buffer.concat([bytes.subarray(0, position), bytes.subarray(from, from + 20), bytes.subarray(position)]);
    }
  }
}

describe(`mutation fuzzing (seed ${SEED})`, () => {
  it(`${MUTATIONS} mutated records decode or fail with a documented code`, () => {
    const random = seededRandom(SEED);
    const decoder = createDecoder();
    const outcomes = new Map<string, number>();
    for (let n = 0; n < MUTATIONS; n++) {
      const record = validRecord(BigInt(n) * 7_919n + (n % 3 === 0 ? 2n ** 60n : 0n), n % 4 !== 0);
      const target = random() < 0.8 ? 'value' : 'key';
      const mutated = { ...record, [target]: mutate(record[target]!, random) };
      let outcome: string;
      try {
        outcome = decoder.decode(mutated).kind;
      } catch (error) {
        assert.ok(error instanceof DecodeError, `mutation ${n} (seed ${SEED}) threw ${String(error)}`);
        assert.ok(DOCUMENTED.has(error.code), `mutation ${n} (seed ${SEED}): ${error.code}: ${error.message}`);
        outcome = error.code;
      }
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      const check = decoder.decode(validRecord(BigInt(n), n % 2 === 0));
      assert.equal(check.kind, 'change');
    }
    // The fuzzing reached both outcomes in numbers, or it tested little.
    assert.ok((outcomes.get('cdc.malformed_json') ?? 0) > 100, JSON.stringify([...outcomes]));
    assert.ok((outcomes.get('change') ?? 0) > 100, JSON.stringify([...outcomes]));
  });
});
