/**
 * Every core setting of sluice, declared once. Each entry is an environment variable with its
 * zod schema and its documentation; the README's settings table is generated from (and checked
 * against) this list, and start-up validation reads nothing else. Connector settings
 * (SLUICE_PG_*, SLUICE_SNOWFLAKE_*, ...) are declared by each connector the same way.
 */
import { z } from 'zod';

export interface SettingSpec<T> {
  readonly schema: z.ZodType<T, z.ZodTypeDef, unknown>;
  readonly description: string;
  /** Shown in docs; the schema's own default is what applies. */
  readonly defaultText?: string;
  /** Secrets can be given as VAR or VAR_FILE (a path), and are masked in every log line. */
  readonly secret?: boolean;
  readonly required?: boolean;
}

function setting<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, description: string, extra: Omit<SettingSpec<T>, 'schema' | 'description'> = {}): SettingSpec<T> {
  return { schema, description, ...extra };
}

const positiveInt = z.coerce.number({ invalid_type_error: 'expected a whole number' }).int('expected a whole number').positive('expected a number above 0');
const nonNegativeInt = z.coerce.number({ invalid_type_error: 'expected a whole number' }).int('expected a whole number').min(0, 'expected 0 or more');
const booleanText = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { errorMap: () => ({ message: 'expected true or false' }) })
  .transform((text) => text === 'true' || text === '1' || text === 'yes');
const commaList = z
  .string()
  .transform((text) => text.split(',').map((item) => item.trim()).filter((item) => item.length > 0));
