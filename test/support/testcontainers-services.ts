/**
 * SLUICE_TEST_SERVICES=testcontainers: Kafka and PostgreSQL in containers, for machines with a
 * Docker engine (laptops, GitHub Actions). Loaded lazily by services.ts so the local mode never
 * loads the Docker client.
 *
 * The containers are configured like the local services (scripts/services/*.sh): one KRaft
 * broker with every internal replication factor 1, no topic auto-creation, 4 partitions by
 * default; PostgreSQL 15 with logical decoding enabled. Each test process starts its own pair
 * (node --test runs one process per file) and Ryuk removes them when the process exits. With
 * SLUICE_TC_REUSE=true the containers are reused across test files instead (testcontainers'
 * reuse: they stay running afterwards until removed with `docker rm -f`).
 *
 * Images: SLUICE_TC_KAFKA_IMAGE (default confluentinc/cp-kafka:8.0.0, Kafka 4.0, the image family
 * @testcontainers/kafka drives) and SLUICE_TC_POSTGRES_IMAGE (default postgres:15).
 *
 * Not exercised on the project's machines (they have no Docker engine): this path typechecks
 * and follows the modules' documented API, but has not been run there.
 */
import { KafkaContainer } from '@testcontainers/kafka';
import { PostgreSqlContainer } from '@testcontainers/postgresql';
import type { RunningServices } from './services.ts';

const KAFKA_CONTAINER_PORT = 9093;

export async function startContainers(): Promise<RunningServices> {
  const reuse = process.env.SLUICE_TC_REUSE === 'true';

  const kafkaDefinition = new KafkaContainer(process.env.SLUICE_TC_KAFKA_IMAGE ?? 'confluentinc/cp-kafka:8.0.0')
    .withKraft()
    .withEnvironment({
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      KAFKA_NUM_PARTITIONS: '4',
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR: '1',
      KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR: '1',
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
    });
  const postgresDefinition = new PostgreSqlContainer(process.env.SLUICE_TC_POSTGRES_IMAGE ?? 'postgres:15')
    .withUsername('postgres')
    .withPassword('postgres')
    .withDatabase('postgres')
    .withCommand([
      'postgres',
      '-c',
      'wal_level=logical',
      '-c',
      'max_wal_senders=20',
      '-c',
      'max_replication_slots=20',
      '-c',
      'max_connections=200',
    ]);
  if (reuse) {
    kafkaDefinition.withReuse();
    postgresDefinition.withReuse();
  }

  const [kafka, postgres] = await Promise.all([kafkaDefinition.start(), postgresDefinition.start()]).catch(
    (error: unknown) => {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(
        `SLUICE_TEST_SERVICES=testcontainers needs a reachable Docker engine (${reason}); ` +
          'without one, use the local services (SLUICE_TEST_SERVICES=local, scripts/services.sh up)',
      );
    },
  );
  return {
    endpoints: {
      kafkaBrokers: [`${kafka.getHost()}:${kafka.getMappedPort(KAFKA_CONTAINER_PORT)}`],
      postgresUrl: postgres.getConnectionUri(),
    },
    stop: async () => {
      if (reuse) return;
      await Promise.all([kafka.stop(), postgres.stop()]);
    },
  };
}
