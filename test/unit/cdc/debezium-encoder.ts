/**
 * Test helper: writes Debezium change events the way Debezium's PostgreSQL connector followed by
 * Kafka Connect's JsonConverter does (compact JSON, schema key order type/fields|items/optional/
 * name/version/parameters/field, FLOAT64 as "double"), independently of src/cdc. Values are given
 * in their wire form (bigint for int64 literals, base64 via the helpers below), so tests state
 * the expected decoded value separately.
 */

/** JSON text inserted verbatim (a number literal such as 12.50 or 1E+3). */
export class RawJson {
  constructor(readonly text: string) {}
}

export type JsonTree = null | boolean | number | bigint | string | RawJson | readonly JsonTree[] | { readonly [key: string]: JsonTree };

export function writeJson(value: JsonTree): string {
  if (value === null) return 'null';
  if (value instanceof RawJson) return value.text;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error('non-finite numbers are written as strings by Jackson');
    return JSON.stringify(value);
  }
  if (typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item: JsonTree) => writeJson(item)).join(',')}]`;
  const entries = Object.entries(value as { readonly [key: string]: JsonTree });
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${writeJson(item)}`).join(',')}}`;
}

export interface SchemaJson {
  readonly type: string;
  readonly fields?: readonly FieldJson[];
  readonly items?: SchemaJson;
  readonly keys?: SchemaJson;
  readonly values?: SchemaJson;
  readonly optional: boolean;
  readonly name?: string;
  readonly version?: number;
  readonly parameters?: Readonly<Record<string, string>>;
  readonly default?: JsonTree;
}

export interface FieldJson extends SchemaJson {
  readonly field: string;
}

/** Schema JSON in JsonConverter's key order. */
export function schemaTree(schema: SchemaJson, fieldName?: string): JsonTree {
  const tree: Record<string, JsonTree> = { type: schema.type };
  if (schema.fields) tree['fields'] = schema.fields.map((field) => schemaTree(field, field.field));
  if (schema.items) tree['items'] = schemaTree(schema.items);
  if (schema.keys) tree['keys'] = schemaTree(schema.keys);
  if (schema.values) tree['values'] = schemaTree(schema.values);
  tree['optional'] = schema.optional;
  if (schema.name !== undefined) tree['name'] = schema.name;
  if (schema.version !== undefined) tree['version'] = schema.version;
  if (schema.parameters !== undefined) tree['parameters'] = { ...schema.parameters };
  if (schema.default !== undefined) tree['default'] = schema.default;
  if (fieldName !== undefined) tree['field'] = fieldName;
  return tree;
}

export function field(name: string, schema: SchemaJson): FieldJson {
  return { ...schema, field: name };
}

export const POSTGRES_SOURCE_SCHEMA: SchemaJson = {
  type: 'struct',
  fields: [
    field('version', { type: 'string', optional: false }),
    field('connector', { type: 'string', optional: false }),
    field('name', { type: 'string', optional: false }),
    field('ts_ms', { type: 'int64', optional: false }),
    field('snapshot', {
      type: 'string',
      optional: true,
      name: 'io.debezium.data.Enum',
      version: 1,
      parameters: { allowed: 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental' },
      default: 'false',
    }),
    field('db', { type: 'string', optional: false }),
    field('sequence', { type: 'string', optional: true }),
    field('ts_us', { type: 'int64', optional: true }),
    field('ts_ns', { type: 'int64', optional: true }),
    field('schema', { type: 'string', optional: false }),
    field('table', { type: 'string', optional: false }),
    field('txId', { type: 'int64', optional: true }),
    field('lsn', { type: 'int64', optional: true }),
    field('xmin', { type: 'int64', optional: true }),
  ],
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
  version: 1,
};

const TRANSACTION_SCHEMA: SchemaJson = {
  type: 'struct',
  fields: [
    field('id', { type: 'string', optional: false }),
    field('total_order', { type: 'int64', optional: false }),
    field('data_collection_order', { type: 'int64', optional: false }),
  ],
  optional: true,
  name: 'event.block',
  version: 1,
};

export interface TableSpec {
  readonly prefix: string;
  readonly schema: string;
  readonly table: string;
  readonly columns: readonly FieldJson[];
  readonly key: readonly string[];
}

export function envelopeSchema(spec: TableSpec): SchemaJson {
  const base = `${spec.prefix}.${spec.schema}.${spec.table}`;
  const row: SchemaJson = { type: 'struct', fields: spec.columns, optional: true, name: `${base}.Value` };
  return {
    type: 'struct',
    fields: [
      field('before', row),
      field('after', row),
      field('source', POSTGRES_SOURCE_SCHEMA),
      field('transaction', TRANSACTION_SCHEMA),
      field('op', { type: 'string', optional: false }),
      field('ts_ms', { type: 'int64', optional: true }),
      field('ts_us', { type: 'int64', optional: true }),
      field('ts_ns', { type: 'int64', optional: true }),
    ],
    optional: false,
    name: `${base}.Envelope`,
    version: 2,
  };
}

export function keySchema(spec: TableSpec): SchemaJson {
  const fields = spec.key.map((name) => {
    const column = spec.columns.find((candidate) => candidate.field === name);
    if (column === undefined) throw new Error(`key column ${name} is not in the table`);
    return { ...column, optional: false };
  });
  return { type: 'struct', fields, optional: false, name: `${spec.prefix}.${spec.schema}.${spec.table}.Key` };
}

export interface SourceStamp {
  readonly tsMs: number;
  readonly lsn?: bigint | null;
  readonly txId?: bigint | null;
  readonly snapshot?: string;
}

export function postgresSource(spec: TableSpec, stamp: SourceStamp): JsonTree {
  return {
    version: '3.6.1.Final',
    connector: 'postgresql',
    name: spec.prefix,
    ts_ms: stamp.tsMs,
    snapshot: stamp.snapshot ?? 'false',
    db: 'inventory',
    sequence: `["${stamp.lsn ?? 0n}","${stamp.lsn ?? 0n}"]`,
    ts_us: BigInt(stamp.tsMs) * 1000n,
    ts_ns: BigInt(stamp.tsMs) * 1_000_000n,
    schema: spec.schema,
    table: spec.table,
    txId: stamp.txId ?? null,
    lsn: stamp.lsn ?? null,
    xmin: null,
  };
}

export interface ChangeSpec {
  readonly op: string;
  readonly before?: JsonTree;
  readonly after?: JsonTree;
  readonly stamp: SourceStamp;
}

export function changePayload(spec: TableSpec, change: ChangeSpec): JsonTree {
  const processedMs = change.stamp.tsMs + 7;
  return {
    before: change.before ?? null,
    after: change.after ?? null,
    source: postgresSource(spec, change.stamp),
    transaction: null,
    op: change.op,
    ts_ms: processedMs,
    ts_us: BigInt(processedMs) * 1000n,
    ts_ns: BigInt(processedMs) * 1_000_000n,
  };
}

const schemaTexts = new WeakMap<SchemaJson, string>();

function schemaText(schema: SchemaJson): string {
  let text = schemaTexts.get(schema);
  if (text === undefined) {
    text = writeJson(schemaTree(schema));
    schemaTexts.set(schema, text);
  }
  return text;
}

/** `{"schema":…,"payload":…}` when schemas are enabled, else the payload alone. */
export function converterJson(schema: SchemaJson | null, payload: JsonTree, schemasEnabled: boolean): Buffer {
  const text = schemasEnabled
    ? `{"schema":${schema === null ? 'null' : schemaText(schema)},"payload":${writeJson(payload)}}`
    : writeJson(payload);
  return Buffer.from(text, 'utf8');
}

const envelopeSchemas = new WeakMap<TableSpec, SchemaJson>();
const keySchemas = new WeakMap<TableSpec, SchemaJson>();

function cachedSchema(cache: WeakMap<TableSpec, SchemaJson>, spec: TableSpec, build: (spec: TableSpec) => SchemaJson): SchemaJson {
  let schema = cache.get(spec);
  if (schema === undefined) {
    schema = build(spec);
    cache.set(spec, schema);
  }
  return schema;
}

export interface EncodedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
}

let nextOffset = 0n;

/** A Kafka record of one change of the table (key null for truncates, as Debezium does). */
export function changeRecord(spec: TableSpec, key: JsonTree | null, change: ChangeSpec, schemasEnabled = true): EncodedRecord {
  return {
    topic: `${spec.prefix}.${spec.schema}.${spec.table}`,
    partition: 0,
    offset: nextOffset++,
    key: key === null ? null : converterJson(cachedSchema(keySchemas, spec, keySchema), key, schemasEnabled),
    value: converterJson(cachedSchema(envelopeSchemas, spec, envelopeSchema), changePayload(spec, change), schemasEnabled),
    timestamp: change.stamp.tsMs + 9,
  };
}

// ---- wire forms of values, computed without src/cdc ----

/** Minimal big-endian two's-complement bytes of an integer (java.math.BigInteger#toByteArray). */
export function twosComplement(value: bigint): Uint8Array {
  let byteLength = 1;
  while (value < -(1n << BigInt(8 * byteLength - 1)) || value >= 1n << BigInt(8 * byteLength - 1)) byteLength++;
  const modulus = 1n << BigInt(8 * byteLength);
  let unsigned = value < 0n ? value + modulus : value;
  const bytes = new Uint8Array(byteLength);
  for (let i = byteLength - 1; i >= 0; i--) {
    bytes[i] = Number(unsigned & 0xffn);
    unsigned >>= 8n;
  }
  return bytes;
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64');
}

/** Decimal wire form: base64 of the unscaled value of `text` at `scale`. */
export function decimalWire(text: string, scale: number): string {
  const negative = text.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? text.slice(1) : text).split('.');
  if (fraction.length > scale) throw new Error(`${text} has more than ${scale} fraction digits`);
  const unscaled = BigInt(whole + fraction.padEnd(scale, '0'));
  return base64(twosComplement(negative ? -unscaled : unscaled));
}

export function epochDay(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(0, 0, 0, 0);
  return Math.round(date.getTime() / 86_400_000);
}

/** A seeded PRNG (mulberry32): test data is reproducible from the printed seed. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
