/**
 * Decodes Debezium change events written by the Kafka Connect JsonConverter into ChangeEvents
 * (src/cdc/types.ts), exactly: decimals and 64-bit integers never pass through a JS float.
 *
 * Contract:
 * - `decode` returns a change, or a skip for records that carry no row change (tombstones,
 *   heartbeats, transaction metadata, schema-change records, logical-decoding messages), and
 *   throws DecodeError for anything undecodable; its `code` is stable and its message says what
 *   is wrong (the pipeline dead-letters the record with it). Codes:
 *     cdc.invalid_utf8      the key or value is not valid UTF-8
 *     cdc.malformed_json    not JSON
 *     cdc.invalid_schema    the embedded schema is not a Kafka Connect schema
 *     cdc.not_change_event  valid JSON, but not a Debezium envelope nor a known control record
 *     cdc.unknown_op        `op` is not one of c, u, d, r, t, m
 *     cdc.value_mismatch    a value does not fit its schema (names the column)
 *     cdc.missing_row       c/u/r without an `after` image
 *     cdc.missing_key       a delete whose key cannot be determined
 *     cdc.invalid_key       the message key is not a struct, or names a column the row lacks
 *     cdc.unexpected        a decoder fault (a bug): reported with the cause, never swallowed
 * - Both JsonConverter settings: `schemas.enable=true` ({schema, payload}) and `false` (payload
 *   only; see schemaless.ts for what can and cannot be known without a schema). The default,
 *   'auto', recognises the envelope per message.
 *
 * Speed: for one table version the schema text is the same in every record. The decoder keeps
 * the bytes up to `"payload":` per topic (frame.ts) and recognises the next record by comparing
 * bytes; only the payload is parsed, with JSON.parse. Compiled schemas live in a bounded LRU
 * keyed by schema text. An integer JSON.parse rounded (beyond 2^53) gets its digits back from the
 * payload text (exact-integers.ts); when that is ambiguous, or for a decimal written as a JSON
 * number, the record is converted again from a lossless parse (lossless-json.ts).
 */
import { isUtf8 } from 'node:buffer';
import { DecodeError } from '../errors.ts';
import { type CompiledKeySchema, type CompiledValueSchema, compileKeySchema, compileValueSchema, convertRow, tableSchemaFor } from './compiled-schema.ts';
import { parseConnectSchema } from './connect-schema.ts';
import { NEEDS_LOSSLESS_PARSE, ValueMismatch } from './conversion-errors.ts';
import {
  type EnvelopeTopicState,
  isObject,
  keySchemaFromRow,
  type RowEnvelope,
  readEnvelope,
  rowEvent,
  rowsEqual,
  SKIP_TOMBSTONE,
  tableFromTopic,
} from './envelope-event.ts';
import { ExactIntegers } from './exact-integers.ts';
import { lastNonWhitespace, scanSchemaFrame } from './frame.ts';
import { JsonSyntaxError, parseLosslessJson, stringifyLosslessJson } from './lossless-json.ts';
import { LruCache } from './schema-cache.ts';
import { SchemalessTables } from './schemaless.ts';
import { DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER, type ToastPlaceholders, toastPlaceholders } from './toast.ts';
import type { DecodeResult, Row, TableSchema, Value } from './types.ts';

export interface DecoderOptions {
  /**
   * 'auto' (default): a message shaped `{"schema":…,"payload":…}` is an envelope, anything else is
   * a bare payload. 'embedded': every message must be an envelope. 'none': messages are payloads
   * (use when a table could have exactly the columns "schema" and "payload").
   */
  readonly schemas?: 'auto' | 'embedded' | 'none';
  /** Compiled schemas kept (per value and per key); least recently used are dropped. Default 256. */
  readonly schemaCacheSize?: number;
  /** Debezium's `unavailable.value.placeholder`. Default '__debezium_unavailable_value'. */
  readonly unavailableValuePlaceholder?: string;
  /** The int/bigint array TOAST placeholder; default: the placeholder's UTF-8 byte values. */
  readonly unavailableNumberArrayPlaceholder?: readonly number[];
}

export interface DecodeInput {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Broker timestamp (ms); the fallback for source.ts_ms. */
  readonly timestamp?: number;
}

export interface Decoder {
  decode(record: DecodeInput): DecodeResult;
}

const FRAMES_PER_TOPIC = 4;
const LOSSLESS_RECHECK = 64;
const UTF8_REPLACEMENT = '\uFFFD';

interface Frame<T> {
  readonly prefix: Buffer;
  readonly compiled: T;
}

