/**
 * A deterministic stream of Debezium change events over several tables, and the state the
 * target must hold once all of them are applied. See index.ts for the contract.
 */
import type { Row, Value } from '../cdc/types.ts';
import { canonicalValueText } from './canonical-text.ts';
import { type AfterValue, DebeziumTableEncoder, type SnapshotMarker, type SourceStamp, UNCHANGED_TOAST } from './debezium-encoder.ts';
import { partitionForKey } from './murmur2.ts';
import { Prng } from './prng.ts';
import type { GenerationContext, ShapeName, TableDefinition } from './table-definition.ts';
import { createBlobPool, DEFAULT_SHAPE_OPTIONS, defineTable, type ShapeOptions } from './table-shapes.ts';

export interface TableSpec {
  readonly shape: ShapeName;
  /** source.table; defaults to the shape name, suffixed `_2`, `_3`… when a shape repeats. */
  readonly name?: string;
  /** source.schema; default 'public'. */
  readonly schema?: string;
  /** Relative share of events going to this table; default 1. */
  readonly weight?: number;
  /** Partitions of this table's topic; default WorkloadOptions.partitions. */
  readonly partitions?: number;
}

/** Relative weights of the operations (normalised; need not sum to 1). */
export interface OpMix {
  readonly insert: number;
  readonly update: number;
  readonly delete: number;
  /** An update of the primary key: delete + tombstone of the old key, create of the new one. */
  readonly keyChange: number;
  readonly truncate: number;
}

export const DEFAULT_MIX: OpMix = { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 };

export interface KeySkew {
  /** Share of updates that go to the table's hot key (its first inserted row, never deleted). */
  readonly hotKeyShare?: number;
  /** Share of inserts/updates/deletes whose key lands in `hotPartition`. */
  readonly hotPartitionShare?: number;
  readonly hotPartition?: number;
}

export type Partitioner = (keyBytes: Buffer, keyValues: readonly Value[], table: TableDefinition, partitionCount: number) => number;

export type WorkloadClock =
  /** Source time starts at startMicros and advances 1/eventsPerSecond per change event. */
  | { readonly kind: 'synthetic'; readonly startMicros?: number; readonly eventsPerSecond?: number }
  /** Source time is the wall clock when the event is generated (for latency measurements). */
  | { readonly kind: 'wall' };

export interface WorkloadOptions {
  readonly seed: number | string;
  readonly tables: readonly (ShapeName | TableSpec)[];
  /** Change events to generate (records with a value: c, u, d, t); tombstones come on top. */
  readonly events: number;
  /**
   * Rows per table read by an initial snapshot (op 'r', source.snapshot first/true/…/last)
   * before the `events` streaming events; default 0.
   */
  readonly snapshotRowsPerTable?: number;
  readonly mix?: Partial<OpMix>;
  /**
   * At most this many rows per table: once reached, inserts become updates. Bounds the
   * generator's memory (it keeps every live row) for long runs; default unbounded.
   */
  readonly maxLiveRowsPerTable?: number;
  /** Partitions per topic; default 1. */
  readonly partitions?: number;
  /** Default 'murmur2' (Kafka's default partitioner over the serialized key). */
  readonly partitioner?: 'murmur2' | Partitioner;
  /** Partition that receives truncate events (they have no key); default 0. */
  readonly truncatePartition?: number;
  /** topic.prefix; default 'sluice'. */
  readonly topicPrefix?: string;
  /** source.db; default 'inventory'. */
  readonly database?: string;
  /** JsonConverter schemas.enable; default true. */
  readonly schemasEnabled?: boolean;
  /** tombstones.on.delete; default true. */
  readonly tombstones?: boolean;
  /**
   * The `__debezium.context.*` headers Debezium 3.x puts on every record (connectorLogicalName,
   * taskId, connectorName, runId); default true.
   */
  readonly contextHeaders?: boolean;
  readonly skew?: KeySkew;
  /** Default synthetic from 2026-01-01T00:00:00Z at 2,000 events/s. */
  readonly clock?: WorkloadClock;
  /** Change events per source transaction are drawn from 1..maxTransactionSize; default 8. */
  readonly maxTransactionSize?: number;
  readonly toast?: ShapeOptions;
  /**
   * What the create of a key change carries in TOASTed columns it did not change:
   * 'values' (default) the real values; 'placeholder' what Debezium really sends (captured
   * from 3.6.1): `__debezium_unavailable_value`. The expected state holds the real values
   * either way, so with 'placeholder' only a sink that carries such columns over from the old
   * key's row reaches it.
   */
  readonly keyChangeToast?: 'values' | 'placeholder';
  /** source.version; default '3.6.1.Final'. */
  readonly connectorVersion?: string;
}

