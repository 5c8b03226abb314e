/**
 * The `sluice` bin as a process: the operator commands are dispatched, and their exit codes
 * reach the shell (0 success, 1 failed check, 2 bad arguments or settings).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { kafkaBrokers, startServices } from '../../support/services.ts';

const bin = fileURLToPath(new URL('../../../bin/sluice.mjs', import.meta.url));

function sluice(args: readonly string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SLUICE_FROM_SOURCE: '1', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

test('sluice help lists the commands; an unknown command exits 2', async () => {
  const help = await sluice(['help'], {});
  assert.equal(help.code, 0);
  for (const command of ['run', 'lag', 'check', 'dlq replay']) assert.match(help.stdout, new RegExp(`^  ${command} `, 'm'));
  assert.equal((await sluice(['frobnicate'], {})).code, 2);
  assert.equal((await sluice(['lag', '--no-such-option'], { SLUICE_KAFKA_BROKERS: '127.0.0.1:9092' })).code, 2);
});

test('sluice check exits 2 naming the variable, and 1 when the destination is unreachable', async () => {
  await startServices();
  const invalid = await sluice(['check'], { SLUICE_DESTINATION: 'postgres', SLUICE_TOPICS: 'x' });
  assert.equal(invalid.code, 2);
  assert.match(invalid.stderr, /✗ config: SLUICE_KAFKA_BROKERS/);
  const unreachable = await sluice(['check', '--timeout', '5000'], {
    SLUICE_DESTINATION: 'postgres',
    SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_TOPICS: '__consumer_offsets',
    SLUICE_PG_URL: 'postgres://postgres@127.0.0.1:1/postgres',
  });
  assert.equal(unreachable.code, 1, unreachable.stderr);
  assert.match(unreachable.stderr, /✓ kafka:/);
  assert.match(unreachable.stderr, /✗ destination:/);
});
