import type { KafkaJS } from '@confluentinc/kafka-javascript';
import { type Logger, silentLogger } from '../observe/logger.ts';
import { createConfluentClient, loadConfluentModule } from './confluent-client.ts';
import { InFlightDeliveries } from './in-flight-deliveries.ts';
import { groupByTopic, PartitionSet } from './partition-set.ts';
import { parseHighWatermark, toKafkaRecord } from './record-conversion.ts';
import type {
  KafkaSource,
  KafkaSourceOptions,
  OffsetCommit,
  SourceHandlers,
  TopicPartition,
} from './types.ts';

/** Batches of this many partitions are handed to onBatch at the same time. */
const PARTITIONS_CONSUMED_CONCURRENTLY = 4;

/**
 * Upper bound on the records of one delivered batch. The client builds batches from its local
 * per-partition cache (the broker's fetch sizes bound what is cached, not the batch).
 */
const MAX_BATCH_RECORDS = 2_000;

/** librdkafka's rebalance event codes (RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS / __REVOKE_PARTITIONS). */
const ASSIGN_PARTITIONS = -175;
const REVOKE_PARTITIONS = -174;

type Consumer = KafkaJS.Consumer;
type EachBatchPayload = KafkaJS.EachBatchPayload;

/**
 * KafkaSource on @confluentinc/kafka-javascript (librdkafka) through its KafkaJS-compatible API,
 * with the cooperative-sticky assignor: a rebalance revokes only the partitions that move.
 *
 * - Rebalances: librdkafka's rebalance callback is async here and the client applies the
 *   (incremental) assignment change only after it resolves. On revocation this source stops
 *   delivering the revoked partitions, waits for their running onBatch calls, then awaits
 *   onRevoked; on assignment it awaits onAssigned before any batch of those partitions. Both
 *   callbacks receive only the partitions that changed (incremental, cooperative protocol).
 * - Offsets: `autoCommit: false`; a delivered batch's last offset is resolved; a batch that is not
 *   delivered (paused, being revoked, stale after seek) is left unresolved and the client seeks
 *   back to its first record, so nothing is skipped.
 * - Heartbeats are sent by librdkafka's own thread; a slow onBatch is bounded by
 *   max.poll.interval.ms (the client's rebalanceTimeout, 300 s by default), not by the session
 *   timeout.
 * - A topic regex is handed to librdkafka, which re-evaluates it on metadata refresh, so new
 *   matching topics are picked up. librdkafka's regex syntax is POSIX-like, not JavaScript's.
 */
export class ConfluentSource implements KafkaSource {
  private consumer: Consumer | null = null;
  private handlers: SourceHandlers | null = null;
  private readonly assigned = new PartitionSet();
  private readonly paused = new PartitionSet();
  private readonly revoking = new PartitionSet();
  private readonly inFlight = new InFlightDeliveries();
  private stopping: Promise<void> | null = null;
  private failed = false;

  constructor(
    private readonly options: KafkaSourceOptions,
    private readonly logger: Logger = silentLogger(),
  ) {}

  async start(handlers: SourceHandlers): Promise<void> {
    if (this.consumer !== null) throw new Error('KafkaSource.start() was already called');
    this.handlers = handlers;
    const options = this.options;
    const { KafkaJS: client } = await loadConfluentModule();
    const kafka = await createConfluentClient(options, this.logger);
    const consumer = kafka.consumer({
      kafkaJS: {
        groupId: options.groupId,
        fromBeginning: options.fromBeginning,
        autoCommit: false,
        sessionTimeout: options.sessionTimeoutMs,
        heartbeatInterval: options.heartbeatIntervalMs,
        maxBytes: options.fetchMaxBytes,
        maxBytesPerPartition: options.partitionFetchMaxBytes,
        maxWaitTimeInMs: options.fetchMaxWaitMs,
        allowAutoTopicCreation: false,
        partitionAssigners: [client.PartitionAssigners.cooperativeSticky],
      },
      'js.consumer.max.batch.size': MAX_BATCH_RECORDS,
      rebalance_cb: (error: { code: number }, assignment: readonly TopicPartition[]) =>
        this.onRebalance(error.code, assignment),
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: subscriptionTopics(options.topics) });
    await consumer.run({
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachBatch: (payload) => this.deliver(payload),
    });
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.paused.add(partition);
    // The client may only pause what librdkafka currently has assigned.
    const owned = partitions.filter((partition) => this.assigned.has(partition));
    if (owned.length > 0) this.requireConsumer().pause(groupByTopic(owned));
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.paused.delete(partition);
    const owned = partitions.filter((partition) => this.assigned.has(partition));
    if (owned.length > 0) this.requireConsumer().resume(groupByTopic(owned));
  }

