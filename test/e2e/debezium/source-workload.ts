/**
 * The source side of the Debezium end-to-end test: the tables and a seeded workload of
 * transactions run against a real PostgreSQL database that Debezium captures. The source database
 * itself is the expected state: the comparison reads it back and needs no model of its own.
 *
 * Tables (all with REPLICA IDENTITY DEFAULT, so deletes carry only the key and unchanged TOAST
 * values arrive as placeholders):
 *   all_types    one column per type the decoder maps, with the values of source-values.ts
 *   documents    large values stored out of line (text, bytea, jsonb, text[], int[], bigint[],
 *                date[], uuid[], varchar[], hstore), updated a column at a time
 *   order_lines  composite primary key (order_id, line_no), key changes
 *   evolving     gains columns mid-stream (ALTER TABLE ADD COLUMN)
 *   truncated    TRUNCATEd mid-stream, written again afterwards
 *   sync_marker  one row whose counter marks the end of the workload
 */
import type pg from 'pg';
import { Prng } from '../../../src/loadgen/prng.ts';
import * as v from './source-values.ts';

export const SOURCE_DDL = `
CREATE EXTENSION IF NOT EXISTS hstore;
CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ünïcode 😀');
CREATE TABLE all_types (
  id bigint PRIMARY KEY,
  n_scaled numeric(20,4), n_free numeric, i2 smallint, i4 integer, i8 bigint,
  f4 real, f8 double precision, b boolean,
  d date, t time, t3 time(3), ts timestamp, ts3 timestamp(3), tstz timestamptz, ttz timetz, iv interval,
  j jsonb, js json, u uuid, e mood,
  ia integer[], i8a bigint[], ta text[], na numeric(10,2)[],
  by bytea, tx text, vc varchar(40), ch char(5), bt bit(8), vb bit varying(16), x xml, m money, ip inet
);
CREATE TABLE documents (
  id integer PRIMARY KEY, revision integer NOT NULL, title text,
  body text, attachment bytea, meta jsonb, tags text[], scores integer[], big_ids bigint[],
  days date[], refs uuid[], labels varchar(40)[], attrs hstore
);
CREATE TABLE order_lines (
  order_id bigint, line_no integer, sku text NOT NULL, qty integer, price numeric(12,2),
  shipped_at timestamptz, note text,
  PRIMARY KEY (order_id, line_no)
);
CREATE TABLE evolving (id integer PRIMARY KEY, name text);
CREATE TABLE truncated (id integer PRIMARY KEY, payload text, at timestamp);
CREATE TABLE sync_marker (id integer PRIMARY KEY, seq integer NOT NULL);
ALTER TABLE all_types REPLICA IDENTITY DEFAULT;
ALTER TABLE documents REPLICA IDENTITY DEFAULT;
ALTER TABLE order_lines REPLICA IDENTITY DEFAULT;
`;

export const SOURCE_TABLES = ['all_types', 'documents', 'order_lines', 'evolving', 'truncated', 'sync_marker'] as const;
/** Tables whose topics must keep one partition: a truncate has no key and must stay in order. */
export const SINGLE_PARTITION_TABLES = ['truncated', 'sync_marker'] as const;