/** One Kafka record, plus what the generator knows about it (not sent to Kafka). */
export interface WorkloadRecord {
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer | null;
  /** null for a tombstone. */
  readonly value: Buffer | null;
  /**
   * The connector's processing time, ms since the epoch. produceWorkload stamps records with
   * the send time instead (see produce.ts).
   */
  readonly timestamp: number;
  /**
   * `__debezium.newkey` (on the delete and tombstone) / `__debezium.oldkey` (on the create) of a
   * key change, then the `__debezium.context.*` headers; shared objects, never to be mutated.
   */
  readonly headers: Readonly<Record<string, Buffer>> | undefined;
  /** source.table */
  readonly table: string;
  /** The event's op; null for a tombstone. */
  readonly op: 'r' | 'c' | 'u' | 'd' | 't' | null;
  /** source.lsn (a tombstone carries its delete's). */
  readonly lsn: bigint;
}

export interface TopicSpec {
  readonly topic: string;
  readonly partitions: number;
}

export interface WorkloadStats {
  changeEvents: number;
  snapshotReads: number;
  tombstones: number;
  inserts: number;
  updates: number;
  deletes: number;
  keyChanges: number;
  truncates: number;
  toastPlaceholders: number;
  bytes: number;
}

/** A row the source table holds now. Its key bytes are re-encoded when needed (memory over CPU). */
interface LiveRow {
  keyValues: Value[];
  values: Value[];
  canonicalKey: string;
  partition: number;
  /** Index in its partition's live list. */
  slot: number;
}

interface TableState {
  readonly definition: TableDefinition;
  readonly encoder: DebeziumTableEncoder;
  readonly partitions: number;
  readonly weight: number;
  readonly rng: Prng;
  readonly rows: Map<string, LiveRow>;
  readonly livePerPartition: LiveRow[][];
  readonly keyColumnIndexes: readonly number[];
  nextSequence: number;
  hotRow: LiveRow | null;
}

const SYNTHETIC_START_MICROS = Date.UTC(2026, 0, 1) * 1000;
const FIRST_TX_ID = 760n;

export class Workload {
  private readonly tables: TableState[];
  private readonly tableWeights: readonly number[];
  private readonly mixWeights: readonly number[];
  private readonly rng: Prng;
  private readonly context: { nowMicros: number; blobs: GenerationContext['blobs'] };
  private readonly partitioner: Partitioner;
  private readonly contextHeaders: Readonly<Record<string, Buffer>> | undefined;
  private readonly stats_: WorkloadStats = {
    changeEvents: 0,
    snapshotReads: 0,
    tombstones: 0,
    inserts: 0,
    updates: 0,
    deletes: 0,
    keyChanges: 0,
    truncates: 0,
    toastPlaceholders: 0,
    bytes: 0,
  };
  private started = false;
  private lsn = 24_000_000n;
  private lastCommitLsn: bigint | null = null;
  private txId = FIRST_TX_ID;
  private txRemaining = 0;
  /** Commit time of the current source transaction: every event of a transaction carries it. */
  private txCommitMicros = 0;

