/**
 * The table shapes workloads are made of:
 * - `narrow`: id bigint pk (ids above 2^53, so a float anywhere shows), a few NOT NULL columns
 *   (which make Debezium write fallbacks into delete `before` images) and awkward strings;
 * - `measurements`: ../shared/measurements.md's table — id bigint pk, name text, email text,
 *   amount numeric(12,2), status text, updated_at timestamptz, payload jsonb;
 * - `wide`: id bigint pk and 49 nullable columns cycling through 14 types;
 * - `toasty`: large text and bytea that are TOASTed, so updates that leave them alone carry
 *   the `__debezium_unavailable_value` placeholder;
 * - `composite`: primary key (tenant_id integer, order_id bigint).
 */
import type { Value } from '../cdc/types.ts';
import {
  boolean,
  bytea,
  type ColumnType,
  daysToIsoDate,
  date,
  float64,
  int16,
  int32,
  int64,
  jsonb,
  microsToIso,
  microsToZoned,
  numeric,
  text,
  timestamp,
  timestamptz,
  uuid,
  varchar,
} from './column-types.ts';
import { decimalText } from './json-text.ts';
import type { Prng } from './prng.ts';
import type { BlobPool, ColumnDefinition, GenerationContext, ShapeName, TableDefinition, ValueGenerator } from './table-definition.ts';

export const SHAPES: readonly ShapeName[] = ['narrow', 'measurements', 'wide', 'toasty', 'composite'];

export interface ShapeOptions {
  /** TOAST-sized values of the `toasty` shape, in characters / bytes. */
  readonly toastMinLength: number;
  readonly toastMaxLength: number;
}

export const DEFAULT_SHAPE_OPTIONS: ShapeOptions = { toastMinLength: 2500, toastMaxLength: 4500 };

export function defineTable(shape: ShapeName, schema: string, name: string, options: ShapeOptions = DEFAULT_SHAPE_OPTIONS): TableDefinition {
  switch (shape) {
    case 'narrow':
      return narrow(schema, name);
    case 'measurements':
      return measurements(schema, name);
    case 'wide':
      return wide(schema, name);
    case 'toasty':
      return toasty(schema, name, options);
    case 'composite':
      return composite(schema, name);
  }
}

const keyColumn = (name: string, type: ColumnType): ColumnDefinition => ({
  name,
  type,
  nullable: false,
  toasted: false,
  generate: () => {
    throw new Error(`key column ${name} is generated from the key sequence`);
  },
  updateChance: 0,
});

function column(name: string, type: ColumnType, generate: ValueGenerator, updateChance: number, nullable = true): ColumnDefinition {
  return { name, type, nullable, toasted: false, generate, updateChance };
}

function orNull(rng: Prng, nullChance: number, value: () => Value): Value {
  return rng.chance(nullChance) ? null : value();
}

const FIRST = ['Ada', 'Bob', 'Chloé', 'Dmitri', 'Eve', 'Fatima', 'Günther', 'Hana', 'Ivan', 'José', 'Kenji', 'Lena', 'Møller', 'Nia', 'Oscar', 'Zoë'];
const LAST = ['Lovelace', 'Smith', "O'Brien", 'Nakamura', 'García', 'Ivanova', 'Schmidt', 'Kowalski', 'Dubois', 'Chen', 'Okafor', 'Rossi'];
const DOMAINS = ['example.com', 'example.org', 'mail.test', 'corp.invalid'];
const STATUSES = ['new', 'active', 'suspended', 'closed'];
const WORDS = ['alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta', 'theta', 'kappa', 'lambda', 'sigma', 'omega', '東京', 'naïve', 'ünïcödé'];
/** Strings that JSON and COPY escaping must get right. */
const AWKWARD = ['quote " inside', 'back\\slash', 'tab\there', 'new\nline', 'carriage\rreturn', 'bell\u0007', 'emoji 🚀', '\\N', '', ' leading space', 'semi;colon', "it's"];

const personName = (rng: Prng): string => `${rng.pick(FIRST)} ${rng.pick(LAST)}`;
const email = (rng: Prng): string => `${rng.pick(FIRST).toLowerCase()}.${rng.int(100_000)}@${rng.pick(DOMAINS)}`;
const cents = (rng: Prng, maxUnscaled: number, scale: number): string =>
  decimalText(BigInt(rng.int(maxUnscaled)) * (rng.chance(0.1) ? -1n : 1n), scale);

