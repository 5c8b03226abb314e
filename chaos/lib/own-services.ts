/**
 * Services the chaos faults may stop: a second PostgreSQL cluster (127.0.0.1:5440, state under
 * .services/chaos-postgres) and a second single-node Kafka (127.0.0.1:19092/19093, state under
 * .services/chaos-kafka). They are the shared services' own plug-ins (scripts/services/*.sh,
 * same binaries and jars) run with another state folder and other ports, so stopping them never
 * touches the 5433/9092 services other tests use.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { Endpoints } from './cluster.ts';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type OwnService = 'postgres' | 'kafka';

const environments: Record<OwnService, Record<string, string>> = {
  postgres: { SLUICE_SERVICES_STATE: path.join(repoRoot, '.services/chaos-postgres'), SLUICE_PG_PORT: process.env.SLUICE_CHAOS_PG_PORT ?? '5440' },
  kafka: {
    SLUICE_SERVICES_STATE: path.join(repoRoot, '.services/chaos-kafka'),
    SLUICE_KAFKA_PORT: process.env.SLUICE_CHAOS_KAFKA_PORT ?? '19092',
    SLUICE_KAFKA_CONTROLLER_PORT: process.env.SLUICE_CHAOS_KAFKA_CONTROLLER_PORT ?? '19093',
  },
};

async function services(action: 'up' | 'down' | 'status', service: OwnService): Promise<void> {
  await run(path.join(repoRoot, 'scripts/services.sh'), [action, service], {
    cwd: repoRoot,
    env: { ...process.env, ...environments[service] },
    timeout: 180_000,
    maxBuffer: 4 * 1024 * 1024,
  });
}

/**
 * Starts the service if it does not answer yet; resolves once a real client call succeeds, with
 * whether this call started it (a fault then stops it again when done, leaving nothing running).
 */
export async function ownUp(service: OwnService): Promise<boolean> {
  if (await ownAnswers(service)) return false;
  await services('up', service);
  return true;
}

/** Stops it (PostgreSQL: fast shutdown; Kafka: TERM, then KILL after a deadline). */
export function ownDown(service: OwnService): Promise<void> {
  return services('down', service);
}

export async function ownAnswers(service: OwnService): Promise<boolean> {
  try {
    await services('status', service);
    return true;
  } catch {
    return false;
  }
}

/** Endpoints with the chaos PostgreSQL and the shared broker (the destination-outage fault). */
export function ownPostgresEndpoints(brokers: readonly string[]): Endpoints {
  return { brokers, postgresUrl: `postgres://postgres@127.0.0.1:${environments.postgres.SLUICE_PG_PORT}/postgres` };
}

/** Endpoints with the chaos broker and the shared PostgreSQL (the broker-restart fault). */
export function ownKafkaEndpoints(postgresUrl: string): Endpoints {
  return { brokers: [`127.0.0.1:${environments.kafka.SLUICE_KAFKA_PORT}`], postgresUrl };
}
