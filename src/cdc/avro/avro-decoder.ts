/**
 * Decodes Debezium change events in the Confluent Avro wire format (AvroConverter, or Apicurio's
 * converter in Confluent-compatible mode) into the same DecodeResults as the JSON decoder
 * (src/cdc/decode.ts): the Avro writer schema becomes the Kafka Connect schema it was made from
 * (connect-schema-from-avro.ts) and the datum is read into JsonConverter's value shapes
 * (json-shaped-avro-type.ts), so both formats share the compiled schemas and column converters —
 * same LogicalTypes, same values, same TableSchema fingerprints — and the same envelope rules
 * (../envelope-event.ts: skips, op, source, truncate, delete/upsert assembly).
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
import { type CompiledKeySchema, type CompiledValueSchema, compileKeySchema, compileValueSchema, convertRow, tableSchemaFor } from '../compiled-schema.ts';
import { ValueMismatch } from '../conversion-errors.ts';
import type { DecodeInput } from '../decode.ts';
import { type EnvelopeTopicState, isObject, keySchemaFromRow, readEnvelope, rowEvent, SKIP_TOMBSTONE, tableFromTopic } from '../envelope-event.ts';
import { JsonSyntaxError, parseLosslessJson } from '../lossless-json.ts';
import { DEFAULT_UNAVAILABLE_VALUE_PLACEHOLDER, type ToastPlaceholders, toastPlaceholders } from '../toast.ts';
import type { DecodeResult, Row } from '../types.ts';
import { CONFLUENT_HEADER_BYTES, type FrameRole, peekSchemaId, readConfluentSchemaId } from './confluent-frame.ts';
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

interface TopicState extends EnvelopeTopicState {
  /** Key schemas synthesised for JSON keys: per value schema, per key field list. */
  readonly jsonKeys: WeakMap<CompiledValueSchema, Map<string, CompiledKeySchema>>;
}

function fail(code: string, message: string): never {
  throw new DecodeError(code, message);
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
    keySchema = keySchemaFromRow(compiled, names);
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
    const schemaId = readConfluentSchemaId(bytes, role);
    const schema = loadedSchema(schemaId, role);
    let datum: unknown;
    try {
      // decode() reads the datum in place (fromBuffer would need a Buffer view of the body per
      // message); it reports a short datum as offset -1 and leaves trailing bytes to the caller,
      // so both checks of fromBuffer are made here, with its messages.
      const read = schema.type.decode(bytes, CONFLUENT_HEADER_BYTES);
      if (read.offset < 0) throw new Error('truncated buffer');
      if (read.offset < bytes.length) throw new Error('trailing data');
      datum = read.value;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      fail('avro.malformed_datum', `record ${role} does not decode with schema id ${schemaId}: ${reason}`);
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

  function decodeRecord(record: DecodeInput): DecodeResult {
    const valueBytes = record.value;
    if (valueBytes === null || valueBytes.length === 0) return SKIP_TOMBSTONE;
    const state = topicState(record.topic);
    const value = readDatum(valueBytes, 'value');
    const payload = value.datum;
    if (payload === null) return SKIP_TOMBSTONE;
    if (!isObject(payload)) fail('cdc.not_change_event', 'the record value is not an Avro record');
    const compiled = compiledValue(value.schema);
    const envelope = readEnvelope(state, record, payload, compiled, null);
    if (envelope.kind !== 'row') return envelope;

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
    return rowEvent(envelope, compiled, tableSchemaFor(compiled, keySchema), keyRow);
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
