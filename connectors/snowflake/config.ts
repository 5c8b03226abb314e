/**
 * Settings of the Snowflake writer (SLUICE_SNOWFLAKE_*), parsed once from the environment.
 * `settingDocs` is the documentation (docs/snowflake.md's table lists the same variables);
 * parsing throws a ConfigError naming the first bad variable and never repeats a value (it may be
 * a secret). Authentication is by key pair (JWT) when a private key is given, else by password;
 * an encrypted key is decrypted here with its passphrase so a wrong passphrase stops the service
 * at start. `describeConfig` is the loggable view: secrets are masked.
 */
import { createPrivateKey } from 'node:crypto';
import { z } from 'zod';
import { booleanText, type Environment, envReader, settingDoc as doc, wholeNumber } from '../../src/config/env-reader.ts';
import { ConfigError } from '../../src/errors.ts';
import type { SettingDoc } from '../../src/writer/types.ts';

export type SnowflakeAuth =
  | { readonly kind: 'password'; readonly password: string }
  /** The private key as unencrypted PKCS#8 PEM (decrypted at parse time when it had a passphrase). */
  | { readonly kind: 'key-pair'; readonly privateKeyPem: string };

/** How TargetTable names become Snowflake identifiers (always quoted). */
export type IdentifierCase = 'preserve' | 'upper';

export interface SnowflakeConfig {
  readonly account: string;
  /** http(s)://host[:port]; null = derived by the SDK from the account. */
  readonly accessUrl: string | null;
  readonly user: string;
  readonly auth: SnowflakeAuth;
  readonly role: string | null;
  readonly warehouse: string | null;
  readonly database: string;
  /** Schema for tables whose naming rule gives no namespace; also holds the staging tables. */
  readonly schema: string;
  readonly identifierCase: IdentifierCase;
  readonly softDelete: boolean;
  readonly autoCreate: boolean;
  /** Sessions, i.e. how many batches can be written at once. */
  readonly poolSize: number;
  /** Largest staging document bound in one INSERT (Snowflake caps a bound text at 16 MB). */
  readonly stageChunkBytes: number;
  /** STATEMENT_TIMEOUT_IN_SECONDS for the session; 0 = leave the account/warehouse setting. */
  readonly statementTimeoutSeconds: number;
  /** STATEMENT_QUEUED_TIMEOUT_IN_SECONDS for the session; 0 = leave the account/warehouse setting. */
  readonly queuedTimeoutSeconds: number;
  /** Client-side limit on one HTTP request to Snowflake. */
  readonly requestTimeoutMs: number;
}

export const settingDocs: readonly SettingDoc[] = [
  doc('SLUICE_SNOWFLAKE_ACCOUNT', 'Account identifier (orgname-accountname or the account locator).', { required: true }),
  doc('SLUICE_SNOWFLAKE_ACCESS_URL', 'Full URL of the account (https://<account>.snowflakecomputing.com, or an emulator on loopback). Derived from the account when unset.'),
  doc('SLUICE_SNOWFLAKE_USER', 'User to log in as.', { required: true }),
  doc('SLUICE_SNOWFLAKE_PASSWORD', 'Password authentication. Ignored when a private key is set.', { secret: true }),
  doc('SLUICE_SNOWFLAKE_PRIVATE_KEY', 'Key-pair (JWT) authentication: the PEM private key itself.', { secret: true }),
  doc('SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE', 'Key-pair (JWT) authentication: path of the PEM private key (alternative to SLUICE_SNOWFLAKE_PRIVATE_KEY).'),
  doc('SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE', 'Passphrase of an encrypted private key.', { secret: true }),
  doc('SLUICE_SNOWFLAKE_ROLE', 'Role of the session; the user default role when unset.'),
  doc('SLUICE_SNOWFLAKE_WAREHOUSE', 'Warehouse that runs the loads and MERGEs; the user default warehouse when unset.'),
  doc('SLUICE_SNOWFLAKE_DATABASE', 'Database that receives the tables.', { required: true }),
  doc('SLUICE_SNOWFLAKE_SCHEMA', 'Schema for tables whose naming rule gives none (SLUICE_TABLE_NAMING=table|topic); also holds the temporary staging tables.', {
    default: 'PUBLIC',
  }),
  doc('SLUICE_SNOWFLAKE_IDENTIFIER_CASE', 'preserve: table, schema and column names keep their case (quoted, case-sensitive); upper: names are upper-cased so that unquoted SQL finds them (names differing only in case then collide).', {
    default: 'preserve',
  }),
  doc('SLUICE_SNOWFLAKE_SOFT_DELETE', 'true: deletes set __sluice_deleted = TRUE instead of removing the row; every write sets __sluice_synced_at.', { default: 'false' }),
  doc('SLUICE_SNOWFLAKE_AUTO_CREATE', 'Create missing schemas and tables and add new columns (true|false). When false a missing table or column stops the service.', {
    default: 'true',
  }),
  doc('SLUICE_SNOWFLAKE_POOL_SIZE', 'Sessions kept open; bounds how many batches are written at once.', { default: '4' }),
  doc('SLUICE_SNOWFLAKE_STAGE_CHUNK_BYTES', 'Largest staging document bound in one INSERT; larger batches are loaded in several INSERTs.', { default: '8388608' }),
  doc('SLUICE_SNOWFLAKE_STATEMENT_TIMEOUT_S', 'STATEMENT_TIMEOUT_IN_SECONDS set on each session; a statement cancelled by it is reported as backpressure. 0 leaves the account setting.', {
    default: '600',
  }),
  doc('SLUICE_SNOWFLAKE_QUEUED_TIMEOUT_S', 'STATEMENT_QUEUED_TIMEOUT_IN_SECONDS set on each session: how long a statement may wait for the warehouse before it is cancelled and reported as backpressure. 0 leaves the account setting.', {
    default: '120',
  }),
  doc('SLUICE_SNOWFLAKE_REQUEST_TIMEOUT_MS', 'Client-side limit on one request to Snowflake.', { default: '900000' }),
];