const ALL_TYPES_COLUMNS: readonly (readonly [string, string, (prng: Prng) => unknown])[] = [
  ['n_scaled', 'numeric', v.scaledNumeric],
  ['n_free', 'numeric', v.freeNumeric],
  ['i2', 'smallint', (prng) => String(prng.pick([-32768, 32767, 0, prng.range(-1000, 1000)]))],
  ['i4', 'integer', (prng) => String(prng.pick([-2147483648, 2147483647, prng.range(-1_000_000, 1_000_000)]))],
  ['i8', 'bigint', v.bigintEdge],
  ['f4', 'real', v.realValue],
  ['f8', 'double precision', v.doubleValue],
  ['b', 'boolean', (prng) => prng.pick(['true', 'false'])],
  ['d', 'date', v.dateValue],
  ['t', 'time', (prng) => v.timeValue(prng, 6)],
  ['t3', 'time(3)', (prng) => v.timeValue(prng, 3)],
  ['ts', 'timestamp', (prng) => v.timestampValue(prng, 6)],
  ['ts3', 'timestamp(3)', (prng) => v.timestampValue(prng, 3)],
  ['tstz', 'timestamptz', v.timestamptzValue],
  ['ttz', 'timetz', v.timetzValue],
  ['iv', 'interval', v.intervalValue],
  ['j', 'jsonb', v.jsonValue],
  ['js', 'json', v.jsonTextValue],
  ['u', 'uuid', v.uuidValue],
  ['e', 'mood', (prng) => prng.pick(['sad', 'ok', 'happy', 'ünïcode 😀'])],
  ['ia', 'integer[]', v.intArray],
  ['i8a', 'bigint[]', v.bigintArray],
  ['ta', 'text[]', v.textArray],
  ['na', 'numeric(10,2)[]', v.numericArray],
  ['by', 'bytea', (prng) => v.bytesValue(prng)],
  ['tx', 'text', v.textValue],
  ['vc', 'varchar(40)', (prng) => v.textValue(prng).slice(0, 40)],
  ['ch', 'char(5)', (prng) => prng.pick(['ab', 'abcde', '', 'ü', ' x'])],
  ['bt', 'bit(8)', (prng) => v.bitString(prng, 8)],
  // Debezium sends a varbit as BitSet bytes: leading zero bits are lost ('0110' and '110' are the
  // same bytes), so values start with 1; the decoder knows the column is varying only from
  // column.propagate.source.type.
  ['vb', 'bit varying(16)', (prng) => `1${v.bitString(prng, prng.range(0, 15))}`],
  ['x', 'xml', (prng) => `<doc n="${prng.int(100)}"><t>${prng.pick(['a &amp; b', 'ü', '😀'])}</t></doc>`],
  ['m', 'money', v.moneyValue],
  ['ip', 'inet', v.inetValue],
];

interface DocumentColumn {
  readonly name: string;
  readonly cast: string;
  readonly large: (prng: Prng) => unknown;
}

/** Sizes chosen so every value stays above the TOAST threshold (~2 KiB) after compression. */
const DOCUMENT_COLUMNS: readonly DocumentColumn[] = [
  { name: 'body', cast: 'text', large: (prng) => v.largeText(prng, 8_192) },
  { name: 'attachment', cast: 'bytea', large: (prng) => v.bytesValue(prng, 6_000) },
  { name: 'meta', cast: 'jsonb', large: (prng) => JSON.stringify({ items: v.largeStrings(prng, 300), n: prng.int(1000) }) },
  { name: 'tags', cast: 'text[]', large: (prng) => v.largeStrings(prng, 300) },
  { name: 'scores', cast: 'integer[]', large: (prng) => Array.from({ length: 1_500 }, () => String(prng.range(-2_000_000_000, 2_000_000_000))) },
  { name: 'big_ids', cast: 'bigint[]', large: (prng) => Array.from({ length: 800 }, () => v.bigintEdge(prng)) },
  { name: 'days', cast: 'date[]', large: (prng) => Array.from({ length: 1_500 }, () => v.dateValue(prng)) },
  { name: 'refs', cast: 'uuid[]', large: (prng) => Array.from({ length: 300 }, () => v.uuidValue(prng)) },
  { name: 'labels', cast: 'varchar(40)[]', large: (prng) => v.largeStrings(prng, 300) },
  {
    name: 'attrs',
    cast: 'hstore',
    large: (prng) =>
      v
        .largeStrings(prng, 150)
        .map((key, i) => `"${key}${i}"=>"${prng.nextU32().toString(16)}${prng.nextU32().toString(16)}"`)
        .join(', '),
  },
];

