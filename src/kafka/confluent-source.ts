import { setTimeout as delay } from 'node:timers/promises';
import type { KafkaConsumer, LibrdKafkaError, Message } from '@confluentinc/kafka-javascript';
import { type Logger, silentLogger } from '../observe/logger.ts';
import { loadConfluentModule } from './confluent-client.ts';
import { InFlightDeliveries } from './in-flight-deliveries.ts';
import { PartitionSet, partitionKey } from './partition-set.ts';
import type {
  KafkaRecord,
  KafkaSource,
  KafkaSourceOptions,
  OffsetCommit,
  SourceHandlers,
  TopicPartition,
} from './types.ts';

/** Most messages taken from librdkafka's local queue per consume call (they span partitions). */
const CONSUME_MAX_MESSAGES = 2_000;
/** How long one consume call waits for a first message; also bounds how fast stop() is noticed. */
const CONSUME_TIMEOUT_MS = 100;
/** Pause after a failed consume call before the next one (librdkafka retries the broker itself). */
const CONSUME_ERROR_BACKOFF_MS = 200;

/** librdkafka's rebalance event codes (RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS / __REVOKE_PARTITIONS). */
const ASSIGN_PARTITIONS = -175;
const REVOKE_PARTITIONS = -174;

/** Methods of the binding's KafkaConsumer that its type declarations leave out. */
type Consumer = KafkaConsumer & {
  incrementalAssign(partitions: TopicPartition[]): void;
  incrementalUnassign(partitions: TopicPartition[]): void;
  rebalanceProtocol(): 'NONE' | 'COOPERATIVE' | 'EAGER';
  commitCb(offsets: { topic: string; partition: number; offset: number }[], callback: (error: LibrdKafkaError | null) => void): void;
  setDefaultIsTimeoutOnlyForFirstMessage?(onlyFirst: boolean): void;
};

interface PendingSeek {
  /** Number of consume calls started when librdkafka confirmed the seek; null until then. */
  confirmedAfterConsumeCall: number | null;
}

/**
 * KafkaSource on @confluentinc/kafka-javascript's librdkafka binding (its node-rdkafka style
 * KafkaConsumer; the package's KafkaJS-compatible layer measured twice the CPU, see
 * docs/kafka-clients.md), with the cooperative-sticky assignor: a rebalance revokes only the
 * partitions that move.
 *
 * - One loop takes up to CONSUME_MAX_MESSAGES from librdkafka, groups them by partition and hands
 *   each partition's records to onBatch, all partitions of the round at once; the next round
 *   starts when every onBatch of this one has returned (so per-partition order holds, and a slow
 *   onBatch holds back consumption; librdkafka leaves the group if no consume call happens
 *   within max.poll.interval.ms, 300 s).
 * - Heartbeats are sent by librdkafka's own thread, independent of onBatch.
 * - Records taken from librdkafka while their partition is paused, or before its onAssigned has
 *   finished, are held here and delivered first after resume / onAssigned: librdkafka's position
 *   is already past them, so dropping them would lose them.
 * - Rebalances: the rebalance callback applies nothing by itself. On revocation this source stops
 *   delivering the revoked partitions, drops what it held for them, waits for their running
 *   onBatch calls, awaits onRevoked, and only then calls incrementalUnassign (librdkafka waits for
 *   it). On assignment it awaits onAssigned first and then calls incrementalAssign, with the
 *   offsets that onAssigned chose by seek() (librdkafka starts those partitions there; a seek
 *   right after the assignment races with librdkafka's own start position). Both callbacks get
 *   only the partitions that changed.
 * - Commits are explicit (enable.auto.commit=false) and awaited through librdkafka's commit
 *   callback. stop() closes the consumer without calling onRevoked (as the kafkajs source).
 * - Closing: librdkafka's close revokes the whole assignment through the rebalance callback and
 *   blocks (in a libuv worker thread, without any timeout) until the application unassigns. While
 *   it closes, the binding refuses every consumer call except (incremental) unassign with
 *   ERR__STATE, so the revocation during close only unassigns, and a revocation always ends with
 *   the unassign whatever failed before it. A close that never finishes would also keep
 *   process.exit() from returning (libuv joins its worker threads at exit): only SIGKILL ends it.
 * - A topic regex is given to librdkafka ('^...'), which re-evaluates it on metadata refresh so
 *   new matching topics are picked up; its regex syntax is POSIX-like, not JavaScript's.
 */
