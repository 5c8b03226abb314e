/**
 * Runs a real sluice service for end-to-end tests: in this process (fast, inspectable), or as a
 * child process that can be killed with SIGKILL (crash tests). Both read the same SLUICE_*
 * settings the container does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { loadConfig } from '../../src/config/load.ts';
import { createLogger, silentLogger } from '../../src/observe/logger.ts';
import { type RunningService, startService } from '../../src/service.ts';
import { kafkaBrokers } from './services.ts';

export type Settings = Record<string, string>;

export function postgresSinkSettings(options: { topics: readonly string[]; databaseUrl: string; group: string; extra?: Settings }): Settings {
  return {
    SLUICE_DESTINATION: 'postgres',
    SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_TOPICS: options.topics.join(','),
    SLUICE_GROUP_ID: options.group,
    SLUICE_DLQ_TOPIC: `${options.group}.dlq`,
    SLUICE_PG_URL: options.databaseUrl,
    SLUICE_HTTP_PORT: '0',
    SLUICE_COMMIT_INTERVAL_MS: '200',
    SLUICE_LAG_SAMPLE_INTERVAL_MS: '1000',
    SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'silent',
    ...options.extra,
  };
}

export async function startInProcess(settings: Settings): Promise<RunningService> {
  const config = loadConfig(settings);
  const logger = settings.SLUICE_LOG_LEVEL === 'silent' ? silentLogger() : createLogger({ level: settings.SLUICE_LOG_LEVEL });
  return startService(config, settings, logger);
}

const sluiceBin = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));

export interface SluiceProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

/** Starts `sluice run` as a child process with exactly these settings (plus PATH/HOME). */
export function startChild(settings: Settings): SluiceProcess {
  const child = spawn(process.execPath, [sluiceBin, 'run'], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...settings },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  return {
    child,
    output: () => output,
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

/** Polls `probe` until it returns true, failing with `describe()` after `timeoutMs`. */
export async function waitFor(probe: () => Promise<boolean> | boolean, options: { timeoutMs: number; intervalMs?: number; describe: () => string | Promise<string> }): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await probe()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms: ${await options.describe()}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}

/** Committed offsets of a group summed over the given topics, and the log-end offsets. */
export async function groupProgress(group: string, topics: readonly string[]): Promise<{ committed: bigint; end: bigint }> {
  const { testKafka } = await import('./services.ts');
  const admin = testKafka('sluice-test-progress').admin();
  await admin.connect();
  try {
    let committed = 0n;
    let end = 0n;
    for (const topic of topics) {
      const ends = await admin.fetchTopicOffsets(topic);
      for (const partition of ends) end += BigInt(partition.high);
    }
    const offsets = await admin.fetchOffsets({ groupId: group, topics: [...topics] });
    for (const topic of offsets) for (const partition of topic.partitions) if (BigInt(partition.offset) >= 0n) committed += BigInt(partition.offset);
    return { committed, end };
  } finally {
    await admin.disconnect();
  }
}

export async function withClient<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
