/**
 * Produces a workload's records to Kafka with kafkajs: topics created first with the
 * workload's partition counts (our broker runs with auto.create.topics.enable=false), records
 * sent to the partition the workload chose, acks=all, in batches, at the rates of a schedule
 * (e.g. 2,000 records/s for 60 s, then flat out for a burst).
 *
 * Record timestamps are the send time (CreateTime, as Kafka Connect's producer sets it), not
 * the workload's synthetic clock: the broker's time-based retention (24 h here, checked every
 * 5 min) would otherwise delete a topic stamped 2026-01-01 within minutes of producing it.
 *
 * Ordering: each partition belongs to one send lane and a lane has at most one batch in
 * flight, so records of one key reach the broker in generation order even when a send is
 * retried, and the producer is idempotent, so a retry cannot duplicate them.
 * Backpressure: when a lane's next batch is full while the previous one is still in flight,
 * generation waits for it (memory stays bounded by lanes × batch size).
 */
import { type Admin, CompressionTypes, Kafka, logLevel, type Message, Partitioners } from 'kafkajs';
import { loadConfluentModule } from '../kafka/confluent-client.ts';
import type { Workload, WorkloadRecord } from './workload.ts';

export interface RatePhase {
  /** Records per second; null = as fast as the broker acknowledges. */
  readonly eventsPerSecond: number | null;
  /** The phase ends after this many records… */
  readonly records?: number;
  /** …or after this many seconds, whichever comes first. A phase with neither runs to the end. */
  readonly seconds?: number;
}

export interface ProduceProgress {
  /** Records acknowledged by the broker so far. */
  readonly records: number;
  readonly bytes: number;
  readonly elapsedSeconds: number;
  /** Acknowledged records per second since the previous report. */
  readonly recordsPerSecond: number;
  /** Index of the schedule phase being produced. */
  readonly phase: number;
}

export interface ProduceResult {
  readonly records: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly recordsPerSecond: number;
}

export interface ProduceOptions {
  readonly brokers: readonly string[];
  readonly clientId?: string;
  /** Default: one phase, flat out. */
  readonly schedule?: readonly RatePhase[];
  /** Create the workload's topics first (default true); existing topics must have enough partitions. */
  readonly createTopics?: boolean;
  /** Topic configuration for created topics, e.g. { 'cleanup.policy': 'compact' }. */
  readonly topicConfig?: Readonly<Record<string, string>>;
  /** Records per send per lane (default 2,000). */
  readonly batchRecords?: number;
  /**
   * Bytes per partition per send (default 900,000): kafkajs sends one record batch per
   * partition, which must stay under the broker's message.max.bytes (1 MiB by default).
   */
  readonly batchBytes?: number;
  /** Send lanes = batches in flight at once (default 4). */
  readonly lanes?: number;
  readonly compression?: 'none' | 'gzip';
  /**
   * Producer client: 'kafkajs' (default, pure JS) or 'confluent' (@confluentinc/kafka-javascript,
   * librdkafka; several times less CPU per record, needs its native binding built).
   */
  readonly client?: 'kafkajs' | 'confluent';
  /**
   * Idempotent producer (default true): a send retried after a timeout cannot duplicate
   * records, so the topic holds exactly the generated records (counts in tests and benchmarks).
   */
  readonly idempotent?: boolean;
  readonly onProgress?: (progress: ProduceProgress) => void;
  readonly progressIntervalMs?: number;
  readonly signal?: AbortSignal;
  /** Injected for tests; default performance.now / setTimeout / Date.now. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly wallClockMs?: () => number;
}

interface Lane {
  readonly pending: Map<string, Message[]>;
  /** Pending bytes per `topic#partition`. */
  readonly partitionBytes: Map<string, number>;
  pendingRecords: number;
  pendingBytes: number;
  inflight: Promise<void> | null;
}

/** Records within this many ms of their due time are sent together rather than one by one. */
const PACING_SLACK_MS = 5;

