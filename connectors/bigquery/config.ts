/**
 * Settings of the BigQuery writer (SLUICE_BIGQUERY_*), parsed once from the environment.
 * `settingDocs` is the documentation (docs/bigquery.md lists the same variables); parsing throws
 * a ConfigError naming the first bad variable and never repeats a value. Authentication is by a
 * service-account key file when one is given, else by application default credentials
 * (GOOGLE_APPLICATION_CREDENTIALS, the metadata server, gcloud's user credentials). With
 * SLUICE_BIGQUERY_API_ENDPOINT (an emulator) no credentials are needed at all.
 */
import { z } from 'zod';
import { booleanText, type Environment, envReader, readSettingFile, settingDoc as doc, wholeNumber } from '../../src/config/env-reader.ts';
import { ConfigError } from '../../src/errors.ts';
import type { SettingDoc } from '../../src/writer/types.ts';

export type BigQueryAuth =
  | { readonly kind: 'key-file'; readonly keyFile: string; readonly clientEmail: string }
  | { readonly kind: 'application-default' }
  /** An emulator on SLUICE_BIGQUERY_API_ENDPOINT: requests carry no token. */
  | { readonly kind: 'none' };

/**
 * Where TargetTable.namespace goes: `dataset` = the namespace is the dataset (created when
 * missing if auto-create is on); `prefix` = every table lives in SLUICE_BIGQUERY_DATASET, named
 * `<namespace>_<table>`.
 */
export type NamespaceMode = 'dataset' | 'prefix';

export interface BigQueryConfig {
  readonly project: string;
  /** Dataset of tables without a namespace (and of all tables in `prefix` mode); must exist. */
  readonly dataset: string;
  /** Location of datasets created by the writer and of its jobs; null = BigQuery's default. */
  readonly location: string | null;
  readonly auth: BigQueryAuth;
  /** http(s)://host:port of an emulator; null = Google's endpoint. */
  readonly apiEndpoint: string | null;
  readonly namespaceMode: NamespaceMode;
  readonly autoCreate: boolean;
  /** Staging tables expire after this long, so a crash between load and drop leaves no litter. */
  readonly stagingExpirationMs: number;
  /** Longest wait for one load or query job before the write fails (retryable). */
  readonly jobTimeoutMs: number;
}

export const settingDocs: readonly SettingDoc[] = [
  doc('SLUICE_BIGQUERY_PROJECT', 'Google Cloud project that owns the datasets and runs the jobs.', { required: true }),
  doc('SLUICE_BIGQUERY_DATASET', 'Dataset of tables whose naming rule gives no namespace (and of every table when SLUICE_BIGQUERY_NAMESPACES=prefix). Must exist.', {
    required: true,
  }),
  doc('SLUICE_BIGQUERY_LOCATION', 'Location (US, EU, europe-west1, ...) of datasets the writer creates and of its load and query jobs. BigQuery infers it when unset.'),
  doc('SLUICE_BIGQUERY_KEY_FILE', 'Path of a service-account JSON key. Unset: application default credentials (GOOGLE_APPLICATION_CREDENTIALS, metadata server, gcloud).'),
  doc('SLUICE_BIGQUERY_API_ENDPOINT', 'Base URL of a BigQuery-compatible endpoint, e.g. http://127.0.0.1:9050 for goccy/bigquery-emulator. Unset: Google. No credentials are sent to it.'),
  doc('SLUICE_BIGQUERY_NAMESPACES', 'dataset: a table namespace (source schema) is a dataset of that name; prefix: every table goes to SLUICE_BIGQUERY_DATASET as <namespace>_<table>.', {
    default: 'dataset',
  }),
  doc('SLUICE_BIGQUERY_AUTO_CREATE', 'Create missing datasets and tables and add new columns (true|false). When false a missing table or column stops the service.', {
    default: 'true',
  }),
  doc('SLUICE_BIGQUERY_STAGING_EXPIRATION_S', 'Expiration set on each per-batch staging table, so one left behind by a crash deletes itself.', { default: '86400' }),
  doc('SLUICE_BIGQUERY_JOB_TIMEOUT_MS', 'Longest wait for one load or MERGE job; a job still running then fails the batch as retryable.', { default: '600000' }),
];

/**
 * Project ids: lower-case letters, digits and hyphens (Google requires 6–30; emulators accept
 * shorter ids such as `test`, so only the character rule is checked); domain-scoped ids carry a
 * `domain:` prefix.
 */
