/**
 * The BigQuery client: @google-cloud/bigquery loaded on first use (a deployment writing
 * elsewhere never loads it), configured from BigQueryConfig. The SDK's own retries are switched
 * off: the core owns retries and backoff, and a hidden retry loop would hide quota pressure from
 * the controller.
 */
import type { BigQuery, BigQueryOptions } from '@google-cloud/bigquery';
import type { BigQueryConfig } from './config.ts';

export async function createBigQueryClient(config: BigQueryConfig): Promise<BigQuery> {
  const { BigQuery: BigQueryClient } = await import('@google-cloud/bigquery');
  const options: BigQueryOptions = {
    projectId: config.project,
    retryOptions: { autoRetry: false, maxRetries: 0 },
    ...(config.location === null ? {} : { location: config.location }),
    ...(config.apiEndpoint === null ? {} : { apiEndpoint: config.apiEndpoint }),
    ...(config.auth.kind === 'key-file' ? { keyFilename: config.auth.keyFile } : {}),
  };
  return new BigQueryClient(options);
}
