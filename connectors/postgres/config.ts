/**
 * Settings of the PostgreSQL writer, parsed once from the environment. The `settingDocs` list is
 * the documentation (docs/postgres.md's settings table is checked against it); parsing throws a
 * ConfigError naming the first bad variable. Secrets (the password and the password file's
 * contents) are never part of any value that is logged: `describeConfig` masks them.
 */
import { z } from 'zod';
import { booleanText, type Environment, envReader, wholeNumber } from '../../src/config/env-reader.ts';
import { ConfigError } from '../../src/errors.ts';
import type { SettingDoc } from '../../src/writer/types.ts';

export interface PostgresConfig {
  /** Connection target: either a URL or discrete parts (the URL wins when both are set). */
  readonly connectionString: string | null;
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly password: string | null;
  /** Schema used when a TargetTable has no namespace. */
  readonly defaultSchema: string;
  /** Schema holding sluice_offsets / sluice_epochs for exactly-once mode. */
  readonly offsetsSchema: string;
  readonly poolSize: number;
  readonly statementTimeoutMs: number;
  readonly connectTimeoutMs: number;
  /** Create missing schemas/tables and add missing columns; when false a missing column is fatal. */
  readonly autoCreate: boolean;
  readonly applicationName: string;
}

export const settingDocs: readonly SettingDoc[] = [
  {
    variable: 'SLUICE_PG_URL',
    description:
      'Connection URL (postgres://user@host:port/database?sslmode=...). When set, it replaces the host/port/user/database settings.',
    required: false,
    secret: true,
  },
  { variable: 'SLUICE_PG_HOST', description: 'Server host name or socket directory.', default: '127.0.0.1', required: false, secret: false },
  { variable: 'SLUICE_PG_PORT', description: 'Server port.', default: '5432', required: false, secret: false },
  { variable: 'SLUICE_PG_USER', description: 'Role to connect as.', default: 'postgres', required: false, secret: false },
  { variable: 'SLUICE_PG_DATABASE', description: 'Database to write into.', default: 'postgres', required: false, secret: false },
  { variable: 'SLUICE_PG_PASSWORD', description: 'Password of the role (also added to SLUICE_PG_URL, which must then carry none itself).', required: false, secret: true },
  {
    variable: 'SLUICE_PG_PASSWORD_FILE',
    description: 'File whose contents (trailing newline removed) is the password; an alternative to SLUICE_PG_PASSWORD.',
    required: false,
    secret: true,
  },
  {
    variable: 'SLUICE_PG_SCHEMA',
    description: 'Target schema for tables whose naming rule gives no schema.',
    default: 'public',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_PG_OFFSETS_SCHEMA',
    description: 'Schema of the exactly-once tables sluice_offsets and sluice_epochs.',
    default: 'value of SLUICE_PG_SCHEMA',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_PG_POOL_SIZE',
    description: 'Maximum connections; bounds how many batches can be written concurrently.',
    default: '8',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_PG_STATEMENT_TIMEOUT_MS',
    description: 'statement_timeout of every session; a statement cancelled by it is reported as backpressure. 0 disables.',
    default: '60000',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_PG_CONNECT_TIMEOUT_MS',
    description: 'How long to wait for a connection (new or from the pool) before reporting backpressure.',
    default: '10000',
    required: false,
    secret: false,
  },
  {
    variable: 'SLUICE_PG_AUTO_CREATE',
    description: 'Create missing schemas and tables and add new columns (true or false). When false, a missing table or column stops the service.',
    default: 'true',
    required: false,
    secret: false,
  },
];

const identifier = z
  .string()
  .min(1)
  .refine((name) => Buffer.byteLength(name) <= 63 && !name.includes('\u0000'), 'must be 1 to 63 bytes without NUL');

/** Each variable's parser; a missing or empty variable means "use the default". */
const variableParsers = {
  SLUICE_PG_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://'),
  SLUICE_PG_HOST: z.string().min(1),
  SLUICE_PG_PORT: wholeNumber(1, 65535),
  SLUICE_PG_USER: z.string().min(1),
  SLUICE_PG_DATABASE: z.string().min(1),
  SLUICE_PG_PASSWORD: z.string(),
  SLUICE_PG_PASSWORD_FILE: z.string().min(1),
  SLUICE_PG_SCHEMA: identifier,
  SLUICE_PG_OFFSETS_SCHEMA: identifier,
  SLUICE_PG_POOL_SIZE: wholeNumber(1, 1000),
  SLUICE_PG_STATEMENT_TIMEOUT_MS: wholeNumber(0, 2_147_483_647),
  SLUICE_PG_CONNECT_TIMEOUT_MS: wholeNumber(1, 2_147_483_647),
  SLUICE_PG_AUTO_CREATE: booleanText,
} as const;

const { read, secret } = envReader(variableParsers);

function readPassword(env: Environment): string | null {
  return secret(env, 'SLUICE_PG_PASSWORD', 'SLUICE_PG_PASSWORD_FILE', { fileDescription: 'password file', trimNewline: true })?.value ?? null;
}

/**
 * pg lets a connection string override every other option, and a URL without a password
 * yields an empty one, so a separately given password is written into the URL here.
 */
function urlWithPassword(url: string | undefined, password: string | null): string | null {
  if (url === undefined) return null;
  if (password === null) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError('SLUICE_PG_URL', 'is not a valid URL');
  }
  if (parsed.password !== '') throw new ConfigError('SLUICE_PG_URL', 'contains a password and SLUICE_PG_PASSWORD(_FILE) is set too; use one');
  if (parsed.host === '') throw new ConfigError('SLUICE_PG_URL', 'has no host, so a password cannot be added to it; put it in the URL');
  parsed.password = password;
  return parsed.toString();
}

export function parsePostgresConfig(env: Environment): PostgresConfig {
  const defaultSchema = read(env, 'SLUICE_PG_SCHEMA') ?? 'public';
  const password = readPassword(env);
  return {
    connectionString: urlWithPassword(read(env, 'SLUICE_PG_URL'), password),
    host: read(env, 'SLUICE_PG_HOST') ?? '127.0.0.1',
    port: read(env, 'SLUICE_PG_PORT') ?? 5432,
    user: read(env, 'SLUICE_PG_USER') ?? 'postgres',
    database: read(env, 'SLUICE_PG_DATABASE') ?? 'postgres',
    password,
    defaultSchema,
    offsetsSchema: read(env, 'SLUICE_PG_OFFSETS_SCHEMA') ?? defaultSchema,
    poolSize: read(env, 'SLUICE_PG_POOL_SIZE') ?? 8,
    statementTimeoutMs: read(env, 'SLUICE_PG_STATEMENT_TIMEOUT_MS') ?? 60_000,
    connectTimeoutMs: read(env, 'SLUICE_PG_CONNECT_TIMEOUT_MS') ?? 10_000,
    autoCreate: read(env, 'SLUICE_PG_AUTO_CREATE') ?? true,
    applicationName: 'sluice',
  };
}

/** The effective configuration for the start-up log line, with secrets masked. */
export function describeConfig(config: PostgresConfig): Record<string, string | number | boolean | null> {
  return {
    connection: config.connectionString === null ? `${config.user}@${config.host}:${config.port}/${config.database}` : '***url***',
    password: config.password === null ? null : '***',
    defaultSchema: config.defaultSchema,
    offsetsSchema: config.offsetsSchema,
    poolSize: config.poolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    connectTimeoutMs: config.connectTimeoutMs,
    autoCreate: config.autoCreate,
  };
}
