/**
 * Decodes Debezium change events in the Confluent Avro wire format (AvroConverter, or Apicurio's
 * converter in Confluent-compatible mode) into the same DecodeResults as the JSON decoder
 * (src/cdc/decode.ts): the Avro writer schema becomes the Kafka Connect schema it was made from
 * (connect-schema-from-avro.ts) and the datum is read into JsonConverter's value shapes
 * (json-shaped-avro-type.ts), so both formats share the compiled schemas and column converters —
 * same LogicalTypes, same values, same TableSchema fingerprints.
 *
 * Contract:
 * - `prepare(records, signal)` must be awaited before `decode` is called for those records: it
 *   fetches unknown schema ids (schema-store.ts; a registry outage blocks it with retries).
 * - `decode` is synchronous and throws DecodeError for records that can never be decoded:
 *     avro.bad_magic_byte       the key or value does not start with the Confluent magic byte 0
 *     avro.truncated_frame      shorter than the 5-byte header
 *     avro.unknown_schema_id    the registry answered 404 for the schema id
 *     avro.unsupported_schema   not an Avro schema, or one Kafka Connect cannot have written
 *     avro.malformed_datum      the bytes do not decode with the writer schema (truncated, trailing bytes)
 *   and the JSON decoder's codes for what follows decoding (cdc.not_change_event, cdc.unknown_op,
 *   cdc.value_mismatch, cdc.missing_row, cdc.missing_key, cdc.invalid_key, cdc.unexpected).
 * - Keys: Confluent Avro like the value, or JSON (a JsonConverter key with or without schema, or a
 *   StringConverter key holding JSON) — key.converter is often left at JSON while values are Avro.
 *   A JSON key's fields are typed with the row's columns of the same names (as the JSON decoder
 *   does for a bare key); a key that is neither is avro.bad_magic_byte.
 * - Schema evolution: every id is its own writer schema; records are read with the schema they were
 *   written with, and a new column set gives a new TableSchema (new fingerprint), as a new embedded
 *   schema does in JSON.
 */
import { DecodeError } from '../../errors.ts';
import {
  type CompiledKeySchema,
  type CompiledValueSchema,
  compileKeySchema,
  compileValueSchema,
  convertColumns,
  convertRow,
  tableSchemaFor,
} from '../compiled-schema.ts';
import { ValueMismatch } from '../conversion-errors.ts';
import type { DecodeInput } from '../decode.ts';
import { isIntegerLiteral, JsonNumberText, JsonSyntaxError, parseLosslessJson } from '../lossless-json.ts';
import { DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER, type ToastPlaceholders, toastPlaceholders } from '../toast.ts';
import type { DebeziumOp, DecodeResult, RecordPosition, Row, SourceInfo, SourceTable, TableSchema, Value } from '../types.ts';
import { type FrameRole, peekSchemaId, readConfluentFrame } from './confluent-frame.ts';
import type { LoadedSchema, SchemaStore } from './schema-store.ts';

export interface AvroDecoderOptions {
  readonly schemas: SchemaStore;
  /** Debezium's `unavailable.value.placeholder`. Default '__debezium_unavailable_value'. */
  readonly unavailableValuePlaceholder?: string;
}

export interface AvroDecoder {
  prepare(records: readonly DecodeInput[], signal?: AbortSignal): Promise<void>;
  decode(record: DecodeInput): DecodeResult;
}

const SKIP_TOMBSTONE: DecodeResult = Object.freeze({ kind: 'skip', reason: 'tombstone' });
const SKIP_HEARTBEAT: DecodeResult = Object.freeze({ kind: 'skip', reason: 'heartbeat' });
const SKIP_SCHEMA_CHANGE: DecodeResult = Object.freeze({ kind: 'skip', reason: 'schema-change' });
const SKIP_OTHER: DecodeResult = Object.freeze({ kind: 'skip', reason: 'other' });
const EMPTY_ROW: Row = new Map<string, Value>();

