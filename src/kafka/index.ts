/**
 * The Kafka side of sluice behind small interfaces (types.ts). The source has two
 * implementations, chosen by SLUICE_KAFKA_CLIENT (see docs/kafka-clients.md for the measurements
 * behind the default); the admin queries and the dead-letter producer are low-volume and use
 * kafkajs whichever client consumes, so the native client is loaded only for consuming.
 */
import { type Logger, silentLogger } from '../observe/logger.ts';
import { ConfluentSource } from './confluent-source.ts';
import { KafkajsAdmin } from './kafkajs-admin.ts';
import { KafkajsSource } from './kafkajs-source.ts';
import { KafkajsRecordProducer } from './producer.ts';
import type {
  KafkaAdmin,
  KafkaClientName,
  KafkaConnectionOptions,
  KafkaSource,
  KafkaSourceOptions,
  RecordProducer,
} from './types.ts';

export type * from './types.ts';

/** The client used when SLUICE_KAFKA_CLIENT is not set. */
export const DEFAULT_KAFKA_CLIENT: KafkaClientName = 'kafkajs';

export function createKafkaSource(
  options: KafkaSourceOptions,
  client: KafkaClientName = DEFAULT_KAFKA_CLIENT,
  logger: Logger = silentLogger(),
): KafkaSource {
  return client === 'confluent' ? new ConfluentSource(options, logger) : new KafkajsSource(options, logger);
}

export function createKafkaAdmin(options: KafkaConnectionOptions, logger: Logger = silentLogger()): KafkaAdmin {
  return new KafkajsAdmin(options, logger);
}

export function createRecordProducer(options: KafkaConnectionOptions, logger: Logger = silentLogger()): RecordProducer {
  return new KafkajsRecordProducer(options, logger);
}