export class ConfluentSource implements KafkaSource {
  private consumer: Consumer | null = null;
  private handlers: SourceHandlers | null = null;
  /** What librdkafka has assigned, as far as this source has applied it. */
  private readonly assigned = new PartitionSet();
  /** Assigned partitions whose onAssigned has completed: only these are delivered. */
  private readonly ready = new PartitionSet();
  private readonly paused = new PartitionSet();
  private readonly revoking = new PartitionSet();
  private readonly held = new Map<string, KafkaRecord[]>();
  /**
   * Partitions whose onAssigned is running, not yet handed to librdkafka, with the offset a seek()
   * asked for meanwhile. librdkafka starts them there (incrementalAssign with offsets): a seek
   * right after the assignment races with librdkafka's own start position.
   */
  private readonly assigning = new Map<string, bigint | null>();
  private readonly pendingSeeks = new Map<string, PendingSeek>();
  private readonly inFlight = new InFlightDeliveries();
  /** Rebalance events in librdkafka's order. */
  private rebalances: Promise<void> = Promise.resolve();
  private consumeCalls = 0;
  private loop: Promise<void> | null = null;
  private stopping: Promise<void> | null = null;
  /** Set just before consumer.disconnect(): librdkafka is closing and refuses all but unassign. */
  private closing = false;
  /** The group's rebalance protocol, remembered: the binding answers 'NONE' once it is closing. */
  private protocol: 'COOPERATIVE' | 'EAGER' | null = null;
  private failed = false;

  constructor(
    private readonly options: KafkaSourceOptions,
    private readonly logger: Logger = silentLogger(),
  ) {}