  constructor(private readonly options: WorkloadOptions) {
    if (!Number.isInteger(options.events) || options.events < 0) throw new RangeError('events must be a non-negative integer');
    if (options.tables.length === 0) throw new RangeError('a workload needs at least one table');
    this.rng = new Prng(options.seed);
    const mix = { ...DEFAULT_MIX, ...options.mix };
    this.mixWeights = [mix.insert, mix.update, mix.delete, mix.keyChange, mix.truncate];
    if (!(mix.insert > 0)) throw new RangeError('mix.insert must be > 0');
    this.partitioner = options.partitioner === undefined || options.partitioner === 'murmur2' ? murmur2Partitioner : options.partitioner;
    this.context = { nowMicros: 0, blobs: createBlobPool(this.rng.fork('blobs')) };
    const encoderOptions = {
      topicPrefix: options.topicPrefix ?? 'sluice',
      database: options.database ?? 'inventory',
      schemasEnabled: options.schemasEnabled ?? true,
      connectorVersion: options.connectorVersion ?? '3.6.1.Final',
    };
    this.contextHeaders =
      options.contextHeaders === false
        ? undefined
        : {
            '__debezium.context.connectorLogicalName': Buffer.from(encoderOptions.topicPrefix),
            '__debezium.context.taskId': Buffer.from('0'),
            '__debezium.context.connectorName': Buffer.from('postgresql'),
            '__debezium.context.runId': Buffer.from(runId(this.rng)),
          };
    const seen = new Map<string, number>();
    this.tables = options.tables.map((entry) => {
      const spec: TableSpec = typeof entry === 'string' ? { shape: entry } : entry;
      const count = (seen.get(spec.shape) ?? 0) + 1;
      seen.set(spec.shape, count);
      const name = spec.name ?? (count === 1 ? spec.shape : `${spec.shape}_${count}`);
      const definition = defineTable(spec.shape, spec.schema ?? 'public', name, options.toast ?? DEFAULT_SHAPE_OPTIONS);
      const partitions = spec.partitions ?? options.partitions ?? 1;
      if (!Number.isInteger(partitions) || partitions < 1) throw new RangeError(`partitions must be a positive integer (table ${name})`);
      return {
        definition,
        encoder: new DebeziumTableEncoder(definition, encoderOptions),
        partitions,
        weight: spec.weight ?? 1,
        rng: this.rng.fork(`table:${name}`),
        rows: new Map(),
        livePerPartition: Array.from({ length: partitions }, () => []),
        keyColumnIndexes: definition.key.map((key) => definition.columns.findIndex((column) => column.name === key)),
        nextSequence: 0,
        hotRow: null,
      };
    });
    this.tableWeights = this.tables.map((table) => table.weight);
    const names = new Set(this.tables.map((table) => table.definition.name));
    if (names.size !== this.tables.length) throw new Error('table names must be unique within a workload');
  }

  tableNames(): string[] {
    return this.tables.map((table) => table.definition.name);
  }

  tableDefinitions(): TableDefinition[] {
    return this.tables.map((table) => table.definition);
  }

  topics(): TopicSpec[] {
    return this.tables.map((table) => ({ topic: table.encoder.topic, partitions: table.partitions }));
  }

  topicOf(tableName: string): string {
    return this.table(tableName).encoder.topic;
  }

  stats(): Readonly<WorkloadStats> {
    return { ...this.stats_ };
  }

  /**
   * The records, generated lazily. A workload is consumed once: a second call throws (make
   * another workload from the same options to get the same records again).
   */
  *records(): Generator<WorkloadRecord, void, undefined> {
    if (this.started) throw new Error('a workload can be iterated once; create another with the same seed');
    this.started = true;
    const out: WorkloadRecord[] = [];
    yield* this.snapshot(out);
    let remaining = this.options.events;
    let index = 0;
    while (remaining > 0) {
      out.length = 0;
      this.advanceClock(index);
      remaining -= this.step(remaining, out);
      index = this.options.events - remaining;
      for (const record of out) {
        this.stats_.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
        yield record;
      }
    }
  }