const objectName = z
  .string()
  .min(1)
  .max(255, 'must be at most 255 characters')
  .refine((name) => !name.includes('\u0000'), 'must not contain NUL');

const variableParsers = {
  SLUICE_SNOWFLAKE_ACCOUNT: z.string().regex(/^[A-Za-z0-9._-]+$/, 'must be an account identifier (letters, digits, . _ -)'),
  SLUICE_SNOWFLAKE_ACCESS_URL: z
    .string()
    .url('must be a URL')
    .refine((url) => /^https?:\/\//.test(url), 'must start with http:// or https://'),
  SLUICE_SNOWFLAKE_USER: z.string().min(1),
  SLUICE_SNOWFLAKE_PASSWORD: z.string().min(1),
  SLUICE_SNOWFLAKE_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }),
  SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE: z.string().min(1),
  SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE: z.string().min(1),
  SLUICE_SNOWFLAKE_ROLE: objectName,
  SLUICE_SNOWFLAKE_WAREHOUSE: objectName,
  SLUICE_SNOWFLAKE_DATABASE: objectName,
  SLUICE_SNOWFLAKE_SCHEMA: objectName,
  SLUICE_SNOWFLAKE_IDENTIFIER_CASE: z.enum(['preserve', 'upper']),
  SLUICE_SNOWFLAKE_SOFT_DELETE: booleanText,
  SLUICE_SNOWFLAKE_AUTO_CREATE: booleanText,
  SLUICE_SNOWFLAKE_POOL_SIZE: wholeNumber(1, 64),
  SLUICE_SNOWFLAKE_STAGE_CHUNK_BYTES: wholeNumber(1024, 16 * 1024 * 1024),
  SLUICE_SNOWFLAKE_STATEMENT_TIMEOUT_S: wholeNumber(0, 604_800),
  SLUICE_SNOWFLAKE_QUEUED_TIMEOUT_S: wholeNumber(0, 604_800),
  SLUICE_SNOWFLAKE_REQUEST_TIMEOUT_MS: wholeNumber(1000, 86_400_000),
} as const;

/** Secrets are taken as given: surrounding whitespace may be part of them (a PEM's final newline). */
const { read, required, secret } = envReader(variableParsers, {
  verbatim: ['SLUICE_SNOWFLAKE_PRIVATE_KEY', 'SLUICE_SNOWFLAKE_PASSWORD', 'SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE'],
});

