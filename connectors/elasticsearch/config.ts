/**
 * Settings of the Elasticsearch/OpenSearch writer, parsed once from the environment. `settingDocs`
 * is the documentation (docs/elasticsearch.md's table lists the same variables); parsing throws a
 * ConfigError naming the first bad variable and never repeats a value (it may be a secret).
 * Secrets (API key, password, and what their _FILE variants point to) appear only in the returned
 * config object, never in `describeConfig`.
 */
import { z } from 'zod';
import { type Environment, envReader, readSettingFile, wholeNumber } from '../../src/config/env-reader.ts';
import { ConfigError } from '../../src/errors.ts';
import type { SettingDoc } from '../../src/writer/types.ts';

/** Which client library speaks to the cluster. The bulk protocol is the same. */
export type Flavour = 'elasticsearch' | 'opensearch';

/** How decimal columns are mapped; `auto` keeps precision (see mapping.ts). */
export type DecimalMapping = 'auto' | 'scaled_float' | 'keyword' | 'double';

/**
 * What the writer does about a missing index: `derived` creates it with mappings derived from the
 * table schema (and adds mappings for new columns), `template` creates it with no body so index
 * templates / dynamic mapping decide, `never` requires it to exist (missing = fatal).
 */
export type IndexCreation = 'derived' | 'template' | 'never';

export type TruncateMode = 'delete-by-query' | 'recreate';

export type Authentication =
  | { readonly kind: 'none' }
  | { readonly kind: 'api-key'; readonly apiKey: string }
  | { readonly kind: 'basic'; readonly username: string; readonly password: string };

export interface ElasticsearchConfig {
  readonly flavour: Flavour;
  readonly nodes: readonly string[];
  readonly auth: Authentication;
  /** PEM text of the CA that signed the cluster's certificate, when not a public CA. */
  readonly caPem: string | null;
  readonly caFile: string | null;
  readonly indexPrefix: string;
  readonly bulkMaxBytes: number;
  readonly bulkMaxActions: number;
  /** `external` (a replay of the same version is a no-op) or `external_gte` (it rewrites). */
  readonly versionType: 'external' | 'external_gte';
  readonly decimalMapping: DecimalMapping;
  readonly indexCreation: IndexCreation;
  readonly indexShards: number | null;
  readonly indexReplicas: number | null;
  readonly truncateMode: TruncateMode;
  readonly refresh: 'false' | 'true' | 'wait_for';
  readonly requestTimeoutMs: number;
}

export const settingDocs: readonly SettingDoc[] = [
  {
    variable: 'SLUICE_ES_FLAVOUR',
    description: 'Client library: elasticsearch (@elastic/elasticsearch 8, for Elasticsearch 8/9) or opensearch (@opensearch-project/opensearch 3, for OpenSearch; tested on 2.19).',
    default: 'elasticsearch',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_ES_NODES',
    description: 'Cluster URLs, comma-separated (http:// or https://).',
    default: 'http://127.0.0.1:9200',
    required: false,
    secret: false,
  },
  { variable: 'SLUICE_ES_API_KEY', description: 'Elasticsearch API key (the base64 "id:key" form). elasticsearch flavour only.', required: false, secret: true },
  { variable: 'SLUICE_ES_API_KEY_FILE', description: 'File holding the API key; an alternative to SLUICE_ES_API_KEY.', required: false, secret: true },
  { variable: 'SLUICE_ES_USERNAME', description: 'User for HTTP basic authentication.', required: false, secret: false },
  { variable: 'SLUICE_ES_PASSWORD', description: 'Password for HTTP basic authentication.', required: false, secret: true },
  { variable: 'SLUICE_ES_PASSWORD_FILE', description: 'File holding the password; an alternative to SLUICE_ES_PASSWORD.', required: false, secret: true },
  { variable: 'SLUICE_ES_CA_FILE', description: 'PEM file of the CA that signed the cluster certificate (https nodes).', required: false, secret: false },
  {
    variable: 'SLUICE_ES_INDEX_PREFIX',
    description: 'Prepended to every index name; see the naming rule in docs/elasticsearch.md.',
    default: '',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_ES_BULK_MAX_BYTES',
    description: 'Largest _bulk request body in bytes; a batch is split into several requests above it.',
    default: '10485760',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_ES_BULK_MAX_ACTIONS',
    description: 'Most actions (index/delete) in one _bulk request.',
    default: '5000',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_ES_VERSION_TYPE',
    description: 'External versioning mode: external (an equal version is a no-op) or external_gte (an equal version rewrites the document).',
    default: 'external',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_ES_DECIMAL_MAPPING',
    description: 'Mapping of decimal columns: auto (scaled_float when precision <= 15, else keyword: never loses digits), scaled_float, keyword or double.',
    default: 'auto',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_ES_INDEX_CREATION',
    description: 'Missing index: derived (create with mappings from the table schema), template (create empty; templates decide), never (must exist).',
    default: 'derived',
    required: false,
    secret: false,
  },
  { variable: 'SLUICE_ES_INDEX_SHARDS', description: 'number_of_shards of created indices (unset: the cluster default).', required: false, secret: false },
  { variable: 'SLUICE_ES_INDEX_REPLICAS', description: 'number_of_replicas of created indices (unset: the cluster default).', required: false, secret: false },
  {
    variable: 'SLUICE_ES_TRUNCATE_MODE',
    description: 'How a source TRUNCATE empties an index: delete-by-query (keeps the index, its mapping and settings) or recreate (drop and create).',
    default: 'delete-by-query',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_ES_REFRESH',
    description: 'refresh parameter of _bulk: false (durable, visible after the next refresh), true, or wait_for.',
    default: 'false',
    required: false,
    secret: false,
  },
  { variable: 'SLUICE_ES_REQUEST_TIMEOUT_MS', description: 'Timeout of one HTTP request.', default: '60000', required: false, secret: false },
];

