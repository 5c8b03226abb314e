/**
 * Encodes one table's change events exactly as Debezium's PostgreSQL connector (3.6.1.Final)
 * followed by Kafka Connect's JsonConverter writes them, with `schemas.enable` true (an
 * envelope `{"schema":…,"payload":…}`) or false (the payload alone):
 *
 * - key: the primary-key struct, schema name `<prefix>.<schema>.<table>.Key`; null for truncate;
 * - value: the Envelope struct `<prefix>.<schema>.<table>.Envelope` (version 2) with fields
 *   before, after, source, transaction, op, ts_ms, ts_us, ts_ns; every field present (JsonConverter
 *   writes nulls), `transaction` null (transaction metadata off), `source.snapshot` "false";
 * - REPLICA IDENTITY DEFAULT: `before` is null on updates; on deletes it holds the key columns,
 *   the other columns null, or Debezium's fallback ("" / 0 / false …) when NOT NULL;
 * - unchanged TOASTed columns carry `__debezium_unavailable_value` (base64 of it for bytea).
 */
import type { Value } from '../cdc/types.ts';
import { type ConnectSchema, envelopeSchema, renderSchema } from './connect-schema.ts';
import { jsonString } from './json-text.ts';
import type { TableDefinition } from './table-definition.ts';

export interface EncoderOptions {
  /** topic.prefix (the logical server name): `source.name` and the topic's first part. */
  readonly topicPrefix: string;
  /** source.db */
  readonly database: string;
  /** JsonConverter schemas.enable for key and value. */
  readonly schemasEnabled: boolean;
  /** source.version */
  readonly connectorVersion: string;
}

/** Where and when a change happened at the source, and when the connector processed it. */
export interface SourceStamp {
  /** Commit time at the source, µs since the epoch (source.ts_ms/ts_us/ts_ns). */
  readonly sourceMicros: number;
  /** Connector processing time, µs since the epoch (envelope ts_ms/ts_us/ts_ns). */
  readonly processedMicros: number;
  /** Envelope ts_ns when known to the nanosecond (Debezium's clock has ns); default processedMicros × 1000. */
  readonly processedNanos?: bigint;
  readonly txId: bigint;
  readonly lsn: bigint;
  /** LSN of the last commit before this event (first element of source.sequence). */
  readonly lastCommitLsn: bigint | null;
  /** source.snapshot; default 'false' (streaming). */
  readonly snapshot?: SnapshotMarker;
}

/** io.debezium.connector.SnapshotRecord, as written in source.snapshot. */
export type SnapshotMarker = 'true' | 'first' | 'first_in_data_collection' | 'last_in_data_collection' | 'last' | 'false';

/** One column's value in an `after` image: a real value or "unchanged TOAST". */
export type AfterValue = Value | typeof UNCHANGED_TOAST;
export const UNCHANGED_TOAST: unique symbol = Symbol('loadgen.unchanged-toast');

export class DebeziumTableEncoder {
  readonly topic: string;
  private readonly keyPrefix: string;
  private readonly valuePrefixBytes: Buffer;
  private readonly valueSuffixBytes: Buffer;
  private readonly slab = new OutputSlab();
  private readonly keyIndexes: readonly number[];
  private readonly fieldPrefixes: readonly string[];
  private readonly sourcePrefix: string;
  private readonly sourceMiddle: string;
  private readonly dbText: string;

  constructor(
    private readonly table: TableDefinition,
    options: EncoderOptions,
  ) {
    this.topic = `${options.topicPrefix}.${table.schema}.${table.name}`;
    const recordPrefix = `${options.topicPrefix}.${table.schema}.${table.name}`;
    const keySchema: ConnectSchema = {
      type: 'struct',
      optional: false,
      name: `${recordPrefix}.Key`,
      fields: table.key.map((name) => {
        const column = table.columns.find((candidate) => candidate.name === name);
        if (!column) throw new Error(`key column ${name} is not a column of ${table.name}`);
        return { name, schema: fieldSchema(column.type.connectSchema(false), column.defaultJson) };
      }),
    };
    const valueSchema: ConnectSchema = {
      type: 'struct',
      optional: true,
      name: `${recordPrefix}.Value`,
      fields: table.columns.map((column) => ({ name: column.name, schema: fieldSchema(column.type.connectSchema(column.nullable), column.defaultJson) })),
    };
    const envelope = envelopeSchema(`${recordPrefix}.Envelope`, valueSchema);
    this.keyPrefix = options.schemasEnabled ? `{"schema":${renderSchema(keySchema)},"payload":` : '';
    this.valuePrefixBytes = Buffer.from(options.schemasEnabled ? `{"schema":${renderSchema(envelope)},"payload":` : '', 'utf8');
    this.valueSuffixBytes = Buffer.from(options.schemasEnabled ? '}' : '', 'utf8');
    this.keyIndexes = table.key.map((name) => table.columns.findIndex((column) => column.name === name));
    this.fieldPrefixes = table.columns.map((column) => `${jsonString(column.name)}:`);
    this.sourcePrefix = `{"version":${jsonString(options.connectorVersion)},"connector":"postgresql","name":${jsonString(options.topicPrefix)},"ts_ms":`;
    this.sourceMiddle = `,"schema":${jsonString(table.schema)},"table":${jsonString(table.name)},"txId":`;
    this.dbText = `,"db":${jsonString(options.database)},"sequence":`;
  }

