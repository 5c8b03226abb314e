/**
 * Producing a workload for a benchmark: with the librdkafka client when its native binding is
 * built (several times faster here than kafkajs), kafkajs otherwise; and removing the topics.
 */
import { produceWorkload, type ProduceOptions, type ProduceResult, type Workload, type WorkloadRecord } from '../../src/loadgen/index.ts';
import { kafkaBrokers, testKafka } from '../../test/support/services.ts';

export interface Produced extends ProduceResult {
  readonly client: 'confluent' | 'kafkajs';
}

export async function produceBacklog(workload: Workload, options: Omit<ProduceOptions, 'brokers' | 'client'> = {}): Promise<Produced> {
  try {
    return { ...(await produceWorkload(workload, { ...options, brokers: kafkaBrokers(), client: 'confluent' })), client: 'confluent' };
  } catch (error) {
    if (!/confluent|librdkafka|binding|Cannot find module/i.test(String(error))) throw error;
    process.stdout.write(`  confluent producer unavailable (${String(error).slice(0, 120)}); producing with kafkajs\n`);
    return { ...(await produceWorkload(workload, { ...options, brokers: kafkaBrokers(), client: 'kafkajs' })), client: 'kafkajs' };
  }
}

/**
 * Makes `workload.records()` also report each record as it is generated (in partition order,
 * which is offset order on a fresh topic: produce.ts keeps one batch in flight per partition).
 */
export function observeRecords(workload: Workload, observe: (record: WorkloadRecord) => void): void {
  const generate = workload.records.bind(workload);
  workload.records = function* observed(): Generator<WorkloadRecord> {
    for (const record of generate()) {
      observe(record);
      yield record;
    }
  } as Workload['records'];
}

export async function deleteTopics(topics: readonly string[]): Promise<void> {
  const admin = testKafka('sluice-bench-cleanup').admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: [...topics] }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

/** Log-end offset of every partition of the topics, as `topic#partition` → offset. */
export async function endOffsets(topics: readonly string[]): Promise<Map<string, number>> {
  const admin = testKafka('sluice-bench-offsets').admin();
  await admin.connect();
  try {
    const ends = new Map<string, number>();
    for (const topic of topics) for (const partition of await admin.fetchTopicOffsets(topic)) ends.set(`${topic}#${partition.partition}`, Number(partition.high));
    return ends;
  } finally {
    await admin.disconnect();
  }
}
