/**
 * One sluice system in a benchmark: `sluice run` as a child process (so its CPU and peak RSS
 * are its own, read from /proc), from the compiled build as in the container
 * (compiled-build.ts), with its own consumer group, its own empty database and the given
 * setting overrides, measured until the group has committed every record (or for a fixed
 * time), then stopped with SIGTERM.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { freePort, type MetricSample, metricSum, postgresSinkSettings, type Settings, scrapeMetrics } from '../../test/support/sluice-harness.ts';
import { createUniqueDatabase, type TestDatabase, uniqueName } from '../../test/support/services.ts';
import { compiledBuild } from './compiled-build.ts';
import { GroupOffsets } from './group-offsets.ts';
import { cpuDelta, cpuSecondsOf, peakRssMiB, postgresCpuSeconds } from './proc.ts';
import { histogramQuantile } from './quantiles.ts';
import { benchRoot, round } from './result.ts';

export interface SluiceRunOptions {
  /** Names the group and database. */
  readonly label: string;
  readonly topics: readonly string[];
  readonly overrides: Settings;
  /** 'drain': until every record is committed; a number: stop this many seconds after the first record consumed. */
  readonly until: 'drain' | number;
  /** Write a V8 CPU profile of the child into this folder. */
  readonly cpuProfileDir?: string;
  /** Called after the database exists and before sluice starts (e.g. to prepare the target). */
  readonly prepare?: (database: TestDatabase) => Promise<void>;
  /** Called with the child's pid once it is spawned. */
  readonly onStart?: (pid: number) => void;
  /** Called every poll (~100 ms) with the committed offsets per partition and the time they were read. */
  readonly onPoll?: (committed: ReadonlyMap<string, number>, atMs: number) => void;
  /** Stop polling when this returns true (after the `until` condition is otherwise not yet met). */
  readonly stopWhen?: () => boolean;
  readonly timeoutMs?: number;
  /**
   * Replicas of sluice in the one consumer group, each its own process (as separate containers
   * would be), sharing the database: default 1. CPU is summed over them, peak RSS is the largest.
   */
  readonly replicas?: number;
}

export interface SluiceRunMeasurement {
  /** First record consumed (sluice_events_consumed_total > 0) → the end condition (every record committed, or the time elapsed). */
  readonly seconds: number;
  /** Kafka records committed at the end. */
  readonly records: number;
  readonly startedAtMs: number;
  readonly firstConsumedAtMs: number;
  readonly endedAtMs: number;
  readonly peakRssMiB: number;
  readonly cpuSeconds: number;
  readonly postgresCpuSeconds: number;
  readonly writeP50Ms: number | null;
  readonly writeP99Ms: number | null;
  readonly batches: number;
  readonly meanBatchRows: number;
  readonly writeErrors: number;
  readonly profileFile: string | null;
  /** false: sluice did not exit within 30 s of SIGTERM and was killed (a shutdown problem, reported). */
  readonly stoppedCleanly: boolean;
  readonly database: TestDatabase;
  readonly samples: readonly MetricSample[];
}

const POLL_TIMEOUT_MS = 10_000;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

const POSTMASTER_PID = path.join(benchRoot, '.services/postgres/data/postmaster.pid');

