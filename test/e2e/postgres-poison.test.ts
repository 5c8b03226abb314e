/**
 * A poison corpus mixed into the topics of a good workload. Each bad record must end in the
 * dead-letter topic with its reason headers and a pointer to the original record; every good
 * event must be written; and every record must be accounted for.
 *
 * The corpus (each kind several times, at seeded places among the good records, in the
 * partition its key hashes to; keys never used by the good workload):
 * - malformed JSON, a string where the schema says int64, invalid UTF-8 inside a string value,
 *   an unknown op: the decoder rejects them (class `decode`);
 * - a numeric(12,2) value with 20 integer digits: the decoder accepts it, PostgreSQL rejects it
 *   (SQLSTATE 22003), the core bisects the batch down to the record and dead-letters it;
 * - a text value with a NUL character, which PostgreSQL cannot store in text.
 *
 * Accounting: the group's committed offsets reach the log end (every record was settled:
 * written, skipped or dead-lettered), the dead-letter topic holds exactly the corpus (its
 * headers point at records whose bytes are the corpus's), and the target equals the expected
 * state of the good events (so every good event was written and no bad one was).
 *
 * Sizes: SLUICE_E2E_POISON_EVENTS (default 20,000 good change events), SLUICE_E2E_POISON_EACH
 * (default 3 records per kind), SLUICE_E2E_POISON_SEED.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Message } from 'kafkajs';
import type { Value } from '../../src/cdc/types.ts';
import {
  createTableSql,
  createWorkload,
  DebeziumTableEncoder,
  partitionForKey,
  Prng,
  type TableDefinition,
  verifyPostgres,
  type Workload,
} from '../../src/loadgen/index.ts';
import { deadLetterHeaders } from '../../src/pipeline/dead-letter.ts';
import { groupProgress, postgresSinkSettings, readTopic, startInProcess, waitFor, withClient } from '../support/sluice-harness.ts';
import { createUniqueDatabase, createUniqueTopic, startServices, type TestDatabase, type TestTopic, testKafka, uniqueName } from '../support/services.ts';

const EVENTS = Number(process.env.SLUICE_E2E_POISON_EVENTS ?? 20_000);
const EACH = Number(process.env.SLUICE_E2E_POISON_EACH ?? 3);
const SEED = Number(process.env.SLUICE_E2E_POISON_SEED ?? 20261128);
const PARTITIONS = 4;

type PoisonKind = 'malformed-json' | 'value-mismatch' | 'invalid-utf8' | 'unknown-op' | 'numeric-overflow' | 'nul-in-text';

/** What the dead-letter headers must say for each kind. */
const expectedHeaders: Record<PoisonKind, { errorClass: string; code: (code: string) => boolean }> = {
  'malformed-json': { errorClass: 'decode', code: (code) => code === 'cdc.malformed_json' },
  'value-mismatch': { errorClass: 'decode', code: (code) => code === 'cdc.value_mismatch' },
  'invalid-utf8': { errorClass: 'decode', code: (code) => code === 'cdc.invalid_utf8' },
  'unknown-op': { errorClass: 'decode', code: (code) => code === 'cdc.unknown_op' },
  // numeric_value_out_of_range, however the writer names the SQLSTATE
  'numeric-overflow': { errorClass: 'poison', code: (code) => code.startsWith('pg.') && (code.includes('22003') || code.includes('out_of_range')) },
  'nul-in-text': { errorClass: 'poison', code: (code) => code.startsWith('pg.') },
};

interface PoisonRecord {
  readonly kind: PoisonKind;
  readonly topic: string;
  readonly partition: number;
  readonly key: Buffer;
  readonly value: Buffer;
}

