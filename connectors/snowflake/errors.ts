/**
 * Classifies what snowflake-sdk reports into the closed set of src/errors.ts. The SDK raises:
 *   - OperationFailedError: Snowflake answered with an error: `code` is Snowflake's six-digit
 *     error code ('100038'), `sqlState` the SQLSTATE ('22018'), `message` Snowflake's text;
 *   - NetworkError (401001) with the socket error as `cause`; RequestFailedError (401002) with
 *     the HTTP `response` when the server answered 4xx/5xx or not at all; 401003 (not JSON);
 *     401004 (invalid token); connection-state errors (4055xx);
 *   - plain Node errors (ECONNRESET, ...) and our own StagingValueError.
 *
 * Policy (docs/snowflake.md):
 *   backpressure  the warehouse is the bottleneck: statement/queued timeout (000630), lock waits
 *                 and too many waiters (000625), concurrency/queue limits, HTTP 429/503,
 *                 resource-monitor quota — the controller shrinks batches, lowers concurrency
 *                 and pauses partitions;
 *   retryable     network failures, other 5xx, session/master token expired or gone (3901xx
 *                 session codes): the connection is dropped and the next write logs in again;
 *   poison        a value Snowflake cannot convert (SQLSTATE class 22: 100035 timestamp, 100038
 *                 numeric, 100039 out of range, 100040 date, 100069 JSON, ...);
 *   fatal         authentication (390100, 390144, ...), a missing warehouse/database/schema,
 *                 insufficient privileges (003001), SQL we generated that Snowflake rejects,
 *                 and anything not understood: stop with a clear message rather than loop.
 */
import { type ErrorClass, SinkError, isSinkError } from '../../src/errors.ts';

export interface Classification {
  readonly errorClass: ErrorClass;
  /** Stable code for metrics and logs, e.g. 'snowflake.numeric_not_recognized'. */
  readonly code: string;
  /** True when the session must be discarded and a new one logged in before the next statement. */
  readonly reconnect: boolean;
  /** A sentence for operators on fatal errors: what to fix. */
  readonly hint?: string;
}

/** A value the writer could not encode for staging (e.g. a non-finite value where none is allowed). */
export class StagingValueError extends Error {
  override readonly name = 'StagingValueError';
}

const classify = (errorClass: ErrorClass, code: string, options: { reconnect?: boolean; hint?: string } = {}): Classification => ({
  errorClass,
  code: `snowflake.${code}`,
  reconnect: options.reconnect ?? false,
  ...(options.hint === undefined ? {} : { hint: options.hint }),
});

/** Snowflake error codes (six digits) with a known meaning. */
const bySnowflakeCode: Readonly<Record<string, Classification>> = {
  // Warehouse saturation.
  '000630': classify('backpressure', 'statement_timeout'),
  '000625': classify('backpressure', 'lock_wait'),
  '000617': classify('backpressure', 'warehouse_overloaded'),
  // Sessions: the SDK renews session tokens itself; these reach us when renewal failed.
  '390104': classify('retryable', 'session_token_invalid', { reconnect: true }),
  '390111': classify('retryable', 'session_gone', { reconnect: true }),
  '390112': classify('retryable', 'session_token_expired', { reconnect: true }),
  '390114': classify('retryable', 'master_token_expired', { reconnect: true }),
  '000604': classify('retryable', 'statement_cancelled'),
  // Authentication and authorisation.
  '390100': classify('fatal', 'incorrect_credentials', {
    hint: 'check SLUICE_SNOWFLAKE_USER and SLUICE_SNOWFLAKE_PASSWORD (or the key pair)',
  }),
  '390144': classify('fatal', 'jwt_invalid', {
    hint: 'the key pair was refused: check that the public key is set on the user (RSA_PUBLIC_KEY) and SLUICE_SNOWFLAKE_ACCOUNT names the account',
  }),
  '390186': classify('fatal', 'role_not_granted', { hint: 'grant SLUICE_SNOWFLAKE_ROLE to the user or change the role' }),
  '390189': classify('fatal', 'role_missing', { hint: 'SLUICE_SNOWFLAKE_ROLE does not exist or is not granted' }),
  '390201': classify('fatal', 'object_missing_at_login', {
    hint: 'SLUICE_SNOWFLAKE_DATABASE, _SCHEMA or _WAREHOUSE does not exist or is not authorized for the role',
  }),
  '003001': classify('fatal', 'insufficient_privileges', {
    hint: 'the role lacks a privilege sluice needs (USAGE on database/schema/warehouse, CREATE TABLE, INSERT/UPDATE/DELETE/TRUNCATE on tables)',
  }),
  '000606': classify('fatal', 'no_active_warehouse', { hint: 'set SLUICE_SNOWFLAKE_WAREHOUSE to a warehouse the role may use' }),
  '002003': classify('fatal', 'object_missing', {
    hint: 'a database, schema, table or warehouse does not exist or the role cannot see it',
  }),
  '002043': classify('fatal', 'object_missing', {
    hint: 'a database, schema, table or warehouse does not exist or the role cannot see it',
  }),
  // Data that can never be converted.
  '100035': classify('poison', 'timestamp_not_recognized'),
  '100036': classify('poison', 'numeric_overflow'),
  '100037': classify('poison', 'boolean_not_recognized'),
  '100038': classify('poison', 'numeric_not_recognized'),
  '100039': classify('poison', 'numeric_out_of_range'),
  '100040': classify('poison', 'date_not_recognized'),
  '100069': classify('poison', 'json_parse_error'),
  '100071': classify('poison', 'binary_not_recognized'),
  '100078': classify('poison', 'string_too_long'),
};

