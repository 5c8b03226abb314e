/**
 * `sluice run` with SLUICE_KAFKA_CLIENT=confluent stops on SIGTERM within
 * SLUICE_SHUTDOWN_TIMEOUT_MS, exit code 0, with what it wrote committed: after a complete run,
 * with nothing to consume, and in the middle of a backlog.
 *
 * The regression: the pipeline pauses every partition before it stops the source; librdkafka's
 * close then revokes them through the rebalance callback and blocks until the application
 * unassigns, and the source's revocation called resume() first, which the binding refuses while
 * closing. The unassign never came, close never returned, and neither did process.exit(): the
 * process ignored SIGTERM until SIGKILL. sluice runs as a child process here because a hung close
 * would keep this test process from exiting too.
 *
 * Needs the broker and PostgreSQL of `scripts/services.sh up`, and the native binding of
 * @confluentinc/kafka-javascript (built by scripts/install-confluent-kafka.sh, as
 * source.test.ts does; skipped with the reason printed when it cannot be built).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { createWorkload, produceWorkload, verifyPostgres, type Workload } from '../../../src/loadgen/index.ts';
import {
  createTopicsOf,
  groupProgress,
  postgresSinkSettings,
  type SluiceProcess,
  type Settings,
  startChild,
  waitFor,
  withClient,
} from '../../support/sluice-harness.ts';
import { createUniqueDatabase, kafkaBrokers, startServices, type TestDatabase, uniqueName } from '../../support/services.ts';

const SHUTDOWN_TIMEOUT_MS = 15_000;
const PARTITIONS = 3;

const installScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/install-confluent-kafka.sh');

/** Null when the native binding loads (built first unless SLUICE_TEST_BUILD_CONFLUENT=0); else why not. */
function confluentUnavailableReason(): string | null {
  if (spawnSync(installScript, ['--check']).status === 0) return null;
  if (process.env.SLUICE_TEST_BUILD_CONFLUENT === '0') {
    return 'the native binding of @confluentinc/kafka-javascript is not built and SLUICE_TEST_BUILD_CONFLUENT=0';
  }
  const build = spawnSync(installScript, [], { encoding: 'utf8', timeout: 600_000 });
  if (build.status !== 0) {
    return `scripts/install-confluent-kafka.sh failed (exit ${build.status}): ${build.stderr.trim().split('\n').slice(-5).join(' | ')}`;
  }
  return spawnSync(installScript, ['--check']).status === 0 ? null : 'the native binding still does not load after scripts/install-confluent-kafka.sh';
}

function outputTail(child: SluiceProcess): string {
  return child.output().slice(-3_000);
}

/**
 * Sends SIGTERM and resolves with the exit code once the child has exited; fails (after a SIGKILL)
 * when it is still running SHUTDOWN_TIMEOUT_MS later.
 */
