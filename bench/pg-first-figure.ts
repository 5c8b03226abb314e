/**
 * First throughput figure: Kafka → sluice → PostgreSQL upsert, from a backlog.
 *
 *   node --import tsx bench/pg-first-figure.ts [--events 1000000] [--partitions 4] [--seed 42]
 *        [--reuse <topic prefix>] [--profile] [--set SLUICE_X=value ...] [--out bench/results/pg-first-figure.json]
 *
 * 1. Generates `--events` change events of one `measurements` table (inserts, updates, deletes,
 *    key changes; src/loadgen) over `--partitions` partitions and produces them all first
 *    (kafkajs, idempotent). `--reuse <prefix>` skips producing and regenerates the same records
 *    (same seed) only for the expected state, to sink an existing topic again.
 * 2. Runs `sluice run` (adaptive controller, default settings) as a child process into a fresh
 *    database until the group has committed every record, then stops it with SIGTERM.
 * 3. Checks the target equals the expected final state (src/loadgen verifyPostgres).
 *
 * Measured: seconds from the first to the last offset commit (the group's committed offsets
 * polled every 100 ms), events/s over that span, CPU seconds (user+system from /proc) and peak
 * RSS (VmHWM) of the sluice process, CPU seconds of PostgreSQL's processes over the same span
 * (children of the postmaster: the machine's other work on PostgreSQL is included), and p50/p99
 * of one batch write (estimated from the sluice_write_latency_seconds histogram buckets).
 * `--profile` runs sluice under `node --cpu-prof` and summarises where its CPU time went (the
 * main thread's profile; tsx's loader thread writes a second, idle one). `--set` overrides a
 * sluice setting, e.g. `--set SLUICE_ADAPTIVE=false --set SLUICE_FIXED_BATCH_ROWS=5000`.
 * Writes the JSON result; docs/first-throughput.md explains a run. Needs `scripts/services.sh up`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createWorkload, produceWorkload, verifyPostgres, type Workload } from '../src/loadgen/index.ts';
import { groupProgress, postgresSinkSettings, withClient } from '../test/support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, uniqueName } from '../test/support/services.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const sluiceBin = path.join(root, 'bin/sluice.mjs');
const CLOCK_TICKS = 100;

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    partitions: { type: 'string', default: '4' },
    seed: { type: 'string', default: '42' },
    reuse: { type: 'string' },
    profile: { type: 'boolean', default: false },
    set: { type: 'string', multiple: true, default: [] },
    out: { type: 'string', default: path.join(root, 'bench/results/pg-first-figure.json') },
  },
});

const EVENTS = Number(args.events);
const PARTITIONS = Number(args.partitions);

function makeWorkload(topicPrefix: string): Workload {
  return createWorkload({ seed: Number(args.seed), tables: ['measurements'], events: EVENTS, partitions: PARTITIONS, topicPrefix });
}

function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** user+system CPU seconds of one process, from /proc/<pid>/stat. */
function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return 0;
  }
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : 0;
}

/** CPU seconds of every PostgreSQL process (the postmaster's children, which come and go). */
function postgresCpuSeconds(): Map<number, number> {
  const postmaster = Number(readFileSync(path.join(root, '.services/postgres/data/postmaster.pid'), 'utf8').split('\n')[0]);
  const seconds = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === postmaster || Number(entry) === postmaster) seconds.set(Number(entry), (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // the process ended between readdir and read
    }
  }
  return seconds;
}

function cpuDelta(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of after) total += seconds - (before.get(pid) ?? 0);
  return total;
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