  seek(partition: TopicPartition, offset: bigint): void {
    this.requireConsumer().seek({ topic: partition.topic, partition: partition.partition, offset: offset.toString() });
  }

  async commit(offsets: readonly OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.requireConsumer().commitOffsets(
      offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: offset.toString() })),
    );
  }

  assignment(): readonly TopicPartition[] {
    return this.assigned.list();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const consumer = this.consumer;
      if (consumer !== null) await consumer.disconnect();
      this.assigned.clear();
    })();
    return this.stopping;
  }

  private requireConsumer(): Consumer {
    if (this.consumer === null) throw new Error('KafkaSource is not started');
    return this.consumer;
  }

  private deliverable(partition: TopicPartition): boolean {
    return (
      !this.failed &&
      this.stopping === null &&
      this.assigned.has(partition) &&
      !this.revoking.has(partition) &&
      !this.paused.has(partition)
    );
  }

  private async deliver(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const partition = { topic: batch.topic, partition: batch.partition };
    const last = batch.messages[batch.messages.length - 1];
    if (last === undefined || !this.deliverable(partition) || payload.isStale()) return;
    const handlers = this.handlers!;
    try {
      await this.inFlight.track(partition, () =>
        handlers.onBatch({
          topic: batch.topic,
          partition: batch.partition,
          records: batch.messages.map((message) => toKafkaRecord(batch.topic, batch.partition, message)),
          highWatermark: parseHighWatermark(batch.highWatermark),
        }),
      );
    } catch (error) {
      this.fail(error);
      return;
    }
    payload.resolveOffset(last.offset);
  }

  /** librdkafka's rebalance callback; the client awaits it before changing the assignment. */
  private async onRebalance(code: number, assignment: readonly TopicPartition[]): Promise<void> {
    const partitions = new PartitionSet(assignment).list();
    if (code === ASSIGN_PARTITIONS) {
      for (const partition of partitions) this.assigned.add(partition);
      const paused = partitions.filter((partition) => this.paused.has(partition));
      if (paused.length > 0) this.consumer?.pause(groupByTopic(paused));
      await this.callHandler((handlers) => handlers.onAssigned(partitions));
    } else if (code === REVOKE_PARTITIONS) {
      for (const partition of partitions) this.revoking.add(partition);
      await this.inFlight.waitFor(partitions);
      const wasPaused = partitions.filter((partition) => this.paused.has(partition));
      if (wasPaused.length > 0) this.consumer?.resume(groupByTopic(wasPaused));
      await this.callHandler((handlers) => handlers.onRevoked(partitions));
      for (const partition of partitions) {
        this.assigned.delete(partition);
        this.paused.delete(partition);
        this.revoking.delete(partition);
      }
    } else {
      this.logger.warn({ code }, 'unexpected rebalance event');
    }
  }

  private async callHandler(call: (handlers: SourceHandlers) => Promise<void>): Promise<void> {
    // stop() gives the partitions up without callbacks, as the kafkajs source does.
    if (this.failed || this.stopping !== null || this.handlers === null) return;
    try {
      await call(this.handlers);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    this.failed = true;
    const reason = error instanceof Error ? error : new Error(String(error));
    this.logger.error({ err: reason }, 'Kafka source stopped: a handler or the client failed');
    void this.stop()
      .catch((stopError: unknown) => this.logger.warn({ err: stopError }, 'Kafka source did not stop cleanly'))
      .finally(() => this.handlers?.onFatal?.(reason));
  }
}

/** librdkafka treats a subscription as a regex only when it starts with '^'. */
function subscriptionTopics(topics: readonly string[] | RegExp): (string | RegExp)[] {
  if (!(topics instanceof RegExp)) return [...topics];
  return [topics.source.startsWith('^') ? topics : new RegExp(`^.*(${topics.source})`)];
}
