/**
 * The container's build and start steps, without a Docker engine: scripts/container-smoke.sh
 * builds what docker/Dockerfile's last stage holds (compiled dist/ + production dependencies
 * only); this test starts it with the image's entry point and environment against the real
 * broker and database, checks /healthz and /readyz, and stops it with SIGTERM: exit 0.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '../support/sluice-harness.ts';
import { createUniqueDatabase, createUniqueTopic, kafkaBrokers, startServices, uniqueName } from '../support/services.ts';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../../scripts/container-smoke.sh', import.meta.url));

test('the image build steps produce a runtime that starts, becomes ready and stops cleanly on SIGTERM', { timeout: 900_000 }, async () => {
  await startServices();
  const { stdout } = await run(script, [], { maxBuffer: 16 * 1024 * 1024 });
  const appDir = stdout.trim().split('\n').at(-1)!;
  const database = await createUniqueDatabase('sluice_container');
  const topic = await createUniqueTopic(2, 'container');
  const child = spawn(process.execPath, ['--enable-source-maps', 'dist/src/cli.js', 'run'], {
    cwd: appDir,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      SLUICE_HTTP_HOST: '127.0.0.1',
      SLUICE_HTTP_PORT: '0',
      SLUICE_DESTINATION: 'postgres',
      SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
      SLUICE_TOPICS: topic.topic,
      SLUICE_GROUP_ID: uniqueName('container-group'),
      SLUICE_PG_URL: database.url,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  try {
    let base = '';
    await waitFor(
      () => {
        const match = /"event":"http-listening","url":"([^"]+)"/.exec(output);
        if (match !== null) base = match[1]!;
        return base !== '';
      },
      { timeoutMs: 60_000, describe: () => `no http-listening line; output:\n${output}` },
    );
    const health = await fetch(`${base}/healthz`);
    assert.equal(health.status, 200);
    await waitFor(async () => (await fetch(`${base}/readyz`)).status === 200, {
      timeoutMs: 60_000,
      describe: async () => `not ready: ${await (await fetch(`${base}/readyz`)).text()}`,
    });
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, output);
    assert.match(output, /"event":"stopped"/);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    await database.drop();
    await topic.delete();
  }
});
