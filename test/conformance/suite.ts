/**
 * The conformance suite every writer passes against its real server or emulator. A destination
 * calls runConformanceSuite(harness) from its own `<destination>.test.ts`. Batches are built
 * directly (no Kafka), bulk cases come from a seeded generator, and every expected state is
 * computed by TableModel from the batches written, never typed in by hand.
 */
import assert from 'node:assert/strict';
import { type TestContext, after, before, describe, it as nodeIt } from 'node:test';
import { UNCHANGED, type TableSchema, type Value } from '../../src/cdc/types.ts';
import { isSinkError } from '../../src/errors.ts';
import type { RowChange, TableBatch, TargetTable, WriteContext, WriteResult, Writer } from '../../src/writer/types.ts';
import { batchOf, column, remove, tableSchema, upsert } from './batches.ts';
import { goldenColumnNames, goldenRows, goldenSchema } from './golden-values.ts';
import type { ConformanceHarness } from './harness.ts';
import { TableModel, canonicalRows } from './model.ts';
import { SeededRandom } from './random.ts';

const context: WriteContext = { signal: new AbortController().signal };

/** A table written by a case, with the model of what it must contain. */
class CaseTable {
  readonly model = new TableModel();

  constructor(
    readonly harness: ConformanceHarness,
    readonly writer: Writer,
    readonly table: TargetTable,
    public schema: TableSchema,
  ) {}

  async write(changes: readonly RowChange[], options: { truncateFirst?: boolean; schema?: TableSchema } = {}): Promise<TableBatch> {
    if (options.schema !== undefined) this.schema = options.schema;
    const batch = batchOf(this.table, this.schema, changes, options.truncateFirst ?? false);
    const result = await this.writer.write(batch, context);
    assert.deepEqual(result.failures, [], 'a batch of valid changes must be written whole');
    this.model.apply(batch);
    return batch;
  }

  async assertMatches(message: string): Promise<void> {
    const rows = await this.harness.readTable(this.table, this.schema);
    const actual = canonicalRows(this.schema, rows);
    const expected = this.model.expected(this.schema, this.harness.capabilities.normaliseExpected);
    assert.deepStrictEqual(actual, expected, `${message}: ${this.table.namespace}.${this.table.name} differs from the expected state`);
  }
}

const basicSchema = tableSchema(
  [
    column('id', { kind: 'int64' }, false),
    column('name', { kind: 'string' }),
    column('amount', { kind: 'decimal', precision: 12, scale: 2 }),
    column('status', { kind: 'enum' }),
    column('updated_at', { kind: 'timestamptz' }),
    column('payload', { kind: 'json' }),
    column('note', { kind: 'string' }),
  ],
  ['id'],
);

function randomBasicRow(random: SeededRandom, id: bigint): Record<string, Value> {
  const cents = random.integer(-1_000_000, 100_000_000);
  const seconds = random.integer(-2_000_000_000, 2_000_000_000);
  return {
    id,
    name: random.text(12),
    amount: `${cents < 0 ? '-' : ''}${Math.floor(Math.abs(cents) / 100)}.${String(Math.abs(cents) % 100).padStart(2, '0')}`,
    status: random.pick(['new', 'paid', 'shipped', 'with space']),
    updated_at: `${new Date(seconds * 1000).toISOString().slice(0, 19)}.${String(random.integer(0, 999_999)).padStart(6, '0')}Z`,
    payload: JSON.stringify({ n: random.integer(0, 1000), s: random.text(6) }),
    note: random.chance(0.1) ? null : random.text(40),
  };
}