export async function produceWorkload(workload: Workload, options: ProduceOptions): Promise<ProduceResult> {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'sluice-loadgen',
    brokers: [...options.brokers],
    logLevel: logLevel.ERROR,
  });
  if (options.createTopics ?? true) await createTopics(kafka.admin(), workload, options.topicConfig ?? {});
  const producer = options.client === 'confluent' ? await confluentSender(options) : kafkajsSender(kafka, options);
  await producer.connect();
  try {
    return await sendWorkload(producer, workload, options);
  } finally {
    await producer.disconnect();
  }
}

/** One batch of messages for several topics, with partitions chosen by the workload. */
export interface OutgoingBatch {
  readonly topicMessages: { topic: string; messages: Message[] }[];
}

/** What sending needs from a producer (acks=all and compression are the producer's settings). */
export interface BatchSender {
  sendBatch(batch: OutgoingBatch): Promise<unknown>;
}

interface ConnectedSender extends BatchSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
}

function kafkajsSender(kafka: Kafka, options: ProduceOptions): ConnectedSender {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: options.idempotent ?? true,
  });
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    sendBatch: (batch) => producer.sendBatch({ topicMessages: batch.topicMessages, acks: -1, compression }),
  };
}

async function confluentSender(options: ProduceOptions): Promise<ConnectedSender> {
  const { KafkaJS } = await loadConfluentModule();
  const producer = new KafkaJS.Kafka({
    kafkaJS: { clientId: options.clientId ?? 'sluice-loadgen', brokers: [...options.brokers], logLevel: KafkaJS.logLevel.ERROR },
  }).producer({
    kafkaJS: {
      acks: -1,
      idempotent: options.idempotent ?? true,
      allowAutoTopicCreation: false,
      compression: options.compression === 'gzip' ? KafkaJS.CompressionTypes.GZIP : KafkaJS.CompressionTypes.None,
    },
    'linger.ms': 5,
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    sendBatch: (batch) => producer.sendBatch({ topicMessages: batch.topicMessages }),
  };
}

async function createTopics(admin: Admin, workload: Workload, topicConfig: Readonly<Record<string, string>>): Promise<void> {
  await admin.connect();
  try {
    const wanted = workload.topics();
    const existing = new Set(await admin.listTopics());
    const missing = wanted.filter((spec) => !existing.has(spec.topic));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((spec) => ({
          topic: spec.topic,
          numPartitions: spec.partitions,
          replicationFactor: 1,
          configEntries: Object.entries(topicConfig).map(([name, value]) => ({ name, value })),
        })),
      });
    }
    const metadata = await admin.fetchTopicMetadata({ topics: wanted.map((spec) => spec.topic) });
    for (const spec of wanted) {
      const topic = metadata.topics.find((candidate) => candidate.name === spec.topic);
      const count = topic?.partitions.length ?? 0;
      if (count < spec.partitions) throw new Error(`topic ${spec.topic} has ${count} partitions, the workload needs ${spec.partitions}`);
    }
  } finally {
    await admin.disconnect();
  }
}