  /**
   * The initial snapshot: every table's rows read in one snapshot transaction at one LSN, markers
   * as RelationalSnapshotChangeEventSource resolves them (last > first > last in table > first
   * in table > true).
   */
  private *snapshot(out: WorkloadRecord[]): Generator<WorkloadRecord, void, undefined> {
    const perTable = this.options.snapshotRowsPerTable ?? 0;
    if (perTable <= 0) return;
    this.advanceClock(0);
    this.lsn += 1000n;
    const snapshotLsn = this.lsn;
    const snapshotTxId = this.txId;
    this.tables.forEach((table, tableIndex) => {
      for (let row = 0; row < perTable; row++) {
        const firstInSnapshot = tableIndex === 0 && row === 0;
        const lastInSnapshot = tableIndex === this.tables.length - 1 && row === perTable - 1;
        const marker: SnapshotMarker = lastInSnapshot
          ? 'last'
          : firstInSnapshot
            ? 'first'
            : row === perTable - 1
              ? 'last_in_data_collection'
              : row === 0
                ? 'first_in_data_collection'
                : 'true';
        const stamp: SourceStamp = {
          sourceMicros: this.context.nowMicros,
          processedMicros: this.context.nowMicros + 1000 + this.stats_.snapshotReads,
          txId: snapshotTxId,
          lsn: snapshotLsn,
          lastCommitLsn: null,
          snapshot: marker,
        };
        const { row: live, keyBytes } = this.newRow(table, false);
        live.values = this.freshValues(table, live.keyValues);
        this.addRow(table, live);
        this.stats_.snapshotReads += 1;
        this.emit(out, table, live.partition, keyBytes, table.encoder.upsert('r', live.values, stamp), 'r', stamp, undefined);
      }
    });
    for (const record of out) {
      this.stats_.bytes += (record.key?.length ?? 0) + (record.value?.length ?? 0);
      yield record;
    }
    out.length = 0;
  }

  /**
   * What the target must hold after every record generated so far was applied, in the Value
   * representation of src/cdc/types.ts, TOAST columns resolved, truncates applied:
   * table name → canonical key (see canonicalKey) → column name → value.
   */
  expectedState(): Map<string, Map<string, Row>> {
    const state = new Map<string, Map<string, Row>>();
    for (const table of this.tables) {
      const rows = new Map<string, Row>();
      const columns = table.definition.columns;
      for (const [key, live] of table.rows) {
        rows.set(key, new Map(columns.map((column, index) => [column.name, live.values[index] as Value])));
      }
      state.set(table.definition.name, rows);
    }
    return state;
  }

  private table(name: string): TableState {
    const table = this.tables.find((candidate) => candidate.definition.name === name);
    if (!table) throw new Error(`no table ${name} in this workload`);
    return table;
  }

  private advanceClock(eventIndex: number): void {
    const clock = this.options.clock ?? { kind: 'synthetic' };
    if (clock.kind === 'wall') {
      this.context.nowMicros = Math.round((performance.timeOrigin + performance.now()) * 1000);
    } else {
      const rate = clock.eventsPerSecond ?? 2000;
      this.context.nowMicros = (clock.startMicros ?? SYNTHETIC_START_MICROS) + Math.floor((eventIndex * 1_000_000) / rate);
    }
  }

