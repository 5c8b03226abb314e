import type { Consumer, EachBatchPayload } from 'kafkajs';
import { type Logger, silentLogger } from '../observe/logger.ts';
import { InFlightDeliveries } from './in-flight-deliveries.ts';
import { createKafkajsClient } from './kafkajs-connection.ts';
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
 * kafkajs restarts a crashed consumer only when the crash's root cause is marked retriable.
 * Around a broker restart it sometimes is not (the group coordinator is still loading, a
 * connection closes mid-join), and kafkajs then leaves the consumer stopped for good. The source
 * runs it again itself, with a growing delay, and gives up (onFatal) only after this many
 * attempts in a row without a successful group join — about two minutes with the defaults.
 */
export interface ConsumerRestartPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

const DEFAULT_RESTART_POLICY: ConsumerRestartPolicy = { attempts: 8, baseDelayMs: 1_000, maxDelayMs: 30_000 };

/** Heartbeat answers that mean the group is rebalancing or has moved on without this member. */
const REBALANCE_ERROR_TYPES = new Set([
  'REBALANCE_IN_PROGRESS',
  'NOT_COORDINATOR_FOR_GROUP',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
]);

/**
 * kafkajs' pause/resume/seek throw this (no code, only the message) between a crash and the
 * consumer's restart. Nothing is lost by skipping the call: the restarted consumer joins the
 * group again, and the join revokes and reassigns every partition, paused or not.
 */
function isConsumerNotRunning(error: unknown): boolean {
  return error instanceof Error && error.message.includes('Consumer group was not initialized');
}

function isRebalanceError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && REBALANCE_ERROR_TYPES.has(String((error as { type?: unknown }).type));
}

/**
 * KafkaSource on kafkajs 2.x (eager rebalancing only: kafkajs has no cooperative protocol and no
 * rebalance listener).
 *
 * How the contract is met with what kafkajs offers:
 * - Offsets: `autoCommit: false`, `eachBatchAutoResolve: false`. A batch's last offset is resolved
 *   (kafkajs' fetch position) only after onBatch returned; a batch that is not delivered (paused,
 *   revoked, stale after seek) is left unresolved, so kafkajs fetches those records again.
 * - Assignment/revocation come from the GROUP_JOIN event, which carries the new member assignment.
 *   With eager rebalancing every join gives up the whole previous assignment, so onRevoked gets
 *   all previously assigned partitions and onAssigned the whole new assignment. Every delivery
 *   first awaits the rebalance callbacks, so no batch of a partition precedes its onAssigned.
 * - Revocation before the partitions are given up: when a heartbeat sent during or right after a
 *   delivery learns that the group is rebalancing, this source waits for the other running
 *   deliveries, awaits onRevoked(all), and only then lets kafkajs rejoin (kafkajs rejoins only
 *   after every batch handler of the fetch round has returned). If kafkajs learns of the rebalance
 *   itself (its own heartbeat while idle, between fetches), it has already rejoined when
 *   GROUP_JOIN arrives, and onRevoked runs after the fact: commits made then still reach the
 *   broker (the classic protocol checks generation and member id, not ownership), but the new
 *   owner may already have read older offsets and re-deliver records (at-least-once).
 * - Topic regexes are resolved by kafkajs once, at subscribe time: topics created later are not
 *   picked up until the source is restarted.
 */
export class KafkajsSource implements KafkaSource {
  private consumer: Consumer | null = null;
  private handlers: SourceHandlers | null = null;
  private readonly assigned = new PartitionSet();
  private readonly paused = new PartitionSet();
  private readonly inFlight = new InFlightDeliveries();
  /** Rebalance callbacks in the order kafkajs reported them; every delivery awaits this first. */
  private rebalance: Promise<void> = Promise.resolve();
  /** The eager revocation started inside a delivery, before kafkajs rejoins; null when none. */
  private revocation: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  private failed = false;
  /** Restarts of a consumer kafkajs gave up on since the last successful group join. */
  private restartsInARow = 0;
  private restartTimer: NodeJS.Timeout | null = null;
  /** Counts group joins. A delivery that outlives a join must not resolve its offset in the new one. */
  private joins = 0;

  constructor(
    private readonly options: KafkaSourceOptions,
    private readonly logger: Logger = silentLogger(),
    private readonly restartPolicy: ConsumerRestartPolicy = DEFAULT_RESTART_POLICY,
  ) {}

