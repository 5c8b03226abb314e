/**
 * kafkajs leaves a crashed consumer stopped when the crash's root cause is not retriable (seen
 * around a broker restart: the process stayed up, consumed nothing and retried commits forever).
 * KafkajsSource runs such a consumer again with a growing delay and, when that keeps failing,
 * stops for good through onFatal, so the pipeline exits instead of idling. While the consumer
 * is down, pause/resume/seek are no-ops rather than errors.
 *
 * The non-retriable crash here is real: a session timeout above the broker's
 * group.max.session.timeout.ms (30 min by default) makes every JoinGroup fail with
 * INVALID_SESSION_TIMEOUT, which kafkajs marks not retriable.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { KafkajsSource } from '../../../src/kafka/kafkajs-source.ts';
import { createUniqueTopic, kafkaBrokers, startServices, uniqueName } from '../../support/services.ts';
import { RecordingHandlers, waitUntil } from './recording-handlers.ts';

interface LoggedLine {
  readonly event?: string;
  readonly attempt?: number;
  readonly of?: number;
  readonly delayMs?: number;
}

const topics: { delete(): Promise<void> }[] = [];

before(async () => {
  await startServices();
});

after(async () => {
  await Promise.allSettled(topics.map((topic) => topic.delete()));
});

test('a consumer kafkajs will not restart is started again, and after the last attempt the source stops through onFatal', async () => {
  const created = await createUniqueTopic(1, 'kafkajs-restart');
  topics.push(created);
  const lines: LoggedLine[] = [];
  const logger = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as LoggedLine);
        done();
      },
    }),
  );
  const source = new KafkajsSource(
    {
      brokers: kafkaBrokers(),
      clientId: 'sluice-kafkajs-restart-it',
      groupId: uniqueName('g-restart'),
      topics: [created.topic],
      fromBeginning: true,
      fetchMaxBytes: 1_048_576,
      partitionFetchMaxBytes: 262_144,
      fetchMaxWaitMs: 100,
      sessionTimeoutMs: 3_600_000,
      heartbeatIntervalMs: 1_000,
    },
    logger,
    { attempts: 2, baseDelayMs: 50, maxDelayMs: 100 },
  );
  const handlers = new RecordingHandlers();
  try {
    await source.start(handlers);
    // Between the crash and the restart kafkajs itself throws from pause/resume/seek; the
    // pipeline calls them at any time (memory pressure), so the source must not.
    const partition = { topic: created.topic, partition: 0 };
    assert.doesNotThrow(() => source.pause([partition]));
    assert.doesNotThrow(() => source.resume([partition]));
    assert.doesNotThrow(() => source.seek(partition, 0n));
    await waitUntil('the source gives up through onFatal', () => handlers.fatalErrors.length > 0);

    const restarts = lines.filter((line) => line.event === 'kafka-consumer-restart');
    assert.deepEqual(
      restarts.map((line) => [line.attempt, line.of, line.delayMs]),
      [
        [1, 2, 50],
        [2, 2, 100],
      ],
      'two restarts with a growing delay, then no more',
    );
    assert.equal(handlers.fatalErrors.length, 1);
    assert.match(handlers.fatalErrors[0]!.message, /2 restarts in a row did not bring it back: .*session timeout/i);
    assert.deepEqual(handlers.assignedEvents, [], 'never joined, so nothing was assigned');
  } finally {
    await source.stop();
  }
});
