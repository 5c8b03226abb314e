/**
 * The BigQuery emulator for tests: goccy/bigquery-emulator v0.8.1, started by
 * `scripts/services.sh up bigquery` (REST 127.0.0.1:9050, project `test`;
 * SLUICE_TEST_BIGQUERY_URL overrides). BigQuery tests run on this emulator, not on BigQuery:
 * docs/bigquery.md lists what it cannot show (quotas, DML concurrency limits, streaming buffer).
 */
import { randomBytes } from 'node:crypto';
import type { BigQuery } from '@google-cloud/bigquery';
import { createBigQueryClient } from '../../../connectors/bigquery/client.ts';
import { parseBigQueryConfig } from '../../../connectors/bigquery/config.ts';

export const EMULATOR_PROJECT = 'test';

export function emulatorUrl(): string {
  return (process.env.SLUICE_TEST_BIGQUERY_URL ?? 'http://127.0.0.1:9050').replace(/\/+$/, '');
}

/** Fails with the command to run when the emulator does not answer a real API call. */
export async function requireEmulator(): Promise<void> {
  const url = `${emulatorUrl()}/bigquery/v2/projects/${EMULATOR_PROJECT}/datasets`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    await response.json();
  } catch (error) {
    throw new Error(`the BigQuery emulator does not answer at ${emulatorUrl()}; start it with: scripts/services.sh up bigquery (${error instanceof Error ? error.message : String(error)})`);
  }
}

/** A dataset name no other test uses. */
export function uniqueDataset(prefix: string): string {
  return `${prefix}_${randomBytes(4).toString('hex')}`;
}

/** Writer settings for the emulator. */
export function emulatorEnv(dataset: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLUICE_BIGQUERY_PROJECT: EMULATOR_PROJECT,
    SLUICE_BIGQUERY_DATASET: dataset,
    SLUICE_BIGQUERY_API_ENDPOINT: emulatorUrl(),
    ...extra,
  };
}

/** A client for test set-up and read-back, configured like the writer's. */
export function emulatorClient(dataset = 'unused'): Promise<BigQuery> {
  return createBigQueryClient(parseBigQueryConfig(emulatorEnv(dataset)));
}

export async function createDataset(client: BigQuery, dataset: string): Promise<void> {
  await client.createDataset(dataset);
}

export async function dropDataset(client: BigQuery, dataset: string): Promise<void> {
  await client
    .dataset(dataset)
    .delete({ force: true })
    .catch(() => undefined);
}