  async start(handlers: SourceHandlers): Promise<void> {
    if (this.consumer !== null) throw new Error('KafkaSource.start() was already called');
    this.handlers = handlers;
    // The package is CommonJS; Node's ESM loader only sees its `RdKafka` and `KafkaJS` exports.
    const { RdKafka } = await loadConfluentModule();
    const consumer = new RdKafka.KafkaConsumer(
      {
        ...librdkafkaConfig(this.options),
        rebalance_cb: (error: LibrdKafkaError, assignment: TopicPartition[]) => this.onRebalance(error, assignment),
      },
      { 'auto.offset.reset': this.options.fromBeginning ? 'earliest' : 'latest' },
    ) as Consumer;
    this.consumer = consumer;
    consumer.on('event.error', (error) => {
      if (error.isFatal === true) this.fail(error);
      else this.logger.warn({ err: error }, 'librdkafka reported an error');
    });
    await new Promise<void>((resolve, reject) => {
      consumer.connect({ timeout: 30_000 }, (error) => (error ? reject(error) : resolve()));
    });
    consumer.setDefaultConsumeTimeout(CONSUME_TIMEOUT_MS);
    consumer.setDefaultIsTimeoutOnlyForFirstMessage?.(true);
    consumer.subscribe(subscription(this.options.topics));
    this.loop = this.consumeLoop();
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.paused.add(partition);
    const owned = this.ownedByLibrdkafka(partitions);
    if (owned.length > 0) this.requireConsumer().pause(owned.map(plainPartition));
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const partition of partitions) this.paused.delete(partition);
    const owned = this.ownedByLibrdkafka(partitions);
    if (owned.length > 0) this.requireConsumer().resume(owned.map(plainPartition));
  }

  seek(partition: TopicPartition, offset: bigint): void {
    const consumer = this.requireConsumer();
    const key = partitionKey(partition);
    this.held.delete(key);
    if (this.assigning.has(key)) {
      this.assigning.set(key, offset);
      return;
    }
    const pending: PendingSeek = { confirmedAfterConsumeCall: null };
    this.pendingSeeks.set(key, pending);
    consumer.seek({ ...plainPartition(partition), offset: Number(offset) }, 10_000, (error) => {
      if (error) this.logger.warn({ err: error, partition: key, offset: offset.toString() }, 'seek failed');
      pending.confirmedAfterConsumeCall = this.consumeCalls;
    });
  }

  async commit(offsets: readonly OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    const consumer = this.requireConsumer();
    await new Promise<void>((resolve, reject) => {
      consumer.commitCb(
        offsets.map(({ topic, partition, offset }) => ({ topic, partition, offset: Number(offset) })),
        (error) => (error ? reject(error) : resolve()),
      );
    });
  }

  assignment(): readonly TopicPartition[] {
    return this.assigned.list();
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const consumer = this.consumer;
      if (consumer === null) return;
      await this.loop;
      // A rebalance already handed to us is applied while the binding still accepts assign().
      await this.settledRebalances();
      // Closing revokes the assignment through onRebalance, which only unassigns while closing.
      this.closing = true;
      await new Promise<void>((resolve) => {
        consumer.disconnect(() => resolve());
      });
      this.assigned.clear();
      this.ready.clear();
      this.held.clear();
    })();
    return this.stopping;
  }

  private requireConsumer(): Consumer {
    if (this.consumer === null) throw new Error('KafkaSource is not started');
    return this.consumer;
  }

  /** Pause/resume only reach librdkafka for partitions it has been given. */
  private ownedByLibrdkafka(partitions: readonly TopicPartition[]): TopicPartition[] {
    return partitions.filter((partition) => this.assigned.has(partition) && !this.assigning.has(partitionKey(partition)));
  }

  private async settledRebalances(): Promise<void> {
    let pending: Promise<void>;
    do {
      pending = this.rebalances;
      await pending;
    } while (pending !== this.rebalances);
  }

  private running(): boolean {
    return !this.failed && this.stopping === null;
  }

  private deliverable(partition: TopicPartition): boolean {
    return this.ready.has(partition) && !this.paused.has(partition) && !this.revoking.has(partition);
  }

  private async consumeLoop(): Promise<void> {
    const consumer = this.requireConsumer();
    while (this.running()) {
      const call = ++this.consumeCalls;
      let messages: Message[];
      try {
        messages = await new Promise<Message[]>((resolve, reject) => {
          consumer.consume(CONSUME_MAX_MESSAGES, (error, batch) => (error ? reject(error) : resolve(batch)));
        });
      } catch (error) {
        if ((error as LibrdKafkaError).isFatal === true) {
          this.fail(error);
          return;
        }
        this.logger.warn({ err: error }, 'consume failed');
        await delay(CONSUME_ERROR_BACKOFF_MS);
        continue;
      }
      if (!this.running()) return;
      await this.deliverRound(call, messages);
    }
  }

  private async deliverRound(call: number, messages: readonly Message[]): Promise<void> {
    const batches = new Map<string, { partition: TopicPartition; records: KafkaRecord[] }>();
    for (const [key, records] of this.held) {
      const partition = parsePartitionKey(key);
      if (!this.deliverable(partition)) continue;
      batches.set(key, { partition, records });
      this.held.delete(key);
    }
    for (const message of messages) {
      const partition = { topic: message.topic, partition: message.partition };
      const key = partitionKey(partition);
      // Given up: the next owner reads these from the committed offset.
      if (!this.assigned.has(partition) || this.revoking.has(partition)) continue;
      const pendingSeek = this.pendingSeeks.get(key);
      if (pendingSeek !== undefined) {
        // Taken by a consume call that started before librdkafka applied the seek: stale.
        if (pendingSeek.confirmedAfterConsumeCall === null || call <= pendingSeek.confirmedAfterConsumeCall) continue;
        this.pendingSeeks.delete(key);
      }
      const record = toKafkaRecord(message);
      if (!this.deliverable(partition)) {
        const held = this.held.get(key) ?? [];
        held.push(record);
        this.held.set(key, held);
        continue;
      }
      let batch = batches.get(key);
      if (batch === undefined) {
        batch = { partition, records: [] };
        batches.set(key, batch);
      }
      batch.records.push(record);
    }
    await Promise.all([...batches.values()].map(({ partition, records }) => this.deliver(partition, records)));
  }

  private async deliver(partition: TopicPartition, records: readonly KafkaRecord[]): Promise<void> {
    const handlers = this.handlers;
    if (handlers === null || records.length === 0) return;
    try {
      await this.inFlight.track(partition, () =>
        handlers.onBatch({
          topic: partition.topic,
          partition: partition.partition,
          records,
          highWatermark: this.highWatermark(partition),
        }),
      );
    } catch (error) {
      this.fail(error);
    }
  }

  private highWatermark(partition: TopicPartition): bigint | null {
    try {
      const { highOffset } = this.requireConsumer().getWatermarkOffsets(partition.topic, partition.partition);
      return highOffset >= 0 ? BigInt(highOffset) : null;
    } catch {
      return null;
    }
  }

  /** librdkafka's rebalance callback: nothing changes until handleRebalance applies it. */
  private onRebalance(error: LibrdKafkaError, assignment: readonly TopicPartition[]): void {
    const partitions = new PartitionSet(assignment).list();
    this.rebalances = this.rebalances
      .then(() => this.handleRebalance(error.code, partitions))
      .catch((failure: unknown) => this.fail(failure));
  }

  private async handleRebalance(code: number, partitions: readonly TopicPartition[]): Promise<void> {
    const consumer = this.requireConsumer();
    const cooperative = this.rebalanceProtocol(consumer) !== 'EAGER';
    if (code === ASSIGN_PARTITIONS) {
      for (const partition of partitions) {
        this.assigned.add(partition);
        this.assigning.set(partitionKey(partition), null);
      }
      await this.callHandler((handlers) => handlers.onAssigned(partitions));
      const startAt = (partition: TopicPartition): TopicPartition & { offset?: number } => {
        const offset = this.assigning.get(partitionKey(partition));
        return offset === null || offset === undefined ? plainPartition(partition) : { ...plainPartition(partition), offset: Number(offset) };
      };
      if (this.closing) {
        // The binding refuses assign() while closing; the close gives up the whole assignment.
        for (const partition of partitions) this.assigning.delete(partitionKey(partition));
        this.logger.warn({ partitions }, 'partitions assigned while the consumer closes: not taken');
        return;
      }
      if (cooperative) consumer.incrementalAssign(partitions.map(startAt));
      else consumer.assign(this.assigned.list().map(startAt));
      for (const partition of partitions) this.assigning.delete(partitionKey(partition));
      const paused = partitions.filter((partition) => this.paused.has(partition));
      if (paused.length > 0) consumer.pause(paused.map(plainPartition));
      for (const partition of partitions) this.ready.add(partition);
    } else if (code === REVOKE_PARTITIONS) {
      for (const partition of partitions) {
        this.revoking.add(partition);
        this.held.delete(partitionKey(partition));
        this.pendingSeeks.delete(partitionKey(partition));
      }
      try {
        await this.inFlight.waitFor(partitions);
        await this.callHandler((handlers) => handlers.onRevoked(partitions));
        // librdkafka keeps a partition's pause across unassign and a later assign; a closing
        // consumer is destroyed with its pause state, and the binding would refuse resume().
        const wasPaused = partitions.filter((partition) => this.paused.has(partition));
        if (wasPaused.length > 0 && !this.closing) consumer.resume(wasPaused.map(plainPartition));
      } finally {
        for (const partition of partitions) {
          this.assigned.delete(partition);
          this.ready.delete(partition);
          this.paused.delete(partition);
          this.revoking.delete(partition);
        }
        // librdkafka waits for this unassign (a close waits forever), so it happens whatever failed above.
        if (cooperative) consumer.incrementalUnassign(partitions.map(plainPartition));
        else consumer.unassign();
      }
    } else {
      this.logger.warn({ code }, 'unexpected rebalance event');
    }
  }

  private rebalanceProtocol(consumer: Consumer): 'COOPERATIVE' | 'EAGER' | null {
    const protocol = consumer.rebalanceProtocol();
    if (protocol !== 'NONE') this.protocol = protocol;
    return this.protocol;
  }

  private async callHandler(call: (handlers: SourceHandlers) => Promise<void>): Promise<void> {
    if (!this.running() || this.handlers === null) return;
    try {
      await call(this.handlers);
    } catch (error) {
      this.fail(error);
    }
  }

  private fail(error: unknown): void {
    if (this.failed) return;
    const reason = error instanceof Error ? error : new Error(String((error as { message?: unknown }).message ?? error));
    if (this.stopping !== null) {
      // The owner is stopping the source already: not a reason to report a fatal stop.
      this.logger.warn({ err: reason }, 'Kafka source: error while stopping');
      return;
    }
    this.failed = true;
    this.logger.error({ err: reason }, 'Kafka source stopped: a handler or the client failed');
    void this.stop()
      .catch((stopError: unknown) => this.logger.warn({ err: stopError }, 'Kafka source did not stop cleanly'))
      .finally(() => this.handlers?.onFatal?.(reason));
  }
}

