/**
 * The destinations sluice can write to. A new destination is one folder under connectors/ and
 * one line here. Each entry is loaded lazily, so a PostgreSQL deployment never loads the
 * BigQuery SDK.
 */
import type { ConnectorDefinition } from '../src/writer/types.ts';

type ConnectorLoader = () => Promise<ConnectorDefinition>;

export const connectors: Readonly<Record<string, ConnectorLoader>> = {
  postgres: async () => (await import('./postgres/index.ts')).default,
  elasticsearch: async () => (await import('./elasticsearch/index.ts')).default,
  snowflake: async () => (await import('./snowflake/index.ts')).default,
  bigquery: async () => (await import('./bigquery/index.ts')).default,
};

export const destinationNames: readonly string[] = Object.keys(connectors);

export async function loadConnector(name: string): Promise<ConnectorDefinition> {
  const load = connectors[name];
  if (load === undefined) {
    throw new Error(`unknown destination '${name}'; known: ${destinationNames.join(', ')}`);
  }
  return load();
}
