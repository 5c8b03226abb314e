/**
 * Seeded random round trip: values are generated, written as Debezium would (test encoder), decoded,
 * and compared with expectations computed from the generated value by other means (Date for
 * calendar text, BigInt/string arithmetic for decimals). The seed is printed on failure;
 * SLUICE_TEST_SEED overrides it.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDecoder } from '../../../src/cdc/decode.ts';
import type { Value } from '../../../src/cdc/types.ts';
import { changeRecord, decimalWire, field, type JsonTree, seededRandom, type TableSpec } from './debezium-encoder.ts';
import { upsertOf } from './single-column.ts';

const SEED = Number(process.env['SLUICE_TEST_SEED'] ?? 424_242);
const EVENTS = 400;

const table: TableSpec = {
  prefix: 'rt',
  schema: 'public',
  table: 'everything',
  key: ['id'],
  columns: [
    field('id', { type: 'int64', optional: false }),
    field('i64', { type: 'int64', optional: true }),
    field('i32', { type: 'int32', optional: true }),
    field('f64', { type: 'double', optional: true }),
    field('flag', { type: 'boolean', optional: true }),
    field('txt', { type: 'string', optional: true }),
    field('dec', {
      type: 'bytes',
      optional: true,
      name: 'org.apache.kafka.connect.data.Decimal',
      version: 1,
      parameters: { scale: '4', 'connect.decimal.precision': '30' },
    }),
    field('day', { type: 'int32', optional: true, name: 'io.debezium.time.Date', version: 1 }),
    field('ts', { type: 'int64', optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1 }),
    field('tod', { type: 'int64', optional: true, name: 'io.debezium.time.MicroTime', version: 1 }),
    field('blob', { type: 'bytes', optional: true }),
    field('nums', { type: 'array', items: { type: 'int64', optional: true }, optional: true }),
  ],
};

type Random = () => number;

const int = (random: Random, min: number, max: number) => min + Math.floor(random() * (max - min + 1));

function randomBigint64(random: Random): bigint {
  const high = BigInt(int(random, 0, 0xffffffff));
  const low = BigInt(int(random, 0, 0xffffffff));
  return BigInt.asIntN(64, (high << 32n) | low);
}

function randomText(random: Random): string {
  const alphabet = ['a', 'Z', '0', ' ', '"', '\\', '\n', '\t', '\u0001', 'é', 'ß', '中', '😀', '\u2028', '{', '}', ':'];
  let text = '';
  for (let i = int(random, 0, 24); i > 0; i--) text += alphabet[int(random, 0, alphabet.length - 1)];
  return text;
}

function randomDecimalText(random: Random): string {
  let digits = String(int(random, 0, 9));
  for (let i = int(random, 0, 25); i > 0; i--) digits += String(int(random, 0, 9));
  digits = digits.replace(/^0+(?=\d)/, '');
  const fraction = String(int(random, 0, 9999)).padStart(4, '0');
  const zero = digits === '0' && fraction === '0000';
  return `${!zero && random() < 0.5 ? '-' : ''}${digits}.${fraction}`;
}

const pad = (value: number, width: number) => String(value).padStart(width, '0');

interface Generated {
  readonly wire: Record<string, JsonTree>;
  readonly expected: Map<string, Value>;
}

function generate(random: Random, id: bigint): Generated {
  const wire: Record<string, JsonTree> = { id };
  const expected = new Map<string, Value>([['id', id]]);
  const maybe = (name: string, make: () => [JsonTree, Value]) => {
    if (random() < 0.1) {
      wire[name] = null;
      expected.set(name, null);
      return;
    }
    const [onWire, value] = make();
    wire[name] = onWire;
    expected.set(name, value);
  };
  maybe('i64', () => {
    const value = randomBigint64(random);
    return [value, value];
  });
  maybe('i32', () => {
    const value = int(random, -2_147_483_648, 2_147_483_647);
    return [value, value];
  });
  maybe('f64', () => {
    const value = (random() - 0.5) * 10 ** int(random, -10, 300);
    return [value, value];
  });
  maybe('flag', () => {
    const value = random() < 0.5;
    return [value, value];
  });
  maybe('txt', () => {
    const value = randomText(random);
    return [value, value];
  });
  maybe('dec', () => {
    const text = randomDecimalText(random);
    return [decimalWire(text, 4), text];
  });
  maybe('day', () => {
    const days = int(random, -719_162, 2_932_896); // 0001-01-01 … 9999-12-31
    return [days, new Date(days * 86_400_000).toISOString().slice(0, 10)];
  });
  maybe('ts', () => {
    const ms = int(random, -62_135_596_800_000, 253_402_300_799_999);
    const micros = int(random, 0, 999);
    return [BigInt(ms) * 1000n + BigInt(micros), `${new Date(ms).toISOString().slice(0, 23)}${pad(micros, 3)}`];
  });
  maybe('tod', () => {
    const ms = int(random, 0, 86_399_999);
    const micros = int(random, 0, 999);
    return [BigInt(ms) * 1000n + BigInt(micros), `${new Date(ms).toISOString().slice(11, 23)}${pad(micros, 3)}`];
  });
  maybe('blob', () => {
    const bytes = Uint8Array.from({ length: int(random, 0, 40) }, () => int(random, 0, 255));
    return [Buffer.from(bytes).toString('base64'), bytes];
  });
  maybe('nums', () => {
    const values = Array.from({ length: int(random, 0, 5) }, () => randomBigint64(random));
    return [values, values];
  });
  return { wire, expected };
}

describe(`seeded round trip (seed ${SEED})`, () => {
  for (const schemasEnabled of [true, false]) {
    it(`${EVENTS} random rows, schemas.enable=${schemasEnabled}`, () => {
      const random = seededRandom(SEED);
      const decoder = createDecoder();
      for (let n = 0; n < EVENTS; n++) {
        const id = randomBigint64(random);
        const { wire, expected } = generate(random, id);
        const record = changeRecord(table, { id }, { op: n % 3 === 0 ? 'c' : 'u', after: wire, stamp: { tsMs: 1_700_000_000_000 + n, lsn: BigInt(n) } }, schemasEnabled);
        const event = upsertOf(decoder.decode(record));
        const context = `seed ${SEED}, event ${n}`;
        assert.deepEqual(event.key, new Map([['id', id]]), context);
        if (schemasEnabled) {
          assert.deepEqual(event.row, expected, context);
        } else {
          // Without a schema only JSON-native types survive as such (see schemaless.ts).
          for (const name of ['id', 'i64', 'flag', 'txt', 'nums'] as const) {
            assert.deepEqual(event.row.get(name), expected.get(name), `${context}, column ${name}`);
          }
        }
      }
    });
  }
});