/** The PEM of the configured key, decrypted and re-exported as unencrypted PKCS#8. */
function readPrivateKey(env: Environment): string | null {
  const source = secret(env, 'SLUICE_SNOWFLAKE_PRIVATE_KEY', 'SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE', { fileDescription: 'private key file', trimNewline: false });
  const passphrase = read(env, 'SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE');
  if (source === undefined) {
    if (passphrase !== undefined) throw new ConfigError('SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE', 'is set but no private key is');
    return null;
  }
  const { value: pem, variable } = source;
  try {
    const key = createPrivateKey(passphrase === undefined ? { key: pem, format: 'pem' } : { key: pem, format: 'pem', passphrase });
    if (key.asymmetricKeyType !== 'rsa') throw new ConfigError(variable, 'must be an RSA private key (Snowflake key-pair authentication uses RSA)');
    return key.export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    const encrypted = /ENCRYPTED/.test(pem);
    throw new ConfigError(
      encrypted ? 'SLUICE_SNOWFLAKE_PRIVATE_KEY_PASSPHRASE' : variable,
      encrypted ? 'cannot decrypt the private key (wrong or missing passphrase)' : 'is not a readable PEM private key',
    );
  }
}

function readAuth(env: Environment): SnowflakeAuth {
  const privateKeyPem = readPrivateKey(env);
  if (privateKeyPem !== null) return { kind: 'key-pair', privateKeyPem };
  const password = read(env, 'SLUICE_SNOWFLAKE_PASSWORD');
  if (password === undefined) {
    throw new ConfigError('SLUICE_SNOWFLAKE_PASSWORD', 'is required unless SLUICE_SNOWFLAKE_PRIVATE_KEY or SLUICE_SNOWFLAKE_PRIVATE_KEY_FILE is set');
  }
  return { kind: 'password', password };
}

export function parseSnowflakeConfig(env: Environment): SnowflakeConfig {
  return {
    account: required(env, 'SLUICE_SNOWFLAKE_ACCOUNT'),
    accessUrl: read(env, 'SLUICE_SNOWFLAKE_ACCESS_URL')?.replace(/\/+$/, '') ?? null,
    user: required(env, 'SLUICE_SNOWFLAKE_USER'),
    auth: readAuth(env),
    role: read(env, 'SLUICE_SNOWFLAKE_ROLE') ?? null,
    warehouse: read(env, 'SLUICE_SNOWFLAKE_WAREHOUSE') ?? null,
    database: required(env, 'SLUICE_SNOWFLAKE_DATABASE'),
    schema: read(env, 'SLUICE_SNOWFLAKE_SCHEMA') ?? 'PUBLIC',
    identifierCase: read(env, 'SLUICE_SNOWFLAKE_IDENTIFIER_CASE') ?? 'preserve',
    softDelete: read(env, 'SLUICE_SNOWFLAKE_SOFT_DELETE') ?? false,
    autoCreate: read(env, 'SLUICE_SNOWFLAKE_AUTO_CREATE') ?? true,
    poolSize: read(env, 'SLUICE_SNOWFLAKE_POOL_SIZE') ?? 4,
    stageChunkBytes: read(env, 'SLUICE_SNOWFLAKE_STAGE_CHUNK_BYTES') ?? 8 * 1024 * 1024,
    statementTimeoutSeconds: read(env, 'SLUICE_SNOWFLAKE_STATEMENT_TIMEOUT_S') ?? 600,
    queuedTimeoutSeconds: read(env, 'SLUICE_SNOWFLAKE_QUEUED_TIMEOUT_S') ?? 120,
    requestTimeoutMs: read(env, 'SLUICE_SNOWFLAKE_REQUEST_TIMEOUT_MS') ?? 900_000,
  };
}

/** The effective configuration for the start-up log line; secrets are masked. */
export function describeConfig(config: SnowflakeConfig): Record<string, string | number | boolean | null> {
  return {
    account: config.account,
    accessUrl: config.accessUrl,
    user: config.user,
    auth: config.auth.kind === 'password' ? 'password (***)' : 'key-pair (***)',
    role: config.role,
    warehouse: config.warehouse,
    database: config.database,
    schema: config.schema,
    identifierCase: config.identifierCase,
    softDelete: config.softDelete,
    autoCreate: config.autoCreate,
    poolSize: config.poolSize,
    stageChunkBytes: config.stageChunkBytes,
    statementTimeoutSeconds: config.statementTimeoutSeconds,
    queuedTimeoutSeconds: config.queuedTimeoutSeconds,
    requestTimeoutMs: config.requestTimeoutMs,
  };
}
