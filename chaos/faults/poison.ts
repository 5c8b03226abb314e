/**
 * Fault 3, poison corpus — the kinds test/e2e/postgres-poison.test.ts does not cover (that test
 * keeps its corpus of malformed JSON, value mismatches, invalid UTF-8, unknown ops, numeric
 * overflow and NUL in text): hostile identifiers and oversized values. Shared services.
 *
 * - Hostile identifiers (source schema, table and column names Debezium would pass through):
 *   quotes, `;`, SQL comments, a single quote, and names longer than PostgreSQL's 63 bytes (two
 *   of them equal in their first 63 bytes). Each must be written to a table of exactly that
 *   name, quoted, or dead-lettered with a reason; never executed: a canary table must survive.
 * - Oversized: a primary-key value of 10,000 random characters (over the btree row limit; PostgreSQL
 *   refuses it: dead-lettered with a reason), and a 900 kB text value (written intact).
 *
 * Accounting: the group commits every record; records in = written + dead-lettered.
 * Sizes: full 2,000 rows per table; ci 20.
 */
import type { Value } from '../../src/cdc/types.ts';
import { text } from '../../src/loadgen/column-types.ts';
import { DebeziumTableEncoder, defineTable, Prng, type TableDefinition } from '../../src/loadgen/index.ts';
import { deadLetterHeaders } from '../../src/pipeline/dead-letter.ts';
import { readTopic } from '../../test/support/sluice-harness.ts';
import { Cluster, chaosName, quoteIdentifier, sharedEndpoints } from '../lib/cluster.ts';
import { FaultReport, roundSeconds, type Fault, type FaultContext, type FaultResult } from '../lib/result.ts';
import { SluiceChild, sinkSettings, until } from '../lib/sluice-child.ts';

const SIZES = { ci: { rows: 20 }, full: { rows: 2_000 } } as const;
const LONG = 'l'.repeat(60);

interface HostileTable {
  readonly label: string;
  readonly definition: TableDefinition;
  /** What must happen to its rows. */
  readonly expect: 'written' | 'written-or-dead-lettered';
}

function hostileTables(): HostileTable[] {
  const narrow = (schema: string, name: string, labelColumn = 'label'): TableDefinition => {
    const base = defineTable('narrow', schema, name);
    return { ...base, columns: base.columns.map((column) => (column.name === 'label' ? { ...column, name: labelColumn } : column)) };
  };
  return [
    { label: 'quotes and ; in the table and a column', definition: narrow('public', 'evil"; DROP TABLE public.canary; --', 'la"bel; DELETE FROM public.canary; --'), expect: 'written' },
    { label: "quote and ; in the schema, ' in the table", definition: narrow('sch;ema"', "tbl'quote"), expect: 'written' },
    { label: 'table name of 80 bytes', definition: narrow('public', `${LONG}_aaaaaaaaaaaaaaaaaaa`), expect: 'written-or-dead-lettered' },
    { label: 'table name of 80 bytes, same first 63', definition: narrow('public', `${LONG}_bbbbbbbbbbbbbbbbbbb`), expect: 'written-or-dead-lettered' },
    { label: 'column name of 80 bytes', definition: narrow('public', 'long_column', `${LONG}_cccccccccccccccccccc`), expect: 'written-or-dead-lettered' },
  ];
}

/** A narrow table keyed by text, for the oversized key. */
function textKeyed(): TableDefinition {
  const base = defineTable('narrow', 'public', 'oversized');
  return {
    ...base,
    columns: base.columns.map((column) => (column.name === 'id' ? { ...column, type: text } : column)),
    keyValues: (sequence) => [`key-${sequence}`],
  };
}

interface Produced {
  readonly table: TableDefinition;
  readonly key: Buffer;
  readonly value: Buffer;
  readonly id: Value;
  readonly expect: 'written' | 'dead-lettered' | 'written-or-dead-lettered';
}