function librdkafkaConfig(options: KafkaSourceOptions): Record<string, string | number | boolean> {
  const sasl = options.sasl;
  const ssl = options.ssl ?? false;
  const config: Record<string, string | number | boolean> = {
    'bootstrap.servers': options.brokers.join(','),
    'client.id': options.clientId,
    'group.id': options.groupId,
    'enable.auto.commit': false,
    'enable.auto.offset.store': false,
    'partition.assignment.strategy': 'cooperative-sticky',
    'session.timeout.ms': options.sessionTimeoutMs,
    'heartbeat.interval.ms': options.heartbeatIntervalMs,
    'fetch.max.bytes': options.fetchMaxBytes,
    'max.partition.fetch.bytes': options.partitionFetchMaxBytes,
    'fetch.wait.max.ms': options.fetchMaxWaitMs,
    // librdkafka refuses fetch.max.bytes above receive.message.max.bytes (default 100 MB) - 512.
    'receive.message.max.bytes': Math.max(100_000_000, options.fetchMaxBytes + 512),
    // librdkafka prefetches into a local queue and, once it is full, postpones the next fetch by
    // fetch.queue.backoff.ms (1 s by default), which starved the consume loop in the benchmark.
    // Two fetches' worth of queue and a short back-off kept it fed at a bounded memory cost.
    'queued.max.messages.kbytes': Math.min(2_097_151, Math.ceil((2 * options.fetchMaxBytes) / 1024)),
    'fetch.queue.backoff.ms': 20,
    'allow.auto.create.topics': false,
    'security.protocol': sasl === undefined ? (ssl ? 'ssl' : 'plaintext') : ssl ? 'sasl_ssl' : 'sasl_plaintext',
  };
  if (sasl !== undefined) {
    config['sasl.mechanisms'] = sasl.mechanism.toUpperCase();
    config['sasl.username'] = sasl.username;
    config['sasl.password'] = sasl.password;
  }
  return config;
}