  /** Key values in key order → the Kafka record key. */
  key(keyValues: readonly Value[]): Buffer {
    return Buffer.from(this.keyText(keyValues), 'utf8');
  }

  keyText(keyValues: readonly Value[]): string {
    const payload = this.keyPayloadText(keyValues);
    return this.keyPrefix ? `${this.keyPrefix}${payload}}` : payload;
  }

  /** The key struct alone, as JSON (also the form of the __debezium.oldkey/newkey headers). */
  keyPayloadText(keyValues: readonly Value[]): string {
    let text = '{';
    for (let index = 0; index < this.keyIndexes.length; index++) {
      const columnIndex = this.keyIndexes[index] as number;
      if (index > 0) text += ',';
      text += this.fieldPrefixes[columnIndex] + this.table.columns[columnIndex]!.type.encode(keyValues[index] as Value);
    }
    return `${text}}`;
  }

  /** A create ('c'), update ('u') or snapshot read ('r'): `after` is the full row. */
  upsert(op: 'c' | 'u' | 'r', after: readonly AfterValue[], stamp: SourceStamp): Buffer {
    return this.envelope('null', this.rowImage(after), op, stamp);
  }

  /** A delete: `before` holds the key columns (REPLICA IDENTITY DEFAULT), `after` is null. */
  delete(keyValues: readonly Value[], stamp: SourceStamp): Buffer {
    return this.envelope(this.keyOnlyImage(keyValues), 'null', 'd', stamp);
  }

  /** A truncate: no key (the caller sends a null key), before and after null. */
  truncate(stamp: SourceStamp): Buffer {
    return this.envelope('null', 'null', 't', stamp);
  }

  private rowImage(values: readonly AfterValue[]): string {
    const columns = this.table.columns;
    let text = '{';
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index];
      if (!column) continue;
      const value = values[index];
      if (index > 0) text += ',';
      text += this.fieldPrefixes[index];
      if (value === UNCHANGED_TOAST) {
        if (column.type.toastPlaceholderJson === undefined) throw new Error(`column ${column.name} cannot be TOASTed`);
        text += column.type.toastPlaceholderJson;
      } else if (value === null || value === undefined) {
        text += column.nullable ? 'null' : column.type.fallbackJson;
      } else {
        text += column.type.encode(value as Value);
      }
    }
    return `${text}}`;
  }

  private keyOnlyImage(keyValues: readonly Value[]): string {
    const values: AfterValue[] = new Array(this.table.columns.length).fill(null);
    this.keyIndexes.forEach((columnIndex, keyIndex) => {
      values[columnIndex] = keyValues[keyIndex] as Value;
    });
    return this.rowImage(values);
  }

  private envelope(before: string, after: string, op: string, stamp: SourceStamp): Buffer {
    const sourceMs = Math.floor(stamp.sourceMicros / 1000);
    const processedMs = Math.floor(stamp.processedMicros / 1000);
    const lastCommit = stamp.lastCommitLsn === null ? 'null' : `\\"${stamp.lastCommitLsn}\\"`;
    const source =
      this.sourcePrefix +
      sourceMs +
      `,"snapshot":"${stamp.snapshot ?? 'false'}"` +
      this.dbText +
      `"[${lastCommit},\\"${stamp.lsn}\\"]"` +
      `,"ts_us":${stamp.sourceMicros},"ts_ns":${stamp.sourceMicros}000` +
      this.sourceMiddle +
      `${stamp.txId},"lsn":${stamp.lsn},"xmin":null,"origin":null,"origin_lsn":null}`;
    const payload =
      `{"before":${before},"after":${after},"source":${source},"transaction":null,"op":"${op}"` +
      `,"ts_ms":${processedMs},"ts_us":${stamp.processedMicros},"ts_ns":${stamp.processedNanos ?? `${stamp.processedMicros}000`}}`;
    return this.slab.write(this.valuePrefixBytes, payload, this.valueSuffixBytes);
  }
}

function fieldSchema(schema: ConnectSchema, defaultJson: string | undefined): ConnectSchema {
  return defaultJson === undefined ? schema : { ...schema, defaultJson };
}

/**
 * Record values are cut from large shared buffers: the per-table schema prefix is copied as
 * bytes (never re-encoded) and only the payload is encoded, with one allocation per slab
 * instead of one per record. Returned buffers are never written again.
 */
class OutputSlab {
  private buffer = Buffer.allocUnsafe(0);
  private offset = 0;

  write(prefix: Buffer, payload: string, suffix: Buffer): Buffer {
    const worstCase = prefix.length + payload.length * 3 + suffix.length;
    if (this.buffer.length - this.offset < worstCase) {
      this.buffer = Buffer.allocUnsafe(Math.max(1 << 20, worstCase));
      this.offset = 0;
    }
    const start = this.offset;
    let end = start + prefix.copy(this.buffer, start);
    end += this.buffer.write(payload, end, 'utf8');
    end += suffix.copy(this.buffer, end);
    this.offset = (end + 7) & ~7;
    return this.buffer.subarray(start, end);
  }
}
