/**
 * A Kafka Connect standalone worker of the Avro tests' own: Kafka's jars and Debezium's plug-in
 * folder as installed by scripts/services.sh (connect), plus Apicurio's Avro converter
 * (scripts/services/registry.sh), on a free port with its own offsets file. Its own process so
 * the shared `connect` service (used concurrently by the JSON Debezium test) is never restarted.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort, waitFor } from '../../support/sluice-harness.ts';
import { kafkaBrokers } from '../../support/services.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const cache = process.env['SLUICE_CACHE_DIR'] ?? join(root, '.cache');
const KAFKA_VERSION = process.env['SLUICE_KAFKA_VERSION'] ?? '4.3.1';
const DEBEZIUM_VERSION = process.env['SLUICE_DEBEZIUM_VERSION'] ?? '3.6.1.Final';
const REGISTRY_VERSION = '2.4.2.Final';
export const APICURIO_AVRO_CONVERTER = 'io.apicurio.registry.utils.converter.AvroConverter';
const POSTGRES_CONNECTOR = 'io.debezium.connector.postgresql.PostgresConnector';

export interface ConnectWorker {
  readonly url: string;
  createConnector(name: string, config: Readonly<Record<string, string>>): Promise<void>;
  awaitRunning(name: string): Promise<void>;
  deleteConnector(name: string): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

async function installPlugins(): Promise<void> {
  await promisify(execFile)(join(root, 'scripts/services.sh'), ['install', 'kafka', 'connect', 'registry'], { timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
}

export async function startConnectWorker(): Promise<ConnectWorker> {
  await installPlugins();
  const port = await freePort();
  const state = mkdtempSync(join(tmpdir(), 'sluice-avro-connect-'));
  const template = readFileSync(join(root, 'docker/local/connect/worker.properties'), 'utf8');
  const pluginPath = [join(cache, `connect/plugins-${DEBEZIUM_VERSION}`), join(cache, `registry/converter-${REGISTRY_VERSION}`)].join(',');
  writeFileSync(
    join(state, 'worker.properties'),
    template
      .replaceAll('@BOOTSTRAP@', kafkaBrokers().join(','))
      .replaceAll('@PORT@', String(port))
      .replaceAll('@OFFSETS_FILE@', join(state, 'connect.offsets'))
      .replaceAll('@PLUGIN_PATH@', pluginPath),
  );
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xmx384m',
      '-Djava.awt.headless=true',
      `-Dconnect.logs.dir=${state}`,
      `-Dlog4j2.configurationFile=${join(root, 'docker/local/connect/log4j2.properties')}`,
      '-cp',
      `${join(cache, `kafka/lib-${KAFKA_VERSION}`)}/*`,
      'org.apache.kafka.connect.cli.ConnectStandalone',
      join(state, 'worker.properties'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-50_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let dead = false;
  void exited.then(() => {
    dead = true;
  });

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, json: text === '' ? null : (JSON.parse(text) as unknown) };
  };

  const worker: ConnectWorker = {
    url,
    async createConnector(name, config) {
      const { status, json } = await call('POST', '/connectors', { name, config });
      if (status >= 300) throw new Error(`creating connector ${name}: ${status} ${JSON.stringify(json)}`);
    },
    async awaitRunning(name) {
      await waitFor(
        async () => {
          const { json } = await call('GET', `/connectors/${encodeURIComponent(name)}/status`);
          const status = json as { connector?: { state?: string }; tasks?: { state?: string; trace?: string }[] } | null;
          const failed = status?.tasks?.find((task) => task.state === 'FAILED');
          if (failed !== undefined) throw new Error(`connector task failed: ${failed.trace?.slice(0, 3_000)}`);
          return status?.connector?.state === 'RUNNING' && (status.tasks ?? []).length > 0 && status.tasks!.every((task) => task.state === 'RUNNING');
        },
        { timeoutMs: 90_000, intervalMs: 500, describe: () => `connector ${name} not running; worker output: ${output.slice(-3_000)}` },
      );
    },
    async deleteConnector(name) {
      await call('DELETE', `/connectors/${encodeURIComponent(name)}`).catch(() => undefined);
    },
    async stop() {
      if (dead) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
    log: () => output,
  };

  try {
    await waitFor(
      async () => {
        if (dead) throw new Error(`the Connect worker exited: ${output.slice(-3_000)}`);
        try {
          const { status, json } = await call('GET', '/connector-plugins?connectorsOnly=false');
          const classes = Array.isArray(json) ? json.map((plugin) => (plugin as { class?: string }).class) : [];
          return status === 200 && classes.includes(POSTGRES_CONNECTOR) && classes.includes(APICURIO_AVRO_CONVERTER);
        } catch {
          return false;
        }
      },
      { timeoutMs: 120_000, intervalMs: 500, describe: () => `the worker at ${url} did not list Debezium's connector and Apicurio's converter; output: ${output.slice(-3_000)}` },
    );
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return worker;
}