export interface WorkloadCounts {
  transactions: number;
  inserts: number;
  updates: number;
  toastUpdates: number;
  deletes: number;
  keyChanges: number;
  truncates: number;
  alters: number;
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

export class SourceWorkload {
  private readonly prng: Prng;
  private readonly allTypesIds: number[] = [];
  private readonly documentIds: number[] = [];
  private readonly orderLines: [number, number][] = [];
  private readonly evolvingIds: number[] = [];
  private readonly truncatedIds: number[] = [];
  private nextId = 1;
  private markerSeq = 0;
  private evolvingColumns: string[] = [];
  readonly counts: WorkloadCounts = { transactions: 0, inserts: 0, updates: 0, toastUpdates: 0, deletes: 0, keyChanges: 0, truncates: 0, alters: 0 };

  constructor(
    private readonly client: pg.Client,
    seed: number,
  ) {
    this.prng = new Prng(seed);
  }

  async createTables(): Promise<void> {
    await this.client.query(SOURCE_DDL);
    await this.client.query('INSERT INTO sync_marker (id, seq) VALUES (1, 0)');
  }

  /** Rows present before the connector starts: Debezium reads them in its snapshot (op = r). */
  async snapshotRows(): Promise<void> {
    await this.transaction(async () => {
      for (let i = 0; i < 30; i++) await this.insertAllTypes();
      for (let i = 0; i < 12; i++) await this.insertDocument(true);
      for (let i = 0; i < 60; i++) await this.insertOrderLine();
      for (let i = 0; i < 20; i++) await this.insertEvolving();
      for (let i = 0; i < 20; i++) await this.insertTruncated();
    });
  }

  /** `transactions` transactions of 1–4 random changes each, over every table. */
  async mixedChanges(transactions: number): Promise<void> {
    for (let t = 0; t < transactions; t++) {
      await this.transaction(async () => {
        const changes = this.prng.range(1, 4);
        for (let c = 0; c < changes; c++) await this.randomChange();
      });
    }
  }

  /** Adds columns to `evolving` and writes rows that use them. */
  async addColumns(columns: readonly (readonly [string, string])[]): Promise<void> {
    await this.transaction(async () => {
      for (const [name, type] of columns) {
        await this.client.query(`ALTER TABLE evolving ADD COLUMN ${quote(name)} ${type}`);
        this.evolvingColumns.push(name);
        this.counts.alters += 1;
      }
    });
    for (let i = 0; i < 10; i++) await this.transaction(() => this.updateEvolving());
    for (let i = 0; i < 5; i++) await this.transaction(() => this.insertEvolving());
  }

  /** TRUNCATE truncated, then write it again in the following transactions. */
  async truncateAndRefill(): Promise<void> {
    await this.transaction(async () => {
      await this.client.query('TRUNCATE truncated');
      this.truncatedIds.length = 0;
      this.counts.truncates += 1;
    });
    for (let i = 0; i < 15; i++) await this.transaction(() => this.insertTruncated());
    for (let i = 0; i < 5; i++) await this.transaction(() => this.updateOrDeleteTruncated());
  }

  /** Bumps the marker row; returns the value the target must show once everything arrived. */
  async bumpMarker(): Promise<number> {
    this.markerSeq += 1;
    await this.transaction(async () => {
      await this.client.query('UPDATE sync_marker SET seq = $1 WHERE id = 1', [this.markerSeq]);
    });
    return this.markerSeq;
  }

  private async transaction(work: () => Promise<void>): Promise<void> {
    await this.client.query('BEGIN');
    try {
      await work();
      await this.client.query('COMMIT');
      this.counts.transactions += 1;
    } catch (error) {
      await this.client.query('ROLLBACK');
      throw error;
    }
  }