/** Sends the workload's records through an already connected producer (no topic creation). */
export async function sendWorkload(producer: BatchSender, workload: Workload, options: Omit<ProduceOptions, 'brokers'>): Promise<ProduceResult> {
  const now = options.now ?? (() => performance.now());
  const wallClockMs = options.wallClockMs ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const schedule = options.schedule && options.schedule.length > 0 ? options.schedule : [{ eventsPerSecond: null }];
  const batchRecords = options.batchRecords ?? 2000;
  const batchBytes = options.batchBytes ?? 900_000;
  const lanes: Lane[] = Array.from({ length: Math.max(1, options.lanes ?? 4) }, () => ({
    pending: new Map(),
    partitionBytes: new Map(),
    pendingRecords: 0,
    pendingBytes: 0,
    inflight: null,
  }));
  const topicIndex = new Map(workload.topics().map((spec, index) => [spec.topic, index]));

  let acked = 0;
  let ackedBytes = 0;
  let failure: unknown = null;
  const start = now();
  let lastReport = start;
  let lastReportRecords = 0;
  let phaseIndex = 0;
  let phaseStart = start;
  let sentInPhase = 0;

  const report = (force: boolean): void => {
    const at = now();
    if (!options.onProgress || (!force && at - lastReport < (options.progressIntervalMs ?? 1000))) return;
    const seconds = (at - lastReport) / 1000;
    options.onProgress({
      records: acked,
      bytes: ackedBytes,
      elapsedSeconds: (at - start) / 1000,
      recordsPerSecond: seconds > 0 ? (acked - lastReportRecords) / seconds : 0,
      phase: phaseIndex,
    });
    lastReport = at;
    lastReportRecords = acked;
  };

  const flushLane = async (lane: Lane): Promise<void> => {
    if (lane.inflight) await lane.inflight;
    if (failure !== null) throw failure;
    if (lane.pendingRecords === 0) return;
    const topicMessages = [...lane.pending].map(([topic, messages]) => ({ topic, messages }));
    const records = lane.pendingRecords;
    const bytes = lane.pendingBytes;
    lane.pending.clear();
    lane.partitionBytes.clear();
    lane.pendingRecords = 0;
    lane.pendingBytes = 0;
    lane.inflight = producer
      .sendBatch({ topicMessages })
      .then(() => {
        acked += records;
        ackedBytes += bytes;
        report(false);
      })
      .catch((error: unknown) => {
        failure ??= error;
      })
      .finally(() => {
        lane.inflight = null;
      });
  };

  const flushAll = async (): Promise<void> => {
    await Promise.all(lanes.map((lane) => flushLane(lane)));
  };

  const phaseOver = (phase: RatePhase, at: number): boolean =>
    (phase.records !== undefined && sentInPhase >= phase.records) || (phase.seconds !== undefined && at - phaseStart >= phase.seconds * 1000);

  for (const record of workload.records()) {
    if (options.signal?.aborted) break;
    if (failure !== null) throw failure;
    let at = now();
    while (phaseIndex < schedule.length - 1 && phaseOver(schedule[phaseIndex]!, at)) {
      phaseIndex += 1;
      phaseStart = at;
      sentInPhase = 0;
    }
    const rate = schedule[phaseIndex]!.eventsPerSecond;
    if (rate !== null && rate > 0) {
      const due = phaseStart + (sentInPhase * 1000) / rate;
      if (due - at > PACING_SLACK_MS) {
        await flushAll();
        at = now();
        if (due > at) await sleep(due - at);
      }
    }
    sentInPhase += 1;
    const lane = lanes[laneOf(record, topicIndex, lanes.length)]!;
    const partitionId = `${record.topic}#${record.partition}`;
    const size = recordSize(record);
    if ((lane.partitionBytes.get(partitionId) ?? 0) + size > batchBytes) await flushLane(lane);
    addToLane(lane, record, partitionId, size, wallClockMs());
    if (lane.pendingRecords >= batchRecords) await flushLane(lane);
    report(false);
  }
  await flushAll();
  await Promise.all(lanes.map((lane) => lane.inflight));
  if (failure !== null) throw failure;
  report(true);
  const seconds = (now() - start) / 1000;
  return { records: acked, bytes: ackedBytes, seconds, recordsPerSecond: seconds > 0 ? acked / seconds : acked };
}

function laneOf(record: WorkloadRecord, topicIndex: ReadonlyMap<string, number>, laneCount: number): number {
  return ((topicIndex.get(record.topic) ?? 0) * 7 + record.partition) % laneCount;
}

function recordSize(record: WorkloadRecord): number {
  return (record.key?.length ?? 0) + (record.value?.length ?? 0);
}

function addToLane(lane: Lane, record: WorkloadRecord, partitionId: string, size: number, sentAtMs: number): void {
  let messages = lane.pending.get(record.topic);
  if (!messages) {
    messages = [];
    lane.pending.set(record.topic, messages);
  }
  messages.push({
    key: record.key,
    value: record.value,
    partition: record.partition,
    timestamp: String(sentAtMs),
    headers: record.headers,
  });
  lane.pendingRecords += 1;
  lane.pendingBytes += size;
  lane.partitionBytes.set(partitionId, (lane.partitionBytes.get(partitionId) ?? 0) + size);
}