/** Messages that mean "the warehouse is saturated" whatever code carries them. */
const saturationMessage =
  /queued|concurrency limit|too many (concurrent|requests|statements|waiters)|number of waiters|lock wait|resource monitor .*quota|warehouse .* (overloaded|suspended)/i;

const retryableNodeCodes = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface SdkErrorShape {
  readonly code?: unknown;
  readonly sqlState?: unknown;
  readonly message?: unknown;
  readonly response?: { readonly statusCode?: unknown; readonly status?: unknown } | null;
  readonly cause?: unknown;
}

function shapeOf(error: unknown): SdkErrorShape {
  return error !== null && typeof error === 'object' ? (error as SdkErrorShape) : {};
}

/** Snowflake's code as six digits ('1003' → '001003'), or the SDK's numeric code as text. */
export function snowflakeCode(error: unknown): string | undefined {
  const code = shapeOf(error).code;
  if (typeof code === 'number') return code >= 400000 && code < 500000 ? String(code) : String(code).padStart(6, '0');
  if (typeof code === 'string' && /^\d+$/.test(code)) return code.padStart(6, '0');
  return typeof code === 'string' ? code : undefined;
}

function httpStatus(error: unknown): number | undefined {
  const response = shapeOf(error).response;
  const status = response?.statusCode ?? response?.status;
  return typeof status === 'number' ? status : undefined;
}

function messageOf(error: unknown): string {
  const message = shapeOf(error).message;
  return typeof message === 'string' ? message : String(error);
}

function nodeCodeOf(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 4; depth += 1) {
    const code = shapeOf(current).code;
    if (typeof code === 'string' && retryableNodeCodes.has(code)) return code;
    current = shapeOf(current).cause;
  }
  return undefined;
}

export function classifySnowflakeError(error: unknown): Classification {
  if (error instanceof StagingValueError) return classify('poison', 'unencodable_value');
  const code = snowflakeCode(error);
  const message = messageOf(error);
  const status = httpStatus(error);

  const known = code === undefined ? undefined : bySnowflakeCode[code];
  if (known !== undefined) return known;
  const sqlState = shapeOf(error).sqlState;
  // Checked before the message: a rejected value's text may contain any word.
  if (typeof sqlState === 'string' && sqlState.startsWith('22')) return classify('poison', `data_${code ?? sqlState}`);
  if (saturationMessage.test(message)) return classify('backpressure', 'warehouse_saturated');

  // The SDK's own client-side codes (40xxxx).
  if (code === '401001') return classify('retryable', 'network', { reconnect: true });
  if (code === '401002') {
    if (status === 429 || status === 503) return classify('backpressure', `http_${status}`);
    if (status === 401 || status === 403) return classify('retryable', `http_${status}`, { reconnect: true });
    return classify('retryable', status === undefined ? 'request_failed' : `http_${status}`, { reconnect: status === undefined });
  }
  if (code === '401003') return classify('retryable', 'unexpected_response');
  if (code === '401004') return classify('retryable', 'invalid_token', { reconnect: true });
  if (code !== undefined && /^4055\d\d$/.test(code)) return classify('retryable', 'connection_state', { reconnect: true });

  const nodeCode = nodeCodeOf(error);
  if (nodeCode !== undefined) return classify('retryable', nodeCode.toLowerCase(), { reconnect: true });

  if (typeof sqlState === 'string') {
    if (sqlState === '08004' || sqlState === '28000') {
      return classify('fatal', `login_refused_${code ?? sqlState}`, { hint: 'the login was refused: check the account, user, credentials and role' });
    }
    if (sqlState === '08001' || sqlState === '08003' || sqlState === '08006') {
      return classify('retryable', `connection_${sqlState}`, { reconnect: true });
    }
    if (sqlState === '42501') return bySnowflakeCode['003001'] as Classification;
    if (sqlState === '42S02' || sqlState === '02000') return bySnowflakeCode['002003'] as Classification;
  }
  // Anything else is a bug (SQL we generated) or a condition we do not understand.
  return classify('fatal', code === undefined ? 'unexpected' : `code_${code}`);
}

/** Wraps any failure as a SinkError; SinkErrors pass through unchanged. Never includes bound values. */
export function toSinkError(error: unknown, context: string): SinkError {
  if (isSinkError(error)) return error;
  const classification = classifySnowflakeError(error);
  const code = snowflakeCode(error);
  const sqlState = shapeOf(error).sqlState;
  const where = [code === undefined ? '' : `code ${code}`, typeof sqlState === 'string' ? `SQLSTATE ${sqlState}` : '']
    .filter((part) => part !== '')
    .join(', ');
  const hint = classification.hint === undefined ? '' : ` — ${classification.hint}`;
  return new SinkError(classification.errorClass, `${context}: ${messageOf(error)}${where === '' ? '' : ` (${where})`}${hint}`, {
    code: classification.code,
    cause: error,
  });
}