/** Builds the corpus from a valid insert of `measurements` under keys the workload never uses. */
function poisonCorpus(definition: TableDefinition, topicPrefix: string, each: number): PoisonRecord[] {
  const encoder = new DebeziumTableEncoder(definition, { topicPrefix, database: 'inventory', schemasEnabled: true, connectorVersion: '3.6.1.Final' });
  const kinds: PoisonKind[] = ['malformed-json', 'value-mismatch', 'invalid-utf8', 'unknown-op', 'numeric-overflow', 'nul-in-text'];
  const records: PoisonRecord[] = [];
  let sequence = 0;
  for (let round = 0; round < each; round++) {
    for (const kind of kinds) {
      const id = 1_000_000_000n + BigInt(sequence++);
      const stamp = { sourceMicros: 1_767_225_600_000_000 + sequence, processedMicros: 1_767_225_600_002_000 + sequence, txId: 9_000_000n + BigInt(sequence), lsn: 1n, lastCommitLsn: null };
      const row: Record<string, Value> = { id, name: 'Poison Record', email: 'poison@example.com', amount: '12.34', status: 'new', updated_at: '2026-01-01T00:00:00Z', payload: null };
      if (kind === 'numeric-overflow') row.amount = `${'9'.repeat(20)}.00`;
      if (kind === 'nul-in-text') row.name = 'nul\u0000inside';
      const values = definition.columns.map((column) => row[column.name] ?? null);
      const valid = Buffer.from(encoder.upsert('c', values, stamp));
      const key = encoder.key([id]);
      let value: Buffer;
      switch (kind) {
        case 'malformed-json':
          // Cut off after the row's id: distinct per record, and no longer JSON.
          value = valid.subarray(0, valid.indexOf(`"after":{"id":${id}`) + `"after":{"id":${id}`.length);
          break;
        case 'value-mismatch':
          value = Buffer.from(valid.toString('utf8').replace(`"after":{"id":${id}`, `"after":{"id":"not a number"`));
          break;
        case 'invalid-utf8': {
          const at = valid.indexOf('"Poison Record"') + 1;
          value = Buffer.concat([valid.subarray(0, at), Buffer.from([0xc3, 0x28, 0xff]), valid.subarray(at)]);
          break;
        }
        case 'unknown-op':
          value = Buffer.from(valid.toString('utf8').replace('"op":"c"', '"op":"x"'));
          break;
        default:
          value = valid;
      }
      assert.notEqual(value.length, 0);
      if (kind !== 'malformed-json' && kind !== 'invalid-utf8' && kind !== 'numeric-overflow' && kind !== 'nul-in-text') assert.ok(!value.equals(valid), `the ${kind} mutation applied`);
      records.push({ kind, topic: encoder.topic, partition: partitionForKey(key, PARTITIONS), key, value });
    }
  }
  return records;
}

/**
 * Produces the good workload's records with the corpus spliced in at seeded positions, each
 * record to its partition, in order (one send in flight, idempotent producer). Returns the
 * number of good records.
 */
async function produceInterleaved(workload: Workload, corpus: readonly PoisonRecord[], seed: number): Promise<number> {
  const admin = testKafka('sluice-test-poison-admin').admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: true, topics: workload.topics().map((spec) => ({ topic: spec.topic, numPartitions: spec.partitions, replicationFactor: 1 })) });
  } finally {
    await admin.disconnect();
  }
  const rng = new Prng(`poison-positions:${seed}`);
  const positions = corpus.map(() => rng.int(EVENTS)).sort((a, b) => a - b);
  const producer = testKafka('sluice-test-poison-producer').producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  let pending = new Map<string, Message[]>();
  let pendingCount = 0;
  const add = (topic: string, message: Message): void => {
    const list = pending.get(topic) ?? [];
    list.push(message);
    pending.set(topic, list);
    pendingCount++;
  };
  const flush = async (): Promise<void> => {
    if (pendingCount === 0) return;
    await producer.sendBatch({ acks: -1, topicMessages: [...pending].map(([topic, messages]) => ({ topic, messages })) });
    pending = new Map();
    pendingCount = 0;
  };
  let good = 0;
  let next = 0;
  try {
    for (const record of workload.records()) {
      while (next < corpus.length && positions[next]! <= good) {
        const poison = corpus[next++]!;
        add(poison.topic, { partition: poison.partition, key: poison.key, value: poison.value });
      }
      add(record.topic, {
        partition: record.partition,
        key: record.key,
        value: record.value,
        timestamp: String(record.timestamp),
        ...(record.headers === undefined ? {} : { headers: { ...record.headers } }),
      });
      good++;
      if (pendingCount >= 2_000) await flush();
    }
    for (; next < corpus.length; next++) add(corpus[next]!.topic, { partition: corpus[next]!.partition, key: corpus[next]!.key, value: corpus[next]!.value });
    await flush();
  } finally {
    await producer.disconnect();
  }
  return good;
}

async function counterTotal(metric: { get(): Promise<{ values: { value: number; labels: object }[] }> }): Promise<{ total: number; by: Record<string, number> }> {
  const { values } = await metric.get();
  const by: Record<string, number> = {};
  let total = 0;
  for (const sample of values) {
    total += sample.value;
    const label = Object.values(sample.labels).join('/');
    by[label] = (by[label] ?? 0) + sample.value;
  }
  return { total, by };
}