const projectId = z.string().regex(/^([a-z][a-z0-9.-]*:)?[a-z][a-z0-9-]{0,61}[a-z0-9]$/, 'must be a project id (lower-case letters, digits, hyphens)');

/** Dataset names: letters, digits and underscores, at most 1024 characters. */
const datasetId = z.string().regex(/^[A-Za-z0-9_]{1,1024}$/, 'must be a dataset name (letters, digits, underscores)');

const variableParsers = {
  SLUICE_BIGQUERY_PROJECT: projectId,
  SLUICE_BIGQUERY_DATASET: datasetId,
  SLUICE_BIGQUERY_LOCATION: z.string().regex(/^[A-Za-z0-9-]+$/, 'must be a location such as US, EU or europe-west1'),
  SLUICE_BIGQUERY_KEY_FILE: z.string().min(1),
  SLUICE_BIGQUERY_API_ENDPOINT: z
    .string()
    .url('must be a URL')
    .refine((url) => /^https?:\/\//.test(url), 'must start with http:// or https://'),
  SLUICE_BIGQUERY_NAMESPACES: z.enum(['dataset', 'prefix']),
  SLUICE_BIGQUERY_AUTO_CREATE: booleanText,
  SLUICE_BIGQUERY_STAGING_EXPIRATION_S: wholeNumber(60, 30 * 86_400),
  SLUICE_BIGQUERY_JOB_TIMEOUT_MS: wholeNumber(1000, 6 * 3_600_000),
} as const;

const { read, required } = envReader(variableParsers);

/** Reads the key file now, so a wrong path or a file that is not a service-account key stops the start. */
function readKeyFile(keyFile: string): BigQueryAuth {
  const variable = 'SLUICE_BIGQUERY_KEY_FILE';
  const text = readSettingFile(variable, keyFile, 'key file');
  let key: unknown;
  try {
    key = JSON.parse(text);
  } catch {
    throw new ConfigError(variable, 'is not a JSON file (expected a service-account key)');
  }
  const fields = key as { type?: unknown; client_email?: unknown; private_key?: unknown };
  if (fields.type !== 'service_account' || typeof fields.client_email !== 'string' || typeof fields.private_key !== 'string') {
    throw new ConfigError(variable, 'is not a service-account key (needs "type": "service_account", "client_email" and "private_key")');
  }
  return { kind: 'key-file', keyFile, clientEmail: fields.client_email };
}

export function parseBigQueryConfig(env: Environment): BigQueryConfig {
  const project = required(env, 'SLUICE_BIGQUERY_PROJECT');
  const dataset = required(env, 'SLUICE_BIGQUERY_DATASET');
  const apiEndpoint = read(env, 'SLUICE_BIGQUERY_API_ENDPOINT')?.replace(/\/+$/, '') ?? null;
  const keyFile = read(env, 'SLUICE_BIGQUERY_KEY_FILE');
  const auth: BigQueryAuth = keyFile !== undefined ? readKeyFile(keyFile) : apiEndpoint !== null ? { kind: 'none' } : { kind: 'application-default' };
  return {
    project,
    dataset,
    location: read(env, 'SLUICE_BIGQUERY_LOCATION') ?? null,
    auth,
    apiEndpoint,
    namespaceMode: read(env, 'SLUICE_BIGQUERY_NAMESPACES') ?? 'dataset',
    autoCreate: read(env, 'SLUICE_BIGQUERY_AUTO_CREATE') ?? true,
    stagingExpirationMs: (read(env, 'SLUICE_BIGQUERY_STAGING_EXPIRATION_S') ?? 86_400) * 1000,
    jobTimeoutMs: read(env, 'SLUICE_BIGQUERY_JOB_TIMEOUT_MS') ?? 600_000,
  };
}

/** The effective configuration for the start-up log line. The key file's path is shown, its content never. */
export function describeConfig(config: BigQueryConfig): Record<string, string | number | boolean | null> {
  const auth =
    config.auth.kind === 'key-file'
      ? `service-account key ${config.auth.keyFile} (${config.auth.clientEmail})`
      : config.auth.kind === 'none'
        ? 'none (emulator endpoint)'
        : 'application default credentials';
  return {
    project: config.project,
    dataset: config.dataset,
    location: config.location,
    auth,
    apiEndpoint: config.apiEndpoint,
    namespaces: config.namespaceMode,
    autoCreate: config.autoCreate,
    stagingExpirationMs: config.stagingExpirationMs,
    jobTimeoutMs: config.jobTimeoutMs,
  };
}