const nodeList = z
  .string()
  .transform((text) => text.split(',').map((item) => item.trim()).filter((item) => item.length > 0))
  .refine((urls) => urls.length > 0 && urls.every((url) => /^https?:\/\/[^\s/]+/.test(url)), 'must be a comma-separated list of http(s):// URLs');

/** Index names are lower case and may not contain \ / * ? " < > | , # : or spaces. */
const indexPrefix = z.string().refine((prefix) => !/[\\/*?"<>|,# :A-Z]/.test(prefix), 'must be lower case without \\ / * ? " < > | , # : or spaces');

/** Each variable's parser; a missing or empty variable means "use the default". */
const variableParsers = {
  SLUICE_ES_FLAVOUR: z.enum(['elasticsearch', 'opensearch']),
  SLUICE_ES_NODES: nodeList,
  SLUICE_ES_API_KEY: z.string().min(1),
  SLUICE_ES_API_KEY_FILE: z.string().min(1),
  SLUICE_ES_USERNAME: z.string().min(1),
  SLUICE_ES_PASSWORD: z.string(),
  SLUICE_ES_PASSWORD_FILE: z.string().min(1),
  SLUICE_ES_CA_FILE: z.string().min(1),
  SLUICE_ES_INDEX_PREFIX: indexPrefix,
  SLUICE_ES_BULK_MAX_BYTES: wholeNumber(1024, 2_147_483_647),
  SLUICE_ES_BULK_MAX_ACTIONS: wholeNumber(1, 1_000_000),
  SLUICE_ES_VERSION_TYPE: z.enum(['external', 'external_gte']),
  SLUICE_ES_DECIMAL_MAPPING: z.enum(['auto', 'scaled_float', 'keyword', 'double']),
  SLUICE_ES_INDEX_CREATION: z.enum(['derived', 'template', 'never']),
  SLUICE_ES_INDEX_SHARDS: wholeNumber(1, 1024),
  SLUICE_ES_INDEX_REPLICAS: wholeNumber(0, 100),
  SLUICE_ES_TRUNCATE_MODE: z.enum(['delete-by-query', 'recreate']),
  SLUICE_ES_REFRESH: z.enum(['false', 'true', 'wait_for']),
  SLUICE_ES_REQUEST_TIMEOUT_MS: wholeNumber(1, 2_147_483_647),
} as const;

const { read, secret } = envReader(variableParsers);

/** Secrets are given inline (VAR) or as a file (VAR_FILE) whose trailing newline is not part of them. */
const secretFile = { fileDescription: 'file', trimNewline: true } as const;

function readAuthentication(env: Environment, flavour: Flavour): Authentication {
  const apiKey = secret(env, 'SLUICE_ES_API_KEY', 'SLUICE_ES_API_KEY_FILE', secretFile)?.value ?? null;
  const username = read(env, 'SLUICE_ES_USERNAME');
  const password = secret(env, 'SLUICE_ES_PASSWORD', 'SLUICE_ES_PASSWORD_FILE', secretFile)?.value ?? null;
  if (apiKey !== null) {
    if (username !== undefined) throw new ConfigError('SLUICE_ES_USERNAME', 'set either an API key or a user name, not both');
    if (flavour === 'opensearch') throw new ConfigError('SLUICE_ES_API_KEY', 'API keys are an Elasticsearch feature; use basic authentication with the opensearch flavour');
    return { kind: 'api-key', apiKey };
  }
  if (username !== undefined) {
    if (password === null) throw new ConfigError('SLUICE_ES_PASSWORD', 'required when SLUICE_ES_USERNAME is set');
    return { kind: 'basic', username, password };
  }
  if (password !== null) throw new ConfigError('SLUICE_ES_USERNAME', 'required when a password is set');
  return { kind: 'none' };
}

export function parseConfig(env: Environment): ElasticsearchConfig {
  const flavour = read(env, 'SLUICE_ES_FLAVOUR') ?? 'elasticsearch';
  const caFile = read(env, 'SLUICE_ES_CA_FILE') ?? null;
  return {
    flavour,
    nodes: read(env, 'SLUICE_ES_NODES') ?? ['http://127.0.0.1:9200'],
    auth: readAuthentication(env, flavour),
    caFile,
    caPem: caFile === null ? null : readSettingFile('SLUICE_ES_CA_FILE', caFile),
    indexPrefix: read(env, 'SLUICE_ES_INDEX_PREFIX') ?? '',
    bulkMaxBytes: read(env, 'SLUICE_ES_BULK_MAX_BYTES') ?? 10 * 1024 * 1024,
    bulkMaxActions: read(env, 'SLUICE_ES_BULK_MAX_ACTIONS') ?? 5000,
    versionType: read(env, 'SLUICE_ES_VERSION_TYPE') ?? 'external',
    decimalMapping: read(env, 'SLUICE_ES_DECIMAL_MAPPING') ?? 'auto',
    indexCreation: read(env, 'SLUICE_ES_INDEX_CREATION') ?? 'derived',
    indexShards: read(env, 'SLUICE_ES_INDEX_SHARDS') ?? null,
    indexReplicas: read(env, 'SLUICE_ES_INDEX_REPLICAS') ?? null,
    truncateMode: read(env, 'SLUICE_ES_TRUNCATE_MODE') ?? 'delete-by-query',
    refresh: read(env, 'SLUICE_ES_REFRESH') ?? 'false',
    requestTimeoutMs: read(env, 'SLUICE_ES_REQUEST_TIMEOUT_MS') ?? 60_000,
  };
}

/** The effective configuration for the start-up log line: secrets replaced by what kind they are. */
export function describeConfig(config: ElasticsearchConfig): Record<string, unknown> {
  return {
    flavour: config.flavour,
    nodes: config.nodes.map(withoutUrlCredentials),
    auth: config.auth.kind === 'basic' ? `basic (user ${config.auth.username}, password ***)` : config.auth.kind === 'api-key' ? 'api-key ***' : 'none',
    caFile: config.caFile,
    indexPrefix: config.indexPrefix,
    bulkMaxBytes: config.bulkMaxBytes,
    bulkMaxActions: config.bulkMaxActions,
    versionType: config.versionType,
    decimalMapping: config.decimalMapping,
    indexCreation: config.indexCreation,
    indexShards: config.indexShards,
    indexReplicas: config.indexReplicas,
    truncateMode: config.truncateMode,
    refresh: config.refresh,
    requestTimeoutMs: config.requestTimeoutMs,
  };
}

function withoutUrlCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username !== '' || parsed.password !== '') {
      parsed.username = '***';
      parsed.password = '';
    }
    return parsed.toString();
  } catch {
    return '(invalid URL)';
  }
}
