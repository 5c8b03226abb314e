/**
 * The Avro decoder of a deployment (SLUICE_VALUE_FORMAT=avro): a registry client from the
 * settings, the schema store, and a warning per failed schema fetch — during a registry outage the
 * pipeline stalls on purpose, and the log says why. The registry's address is logged without
 * credentials; the password never is.
 */
import type { Logger } from '../../observe/logger.ts';
import { type AvroDecoder, createAvroDecoder } from './avro-decoder.ts';
import { createSchemaRegistryClient, type RegistryConnection } from './registry-client.ts';
import { SchemaStore } from './schema-store.ts';

export interface RegistryDecoderOptions {
  readonly registry: RegistryConnection;
  readonly unavailableValuePlaceholder?: string;
  readonly logger: Logger;
}

function withoutCredentials(url: string): string {
  const parsed = new URL(url);
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}

export function createRegistryAvroDecoder(options: RegistryDecoderOptions): AvroDecoder {
  const registryUrl = withoutCredentials(options.registry.url);
  const store = new SchemaStore(createSchemaRegistryClient(options.registry), {
    onFetchRetry: ({ schemaId, attempt, delayMs, error }) => {
      options.logger.warn(
        { event: 'schema-fetch-failed', schemaId, attempt, retryInMs: delayMs, registry: registryUrl, error: error instanceof Error ? error.message : String(error) },
        `schema id ${schemaId}: the schema registry did not answer (attempt ${attempt}); consumption waits and retries in ${delayMs} ms`,
      );
    },
  });
  return createAvroDecoder({
    schemas: store,
    ...(options.unavailableValuePlaceholder !== undefined ? { unavailableValuePlaceholder: options.unavailableValuePlaceholder } : {}),
  });
}
