/**
 * Kafka connection settings for the operator commands (`lag`, `dlq replay`), read from the same
 * SLUICE_KAFKA_* variables and schema as the service, so a command run inside the container (or
 * with the deployment's ConfigMap) reaches the same brokers with the same TLS/SASL settings.
 * Only the Kafka part is needed: the destination and topics the service requires are not.
 */
import { type Environment, loadConfig } from '../config/load.ts';
import type { KafkaConnectionOptions } from '../kafka/types.ts';

export interface CommandKafkaSettings {
  readonly connection: KafkaConnectionOptions;
  /** SLUICE_GROUP_ID (or the service's default for SLUICE_DESTINATION) when set. */
  readonly groupId: string | null;
}

/** Throws ConfigError naming the variable, like the service. `brokers` overrides SLUICE_KAFKA_BROKERS. */
export function kafkaSettingsFromEnv(env: Environment, brokers?: string): CommandKafkaSettings {
  const topicsGiven = (env.SLUICE_TOPICS ?? '') !== '' || (env.SLUICE_TOPIC_PATTERN ?? '') !== '';
  const config = loadConfig({
    ...env,
    SLUICE_DESTINATION: env.SLUICE_DESTINATION || 'cli',
    ...(topicsGiven ? {} : { SLUICE_TOPICS: 'not-used-by-the-command' }),
    ...(brokers === undefined ? {} : { SLUICE_KAFKA_BROKERS: brokers }),
    SLUICE_DELIVERY: 'at-least-once',
  });
  const k = config.kafka;
  const explicitGroup = (env.SLUICE_GROUP_ID ?? '') !== '' || (env.SLUICE_DESTINATION ?? '') !== '';
  return {
    connection: { brokers: k.brokers, clientId: `${k.clientId}-cli`, ssl: k.ssl, ...(k.sasl === null ? {} : { sasl: k.sasl }) },
    groupId: explicitGroup ? k.groupId : null,
  };
}
