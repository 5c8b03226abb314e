/**
 * The operator's view during a real run (issue 9 acceptance): generated Debezium events through
 * the real broker into the real PostgreSQL, with the service observed only through /metrics,
 * /readyz and /status.
 *
 *   1. flowing: events consumed, rows written and end-to-end latency observations increase;
 *   2. the sink is slowed (a BEFORE INSERT trigger sleeps per row) while events keep arriving:
 *      the lag gauge rises, partitions pause, the write stage is named the bottleneck; the
 *      trigger is dropped and everything drains; /readyz is ready;
 *   3. the sink fails (the service's role gets CONNECTION LIMIT 0 and its sessions are
 *      terminated) while new events arrive: write errors are counted and /readyz turns
 *      unready naming the sink; the limit is lifted: /readyz is ready again;
 *   4. nothing lost: every record committed, lag zero, both tables equal their expected state.
 *
 * Sizes from env: SLUICE_E2E_OBS_EVENTS (default 45,000), SLUICE_E2E_OBS_RATE (events/s,
 * default 1,500), SLUICE_E2E_OBS_ROW_SLEEP_MS (trigger sleep per row, default 5).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ControllerSnapshot } from '../../src/control/controller.ts';
import { createWorkload, produceWorkload, verifyPostgres, type Workload } from '../../src/loadgen/index.ts';
import {
  createTopicsOf,
  fetchStatus,
  groupProgress,
  type MetricSample,
  metricSum,
  postgresSinkSettings,
  readiness,
  scrapeMetrics,
  startInProcess,
  waitFor,
  withClient,
} from '../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, postgresUrl, startServices, type TestDatabase, uniqueName } from '../support/services.ts';

const EVENTS = Number(process.env.SLUICE_E2E_OBS_EVENTS ?? 45_000);
const RATE = Number(process.env.SLUICE_E2E_OBS_RATE ?? 1_500);
const ROW_SLEEP_MS = Number(process.env.SLUICE_E2E_OBS_ROW_SLEEP_MS ?? 5);
const LATE_EVENTS = 3_000;

const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

describe(`observability end to end: ${EVENTS} events at ${RATE}/s, a slowed and then a failing PostgreSQL`, () => {
  let database: TestDatabase;
  let role: string;
  let steady: Workload;
  let late: Workload;
  let topics: string[];

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_obs');
    // The service connects as its own role, so its sessions can be refused and terminated
    // without touching anyone else's (connection limits do not apply to superusers).
    role = uniqueName('sluice_obs_role');
    const prefix = uniqueName('obs');
    await withClient(postgresUrl(), async (client) => {
      await client.query(`CREATE ROLE ${quote(role)} LOGIN`);
      await client.query(`ALTER DATABASE ${quote(database.name)} OWNER TO ${quote(role)}`);
    });
    const mix = { insert: 0.4, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 };
    steady = createWorkload({ seed: 9_001, tables: ['measurements'], events: EVENTS, partitions: 4, topicPrefix: prefix, clock: { kind: 'wall' }, mix });
    late = createWorkload({
      seed: 9_002,
      tables: [{ shape: 'measurements', name: 'measurements_late' }],
      events: LATE_EVENTS,
      partitions: 4,
      topicPrefix: prefix,
      clock: { kind: 'wall' },
      mix,
    });
    topics = [...steady.topics(), ...late.topics()].map((spec) => spec.topic);
    await createTopicsOf([...steady.topics(), ...late.topics()]);
  });

  after(async () => {
    await database?.drop();
    if (role !== undefined) await withClient(postgresUrl(), (client) => client.query(`DROP ROLE IF EXISTS ${quote(role)}`));
  });

  test('metrics move with the run, the slowed sink is diagnosed, /readyz follows the failing sink, nothing is lost', async (t) => {
    const group = uniqueName('obs-group');
    const serviceUrl = new URL(database.url);
    serviceUrl.username = role;
    const service = await startInProcess(
      postgresSinkSettings({
        topics,
        databaseUrl: serviceUrl.toString(),
        group,
        extra: {
          SLUICE_MAX_INFLIGHT_BYTES: String(16 * 1024 * 1024),
          SLUICE_FETCH_MAX_BYTES: String(2 * 1024 * 1024),
          SLUICE_PARTITION_FETCH_MAX_BYTES: String(512 * 1024),
          SLUICE_CONTROL_INTERVAL_MS: '500',
          SLUICE_LAG_SAMPLE_INTERVAL_MS: '500',
          SLUICE_READY_SINK_FAILURE_MS: '2000',
          SLUICE_RETRY_BASE_MS: '100',
          SLUICE_RETRY_MAX_MS: '1000',
        },
      }),
    );
    const producing = produceWorkload(steady, { brokers: kafkaBrokers(), createTopics: false, schedule: [{ eventsPerSecond: RATE }] });
    let latest: MetricSample[] = [];
    const scrape = async (): Promise<MetricSample[]> => {
      latest = await scrapeMetrics(service.url);
      return latest;
    };
    const sum = (name: string, labels: Record<string, string> = {}): number => metricSum(latest, name, labels);
    const slowTable = `${quote('public')}.${quote(steady.tableDefinitions()[0]!.name)}`;
    let slowed = false;
    let limited = false;
    try {
      // 1. Flowing: the counters move.
      await waitFor(async () => (await scrape()) && sum('sluice_rows_written_total') > 0, { timeoutMs: 60_000, describe: () => 'no rows written' });
      const first = { consumed: sum('sluice_events_consumed_total'), written: sum('sluice_rows_written_total'), latencies: sum('sluice_end_to_end_latency_seconds_count') };
      await waitFor(
        async () => {
          await scrape();
          return (
            sum('sluice_events_consumed_total') > first.consumed &&
            sum('sluice_rows_written_total') > first.written &&
            sum('sluice_end_to_end_latency_seconds_count') > first.latencies
          );
        },
        { timeoutMs: 30_000, describe: () => `counters did not move from ${JSON.stringify(first)}` },
      );
      assert.ok(sum('sluice_rows_written_total', { op: 'upsert' }) > 0, 'upserts are counted by op');
      assert.ok(sum('sluice_process_resident_memory_bytes') > 0, 'default process metrics are exported');
      t.diagnostic(`flowing: consumed ${first.consumed} → ${sum('sluice_events_consumed_total')}, rows ${first.written} → ${sum('sluice_rows_written_total')}`);

      // 2. Slow the sink: every inserted row costs ROW_SLEEP_MS while events keep arriving.
      await withClient(postgresUrl(database.name), async (client) => {
        await client.query(`CREATE FUNCTION public.sluice_test_slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(${ROW_SLEEP_MS / 1000}); RETURN NEW; END $$`);
        await client.query(`CREATE TRIGGER sluice_test_slow BEFORE INSERT ON ${slowTable} FOR EACH ROW EXECUTE FUNCTION public.sluice_test_slow_row()`);
      });
      slowed = true;
      await scrape();
      const lagAtSlowdown = sum('sluice_lag_records');
      const slowedAt = Date.now();
      let lagClass = '';
      await waitFor(
        async () => {
          await scrape();
          const status = await fetchStatus<{ controller: ControllerSnapshot }>(service.url);
          lagClass = status.controller.lag?.total.lagClass ?? 'none';
          return (
            sum('sluice_lag_records') > lagAtSlowdown + RATE * 3 &&
            sum('sluice_paused_partitions') > 0 &&
            sum('sluice_bottleneck_stage', { stage: 'write' }) === 1 &&
            status.controller.bottleneck === 'write'
          );
        },
        {
          timeoutMs: 60_000,
          intervalMs: 250,
          describe: () =>
            `slowed sink: lag ${sum('sluice_lag_records')} (was ${lagAtSlowdown}), paused ${sum('sluice_paused_partitions')}, bottleneck ${latest
              .filter((s) => s.name === 'sluice_bottleneck_stage' && s.value === 1)
              .map((s) => s.labels.stage)}, busy ${latest.filter((s) => s.name === 'sluice_stage_busy_ratio').map((s) => `${s.labels.stage}=${s.value.toFixed(2)}`)}`,
        },
      );
      t.diagnostic(
        `slowed for ${Date.now() - slowedAt} ms: lag ${lagAtSlowdown} → ${sum('sluice_lag_records')} (class ${lagClass}), paused ${sum('sluice_paused_partitions')}, bottleneck write, concurrency ${sum('sluice_write_concurrency')}, batch ${sum('sluice_batch_size_rows')}, in-flight ${sum('sluice_inflight_bytes')} B`,
      );
      await withClient(postgresUrl(database.name), (client) => client.query(`DROP TRIGGER sluice_test_slow ON ${slowTable}`));
      slowed = false;

      await producing;
      let progress = await groupProgress(group, topics);
      await waitFor(
        async () => {
          progress = await groupProgress(group, topics);
          await scrape();
          return progress.committed === progress.end && sum('sluice_lag_records') === 0 && (await readiness(service.url)).ready;
        },
        { timeoutMs: 90_000, intervalMs: 500, describe: async () => `committed ${progress.committed}/${progress.end}, lag ${sum('sluice_lag_records')}, readiness ${JSON.stringify(await readiness(service.url))}` },
      );
      t.diagnostic(`drained after the slowdown: lag 0, paused ${sum('sluice_paused_partitions')}, ready`);

      // 3. Make the sink fail: the role may not connect, its open sessions are ended.
      const errorsBefore = sum('sluice_write_errors_total');
      await withClient(postgresUrl(), async (client) => {
        await client.query(`ALTER ROLE ${quote(role)} CONNECTION LIMIT 0`);
        limited = true;
        await client.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1', [role]);
      });
      const failedAt = Date.now();
      await produceWorkload(late, { brokers: kafkaBrokers(), createTopics: false });
      let unready = { status: 0, ready: true, reasons: [] as string[] };
      await waitFor(
        async () => {
          unready = await readiness(service.url);
          return unready.status === 503 && unready.reasons.some((reason) => reason.startsWith('sink failing'));
        },
        { timeoutMs: 60_000, describe: () => `readiness while the sink fails: ${JSON.stringify(unready)}` },
      );
      await scrape();
      t.diagnostic(`unready ${Date.now() - failedAt} ms after the sink began failing: ${unready.reasons.join('; ')}; write errors ${errorsBefore} → ${sum('sluice_write_errors_total')}`);
      assert.ok(sum('sluice_write_errors_total') > errorsBefore, 'failed writes are counted');

      await withClient(postgresUrl(), (client) => client.query(`ALTER ROLE ${quote(role)} CONNECTION LIMIT -1`));
      limited = false;
      const fixedAt = Date.now();
      await waitFor(async () => (await readiness(service.url)).ready, {
        timeoutMs: 60_000,
        describe: async () => `still unready after the fix: ${JSON.stringify(await readiness(service.url))}`,
      });
      t.diagnostic(`ready again ${Date.now() - fixedAt} ms after the fix`);

      // 4. Nothing lost.
      await waitFor(
        async () => {
          progress = await groupProgress(group, topics);
          await scrape();
          return progress.committed === progress.end && sum('sluice_lag_records') === 0;
        },
        { timeoutMs: 60_000, intervalMs: 500, describe: () => `committed ${progress.committed}/${progress.end}, lag ${sum('sluice_lag_records')}` },
      );
      assert.ok(sum('sluice_events_consumed_total') >= Number(progress.end), 'every record was consumed');
    } finally {
      if (limited) await withClient(postgresUrl(), (client) => client.query(`ALTER ROLE ${quote(role)} CONNECTION LIMIT -1`)).catch(() => undefined);
      if (slowed) await withClient(postgresUrl(database.name), (client) => client.query(`DROP TRIGGER IF EXISTS sluice_test_slow ON ${slowTable}`)).catch(() => undefined);
      await service.stop();
      await producing.catch(() => undefined);
    }
    assert.equal(await service.finished, null, 'the service stopped cleanly');
    await withClient(postgresUrl(database.name), async (client) => {
      for (const workload of [steady, late]) {
        const report = await verifyPostgres({ client, workload });
        assert.ok(report.equal, `target differs from the expected state: ${JSON.stringify(report.samples, null, 2)}`);
      }
    });
  });
});
