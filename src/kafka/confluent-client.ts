import type { Logger } from '../observe/logger.ts';
import type { KafkaConnectionOptions } from './types.ts';

/**
 * The optional @confluentinc/kafka-javascript module (librdkafka), loaded only when
 * SLUICE_KAFKA_CLIENT=confluent: a deployment on kafkajs never loads the native binding.
 */
export type ConfluentModule = typeof import('@confluentinc/kafka-javascript');
type ConfluentKafkaJS = ConfluentModule['KafkaJS'];
export type ConfluentKafka = InstanceType<ConfluentKafkaJS['Kafka']>;
type ConfluentLogger = NonNullable<NonNullable<ConstructorParameters<ConfluentKafkaJS['Kafka']>[0]>['kafkaJS']>['logger'];

let loading: Promise<ConfluentModule> | null = null;

export function loadConfluentModule(): Promise<ConfluentModule> {
  loading ??= import('@confluentinc/kafka-javascript').then(
    (module) => module,
    (error: unknown) => {
      loading = null;
      const detail = error instanceof Error ? error.message : String(error);
      throw new Error(
        'SLUICE_KAFKA_CLIENT=confluent needs the optional package @confluentinc/kafka-javascript with its ' +
          'native binding built: run `npm ci`, then `scripts/install-confluent-kafka.sh` ' +
          `(see docs/kafka-clients.md), or set SLUICE_KAFKA_CLIENT=kafkajs. Loading it failed: ${detail}`,
        { cause: error },
      );
    },
  );
  return loading;
}

export async function createConfluentClient(options: KafkaConnectionOptions, logger: Logger): Promise<ConfluentKafka> {
  const { KafkaJS } = await loadConfluentModule();
  const sasl = options.sasl;
  return new KafkaJS.Kafka({
    kafkaJS: {
      brokers: [...options.brokers],
      clientId: options.clientId,
      ssl: options.ssl ?? false,
      ...(sasl === undefined ? {} : { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } }),
      logLevel: KafkaJS.logLevel.WARN,
      logger: confluentLogger(logger, 'confluent-kafka'),
    },
  });
}

/** Bridges the client's KafkaJS-style logger interface to the service logger. */
function confluentLogger(logger: Logger, namespace: string): NonNullable<ConfluentLogger> {
  const context = (extra: object | undefined): object => ({ kafkaClient: namespace, ...extra });
  return {
    info: (message, extra) => logger.debug(context(extra), message),
    warn: (message, extra) => logger.warn(context(extra), message),
    error: (message, extra) => logger.error(context(extra), message),
    debug: (message, extra) => logger.debug(context(extra), message),
    namespace: (child) => confluentLogger(logger, `${namespace}.${child}`),
    setLogLevel: () => {},
  };
}
