/**
 * The demo's driver (run by scripts/demo.sh, which starts the services): generator → Kafka →
 * `sluice run` (a child process, as in production) → PostgreSQL, a progress line every two
 * seconds, and a row-by-row check of the target at the end. Exit 0 only when the target equals
 * the generator's expected final state.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { createWorkload, produceWorkload, verifyPostgres } from '../src/loadgen/index.ts';

const { values: flags } = parseArgs({
  options: {
    rate: { type: 'string', default: '2000' },
    'steady-seconds': { type: 'string', default: '15' },
    burst: { type: 'string', default: '150000' },
    'burst-rate': { type: 'string', default: '20000' },
    seed: { type: 'string', default: '2026' },
    partitions: { type: 'string', default: '4' },
    brokers: { type: 'string', default: process.env.SLUICE_KAFKA_BROKERS ?? '127.0.0.1:9092' },
    postgres: { type: 'string', default: process.env.SLUICE_DEMO_PG_URL ?? 'postgres://postgres@127.0.0.1:5433/postgres' },
  },
});

const rate = Number(flags.rate);
const steadySeconds = Number(flags['steady-seconds']);
const burst = Number(flags.burst);
const burstRate = Number(flags['burst-rate']);
const brokers = flags.brokers.split(',');
const events = rate * steadySeconds * 2 + burst;
const runId = Date.now().toString(36);
const database = `sluice_demo_${runId}`;

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function metricSum(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

interface StatusView {
  controller?: { batchSize: number; concurrency: number; writeLatencyMs: { mean: number } | null; bottleneck: string | null; lag: { total: { lag: number; lagClass: string } } | null };
  pausedPartitions?: unknown[];
}

async function main(): Promise<number> {
  const targetUrl = new URL(flags.postgres);
  await admin(flags.postgres, (client) => client.query(`CREATE DATABASE "${database}"`));
  targetUrl.pathname = `/${database}`;
  const workload = createWorkload({
    seed: Number(flags.seed),
    tables: ['measurements', 'toasty', 'composite'],
    events,
    partitions: Number(flags.partitions),
    topicPrefix: `demo_${runId}`,
    clock: { kind: 'wall' },
  });
  const topics = workload.topics().map((topic) => topic.topic);
  const group = `sluice-demo-${runId}`;
  say(`sluice demo: ${events.toLocaleString()} change events over ${topics.length} tables × ${flags.partitions} partitions`);
  say(`  schedule: ${rate}/s for ${steadySeconds}s, a burst of ${burst.toLocaleString()} at ${burstRate.toLocaleString()}/s, ${rate}/s for ${steadySeconds}s`);
  say(`  target: ${targetUrl.toString()}`);

  // Topics first, so sluice can subscribe before the first event.
  const kafka = new Kafka({ clientId: 'sluice-demo', brokers, logLevel: logLevel.NOTHING });
  const kafkaAdmin = kafka.admin();
  await kafkaAdmin.connect();
  await kafkaAdmin.createTopics({ waitForLeaders: true, topics: workload.topics().map((spec) => ({ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: 1 })) });

  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['bin/sluice.mjs', 'run'], {
    env: {
      ...process.env,
      SLUICE_DESTINATION: 'postgres',
      SLUICE_KAFKA_BROKERS: brokers.join(','),
      SLUICE_TOPICS: topics.join(','),
      SLUICE_GROUP_ID: group,
      SLUICE_PG_URL: targetUrl.toString(),
      SLUICE_HTTP_PORT: String(port),
      SLUICE_LAG_SAMPLE_INTERVAL_MS: '1000',
      SLUICE_LOG_LEVEL: process.env.SLUICE_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const url = `http://127.0.0.1:${port}`;
  say(`  sluice: pid ${child.pid}, metrics ${url}/metrics, status ${url}/status`);

  let last = { at: performance.now(), consumed: 0, written: 0 };
  const progress = setInterval(() => {
    void (async () => {
      try {
        const [metricsText, status] = await Promise.all([fetch(`${url}/metrics`).then((r) => r.text()), fetch(`${url}/status`).then((r) => r.json() as Promise<StatusView>)]);
        const now = performance.now();
        const consumed = metricSum(metricsText, 'sluice_events_consumed_total');
        const written = metricSum(metricsText, 'sluice_events_written_total');
        const seconds = (now - last.at) / 1000;
        const controller = status.controller;
        const lag = controller?.lag?.total;
        say(
          `  in ${Math.round((consumed - last.consumed) / seconds).toLocaleString().padStart(7)}/s  out ${Math.round((written - last.written) / seconds).toLocaleString().padStart(7)}/s` +
            `  lag ${(lag?.lag ?? 0).toLocaleString().padStart(8)} (${lag?.lagClass ?? '-'})  batch ${controller?.batchSize ?? '-'}  concurrency ${controller?.concurrency ?? '-'}` +
            `  write ${controller?.writeLatencyMs === null || controller?.writeLatencyMs === undefined ? '-' : `${Math.round(controller.writeLatencyMs.mean)} ms`}` +
            `  paused ${status.pausedPartitions?.length ?? 0}  bottleneck ${controller?.bottleneck ?? '-'}`,
        );
        last = { at: now, consumed, written };
      } catch {
        say('  (waiting for sluice to answer)');
      }
    })();
  }, 2_000);

  const produced = await produceWorkload(workload, {
    brokers,
    createTopics: false,
    schedule: [
      { eventsPerSecond: rate, seconds: steadySeconds },
      { eventsPerSecond: burstRate, records: burst },
      { eventsPerSecond: rate },
    ],
  });
  say(`  producer done: ${produced.records.toLocaleString()} records in ${produced.seconds.toFixed(1)} s; waiting for sluice to drain`);

  // Drained = the group's committed offsets reached the end of every partition.
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    let committed = 0n;
    let end = 0n;
    for (const topic of topics) for (const p of await kafkaAdmin.fetchTopicOffsets(topic)) end += BigInt(p.high);
    for (const topic of await kafkaAdmin.fetchOffsets({ groupId: group, topics })) for (const p of topic.partitions) if (BigInt(p.offset) > 0n) committed += BigInt(p.offset);
    if (committed >= end) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      say(`  sluice did not drain (committed ${committed} of ${end})`);
      clearInterval(progress);
      child.kill('SIGTERM');
      return 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  clearInterval(progress);
  child.kill('SIGTERM');
  const [code] = (await once(child, 'exit')) as [number | null];
  await kafkaAdmin.disconnect();
  say(`  sluice stopped (exit ${code}); comparing the target with the expected final state…`);
  const report = await admin(targetUrl.toString(), (client) => verifyPostgres({ client, workload }));
  const rows = report.tables.reduce((sum, table) => sum + table.expectedRows, 0);
  if (report.equal) {
    say(`✓ target equals the expected final state: ${rows.toLocaleString()} rows in ${report.tables.length} tables, compared row by row`);
    say(`  (database ${database} kept for a look: psql ${targetUrl.toString()})`);
    return code === 0 ? 0 : 1;
  }
  say(`✗ target differs: ${report.missing} missing, ${report.extra} extra, ${report.different} different rows`);
  for (const sample of report.samples) say(`    ${JSON.stringify(sample)}`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`demo failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
