/**
 * The adaptive controller on the real path (issue 5 item 6): real broker, real PostgreSQL, the
 * real service, observed only through its /metrics and /status endpoints.
 *
 * While events keep arriving at a steady rate, a second session holds an ACCESS EXCLUSIVE lock
 * on the target table, so every write hangs. The service must then
 *   - pause partitions (sluice_paused_partitions > 0, causes 'memory'),
 *   - keep buffered + in-flight record bytes within SLUICE_MAX_INFLIGHT_BYTES (sampled gauge and
 *     the controller's exact peak), having actually reached its pause threshold,
 *   - see the lag grow and classify it (anything but 'steady'; the class is reported),
 *   - name the write stage as the bottleneck (the paused source shows as back-pressured);
 * and once the lock is released resume every partition, drain the lag to zero and leave the
 * target equal to the generator's expected state (nothing lost).
 *
 * Sizes from env: SLUICE_IT_CONTROLLER_EVENTS (default 60,000), SLUICE_IT_CONTROLLER_RATE
 * (events/s, default 1,500), SLUICE_IT_MAX_INFLIGHT_BYTES (default 8 MiB). With
 * SLUICE_IT_LAG_CLASS=linear the lock is held until the controller calls the growth linear
 * (its sustain window is 60 s: give it EVENTS/RATE ≥ 90 s).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import type { ControllerSnapshot } from '../../src/control/controller.ts';
import type { TopicPartition } from '../../src/kafka/types.ts';
import { createTableSql, createWorkload, produceWorkload, verifyPostgres, type Workload } from '../../src/loadgen/index.ts';
import type { RunningService } from '../../src/service.ts';
import {
  createTopicsOf,
  fetchStatus,
  groupProgress,
  type MetricSample,
  metricSum,
  postgresSinkSettings,
  scrapeMetrics,
  startInProcess,
  waitFor,
  withClient,
} from '../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, type TestDatabase, uniqueName } from '../support/services.ts';

const EVENTS = Number(process.env.SLUICE_IT_CONTROLLER_EVENTS ?? 60_000);
const RATE = Number(process.env.SLUICE_IT_CONTROLLER_RATE ?? 1_500);
const MAX_INFLIGHT_BYTES = Number(process.env.SLUICE_IT_MAX_INFLIGHT_BYTES ?? 8 * 1024 * 1024);
const REQUIRED_CLASS = process.env.SLUICE_IT_LAG_CLASS;

interface StatusView {
  readonly pausedPartitions: readonly TopicPartition[];
  readonly controller: ControllerSnapshot;
}

/** Scrapes /metrics every `intervalMs` in the background and keeps what the test asserts on. */
class MetricsWatcher {
  maxInflightBytes = 0;
  maxPaused = 0;
  scrapes = 0;
  latest: MetricSample[] = [];
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly url: string,
    intervalMs: number,
  ) {
    this.loop = (async () => {
      while (this.running) {
        const samples = await scrapeMetrics(this.url);
        this.latest = samples;
        this.scrapes += 1;
        this.maxInflightBytes = Math.max(this.maxInflightBytes, metricSum(samples, 'sluice_inflight_bytes'));
        this.maxPaused = Math.max(this.maxPaused, metricSum(samples, 'sluice_paused_partitions'));
        await new Promise((resolve) => setTimeout(resolve, intervalMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

describe(`controller on the real sink: a locked PostgreSQL table under ${RATE} events/s, ${(MAX_INFLIGHT_BYTES / 1_048_576).toFixed(0)} MiB in-flight bound`, () => {
  let database: TestDatabase;
  let workload: Workload;
  let topics: string[];

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_ctl');
    workload = createWorkload({
      seed: 5_006,
      tables: ['measurements'],
      events: EVENTS,
      partitions: 4,
      topicPrefix: uniqueName('ctl'),
      clock: { kind: 'wall' },
      mix: { insert: 0.4, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    topics = workload.topics().map((spec) => spec.topic);
    await createTopicsOf(workload.topics());
    // The table must exist before the lock can be taken on it; the writer adopts it.
    await withClient(database.url, async (client) => {
      for (const table of workload.tableDefinitions()) await client.query(createTableSql(table));
    });
  });

  after(async () => {
    await database?.drop();
  });

  test('pauses within the memory bound while the table is locked, names the write stage, then drains with nothing lost', async (t) => {
    const group = uniqueName('ctl-group');
    const service: RunningService = await startInProcess(
      postgresSinkSettings({
        topics,
        databaseUrl: database.url,
        group,
        extra: {
          SLUICE_MAX_INFLIGHT_BYTES: String(MAX_INFLIGHT_BYTES),
          SLUICE_FETCH_MAX_BYTES: String(Math.floor(MAX_INFLIGHT_BYTES / 8)),
          SLUICE_PARTITION_FETCH_MAX_BYTES: String(Math.floor(MAX_INFLIGHT_BYTES / 32)),
          SLUICE_CONTROL_INTERVAL_MS: '500',
          SLUICE_LAG_SAMPLE_INTERVAL_MS: '500',
        },
      }),
    );
    const watcher = new MetricsWatcher(service.url, 100);
    const locker = new pg.Client({ connectionString: database.url, application_name: 'sluice-test-locker' });
    let locked = false;
    const producing = produceWorkload(workload, { brokers: kafkaBrokers(), createTopics: false, schedule: [{ eventsPerSecond: RATE }] });
    try {
      const status = () => fetchStatus<StatusView>(service.url);
      const totalLag = () => metricSum(watcher.latest, 'sluice_lag_records');

      // Flowing first: rows reach the table before it is locked.
      await waitFor(() => metricSum(watcher.latest, 'sluice_rows_written_total') > 0, { timeoutMs: 60_000, describe: () => 'no rows written before the lock' });

      await locker.connect();
      await locker.query('BEGIN');
      const [definition] = workload.tableDefinitions();
      await locker.query(`LOCK TABLE "public"."${definition!.name.replaceAll('"', '""')}" IN ACCESS EXCLUSIVE MODE`);
      locked = true;
      const lockedAt = Date.now();
      const lagAtLock = totalLag();
      const consumedAtLock = metricSum(watcher.latest, 'sluice_events_consumed_total');
      t.diagnostic(`lock taken ${new Date(lockedAt).toISOString()}: lag ${lagAtLock}, consumed ${consumedAtLock}`);

      const classesSeen = new Set<string>();
      let blocked: StatusView | null = null;
      let lastDescription = '';
      await waitFor(
        async () => {
          const view = await status();
          const c = view.controller;
          const lagClass = c.lag?.total.lagClass ?? 'none';
          classesSeen.add(lagClass);
          lastDescription = `paused ${metricSum(watcher.latest, 'sluice_paused_partitions')}, lag ${totalLag()} (at lock ${lagAtLock}) class ${lagClass}, bottleneck ${c.bottleneck}, in-flight ${c.inflight.usedBytes}/${c.inflight.maxBytes}, writes in flight ${c.inFlightWrites}`;
          const done =
            metricSum(watcher.latest, 'sluice_paused_partitions') > 0 &&
            c.bottleneck === 'write' &&
            metricSum(watcher.latest, 'sluice_bottleneck_stage', { stage: 'write' }) === 1 &&
            totalLag() > lagAtLock + RATE * 2 &&
            (REQUIRED_CLASS === undefined ? lagClass !== 'steady' && lagClass !== 'none' : lagClass === REQUIRED_CLASS);
          if (done) blocked = view;
          return done;
        },
        { timeoutMs: REQUIRED_CLASS === 'linear' ? 110_000 : 60_000, intervalMs: 250, describe: () => `while locked: ${lastDescription}` },
      );
      const whileBlocked = blocked as StatusView | null;
      assert.ok(whileBlocked !== null);
      const snapshot = whileBlocked.controller;
      t.diagnostic(`blocked for ${Date.now() - lockedAt} ms: ${lastDescription}`);
      t.diagnostic(`lag classes seen while blocked: ${[...classesSeen].join(', ')}; slope ${snapshot.lag?.total.shortSlope.toFixed(0)} records/s, growing for ${snapshot.lag?.total.growingForMs} ms`);
      t.diagnostic(`stages: ${JSON.stringify(snapshot.stages?.stages.map((s) => [s.name, s.busyRatio.toFixed(2), s.backpressuredRatio.toFixed(2)]))}`);
      assert.ok(whileBlocked.pausedPartitions.length > 0, 'the status page lists paused partitions');
      assert.ok(
        snapshot.paused.some((p) => p.causes.includes('memory')),
        `partitions are paused for memory: ${JSON.stringify(snapshot.paused)}`,
      );
      const fetchStage = snapshot.stages?.stages.find((stage) => stage.name === 'fetch');
      assert.ok((fetchStage?.backpressuredRatio ?? 0) >= 0.5, `the paused source shows as back-pressured while paused: ${JSON.stringify(fetchStage)}`);
      assert.ok(snapshot.inFlightWrites > 0 && (snapshot.oldestWriteMs ?? 0) > 0, 'writes are hanging on the lock');

      await locker.query('COMMIT');
      locked = false;
      const releasedAt = Date.now();

      await waitFor(async () => (await status()).pausedPartitions.length === 0 && metricSum(watcher.latest, 'sluice_paused_partitions') === 0, {
        timeoutMs: 60_000,
        describe: async () => `partitions still paused after the lock was released: ${JSON.stringify((await status()).controller.paused)}`,
      });
      t.diagnostic(`resumed ${Date.now() - releasedAt} ms after the release`);
      const produced = await producing;
      let progress = await groupProgress(group, topics);
      await waitFor(
        async () => {
          progress = await groupProgress(group, topics);
          return progress.committed === progress.end && totalLag() === 0;
        },
        { timeoutMs: 90_000, intervalMs: 500, describe: () => `committed ${progress.committed}/${progress.end}, lag gauge ${totalLag()}` },
      );
      t.diagnostic(`drained ${Date.now() - releasedAt} ms after the release; produced ${produced.records} records at ${produced.recordsPerSecond.toFixed(0)}/s`);

      const final = await status();
      const peak = final.controller.inflight;
      t.diagnostic(`in-flight: peak ${peak.peakBytes} B (controller), ${watcher.maxInflightBytes} B (sampled gauge), pause at ${peak.pauseAtBytes} B, max ${peak.maxBytes} B; ${watcher.scrapes} scrapes`);
      assert.equal(peak.maxBytes, MAX_INFLIGHT_BYTES);
      assert.ok(peak.peakBytes <= MAX_INFLIGHT_BYTES, `controller peak ${peak.peakBytes} B exceeds the bound ${MAX_INFLIGHT_BYTES} B`);
      assert.ok(watcher.maxInflightBytes <= MAX_INFLIGHT_BYTES, `sampled in-flight ${watcher.maxInflightBytes} B exceeds the bound`);
      assert.ok(peak.peakBytes >= peak.pauseAtBytes, `the bound mattered: peak ${peak.peakBytes} B reached the pause threshold ${peak.pauseAtBytes} B`);
      assert.ok(metricSum(watcher.latest, 'sluice_events_consumed_total') >= produced.records, 'every produced record was consumed');
    } finally {
      if (locked) await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end().catch(() => undefined);
      await watcher.stop().catch(() => undefined);
      await service.stop();
      await producing.catch(() => undefined);
    }
    assert.equal(await service.finished, null, 'the service stopped cleanly');
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, `target differs from the expected state: ${JSON.stringify(report.samples, null, 2)}`);
  });
});