  private async randomChange(): Promise<void> {
    const weights = [
      3, // all_types insert
      4, // all_types update
      1, // all_types delete
      1, // all_types key change
      1, // documents insert
      5, // documents update (mostly TOAST placeholders)
      0.3, // documents delete (rarely: the rows left at the end are what the comparison sees)
      3, // order_lines insert
      3, // order_lines update
      1, // order_lines delete
      1, // order_lines key change
      2, // evolving update
      1, // truncated change
    ];
    switch (this.prng.weighted(weights)) {
      case 0:
        return this.insertAllTypes();
      case 1:
        return this.updateAllTypes();
      case 2:
        return this.deleteOne('all_types', this.allTypesIds);
      case 3:
        return this.changeAllTypesKey();
      case 4:
        return this.insertDocument(this.prng.chance(0.7));
      case 5:
        return this.updateDocument();
      case 6:
        return this.deleteOne('documents', this.documentIds);
      case 7:
        return this.insertOrderLine();
      case 8:
        return this.updateOrderLine();
      case 9:
        return this.deleteOrderLine();
      case 10:
        return this.changeOrderLineKey();
      case 11:
        return this.updateEvolving();
      default:
        return this.updateOrDeleteTruncated();
    }
  }

  private takeId(): number {
    return this.nextId++;
  }

  private pickIndex(ids: readonly unknown[]): number | null {
    return ids.length === 0 ? null : this.prng.int(ids.length);
  }

  private allTypesValues(): unknown[] {
    // About one value in eight is NULL, so every column also travels as null.
    return ALL_TYPES_COLUMNS.map(([, , generate]) => (this.prng.chance(0.12) ? null : generate(this.prng)));
  }

  private async insertAllTypes(): Promise<void> {
    const id = this.takeId();
    const names = ['id', ...ALL_TYPES_COLUMNS.map(([name]) => name)];
    const casts = ['bigint', ...ALL_TYPES_COLUMNS.map(([, cast]) => cast)];
    const placeholders = casts.map((cast, i) => `$${i + 1}::${cast}`);
    await this.client.query(`INSERT INTO all_types (${names.map(quote).join(', ')}) VALUES (${placeholders.join(', ')})`, [String(id), ...this.allTypesValues()]);
    this.allTypesIds.push(id);
    this.counts.inserts += 1;
  }

  private async updateAllTypes(): Promise<void> {
    const index = this.pickIndex(this.allTypesIds);
    if (index === null) return this.insertAllTypes();
    const chosen = ALL_TYPES_COLUMNS.filter(() => this.prng.chance(0.3));
    if (chosen.length === 0) chosen.push(this.prng.pick(ALL_TYPES_COLUMNS));
    const sets = chosen.map(([name, cast], i) => `${quote(name)} = $${i + 2}::${cast}`);
    const values = chosen.map(([, , generate]) => (this.prng.chance(0.1) ? null : generate(this.prng)));
    await this.client.query(`UPDATE all_types SET ${sets.join(', ')} WHERE id = $1`, [String(this.allTypesIds[index]), ...values]);
    this.counts.updates += 1;
  }

  private async changeAllTypesKey(): Promise<void> {
    const index = this.pickIndex(this.allTypesIds);
    if (index === null) return this.insertAllTypes();
    const id = this.takeId();
    await this.client.query('UPDATE all_types SET id = $1, tx = $2 WHERE id = $3', [String(id), v.textValue(this.prng), String(this.allTypesIds[index])]);
    this.allTypesIds[index] = id;
    this.counts.keyChanges += 1;
  }

  private async deleteOne(table: 'all_types' | 'documents', ids: number[]): Promise<void> {
    const index = this.pickIndex(ids);
    if (index === null) return;
    await this.client.query(`DELETE FROM ${quote(table)} WHERE id = $1`, [String(ids[index])]);
    ids.splice(index, 1);
    this.counts.deletes += 1;
  }