const brokerList = commaList.refine((brokers) => brokers.length > 0 && brokers.every((broker) => /^[^\s:]+:\d+$/.test(broker)), {
  message: 'expected a comma-separated list of host:port',
});
const regexText = z.string().refine(
  (text) => {
    try {
      new RegExp(text);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'expected a valid regular expression' },
);

export const coreSettings = {
  SLUICE_DESTINATION: setting(z.string().min(1), 'Which writer this deployment runs: postgres, snowflake, bigquery or elasticsearch (one destination per container).', { required: true }),
  SLUICE_KAFKA_BROKERS: setting(brokerList, 'Kafka bootstrap servers, comma-separated host:port.', { required: true }),
  SLUICE_KAFKA_CLIENT: setting(z.enum(['kafkajs', 'confluent']).default('kafkajs'), 'Kafka client library: kafkajs or confluent (@confluentinc/kafka-javascript, librdkafka). See docs/kafka-clients.md.', { defaultText: 'kafkajs' }),
  SLUICE_KAFKA_CLIENT_ID: setting(z.string().min(1).default('sluice'), 'Kafka client id.', { defaultText: 'sluice' }),
  SLUICE_KAFKA_SASL_MECHANISM: setting(z.enum(['none', 'plain', 'scram-sha-256', 'scram-sha-512']).default('none'), 'SASL mechanism for the brokers.', { defaultText: 'none' }),
  SLUICE_KAFKA_SASL_USERNAME: setting(z.string().optional(), 'SASL user name.'),
  SLUICE_KAFKA_SASL_PASSWORD: setting(z.string().optional(), 'SASL password (or SLUICE_KAFKA_SASL_PASSWORD_FILE).', { secret: true }),
  SLUICE_KAFKA_SSL: setting(booleanText.default('false'), 'Use TLS to the brokers.', { defaultText: 'false' }),
  SLUICE_GROUP_ID: setting(z.string().min(1).optional(), 'Consumer group id. Replicas of one deployment share it.', { defaultText: 'sluice-<destination>' }),
  SLUICE_TOPICS: setting(commaList.optional(), 'Topics to consume, comma-separated. Either this or SLUICE_TOPIC_PATTERN.'),
  SLUICE_TOPIC_PATTERN: setting(regexText.optional(), 'Regular expression of topics to consume, e.g. ^dbserver1\\.public\\..*'),
  SLUICE_FROM_BEGINNING: setting(booleanText.default('true'), 'A new group starts at the earliest offset (true) or the latest (false).', { defaultText: 'true' }),
  // 8 MiB / 2 MiB rather than the article's 50 MiB / 10 MiB: on the pg-throughput backlog as fast
  // or faster and ~8 % less CPU per record (docs/performance.md). Every fetch response is held
  // (and copied once by kafkajs) outside the in-flight budget, which reserves fetch.max.bytes of
  // headroom; large fetches also made a pause drop batches already fetched, read again later.
  SLUICE_FETCH_MAX_BYTES: setting(positiveInt.default(8_388_608), 'Kafka fetch.max.bytes: the most one fetch response holds. Also the headroom the memory budget keeps for a response already under way when partitions pause.', { defaultText: '8388608' }),
  SLUICE_PARTITION_FETCH_MAX_BYTES: setting(positiveInt.default(2_097_152), 'Kafka max.partition.fetch.bytes.', { defaultText: '2097152' }),
  SLUICE_FETCH_MAX_WAIT_MS: setting(positiveInt.default(100), 'Kafka fetch.max.wait.ms.', { defaultText: '100' }),
  SLUICE_SESSION_TIMEOUT_MS: setting(positiveInt.default(30_000), 'Consumer group session timeout.', { defaultText: '30000' }),
  SLUICE_HEARTBEAT_INTERVAL_MS: setting(positiveInt.default(3_000), 'Consumer group heartbeat interval.', { defaultText: '3000' }),
  SLUICE_VALUE_FORMAT: setting(z.enum(['json', 'avro']).default('json'), 'Encoding of change events: json (JsonConverter, with or without embedded schema) or avro (Confluent wire format: magic byte, schema id, Avro; schemas from SLUICE_SCHEMA_REGISTRY_URL).', { defaultText: 'json' }),
  SLUICE_SCHEMA_REGISTRY_URL: setting(z.string().url().optional(), 'Confluent-compatible schema registry for SLUICE_VALUE_FORMAT=avro, e.g. http://registry:8081 or an Apicurio base http://registry:8080/apis/ccompat/v7.'),
  SLUICE_SCHEMA_REGISTRY_USERNAME: setting(z.string().min(1).optional(), 'Basic-auth user for the schema registry.'),
  SLUICE_SCHEMA_REGISTRY_PASSWORD: setting(z.string().optional(), 'Basic-auth password for the schema registry (or SLUICE_SCHEMA_REGISTRY_PASSWORD_FILE).', { secret: true }),
  SLUICE_SCHEMA_REGISTRY_CA_FILE: setting(z.string().min(1).optional(), 'PEM file of the CA that signed the schema registry certificate (https URLs with a private CA).'),
  SLUICE_JSON_SCHEMAS: setting(z.enum(['auto', 'embedded', 'none']).default('auto'), 'JSON events: auto = an envelope {schema, payload} carries a schema, anything else is a bare payload; embedded = every event must carry one (JsonConverter schemas.enable=true); none = events are bare payloads.', { defaultText: 'auto' }),
  SLUICE_UNAVAILABLE_VALUE_PLACEHOLDER: setting(z.string().min(1).default('__debezium_unavailable_value'), "Debezium's unavailable.value.placeholder: a column with this value (unchanged TOAST) is left as it is in the target.", { defaultText: '__debezium_unavailable_value' }),
  SLUICE_DLQ_TOPIC: setting(z.string().min(1).optional(), 'Dead-letter topic for events that can never be written; each carries its reason in headers.', { defaultText: '<group>.dlq' }),
  SLUICE_TABLE_NAMING: setting(z.enum(['source', 'table', 'topic']).default('source'), 'Target table name: source = source.schema + source.table, table = source.table in the default namespace, topic = the topic name.', { defaultText: 'source' }),
  SLUICE_TABLE_PREFIX: setting(z.string().default(''), 'Prefix added to every target table name.', { defaultText: '' }),
  SLUICE_BATCH_MIN_ROWS: setting(positiveInt.default(1_000), 'Smallest batch the controller chooses.', { defaultText: '1000' }),
  SLUICE_BATCH_MAX_ROWS: setting(positiveInt.default(10_000), 'Largest batch the controller chooses.', { defaultText: '10000' }),
  SLUICE_BATCH_LINGER_MS: setting(positiveInt.default(200), 'A partly full batch is written after waiting this long.', { defaultText: '200' }),
  SLUICE_CONCURRENCY_MAX: setting(positiveInt.default(4), 'Most writes in flight at once.', { defaultText: '4' }),
  SLUICE_ADAPTIVE: setting(booleanText.default('true'), 'Let the controller size batches and concurrency. false = fixed at SLUICE_FIXED_BATCH_ROWS and SLUICE_FIXED_CONCURRENCY.', { defaultText: 'true' }),
  SLUICE_FIXED_BATCH_ROWS: setting(positiveInt.default(1_000), 'Batch size when SLUICE_ADAPTIVE=false.', { defaultText: '1000' }),
  SLUICE_FIXED_CONCURRENCY: setting(positiveInt.default(1), 'Concurrency when SLUICE_ADAPTIVE=false.', { defaultText: '1' }),
  SLUICE_LATENCY_TARGET_MS: setting(positiveInt.default(2_000), 'Write latency the controller keeps batches under.', { defaultText: '2000' }),
  // 64 MiB: on the pg-throughput backlog as fast as 128 MiB (three alternating runs), with
  // ~150 MiB less peak RSS; the process holds about twice the budget (decoded rows, garbage not
  // yet collected) on top of a ~150 MiB base (docs/performance.md, memory).
  SLUICE_MAX_INFLIGHT_BYTES: setting(positiveInt.default(67_108_864), 'Memory budget: buffered plus in-flight records (raw bytes plus an estimate of each decoded change) never exceed this; partitions are paused before it is reached. Peak RSS is roughly 150 MiB plus twice this.', { defaultText: '67108864' }),
  SLUICE_CONTROL_INTERVAL_MS: setting(positiveInt.default(1_000), 'How often the controller decides.', { defaultText: '1000' }),
  SLUICE_LAG_SAMPLE_INTERVAL_MS: setting(positiveInt.default(5_000), 'How often lag is read from the broker.', { defaultText: '5000' }),
  SLUICE_COMMIT_INTERVAL_MS: setting(positiveInt.default(1_000), 'How often written offsets are committed.', { defaultText: '1000' }),
  SLUICE_DELIVERY: setting(z.enum(['at-least-once', 'exactly-once']).default('at-least-once'), 'exactly-once stores offsets in the destination in the same transaction as the rows (postgres only).', { defaultText: 'at-least-once' }),
  SLUICE_RETRY_MAX_ATTEMPTS: setting(nonNegativeInt.default(0), 'Attempts for a retryable write before the service stops; 0 = retry forever (nothing is ever dropped).', { defaultText: '0' }),
  SLUICE_RETRY_BASE_MS: setting(positiveInt.default(200), 'First retry backoff; doubles each attempt, with jitter.', { defaultText: '200' }),
  SLUICE_RETRY_MAX_MS: setting(positiveInt.default(30_000), 'Longest retry backoff.', { defaultText: '30000' }),
  SLUICE_SHUTDOWN_TIMEOUT_MS: setting(positiveInt.default(30_000), 'On SIGTERM, time allowed to finish in-flight writes and commit.', { defaultText: '30000' }),
  SLUICE_READY_STALL_MS: setting(positiveInt.default(60_000), '/readyz fails when records are waiting but nothing was committed for this long.', { defaultText: '60000' }),
  SLUICE_READY_SINK_FAILURE_MS: setting(positiveInt.default(30_000), '/readyz fails when every write has failed for this long.', { defaultText: '30000' }),
  SLUICE_RETENTION_WARNING_SECONDS: setting(positiveInt.default(3_600), 'Warn when lag would outrun topic retention within this many seconds.', { defaultText: '3600' }),
  SLUICE_HTTP_HOST: setting(z.string().min(1).default('127.0.0.1'), 'Address of the metrics, health and status server (0.0.0.0 in containers).', { defaultText: '127.0.0.1' }),
  SLUICE_HTTP_PORT: setting(nonNegativeInt.default(8080), 'Port of the metrics, health and status server; 0 = any free port.', { defaultText: '8080' }),
  SLUICE_LOG_LEVEL: setting(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'), 'Log level.', { defaultText: 'info' }),
} as const;

export type CoreSettingName = keyof typeof coreSettings;
export type CoreSettingValues = { [K in CoreSettingName]: z.output<(typeof coreSettings)[K]['schema']> };
