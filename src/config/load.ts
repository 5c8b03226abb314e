/**
 * Reads the environment exactly once at start-up. A missing or invalid setting raises
 * ConfigError naming the variable; the entry point turns that into exit code 2.
 */
import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.ts';
import { type CoreSettingName, type CoreSettingValues, coreSettings } from './settings.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

export interface SluiceConfig {
  readonly destination: string;
  readonly kafka: {
    readonly brokers: readonly string[];
    readonly client: 'kafkajs' | 'confluent';
    readonly clientId: string;
    readonly groupId: string;
    readonly topics: readonly string[] | RegExp;
    readonly fromBeginning: boolean;
    readonly fetchMaxBytes: number;
    readonly partitionFetchMaxBytes: number;
    readonly fetchMaxWaitMs: number;
    readonly sessionTimeoutMs: number;
    readonly heartbeatIntervalMs: number;
    readonly ssl: boolean;
    readonly sasl: { readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; readonly username: string; readonly password: string } | null;
  };
  readonly decoding: {
    readonly format: 'json' | 'avro';
    readonly schemas: 'auto' | 'embedded' | 'none';
    readonly unavailableValuePlaceholder: string;
    /** Set when format is 'avro'. */
    readonly schemaRegistry: { readonly url: string; readonly username?: string; readonly password?: string; readonly caFile?: string } | null;
  };
  readonly dlqTopic: string;
  readonly naming: { readonly rule: 'source' | 'table' | 'topic'; readonly prefix: string };
  readonly batch: { readonly minRows: number; readonly maxRows: number; readonly lingerMs: number };
  readonly control: {
    readonly adaptive: boolean;
    readonly fixedBatchRows: number;
    readonly fixedConcurrency: number;
    readonly concurrencyMax: number;
    readonly latencyTargetMs: number;
    readonly maxInflightBytes: number;
    readonly intervalMs: number;
    readonly lagSampleIntervalMs: number;
  };
  readonly commitIntervalMs: number;
  readonly delivery: 'at-least-once' | 'exactly-once';
  readonly retry: { readonly maxAttempts: number; readonly baseMs: number; readonly maxMs: number };
  readonly shutdownTimeoutMs: number;
  readonly http: { readonly host: string; readonly port: number };
  readonly readiness: { readonly stallMs: number; readonly sinkFailureMs: number };
  readonly retentionWarningSeconds: number;
  readonly logLevel: string;
}

/** Resolves VAR or VAR_FILE for secrets; a file's trailing newline is not part of the secret. */
export function readSecretVariable(env: Environment, variable: string): string | undefined {
  const direct = env[variable];
  if (direct !== undefined && direct !== '') return direct;
  const path = env[`${variable}_FILE`];
  if (path === undefined || path === '') return undefined;
  try {
    return readFileSync(path, 'utf8').replace(/\r?\n$/, '');
  } catch (error) {
    throw new ConfigError(`${variable}_FILE`, `cannot read the file '${path}': ${(error as Error).message}`);
  }
}

function parseCoreSettings(env: Environment): CoreSettingValues {
  const values: Partial<Record<CoreSettingName, unknown>> = {};
  for (const [name, spec] of Object.entries(coreSettings) as [CoreSettingName, (typeof coreSettings)[CoreSettingName]][]) {
    const raw = spec.secret === true ? readSecretVariable(env, name) : env[name];
    const input = raw === '' ? undefined : raw;
    if (input === undefined && spec.required === true) {
      throw new ConfigError(name, `is required: ${spec.description}`);
    }
    const parsed = spec.schema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ConfigError(name, `invalid value ${JSON.stringify(input)}: ${issue?.message ?? 'rejected'}`);
    }
    values[name] = parsed.data;
  }
  return values as CoreSettingValues;
}

