/**
 * The Debezium envelope rules, once for every wire format: a decoder (decode.ts for JSON,
 * avro/avro-decoder.ts for Avro) turns its bytes into the envelope struct in JsonConverter's value
 * shapes plus its compiled value schema, and these two steps make the DecodeResult:
 *
 * 1. `readEnvelope`: skips (heartbeat, schema-change, transaction and logical-decoding records,
 *    Debezium control records without a schema), the op (unknown → cdc.unknown_op), the source
 *    table (source.schema/table, else the topic name), source position (ts_ms, lsn, txId,
 *    snapshot), the record position and size, and the whole truncate event. Anything else comes
 *    back as a `RowEnvelope` (op c, u, d or r).
 * 2. Between the steps the decoder reads the record key its own way and resolves the TableSchema
 *    (value schema + key schema, or the key last seen with this value schema).
 * 3. `rowEvent`: the delete (key from the message, else the key columns of `before`; none →
 *    cdc.missing_key) or upsert (`after` required, key from the message or `after`, previousKey
 *    when an update changed the key).
 *
 * Tombstones (a null value or payload) are the decoder's to detect, before step 1.
 */
import { DecodeError } from '../errors.ts';
import { type CompiledKeySchema, type CompiledValueSchema, convertColumns, convertRow, tableSchemaFor } from './compiled-schema.ts';
import { NEEDS_LOSSLESS_PARSE } from './conversion-errors.ts';
import type { DecodeInput } from './decode.ts';
import type { ExactIntegers } from './exact-integers.ts';
import { isIntegerLiteral, JsonNumberText } from './lossless-json.ts';
import type { SchemalessTables } from './schemaless.ts';
import type { DecodeResult, RecordPosition, Row, SourceInfo, SourceTable, TableSchema, Value } from './types.ts';

export const SKIP_TOMBSTONE: DecodeResult = Object.freeze({ kind: 'skip', reason: 'tombstone' });
const SKIP_HEARTBEAT: DecodeResult = Object.freeze({ kind: 'skip', reason: 'heartbeat' });
const SKIP_SCHEMA_CHANGE: DecodeResult = Object.freeze({ kind: 'skip', reason: 'schema-change' });
const SKIP_OTHER: DecodeResult = Object.freeze({ kind: 'skip', reason: 'other' });
const EMPTY_ROW: Row = new Map<string, Value>();

/** What the envelope rules remember per topic; each decoder's topic state includes it. */
export interface EnvelopeTopicState {
  /** Where the table is when `source` does not say: derived from the topic name. */
  readonly topicTable: SourceTable;
  lastSourceTable: SourceTable | null;
  /** Key schema last seen with each value schema, for deletes and truncates that arrive without a key. */
  readonly lastKeyByValue: WeakMap<CompiledValueSchema, CompiledKeySchema>;
  /** Records without a value schema (JSON with schemas.enable=false); absent where they cannot occur. */
  readonly schemaless?: SchemalessTables;
}

/** A c, u, d or r record whose envelope has been read; its key and row images are not converted yet. */
export interface RowEnvelope {
  readonly kind: 'row';
  readonly op: 'c' | 'u' | 'd' | 'r';
  readonly payload: Record<string, unknown>;
  /** For a JSON.parse payload: recovers integers it rounded. null when every number is exact. */
  readonly exact: ExactIntegers | null;
  readonly sourceTable: SourceTable;
  readonly source: SourceInfo;
  readonly position: RecordPosition;
  readonly sizeBytes: number;
}

function fail(code: string, message: string): never {
  throw new DecodeError(code, message);
}

/** A struct in JsonConverter's value shape (a JSON object; a lossless number is not one). */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof JsonNumberText);
}

/** A topic named prefix.schema.table (Debezium's default) → its parts; otherwise the whole name is the table. */
export function tableFromTopic(topic: string): SourceTable {
  const parts = topic.split('.');
  if (parts.length >= 3) return { database: null, schema: parts[parts.length - 2]!, table: parts[parts.length - 1]! };
  return { database: null, schema: null, table: topic };
}

/**
 * An int64 field of `source`, or null when absent or not an integer. A number JSON.parse rounded
 * gets its digits from `exact`; without `exact` (lossless JSON, Avro) a number is taken as it is.
 */
function readOptionalInt64(raw: unknown, exact: ExactIntegers | null): bigint | null {
  if (typeof raw === 'number') {
    if (Number.isSafeInteger(raw)) return BigInt(raw);
    if (!Number.isInteger(raw)) return null;
    if (exact === null) return BigInt(raw);
    const literal = exact.literalOf(raw);
    if (literal === undefined) throw NEEDS_LOSSLESS_PARSE;
    return BigInt(literal);
  }
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
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!valuesEqual(a[i], b[i])) return false;
    return true;
  }
  return typeof a === 'number' && typeof b === 'number' && Number.isNaN(a) && Number.isNaN(b);
}

/** Same columns, same values (NaN equals NaN, bytes by content): an update that kept its key. */
export function rowsEqual(a: Row, b: Row): boolean {
  if (a.size !== b.size) return false;
  for (const [name, value] of a) if (!valuesEqual(value, b.get(name))) return false;
  return true;
}

function sourceTableOf(state: EnvelopeTopicState, source: Record<string, unknown> | null): SourceTable {
  if (source === null) return state.topicTable;
  const rawTable = source['table'];
  if (typeof rawTable !== 'string') return state.topicTable;
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

function sourceInfoOf(
  source: Record<string, unknown> | null,
  payload: Record<string, unknown>,
  exact: ExactIntegers | null,
  op: 'c' | 'u' | 'd' | 'r' | 't',
  record: DecodeInput,
): SourceInfo {
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
    lsn: source === null ? null : readOptionalInt64(source['lsn'], exact),
    txId: source === null ? null : readOptionalInt64(source['txId'], exact),
    snapshot: op === 'r' || (source !== null && isSnapshotFlag(source['snapshot'])),
  };
}