export async function runSluice(options: SluiceRunOptions): Promise<SluiceRunMeasurement> {
  const database = await createUniqueDatabase(`sluice_bench_${options.label.replaceAll('-', '_')}`);
  await options.prepare?.(database);
  const group = uniqueName(`bench-${options.label}`);
  const ports: number[] = [];
  for (let replica = 0; replica < (options.replicas ?? 1); replica++) ports.push(await freePort());
  if (options.cpuProfileDir !== undefined) mkdirSync(options.cpuProfileDir, { recursive: true });
  const settings: Settings = {
    ...postgresSinkSettings({ topics: options.topics, databaseUrl: database.url, group }),
    SLUICE_COMMIT_INTERVAL_MS: '1000',
    SLUICE_LAG_SAMPLE_INTERVAL_MS: '5000',
    SLUICE_LOG_LEVEL: 'warn',
    ...options.overrides,
  };
  let offsets = new GroupOffsets(group, options.topics);
  await offsets.connect();
  const pgBefore = postgresCpuSeconds(POSTMASTER_PID);
  const startedAtMs = Date.now();
  const nodeArgs = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir];
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  const children = ports.map((port) => {
    const child: ChildProcess = spawn(process.execPath, [...nodeArgs, compiledBuild().cli, 'run'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...settings, SLUICE_HTTP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    if (child.pid === undefined) throw new Error('sluice did not start');
    options.onStart?.(child.pid);
    return { child, pid: child.pid, metricsUrl: `http://127.0.0.1:${port}` };
  });
  const scrapeAll = async (): Promise<MetricSample[]> =>
    (await Promise.all(children.map(({ metricsUrl }) => withTimeout(scrapeMetrics(metricsUrl), POLL_TIMEOUT_MS).catch(() => [] as MetricSample[])))).flat();
  let firstConsumedAtMs = 0;
  let committedTotal = 0;
  let endedAtMs = 0;
  const deadline = startedAtMs + (options.timeoutMs ?? 1_800_000);
  try {
    const ends = await offsets.ends();
    let endTotal = 0;
    for (const value of ends.values()) endTotal += value;
    for (;;) {
      if (children.some(({ child }) => child.exitCode !== null || child.signalCode !== null)) throw new Error(`sluice (${options.label}) exited: ${output.slice(-3_000)}`);
      if (Date.now() > deadline) throw new Error(`sluice (${options.label}): committed ${committedTotal}/${endTotal} at the deadline`);
      if (firstConsumedAtMs === 0) {
        if (metricSum(await scrapeAll(), 'sluice_events_consumed_total') > 0) firstConsumedAtMs = Date.now();
      }
      // A poll that does not answer is skipped (seen once: a poll never settled while the
      // group was complete), and the admin connection is replaced.
      const committed = await withTimeout(offsets.committed(), POLL_TIMEOUT_MS).catch(async () => {
        await offsets.close().catch(() => undefined);
        offsets = new GroupOffsets(group, options.topics);
        await offsets.connect();
        return null;
      });
      if (committed === null) continue;
      const now = Date.now();
      committedTotal = 0;
      for (const value of committed.values()) committedTotal += value;
      options.onPoll?.(committed, now);
      if (options.stopWhen !== undefined) {
        if (options.stopWhen()) break;
      } else if (options.until === 'drain') {
        if (committedTotal >= endTotal) break;
      } else if (firstConsumedAtMs > 0 && now - firstConsumedAtMs >= options.until * 1000) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    endedAtMs = Date.now();
    const cpuSeconds = children.reduce((sum, { pid }) => sum + cpuSecondsOf(pid), 0);
    const rss = Math.max(...children.map(({ pid }) => peakRssMiB(pid)));
    const pgAfter = postgresCpuSeconds(POSTMASTER_PID);
    const samples = await scrapeAll();
    const batches = metricSum(samples, 'sluice_batch_rows_count');
    const write = (q: number): number | null => {
      const seconds = histogramQuantile(samples, 'sluice_write_latency_seconds', q);
      return seconds === null ? null : round(seconds * 1000, 1);
    };
    const stoppedCleanly = (await Promise.all(children.map(({ child }) => stop(child, 30_000)))).every(Boolean);
    return {
      stoppedCleanly,
      seconds: (endedAtMs - firstConsumedAtMs) / 1000,
      records: committedTotal,
      startedAtMs,
      firstConsumedAtMs,
      endedAtMs,
      peakRssMiB: round(rss, 1),
      cpuSeconds: round(cpuSeconds, 1),
      postgresCpuSeconds: round(cpuDelta(pgBefore, pgAfter), 1),
      writeP50Ms: write(0.5),
      writeP99Ms: write(0.99),
      batches,
      meanBatchRows: batches === 0 ? 0 : round(metricSum(samples, 'sluice_batch_rows_sum') / batches, 0),
      writeErrors: metricSum(samples, 'sluice_write_errors_total'),
      profileFile: options.cpuProfileDir === undefined ? null : mainThreadProfile(options.cpuProfileDir, children[0]!.pid),
      database,
      samples,
    };
  } finally {
    for (const { child } of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await offsets.close();
  }
}

/** SIGTERM, then SIGKILL if the process has not exited within `graceMs`; true when it exited on its own. */
async function stop(child: ChildProcess, graceMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const clean = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
  })]);
  clearTimeout(timer);
  if (!clean) {
    child.kill('SIGKILL');
    await exited;
  }
  return clean;
}

/** The main thread's profile of `pid` is its largest (a loader or worker thread may write a second, idle one). */
function mainThreadProfile(folder: string, pid: number): string | null {
  const files = readdirSync(folder)
    .filter((name) => name.endsWith('.cpuprofile') && name.includes(`.${pid}.`))
    .map((name) => path.join(folder, name))
    .sort((a, b) => statSync(b).size - statSync(a).size);
  return files[0] ?? null;
}
