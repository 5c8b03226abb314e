import type { Producer } from 'kafkajs';
import { type Logger, silentLogger } from '../observe/logger.ts';
import { createKafkajsClient } from './kafkajs-connection.ts';
import type { KafkaConnectionOptions, ProducedRecord, RecordProducer } from './types.ts';

/**
 * RecordProducer on kafkajs: idempotent (which implies acks=all and one request in flight per
 * broker, so retries neither duplicate nor reorder), connecting lazily on the first send.
 * Retries are bounded so that a dead-letter write against an unreachable cluster fails loudly
 * instead of stalling the pipeline forever (kafkajs logs a warning about this once).
 */
export class KafkajsRecordProducer implements RecordProducer {
  private readonly producer: Producer;
  private connected: Promise<void> | null = null;

  constructor(options: KafkaConnectionOptions, logger: Logger = silentLogger()) {
    this.producer = createKafkajsClient(options, logger).producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      retry: { retries: 10 },
    });
  }

  async send(topic: string, records: readonly ProducedRecord[]): Promise<void> {
    if (records.length === 0) return;
    this.connected ??= this.producer.connect();
    await this.connected;
    await this.producer.send({
      topic,
      acks: -1,
      messages: records.map((record) => ({
        key: record.key,
        value: record.value,
        ...(record.headers === undefined ? {} : { headers: { ...record.headers } }),
      })),
    });
  }

  async close(): Promise<void> {
    if (this.connected === null) return;
    this.connected = null;
    await this.producer.disconnect();
  }
}