/** librdkafka treats a subscription as a regex only when it starts with '^'. */
function subscription(topics: readonly string[] | RegExp): string[] {
  if (!(topics instanceof RegExp)) return [...topics];
  return [topics.source.startsWith('^') ? topics.source : `^.*(${topics.source})`];
}

function plainPartition(partition: TopicPartition): TopicPartition {
  return { topic: partition.topic, partition: partition.partition };
}

function parsePartitionKey(key: string): TopicPartition {
  const separator = key.lastIndexOf(':');
  return { topic: key.slice(0, separator), partition: Number(key.slice(separator + 1)) };
}

const NO_HEADERS: ReadonlyMap<string, Buffer> = new Map();

function toKafkaRecord(message: Message): KafkaRecord {
  let headers = NO_HEADERS;
  if (message.headers !== undefined && message.headers.length > 0) {
    const map = new Map<string, Buffer>();
    // Repeated header keys: the last one wins, as in record-conversion.ts.
    for (const header of message.headers) {
      for (const [name, value] of Object.entries(header)) map.set(name, typeof value === 'string' ? Buffer.from(value) : value);
    }
    headers = map;
  }
  const key = message.key;
  return {
    topic: message.topic,
    partition: message.partition,
    offset: BigInt(message.offset),
    key: key === null || key === undefined ? null : typeof key === 'string' ? Buffer.from(key) : key,
    value: message.value ?? null,
    headers,
    timestamp: message.timestamp ?? -1,
  };
}