/** A small object printed the way PostgreSQL prints jsonb: keys by (length, bytes), ", " and ": ". */
const jsonPayload = (rng: Prng): string =>
  `{"n": ${rng.int(1_000_000)}, "tag": "${rng.pick(WORDS)}", "flags": [${rng.chance(0.5)}, ${rng.chance(0.5)}], "nested": {"x": ${rng.int(100)}}}`;

const recentMicros = (context: GenerationContext, rng: Prng): number => context.nowMicros - rng.int(86_400) * 1_000_000 - rng.int(1_000_000);

const uuidValue = (rng: Prng): string => {
  const hex = (count: number): string => {
    let out = '';
    for (let index = 0; index < count; index += 8) out += rng.nextU32().toString(16).padStart(8, '0');
    return out.slice(0, count);
  };
  const raw = hex(32);
  return `${raw.slice(0, 8)}-${raw.slice(8, 12)}-4${raw.slice(13, 16)}-${'89ab'[rng.int(4)]}${raw.slice(17, 20)}-${raw.slice(20, 32)}`;
};

function narrow(schema: string, name: string): TableDefinition {
  return {
    shape: 'narrow',
    schema,
    name,
    key: ['id'],
    columns: [
      keyColumn('id', int64),
      column('label', text, (rng) => (rng.chance(0.3) ? rng.pick(AWKWARD) : `${rng.pick(WORDS)}-${rng.int(10_000)}`), 0.5, false),
      column('counter', int32, (rng) => rng.int(2_000_000_000) - 1_000_000_000, 0.9, false),
      column('flag', boolean, (rng) => rng.chance(0.5), 0.3, false),
      column('score', float64, (rng) => orNull(rng, 0.1, () => (rng.int(4_000_000) - 2_000_000) / 8), 0.5),
    ],
    keyValues: (sequence) => [9_007_199_254_740_993n + BigInt(sequence) * 3n],
  };
}

function measurements(schema: string, name: string): TableDefinition {
  return {
    shape: 'measurements',
    schema,
    name,
    key: ['id'],
    columns: [
      keyColumn('id', int64),
      column('name', text, (rng) => orNull(rng, 0.02, () => personName(rng)), 0.2),
      column('email', text, (rng) => orNull(rng, 0.02, () => email(rng)), 0.2),
      column('amount', numeric(12, 2), (rng) => orNull(rng, 0.02, () => cents(rng, 100_000_000_000, 2)), 0.7),
      column('status', text, (rng) => rng.pick(STATUSES), 0.5),
      column('updated_at', timestamptz, (_rng, context) => microsToZoned(context.nowMicros), 1),
      column('payload', jsonb, (rng) => orNull(rng, 0.05, () => jsonPayload(rng)), 0.3),
    ],
    keyValues: (sequence) => [BigInt(sequence + 1)],
  };
}

const WIDE_TYPES: readonly { type: ColumnType; generate: ValueGenerator }[] = [
  { type: int32, generate: (rng) => rng.int(4_000_000_000) - 2_000_000_000 },
  { type: int64, generate: (rng) => BigInt.asIntN(64, BigInt(rng.nextU32()) * 4_294_967_296n + BigInt(rng.nextU32())) },
  { type: text, generate: (rng) => (rng.chance(0.2) ? rng.pick(AWKWARD) : `${rng.pick(WORDS)} ${rng.pick(WORDS)}`) },
  { type: numeric(18, 4), generate: (rng) => decimalText(BigInt(rng.nextU32()) * 1000n + BigInt(rng.int(1000)) - 2_000_000_000_000n, 4) },
  { type: float64, generate: (rng) => (rng.int(2_000_000) - 1_000_000) / 16 },
  { type: boolean, generate: (rng) => rng.chance(0.5) },
  { type: date, generate: (rng) => daysToIsoDate(18_000 + rng.int(4_000)) },
  { type: timestamp, generate: (rng, context) => microsToIso(recentMicros(context, rng)) },
  { type: timestamptz, generate: (rng, context) => microsToZoned(recentMicros(context, rng)) },
  { type: uuid, generate: (rng) => uuidValue(rng) },
  { type: jsonb, generate: (rng) => jsonPayload(rng) },
  { type: int16, generate: (rng) => rng.int(65_536) - 32_768 },
  { type: varchar(64), generate: (rng) => `${rng.pick(WORDS)}-${rng.int(1_000_000)}` },
  { type: bytea, generate: (rng) => Uint8Array.from({ length: 1 + rng.int(24) }, () => rng.int(256)) },
];

