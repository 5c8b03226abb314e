/**
 * Fault 7, bad configuration: every required setting missing and every malformed value of
 * test/unit/config/config.test.ts's list (repeated here: that test keeps its list private) must
 * stop `sluice run` with exit code 2 and a message naming the variable. An unreachable broker
 * or destination at start must end in a clear message (exit ≠ 0) within a bound, not a hang;
 * the time to exit is measured. The same at both sizes (it is cheap).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { coreSettings } from '../../src/config/settings.ts';
import { Cluster, chaosName, sharedEndpoints } from '../lib/cluster.ts';
import { FaultReport, roundSeconds, type Fault, type FaultContext, type FaultResult } from '../lib/result.ts';

const sluiceBin = fileURLToPath(new URL('../../bin/sluice.mjs', import.meta.url));
/** Longest a start against an unreachable service may take before it gives up. */
const START_BOUND_MS = 60_000;

const malformed: readonly (readonly [string, string])[] = [
  ['SLUICE_KAFKA_BROKERS', 'not a broker list'],
  ['SLUICE_BATCH_MAX_ROWS', 'ten thousand'],
  ['SLUICE_BATCH_MIN_ROWS', '-5'],
  ['SLUICE_MAX_INFLIGHT_BYTES', '0'],
  ['SLUICE_ADAPTIVE', 'maybe'],
  ['SLUICE_DELIVERY', 'at-most-once'],
  ['SLUICE_TOPIC_PATTERN', '(unclosed'],
  ['SLUICE_DESTINATION', 'mongodb'],
  ['SLUICE_KAFKA_CLIENT', 'librdkafka'],
  ['SLUICE_PG_POOL_SIZE', 'many'],
  ['SLUICE_HTTP_PORT', '-1'],
  ['SLUICE_COMMIT_INTERVAL_MS', '0'],
  ['SLUICE_LOG_LEVEL', 'loud'],
];

async function runSluice(env: Record<string, string>, timeoutMs: number): Promise<{ code: number | null; output: string; seconds: number; hung: boolean }> {
  const started = performance.now();
  const child = spawn(process.execPath, [sluiceBin, 'run'], { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearTimeout(timer);
  return { code, output, seconds: roundSeconds((performance.now() - started) / 1000), hung };
}

export const badConfigFault: Fault = {
  name: 'bad-config',
  description: 'invalid settings exit 2 naming the variable; unreachable broker or destination at start exits with a clear message, in bounded time',
  async run(context: FaultContext): Promise<FaultResult> {
    const report = new FaultReport('bad-config', context);
    const shared = sharedEndpoints();
    const valid: Record<string, string> = {
      SLUICE_DESTINATION: 'postgres',
      SLUICE_KAFKA_BROKERS: shared.brokers.join(','),
      SLUICE_TOPICS: 'cdc.public.orders',
      SLUICE_PG_URL: 'postgres://sluice@127.0.0.1:1/target',
      SLUICE_HTTP_PORT: '0',
    };
    const required = Object.entries(coreSettings)
      .filter(([, spec]) => 'required' in spec && spec.required === true)
      .map(([name]) => name);
    const cases: { variable: string; env: Record<string, string> }[] = [];
    for (const variable of [...required, 'SLUICE_TOPICS']) {
      const env = { ...valid };
      delete env[variable];
      cases.push({ variable, env });
    }
    for (const [variable, value] of malformed) {
      const env = { ...valid, [variable]: value };
      if (variable === 'SLUICE_TOPIC_PATTERN') delete env.SLUICE_TOPICS;
      cases.push({ variable, env });
    }
    const outcomes: { variable: string; code: number | null; seconds: number; named: boolean }[] = [];
    for (const { variable, env } of cases) {
      const result = await runSluice(env, 30_000);
      outcomes.push({ variable, code: result.code, seconds: result.seconds, named: result.output.includes(variable) });
    }
    report.details.invalid_settings = outcomes;
    const wrong = outcomes.filter((outcome) => outcome.code !== 2 || !outcome.named);
    report.check('each invalid setting exits 2 naming the variable', wrong.length === 0, `${outcomes.length - wrong.length}/${outcomes.length}${wrong.length > 0 ? `; wrong: ${JSON.stringify(wrong)}` : ''}`);

    const group = chaosName('chaos_badcfg');
    const unreachable = {
      broker: { ...valid, SLUICE_KAFKA_BROKERS: '127.0.0.1:1', SLUICE_GROUP_ID: group, SLUICE_DLQ_TOPIC: `${group}.dlq` },
      destination: { ...valid, SLUICE_PG_URL: 'postgres://postgres@127.0.0.1:1/postgres', SLUICE_GROUP_ID: group, SLUICE_DLQ_TOPIC: `${group}.dlq` },
    };
    const starts: Record<string, { code: number | null; seconds: number; hung: boolean; message: string }> = {};
    for (const [what, env] of Object.entries(unreachable)) {
      const result = await runSluice(env, START_BOUND_MS);
      const failure = result.output.split('\n').find((line) => line.includes('"start-failed"')) ?? '';
      const message = /"message":"([^"]*)"/.exec(failure)?.[1] ?? '';
      starts[what] = { code: result.code, seconds: result.seconds, hung: result.hung, message };
      report.check(
        `unreachable ${what} at start: clear message, exit within ${START_BOUND_MS / 1000} s`,
        !result.hung && result.code !== 0 && result.code !== null && /ECONNREFUSED|connect/i.test(message),
        `exit ${result.code} after ${result.seconds} s: ${message.slice(0, 160)}`,
      );
    }
    report.details.unreachable_at_start = starts;
    await new Cluster(shared).deleteTopics([`${group}.dlq`]).catch(() => undefined);
    return report.finish({ produced: 0, written: 0, dead_lettered: 0, lost: 0, duplicated_in_final_state: 0, time_to_recover_s: null });
  },
};