  /** Generates one source operation into `out`; returns how many change events it made. */
  private step(remaining: number, out: WorkloadRecord[]): number {
    const table = this.tables[this.rng.weighted(this.tableWeights)]!;
    let op = this.rng.weighted(this.mixWeights);
    if (table.rows.size === 0 && op !== 4) op = 0;
    else if (op === 0 && table.rows.size >= (this.options.maxLiveRowsPerTable ?? Number.POSITIVE_INFINITY)) op = 1;
    if (op === 3 && remaining < 2) op = 1;
    const stamp = this.nextStamp(table.rng);
    switch (op) {
      case 0:
        this.insert(table, stamp, out);
        return 1;
      case 1:
        this.update(table, stamp, out);
        return 1;
      case 2:
        return this.delete(table, stamp, out);
      case 3:
        return this.changeKey(table, stamp, out);
      default:
        this.truncate(table, stamp, out);
        return 1;
    }
  }

  private nextStamp(rng: Prng): SourceStamp {
    const firstOfTransaction = this.txRemaining === 0;
    if (firstOfTransaction) {
      this.txId += 1n;
      this.txRemaining = 1 + rng.int(this.options.maxTransactionSize ?? 8);
      this.txCommitMicros = this.context.nowMicros;
    }
    this.txRemaining -= 1;
    this.lsn += BigInt(40 + rng.int(400));
    // As captured from Debezium 3.6.1 (pgoutput): source.sequence's first element is null in the
    // first streamed transaction, then the LSN where the current transaction's events begin.
    if (firstOfTransaction) this.lastCommitLsn = this.txId === FIRST_TX_ID + 1n ? null : this.lsn;
    return {
      sourceMicros: this.txCommitMicros,
      processedMicros: this.context.nowMicros + 2000 + rng.int(4000),
      txId: this.txId,
      lsn: this.lsn,
      lastCommitLsn: this.lastCommitLsn,
    };
  }

  private insert(table: TableState, stamp: SourceStamp, out: WorkloadRecord[]): void {
    const { row, keyBytes } = this.newRow(table, this.wantsHotPartition(table));
    const values = this.freshValues(table, row.keyValues);
    row.values = values;
    this.addRow(table, row);
    this.stats_.inserts += 1;
    this.emit(out, table, row.partition, keyBytes, table.encoder.upsert('c', values, stamp), 'c', stamp, undefined);
  }

