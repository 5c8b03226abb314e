/**
 * `sluice lag` against the broker's own numbers: a group with committed offsets on some
 * partitions (one never committed), compared column by column with Kafka's ConsumerGroupCommand
 * (`kafka-consumer-groups --describe`, from the same jars as the broker).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { LagReport } from '../../../src/cli/lag.ts';
import { main } from '../../../src/cli.ts';
import { Prng } from '../../../src/loadgen/prng.ts';
import { createUniqueTopic, kafkaBrokers, startServices, type TestTopic, testKafka, uniqueName } from '../../support/services.ts';
import { capturedOutput } from './captured-output.ts';

const run = promisify(execFile);
const kafkaCli = fileURLToPath(new URL('../../../scripts/kafka-cli.sh', import.meta.url));

interface DescribedRow {
  readonly partition: number;
  readonly current: string;
  readonly logEnd: string;
  readonly lag: string;
}

/** Rows of `kafka-consumer-groups --describe --group G` for one topic. */
async function describeGroup(group: string, topic: string): Promise<DescribedRow[]> {
  const { stdout } = await run(kafkaCli, ['consumer-groups', '--bootstrap-server', kafkaBrokers()[0]!, '--describe', '--group', group], { maxBuffer: 4 * 1024 * 1024 });
  const lines = stdout.split('\n').map((line) => line.trim().split(/\s+/));
  const header = lines.find((cells) => cells[0] === 'GROUP');
  assert.ok(header !== undefined, `no table in:\n${stdout}`);
  const column = (name: string): number => header.indexOf(name);
  return lines
    .filter((cells) => cells[0] === group && cells[column('TOPIC')] === topic)
    .map((cells) => ({ partition: Number(cells[column('PARTITION')]), current: cells[column('CURRENT-OFFSET')]!, logEnd: cells[column('LOG-END-OFFSET')]!, lag: cells[column('LAG')]! }))
    .sort((a, b) => a.partition - b.partition);
}

