/**
 * The optional @confluentinc/kafka-javascript module (librdkafka), loaded only when
 * SLUICE_KAFKA_CLIENT=confluent: a deployment on kafkajs never loads the native binding.
 */
export type ConfluentModule = typeof import('@confluentinc/kafka-javascript');

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
