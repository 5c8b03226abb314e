/**
 * Test helper: turns a JsonConverter record (schemas.enable=true) into the Confluent Avro form of
 * the same Connect data, as Kafka Connect's AvroConverter would write it (AvroData#fromConnectSchema:
 * struct → record with `connect.name`, optional → ["null", T] with default null, int8/int16 → int
 * with `connect.type`, `connect.parameters`/`connect.version`, Decimal → bytes with logicalType
 * decimal), and registers the schemas in an in-memory registry. Encoding uses plain avsc types
 * (plus a bigint long), independent of src/cdc/avro's reading types.
 */
import avro from 'avsc';
import { writeConfluentFrame } from '../../../src/cdc/avro/confluent-frame.ts';
import { type RegistrySchema, type SchemaRegistryClient, SchemaNotFoundError } from '../../../src/cdc/avro/registry-client.ts';
import { JsonNumberText, parseLosslessJson } from '../../../src/cdc/lossless-json.ts';

type Json = unknown;
type AvroSchema = string | readonly unknown[] | Record<string, unknown>;

/** A registry held in memory: ids in registration order from 1, the same text → the same id. */
export class InMemoryRegistry implements SchemaRegistryClient {
  readonly byId = new Map<number, RegistrySchema>();
  private readonly byText = new Map<string, number>();
  fetches = 0;

  register(schema: AvroSchema, schemaType = 'AVRO'): number {
    const text = JSON.stringify(schema);
    let id = this.byText.get(text);
    if (id === undefined) {
      id = this.byId.size + 1;
      this.byText.set(text, id);
      this.byId.set(id, { schemaType, schema: text });
    }
    return id;
  }

  async fetchSchema(id: number): Promise<RegistrySchema> {
    this.fetches++;
    const found = this.byId.get(id);
    if (found === undefined) throw new SchemaNotFoundError(id);
    return found;
  }
}

const bigLong = avro.types.LongType.__with({
  fromBuffer: (buffer: Buffer) => buffer.readBigInt64LE(0),
  toBuffer: (value: bigint) => {
    const buffer = Buffer.alloc(8);
    buffer.writeBigInt64LE(value, 0);
    return buffer;
  },
  fromJSON: (json: unknown) => BigInt(json as number),
  toJSON: (value: bigint) => Number(value),
  isValid: (value: unknown) => typeof value === 'bigint',
  compare: (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0),
});

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumberText);
}

function avroName(connectName: string | undefined, fallback: string): string {
  const name = (connectName ?? fallback).replace(/[^A-Za-z0-9_.]/g, '_');
  return name.split('.').map((part) => (/^[0-9]/.test(part) ? `_${part}` : part)).join('.');
}

/** Connect schema JSON (as the JsonConverter writes it) → Avro schema, AvroData-style. */
function avroSchemaOf(connect: Record<string, unknown>, defined: Set<string>, fallbackName: string): AvroSchema {
  const type = String(connect['type']).toLowerCase();
  const name = typeof connect['name'] === 'string' ? connect['name'] : undefined;
  const parameters = isRecord(connect['parameters']) ? (connect['parameters'] as Record<string, string>) : undefined;
  const props: Record<string, unknown> = {};
  if (name !== undefined) props['connect.name'] = name;
  if (typeof connect['version'] === 'number') props['connect.version'] = connect['version'];
  if (parameters !== undefined) props['connect.parameters'] = parameters;
  let schema: AvroSchema;
  switch (type) {
    case 'struct': {
      const fullName = avroName(name, fallbackName);
      if (defined.has(fullName)) {
        schema = fullName;
        break;
      }
      defined.add(fullName);
      const fields = (connect['fields'] as Record<string, unknown>[]).map((field) => {
        const fieldName = String(field['field']);
        const fieldSchema = avroSchemaOf(field, defined, `${fullName}_${fieldName}`);
        return field['optional'] === true ? { name: fieldName, type: fieldSchema, default: null } : { name: fieldName, type: fieldSchema };
      });
      schema = { type: 'record', name: fullName, fields, ...props };
      break;
    }
    case 'array':
      schema = { type: 'array', items: avroSchemaOf(connect['items'] as Record<string, unknown>, defined, `${fallbackName}_items`), ...props };
      break;
    case 'map':
      schema = { type: 'map', values: avroSchemaOf(connect['values'] as Record<string, unknown>, defined, `${fallbackName}_values`), ...props };
      break;
    case 'int8':
    case 'int16':
      schema = { type: 'int', 'connect.type': type, ...props };
      break;
    case 'int32':
      schema = { type: 'int', ...props };
      break;
    case 'int64':
      schema = { type: 'long', ...props };
      break;
    case 'float':
    case 'float32':
      schema = { type: 'float', ...props };
      break;
    case 'double':
    case 'float64':
      schema = { type: 'double', ...props };
      break;
    case 'boolean':
    case 'string':
      schema = { type, ...props };
      break;
    case 'bytes':
      schema =
        name === 'org.apache.kafka.connect.data.Decimal'
          ? {
              type: 'bytes',
              scale: Number(parameters?.['scale'] ?? 0),
              precision: Number(parameters?.['connect.decimal.precision'] ?? 64),
              logicalType: 'decimal',
              ...props,
            }
          : { type: 'bytes', ...props };
      break;
    default:
      throw new Error(`transcoder: unsupported Connect type ${type}`);
  }
  return connect['optional'] === true ? ['null', schema] : schema;
}

