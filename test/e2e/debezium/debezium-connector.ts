/**
 * The Debezium PostgreSQL connector configuration the end-to-end test runs, and the clean-up of
 * what a connector leaves in PostgreSQL (its replication slot and publication), which outlive the
 * connector and would pin WAL forever.
 */
import pg from 'pg';
import { postgresUrl } from '../../support/services.ts';
import { type ConnectorConfig, deleteConnector, listConnectors } from './kafka-connect.ts';

/** Names of one run: connector, topic prefix, slot and publication are all this name. */
export const RUN_PREFIX = 'sluice_dbz';

export function debeziumPostgresConfig(options: {
  readonly name: string;
  readonly database: string;
  readonly singlePartitionTables: readonly string[];
  readonly partitions: number;
}): ConnectorConfig {
  const url = new URL(postgresUrl(options.database));
  const escapedPrefix = options.name.replaceAll('.', '\\.');
  return {
    'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
    'tasks.max': '1',
    'database.hostname': url.hostname,
    'database.port': url.port || '5432',
    'database.user': decodeURIComponent(url.username) || 'postgres',
    'database.password': decodeURIComponent(url.password),
    'database.dbname': options.database,
    'topic.prefix': options.name,
    'plugin.name': 'pgoutput',
    'slot.name': options.name,
    'publication.name': options.name,
    'publication.autocreate.mode': 'filtered',
    'schema.include.list': 'public',
    'snapshot.mode': 'initial',
    // Exact values: decimals as Decimal/VariableScaleDecimal bytes, intervals as ISO-8601 text
    // (the numeric mode turns a month into 30.4375 days), truncates emitted (skipped by default).
    'decimal.handling.mode': 'precise',
    'interval.handling.mode': 'string',
    'skipped.operations': 'none',
    'tombstones.on.delete': 'true',
    // A bit varying column is Bits with the declared length; only the source type tells the
    // decoder the value is not padded to it.
    'column.propagate.source.type': '.*\\.all_types\\.vb',
    // The broker does not auto-create topics; Connect creates them. Truncated tables keep one
    // partition so a truncate (no key) stays ordered with the table's other changes.
    'topic.creation.default.partitions': String(options.partitions),
    'topic.creation.default.replication.factor': '1',
    'topic.creation.groups': 'ordered',
    'topic.creation.ordered.include': `${escapedPrefix}\\.public\\.(${options.singlePartitionTables.join('|')})`,
    'topic.creation.ordered.partitions': '1',
    'topic.creation.ordered.replication.factor': '1',
  };
}

async function withServerClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl('postgres') });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Deletes the connector, then drops its replication slot once the walsender released it, and its
 * publication in the source database (when that still exists).
 */
export async function removeConnector(name: string, sourceDatabase: string | null): Promise<void> {
  await deleteConnector(name).catch(() => undefined);
  await withServerClient(async (client) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const slot = await client.query<{ active: boolean }>('SELECT active FROM pg_replication_slots WHERE slot_name = $1', [name]);
      if (slot.rowCount === 0) break;
      if (!slot.rows[0]!.active) {
        await client.query('SELECT pg_drop_replication_slot($1)', [name]);
        break;
      }
      if (Date.now() > deadline) throw new Error(`replication slot ${name} still active 30 s after its connector was deleted`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });
  if (sourceDatabase !== null) {
    const client = new pg.Client({ connectionString: postgresUrl(sourceDatabase) });
    await client.connect();
    try {
      await client.query(`DROP PUBLICATION IF EXISTS "${name.replaceAll('"', '""')}"`);
    } finally {
      await client.end();
    }
  }
}

/**
 * Slots of earlier runs of this test that died before their clean-up (inactive, named exactly
 * like ours, with no connector registered in the shared worker): dropped, with their source databases, so they stop
 * holding WAL. Returns what was dropped.
 */
export async function dropLeftoverSlots(): Promise<string[]> {
  const registered = new Set(await listConnectors());
  return withServerClient(async (client) => {
    const slots = await client.query<{ slot_name: string; database: string | null }>(
      // Exactly this test's names (uniqueName(RUN_PREFIX)): other tests build theirs from RUN_PREFIX
      // too (sluice_dbz_avro_…) and run their own workers, whose connectors this worker cannot see.
      "SELECT slot_name, database FROM pg_replication_slots WHERE slot_name ~ '^sluice_dbz_[0-9a-z]+_[0-9a-f]{8}$' AND NOT active",
    );
    const dropped: string[] = [];
    for (const slot of slots.rows) {
      if (registered.has(slot.slot_name)) continue;
      await client.query('SELECT pg_drop_replication_slot($1)', [slot.slot_name]);
      dropped.push(slot.slot_name);
      const database = slot.database ?? '';
      if (database.startsWith(`${RUN_PREFIX}_src`)) {
        await client.query(`DROP DATABASE IF EXISTS "${database.replaceAll('"', '""')}" WITH (FORCE)`);
      }
    }
    return dropped;
  });
}

/**
 * Why a new connector may not start yet: creating a logical replication slot waits until every
 * transaction that holds a transaction id anywhere on the server has ended. Lists those older
 * than a few seconds (other tests' long transactions on the shared server).
 */
export async function transactionsDelayingSlotCreation(): Promise<string> {
  return withServerClient(async (client) => {
    const result = await client.query<{ pid: number; datname: string | null; application_name: string; age: string; state: string | null }>(
      `SELECT pid, datname, application_name, (now() - xact_start)::text AS age, state
         FROM pg_stat_activity
        WHERE backend_xid IS NOT NULL AND xact_start < now() - interval '5 seconds' AND pid <> pg_backend_pid()
        ORDER BY xact_start`,
    );
    if (result.rowCount === 0) return '';
    return `; creating the replication slot waits for these open transactions: ${result.rows.map((row) => `pid ${row.pid} db ${row.datname} app ${JSON.stringify(row.application_name)} open ${row.age} (${row.state})`).join('; ')}`;
  });
}