  private async insertDocument(large: boolean): Promise<void> {
    const id = this.takeId();
    const names = ['id', 'revision', 'title', ...DOCUMENT_COLUMNS.map((column) => column.name)];
    const casts = ['integer', 'integer', 'text', ...DOCUMENT_COLUMNS.map((column) => column.cast)];
    const small = (column: DocumentColumn): unknown => {
      // Small values stay inline, so inserts carry both kinds of row.
      const generated = column.large(this.prng);
      if (Array.isArray(generated)) return generated.slice(0, 3);
      if (Buffer.isBuffer(generated)) return generated.subarray(0, 16);
      if (column.cast === 'jsonb') return '{"small": true}';
      if (column.cast === 'hstore') return '"k"=>"v"';
      return String(generated).slice(0, 40);
    };
    const values = [String(id), '0', v.textValue(this.prng), ...DOCUMENT_COLUMNS.map((column) => (large ? column.large(this.prng) : small(column)))];
    await this.client.query(
      `INSERT INTO documents (${names.map(quote).join(', ')}) VALUES (${casts.map((cast, i) => `$${i + 1}::${cast}`).join(', ')})`,
      values,
    );
    this.documentIds.push(id);
    this.counts.inserts += 1;
  }

  /**
   * Most updates leave the large columns alone (each then arrives as a placeholder); some rewrite
   * one or two of them, some set one to NULL.
   */
  private async updateDocument(): Promise<void> {
    const index = this.pickIndex(this.documentIds);
    if (index === null) return this.insertDocument(true);
    const id = String(this.documentIds[index]);
    const shape = this.prng.int(10);
    if (shape < 5) {
      await this.client.query('UPDATE documents SET revision = revision + 1, title = $2 WHERE id = $1', [id, v.textValue(this.prng)]);
      this.counts.toastUpdates += 1;
    } else if (shape < 9) {
      const columns = [this.prng.pick(DOCUMENT_COLUMNS), this.prng.pick(DOCUMENT_COLUMNS)];
      const unique = [...new Map(columns.map((column) => [column.name, column])).values()];
      const sets = unique.map((column, i) => `${quote(column.name)} = $${i + 2}::${column.cast}`);
      await this.client.query(`UPDATE documents SET revision = revision + 1, ${sets.join(', ')} WHERE id = $1`, [id, ...unique.map((column) => column.large(this.prng))]);
      this.counts.toastUpdates += 1;
    } else {
      const column = this.prng.pick(DOCUMENT_COLUMNS);
      await this.client.query(`UPDATE documents SET revision = revision + 1, ${quote(column.name)} = NULL WHERE id = $1`, [id]);
      this.counts.updates += 1;
    }
  }

  private async insertOrderLine(): Promise<void> {
    const orderId = this.orderLines.length > 0 && this.prng.chance(0.5) ? this.prng.pick(this.orderLines)[0] : Number(v.digits(this.prng, 12));
    let lineNo = this.prng.range(1, 50);
    while (this.orderLines.some(([order, line]) => order === orderId && line === lineNo)) lineNo += 1;
    await this.client.query(
      'INSERT INTO order_lines (order_id, line_no, sku, qty, price, shipped_at, note) VALUES ($1, $2, $3, $4, $5::numeric, $6::timestamptz, $7)',
      [String(orderId), lineNo, `SKU-${this.prng.int(10_000)}`, this.prng.range(1, 100), v.numericArray(this.prng)[0] ?? '0.01', this.prng.chance(0.3) ? null : v.timestamptzValue(this.prng), v.textValue(this.prng)],
    );
    this.orderLines.push([orderId, lineNo]);
    this.counts.inserts += 1;
  }