interface Message<T> {
  /** null: the message had no schema (schemas.enable=false, or "schema": null). */
  readonly compiled: T | null;
  readonly payload: unknown;
  /** For a JSON.parse payload: recovers integers it rounded. null after a lossless parse. */
  readonly exact: ExactIntegers | null;
}

interface TopicState extends EnvelopeTopicState {
  readonly valueFrames: Frame<CompiledValueSchema>[];
  readonly keyFrames: Frame<CompiledKeySchema>[];
  /** Key schemas synthesised from a bare key payload for a value that has a schema. */
  readonly bareKeys: LruCache<string, CompiledKeySchema>;
  readonly schemaless: SchemalessTables;
  /**
   * The last record of this topic needed the lossless parse (e.g. a bigint key beyond 2^53 in
   * every row): start with it instead of parsing twice; every LOSSLESS_RECHECK-th record tries
   * JSON.parse again so the topic returns to the fast path when the big numbers stop.
   */
  preferLossless: boolean;
  losslessRecords: number;
}

type MessageRole = 'key' | 'value';

function fail(code: string, message: string, cause?: unknown): never {
  throw new DecodeError(code, message, cause === undefined ? undefined : { cause });
}

export function createDecoder(options: DecoderOptions = {}): Decoder {
  const mode = options.schemas ?? 'auto';
  const placeholders: ToastPlaceholders = toastPlaceholders(
    options.unavailableValuePlaceholder ?? DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER,
    options.unavailableNumberArrayPlaceholder,
  );
  const cacheSize = options.schemaCacheSize ?? 256;
  const valueSchemas = new LruCache<string, CompiledValueSchema>(cacheSize);
  const keySchemas = new LruCache<string, CompiledKeySchema>(cacheSize);
  const topics = new Map<string, TopicState>();

  const compileValue = (json: unknown): CompiledValueSchema =>
    compileValueSchema(parseConnectSchema(json, 'value schema'), placeholders);
  const compileKey = (json: unknown): CompiledKeySchema => compileKeySchema(parseConnectSchema(json, 'key schema'), placeholders);

  function topicState(topic: string): TopicState {
    let state = topics.get(topic);
    if (state === undefined) {
      state = {
        valueFrames: [],
        keyFrames: [],
        topicTable: tableFromTopic(topic),
        lastSourceTable: null,
        lastKeyByValue: new WeakMap(),
        bareKeys: new LruCache(16),
        schemaless: new SchemalessTables(placeholders),
        preferLossless: false,
        losslessRecords: 0,
      };
      topics.set(topic, state);
    }
    return state;
  }

  function requireUtf8(bytes: Buffer, role: MessageRole): void {
    if (!isUtf8(bytes)) fail('cdc.invalid_utf8', `the record ${role} is not valid UTF-8`);
  }

  function parseText(text: string, lossless: boolean, role: MessageRole): unknown {
    try {
      return lossless ? parseLosslessJson(text) : JSON.parse(text);
    } catch (error) {
      if (error instanceof SyntaxError || error instanceof JsonSyntaxError) {
        return fail('cdc.malformed_json', `the record ${role} is not valid JSON: ${error.message}`);
      }
      throw error;
    }
  }

  /**
   * The message whose payload follows a frame prefix, or undefined when the bytes after the prefix
   * are not exactly `<payload>}` (the general path then parses the whole message and reports).
   */
  function messageAfterPrefix<T>(bytes: Buffer, start: number, compiled: T, lossless: boolean): Message<T> | undefined {
    const close = lastNonWhitespace(bytes);
    if (close <= start || bytes[close] !== 0x7d) return undefined;
    const text = bytes.toString('utf8', start, close);
    // Invalid UTF-8 decodes to U+FFFD; only then is the exact (slower) check needed.
    if (text.includes(UTF8_REPLACEMENT) && !isUtf8(bytes.subarray(start, close))) return undefined;
    try {
      if (lossless) return { compiled, payload: parseLosslessJson(text), exact: null };
      return { compiled, payload: JSON.parse(text), exact: new ExactIntegers(text) };
    } catch {
      return undefined;
    }
  }

  function compileCached<T>(cache: LruCache<string, T>, text: string, json: unknown, compile: (json: unknown) => T): T {
    let compiled = cache.get(text);
    if (compiled === undefined) {
      compiled = compile(json);
      cache.set(text, compiled);
    }
    return compiled;
  }

  function readMessage<T>(
    bytes: Buffer,
    role: MessageRole,
    frames: Frame<T>[],
    cache: LruCache<string, T>,
    compile: (json: unknown) => T,
    lossless: boolean,
  ): Message<T> {
    if (mode !== 'none') {
      for (let i = 0; i < frames.length; i++) {
        const frame = frames[i]!;
        const n = frame.prefix.length;
        if (bytes.length > n && bytes.compare(frame.prefix, 0, n, 0, n) === 0) {
          const message = messageAfterPrefix(bytes, n, frame.compiled, lossless);
          if (message === undefined) break;
          if (i > 0) {
            frames.splice(i, 1);
            frames.unshift(frame);
          }
          return message;
        }
      }
      const scanned = scanSchemaFrame(bytes);
      // Only an object can be a Connect schema; `"schema":null` (schemas on, data without one) and
      // a bare payload that happens to have a "schema" column go to the general path.
      if (scanned !== null && bytes[scanned.schemaStart] === 0x7b) {
        requireUtf8(bytes, role);
        const schemaText = bytes.toString('utf8', scanned.schemaStart, scanned.schemaEnd);
        let compiled = cache.get(schemaText);
        if (compiled === undefined) {
          compiled = compile(parseText(schemaText, false, role));
          cache.set(schemaText, compiled);
        }
        const message = messageAfterPrefix(bytes, scanned.payloadStart, compiled, lossless);
        if (message !== undefined) {
          frames.unshift({ prefix: Buffer.from(bytes.subarray(0, scanned.payloadStart)), compiled });
          if (frames.length > FRAMES_PER_TOPIC) frames.pop();
          return message;
        }
      }
    }
    requireUtf8(bytes, role);
    const text = bytes.toString('utf8');
    const parsed = parseText(text, lossless, role);
    const exact = lossless ? null : new ExactIntegers(text);
    if (mode !== 'none' && isEnvelope(parsed)) {
      const schema = parsed['schema'];
      if (schema === null) return { compiled: null, payload: parsed['payload'], exact };
      return { compiled: compileCached(cache, stringifyLosslessJson(schema), schema, compile), payload: parsed['payload'], exact };
    }
    if (mode === 'embedded') {
      fail('cdc.not_change_event', `the record ${role} is not a {"schema":…,"payload":…} envelope (schemas.enable=true expected)`);
    }
    return { compiled: null, payload: parsed, exact };
  }

  function isEnvelope(parsed: unknown): parsed is Record<string, unknown> {
    if (!isObject(parsed)) return false;
    const keys = Object.keys(parsed);
    if (keys.length !== 2 || !('schema' in parsed) || !('payload' in parsed)) return false;
    const schema = parsed['schema'];
    return schema === null || (isObject(schema) && typeof schema['type'] === 'string');
  }

  function decodeRecord(record: DecodeInput, lossless: boolean): DecodeResult {
    const valueBytes = record.value;
    if (valueBytes === null || valueBytes.length === 0) return SKIP_TOMBSTONE;
    const state = topicState(record.topic);
    const value = readMessage(valueBytes, 'value', state.valueFrames, valueSchemas, compileValue, lossless);
    const payload = value.payload;
    if (payload === null) return SKIP_TOMBSTONE;
    if (!isObject(payload)) fail('cdc.not_change_event', 'the record value payload is not a JSON object');

    const compiled = value.compiled;
    const envelope = readEnvelope(state, record, payload, compiled, value.exact);
    if (envelope.kind !== 'row') return envelope;

    const keyBytes = record.key;
    const key =
      keyBytes === null || keyBytes.length === 0
        ? null
        : readMessage(keyBytes, 'key', state.keyFrames, keySchemas, compileKey, lossless);

    if (compiled !== null) return withSchema(state, compiled, envelope, key);
    return withoutSchema(state, envelope, key);
  }

  function keySchemaFor(state: TopicState, compiled: CompiledValueSchema, key: Message<CompiledKeySchema> | null): CompiledKeySchema | null {
    if (key === null) return state.lastKeyByValue.get(compiled) ?? null;
    if (!isObject(key.payload)) fail('cdc.invalid_key', 'the message key payload is not a JSON object');
    let keySchema = key.compiled;
    if (keySchema === null) {
      // A bare key (key converter without schemas) for a value with a schema: type its fields
      // with the row's columns.
      const names = Object.keys(key.payload);
      const signature = JSON.stringify(names);
      keySchema = state.bareKeys.get(signature) ?? null;
      if (keySchema === null || keySchema.row.columns.some((column, i) => compiled.row!.byName.get(names[i]!) !== column)) {
        keySchema = keySchemaFromRow(compiled, names);
        state.bareKeys.set(signature, keySchema);
      }
    }
    state.lastKeyByValue.set(compiled, keySchema);
    return keySchema;
  }

  function withSchema(state: TopicState, compiled: CompiledValueSchema, envelope: RowEnvelope, key: Message<CompiledKeySchema> | null): DecodeResult {
    const keySchema = keySchemaFor(state, compiled, key);
    const schema: TableSchema = tableSchemaFor(compiled, keySchema);
    const keyRow: Row | null = key !== null && keySchema !== null ? convertRow(keySchema.row, key.payload, key.exact) : null;
    return rowEvent(envelope, compiled, schema, keyRow);
  }

  function withoutSchema(state: TopicState, envelope: RowEnvelope, key: Message<CompiledKeySchema> | null): DecodeResult {
    const { op, payload, exact, sourceTable, source, position, sizeBytes } = envelope;
    const tables = state.schemaless;
    let keyRow: Map<string, Value> | null = null;
    if (key !== null) {
      if (key.compiled !== null) keyRow = convertRow(key.compiled.row, key.payload, key.exact);
      else keyRow = tables.convertImage(key.payload, 'the message key', key.exact).values;
      tables.lastKeyNames = [...keyRow.keys()];
    }
    const keyNames = keyRow !== null ? [...keyRow.keys()] : tables.lastKeyNames;

    if (op === 'd') {
      let deleteKey: Map<string, Value> | null = keyRow;
      const before = payload['before'];
      if (deleteKey === null && keyNames.length > 0 && isObject(before)) {
        const image = tables.convertImage(before, '"before"', exact).values;
        if (keyNames.every((name) => image.has(name))) deleteKey = new Map<string, Value>(keyNames.map((name) => [name, image.get(name) as Value]));
      }
      if (deleteKey === null || deleteKey.size === 0) {
        fail('cdc.missing_key', 'delete without a key: the message key is null and no key columns are known for this topic');
      }
      const columns = isObject(before) ? tables.convertImage(before, '"before"', exact).columns : [];
      const schema = tables.schemaForDelete(columns, keyNames);
      return { kind: 'change', event: { kind: 'delete', op, sourceTable, schema, source, position, sizeBytes, key: deleteKey } };
    }

    const after = payload['after'];
    if (after === null || after === undefined) fail('cdc.missing_row', `op "${op}" without an "after" image`);
    const image = tables.convertImage(after, '"after"', exact);
    for (const name of keyNames) {
      if (!image.values.has(name)) fail('cdc.invalid_key', `key field ${JSON.stringify(name)} is not a column of the row`);
    }
    const schema = tables.tableSchema(image.columns, keyNames);
    const eventKey: Row = keyRow ?? new Map<string, Value>(keyNames.map((name) => [name, image.values.get(name) as Value]));
    let previousKey: Row | null = null;
    const before = payload['before'];
    if (op === 'u' && isObject(before) && keyNames.length > 0) {
      const beforeValues = tables.convertImage(before, '"before"', exact).values;
      if (keyNames.every((name) => beforeValues.has(name))) {
        const beforeKey = new Map<string, Value>(keyNames.map((name) => [name, beforeValues.get(name) as Value]));
        if (!rowsEqual(beforeKey, eventKey)) previousKey = beforeKey;
      }
    }
    return {
      kind: 'change',
      event: { kind: 'upsert', op, sourceTable, schema, source, position, sizeBytes, key: eventKey, row: image.values, previousKey },
    };
  }

  function decodeExactly(record: DecodeInput): DecodeResult {
    const state = topicState(record.topic);
    if (state.preferLossless && ++state.losslessRecords % LOSSLESS_RECHECK !== 0) return decodeRecord(record, true);
    try {
      const result = decodeRecord(record, false);
      state.preferLossless = false;
      return result;
    } catch (error) {
      if (error !== NEEDS_LOSSLESS_PARSE) throw error;
      state.preferLossless = true;
      return decodeRecord(record, true);
    }
  }

  function decode(record: DecodeInput): DecodeResult {
    try {
      return decodeExactly(record);
    } catch (error) {
      if (error instanceof DecodeError) throw error;
      if (error instanceof ValueMismatch) throw new DecodeError('cdc.value_mismatch', error.message);
      const reason = error instanceof Error ? error.message : String(error);
      throw new DecodeError('cdc.unexpected', `decoder fault: ${reason}`, { cause: error });
    }
  }

  return { decode };
}