/** p50/p99 estimated from a Prometheus histogram's cumulative buckets (upper bounds). */
function histogramQuantiles(metricsText: string, name: string): { p50_ms: number; p99_ms: number; count: number } {
  const buckets: { le: number; count: number }[] = [];
  for (const line of metricsText.split('\n')) {
    const match = new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`).exec(line);
    if (match) buckets.push({ le: match[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(match[1]), count: Number(match[2]) });
  }
  const count = buckets.at(-1)?.count ?? 0;
  const quantile = (q: number): number => {
    const wanted = q * count;
    let previous = { le: 0, count: 0 };
    for (const bucket of buckets) {
      if (bucket.count >= wanted) {
        if (!Number.isFinite(bucket.le)) return previous.le * 1000;
        const share = bucket.count === previous.count ? 1 : (wanted - previous.count) / (bucket.count - previous.count);
        return (previous.le + share * (bucket.le - previous.le)) * 1000;
      }
      previous = bucket;
    }
    return 0;
  };
  return { p50_ms: round(quantile(0.5), 1), p99_ms: round(quantile(0.99), 1), count };
}

interface ProfileSummary {
  readonly total_ms: number;
  readonly by_area: Record<string, number>;
  readonly top_functions: { name: string; where: string; self_ms: number; share: number }[];
}

/** Self time of a V8 .cpuprofile, by area (our folders, each npm package, node internals). */
function summariseProfile(file: string): ProfileSummary {
  interface Node {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const area = (url: string, name: string): string => {
    if (url === '') return name === '(garbage collector)' ? 'gc' : name === '(idle)' || name === '(program)' ? name : 'native/builtin';
    const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
    if (modules) return `npm:${modules[1]}`;
    if (url.startsWith('node:')) return 'node internals';
    const relative = url.replace(/^file:\/\//, '').replace(`${root}/`, '');
    const folder = /^(src\/[^/]+|connectors\/[^/]+)/.exec(relative);
    return folder ? folder[1]! : relative;
  };
  const byArea: Record<string, number> = {};
  const byFunction = new Map<string, { name: string; where: string; micros: number }>();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const frame = nodes.get(id)!.callFrame;
    total += micros;
    const key = area(frame.url, frame.functionName);
    byArea[key] = (byArea[key] ?? 0) + micros;
    const where = `${frame.url.replace(/^file:\/\//, '').replace(`${root}/`, '')}:${frame.lineNumber + 1}`;
    const functionKey = `${frame.functionName}@${where}`;
    const entry = byFunction.get(functionKey) ?? { name: frame.functionName || '(anonymous)', where, micros: 0 };
    entry.micros += micros;
    byFunction.set(functionKey, entry);
  }
  const sortedAreas = Object.fromEntries(Object.entries(byArea).sort((a, b) => b[1] - a[1]).map(([key, micros]) => [key, round(micros / 1000, 0)]));
  const top = [...byFunction.values()]
    .sort((a, b) => b.micros - a.micros)
    .slice(0, 25)
    .map((entry) => ({ name: entry.name, where: entry.where, self_ms: round(entry.micros / 1000, 0), share: round(entry.micros / total, 3) }));
  return { total_ms: round(total / 1000, 0), by_area: sortedAreas, top_functions: top };
}

async function main(): Promise<void> {
  await startServices();
  const loadStart = os.loadavg().map((value) => round(value));
  const topicPrefix = args.reuse ?? uniqueName('pgfig');
  const workload = makeWorkload(topicPrefix);
  let production: { seconds: number; records: number } | null = null;
  if (args.reuse === undefined) {
    console.log(`producing ${EVENTS} events to ${topicPrefix}.public.measurements (${PARTITIONS} partitions)…`);
    const result = await produceWorkload(workload, {
      brokers: kafkaBrokers(),
      progressIntervalMs: 10_000,
      onProgress: (progress) => console.log(`  ${progress.elapsedSeconds.toFixed(0)} s: ${progress.records} records`),
    });
    production = { seconds: round(result.seconds, 1), records: result.records };
    console.log(`produced ${result.records} records in ${result.seconds.toFixed(1)} s`);
  } else {
    for (const _record of workload.records()) {
      // generated only for the expected state
    }
  }
  const topics = workload.topics().map((spec) => spec.topic);
  const database = await createUniqueDatabase('sluice_pgfig');
  const group = uniqueName('pgfig-group');
  const port = await freePort();
  const overrides = Object.fromEntries(
    (args.set ?? []).map((assignment) => {
      const separator = assignment.indexOf('=');
      if (!assignment.startsWith('SLUICE_') || separator < 0) throw new Error(`--set expects SLUICE_NAME=value, got ${assignment}`);
      return [assignment.slice(0, separator), assignment.slice(separator + 1)];
    }),
  );
  const profileDir = path.join(root, 'bench/results/profiles');
  const settings = postgresSinkSettings({
    topics,
    databaseUrl: database.url,
    group,
    extra: { SLUICE_HTTP_PORT: String(port), SLUICE_LOG_LEVEL: 'warn', SLUICE_COMMIT_INTERVAL_MS: '1000', SLUICE_LAG_SAMPLE_INTERVAL_MS: '5000', ...overrides },
  });
  if (args.profile) mkdirSync(profileDir, { recursive: true });
  const nodeArgs = args.profile ? ['--cpu-prof', '--cpu-prof-dir', profileDir, sluiceBin, 'run'] : [sluiceBin, 'run'];
  const pgBefore = postgresCpuSeconds();
  const started = performance.now();
  const child = spawn(process.execPath, nodeArgs, { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...settings }, stdio: ['ignore', 'inherit', 'inherit'] });
  const pid = child.pid!;
  let firstCommitAt: number | null = null;
  let lastCommitAt: number | null = null;
  let end = 0n;
  let cpuAtEnd = 0;
  let rssAtEnd = 0;
  let pgAfter = pgBefore;
  let metricsText = '';
  let lastReport = started;
  try {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`sluice exited early with ${child.exitCode}`);
      const progress = await groupProgress(group, topics);
      const now = performance.now();
      end = progress.end;
      if (firstCommitAt === null && progress.committed > 0n) firstCommitAt = now;
      if (now - lastReport > 5_000) {
        console.log(`  ${((now - started) / 1000).toFixed(0)} s: committed ${progress.committed}/${progress.end}, sluice cpu ${cpuSecondsOf(pid).toFixed(1)} s`);
        lastReport = now;
      }
      if (progress.committed === progress.end) {
        lastCommitAt = now;
        cpuAtEnd = cpuSecondsOf(pid);
        rssAtEnd = peakRssMiB(pid);
        pgAfter = postgresCpuSeconds();
        metricsText = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }
  const seconds = ((lastCommitAt ?? 0) - (firstCommitAt ?? 0)) / 1000;
  const verification = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
  console.log(`target equals the expected state: ${verification.equal} (${verification.tables.map((table) => `${table.table}: ${table.actualRows} rows`).join(', ')})`);
  const latency = histogramQuantiles(metricsText, 'sluice_write_latency_seconds');
  const batchRows = /^sluice_batch_rows_sum (\S+)/m.exec(metricsText);
  const batchCount = /^sluice_batch_rows_count (\S+)/m.exec(metricsText);
  // The main thread's profile is the largest of this process's (tsx's loader thread idles).
  const profileFile = args.profile
    ? readdirSync(profileDir)
        .filter((name) => name.endsWith('.cpuprofile') && name.includes(`.${pid}.`))
        .map((name) => path.join(profileDir, name))
        .sort((a, b) => statSync(b).size - statSync(a).size)[0]
    : undefined;
  const profile = profileFile === undefined ? undefined : summariseProfile(profileFile);
  const stats = workload.stats();
  const result = {
    scenario: `${EVENTS} generated change events of one measurements table (Debezium JSON with schemas, ${PARTITIONS} partitions) produced first, then sunk by sluice (adaptive) into PostgreSQL 15 upserts`,
    date: new Date().toISOString(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
      memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`,
      node: process.version,
      load_average_at_start: loadStart,
      load_average_at_end: os.loadavg().map((value) => round(value)),
      shared: 'Kafka, PostgreSQL, sluice and other engineers\' work share the machine',
    },
    workload: { ...stats, records: Number(end), production },
    metrics: {
      seconds: 'from the first to the last offset commit of the group (committed offsets polled every 100 ms)',
      events_per_s: 'generated change events (c/u/d; tombstones not counted) per second over that span',
      p50_ms_p99_ms: 'one batch write attempt (sluice_write_latency_seconds), estimated from histogram buckets',
      cpu_s: 'user+system CPU of the sluice process from start to the last commit (includes start-up)',
      peak_rss_mib: 'VmHWM of the sluice process',
      postgres_cpu_s: 'CPU of all PostgreSQL processes from sluice start to the last commit (other work on the server included)',
    },
    runs: [
      {
        system: 'sluice',
        config: { destination: 'postgres', adaptive: overrides.SLUICE_ADAPTIVE !== 'false', delivery: 'at-least-once', kafka_client: 'kafkajs', profiled: args.profile, ...overrides },
        events: EVENTS,
        records: Number(end),
        seconds: round(seconds, 2),
        events_per_s: Math.round(EVENTS / seconds),
        records_per_s: Math.round(Number(end) / seconds),
        p50_ms: latency.p50_ms,
        p99_ms: latency.p99_ms,
        batches: latency.count,
        mean_batch_rows: batchRows && batchCount ? Math.round(Number(batchRows[1]) / Number(batchCount[1])) : null,
        peak_rss_mib: round(rssAtEnd, 0),
        cpu_s: round(cpuAtEnd, 1),
        postgres_cpu_s: round(cpuDelta(pgBefore, pgAfter), 1),
        target_equals_expected: verification.equal,
        ...(profile === undefined ? {} : { profile }),
      },
    ],
    ratios: {},
  };
  mkdirSync(path.dirname(args.out), { recursive: true });
  writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result.runs[0], (key, value) => (key === 'profile' ? '(see file)' : value), 2));
  console.log(`wrote ${args.out}; topic prefix ${topicPrefix} (--reuse ${topicPrefix} to sink it again)`);
  await database.drop();
}

await main();