interface TopicState {
  readonly topicTable: SourceTable;
  /** Key schemas synthesised for JSON keys: per value schema, per key field list. */
  readonly jsonKeys: WeakMap<CompiledValueSchema, Map<string, CompiledKeySchema>>;
  lastSourceTable: SourceTable | null;
  /** Key schema last seen with each value schema, for deletes that arrive without a key. */
  readonly lastKeyByValue: WeakMap<CompiledValueSchema, CompiledKeySchema>;
}

function fail(code: string, message: string): never {
  throw new DecodeError(code, message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumberText);
}

/** A topic named prefix.schema.table (Debezium's default) → its parts; otherwise the whole name is the table. */
function tableFromTopic(topic: string): SourceTable {
  const parts = topic.split('.');
  if (parts.length >= 3) return { database: null, schema: parts[parts.length - 2]!, table: parts[parts.length - 1]! };
  return { database: null, schema: null, table: topic };
}

function optionalInt64(raw: unknown): bigint | null {
  if (typeof raw === 'number' && Number.isInteger(raw)) return BigInt(raw);
  if (raw instanceof JsonNumberText && isIntegerLiteral(raw)) return BigInt(raw.text);
  if (typeof raw === 'string' && /^-?[0-9]{1,20}$/.test(raw)) return BigInt(raw);
  return null;
}

function isSnapshotFlag(raw: unknown): boolean {
  if (raw === undefined || raw === null || raw === false) return false;
  return raw !== 'false';
}

function valuesEqual(a: Value | undefined, b: Value | undefined): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => valuesEqual(item, b[i]));
  return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
}

function rowsEqual(a: Row, b: Row): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (!valuesEqual(value, b.get(name))) return false;
  return true;
}

function firstNonSpace(bytes: Buffer): number | undefined {
  for (const byte of bytes) if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return byte;
  return undefined;
}

/** The fields of a JSON key: the payload of a {schema, payload} envelope, or the object itself. */
function jsonKeyPayload(bytes: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = parseLosslessJson(bytes.toString('utf8'));
  } catch (error) {
    if (error instanceof JsonSyntaxError) fail('cdc.malformed_json', `the record key is not Confluent Avro nor valid JSON: ${error.message}`);
    throw error;
  }
  if (isObject(parsed) && 'payload' in parsed && 'schema' in parsed && Object.keys(parsed).length === 2) parsed = parsed['payload'];
  if (!isObject(parsed)) fail('cdc.invalid_key', 'the JSON message key is not an object');
  return parsed;
}

/** A key schema typing the JSON key's fields with the row's columns of the same names. */
function jsonKeySchema(state: TopicState, compiled: CompiledValueSchema, names: readonly string[]): CompiledKeySchema {
  let byFields = state.jsonKeys.get(compiled);
  if (byFields === undefined) {
    byFields = new Map();
    state.jsonKeys.set(compiled, byFields);
  }
  const signature = JSON.stringify(names);
  let keySchema = byFields.get(signature);
  if (keySchema === undefined) {
    const row = compiled.row!;
    const columns = names.map((name) => row.byName.get(name) ?? fail('cdc.invalid_key', `key field ${JSON.stringify(name)} is not a column of the row`));
    const columnSchemas = columns.map((column) => row.columnSchemas[row.columns.indexOf(column)]!);
    keySchema = { row: { columns, columnSchemas, byName: new Map(columns.map((column) => [column.name, column])) } };
    byFields.set(signature, keySchema);
  }
  return keySchema;
}