function schemaRegistryOf(s: CoreSettingValues): SluiceConfig['decoding']['schemaRegistry'] {
  if (s.SLUICE_VALUE_FORMAT !== 'avro') return null;
  const url = s.SLUICE_SCHEMA_REGISTRY_URL;
  if (url === undefined) throw new ConfigError('SLUICE_SCHEMA_REGISTRY_URL', 'is required when SLUICE_VALUE_FORMAT=avro');
  if (s.SLUICE_SCHEMA_REGISTRY_PASSWORD !== undefined && s.SLUICE_SCHEMA_REGISTRY_USERNAME === undefined) {
    throw new ConfigError('SLUICE_SCHEMA_REGISTRY_USERNAME', 'is required when SLUICE_SCHEMA_REGISTRY_PASSWORD is set');
  }
  return {
    url,
    ...(s.SLUICE_SCHEMA_REGISTRY_USERNAME !== undefined ? { username: s.SLUICE_SCHEMA_REGISTRY_USERNAME, password: s.SLUICE_SCHEMA_REGISTRY_PASSWORD ?? '' } : {}),
    ...(s.SLUICE_SCHEMA_REGISTRY_CA_FILE !== undefined ? { caFile: s.SLUICE_SCHEMA_REGISTRY_CA_FILE } : {}),
  };
}

export function loadConfig(env: Environment): SluiceConfig {
  const s = parseCoreSettings(env);
  const topics = resolveTopics(s.SLUICE_TOPICS, s.SLUICE_TOPIC_PATTERN);
  if (s.SLUICE_BATCH_MIN_ROWS > s.SLUICE_BATCH_MAX_ROWS) {
    throw new ConfigError('SLUICE_BATCH_MIN_ROWS', `must not exceed SLUICE_BATCH_MAX_ROWS (${s.SLUICE_BATCH_MAX_ROWS})`);
  }
  const groupId = s.SLUICE_GROUP_ID ?? `sluice-${s.SLUICE_DESTINATION}`;
  let sasl: SluiceConfig['kafka']['sasl'] = null;
  if (s.SLUICE_KAFKA_SASL_MECHANISM !== 'none') {
    if (s.SLUICE_KAFKA_SASL_USERNAME === undefined) throw new ConfigError('SLUICE_KAFKA_SASL_USERNAME', `is required when SLUICE_KAFKA_SASL_MECHANISM=${s.SLUICE_KAFKA_SASL_MECHANISM}`);
    if (s.SLUICE_KAFKA_SASL_PASSWORD === undefined) throw new ConfigError('SLUICE_KAFKA_SASL_PASSWORD', `is required when SLUICE_KAFKA_SASL_MECHANISM=${s.SLUICE_KAFKA_SASL_MECHANISM}`);
    sasl = { mechanism: s.SLUICE_KAFKA_SASL_MECHANISM, username: s.SLUICE_KAFKA_SASL_USERNAME, password: s.SLUICE_KAFKA_SASL_PASSWORD };
  }
  if (s.SLUICE_DELIVERY === 'exactly-once' && s.SLUICE_DESTINATION !== 'postgres') {
    throw new ConfigError('SLUICE_DELIVERY', `exactly-once is supported for the postgres destination only, not ${s.SLUICE_DESTINATION}`);
  }
  return {
    destination: s.SLUICE_DESTINATION,
    kafka: {
      brokers: s.SLUICE_KAFKA_BROKERS,
      client: s.SLUICE_KAFKA_CLIENT,
      clientId: s.SLUICE_KAFKA_CLIENT_ID,
      groupId,
      topics,
      fromBeginning: s.SLUICE_FROM_BEGINNING,
      fetchMaxBytes: s.SLUICE_FETCH_MAX_BYTES,
      partitionFetchMaxBytes: s.SLUICE_PARTITION_FETCH_MAX_BYTES,
      fetchMaxWaitMs: s.SLUICE_FETCH_MAX_WAIT_MS,
      sessionTimeoutMs: s.SLUICE_SESSION_TIMEOUT_MS,
      heartbeatIntervalMs: s.SLUICE_HEARTBEAT_INTERVAL_MS,
      ssl: s.SLUICE_KAFKA_SSL,
      sasl,
    },
    decoding: {
      format: s.SLUICE_VALUE_FORMAT,
      schemas: s.SLUICE_JSON_SCHEMAS,
      unavailableValuePlaceholder: s.SLUICE_UNAVAILABLE_VALUE_PLACEHOLDER,
      schemaRegistry: schemaRegistryOf(s),
    },
    dlqTopic: s.SLUICE_DLQ_TOPIC ?? `${groupId}.dlq`,
    naming: { rule: s.SLUICE_TABLE_NAMING, prefix: s.SLUICE_TABLE_PREFIX },
    batch: { minRows: s.SLUICE_BATCH_MIN_ROWS, maxRows: s.SLUICE_BATCH_MAX_ROWS, lingerMs: s.SLUICE_BATCH_LINGER_MS },
    control: {
      adaptive: s.SLUICE_ADAPTIVE,
      fixedBatchRows: s.SLUICE_FIXED_BATCH_ROWS,
      fixedConcurrency: s.SLUICE_FIXED_CONCURRENCY,
      concurrencyMax: s.SLUICE_CONCURRENCY_MAX,
      latencyTargetMs: s.SLUICE_LATENCY_TARGET_MS,
      maxInflightBytes: s.SLUICE_MAX_INFLIGHT_BYTES,
      intervalMs: s.SLUICE_CONTROL_INTERVAL_MS,
      lagSampleIntervalMs: s.SLUICE_LAG_SAMPLE_INTERVAL_MS,
    },
    commitIntervalMs: s.SLUICE_COMMIT_INTERVAL_MS,
    delivery: s.SLUICE_DELIVERY,
    retry: { maxAttempts: s.SLUICE_RETRY_MAX_ATTEMPTS, baseMs: s.SLUICE_RETRY_BASE_MS, maxMs: s.SLUICE_RETRY_MAX_MS },
    shutdownTimeoutMs: s.SLUICE_SHUTDOWN_TIMEOUT_MS,
    http: { host: s.SLUICE_HTTP_HOST, port: s.SLUICE_HTTP_PORT },
    readiness: { stallMs: s.SLUICE_READY_STALL_MS, sinkFailureMs: s.SLUICE_READY_SINK_FAILURE_MS },
    retentionWarningSeconds: s.SLUICE_RETENTION_WARNING_SECONDS,
    logLevel: s.SLUICE_LOG_LEVEL,
  };
}