  private async updateOrderLine(): Promise<void> {
    const index = this.pickIndex(this.orderLines);
    if (index === null) return this.insertOrderLine();
    const [orderId, lineNo] = this.orderLines[index]!;
    await this.client.query('UPDATE order_lines SET qty = $3, price = $4::numeric, note = $5 WHERE order_id = $1 AND line_no = $2', [
      String(orderId),
      lineNo,
      this.prng.range(0, 1000),
      `${v.digits(this.prng, this.prng.range(1, 9))}.${String(this.prng.int(100)).padStart(2, '0')}`,
      this.prng.chance(0.2) ? null : v.textValue(this.prng),
    ]);
    this.counts.updates += 1;
  }

  private async deleteOrderLine(): Promise<void> {
    const index = this.pickIndex(this.orderLines);
    if (index === null) return;
    const [orderId, lineNo] = this.orderLines[index]!;
    await this.client.query('DELETE FROM order_lines WHERE order_id = $1 AND line_no = $2', [String(orderId), lineNo]);
    this.orderLines.splice(index, 1);
    this.counts.deletes += 1;
  }

  /** Moves a line to a new line number (one part of the composite key changes). */
  private async changeOrderLineKey(): Promise<void> {
    const index = this.pickIndex(this.orderLines);
    if (index === null) return this.insertOrderLine();
    const [orderId, lineNo] = this.orderLines[index]!;
    let newLine = lineNo + 100;
    while (this.orderLines.some(([order, line]) => order === orderId && line === newLine)) newLine += 1;
    await this.client.query('UPDATE order_lines SET line_no = $3, qty = qty + 1 WHERE order_id = $1 AND line_no = $2', [String(orderId), lineNo, newLine]);
    this.orderLines[index] = [orderId, newLine];
    this.counts.keyChanges += 1;
  }

  private evolvingValue(column: string): unknown {
    switch (column) {
      case 'score':
        return `${v.digits(this.prng, this.prng.range(1, 6))}.${String(this.prng.int(100)).padStart(2, '0')}`;
      case 'labels':
        return v.textArray(this.prng);
      default:
        return v.timestamptzValue(this.prng);
    }
  }

  private async insertEvolving(): Promise<void> {
    const id = this.takeId();
    const names = ['id', 'name', ...this.evolvingColumns];
    const values = [id, v.textValue(this.prng), ...this.evolvingColumns.map((column) => this.evolvingValue(column))];
    await this.client.query(`INSERT INTO evolving (${names.map(quote).join(', ')}) VALUES (${values.map((_, i) => `$${i + 1}`).join(', ')})`, values);
    this.evolvingIds.push(id);
    this.counts.inserts += 1;
  }

  private async updateEvolving(): Promise<void> {
    const index = this.pickIndex(this.evolvingIds);
    if (index === null) return this.insertEvolving();
    const columns = ['name', ...this.evolvingColumns];
    const column = this.prng.pick(columns);
    const value = column === 'name' ? v.textValue(this.prng) : this.evolvingValue(column);
    await this.client.query(`UPDATE evolving SET ${quote(column)} = $2 WHERE id = $1`, [this.evolvingIds[index], value]);
    this.counts.updates += 1;
  }

  private async insertTruncated(): Promise<void> {
    const id = this.takeId();
    await this.client.query('INSERT INTO truncated (id, payload, at) VALUES ($1, $2, $3::timestamp)', [id, v.textValue(this.prng), v.timestampValue(this.prng, 6)]);
    this.truncatedIds.push(id);
    this.counts.inserts += 1;
  }

  private async updateOrDeleteTruncated(): Promise<void> {
    const index = this.pickIndex(this.truncatedIds);
    if (index === null) return this.insertTruncated();
    if (this.prng.chance(0.7)) {
      await this.client.query('UPDATE truncated SET payload = $2 WHERE id = $1', [this.truncatedIds[index], v.textValue(this.prng)]);
      this.counts.updates += 1;
    } else {
      await this.client.query('DELETE FROM truncated WHERE id = $1', [this.truncatedIds[index]]);
      this.truncatedIds.splice(index, 1);
      this.counts.deletes += 1;
    }
  }
}
