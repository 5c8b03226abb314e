/**
 * `sluice run` as a child process the way a fault needs it: its own HTTP port (to scrape
 * /metrics, /readyz, /status), its JSON log read line by line and counted by `event` (assignment
 * storms, retention warnings, lost ranges), its resident memory from /proc, and SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, metricSum, parseMetrics, type MetricSample } from '../../test/support/sluice-harness.ts';
import type { Endpoints } from './cluster.ts';

export type Settings = Record<string, string>;

const sluiceBin = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));
/** Every child's whole output is kept here (the in-memory tail is short): `<pid>.log`. */
const outputFolder = fileURLToPath(new URL('../../test-artifacts/sluice-children/', import.meta.url));

/** The settings of a PostgreSQL sink on `endpoints` (override anything with `extra`). */
export function sinkSettings(options: { endpoints: Endpoints; databaseUrl: string; topics: readonly string[]; group: string; extra?: Settings }): Settings {
  return {
    SLUICE_DESTINATION: 'postgres',
    SLUICE_KAFKA_BROKERS: options.endpoints.brokers.join(','),
    SLUICE_TOPICS: options.topics.join(','),
    SLUICE_GROUP_ID: options.group,
    SLUICE_DLQ_TOPIC: `${options.group}.dlq`,
    SLUICE_PG_URL: options.databaseUrl,
    SLUICE_COMMIT_INTERVAL_MS: '200',
    SLUICE_LAG_SAMPLE_INTERVAL_MS: '1000',
    // A killed or departed member must leave the group quickly for the others to take over.
    SLUICE_SESSION_TIMEOUT_MS: '6000',
    SLUICE_HEARTBEAT_INTERVAL_MS: '1000',
    SLUICE_LOG_LEVEL: 'info',
    ...options.extra,
  };
}

export interface LogLine {
  readonly level?: number;
  readonly event?: string;
  readonly msg?: string;
  readonly [field: string]: unknown;
}

export class SluiceChild {
  readonly child: ChildProcess;
  readonly baseUrl: string;
  /** Log lines by `event` field (all of them, however long the run). */
  readonly events = new Map<string, LogLine[]>();
  private readonly tail: string[] = [];
  private readonly output: WriteStream;
  /** Where the whole output of this child is written. */
  readonly outputFile: string;
  private readonly exitPromise: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Set once the process has exited. */
  exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  private constructor(settings: Settings, port: number) {
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.child = spawn(process.execPath, [sluiceBin, 'run'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...settings, SLUICE_HTTP_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    mkdirSync(outputFolder, { recursive: true });
    this.outputFile = path.join(outputFolder, `${this.child.pid ?? 'unknown'}.log`);
    this.output = createWriteStream(this.outputFile);
    this.exitPromise = once(this.child, 'exit').then(([code, signal]) => {
      this.exit = { code: code as number | null, signal: signal as NodeJS.Signals | null };
      this.output.end();
      return this.exit;
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      if (stream === null) continue;
      createInterface({ input: stream }).on('line', (line) => this.onLine(line));
    }
  }

  static async start(settings: Settings): Promise<SluiceChild> {
    return new SluiceChild(settings, await freePort());
  }

  private onLine(line: string): void {
    this.output.write(`${line}\n`);
    this.tail.push(line);
    if (this.tail.length > 200) this.tail.shift();
    if (!line.startsWith('{')) return;
    try {
      const parsed = JSON.parse(line) as LogLine;
      if (typeof parsed.event === 'string') {
        const list = this.events.get(parsed.event) ?? [];
        list.push(parsed);
        this.events.set(parsed.event, list);
      }
    } catch {
      // A line that is not JSON (a stack trace continuation): kept in the tail only.
    }
  }

  eventCount(event: string): number {
    return this.events.get(event)?.length ?? 0;
  }

  get alive(): boolean {
    return this.exit === null;
  }

  outputTail(lines = 40): string {
    return this.tail.slice(-lines).join('\n');
  }

  /** Each logged event once, with how often it came: the shape of a long run at a glance. */
  eventSummary(): string {
    return [...this.events].map(([event, lines]) => `${event}×${lines.length}`).join(', ');
  }

  describe(): string {
    const state = this.alive ? 'running' : `exited ${JSON.stringify(this.exit)}`;
    return `pid ${this.child.pid}, ${state}; events: ${this.eventSummary()}; whole output: ${this.outputFile}; output tail:\n${this.outputTail()}`;
  }

  /** Resident set size now (VmRSS) and the peak so far (VmHWM), bytes; null once exited. */
  async memory(): Promise<{ rss: number; peak: number } | null> {
    if (!this.alive || this.child.pid === undefined) return null;
    try {
      const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
      const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
      return { rss: field('VmRSS'), peak: field('VmHWM') };
    } catch {
      return null;
    }
  }

  /** /metrics parsed; null while the server does not answer (starting, or gone). */
  async metrics(): Promise<MetricSample[] | null> {
    try {
      const response = await fetch(`${this.baseUrl}/metrics`, { signal: AbortSignal.timeout(3_000) });
      return response.ok ? parseMetrics(await response.text()) : null;
    } catch {
      return null;
    }
  }

  async metric(name: string, labels: Readonly<Record<string, string>> = {}): Promise<number | null> {
    const samples = await this.metrics();
    return samples === null ? null : metricSum(samples, name, labels);
  }

  /** /readyz: null while the server does not answer. */
  async readiness(): Promise<{ ready: boolean; reasons: string[] } | null> {
    try {
      const response = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(3_000) });
      const body = (await response.json()) as { ready?: boolean; reasons?: string[] };
      return { ready: response.status === 200 && body.ready === true, reasons: body.reasons ?? [] };
    } catch {
      return null;
    }
  }

  async status<T>(): Promise<T | null> {
    try {
      const response = await fetch(`${this.baseUrl}/status`, { signal: AbortSignal.timeout(3_000) });
      return response.ok ? ((await response.json()) as T) : null;
    } catch {
      return null;
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM', deadlineMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.exit !== null) return this.exit;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), deadlineMs);
    try {
      return await this.exitPromise;
    } finally {
      clearTimeout(timer);
    }
  }

  waitExit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.exitPromise;
  }
}

/**
 * Polls `probe` until true; throws with `describe()` after `timeoutMs`. A probe that itself never
 * settles (a client call into a broker that is restarting) is abandoned at the deadline too.
 */
export async function until(probe: () => Promise<boolean> | boolean, options: { timeoutMs: number; intervalMs?: number; describe: () => string | Promise<string> }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  const timedOut = async (): Promise<Error> => new Error(`timed out after ${options.timeoutMs} ms: ${await options.describe()}`);
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), Math.max(0, deadline - Date.now()) + 1_000);
    });
    try {
      const outcome = await Promise.race([Promise.resolve(probe()), expired]);
      if (outcome === 'expired') throw await timedOut();
      if (outcome) return;
    } finally {
      clearTimeout(timer);
    }
    if (Date.now() > deadline) throw await timedOut();
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}
