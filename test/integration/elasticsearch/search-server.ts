/**
 * The search server behind the Elasticsearch/OpenSearch writer's tests, per flavour.
 *
 * SLUICE_TEST_SERVICES=local (default, no Docker):
 *   - both flavours use the real OpenSearch 2.19 of `scripts/services.sh up opensearch` on
 *     127.0.0.1:9200 (SLUICE_TEST_OPENSEARCH_URL overrides); when nothing answers there it is
 *     started with that command (idempotent, about ten seconds) or the test fails with the log path;
 *   - the elasticsearch flavour's client talks to it through test/support/es-product-proxy.ts.
 * SLUICE_TEST_SERVICES=testcontainers (a Docker engine is needed):
 *   - opensearch: an `opensearchproject/opensearch` container (SLUICE_TC_OPENSEARCH_IMAGE,
 *     default 2.19.1) with the security plugin disabled;
 *   - elasticsearch: a real Elasticsearch container (SLUICE_TC_ELASTICSEARCH_IMAGE, default
 *     docker.elastic.co/elasticsearch/elasticsearch:8.19.2) with security disabled, no proxy.
 *   Not exercised on the project's machines (no Docker engine there): it typechecks and follows
 *   testcontainers' documented GenericContainer API, but has not been run.
 *
 * `writerUrl` is what SLUICE_ES_NODES gets; `adminUrl` is the server itself, for the tests' own
 * reads and settings (plain JSON over fetch, which both servers accept).
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type EsProductProxy, startEsProductProxy } from '../../support/es-product-proxy.ts';

export type Flavour = 'opensearch' | 'elasticsearch';

export interface SearchServer {
  readonly flavour: Flavour;
  readonly writerUrl: string;
  readonly adminUrl: string;
  /** The product-check proxy, when the elasticsearch flavour runs against OpenSearch. */
  readonly proxy: EsProductProxy | null;
  /** What the tests run against, for messages. */
  readonly description: string;
  close(): Promise<void>;
}

export interface ServerOptions {
  /** thread_pool.write.queue_size of a dedicated server (the rejection test). */
  readonly writeQueueSize?: number;
}

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function mode(): 'local' | 'testcontainers' {
  const raw = process.env.SLUICE_TEST_SERVICES ?? 'local';
  if (raw === 'local' || raw === 'testcontainers') return raw;
  throw new Error(`SLUICE_TEST_SERVICES must be "local" or "testcontainers", got "${raw}"`);
}

export function localOpenSearchUrl(): string {
  return (process.env.SLUICE_TEST_OPENSEARCH_URL ?? 'http://127.0.0.1:9200').replace(/\/$/, '');
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/_cluster/health?wait_for_status=yellow&timeout=5s`, { signal: AbortSignal.timeout(8_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

let localReady: Promise<void> | null = null;

/** The shared local OpenSearch answers, started by scripts/services.sh when it did not. */
export function requireLocalOpenSearch(): Promise<void> {
  localReady ??= (async () => {
    if (await answers(localOpenSearchUrl())) return;
    if (process.env.SLUICE_TEST_OPENSEARCH_URL !== undefined) {
      throw new Error(`OpenSearch at ${localOpenSearchUrl()} (SLUICE_TEST_OPENSEARCH_URL) does not answer`);
    }
    try {
      await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/services.sh'), 'up', 'opensearch'], { cwd: repoRoot, timeout: 180_000 });
    } catch (error) {
      const output = error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error);
      throw new Error(`could not start OpenSearch with scripts/services.sh up opensearch:\n${output}\nlog: ${path.join(repoRoot, '.services/opensearch/logs/stdout.log')}`);
    }
    if (!(await answers(localOpenSearchUrl()))) throw new Error(`OpenSearch started but ${localOpenSearchUrl()} does not answer`);
  })();
  return localReady;
}

/** The shared server for `flavour` (a fresh proxy or container per call; close() releases it). */
export async function startSearchServer(flavour: Flavour): Promise<SearchServer> {
  if (mode() === 'testcontainers') return startContainer(flavour, {});
  await requireLocalOpenSearch();
  const adminUrl = localOpenSearchUrl();
  if (flavour === 'opensearch') {
    return { flavour, writerUrl: adminUrl, adminUrl, proxy: null, description: 'OpenSearch 2.19 (local)', close: async () => {} };
  }
  const proxy = await startEsProductProxy(adminUrl);
  return {
    flavour,
    writerUrl: proxy.url,
    adminUrl,
    proxy,
    description: '@elastic/elasticsearch via the product proxy to OpenSearch 2.19 (local)',
    close: () => proxy.close(),
  };
}

/** A dedicated OpenSearch with its own settings (local: a second node via scripts/services.sh). */
export async function startDedicatedOpenSearch(options: ServerOptions): Promise<SearchServer> {
  if (mode() === 'testcontainers') return startContainer('opensearch', options);
  const port = Number(process.env.SLUICE_TEST_OPENSEARCH_TINY_QUEUE_PORT ?? 9250);
  const stateFolder = path.join(repoRoot, '.services/dedicated-opensearch');
  const env = {
    ...process.env,
    SLUICE_SERVICES_STATE: stateFolder,
    SLUICE_OPENSEARCH_PORT: String(port),
    SLUICE_OPENSEARCH_WRITE_QUEUE_SIZE: String(options.writeQueueSize ?? 10_000),
    SLUICE_OPENSEARCH_HEAP: '512m',
  };
  const services = async (command: 'up' | 'clean'): Promise<void> => {
    await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/services.sh'), command, 'opensearch'], { cwd: repoRoot, env, timeout: 180_000 });
  };
  await services('up');
  const url = `http://127.0.0.1:${port}`;
  return {
    flavour: 'opensearch',
    writerUrl: url,
    adminUrl: url,
    proxy: null,
    description: `dedicated OpenSearch 2.19 on ${url}`,
    close: async () => {
      await services('clean');
      await rm(stateFolder, { recursive: true, force: true });
    },
  };
}

async function startContainer(flavour: Flavour, options: ServerOptions): Promise<SearchServer> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const queue: Record<string, string> = options.writeQueueSize === undefined ? {} : { 'thread_pool.write.queue_size': String(options.writeQueueSize) };
  const definition =
    flavour === 'opensearch'
      ? new GenericContainer(process.env.SLUICE_TC_OPENSEARCH_IMAGE ?? 'opensearchproject/opensearch:2.19.1').withEnvironment({
          'discovery.type': 'single-node',
          DISABLE_SECURITY_PLUGIN: 'true',
          DISABLE_INSTALL_DEMO_CONFIG: 'true',
          OPENSEARCH_JAVA_OPTS: '-Xms1g -Xmx1g',
          ...queue,
        })
      : new GenericContainer(process.env.SLUICE_TC_ELASTICSEARCH_IMAGE ?? 'docker.elastic.co/elasticsearch/elasticsearch:8.19.2').withEnvironment({
          'discovery.type': 'single-node',
          'xpack.security.enabled': 'false',
          ES_JAVA_OPTS: '-Xms1g -Xmx1g',
          ...queue,
        });
  const container = await definition
    .withExposedPorts(9200)
    .withWaitStrategy(Wait.forHttp('/_cluster/health?wait_for_status=yellow&timeout=5s', 9200).forStatusCode(200))
    .withStartupTimeout(180_000)
    .start();
  const url = `http://${container.getHost()}:${container.getMappedPort(9200)}`;
  return {
    flavour,
    writerUrl: url,
    adminUrl: url,
    proxy: null,
    description: `${flavour} container on ${url}`,
    close: async () => {
      await container.stop();
    },
  };
}