/** Skip reason for a payload without schema and without `op`, or null when it is not a known control record. */
function controlRecordSkip(payload: Record<string, unknown>, topic: string): DecodeResult | null {
  if ('ddl' in payload || 'tableChanges' in payload) return SKIP_SCHEMA_CHANGE;
  if ('status' in payload && ('event_count' in payload || 'data_collections' in payload)) return SKIP_OTHER;
  const keys = Object.keys(payload);
  if (topic.startsWith('__debezium-heartbeat') || (keys.length === 1 && keys[0] === 'ts_ms')) return SKIP_HEARTBEAT;
  return null;
}

/**
 * Step 1: a skip, the truncate event, or the envelope of a row change. `compiled` is null for a
 * record without a value schema (then `state.schemaless` must be set).
 */
export function readEnvelope(
  state: EnvelopeTopicState,
  record: DecodeInput,
  payload: Record<string, unknown>,
  compiled: CompiledValueSchema | null,
  exact: ExactIntegers | null,
): DecodeResult | RowEnvelope {
  if (compiled !== null) {
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
        // PostgreSQL logical decoding messages have their own envelope (no before/after).
        if (payload['op'] === 'm') return SKIP_OTHER;
        fail('cdc.not_change_event', `value schema ${JSON.stringify(compiled.name)} is not a Debezium change event envelope`);
    }
  }

  const op = payload['op'];
  if (op === undefined && compiled === null) {
    const skip = controlRecordSkip(payload, record.topic);
    if (skip !== null) return skip;
    fail('cdc.not_change_event', 'the record value has no "op": not a Debezium change event');
  }
  if (op === 'm') return SKIP_OTHER;
  if (op !== 'c' && op !== 'u' && op !== 'd' && op !== 'r' && op !== 't') {
    fail('cdc.unknown_op', `unknown op ${JSON.stringify(op)}`);
  }

  const rawSource = payload['source'];
  const source = isObject(rawSource) ? rawSource : null;
  const sourceTable = sourceTableOf(state, source);
  const sourceInfo = sourceInfoOf(source, payload, exact, op, record);
  const position: RecordPosition = { topic: record.topic, partition: record.partition, offset: record.offset };
  const sizeBytes = (record.value === null ? 0 : record.value.length) + (record.key === null ? 0 : record.key.length);

  if (op === 't') {
    const schema =
      compiled !== null ? tableSchemaFor(compiled, state.lastKeyByValue.get(compiled) ?? null) : state.schemaless!.schemaForTruncate();
    return { kind: 'change', event: { kind: 'truncate', op, sourceTable, schema, source: sourceInfo, position, sizeBytes } };
  }
  return { kind: 'row', op, payload, exact, sourceTable, source: sourceInfo, position, sizeBytes };
}

/**
 * The key schema of a key without a schema of its own (a JsonConverter key without schemas, a JSON
 * key with Avro values): its fields typed with the row's columns of the same names.
 */
export function keySchemaFromRow(compiled: CompiledValueSchema, names: readonly string[]): CompiledKeySchema {
  const row = compiled.row!;
  const columns = names.map((name) => row.byName.get(name) ?? fail('cdc.invalid_key', `key field ${JSON.stringify(name)} is not a column of the row`));
  const columnSchemas = columns.map((column) => row.columnSchemas[row.columns.indexOf(column)]!);
  return { row: { columns, columnSchemas, byName: new Map(columns.map((column) => [column.name, column])) } };
}

/**
 * Step 3, for a record with a value schema: the delete or upsert event. `schema` is the table
 * schema the decoder resolved with the key schema; `keyRow` is the converted message key, or null
 * when the record has none.
 */
export function rowEvent(envelope: RowEnvelope, compiled: CompiledValueSchema, schema: TableSchema, keyRow: Row | null): DecodeResult {
  const { op, payload, exact, sourceTable, source, position, sizeBytes } = envelope;
  const row = compiled.row!;
  if (op === 'd') {
    const deleteKey = keyRow ?? (schema.key.length > 0 ? convertColumns(row, payload['before'], schema.key, exact) : null);
    if (deleteKey === null || deleteKey.size === 0) {
      fail('cdc.missing_key', 'delete without a key: the message key is null and no key columns are known for this table');
    }
    return { kind: 'change', event: { kind: 'delete', op, sourceTable, schema, source, position, sizeBytes, key: deleteKey } };
  }

  const after = payload['after'];
  if (after === null || after === undefined) fail('cdc.missing_row', `op "${op}" without an "after" image`);
  const values = convertRow(row, after, exact);
  let eventKey: Row = keyRow ?? EMPTY_ROW;
  if (keyRow === null && schema.key.length > 0) eventKey = convertColumns(row, after, schema.key, exact) ?? EMPTY_ROW;
  let previousKey: Row | null = null;
  const before = payload['before'];
  if (op === 'u' && before !== null && before !== undefined && schema.key.length > 0) {
    const beforeKey = convertColumns(row, before, schema.key, exact);
    if (beforeKey !== null && !rowsEqual(beforeKey, eventKey)) previousKey = beforeKey;
  }
  return {
    kind: 'change',
    event: { kind: 'upsert', op, sourceTable, schema, source, position, sizeBytes, key: eventKey, row: values, previousKey },
  };
}
