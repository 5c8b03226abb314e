/**
 * The raw consume rate: every record of the topics read with kafkajs (sluice's default client)
 * by a fresh group with the service's default fetch sizes, nothing decoded or written — what
 * Kafka consumption alone costs here.
 */
import { coreSettings } from '../../src/config/settings.ts';
import { testKafka, uniqueName } from '../../test/support/services.ts';
import { endOffsets } from './backlog.ts';

export interface RawConsumeResult {
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly cpuSeconds: number;
}

export async function rawConsume(topics: readonly string[]): Promise<RawConsumeResult> {
  const ends = await endOffsets(topics);
  let wanted = 0;
  for (const end of ends.values()) wanted += end;
  const consumer = testKafka('sluice-bench-raw').consumer({
    groupId: uniqueName('bench-raw'),
    maxBytesPerPartition: coreSettings.SLUICE_PARTITION_FETCH_MAX_BYTES.schema.parse(undefined),
    maxBytes: coreSettings.SLUICE_FETCH_MAX_BYTES.schema.parse(undefined),
  });
  await consumer.connect();
  let records = 0;
  let bytes = 0;
  let firstAt = 0;
  let lastAt = 0;
  let cpuAtFirst = process.cpuUsage();
  let done!: () => void;
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  try {
    for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        if (firstAt === 0) {
          firstAt = performance.now();
          cpuAtFirst = process.cpuUsage();
        }
        for (const message of batch.messages) bytes += (message.value?.length ?? 0) + (message.key?.length ?? 0);
        records += batch.messages.length;
        if (records >= wanted) {
          lastAt = performance.now();
          done();
        }
      },
    });
    await finished;
    const cpu = process.cpuUsage(cpuAtFirst);
    return { records, bytes, seconds: (lastAt - firstAt) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
  } finally {
    await consumer.disconnect();
  }
}