  private update(table: TableState, stamp: SourceStamp, out: WorkloadRecord[]): void {
    const skew = this.options.skew;
    const hot = table.hotRow !== null && skew?.hotKeyShare !== undefined && table.rng.chance(skew.hotKeyShare);
    const row = hot ? table.hotRow! : this.pickRow(table);
    const after: AfterValue[] = row.values.slice();
    const columns = table.definition.columns;
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index]!;
      if (column.updateChance === 0) continue;
      if (table.rng.chance(column.updateChance)) {
        const value = column.generate(table.rng, this.context);
        row.values[index] = value;
        after[index] = value;
      } else if (column.toasted && row.values[index] !== null) {
        after[index] = UNCHANGED_TOAST;
        this.stats_.toastPlaceholders += 1;
      }
    }
    this.stats_.updates += 1;
    this.emit(out, table, row.partition, table.encoder.key(row.keyValues), table.encoder.upsert('u', after, stamp), 'u', stamp, undefined);
  }

  private delete(table: TableState, stamp: SourceStamp, out: WorkloadRecord[]): number {
    const row = this.pickRow(table);
    if (row === table.hotRow) {
      this.update(table, stamp, out);
      return 1;
    }
    this.removeRow(table, row);
    this.stats_.deletes += 1;
    const keyBytes = table.encoder.key(row.keyValues);
    this.emit(out, table, row.partition, keyBytes, table.encoder.delete(row.keyValues, stamp), 'd', stamp, undefined);
    this.emitTombstone(out, table, row.partition, keyBytes, stamp, undefined);
    return 1;
  }

  /**
   * A primary-key update, as Debezium emits it: delete and tombstone of the old key (header
   * __debezium.newkey), then a create of the new key (header __debezium.oldkey), all at one LSN.
   * TOASTed columns the update left alone: see WorkloadOptions.keyChangeToast.
   */
  private changeKey(table: TableState, stamp: SourceStamp, out: WorkloadRecord[]): number {
    const old = this.pickRow(table);
    if (old === table.hotRow) {
      this.update(table, stamp, out);
      return 1;
    }
    const { row: moved, keyBytes: movedKeyBytes } = this.newRow(table, false);
    const oldKeyBytes = table.encoder.key(old.keyValues);
    const values = old.values.slice();
    table.keyColumnIndexes.forEach((columnIndex, keyIndex) => {
      values[columnIndex] = moved.keyValues[keyIndex] as Value;
    });
    const after: AfterValue[] = values.slice();
    const placeholders = this.options.keyChangeToast === 'placeholder';
    const columns = table.definition.columns;
    for (let index = 0; index < columns.length; index++) {
      const column = columns[index]!;
      if (column.updateChance > 0 && table.rng.chance(column.updateChance)) {
        values[index] = column.generate(table.rng, this.context);
        after[index] = values[index] as Value;
      } else if (placeholders && column.toasted && values[index] !== null) {
        after[index] = UNCHANGED_TOAST;
        this.stats_.toastPlaceholders += 1;
      }
    }
    moved.values = values;
    this.removeRow(table, old);
    this.addRow(table, moved);
    this.stats_.keyChanges += 1;
    const oldKeyHeader = Buffer.from(table.encoder.keyPayloadText(old.keyValues));
    const newKeyHeader = Buffer.from(table.encoder.keyPayloadText(moved.keyValues));
    const newKeyHeaders = { '__debezium.newkey': newKeyHeader };
    this.emit(out, table, old.partition, oldKeyBytes, table.encoder.delete(old.keyValues, stamp), 'd', stamp, newKeyHeaders);
    this.emitTombstone(out, table, old.partition, oldKeyBytes, stamp, newKeyHeaders);
    this.emit(out, table, moved.partition, movedKeyBytes, table.encoder.upsert('c', after, stamp), 'c', stamp, { '__debezium.oldkey': oldKeyHeader });
    return 2;
  }

  private truncate(table: TableState, stamp: SourceStamp, out: WorkloadRecord[]): void {
    table.rows.clear();
    for (const list of table.livePerPartition) list.length = 0;
    table.hotRow = null;
    this.stats_.truncates += 1;
    const partition = Math.min(this.options.truncatePartition ?? 0, table.partitions - 1);
    this.emit(out, table, partition, null, table.encoder.truncate(stamp), 't', stamp, undefined);
  }

  private emit(
    out: WorkloadRecord[],
    table: TableState,
    partition: number,
    key: Buffer | null,
    value: Buffer,
    op: 'r' | 'c' | 'u' | 'd' | 't',
    stamp: SourceStamp,
    headers: Record<string, Buffer> | undefined,
  ): void {
    this.stats_.changeEvents += 1;
    out.push({
      topic: table.encoder.topic,
      partition,
      key,
      value,
      timestamp: Math.floor(stamp.processedMicros / 1000),
      headers: this.withContext(headers),
      table: table.definition.name,
      op,
      lsn: stamp.lsn,
    });
  }

  private emitTombstone(
    out: WorkloadRecord[],
    table: TableState,
    partition: number,
    keyBytes: Buffer,
    stamp: SourceStamp,
    headers: Record<string, Buffer> | undefined,
  ): void {
    if (this.options.tombstones === false) return;
    this.stats_.tombstones += 1;
    out.push({
      topic: table.encoder.topic,
      partition,
      key: keyBytes,
      value: null,
      timestamp: Math.floor(stamp.processedMicros / 1000),
      headers: this.withContext(headers),
      table: table.definition.name,
      op: null,
      lsn: stamp.lsn,
    });
  }

  private withContext(headers: Record<string, Buffer> | undefined): Readonly<Record<string, Buffer>> | undefined {
    if (headers === undefined) return this.contextHeaders;
    return this.contextHeaders === undefined ? headers : { ...headers, ...this.contextHeaders };
  }

  private wantsHotPartition(table: TableState): boolean {
    const share = this.options.skew?.hotPartitionShare;
    return share !== undefined && table.partitions > 1 && table.rng.chance(share);
  }

  private hotPartition(table: TableState): number {
    return Math.min(this.options.skew?.hotPartition ?? 0, table.partitions - 1);
  }

  /** A row with a never-used key; in the hot partition when asked (skipping key sequences). */
  private newRow(table: TableState, inHotPartition: boolean): { row: LiveRow; keyBytes: Buffer } {
    const hot = this.hotPartition(table);
    for (let attempt = 0; ; attempt++) {
      const keyValues = table.definition.keyValues(table.nextSequence);
      table.nextSequence += 1;
      const keyBytes = table.encoder.key(keyValues);
      const partition = this.partitioner(keyBytes, keyValues, table.definition, table.partitions);
      if (!inHotPartition || partition === hot || attempt >= 10_000) {
        return { row: { keyValues, values: [], canonicalKey: this.keyText(table, keyValues), partition, slot: -1 }, keyBytes };
      }
    }
  }

  private keyText(table: TableState, keyValues: readonly Value[]): string {
    const columns = table.definition.columns;
    if (keyValues.length === 1) return canonicalValueText(columns[table.keyColumnIndexes[0]!]!.type.logical, keyValues[0] as Value) ?? '';
    return JSON.stringify(keyValues.map((value, index) => canonicalValueText(columns[table.keyColumnIndexes[index]!]!.type.logical, value)));
  }

  private freshValues(table: TableState, keyValues: readonly Value[]): Value[] {
    const columns = table.definition.columns;
    const values: Value[] = new Array(columns.length);
    for (let index = 0; index < columns.length; index++) {
      values[index] = table.keyColumnIndexes.includes(index) ? null : columns[index]!.generate(table.rng, this.context);
    }
    table.keyColumnIndexes.forEach((columnIndex, position) => {
      values[columnIndex] = keyValues[position] as Value;
    });
    return values;
  }

  private addRow(table: TableState, row: LiveRow): void {
    const list = table.livePerPartition[row.partition]!;
    row.slot = list.length;
    list.push(row);
    table.rows.set(row.canonicalKey, row);
    if (table.hotRow === null) table.hotRow = row;
  }

  private removeRow(table: TableState, row: LiveRow): void {
    const list = table.livePerPartition[row.partition]!;
    const last = list.pop()!;
    if (last !== row) {
      list[row.slot] = last;
      last.slot = row.slot;
    }
    table.rows.delete(row.canonicalKey);
    if (table.hotRow === row) table.hotRow = null;
  }

  /** A live row: from the hot partition when the skew asks for it, else uniformly. */
  private pickRow(table: TableState): LiveRow {
    if (this.wantsHotPartition(table)) {
      const hotList = table.livePerPartition[this.hotPartition(table)]!;
      if (hotList.length > 0) return hotList[table.rng.int(hotList.length)]!;
    }
    let target = table.rng.int(table.rows.size);
    for (const list of table.livePerPartition) {
      if (target < list.length) return list[target]!;
      target -= list.length;
    }
    throw new Error('live row bookkeeping is inconsistent');
  }
}

/** A version-7-shaped UUID from the workload's generator (Debezium's runId is a UUIDv7). */
function runId(rng: Prng): string {
  const hex = Array.from({ length: 4 }, () => rng.nextU32().toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7${hex.slice(13, 16)}-${'89ab'[rng.int(4)]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const murmur2Partitioner: Partitioner = (keyBytes, _keyValues, _table, partitionCount) => partitionForKey(keyBytes, partitionCount);

export function createWorkload(options: WorkloadOptions): Workload {
  return new Workload(options);
}