describe('sluice lag', () => {
  let topic: TestTopic;
  const group = uniqueName('cli-lag');
  const env = { SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','), SLUICE_LOG_LEVEL: 'silent' };
  const random = new Prng(907);
  const produced: number[] = [];
  const committed: (number | null)[] = [];

  before(async () => {
    await startServices();
    topic = await createUniqueTopic(4, 'cli-lag');
    const producer = testKafka('cli-lag-producer').producer();
    await producer.connect();
    for (let partition = 0; partition < topic.partitions; partition++) {
      const count = 20 + random.int(80);
      produced.push(count);
      await producer.send({ topic: topic.topic, messages: Array.from({ length: count }, (_, i) => ({ partition, key: `k${i}`, value: `v${i}` })) });
      // Partition 3 is never committed; the others somewhere between 0 and the end.
      committed.push(partition === 3 ? null : random.int(count));
    }
    await producer.disconnect();
    const admin = testKafka('cli-lag-admin').admin();
    await admin.connect();
    await admin.setOffsets({ groupId: group, topic: topic.topic, partitions: committed.flatMap((offset, partition) => (offset === null ? [] : [{ partition, offset: String(offset) }])) });
    await admin.disconnect();
  });

  after(async () => {
    await topic?.delete();
  });

  test('the JSON report has the broker’s CURRENT-OFFSET, LOG-END-OFFSET and LAG, partition by partition', async () => {
    const output = capturedOutput();
    const code = await main(['lag', '--group', group, '--topic', topic.topic, '--json', '--samples', '3', '--interval', '200'], env, output);
    assert.equal(code, 0, output.stderr.join('\n'));
    const report = JSON.parse(output.stdout.join('\n')) as LagReport;
    const broker = await describeGroup(group, topic.topic);
    // A group without members is described by its committed partitions only; sluice lists every
    // partition of the topics named, '-' where nothing was committed.
    assert.deepEqual(broker.map((b) => b.partition), committed.flatMap((offset, partition) => (offset === null ? [] : [partition])));
    assert.equal(report.partitions.length, topic.partitions);
    for (const row of report.partitions) {
      const theirs = broker.find((b) => b.partition === row.partition);
      if (theirs === undefined) {
        assert.equal(row.currentOffset, null, `partition ${row.partition} was never committed`);
      } else {
        assert.equal(row.logEndOffset, theirs.logEnd, `log-end of partition ${row.partition}`);
        assert.equal(row.currentOffset ?? '-', theirs.current, `current offset of partition ${row.partition}`);
        assert.equal(row.lag === null ? '-' : String(row.lag), theirs.lag, `lag of partition ${row.partition}`);
      }
      // Computed from what this test produced and committed, too.
      assert.equal(row.logEndOffset, String(produced[row.partition]));
      const mine = committed[row.partition];
      assert.equal(row.lag, mine === null || mine === undefined ? null : produced[row.partition]! - mine);
      assert.equal(row.lagClass, 'steady', 'nothing moves: steady');
      assert.equal(row.slope, 0);
    }
  });

  test('the table: Kafka’s columns plus SLOPE, CLASS and ETA; topics found from the group when --topic is left out', async () => {
    const output = capturedOutput();
    const code = await main(['lag', '--group', group, '--samples', '3', '--interval', '200'], env, output);
    assert.equal(code, 0, output.stderr.join('\n'));
    const lines = output.stdout.join('\n').split('\n');
    assert.match(lines[0]!, new RegExp(`^GROUP ${group}: 3 sample\\(s\\)`));
    assert.deepEqual(lines[1]!.split(/\s+/), ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'SLOPE', 'CLASS', 'ETA']);
    const rows = lines.slice(2).map((line) => line.split(/\s+/));
    assert.equal(rows.length, topic.partitions, 'every partition of the group’s topic');
    for (const cells of rows) {
      const partition = Number(cells[1]);
      assert.equal(cells[0], topic.topic);
      assert.equal(cells[3], String(produced[partition]));
      assert.ok(output.stderr.some((line) => line.includes('sampling lag 3/3')), 'progress shown');
    }
  });

  test('lag that grows while sampling shows a positive slope', async () => {
    const producer = testKafka('cli-lag-grow').producer();
    await producer.connect();
    let producing = true;
    const feeding = (async () => {
      let n = 0;
      while (producing) {
        await producer.send({ topic: topic.topic, messages: Array.from({ length: 50 }, () => ({ partition: 0, value: `grow-${n++}` })) });
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    try {
      const output = capturedOutput();
      const code = await main(['lag', '--group', group, '--topic', topic.topic, '--json', '--samples', '4', '--interval', '400'], env, output);
      assert.equal(code, 0, output.stderr.join('\n'));
      const report = JSON.parse(output.stdout.join('\n')) as LagReport;
      const growing = report.partitions.find((p) => p.partition === 0)!;
      assert.ok(growing.slope > 0, `slope ${growing.slope}`);
      assert.ok(growing.productionRate > 0, `production ${growing.productionRate}`);
    } finally {
      producing = false;
      await feeding;
      await producer.disconnect();
    }
  });

  test('--watch --json prints one report per sample, the partitions each time', async () => {
    const output = capturedOutput();
    const code = await main(['lag', '--group', group, '--topic', topic.topic, '--watch', '--json', '--iterations', '3', '--interval', '200'], env, output);
    assert.equal(code, 0, output.stderr.join('\n'));
    assert.equal(output.stdout.length, 3);
    const reports = output.stdout.map((line) => JSON.parse(line) as LagReport);
    assert.deepEqual(reports.map((r) => r.samples), [1, 2, 3]);
    for (const report of reports) assert.equal(report.partitions.length, topic.partitions);
  });

  test('a missing group is a usage error (exit 2) naming the option', async () => {
    const output = capturedOutput();
    assert.equal(await main(['lag'], env, output), 2);
    assert.match(output.stderr.join('\n'), /--group is required/);
  });
});