/** Connect JSON value → the datum plain avsc types (with bigint longs) write. */
function avroValueOf(connect: Record<string, unknown>, value: Json): unknown {
  if (value === null || value === undefined) return null;
  const type = String(connect['type']).toLowerCase();
  switch (type) {
    case 'struct': {
      const out: Record<string, unknown> = {};
      for (const field of connect['fields'] as Record<string, unknown>[]) {
        out[String(field['field'])] = avroValueOf(field, (value as Record<string, unknown>)[String(field['field'])]);
      }
      return out;
    }
    case 'array':
      return (value as Json[]).map((item) => avroValueOf(connect['items'] as Record<string, unknown>, item));
    case 'map': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) out[key] = avroValueOf(connect['values'] as Record<string, unknown>, item);
      return out;
    }
    case 'int64':
      return BigInt(value instanceof JsonNumberText ? value.text : (value as number));
    case 'int8':
    case 'int16':
    case 'int32':
      return value instanceof JsonNumberText ? Number(value.text) : value;
    case 'float':
    case 'float32':
    case 'double':
    case 'float64':
      if (value === 'NaN') return Number.NaN;
      if (value === 'Infinity') return Number.POSITIVE_INFINITY;
      if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
      return value instanceof JsonNumberText ? Number(value.text) : value;
    case 'bytes':
      return Buffer.from(value as string, 'base64');
    default:
      return value;
  }
}

/** Transcodes JsonConverter key/value bytes into Confluent-framed Avro, registering schemas. */
const SCHEMA_OPENING = '{"schema":';
const PAYLOAD_JOIN = ',"payload":';

export class AvroTranscoder {
  private readonly types = new Map<number, avro.Type>();
  private readonly bySchemaText = new Map<string, { id: number; type: avro.Type; connect: Record<string, unknown> }>();

  constructor(readonly registry: InMemoryRegistry = new InMemoryRegistry()) {}

  /** null/empty (tombstone) stays as it is. */
  transcode(json: Buffer | null): Buffer | null {
    if (json === null || json.length === 0) return json;
    const text = json.toString('utf8');
    // The schema text repeats for every record of a table version (the benchmarks transcode
    // millions): when the record is laid out as {"schema":…,"payload":…}, the schema is
    // looked up by its text and only the payload is parsed.
    const split = text.startsWith(SCHEMA_OPENING) ? text.indexOf(PAYLOAD_JOIN) : -1;
    if (split > 0 && text.endsWith('}')) {
      const schemaText = text.slice(SCHEMA_OPENING.length, split);
      let known = this.bySchemaText.get(schemaText);
      if (known === undefined) {
        const parsed = parseLosslessJson(text);
        if (!isRecord(parsed) || !isRecord(parsed['schema'])) throw new Error('transcoder: expects {"schema": {...}, "payload": ...}');
        // The first `,"payload":` ends the schema unless a schema parameter holds that text.
        if (JSON.stringify(parseLosslessJson(schemaText)) !== JSON.stringify(parsed['schema'])) throw new Error('transcoder: the schema text contains ,"payload":');
        known = this.prepare(parsed['schema'] as Record<string, unknown>);
        this.bySchemaText.set(schemaText, known);
      }
      const payload = parseLosslessJson(text.slice(split + PAYLOAD_JOIN.length, -1));
      return writeConfluentFrame(known.id, known.type.toBuffer(avroValueOf(known.connect, payload)));
    }
    const parsed = parseLosslessJson(text);
    if (!isRecord(parsed) || !isRecord(parsed['schema'])) throw new Error('transcoder: expects {"schema": {...}, "payload": ...}');
    const known = this.prepare(parsed['schema'] as Record<string, unknown>);
    return writeConfluentFrame(known.id, known.type.toBuffer(avroValueOf(known.connect, parsed['payload'])));
  }

  private prepare(connectSchema: Record<string, unknown>): { id: number; type: avro.Type; connect: Record<string, unknown> } {
    const connect = { ...connectSchema, optional: false };
    const schema = avroSchemaOf(connect, new Set(), 'ConnectDefault');
    const id = this.registry.register(schema);
    let type = this.types.get(id);
    if (type === undefined) {
      type = avro.Type.forSchema(schema as avro.Schema, {
        wrapUnions: 'auto',
        typeHook: (s: avro.Schema) => (s === 'long' || (typeof s === 'object' && s !== null && 'type' in s && s.type === 'long') ? bigLong : undefined),
      });
      this.types.set(id, type);
    }
    return { id, type, connect };
  }

  /** The framed datum of an explicit Avro schema (registered) and value. */
  encode(schema: AvroSchema, value: unknown): Buffer {
    const id = this.registry.register(schema);
    const type = avro.Type.forSchema(schema as avro.Schema, { wrapUnions: 'auto', typeHook: (s: avro.Schema) => (s === 'long' ? bigLong : undefined) });
    return writeConfluentFrame(id, type.toBuffer(value));
  }
}