describe(`poison corpus: ${EACH} x 6 bad records among ${EVENTS} good events`, () => {
  let database: TestDatabase;
  let workload: Workload;
  let topics: string[];
  let dlq: TestTopic;
  let corpus: PoisonRecord[];
  let goodRecords: number;

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_poison');
    const topicPrefix = uniqueName('poison');
    workload = createWorkload({
      seed: SEED,
      tables: ['measurements', 'composite', 'narrow'],
      events: EVENTS,
      partitions: PARTITIONS,
      topicPrefix,
      mix: { insert: 0.35, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
    });
    // Created up front with the source's exact types, so amount is numeric(12,2) whatever the
    // writer's type map would choose.
    await withClient(database.url, async (client) => {
      for (const table of workload.tableDefinitions()) await client.query(createTableSql(table));
    });
    const measurements = workload.tableDefinitions().find((table) => table.name === 'measurements')!;
    corpus = poisonCorpus(measurements, topicPrefix, EACH);
    goodRecords = await produceInterleaved(workload, corpus, SEED);
    topics = workload.topics().map((spec) => spec.topic);
    dlq = await createUniqueTopic(1, 'poison-dlq');
  });

  after(async () => {
    await database?.drop();
    await dlq?.delete().catch(() => undefined);
  });

  test('each bad record is dead-lettered with its reason, every good event is written, all records accounted for', async (t) => {
    const group = uniqueName('poison-group');
    // Warnings on (dead letters, retries): if this run ever stalls, its log says where.
    const service = await startInProcess(postgresSinkSettings({ topics, databaseUrl: database.url, group, extra: { SLUICE_DLQ_TOPIC: dlq.topic, SLUICE_LOG_LEVEL: process.env.SLUICE_TEST_LOG_LEVEL ?? 'warn' } }));
    let stoppedEarly: Error | null | undefined;
    void service.finished.then((error) => {
      stoppedEarly = error;
    });
    let progress = await groupProgress(group, topics);
    try {
      await waitFor(
        async () => {
          if (stoppedEarly !== undefined) throw new Error(`the service stopped before the end: ${stoppedEarly?.message ?? 'cleanly'}`);
          progress = await groupProgress(group, topics);
          return progress.committed === progress.end;
        },
        {
          timeoutMs: 240_000,
          intervalMs: 500,
          describe: async () => {
            const status = await fetch(`${service.url}/status`).then((response) => response.text()).catch((error: unknown) => String(error));
            return `committed ${progress.committed}/${progress.end}; unwritten ${service.pipeline.unwrittenRecords()}, paused ${JSON.stringify(service.pipeline.pausedPartitions())}; /status ${status.slice(0, 6_000)}`;
          },
        },
      );
    } finally {
      await service.stop();
    }
    assert.equal(await service.finished, null, 'the service stopped cleanly');

    // Records in: the good workload plus the corpus, all settled (committed = log end).
    assert.equal(progress.end, BigInt(goodRecords + corpus.length), 'the topics hold the good records and the corpus');
    assert.equal(progress.committed, progress.end);

    // Dead-lettered: exactly the corpus, each pointing at its original record.
    const deadLetters = await readTopic(dlq.topic);
    const sources = new Map<string, Buffer | null>();
    for (const topic of topics) for (const record of await readTopic(topic)) sources.set(`${topic}/${record.partition}/${record.offset}`, record.value);
    const seen = new Set<string>();
    for (const dead of deadLetters) {
      const headers = dead.headers;
      const origin = `${headers[deadLetterHeaders.topic]}/${headers[deadLetterHeaders.partition]}/${headers[deadLetterHeaders.offset]}`;
      const poison = corpus.find((candidate) => dead.value !== null && candidate.value.equals(dead.value));
      assert.ok(poison !== undefined, `a dead-lettered record is not from the corpus (origin ${origin}, code ${headers[deadLetterHeaders.code]}): ${headers[deadLetterHeaders.reason]}`);
      assert.ok(dead.key?.equals(poison.key), `${poison.kind}: the original key is kept`);
      assert.equal(headers[deadLetterHeaders.topic], poison.topic, `${poison.kind}: original topic header`);
      assert.equal(Number(headers[deadLetterHeaders.partition]), poison.partition, `${poison.kind}: original partition header`);
      assert.ok(sources.get(origin)?.equals(poison.value), `${poison.kind}: the offset header ${origin} points at the original record`);
      const expected = expectedHeaders[poison.kind];
      assert.equal(headers[deadLetterHeaders.errorClass], expected.errorClass, `${poison.kind}: error class header`);
      assert.ok(expected.code(headers[deadLetterHeaders.code] ?? ''), `${poison.kind}: code header ${headers[deadLetterHeaders.code]}`);
      assert.ok((headers[deadLetterHeaders.reason] ?? '').length > 0, `${poison.kind}: a reason`);
      assert.ok(!seen.has(origin), `${origin} dead-lettered twice`);
      seen.add(origin);
    }
    const byKind = new Map<string, string>();
    for (const dead of deadLetters) {
      const poison = corpus.find((candidate) => dead.value !== null && candidate.value.equals(dead.value))!;
      byKind.set(poison.kind, `${dead.headers[deadLetterHeaders.code]}: ${(dead.headers[deadLetterHeaders.reason] ?? '').slice(0, 120)}`);
    }
    for (const [kind, reason] of byKind) t.diagnostic(`${kind} → ${reason}`);
    assert.equal(deadLetters.length, corpus.length, 'every record of the corpus is in the dead-letter topic, once');

    // Written: every good event (the target equals the good events' expected state, and holds
    // no row of the corpus).
    const report = await withClient(database.url, (client) => verifyPostgres({ client, workload }));
    assert.ok(report.equal, `target differs from the good events' expected state (${report.missing} missing, ${report.extra} extra, ${report.different} different): ${JSON.stringify(report.samples.slice(0, 3), null, 2)}`);

    const consumed = await counterTotal(service.metrics.eventsConsumed);
    const skipped = await counterTotal(service.metrics.eventsSkipped);
    const deadLettered = await counterTotal(service.metrics.deadLetteredRecords);
    const written = await counterTotal(service.metrics.eventsWritten);
    t.diagnostic(
      `records in ${progress.end} (good ${goodRecords} + corpus ${corpus.length}); consumed ${consumed.total}; skipped ${skipped.total} ${JSON.stringify(skipped.by)}; dead-lettered ${deadLettered.total} ${JSON.stringify(deadLettered.by)}; DLQ topic ${deadLetters.length}; sluice_events_written_total ${written.total}`,
    );
    assert.equal(consumed.total, Number(progress.end), 'each record was received once');
    assert.equal(deadLettered.total, corpus.length, 'the dead-letter metric counts the corpus');
  });

  test('a fatal error (target table missing, auto-create off) stops the service with the error and commits no record that needed a write', async () => {
    const empty = await createUniqueDatabase('sluice_fatal');
    try {
      const group = uniqueName('fatal-group');
      const service = await startInProcess(
        postgresSinkSettings({ topics, databaseUrl: empty.url, group, extra: { SLUICE_DLQ_TOPIC: dlq.topic, SLUICE_PG_AUTO_CREATE: 'false' } }),
      );
      const error = await Promise.race([
        service.finished,
        new Promise<'timeout'>((resolve) => {
          setTimeout(() => resolve('timeout'), 60_000).unref();
        }),
      ]);
      // stop() after the fatal stop must resolve, not throw from a source that is already stopped.
      await service.stop();
      assert.ok(error instanceof Error, `the service stopped with an error (got ${String(error)})`);
      assert.match(error.message, /measurements|composite|narrow/, 'the message names the table');
      // Nothing was written, so no record that needed a write may be committed. Records that
      // needed none — tombstones, and corpus records dead-lettered at decode — settle on their
      // own and may be committed before the fatal stop (how far depends on timing).
      const committed = await committedOffsets(group, topics);
      for (const topic of topics) {
        const firstNeedingWrite = new Map<number, bigint>();
        for (const record of await readTopic(topic)) {
          const value = record.value;
          const needsWrite = value !== null && !corpus.some((poison) => poison.value.equals(value));
          if (needsWrite && !firstNeedingWrite.has(record.partition)) firstNeedingWrite.set(record.partition, record.offset);
        }
        for (const [partition, offset] of firstNeedingWrite) {
          const at = committed.get(`${topic}/${partition}`) ?? null;
          assert.ok(at === null || at <= offset, `${topic}/${partition}: committed ${at}, past offset ${offset}, which needed a write`);
        }
      }
    } finally {
      await empty.drop();
    }
  });
});

/** The group's committed offset of each `topic/partition` that has one. */
async function committedOffsets(group: string, topics: readonly string[]): Promise<Map<string, bigint>> {
  const admin = testKafka('sluice-test-offsets').admin();
  await admin.connect();
  try {
    const committed = new Map<string, bigint>();
    for (const topic of await admin.fetchOffsets({ groupId: group, topics: [...topics] })) {
      for (const partition of topic.partitions) if (BigInt(partition.offset) >= 0n) committed.set(`${topic.topic}/${partition.partition}`, BigInt(partition.offset));
    }
    return committed;
  } finally {
    await admin.disconnect();
  }
}
