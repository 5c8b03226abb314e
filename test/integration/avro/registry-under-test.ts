/**
 * The schema registry the Avro integration tests run against, with the Confluent API calls they
 * need (register a schema under a subject → id) and stop/start for the outage test.
 *
 * - default: the project's real registry, Apicurio Registry with its Confluent API, started by
 *   `scripts/services.sh up registry` (scripts/services/registry.sh). The outage test gets a
 *   private instance of the same build (own port, own H2 file, so schemas survive its restart)
 *   that it stops and starts, leaving the shared one to tests running at the same time.
 * - SLUICE_TEST_SCHEMA_REGISTRY_URL=<url>: an external registry that speaks the Confluent API
 *   (Confluent, Karapace, Apicurio's /apis/ccompat/v7); the outage test prints why it does not run.
 * - SLUICE_TEST_SCHEMA_REGISTRY=stub: an HTTP server in the test process that answers
 *   `GET /schemas/ids/{id}`, `GET /subjects` and `POST /subjects/{subject}/versions` like a
 *   Confluent registry (404 + error_code 40403 for an unknown id); stopping it closes the port.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface RegistryUnderTest {
  readonly kind: 'local' | 'stub' | 'external';
  readonly url: string;
  register(subject: string, schema: string): Promise<number>;
  /** Present when the test can stop and restart it. */
  readonly outage?: { stop(): Promise<void>; start(): Promise<void> };
  close(): Promise<void>;
  /** Schema reads the registry answered (the stub counts them). */
  readonly schemaReads?: () => number;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

async function registerOver(url: string, subject: string, schema: string): Promise<number> {
  const response = await fetch(`${url.replace(/\/+$/, '')}/subjects/${encodeURIComponent(subject)}/versions`, {
    method: 'POST',
    headers: { 'content-type': CONTENT_TYPE, accept: CONTENT_TYPE },
    body: JSON.stringify({ schema }),
  });
  const body = (await response.json()) as { id?: number; message?: string };
  if (!response.ok || typeof body.id !== 'number') throw new Error(`registering ${subject} failed: ${response.status} ${JSON.stringify(body)}`);
  return body.id;
}

function stubRegistry(): Promise<RegistryUnderTest> {
  const schemas: string[] = [];
  const ids = new Map<string, number>();
  const subjects = new Set<string>();
  let reads = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((request, response) => {
    response.setHeader('content-type', CONTENT_TYPE);
    const url = request.url ?? '';
    const byId = /^\/schemas\/ids\/([0-9]+)$/.exec(url);
    if (request.method === 'GET' && byId !== null) {
      reads++;
      const schema = schemas[Number(byId[1]) - 1];
      if (schema === undefined) {
        response.statusCode = 404;
        response.end(JSON.stringify({ error_code: 40403, message: 'Schema not found' }));
      } else {
        response.end(JSON.stringify({ schema }));
      }
      return;
    }
    if (request.method === 'GET' && url === '/subjects') {
      response.end(JSON.stringify([...subjects]));
      return;
    }
    const register = /^\/subjects\/([^/]+)\/versions$/.exec(url);
    if (request.method === 'POST' && register !== null) {
      let text = '';
      request.on('data', (chunk: Buffer) => {
        text += chunk.toString('utf8');
      });
      request.on('end', () => {
        const schema = (JSON.parse(text) as { schema: string }).schema;
        const canonical = JSON.stringify(JSON.parse(schema));
        let id = ids.get(canonical);
        if (id === undefined) {
          schemas.push(canonical);
          id = schemas.length;
          ids.set(canonical, id);
        }
        subjects.add(decodeURIComponent(register[1]!));
        response.end(JSON.stringify({ id }));
      });
      return;
    }
    response.statusCode = 404;
    response.end(JSON.stringify({ error_code: 404, message: 'HTTP 404 Not Found' }));
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });
  return listen().then(() => ({
    kind: 'stub' as const,
    url: `http://127.0.0.1:${port}`,
    register: (subject: string, schema: string) => registerOver(`http://127.0.0.1:${port}`, subject, schema),
    outage: { stop, start: listen },
    schemaReads: () => reads,
    close: () => (server.listening ? stop() : Promise.resolve()),
  }));
}

const servicesScript = fileURLToPath(new URL('../../../scripts/services.sh', import.meta.url));
const run = promisify(execFile);

async function services(action: 'up' | 'down', name: string): Promise<void> {
  // The first `up` builds the registry from Maven Central (minutes); later ones take seconds.
  await run(servicesScript, [action, name], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
}

async function localRegistry(): Promise<RegistryUnderTest> {
  await services('up', 'registry');
  const port = process.env['SLUICE_REGISTRY_PORT'] ?? '8081';
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  return { kind: 'local', url, register: (subject, schema) => registerOver(url, subject, schema), close: async () => {} };
}

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A private Apicurio process from the build registry.sh made; stop/start keep its H2 file. */
async function privateLocalRegistry(): Promise<RegistryUnderTest> {
  await run(servicesScript, ['install', 'registry'], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 });
  const cache = process.env['SLUICE_CACHE_DIR'] ?? fileURLToPath(new URL('../../../.cache', import.meta.url));
  const runner = join(cache, 'registry/build-2.4.2.Final/apicurio-registry-local-1-runner.jar');
  const dataDir = mkdtempSync(join(tmpdir(), 'sluice-avro-registry-'));
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}/apis/ccompat/v7`;
  let child: ChildProcess | null = null;
  let output = '';

  const answers = async (): Promise<boolean> => {
    try {
      return (await fetch(`${url}/subjects`)).ok;
    } catch {
      return false;
    }
  };
  const start = async (): Promise<void> => {
    const process_ = spawn(
      'java',
      ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-Dquarkus.http.host=127.0.0.1', `-Dquarkus.http.port=${port}`, '-D%prod.quarkus.datasource.jdbc.min-size=1', '-D%prod.quarkus.datasource.jdbc.initial-size=1', '-jar', runner],
      { env: { ...process.env, REGISTRY_DATASOURCE_URL: `jdbc:h2:file:${join(dataDir, 'registry')}` }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = process_;
    const keep = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    process_.stdout?.on('data', keep);
    process_.stderr?.on('data', keep);
    const deadline = Date.now() + 120_000;
    while (!(await answers())) {
      if (process_.exitCode !== null || Date.now() > deadline) throw new Error(`the private registry did not start: ${output.slice(-3_000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  };
  const stop = async (): Promise<void> => {
    const running = child;
    if (running === null || running.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(timer);
  };
  await start();
  return { kind: 'local', url, register: (subject, schema) => registerOver(url, subject, schema), outage: { stop, start }, close: stop };
}

export async function registryUnderTest(): Promise<RegistryUnderTest> {
  const external = process.env['SLUICE_TEST_SCHEMA_REGISTRY_URL'];
  if (external !== undefined && external !== '') {
    return { kind: 'external', url: external, register: (subject, schema) => registerOver(external, subject, schema), close: async () => {} };
  }
  if (process.env['SLUICE_TEST_SCHEMA_REGISTRY'] === 'stub') return stubRegistry();
  return localRegistry();
}

/**
 * A registry this test alone may stop and start: a private instance (default), the stub, or —
 * with an external registry — undefined (it cannot be stopped from here).
 */
export async function registryForOutage(): Promise<RegistryUnderTest | undefined> {
  const external = process.env['SLUICE_TEST_SCHEMA_REGISTRY_URL'];
  if (external !== undefined && external !== '') return undefined;
  if (process.env['SLUICE_TEST_SCHEMA_REGISTRY'] === 'stub') return stubRegistry();
  return privateLocalRegistry();
}
