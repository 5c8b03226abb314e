/**
 * The local Kafka Connect worker (scripts/services/connect.sh) as the Debezium tests use it: make
 * sure it runs (starting it through scripts/services.sh when it does not, and remembering that),
 * restart it, and create, await and delete connectors through its REST API.
 *
 * Standalone mode keeps connector configurations in memory: after a restart the worker runs no
 * connector until it is created again. Offsets live in the worker's offsets file keyed by
 * connector name, so re-creating a connector under the same name resumes where it stopped.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../../support/sluice-harness.ts';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const servicesScript = path.join(repoRoot, 'scripts/services.sh');

export const POSTGRES_CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';

export function connectUrl(): string {
  return process.env.SLUICE_TEST_CONNECT_URL ?? 'http://127.0.0.1:8083';
}

export function connectLogPath(): string {
  return path.join(repoRoot, '.services/connect/logs/connect.log');
}

async function request(method: string, route: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const response = await fetch(`${connectUrl()}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json };
}

/** True when the worker answers and has Debezium's PostgreSQL connector. */
export async function connectAnswers(): Promise<boolean> {
  try {
    const { status, json } = await request('GET', '/connector-plugins');
    return status === 200 && Array.isArray(json) && json.some((plugin) => (plugin as { class?: string }).class === POSTGRES_CONNECTOR_CLASS);
  } catch {
    return false;
  }
}

async function services(command: 'up' | 'down', name: string): Promise<void> {
  try {
    await run(servicesScript, [command, name], { cwd: repoRoot, timeout: 600_000, maxBuffer: 10 * 1024 * 1024 });
  } catch (error) {
    const detail = error as { stderr?: string; message?: string };
    throw new Error(`scripts/services.sh ${command} ${name} failed: ${detail.stderr?.slice(-3_000) ?? detail.message}`);
  }
}

/**
 * Makes sure the worker runs. Returns true when this call started it (the caller then stops it
 * when done, so `npm test` leaves no worker behind that it did not find).
 */
export async function ensureConnect(): Promise<boolean> {
  if (await connectAnswers()) return false;
  await services('up', 'connect');
  return true;
}

export async function stopConnect(): Promise<void> {
  await services('down', 'connect');
}

/** Stops the worker (TERM: connectors commit their offsets) and starts it again. */
export async function restartConnect(): Promise<void> {
  await services('down', 'connect');
  await services('up', 'connect');
}

export type ConnectorConfig = Readonly<Record<string, string>>;

export async function createConnector(name: string, config: ConnectorConfig): Promise<void> {
  const { status, json } = await request('PUT', `/connectors/${encodeURIComponent(name)}/config`, config);
  if (status !== 200 && status !== 201) throw new Error(`creating connector ${name} answered ${status}: ${JSON.stringify(json)}`);
}

interface ConnectorStatus {
  readonly connector?: { readonly state?: string; readonly trace?: string };
  readonly tasks?: readonly { readonly id: number; readonly state?: string; readonly trace?: string }[];
}

export async function connectorStatus(name: string): Promise<ConnectorStatus | null> {
  const { status, json } = await request('GET', `/connectors/${encodeURIComponent(name)}/status`);
  return status === 200 ? (json as ConnectorStatus) : null;
}

/**
 * Waits until the connector and its task run; fails at once with the trace when one FAILED.
 * `explain` adds context to a timeout (e.g. what the database is waiting for).
 */
export async function awaitConnectorRunning(name: string, timeoutMs = 60_000, explain: () => Promise<string> = async () => ''): Promise<void> {
  let last: ConnectorStatus | null = null;
  await waitFor(
    async () => {
      last = await connectorStatus(name);
      const failed = [last?.connector, ...(last?.tasks ?? [])].find((item) => item?.state === 'FAILED');
      if (failed !== undefined) throw new Error(`connector ${name} FAILED: ${failed.trace?.slice(0, 4_000) ?? '(no trace)'}`);
      return last?.connector?.state === 'RUNNING' && (last.tasks?.length ?? 0) > 0 && last.tasks!.every((task) => task.state === 'RUNNING');
    },
    { timeoutMs, intervalMs: 250, describe: async () => `connector ${name} status: ${JSON.stringify(last)} (log: ${connectLogPath()}) ${await explain()}` },
  );
}

export async function listConnectors(): Promise<string[]> {
  const { status, json } = await request('GET', '/connectors');
  return status === 200 && Array.isArray(json) ? json.map(String) : [];
}

/** Deletes the connector (its task stops and releases the replication slot); absent is fine. */
export async function deleteConnector(name: string): Promise<void> {
  const { status, json } = await request('DELETE', `/connectors/${encodeURIComponent(name)}`);
  if (status !== 204 && status !== 404) throw new Error(`deleting connector ${name} answered ${status}: ${JSON.stringify(json)}`);
}
