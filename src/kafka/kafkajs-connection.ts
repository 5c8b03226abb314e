// kafkajs is CommonJS; Node's ESM loader does not see all of its named exports.
import kafkajs, { type Kafka, type KafkaConfig, type LogEntry } from 'kafkajs';

const { logLevel } = kafkajs;
import type { Logger } from '../observe/logger.ts';
import type { KafkaConnectionOptions } from './types.ts';

/**
 * One kafkajs `Kafka` instance for the given brokers, logging into the service logger. kafkajs
 * logs group membership at INFO on every rebalance; only its warnings and errors are kept.
 */
export function createKafkajsClient(options: KafkaConnectionOptions, logger: Logger): Kafka {
  const config: KafkaConfig = {
    brokers: [...options.brokers],
    clientId: options.clientId,
    ssl: options.ssl ?? false,
    logLevel: logLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, ...fields } = entry.log;
      const context = { kafkajs: entry.namespace, ...fields };
      if (entry.level === logLevel.ERROR) logger.error(context, message);
      else if (entry.level === logLevel.WARN) logger.warn(context, message);
      else logger.debug(context, message);
    },
  };
  const sasl = options.sasl;
  if (sasl !== undefined) {
    const { username, password } = sasl;
    config.sasl =
      sasl.mechanism === 'plain'
        ? { mechanism: 'plain', username, password }
        : sasl.mechanism === 'scram-sha-256'
          ? { mechanism: 'scram-sha-256', username, password }
          : { mechanism: 'scram-sha-512', username, password };
  }
  return new kafkajs.Kafka(config);
}