export const poisonFault: Fault = {
  name: 'poison',
  description: 'hostile identifiers and oversized values: quoted safely or dead-lettered with reasons, no injection',
  async run(context: FaultContext): Promise<FaultResult> {
    const size = SIZES[context.size];
    const report = new FaultReport('poison', context);
    const cluster = new Cluster(sharedEndpoints());
    const database = await cluster.createDatabase('chaos_poison');
    const topic = chaosName('chaos_poison');
    const group = chaosName('chaos_poison_group');
    let child: SluiceChild | null = null;
    try {
      await cluster.withClient(database, async (client) => {
        await client.query('CREATE TABLE public.canary (id int PRIMARY KEY)');
        await client.query('INSERT INTO public.canary VALUES (1)');
      });
      const records: Produced[] = [];
      let sequence = 0;
      const stamp = () => ({ sourceMicros: 1_767_225_600_000_000 + sequence, processedMicros: 1_767_225_600_002_000 + sequence, txId: 5_000_000n + BigInt(sequence), lsn: BigInt(1_000 + sequence), lastCommitLsn: null });
      const add = (table: TableDefinition, row: Record<string, Value>, expect: Produced['expect']): void => {
        sequence++;
        const encoder = new DebeziumTableEncoder(table, { topicPrefix: 'chaos', database: 'inventory', schemasEnabled: true, connectorVersion: '3.6.1.Final' });
        const values = table.columns.map((column) => row[column.name] ?? null);
        const id = row[table.key[0]!]!;
        records.push({ table, key: encoder.key([id]), value: Buffer.from(encoder.upsert('c', values, stamp())), id, expect });
      };
      const hostile = hostileTables();
      for (const entry of hostile) {
        const labelColumn = entry.definition.columns[1]!.name;
        for (let index = 0; index < size.rows; index++) add(entry.definition, { id: BigInt(index + 1), [labelColumn]: `row ${index} '); DROP TABLE public.canary; --`, counter: index, flag: true, score: 1.5 }, entry.expect);
      }
      const oversized = textKeyed();
      for (let index = 0; index < size.rows; index++) add(oversized, { id: `key-${index}`, label: 'normal', counter: index, flag: false, score: 0 }, 'written');
      // Random text: a repeated character would compress under the btree row limit and be accepted.
      const rng = new Prng(`chaos-poison:${context.seed}`);
      const hugeKey = Array.from({ length: 10_000 }, () => 'abcdefghijklmnopqrstuvwxyz0123456789'[rng.int(36)]).join('');
      add(oversized, { id: hugeKey, label: 'oversized key', counter: -1, flag: false, score: 0 }, 'dead-lettered');
      const bigLabel = 'x'.repeat(900_000);
      add(oversized, { id: 'big-value', label: bigLabel, counter: -2, flag: false, score: 0 }, 'written');

      await cluster.createTopic(topic, 1, { 'max.message.bytes': String(4 * 1024 * 1024) });
      const producer = cluster.kafka('sluice-chaos-poison').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      try {
        // Sends of at most ~500 kB (the 900 kB record alone), under the broker's request limit.
        let batch: Produced[] = [];
        let bytes = 0;
        const flush = async (): Promise<void> => {
          if (batch.length > 0) await producer.send({ topic, acks: -1, messages: batch.map((record) => ({ key: record.key, value: record.value })) });
          batch = [];
          bytes = 0;
        };
        for (const record of records) {
          if (bytes + record.value.length > 500_000) await flush();
          batch.push(record);
          bytes += record.value.length;
        }
        await flush();
      } finally {
        await producer.disconnect();
      }

      const settings = sinkSettings({ endpoints: cluster.endpoints, databaseUrl: cluster.databaseUrl(database), topics: [topic], group });
      child = await SluiceChild.start(settings);
      const sluice = child;
      const started = performance.now();
      let progress = await cluster.groupProgress(group, [topic]);
      await until(
        async () => {
          if (!sluice.alive) throw new Error(`sluice exited: ${sluice.describe()}`);
          progress = await cluster.groupProgress(group, [topic]);
          return progress.committed >= progress.end;
        },
        { timeoutMs: 300_000, describe: () => `committed ${progress.committed}/${progress.end}; ${sluice.describe()}` },
      );
      const settledSeconds = (performance.now() - started) / 1000;

      const deadLetters = await readTopic(`${group}.dlq`).catch(() => []);
      const dlqByTable = new Map<string, { count: number; reasons: Set<string> }>();
      for (const letter of deadLetters) {
        const table = letter.headers[deadLetterHeaders.table] ?? '?';
        const entry = dlqByTable.get(table) ?? { count: 0, reasons: new Set<string>() };
        entry.count++;
        entry.reasons.add(`${letter.headers[deadLetterHeaders.code] ?? '?'}: ${(letter.headers[deadLetterHeaders.reason] ?? '').slice(0, 120)}`);
        dlqByTable.set(table, entry);
      }
      // The table header is the JSON array [schema, name].
      const lettersFor = (table: TableDefinition): number => dlqByTable.get(JSON.stringify([table.schema, table.name]))?.count ?? 0;
      report.details.dead_letters_by_table = Object.fromEntries([...dlqByTable].map(([table, entry]) => [table, { count: entry.count, reasons: [...entry.reasons] }]));
      report.check('every dead letter has a reason', deadLetters.every((letter) => (letter.headers[deadLetterHeaders.reason] ?? '') !== ''), `${deadLetters.length} dead letters`);

      const outcomes: Record<string, unknown>[] = [];
      let written = 0;
      await cluster.withClient(database, async (client) => {
        const canary = await client.query<{ n: string }>('SELECT count(*)::text AS n FROM public.canary');
        report.check('no SQL injection: the canary table survives intact', canary.rows[0]?.n === '1', `canary rows: ${canary.rows[0]?.n}`);
        for (const table of [...hostile.map((entry) => entry.definition), oversized]) {
          const exact = await client.query<{ relname: string }>('SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [table.schema, table.name]);
          const truncated = await client.query<{ relname: string }>('SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2', [table.schema, Buffer.from(table.name).subarray(0, 63).toString()]);
          let rows = 0;
          if (exact.rowCount === 1) rows = Number((await client.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${quoteIdentifier(table.schema)}.${quoteIdentifier(table.name)}`)).rows[0]?.n ?? 0);
          outcomes.push({ schema: table.schema, table: table.name.length > 40 ? `${table.name.slice(0, 20)}…(${table.name.length})` : table.name, exact_table: exact.rowCount === 1, truncated_table: truncated.rowCount === 1 && exact.rowCount !== 1, rows });
          written += rows;
        }
        const big = await client.query<{ n: string }>(`SELECT length(label)::text AS n FROM public.oversized WHERE id = 'big-value'`).catch(() => ({ rows: [] as { n: string }[] }));
        report.check('the 900 kB value is written intact', big.rows[0]?.n === String(bigLabel.length), `length ${big.rows[0]?.n ?? 'missing'}`);
      });
      report.details.tables = outcomes;
      for (const [index, entry] of hostile.entries()) {
        const outcome = outcomes[index]!;
        const rows = Number(outcome.rows);
        const letters = lettersFor(entry.definition);
        const ok = entry.expect === 'written' ? rows === size.rows : rows + letters === size.rows && outcome.truncated_table !== true;
        report.check(`${entry.label}: ${entry.expect === 'written' ? 'written, quoted' : 'written to its exact name or dead-lettered'}`, ok, `${rows} rows in the exactly named table, ${letters} dead-lettered${outcome.truncated_table === true ? ', a table with the name cut to 63 bytes exists' : ''}`);
      }
      const oversizedLetters = lettersFor(oversized);
      report.check('the oversized key is dead-lettered with a reason', oversizedLetters === 1, `${oversizedLetters} dead letter(s) for public.oversized`);
      report.check('records in = written + dead-lettered', written + deadLetters.length === records.length, `${records.length} in, ${written} rows written, ${deadLetters.length} dead-lettered`);

      return report.finish({
        produced: records.length,
        written,
        dead_lettered: deadLetters.length,
        lost: Math.max(0, records.length - written - deadLetters.length) + Math.max(0, progress.end - progress.committed),
        duplicated_in_final_state: Math.max(0, written + deadLetters.length - records.length),
        time_to_recover_s: roundSeconds(settledSeconds),
      });
    } finally {
      await child?.stop('SIGTERM');
      await cluster.dropDatabase(database).catch(() => undefined);
      await cluster.deleteTopics([topic, `${group}.dlq`]).catch(() => undefined);
    }
  },
};