  async start(handlers: SourceHandlers): Promise<void> {
    if (this.consumer !== null) throw new Error('KafkaSource.start() was already called');
    this.handlers = handlers;
    const options = this.options;
    const consumer = createKafkajsClient(options, this.logger).consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      maxBytes: options.fetchMaxBytes,
      maxBytesPerPartition: options.partitionFetchMaxBytes,
      maxWaitTimeInMs: options.fetchMaxWaitMs,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => this.onGroupJoin(event.payload.memberAssignment));
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) this.restartAfterCrash(event.payload.error);
    });
    await consumer.connect();
    const topics = options.topics instanceof RegExp ? [options.topics] : [...options.topics];
    await consumer.subscribe({ topics, fromBeginning: options.fromBeginning });
    await this.runConsumer(consumer);
    await this.rebalance;
  }

  /** Also how a crashed consumer is started again: kafkajs' own restart is this same `run`. */
  private runConsumer(consumer: Consumer): Promise<void> {
    return consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: PARTITIONS_CONSUMED_CONCURRENTLY,
      eachBatch: (payload) => this.deliver(payload),
    });
  }

  private restartAfterCrash(error: Error): void {
    const consumer = this.consumer;
    if (this.failed || this.stopping !== null || consumer === null) return;
    const policy = this.restartPolicy;
    if (this.restartsInARow >= policy.attempts) {
      this.fail(new Error(`the Kafka consumer crashed and ${policy.attempts} restarts in a row did not bring it back: ${error.message}`, { cause: error }));
      return;
    }
    const delayMs = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** this.restartsInARow);
    this.restartsInARow++;
    this.logger.warn(
      { event: 'kafka-consumer-restart', attempt: this.restartsInARow, of: policy.attempts, delayMs, error: error.message },
      `the Kafka client stopped the consumer (${error.message}) and will not restart it; starting it again in ${delayMs} ms (attempt ${this.restartsInARow} of ${policy.attempts})`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.failed || this.stopping !== null) return;
      // A failing join inside run() crashes (and comes back here) on its own; run() itself
      // rejects only on misuse, which another attempt would not fix.
      this.runConsumer(consumer).catch((runError: unknown) => this.fail(runError));
    }, delayMs);
  }

  pause(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    for (const partition of partitions) this.paused.add(partition);
    this.whileRunning((consumer) => consumer.pause(groupByTopic(partitions)));
  }

  resume(partitions: readonly TopicPartition[]): void {
    if (partitions.length === 0) return;
    for (const partition of partitions) this.paused.delete(partition);
    this.whileRunning((consumer) => consumer.resume(groupByTopic(partitions)));
  }

  seek(partition: TopicPartition, offset: bigint): void {
    this.whileRunning((consumer) => consumer.seek({ topic: partition.topic, partition: partition.partition, offset: offset.toString() }));
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
      if (this.restartTimer !== null) clearTimeout(this.restartTimer);
      const consumer = this.consumer;
      if (consumer !== null) await consumer.disconnect();
      this.assigned.clear();
    })();
    return this.stopping;
  }

  private whileRunning(action: (consumer: Consumer) => void): void {
    try {
      action(this.requireConsumer());
    } catch (error) {
      if (!isConsumerNotRunning(error)) throw error;
      this.logger.debug({ err: error }, 'Kafka consumer is restarting; pause/resume/seek skipped (the next join reassigns every partition)');
    }
  }

  private requireConsumer(): Consumer {
    if (this.consumer === null) throw new Error('KafkaSource is not started');
    return this.consumer;
  }

  private deliverable(partition: TopicPartition): boolean {
    return (
      !this.failed &&
      this.stopping === null &&
      this.revocation === null &&
      this.assigned.has(partition) &&
      !this.paused.has(partition)
    );
  }

  private async deliver(payload: EachBatchPayload): Promise<void> {
    await this.rebalance;
    const { batch } = payload;
    const partition = { topic: batch.topic, partition: batch.partition };
    const last = batch.messages[batch.messages.length - 1];
    if (last === undefined || !this.deliverable(partition) || payload.isStale() || !payload.isRunning()) return;

    const handlers = this.handlers!;
    const joinsAtStart = this.joins;
    let rebalanceError: unknown = null;
    const heartbeat = async (): Promise<void> => {
      try {
        await payload.heartbeat();
      } catch (error) {
        if (isRebalanceError(error)) rebalanceError ??= error;
        else this.logger.warn({ err: error }, 'Kafka heartbeat failed');
      }
    };
    // kafkajs sends a heartbeat only when its interval has passed, so this timer costs nothing
    // while onBatch is quick and keeps the membership alive while it is slow.
    const timer = setInterval(() => void heartbeat(), this.options.heartbeatIntervalMs);
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
    } finally {
      clearInterval(timer);
    }
    // A join happened meanwhile (kafkajs restarted a crashed consumer without waiting for this
    // delivery): the new assignment reads from the committed offsets, and resolving this old
    // batch there would move its fetch position past records it has not delivered yet.
    if (this.joins !== joinsAtStart) return;
    payload.resolveOffset(last.offset);
    await heartbeat();
    if (rebalanceError !== null) {
      await this.revokeAllBeforeRejoin();
      // kafkajs rejoins the group when a batch handler fails with a rebalance error.
      throw rebalanceError;
    }
  }

  private revokeAllBeforeRejoin(): Promise<void> {
    this.revocation ??= (async () => {
      await this.inFlight.waitForAll();
      await this.revoke(this.assigned.list());
    })();
    return this.revocation;
  }

  private onGroupJoin(memberAssignment: Readonly<Record<string, readonly number[]>>): void {
    this.restartsInARow = 0;
    this.joins++;
    const next = PartitionSet.fromTopicMap(memberAssignment);
    this.rebalance = this.rebalance.then(async () => {
      if (this.revocation !== null) await this.revocation;
      // Eager protocol: joining gave up whatever was still assigned.
      await this.revoke(this.assigned.list());
      this.revocation = null;
      for (const partition of next.list()) this.assigned.add(partition);
      await this.callHandler((handlers) => handlers.onAssigned(next.list()));
    });
  }

  /** Forget the partitions (a revoked partition is no longer paused) and tell the handlers. */
  private async revoke(partitions: readonly TopicPartition[]): Promise<void> {
    if (partitions.length === 0) return;
    const wasPaused = partitions.filter((partition) => this.paused.has(partition));
    for (const partition of partitions) {
      this.assigned.delete(partition);
      this.paused.delete(partition);
    }
    if (wasPaused.length > 0 && this.consumer !== null) this.whileRunning((consumer) => consumer.resume(groupByTopic(wasPaused)));
    await this.callHandler((handlers) => handlers.onRevoked(partitions));
  }

  private async callHandler(call: (handlers: SourceHandlers) => Promise<void>): Promise<void> {
    if (this.failed || this.handlers === null) return;
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