export function runConformanceSuite(harness: ConformanceHarness): void {
  const unsupportedCases = harness.capabilities.unsupportedCases ?? new Map<string, string>();
  /** node:test's `it`, but a case the harness declares unsupported is skipped with its reason. */
  const it = (title: string, fn: (t: TestContext) => Promise<void>) => {
    const reason = [...unsupportedCases].find(([start]) => title.startsWith(start))?.[1];
    return reason === undefined ? nodeIt(title, fn) : nodeIt(title, { skip: `not supported on ${harness.name}: ${reason}` });
  };
  describe(`conformance: ${harness.name}`, () => {
    let writer: Writer;
    let namespace: string;
    const extraNamespaces: string[] = [];
    let tableCounter = 0;

    const newTable = (schema: TableSchema, name?: string, inNamespace?: string): CaseTable => {
      tableCounter += 1;
      return new CaseTable(harness, writer, { namespace: inNamespace ?? namespace, name: name ?? `t${tableCounter}` }, schema);
    };

    before(async () => {
      await harness.setUp();
      writer = harness.createWriter();
      await writer.open();
      namespace = await harness.createNamespace('conformance');
    });

    after(async () => {
      await writer?.close();
      for (const extra of extraNamespaces) await harness.dropNamespace(extra);
      if (namespace !== undefined) await harness.dropNamespace(namespace);
      await harness.tearDown();
    });

    it('inserts, updates and deletes (including deleting a key that does not exist)', async () => {
      const random = new SeededRandom(1);
      const table = newTable(basicSchema);
      await table.write(Array.from({ length: 50 }, (_, index) => upsert(basicSchema, randomBasicRow(random, BigInt(index + 1)))));
      await table.assertMatches('after inserts');
      const changes: RowChange[] = [];
      for (let id = 1; id <= 20; id += 1) changes.push(upsert(basicSchema, randomBasicRow(random, BigInt(id))));
      for (let id = 21; id <= 30; id += 1) changes.push(remove(basicSchema, { id: BigInt(id) }));
      for (let id = 51; id <= 55; id += 1) changes.push(upsert(basicSchema, randomBasicRow(random, BigInt(id))));
      changes.push(remove(basicSchema, { id: 999_999n }));
      await table.write(changes);
      await table.assertMatches('after updates and deletes');
      assert.equal(table.model.size, 45);
    });

    it('applies a key change (delete of the old key and upsert of the new key in one batch), also with a composite key', async () => {
      const schema = tableSchema(
        [column('tenant', { kind: 'string' }, false), column('id', { kind: 'int32' }, false), column('value', { kind: 'string' })],
        ['tenant', 'id'],
      );
      const table = newTable(schema);
      await table.write([upsert(schema, { tenant: 'a', id: 1, value: 'one' }), upsert(schema, { tenant: 'b', id: 1, value: 'b-one' })]);
      await table.write([remove(schema, { tenant: 'a', id: 1 }), upsert(schema, { tenant: 'a', id: 2, value: 'one, moved' })]);
      await table.assertMatches('after the key change');
      assert.equal(table.model.size, 2);
    });

    it('is idempotent: replaying the same batches leaves the same state', async () => {
      const random = new SeededRandom(2);
      const table = newTable(basicSchema);
      const first = await table.write(Array.from({ length: 30 }, (_, index) => upsert(basicSchema, randomBasicRow(random, BigInt(index)))));
      const second = await table.write([
        ...Array.from({ length: 10 }, (_, index) => upsert(basicSchema, { id: BigInt(index), note: UNCHANGED, amount: '1.00' })),
        remove(basicSchema, { id: 20n }),
      ]);
      await table.assertMatches('after the first delivery');
      await writer.write(first, context);
      await writer.write(second, context);
      await writer.write(second, context);
      // A replay of `first` restores rows deleted by `second` until `second` is replayed too, as
      // with a real Kafka replay from an older offset; the end state must match.
      await table.assertMatches('after replaying every batch');
    });

    it('keeps the old value of UNCHANGED (TOAST) and absent columns on update and inserts them as NULL', async () => {
      const schema = basicSchema;
      const table = newTable(schema);
      const full = (id: bigint, note: string) => ({
        id,
        name: `n${id}`,
        amount: '10.00',
        status: 'new',
        updated_at: '2024-01-01T00:00:00Z',
        payload: '{"v": 1}',
        note,
      });
      await table.write([upsert(schema, full(1n, 'big toasted text 1')), upsert(schema, full(2n, 'big toasted text 2')), upsert(schema, full(3n, 'three'))]);
      await table.write([
        // Existing rows: the placeholder column must keep its value, the others change.
        upsert(schema, { ...full(1n, ''), note: UNCHANGED, name: 'renamed', payload: UNCHANGED }),
        // Absent columns behave like UNCHANGED.
        upsert(schema, { id: 2n, amount: '20.00' }),
        // A full row in the same batch: a different presence group.
        upsert(schema, full(3n, 'three, updated')),
        // New rows: the placeholder becomes NULL, never the placeholder text.
        upsert(schema, { ...full(4n, ''), note: UNCHANGED }),
        upsert(schema, { id: 5n, name: 'only a name' }),
      ]);
      await table.assertMatches('after the TOAST batch');
      const rows = await harness.readTable(table.table, schema);
      const byId = new Map(rows.map((row) => [String(row.get('id')), row]));
      assert.equal(byId.get('1')?.get('note'), 'big toasted text 1');
      assert.equal(byId.get('2')?.get('note'), 'big toasted text 2');
      assert.equal(byId.get('4')?.get('note'), null);
    });

    it('writes batches with many keys (compacted batches: every key once, mixed operations)', async () => {
      const random = new SeededRandom(3);
      const table = newTable(basicSchema);
      const keySpace = 4_000;
      for (let round = 0; round < 4; round += 1) {
        const changes: RowChange[] = [];
        for (let id = 0; id < keySpace; id += 1) {
          const roll = random.next();
          if (roll < 0.5) changes.push(upsert(basicSchema, randomBasicRow(random, BigInt(id))));
          else if (roll < 0.6) changes.push(remove(basicSchema, { id: BigInt(id) }));
          else if (roll < 0.7) changes.push(upsert(basicSchema, { ...randomBasicRow(random, BigInt(id)), note: UNCHANGED }));
        }
        await table.write(changes);
      }
      await table.assertMatches('after four bulk batches');
    });

    it('writes concurrent batches of disjoint keys of one table', async () => {
      const random = new SeededRandom(4);
      const table = newTable(basicSchema);
      const batches = Array.from({ length: 4 }, (_, lane) =>
        batchOf(
          table.table,
          basicSchema,
          Array.from({ length: 200 }, (_, index) => upsert(basicSchema, randomBasicRow(random, BigInt(lane * 1000 + index)))),
        ),
      );
      await writer.write(batches[0] as TableBatch, context); // creates the table before the race
      await Promise.all(batches.map((batch) => writer.write(batch, context)));
      for (const batch of batches) table.model.apply(batch);
      await table.assertMatches('after concurrent batches');
    });

    it('adds a new column when the schema grows, leaving it NULL on old rows', async () => {
      const v1 = tableSchema([column('id', { kind: 'int32' }, false), column('a', { kind: 'string' })], ['id']);
      const v2 = tableSchema([...v1.columns, column('b', { kind: 'int64' }), column('Mixed Case "c"', { kind: 'date' })], ['id']);
      const table = newTable(v1);
      await table.write([upsert(v1, { id: 1, a: 'one' }), upsert(v1, { id: 2, a: 'two' })]);
      await table.write(
        [
          upsert(v2, { id: 1, a: 'one', b: 10n, 'Mixed Case "c"': '2020-02-02' }),
          // An older event in a batch carrying the newer schema: it lacks the new columns.
          upsert(v2, { id: 2, a: 'two, old event' }),
          upsert(v2, { id: 3, a: 'three' }),
        ],
        { schema: v2 },
      );
      await table.assertMatches('after the schema grew');
      // Writing with the old schema again (a late event) must still work.
      await table.write([upsert(v1, { id: 4, a: 'four, late' })], { schema: v1 });
      table.schema = v2;
      await table.assertMatches('after a late old-schema batch');
    });

    it('empties the table first when truncateFirst is set', async () => {
      const table = newTable(basicSchema);
      const random = new SeededRandom(5);
      await table.write(Array.from({ length: 20 }, (_, index) => upsert(basicSchema, randomBasicRow(random, BigInt(index)))));
      await table.write([upsert(basicSchema, randomBasicRow(random, 5n)), upsert(basicSchema, randomBasicRow(random, 100n))], { truncateFirst: true });
      await table.assertMatches('after truncate + upserts');
      assert.equal(table.model.size, 2);
      await table.write([], { truncateFirst: true });
      await table.assertMatches('after a truncate alone');
      assert.equal(table.model.size, 0);
    });

    it('round-trips golden values of every logical type', async (t) => {
      const unsupported = harness.capabilities.unsupportedGolden ?? new Map<string, string>();
      for (const [name, reason] of unsupported) t.diagnostic(`golden column ${name} not checked on ${harness.name}: ${reason}`);
      const schema = tableSchema(
        goldenSchema.columns.filter((candidate) => !unsupported.has(candidate.name)),
        goldenSchema.key,
      );
      assert.ok(goldenColumnNames.length >= 30);
      const table = newTable(schema, 'golden');
      const rows = goldenRows().map((row) => Object.fromEntries(Object.entries(row).filter(([name]) => !unsupported.has(name))));
      await table.write(rows.map((row) => upsert(schema, row)));
      await table.assertMatches('golden values');
      // Overwriting every value with the next row's values (update path, not only insert).
      await table.write(rows.map((row, index) => upsert(schema, { ...(rows[(index + 1) % rows.length] ?? row), id: row.id ?? null })));
      await table.assertMatches('golden values after updates');
    });

    it('quotes hostile table, column and namespace names', async () => {
      const limit = harness.capabilities.maxIdentifierBytes;
      const longName = (seed: string) => {
        let name = seed;
        while (Buffer.byteLength(`${name}é`) <= limit) name += 'é';
        while (Buffer.byteLength(`${name}x`) <= limit) name += 'x';
        return name;
      };
      const hostileColumns = ['"quoted"', 'col with space', 'MiXeD', 'a;b', '"; DROP TABLE x; --', 'select', 'c0', '__group', "it's", longName('col_')];
      const schema = tableSchema(
        [column('Id "key"', { kind: 'int32' }, false), ...hostileColumns.map((name) => column(name, { kind: 'string' }))],
        ['Id "key"'],
      );
      const guardSchema = tableSchema([column('id', { kind: 'int32' }, false)], ['id']);
      const guard = newTable(guardSchema, 'x');
      await guard.write([upsert(guardSchema, { id: 1 })]);
      const tableNames = ['we"ird', 'with space', 'semi;colon', 'MixedCase', 'mixedcase', '"; DROP TABLE x; --', 'ünïcödé 日本', longName('table_')];
      const hostileNamespace = await harness.createNamespace('ns "hostile"; DROP SCHEMA x; --');
      extraNamespaces.push(hostileNamespace);
      const tables = [...tableNames.map((name) => newTable(schema, name)), newTable(schema, 'in a hostile namespace', hostileNamespace)];
      for (const table of tables) {
        const row: Record<string, Value> = { 'Id "key"': 1 };
        for (const name of hostileColumns) row[name] = `${table.table.name} / ${name}`;
        await table.write([upsert(schema, row), upsert(schema, { 'Id "key"': 2, '"quoted"': 'only one column' })]);
        await table.write([remove(schema, { 'Id "key"': 2 }), upsert(schema, { 'Id "key"': 3, MiXeD: 'x' })]);
        await table.assertMatches(`hostile table ${JSON.stringify(table.table.name)}`);
      }
      await guard.assertMatches('the guard table x survived');
    });

    it('rejects values the destination cannot store as poison (whole batch thrown, or that change returned), and stays usable', async (t) => {
      const cases = harness.capabilities.poisonCases;
      if (cases.length === 0) t.diagnostic(`${harness.name} declares no value it rejects; nothing to check`);
      for (const poison of cases) {
        const schema = tableSchema([column('id', { kind: 'int32' }, false), poison.column], ['id']);
        const table = newTable(schema);
        await table.write([upsert(schema, { id: 1, [poison.column.name]: null })]);
        const bad = upsert(schema, { id: 2, [poison.column.name]: poison.value });
        const good = upsert(schema, { id: 3 });
        const batch = batchOf(table.table, schema, [bad, good]);
        let result: WriteResult | null = null;
        try {
          result = await writer.write(batch, context);
        } catch (error) {
          // Whole-batch failure: nothing of the batch may have been written (the core bisects).
          assert.ok(isSinkError(error), `${poison.description}: expected a SinkError, got ${String(error)}`);
          assert.equal(error.errorClass, 'poison', `${poison.description}: ${error.message}`);
        }
        if (result !== null) {
          // Per-change failure (bulk APIs): exactly the bad change is returned, the rest is written.
          assert.equal(result.failures.length, 1, `${poison.description}: the bad change must be reported`);
          assert.equal(result.failures[0]?.change, bad);
          assert.equal(result.failures[0]?.error.errorClass, 'poison');
          table.model.apply(batchOf(table.table, schema, [good]));
        }
        await table.assertMatches(`right after the poison case "${poison.description}"`);
        await table.write([good]);
        await table.assertMatches(`after the poison case "${poison.description}"`);
      }
    });
  });
}