function resolveTopics(list: readonly string[] | undefined, pattern: string | undefined): readonly string[] | RegExp {
  if (list !== undefined && list.length > 0 && pattern !== undefined) {
    throw new ConfigError('SLUICE_TOPIC_PATTERN', 'set either SLUICE_TOPICS or SLUICE_TOPIC_PATTERN, not both');
  }
  if (pattern !== undefined) return new RegExp(pattern);
  if (list === undefined || list.length === 0) {
    throw new ConfigError('SLUICE_TOPICS', 'is required (or SLUICE_TOPIC_PATTERN): the topics to consume');
  }
  return list;
}

/**
 * The effective settings for the start-up log line: every SLUICE_* variable that is set, with
 * secrets replaced by '***'. A variable is secret when a schema says so or its name says so.
 */
export function maskedEnvironment(env: Environment, secretVariables: ReadonlySet<string>): Record<string, string> {
  const shown: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('SLUICE_') || value === undefined) continue;
    const looksSecret = secretVariables.has(name) || /PASSWORD|SECRET|TOKEN|PRIVATE_KEY|API_KEY|CREDENTIALS/.test(name);
    shown[name] = looksSecret && !name.endsWith('_FILE') ? '***' : value;
  }
  return shown;
}

export function coreSecretVariables(): Set<string> {
  return new Set(Object.entries(coreSettings).filter(([, spec]) => 'secret' in spec && spec.secret === true).map(([name]) => name));
}
