/**
 * The OpenSearch server the Elasticsearch/OpenSearch writer's tests use: the real OpenSearch 2.19
 * started by `scripts/services.sh up opensearch` on 127.0.0.1:9200 (SLUICE_TEST_OPENSEARCH_URL
 * overrides the address). When nothing answers there, `requireOpenSearch` starts it with that
 * same command (idempotent; about ten seconds) and fails with the log path if it cannot.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

export function opensearchUrl(): string {
  return (process.env.SLUICE_TEST_OPENSEARCH_URL ?? 'http://127.0.0.1:9200').replace(/\/$/, '');
}

async function answers(): Promise<boolean> {
  try {
    const response = await fetch(`${opensearchUrl()}/_cluster/health?wait_for_status=yellow&timeout=5s`, { signal: AbortSignal.timeout(8_000) });
    return response.status === 200;
  } catch {
    return false;
  }
}

let ready: Promise<void> | null = null;

export function requireOpenSearch(): Promise<void> {
  ready ??= (async () => {
    if (await answers()) return;
    if (process.env.SLUICE_TEST_OPENSEARCH_URL !== undefined) {
      throw new Error(`OpenSearch at ${opensearchUrl()} (SLUICE_TEST_OPENSEARCH_URL) does not answer`);
    }
    try {
      await promisify(execFile)('bash', [path.join(repoRoot, 'scripts/services.sh'), 'up', 'opensearch'], { cwd: repoRoot, timeout: 180_000 });
    } catch (error) {
      const output = error instanceof Error && 'stderr' in error ? String(error.stderr) : String(error);
      throw new Error(`could not start OpenSearch with scripts/services.sh up opensearch:\n${output}\nlog: ${path.join(repoRoot, '.services/opensearch/logs/stdout.log')}`);
    }
    if (!(await answers())) throw new Error(`OpenSearch started but ${opensearchUrl()} does not answer`);
  })();
  return ready;
}