export function createAvroDecoder(options: AvroDecoderOptions): AvroDecoder {
  const store = options.schemas;
  const placeholders: ToastPlaceholders = toastPlaceholders(options.unavailableValuePlaceholder ?? DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER);
  const topics = new Map<string, TopicState>();

  function topicState(topic: string): TopicState {
    let state = topics.get(topic);
    if (state === undefined) {
      state = { topicTable: tableFromTopic(topic), lastSourceTable: null, lastKeyByValue: new WeakMap(), jsonKeys: new WeakMap() };
      topics.set(topic, state);
    }
    return state;
  }

  function loadedSchema(id: number, role: FrameRole): LoadedSchema {
    const loaded = store.get(id);
    if (loaded !== undefined) return loaded;
    const unusable = store.unusableReason(id);
    if (unusable !== undefined) fail(unusable.code, `record ${role}: ${unusable.reason}`);
    // prepare() was not awaited for this record: a caller bug, reported (never guessed around).
    throw new Error(`schema id ${id} was not prepared before decode`);
  }

  function readDatum(bytes: Buffer, role: FrameRole): { schema: LoadedSchema; datum: unknown } {
    const frame = readConfluentFrame(bytes, role);
    const schema = loadedSchema(frame.schemaId, role);
    let datum: unknown;
    try {
      datum = schema.type.fromBuffer(frame.body);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      fail('avro.malformed_datum', `record ${role} does not decode with schema id ${frame.schemaId}: ${reason}`);
    }
    return { schema, datum };
  }

  function compiledValue(schema: LoadedSchema): CompiledValueSchema {
    schema.compiledValue ??= compileValueSchema(schema.connect, placeholders);
    return schema.compiledValue;
  }

  function compiledKey(schema: LoadedSchema): CompiledKeySchema {
    schema.compiledKey ??= compileKeySchema(schema.connect, placeholders);
    return schema.compiledKey;
  }

  function sourceTableOf(state: TopicState, source: Record<string, unknown> | null): SourceTable {
    const rawTable = source?.['table'];
    if (source === null || typeof rawTable !== 'string') return state.topicTable;
    const rawSchema = source['schema'];
    const rawDatabase = source['db'];
    const schema = typeof rawSchema === 'string' ? rawSchema : null;
    const database = typeof rawDatabase === 'string' ? rawDatabase : null;
    const last = state.lastSourceTable;
    if (last !== null && last.table === rawTable && last.schema === schema && last.database === database) return last;
    const table: SourceTable = { database, schema, table: rawTable };
    state.lastSourceTable = table;
    return table;
  }

  function sourceInfoOf(source: Record<string, unknown> | null, payload: Record<string, unknown>, op: DebeziumOp, record: DecodeInput): SourceInfo {
    const sourceTs = source === null ? undefined : source['ts_ms'];
    const envelopeTs = payload['ts_ms'];
    const tsMs =
      typeof sourceTs === 'number'
        ? sourceTs
        : typeof envelopeTs === 'number'
          ? envelopeTs
          : sourceTs instanceof JsonNumberText
            ? Number(sourceTs.text)
            : (record.timestamp ?? 0);
    return {
      tsMs,
      lsn: source === null ? null : optionalInt64(source['lsn']),
      txId: source === null ? null : optionalInt64(source['txId']),
      snapshot: op === 'r' || (source !== null && isSnapshotFlag(source['snapshot'])),
    };
  }

  function decodeRecord(record: DecodeInput): DecodeResult {
    const valueBytes = record.value;
    if (valueBytes === null || valueBytes.length === 0) return SKIP_TOMBSTONE;
    const state = topicState(record.topic);
    const value = readDatum(valueBytes, 'value');
    const payload = value.datum;
    if (payload === null) return SKIP_TOMBSTONE;
    if (!isObject(payload)) fail('cdc.not_change_event', 'the record value is not an Avro record');
    const compiled = compiledValue(value.schema);
    switch (compiled.kind) {
      case 'change':
        break;
      case 'heartbeat':
        return SKIP_HEARTBEAT;
      case 'schema-change':
        return SKIP_SCHEMA_CHANGE;
      case 'transaction':
        return SKIP_OTHER;
      default:
        if (payload['op'] === 'm') return SKIP_OTHER;
        fail('cdc.not_change_event', `value schema ${JSON.stringify(compiled.name)} is not a Debezium change event envelope`);
    }

    const op = payload['op'];
    if (op === 'm') return SKIP_OTHER;
    if (op !== 'c' && op !== 'u' && op !== 'd' && op !== 'r' && op !== 't') fail('cdc.unknown_op', `unknown op ${JSON.stringify(op)}`);

    const rawSource = payload['source'];
    const source = isObject(rawSource) ? rawSource : null;
    const sourceTable = sourceTableOf(state, source);
    const sourceInfo = sourceInfoOf(source, payload, op, record);
    const position: RecordPosition = { topic: record.topic, partition: record.partition, offset: record.offset };
    const sizeBytes = valueBytes.length + (record.key === null ? 0 : record.key.length);

    if (op === 't') {
      const schema = tableSchemaFor(compiled, state.lastKeyByValue.get(compiled) ?? null);
      return { kind: 'change', event: { kind: 'truncate', op, sourceTable, schema, source: sourceInfo, position, sizeBytes } };
    }

    let keySchema: CompiledKeySchema | null = state.lastKeyByValue.get(compiled) ?? null;
    let keyRow: Row | null = null;
    const keyBytes = record.key;
    if (keyBytes !== null && keyBytes.length > 0) {
      if (keyBytes[0] !== 0 && firstNonSpace(keyBytes) === 0x7b) {
        const payload = jsonKeyPayload(keyBytes);
        keySchema = jsonKeySchema(state, compiled, Object.keys(payload));
        keyRow = convertRow(keySchema.row, payload, null);
      } else {
        const key = readDatum(keyBytes, 'key');
        if (!isObject(key.datum)) fail('cdc.invalid_key', 'the message key is not an Avro record');
        keySchema = compiledKey(key.schema);
        keyRow = convertRow(keySchema.row, key.datum, null);
      }
      state.lastKeyByValue.set(compiled, keySchema);
    }
    const row = compiled.row!;
    const schema: TableSchema = tableSchemaFor(compiled, keySchema);

    if (op === 'd') {
      const deleteKey = keyRow ?? (schema.key.length > 0 ? convertColumns(row, payload['before'], schema.key, null) : null);
      if (deleteKey === null || deleteKey.size === 0) {
        fail('cdc.missing_key', 'delete without a key: the message key is null and no key columns are known for this table');
      }
      return { kind: 'change', event: { kind: 'delete', op, sourceTable, schema, source: sourceInfo, position, sizeBytes, key: deleteKey } };
    }

    const after = payload['after'];
    if (after === null || after === undefined) fail('cdc.missing_row', `op "${op}" without an "after" image`);
    const values = convertRow(row, after, null);
    let eventKey: Row = keyRow ?? EMPTY_ROW;
    if (keyRow === null && schema.key.length > 0) eventKey = convertColumns(row, after, schema.key, null) ?? EMPTY_ROW;
    let previousKey: Row | null = null;
    const before = payload['before'];
    if (op === 'u' && before !== null && before !== undefined && schema.key.length > 0) {
      const beforeKey = convertColumns(row, before, schema.key, null);
      if (beforeKey !== null && !rowsEqual(beforeKey, eventKey)) previousKey = beforeKey;
    }
    return {
      kind: 'change',
      event: { kind: 'upsert', op, sourceTable, schema, source: sourceInfo, position, sizeBytes, key: eventKey, row: values, previousKey },
    };
  }

  return {
    async prepare(records, signal) {
      const ids: number[] = [];
      for (const record of records) {
        const valueId = peekSchemaId(record.value);
        if (valueId !== null) ids.push(valueId);
        const keyId = peekSchemaId(record.key);
        if (keyId !== null) ids.push(keyId);
      }
      await store.prepare(ids, signal);
    },
    decode(record) {
      try {
        return decodeRecord(record);
      } catch (error) {
        if (error instanceof DecodeError) throw error;
        if (error instanceof ValueMismatch) throw new DecodeError('cdc.value_mismatch', error.message);
        const reason = error instanceof Error ? error.message : String(error);
        throw new DecodeError('cdc.unexpected', `decoder fault: ${reason}`, { cause: error });
      }
    },
  };
}
