/**
 * The Kafka source the pipeline reads from: one consumer in a consumer group, behind an
 * interface small enough for two client libraries (kafkajs, @confluentinc/kafka-javascript).
 *
 * Contract:
 * - Offsets are never auto-committed; the pipeline commits explicit offsets (the NEXT offset to
 *   read, Kafka's convention) only after everything before them is durably written.
 * - `onBatch` is awaited before the next batch of the same partition is delivered. It should
 *   return quickly (enqueue); flow control is done with pause()/resume(), never by blocking so
 *   long that the member stops heartbeating and the group rebalances.
 * - `onRevoked` is awaited before the partitions are given up, so in-flight work can be finished
 *   and committed; `onAssigned` runs before any batch of the new partitions is delivered.
 *   (The kafkajs implementation can only do this when it notices the rebalance during a delivery;
 *   docs/kafka-clients.md lists each implementation's limits.)
 */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

export interface KafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: ReadonlyMap<string, Buffer>;
  /** Broker/producer timestamp in ms since the epoch. */
  readonly timestamp: number;
}

export interface RecordBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly KafkaRecord[];
  /** Log-end offset the broker reported with this fetch, when the client exposes it. */
  readonly highWatermark: bigint | null;
}

export interface OffsetCommit extends TopicPartition {
  /** The next offset to consume (last written + 1). */
  readonly offset: bigint;
}

export interface SourceHandlers {
  onBatch(batch: RecordBatch): Promise<void>;
  onAssigned(partitions: readonly TopicPartition[]): Promise<void>;
  onRevoked(partitions: readonly TopicPartition[]): Promise<void>;
  /**
   * Called at most once when the source stops delivering for good: a handler above rejected, or
   * the client library gave up (it will not restart by itself). The source stops itself first;
   * offsets not yet committed stay uncommitted. (Added with the client implementations.)
   */
  onFatal?(error: Error): void;
}

export interface KafkaSource {
  /** Join the group and start delivering. Resolves once the consumer is running. */
  start(handlers: SourceHandlers): Promise<void>;
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  /** Move the fetch position (used by exactly-once mode on assignment). */
  seek(partition: TopicPartition, offset: bigint): void;
  commit(offsets: readonly OffsetCommit[]): Promise<void>;
  /** Currently assigned partitions. */
  assignment(): readonly TopicPartition[];
  /** Stop fetching, leave the group. Idempotent. */
  stop(): Promise<void>;
}

export interface KafkaSourceOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly groupId: string;
  /** Topic names, or one regular expression. */
  readonly topics: readonly string[] | RegExp;
  readonly fromBeginning: boolean;
  readonly fetchMaxBytes: number;
  readonly partitionFetchMaxBytes: number;
  readonly fetchMaxWaitMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** TLS to the brokers (default false). */
  readonly ssl?: boolean;
  /** SASL authentication; absent = none. */
  readonly sasl?: KafkaSasl;
}

export interface KafkaSasl {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

/** Which client library implements KafkaSource/KafkaAdmin/RecordProducer (SLUICE_KAFKA_CLIENT). */
export type KafkaClientName = 'kafkajs' | 'confluent';

/** What the admin client and the producer need to reach the brokers. */
export type KafkaConnectionOptions = Pick<KafkaSourceOptions, 'brokers' | 'clientId' | 'ssl' | 'sasl'>;

export interface ProducedRecord {
  readonly key: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: Readonly<Record<string, Buffer | string>>;
}

/**
 * A small producer for the dead-letter topic (and tests). `send` resolves once every record is
 * acknowledged by all in-sync replicas (acks=all); the producer is idempotent where the client
 * allows, so a retried send does not duplicate records within one producer session.
 */
export interface RecordProducer {
  send(topic: string, records: readonly ProducedRecord[]): Promise<void>;
  close(): Promise<void>;
}

/** Read-only broker queries for lag and retention (the controller samples these). */
export interface KafkaAdmin {
  /** Log-end offsets (high watermarks) per partition of each topic. */
  endOffsets(topics: readonly string[]): Promise<Map<string, bigint>>;
  /** Committed offsets of a group, keyed `${topic}:${partition}`. */
  committedOffsets(group: string, topics: readonly string[]): Promise<Map<string, bigint>>;
  /** retention.ms and retention.bytes per topic (-1 = unlimited). */
  retention(topics: readonly string[]): Promise<Map<string, { ms: number; bytes: number }>>;
  /**
   * Creates the topic when it does not exist (brokers often refuse auto-creation); resolves
   * 'created' or 'exists'. Rejects when the broker refuses (e.g. no permission).
   */
  ensureTopic(topic: string, partitions: number): Promise<'created' | 'exists'>;
  close(): Promise<void>;
}
