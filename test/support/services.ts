/**
 * Connection settings for tests that need the real services (Kafka, PostgreSQL), and helpers that
 * give each test its own topic or database so engineers' tests can run side by side.
 *
 * Two modes, chosen by SLUICE_TEST_SERVICES:
 * - `local` (default): the services started by `scripts/services.sh up` on loopback
 *   (Kafka 127.0.0.1:9092, PostgreSQL 127.0.0.1:5433, user postgres, trust auth). `npm test`
 *   starts them when they are not running. SLUICE_TEST_KAFKA_BROKERS (comma separated) and
 *   SLUICE_TEST_POSTGRES_URL override the addresses.
 * - `testcontainers`: where a Docker engine is reachable, the same services run in containers
 *   started by this process (see testcontainers-services.ts). Call `startServices()` in a
 *   `before()` hook and `stopServices()` in `after()`; both are harmless in local mode.
 *
 * Contract for callers: call `await startServices()` before `kafkaBrokers()`/`postgresUrl()`;
 * in local mode it checks that both services answer and, if not, fails with the command that
 * starts them and the paths of their log files.
 */
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';

export type ServicesMode = 'local' | 'testcontainers';

export interface ServiceEndpoints {
  readonly kafkaBrokers: readonly string[];
  /** A connection URL to the server's `postgres` database as a superuser. */
  readonly postgresUrl: string;
}

/** What a started set of containers (or nothing, locally) needs to be stopped. */
export interface RunningServices {
  readonly endpoints: ServiceEndpoints;
  stop(): Promise<void>;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const LOCAL_KAFKA = '127.0.0.1:9092';
const LOCAL_POSTGRES = 'postgres://postgres@127.0.0.1:5433/postgres';

export function servicesMode(): ServicesMode {
  const raw = process.env.SLUICE_TEST_SERVICES ?? 'local';
  if (raw === 'local' || raw === 'testcontainers') return raw;
  throw new Error(`SLUICE_TEST_SERVICES must be "local" or "testcontainers", got "${raw}"`);
}

/** Log files of the local services, for messages of failing tests. */
export function localServiceLogs(): Readonly<Record<'kafka' | 'postgres', string>> {
  return {
    kafka: path.join(repoRoot, '.services/kafka/logs/server.log'),
    postgres: path.join(repoRoot, '.services/postgres/log/postgres.log'),
  };
}

let running: RunningServices | null = null;
let starting: Promise<RunningServices> | null = null;

function localEndpoints(): ServiceEndpoints {
  const brokers = (process.env.SLUICE_TEST_KAFKA_BROKERS ?? LOCAL_KAFKA)
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker.length > 0);
  return { kafkaBrokers: brokers, postgresUrl: process.env.SLUICE_TEST_POSTGRES_URL ?? LOCAL_POSTGRES };
}

function tcpReachable(hostPort: string, timeoutMs: number): Promise<boolean> {
  const separator = hostPort.lastIndexOf(':');
  const host = hostPort.slice(0, separator);
  const port = Number(hostPort.slice(separator + 1));
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

async function checkLocal(endpoints: ServiceEndpoints): Promise<void> {
  const problems: string[] = [];
  const logs = localServiceLogs();
  const firstBroker = endpoints.kafkaBrokers[0] ?? LOCAL_KAFKA;
  if (!(await tcpReachable(firstBroker, 2000))) {
    problems.push(`Kafka does not answer at ${firstBroker} (log: ${logs.kafka})`);
  }
  const client = new pg.Client({ connectionString: endpoints.postgresUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    problems.push(`PostgreSQL does not answer at ${redactUrl(endpoints.postgresUrl)}: ${reason} (log: ${logs.postgres})`);
  } finally {
    await client.end().catch(() => undefined);
  }
  if (problems.length > 0) {
    throw new Error(`${problems.join('; ')}. Start the services with: scripts/services.sh up`);
  }
}

/** Starts (testcontainers) or checks (local) the services; idempotent within a process. */
export async function startServices(): Promise<ServiceEndpoints> {
  if (running !== null) return running.endpoints;
  if (starting === null) {
    starting = (async (): Promise<RunningServices> => {
      if (servicesMode() === 'testcontainers') {
        const { startContainers } = await import('./testcontainers-services.ts');
        return startContainers();
      }
      const endpoints = localEndpoints();
      await checkLocal(endpoints);
      return { endpoints, stop: async () => undefined };
    })();
  }
  try {
    running = await starting;
    return running.endpoints;
  } finally {
    starting = null;
  }
}

/** Stops what startServices started in this process (containers); local services keep running. */
export async function stopServices(): Promise<void> {
  const current = running;
  running = null;
  await current?.stop();
}

function endpoints(): ServiceEndpoints {
  if (running !== null) return running.endpoints;
  if (servicesMode() === 'local') return localEndpoints();
  throw new Error('testcontainers mode: call `await startServices()` (in a before() hook) first');
}

export function kafkaBrokers(): string[] {
  return [...endpoints().kafkaBrokers];
}

/** URL of `database` (default `postgres`) on the test server, as the superuser. */
export function postgresUrl(database = 'postgres'): string {
  const url = new URL(endpoints().postgresUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (url.password !== '') url.password = '***';
    return url.toString();
  } catch {
    return '<unparseable url>';
  }
}

/**
 * A name no other test (of any engineer, in any process) uses: prefix + time + random, lower
 * case, valid as a Kafka topic, a consumer group and an unquoted PostgreSQL identifier (≤ 63).
 */
export function uniqueName(prefix: string): string {
  const suffix = `${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const safePrefix = prefix.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, 63 - suffix.length - 1);
  return `${safePrefix}_${suffix}`;
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  /** Drops the database, closing other sessions on it first. */
  drop(): Promise<void>;
}

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: postgresUrl('postgres'), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** Creates an empty database with a unique name on the test server. */
export async function createUniqueDatabase(prefix = 'sluice_test'): Promise<TestDatabase> {
  const name = uniqueName(prefix);
  await withAdminClient((client) => client.query(`create database ${quoteIdentifier(name)}`));
  return {
    name,
    url: postgresUrl(name),
    drop: () =>
      withAdminClient(async (client) => {
        await client.query(`drop database if exists ${quoteIdentifier(name)} with (force)`);
      }),
  };
}

export interface TestTopic {
  readonly topic: string;
  readonly partitions: number;
  delete(): Promise<void>;
}

export function testKafka(clientId = 'sluice-test'): Kafka {
  return new Kafka({ clientId, brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
}

/**
 * Creates a topic with a unique name and `partitions` partitions, and returns once every
 * partition has a leader (so producing right away succeeds).
 */
export async function createUniqueTopic(
  partitions: number,
  prefix = 'sluice-test',
  configEntries: Readonly<Record<string, string>> = {},
): Promise<TestTopic> {
  const topic = uniqueName(prefix);
  const admin = testKafka('sluice-test-admin').admin();
  await admin.connect();
  try {
    const created = await admin.createTopics({
      waitForLeaders: true,
      topics: [
        {
          topic,
          numPartitions: partitions,
          replicationFactor: 1,
          configEntries: Object.entries(configEntries).map(([name, value]) => ({ name, value })),
        },
      ],
    });
    if (!created) throw new Error(`topic ${topic} already existed`);
  } finally {
    await admin.disconnect();
  }
  return {
    topic,
    partitions,
    delete: async () => {
      const cleanup = testKafka('sluice-test-admin').admin();
      await cleanup.connect();
      try {
        await cleanup.deleteTopics({ topics: [topic] });
      } finally {
        await cleanup.disconnect();
      }
    },
  };
}