function wide(schema: string, name: string): TableDefinition {
  const columns: ColumnDefinition[] = [keyColumn('id', int64)];
  for (let index = 1; index < 50; index++) {
    const kind = WIDE_TYPES[(index - 1) % WIDE_TYPES.length]!;
    const columnName = `c${String(index).padStart(2, '0')}_${kind.type.logical.kind}`;
    columns.push(column(columnName, kind.type, (rng, context) => orNull(rng, 0.1, () => kind.generate(rng, context)), 0.3));
  }
  return { shape: 'wide', schema, name, key: ['id'], columns, keyValues: (sequence) => [BigInt(sequence + 1)] };
}

function toasty(schema: string, name: string, options: ShapeOptions): TableDefinition {
  const large = (kind: 'text' | 'bytes'): ValueGenerator => (rng, context) =>
    kind === 'text'
      ? context.blobs.text(rng, options.toastMinLength, options.toastMaxLength)
      : context.blobs.bytes(rng, options.toastMinLength, options.toastMaxLength);
  return {
    shape: 'toasty',
    schema,
    name,
    key: ['id'],
    columns: [
      keyColumn('id', int64),
      column('title', text, (rng) => `${rng.pick(WORDS)} ${rng.int(1_000_000)}`, 0.8),
      { ...column('body', text, large('text'), 0.15), toasted: true },
      { ...column('attachment', bytea, large('bytes'), 0.1), toasted: true },
      column('revision', int32, (rng) => rng.int(1_000_000), 1),
    ],
    keyValues: (sequence) => [BigInt(sequence + 1)],
  };
}

function composite(schema: string, name: string): TableDefinition {
  return {
    shape: 'composite',
    schema,
    name,
    key: ['tenant_id', 'order_id'],
    columns: [
      keyColumn('tenant_id', int32),
      keyColumn('order_id', int64),
      column('sku', varchar(32), (rng) => `SKU-${rng.int(100_000)}`, 0.2),
      column('quantity', int32, (rng) => 1 + rng.int(500), 0.6),
      column('price', numeric(10, 2), (rng) => orNull(rng, 0.05, () => cents(rng, 1_000_000_000, 2)), 0.4),
      column('ordered_on', date, (rng) => daysToIsoDate(19_000 + rng.int(1_500)), 0.1),
      column('placed_at', timestamp, (rng, context) => microsToIso(recentMicros(context, rng)), 0.5),
    ],
    keyValues: (sequence) => [1 + (sequence % 97), 5_000_000_000n + BigInt(sequence)],
  };
}

/**
 * Large values cut from pre-generated random material: cheap per event, distinct enough, and
 * (for text) poorly compressible so the sizes are realistic for values PostgreSQL would TOAST.
 */
export function createBlobPool(rng: Prng, size = 1 << 16): BlobPool {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;-_é';
  let textMaterial = '';
  for (let index = 0; index < size; index++) textMaterial += alphabet[rng.int(alphabet.length)];
  const byteMaterial = new Uint8Array(size);
  for (let index = 0; index < size; index += 4) {
    const word = rng.nextU32();
    byteMaterial[index] = word & 0xff;
    byteMaterial[index + 1] = (word >>> 8) & 0xff;
    byteMaterial[index + 2] = (word >>> 16) & 0xff;
    byteMaterial[index + 3] = word >>> 24;
  }
  return {
    text(random, minLength, maxLength) {
      const length = random.range(minLength, Math.min(maxLength, size));
      const start = random.int(size - length + 1);
      return textMaterial.slice(start, start + length);
    },
    bytes(random, minLength, maxLength) {
      const length = random.range(minLength, Math.min(maxLength, size));
      const start = random.int(size - length + 1);
      return byteMaterial.slice(start, start + length);
    },
  };
}
