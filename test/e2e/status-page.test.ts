/**
 * The status page in a real browser during a real run: generated Debezium events flow through
 * the real broker into the real PostgreSQL while the sink is slowed (a BEFORE INSERT trigger
 * sleeps per row) and a few undecodable records are dead-lettered. Headless Chromium loads `/`
 * and must find, from what the page itself rendered: the write stage marked as the bottleneck,
 * a row per partition with its lag (non-zero on at least one) and a trend line, the controller's
 * state, and the dead-letter reason. A screenshot is saved to test-artifacts/status-page.png.
 *
 * Needs Debian's `chromium` (/usr/bin/chromium, or SLUICE_CHROMIUM); without it the test is
 * skipped with the reason printed.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { Controller, type ControllerSnapshot } from '../../src/control/controller.ts';
import { createWorkload, produceWorkload, type Workload } from '../../src/loadgen/index.ts';
import { startHttpServer } from '../../src/observe/http-server.ts';
import { SluiceMetrics } from '../../src/observe/metrics.ts';
import { RecentDeadLetters } from '../../src/observe/recent-dead-letters.ts';
import { createTopicsOf, fetchStatus, postgresSinkSettings, startInProcess, waitFor, withClient } from '../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, postgresUrl, startServices, type TestDatabase, testKafka, uniqueName } from '../support/services.ts';

const chromiumPath = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
const EVENTS = 30_000;
const RATE = 1_500;
const POISON = 3;
const artifacts = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const quote = (identifier: string): string => `"${identifier.replaceAll('"', '""')}"`;

const browserArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const noChromium = existsSync(chromiumPath) ? false : `no Chromium at ${chromiumPath} (apt-get install -y chromium)`;

interface Status {
  readonly controller: ControllerSnapshot;
  readonly deadLetters: { readonly totalRecords: number };
}

describe('status page in headless Chromium during a run with a slowed sink', () => {
  let database: TestDatabase;
  let workload: Workload;
  let group: string;

  before(async () => {
    if (!existsSync(chromiumPath)) return;
    await startServices();
    database = await createUniqueDatabase('sluice_page');
    group = uniqueName('page-group');
    workload = createWorkload({
      seed: 31_337,
      tables: ['measurements'],
      events: EVENTS,
      partitions: 4,
      topicPrefix: uniqueName('page'),
      clock: { kind: 'wall' },
      mix: { insert: 0.5, update: 0.4, delete: 0.1, keyChange: 0, truncate: 0 },
    });
    await createTopicsOf([...workload.topics(), { topic: `${group}.dlq`, partitions: 1 }]);
  });

  after(async () => {
    await database?.drop();
  });

  test('finds the bottleneck row, per-partition lag with trend lines, the controller and dead letters', { skip: noChromium }, async (t) => {
    const topics = workload.topics().map((spec) => spec.topic);
    const service = await startInProcess(
      postgresSinkSettings({
        topics,
        databaseUrl: database.url,
        group,
        extra: {
          SLUICE_MAX_INFLIGHT_BYTES: String(16 * 1024 * 1024),
          SLUICE_FETCH_MAX_BYTES: String(2 * 1024 * 1024),
          SLUICE_PARTITION_FETCH_MAX_BYTES: String(512 * 1024),
          SLUICE_CONTROL_INTERVAL_MS: '500',
          SLUICE_LAG_SAMPLE_INTERVAL_MS: '500',
        },
      }),
    );
    const producing = produceWorkload(workload, { brokers: kafkaBrokers(), createTopics: false, schedule: [{ eventsPerSecond: RATE }] });
    const table = `${quote('public')}.${quote(workload.tableDefinitions()[0]!.name)}`;
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'sluice-chromium-'));
    let slowed = false;
    // A fresh profile per run (launchPersistentContext is how Playwright takes a user-data-dir).
    const browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: chromiumPath,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: browserArgs,
    });
    try {
      await waitFor(async () => (await fetchStatus<{ progress: { lastWriteSuccessAt: number | null } }>(service.url)).progress.lastWriteSuccessAt !== null, {
        timeoutMs: 60_000,
        describe: () => 'no write succeeded',
      });
      // Undecodable records: dead-lettered with their reason.
      const producer = testKafka('page-poison').producer();
      await producer.connect();
      await producer.send({ topic: topics[0]!, messages: Array.from({ length: POISON }, (_, i) => ({ partition: i % 4, key: `{"id":${i}}`, value: `this is not JSON {${i}` })) });
      await producer.disconnect();
      await withClient(postgresUrl(database.name), async (client) => {
        await client.query(`CREATE FUNCTION public.sluice_page_slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.005); RETURN NEW; END $$`);
        await client.query(`CREATE TRIGGER sluice_page_slow BEFORE INSERT ON ${table} FOR EACH ROW EXECUTE FUNCTION public.sluice_page_slow_row()`);
      });
      slowed = true;
      let status: Status | null = null;
      await waitFor(
        async () => {
          status = await fetchStatus<Status>(service.url);
          const lag = status.controller.lag;
          return status.controller.bottleneck === 'write' && lag !== null && lag.total.lag > 0 && status.deadLetters.totalRecords >= POISON;
        },
        { timeoutMs: 90_000, intervalMs: 250, describe: () => `bottleneck ${status?.controller.bottleneck}, lag ${status?.controller.lag?.total.lag}, dead letters ${status?.deadLetters.totalRecords}` },
      );

      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${service.url}/`);
      // Wait on what the page shows, not on time: the bottleneck row, four partitions with lag,
      // and trend lines drawn from at least eight lag samples each (the page keeps the history).
      await page.waitForSelector('tr[data-stage="write"][data-bottleneck="true"]', { timeout: 30_000 });
      await page.waitForFunction(
        `(() => {
          const rows = [...document.querySelectorAll('#lag tbody tr')];
          return rows.length === 4 && rows.some((row) => Number(row.getAttribute('data-lag')) > 0) && rows.every((row) => (row.querySelector('svg.trend polyline')?.getAttribute('points') ?? '').split(' ').length >= 8);
        })()`,
        undefined,
        { timeout: 30_000 },
      );
      await page.waitForSelector('#dead-letters tbody tr[data-code]', { timeout: 30_000 });

      const bottleneck = await page.locator('tr.bottleneck').allTextContents();
      assert.equal(bottleneck.length, 1, 'one stage is marked');
      assert.match(bottleneck[0]!, /^write/);
      assert.match(bottleneck[0]!, /← bottleneck/);
      const stages = await page.locator('#stages tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-stage')));
      assert.deepEqual(stages, ['fetch', 'decode', 'batch-queue', 'write', 'commit']);
      const partitions = await page.locator('#lag tbody tr').evaluateAll((rows) =>
        rows.map((row) => ({ key: row.getAttribute('data-partition'), lag: row.querySelector('td.lag')?.textContent ?? '', cells: row.querySelectorAll('td').length })),
      );
      assert.deepEqual(partitions.map((p) => p.key), topics.flatMap((topic) => [0, 1, 2, 3].map((p) => `${topic}:${p}`)));
      for (const p of partitions) {
        assert.match(p.lag, /^[\d,]+$/, `lag shown as a number for ${p.key}`);
        assert.equal(p.cells, 8, 'topic, partition, lag, trend, slope, class, ETA, state');
      }
      const batchSize = await page.locator('dd[data-fact="Batch size"]').textContent();
      assert.match(batchSize ?? '', /^[\d,]+ rows$/);
      assert.match((await page.locator('dd[data-fact="Concurrency"]').textContent()) ?? '', /^\d+ \(last good \d+\)$/);
      const deadLetter = await page.locator('#dead-letters tbody tr').first().textContent();
      assert.match(deadLetter ?? '', /decode/);

      assert.deepEqual(pageErrors, [], 'no script errors');
      mkdirSync(artifacts, { recursive: true });
      const screenshot = path.join(artifacts, 'status-page.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      t.diagnostic(`screenshot: ${screenshot}; partitions ${partitions.map((p) => `${p.key}=${p.lag}`).join(' ')}`);
    } finally {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
      if (slowed) await withClient(postgresUrl(database.name), (client) => client.query(`DROP TRIGGER IF EXISTS sluice_page_slow ON ${table}`));
      await producing.catch(() => undefined);
      await service.stop();
    }
  });

  test('before the first lag sample: not ready with the reason, empty sections explained, no script errors', { skip: noChromium }, async () => {
    const controller = new Controller();
    const reasons = ['no partitions assigned'];
    const server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      metrics: new SluiceMetrics({ defaultMetrics: false }),
      status: {
        readiness: () => ({ ready: false, reasons }),
        status: () => ({
          readiness: { ready: false, reasons },
          assignment: [],
          pausedPartitions: [],
          unwrittenRecords: 0,
          progress: { startedAt: 0, lastCommitAt: null, lastWriteSuccessAt: null, writeFailingSince: null },
          controller: controller.snapshot(),
          deadLetters: new RecentDeadLetters().snapshot(),
          scaleHint: null,
          service: { destination: 'postgres', groupId: 'g', dlqTopic: 'g.dlq' },
        }),
      },
    });
    const userDataDir = mkdtempSync(path.join(tmpdir(), 'sluice-chromium-'));
    const browser = await chromium.launchPersistentContext(userDataDir, { executablePath: chromiumPath, headless: true, args: browserArgs });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      await page.goto(`${server.url}/`);
      await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
      assert.equal(await page.locator('#readiness').textContent(), 'NOT READY');
      assert.match((await page.locator('#service').textContent()) ?? '', /no partitions assigned/);
      assert.ok(await page.locator('#lag-empty').isVisible());
      assert.ok(await page.locator('#stages-empty').isVisible());
      assert.ok(await page.locator('#dead-letters-empty').isVisible());
      assert.equal(await page.locator('dd[data-fact="Paused partitions"]').textContent(), 'none');
      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
      await server.close();
    }
  });
});
