/**
 * Debezium's JDBC sink connector as a peer in the PostgreSQL benchmark: a Kafka Connect 4.3.1
 * standalone worker of the benchmark's own (REST on 127.0.0.1:8084 by default, so it never
 * meets the shared worker of scripts/services/connect.sh on 8083), running from Kafka's jars
 * (.cache/kafka/lib-4.3.1, fetched by scripts/services.sh up kafka) with the connector as a
 * plug-in folder fetched from Maven Central by bench/debezium-jdbc/pom.xml into .cache/bench-connect/.
 *
 * Version: io.debezium:debezium-connector-jdbc 3.6.1.Final is not published on Maven Central
 * (the newest 3.6 is 3.6.0.Final), so 3.6.0.Final is what runs; see the pom for the Hibernate fix.
 *
 * Offsets of a sink connector are committed by the worker every offset.flush.interval.ms (1 s
 * here instead of the default 60 s) as the group `connect-<connector name>`: the benchmark
 * measures it exactly like sluice's group.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, openSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchRoot } from './result.ts';

export const DEBEZIUM_JDBC_VERSION = process.env.SLUICE_BENCH_DEBEZIUM_JDBC_VERSION ?? '3.6.0.Final';
const KAFKA_VERSION = '4.3.1';
const CONNECTOR_CLASS = 'io.debezium.connector.jdbc.JdbcSinkConnector';

const cacheDir = path.join(benchRoot, '.cache/bench-connect');
const pluginDir = path.join(cacheDir, `plugins-${DEBEZIUM_JDBC_VERSION}`);
const connectorDir = path.join(pluginDir, 'debezium-connector-jdbc');

/** Fetches the connector's jars once (Maven, cached in .cache/m2). */
export function ensureJdbcSinkPlugin(): void {
  if (existsSync(path.join(connectorDir, `debezium-connector-jdbc-${DEBEZIUM_JDBC_VERSION}.jar`))) return;
  mkdirSync(connectorDir, { recursive: true });
  process.stdout.write(`  fetching Debezium JDBC sink ${DEBEZIUM_JDBC_VERSION} from Maven Central …\n`);
  execFileSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      path.join(benchRoot, 'bench/debezium-jdbc/pom.xml'),
      `-Ddebezium.version=${DEBEZIUM_JDBC_VERSION}`,
      `-Dmaven.repo.local=${path.join(benchRoot, '.cache/m2')}`,
      'org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies',
      '-DincludeScope=runtime',
      `-DoutputDirectory=${connectorDir}`,
      // Kafka's own jars, the logging API and Jackson come from the worker's classpath (a second
      // jackson-databind in the plug-in makes the worker's Jackson modules "not a subtype").
      '-DexcludeGroupIds=org.apache.kafka,org.slf4j,com.github.luben,at.yawk.lz4,org.xerial.snappy,jakarta.ws.rs,com.fasterxml.jackson.core',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

export interface ConnectWorker {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

export async function startConnectWorker(options: { port?: number; heap?: string } = {}): Promise<ConnectWorker> {
  const lib = path.join(benchRoot, `.cache/kafka/lib-${KAFKA_VERSION}`);
  if (!existsSync(lib) || readdirSync(lib).length === 0) throw new Error(`Kafka's jars are missing at ${lib}: run scripts/services.sh up kafka`);
  ensureJdbcSinkPlugin();
  const port = options.port ?? Number(process.env.SLUICE_BENCH_CONNECT_PORT ?? 8084);
  const url = `http://127.0.0.1:${port}`;
  if (await answers(url)) throw new Error(`${url} already answers: another Kafka Connect worker holds the benchmark's port`);
  const state = path.join(cacheDir, 'state');
  const logs = path.join(state, 'logs');
  mkdirSync(logs, { recursive: true });
  const properties = path.join(state, 'worker.properties');
  writeFileSync(
    properties,
    [
      'bootstrap.servers=127.0.0.1:9092',
      `listeners=http://127.0.0.1:${port}`,
      'key.converter=org.apache.kafka.connect.json.JsonConverter',
      'value.converter=org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable=true',
      'value.converter.schemas.enable=true',
      `offset.storage.file.filename=${path.join(state, `connect-${Date.now()}.offsets`)}`,
      'offset.flush.interval.ms=1000',
      `plugin.path=${pluginDir}`,
      'plugin.discovery=service_load',
      // Lets a connector raise its consumer's max.poll.records (the tuned run's batches are
      // bounded by the records one poll returns).
      'connector.client.config.override.policy=All',
      '',
    ].join('\n'),
  );
  const out = openSync(path.join(logs, 'stdout.log'), 'a');
  const child: ChildProcess = spawn(
    'java',
    [
      `-Xmx${options.heap ?? '1g'}`,
      '-XX:+UseG1GC',
      '-Djava.awt.headless=true',
      `-Dconnect.logs.dir=${logs}`,
      `-Dlog4j2.configurationFile=${path.join(benchRoot, 'docker/local/connect/log4j2.properties')}`,
      '-cp',
      `${lib}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      properties,
    ],
    { stdio: ['ignore', out, out] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('java did not start');
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Kafka Connect exited with ${child.exitCode}; see ${logs}/stdout.log`);
    const plugins = await fetch(`${url}/connector-plugins`).then((response) => (response.ok ? response.text() : ''), () => '');
    if (plugins.includes(CONNECTOR_CLASS)) break;
    if (Date.now() > deadline) throw new Error(`Kafka Connect at ${url} did not list ${CONNECTOR_CLASS} within 180 s; see ${logs}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return {
    url,
    pid,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    (response) => response.ok,
    () => false,
  );
}

export interface JdbcSinkOptions {
  readonly name: string;
  readonly topics: readonly string[];
  /** jdbc:postgresql://… */
  readonly jdbcUrl: string;
  /** The target table (pre-created in the same shape sluice and the ceiling write). */
  readonly table: string;
  /** Connector settings on top of the upsert/delete configuration (e.g. batch.size). */
  readonly extra?: Readonly<Record<string, string>>;
}

/** The upsert configuration: key from the record key, deletes and tombstones applied, no schema changes. */
export function jdbcSinkConfig(options: JdbcSinkOptions): Record<string, string> {
  return {
    'connector.class': CONNECTOR_CLASS,
    'tasks.max': '1',
    topics: options.topics.join(','),
    'connection.url': options.jdbcUrl,
    'connection.username': 'postgres',
    'connection.password': '',
    'insert.mode': 'upsert',
    'primary.key.mode': 'record_key',
    'delete.enabled': 'true',
    'schema.evolution': 'none',
    'collection.name.format': options.table,
    ...options.extra,
  };
}

export async function createConnector(worker: ConnectWorker, options: JdbcSinkOptions): Promise<void> {
  const response = await fetch(`${worker.url}/connectors`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: options.name, config: jdbcSinkConfig(options) }),
  });
  if (!response.ok) throw new Error(`creating connector ${options.name}: ${response.status} ${await response.text()}`);
}

/** The connector's and its task's state, with the task's trace when it failed. */
export async function connectorStatus(worker: ConnectWorker, name: string): Promise<{ connector: string; tasks: { state: string; trace?: string }[] }> {
  const response = await fetch(`${worker.url}/connectors/${encodeURIComponent(name)}/status`);
  if (!response.ok) return { connector: `HTTP ${response.status}`, tasks: [] };
  const body = (await response.json()) as { connector: { state: string }; tasks: { state: string; trace?: string }[] };
  return { connector: body.connector.state, tasks: body.tasks };
}

export async function deleteConnector(worker: ConnectWorker, name: string): Promise<void> {
  await fetch(`${worker.url}/connectors/${encodeURIComponent(name)}`, { method: 'DELETE' }).catch(() => undefined);
}