async function terminateWithinDeadline(child: SluiceProcess): Promise<number | null> {
  assert.equal(child.child.exitCode, null, `sluice exited before SIGTERM: ${outputTail(child)}`);
  const exited = once(child.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  let deadline: NodeJS.Timeout | undefined;
  const overdue = new Promise<'overdue'>((resolve) => {
    deadline = setTimeout(() => resolve('overdue'), SHUTDOWN_TIMEOUT_MS);
  });
  child.child.kill('SIGTERM');
  try {
    const outcome = await Promise.race([exited, overdue]);
    if (outcome === 'overdue') {
      assert.fail(`sluice (confluent client) was still running ${SHUTDOWN_TIMEOUT_MS} ms after SIGTERM (SLUICE_SHUTDOWN_TIMEOUT_MS): ${outputTail(child)}`);
    }
    return outcome[0];
  } finally {
    clearTimeout(deadline);
    await child.kill('SIGKILL');
  }
}

/** Waits until the child has joined the group (so its SIGTERM handler is installed) and committed every record. */
async function waitUntilAllCommitted(child: SluiceProcess, group: string, topics: readonly string[]): Promise<void> {
  let progress = { committed: 0n, end: 0n };
  await waitFor(
    async () => {
      if (child.child.exitCode !== null) throw new Error(`sluice exited: ${outputTail(child)}`);
      if (!child.output().includes('"event":"partitions-assigned"')) return false;
      progress = await groupProgress(group, topics);
      return progress.end > 0n && progress.committed === progress.end;
    },
    { timeoutMs: 180_000, intervalMs: 250, describe: () => `committed ${progress.committed} of ${progress.end}: ${outputTail(child)}` },
  );
}

/** Error-level (50) and fatal (60) lines of sluice's JSON log. */
function errorLines(child: SluiceProcess): string[] {
  return child
    .output()
    .split('\n')
    .filter((line) => /"level":(50|60)/.test(line));
}

describe('sluice run with the confluent Kafka client stops on SIGTERM', () => {
  let skipReason: string | null = null;
  const databases: TestDatabase[] = [];

  before(async () => {
    skipReason = confluentUnavailableReason();
    if (skipReason !== null) {
      console.log(`# confluent shutdown tests skipped: ${skipReason}`);
      return;
    }
    await startServices();
  });

  after(async () => {
    await Promise.allSettled(databases.map((database) => database.drop()));
  });

  async function scenario(name: string, events: number, seed: number): Promise<{ workload: Workload; topics: string[]; database: TestDatabase; group: string }> {
    const database = await createUniqueDatabase(`sluice_cf_${name}`);
    databases.push(database);
    const workload = createWorkload({
      seed,
      tables: ['measurements'],
      events,
      partitions: PARTITIONS,
      topicPrefix: uniqueName(`cf-shutdown-${name}`),
      mix: { insert: 0.5, update: 0.4, delete: 0.1, keyChange: 0, truncate: 0 },
    });
    if (events > 0) await produceWorkload(workload, { brokers: kafkaBrokers() });
    else await createTopicsOf(workload.topics());
    return { workload, topics: workload.topics().map((spec) => spec.topic), database, group: uniqueName(`cf-shutdown-${name}`) };
  }

  function confluentSettings(topics: readonly string[], database: TestDatabase, group: string, extra: Settings = {}): Settings {
    return postgresSinkSettings({
      topics,
      databaseUrl: database.url,
      group,
      extra: { SLUICE_KAFKA_CLIENT: 'confluent', SLUICE_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS), SLUICE_LOG_LEVEL: 'info', ...extra },
    });
  }

  test('after a complete run: exits 0 with every record committed and the target as expected', async (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const { workload, topics, database, group } = await scenario('complete', 1_500, 20261125);
    const child = startChild(confluentSettings(topics, database, group));
    await waitUntilAllCommitted(child, group, topics);

    assert.equal(await terminateWithinDeadline(child), 0, `exit code after SIGTERM: ${outputTail(child)}`);
    assert.deepEqual(errorLines(child), [], 'no errors logged');
    const progress = await groupProgress(group, topics);
    assert.equal(progress.committed, progress.end, 'every record stays committed');
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, `target differs from the expected state: ${JSON.stringify(report.samples)}`);
  });

  test('with nothing to consume: exits 0 once it has joined the group', async (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const { topics, database, group } = await scenario('idle', 0, 1);
    const child = startChild(confluentSettings(topics, database, group));
    await waitFor(
      () => {
        if (child.child.exitCode !== null) throw new Error(`sluice exited: ${outputTail(child)}`);
        return child.output().includes('"event":"partitions-assigned"');
      },
      { timeoutMs: 60_000, intervalMs: 100, describe: () => `no partitions-assigned event yet: ${outputTail(child)}` },
    );

    assert.equal(await terminateWithinDeadline(child), 0, `exit code after SIGTERM: ${outputTail(child)}`);
    assert.deepEqual(errorLines(child), [], 'no errors logged');
  });

  test('in the middle of a backlog: exits 0, keeps what it committed, and a restart completes the target', async (t) => {
    if (skipReason !== null) return t.skip(skipReason);
    const { workload, topics, database, group } = await scenario('busy', 12_000, 7);
    // Small fixed batches and a small memory budget: when SIGTERM arrives, the backlog is still
    // being written and most of it is still in Kafka, behind partitions paused for memory.
    const settings = confluentSettings(topics, database, group, {
      SLUICE_ADAPTIVE: 'false',
      SLUICE_FIXED_BATCH_ROWS: '50',
      SLUICE_MAX_INFLIGHT_BYTES: '4194304',
      SLUICE_FETCH_MAX_BYTES: '1048576',
      SLUICE_PARTITION_FETCH_MAX_BYTES: '65536',
    });
    const child = startChild(settings);
    let atSigterm = await groupProgress(group, topics);
    await waitFor(
      async () => {
        if (child.child.exitCode !== null) throw new Error(`sluice exited: ${outputTail(child)}`);
        atSigterm = await groupProgress(group, topics);
        return atSigterm.committed > 0n;
      },
      { timeoutMs: 120_000, intervalMs: 100, describe: () => `nothing committed yet: ${outputTail(child)}` },
    );
    if (atSigterm.committed === atSigterm.end) t.diagnostic('the backlog was already committed when SIGTERM was sent (not mid-backlog this time)');

    assert.equal(await terminateWithinDeadline(child), 0, `exit code after SIGTERM: ${outputTail(child)}`);
    assert.deepEqual(errorLines(child), [], 'no errors logged');
    const afterStop = await groupProgress(group, topics);
    assert.ok(afterStop.committed >= atSigterm.committed, `committed offsets went back: ${afterStop.committed} < ${atSigterm.committed}`);
    t.diagnostic(`committed at SIGTERM ${atSigterm.committed}, after exit ${afterStop.committed}, of ${afterStop.end}`);

    // A restarted member resumes from those commits (when the drain at shutdown left any records);
    // nothing is lost either way.
    if (afterStop.committed < afterStop.end) {
      const restarted = startChild(settings);
      await waitUntilAllCommitted(restarted, group, topics);
      assert.equal(await terminateWithinDeadline(restarted), 0, `exit code of the restarted member: ${outputTail(restarted)}`);
    }
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, `target differs from the expected state: ${JSON.stringify(report.samples)}`);
  });
});
