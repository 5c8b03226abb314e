/**
 * Classifies what @google-cloud/bigquery reports into the closed set of src/errors.ts. The SDK
 * raises:
 *   - ApiError (from @google-cloud/common): the API answered an error: `code` is the HTTP status,
 *     `errors` BigQuery's ErrorProto list ({ reason, message, location?, domain }), `response` the
 *     HTTP response (headers: Retry-After);
 *   - a failed job (load or query) as an ApiError built from the job's status: no `code`,
 *     `errors` = status.errors, the message is status.errorResult's;
 *   - PartialFailureError from table.insert(): `errors` = [{ row, errors: [ErrorProto] }];
 *   - errors of google-auth-library (no credentials, invalid_grant) and of the HTTP stack
 *     (ECONNRESET, ECONNREFUSED, ETIMEDOUT, socket hang up).
 *
 * Policy (docs/bigquery.md):
 *   backpressure  quotaExceeded, rateLimitExceeded, jobRateLimitExceeded, resourcesExceeded,
 *                 HTTP 429 and 503, "Could not serialize access to table … due to concurrent
 *                 update", "Transaction is aborted due to concurrent update", "Too many DML
 *                 statements outstanding": BigQuery is the bottleneck, so the controller shrinks
 *                 batches, lowers concurrency and pauses partitions;
 *   retryable     backendError, internalError, other 5xx, a timed-out job, a table that vanished
 *                 (the writer forgets what it knew and re-creates it), network failures, and
 *                 errors of unknown shape without an HTTP status;
 *   poison        `invalid` data: a value BigQuery cannot parse or store (a load job's "Error
 *                 while reading data", per-row insert errors with reason `invalid`, runtime
 *                 value errors of the MERGE such as an invalid NUMERIC or JSON text);
 *   fatal         notFound dataset or project, accessDenied, billing, 401/403 without a quota
 *                 reason, missing credentials, and SQL or schemas we generated that BigQuery
 *                 rejects (invalidQuery that is not a value error, invalid that is not data):
 *                 stop with a clear message rather than loop.
 */
import { type ErrorClass, SinkError, isSinkError } from '../../src/errors.ts';

/** One BigQuery ErrorProto. */
export interface BigQueryErrorProto {
  readonly reason?: string;
  readonly message?: string;
  readonly location?: string;
}

export interface Classification {
  readonly errorClass: ErrorClass;
  /** Stable code for metrics and logs, e.g. 'bigquery.quota_exceeded'. */
  readonly code: string;
  /** A sentence for operators on fatal errors: what to fix. */
  readonly hint?: string;
  /** The table is gone or changed: the writer must forget what it knew about it. */
  readonly forgetTable: boolean;
}

const classification = (errorClass: ErrorClass, code: string, options: { hint?: string; forgetTable?: boolean } = {}): Classification => ({
  errorClass,
  code: `bigquery.${code}`,
  forgetTable: options.forgetTable ?? false,
  ...(options.hint === undefined ? {} : { hint: options.hint }),
});

interface ErrorFacts {
  readonly status: number | null;
  readonly protos: readonly BigQueryErrorProto[];
  readonly message: string;
  readonly networkCode: string | null;
}

function asRecord(value: unknown): Record<string, unknown> | null {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : null;
}

function protosOf(value: unknown): BigQueryErrorProto[] {
  if (!Array.isArray(value)) return [];
  const protos: BigQueryErrorProto[] = [];
  for (const item of value) {
    const record = asRecord(item);
    if (record === null) continue;
    // PartialFailureError nests the row's ErrorProtos under `errors`.
    if (Array.isArray(record.errors)) protos.push(...protosOf(record.errors));
    else protos.push({ reason: stringOr(record.reason), message: stringOr(record.message), location: stringOr(record.location) });
  }
  return protos;
}

function stringOr(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

function factsOf(error: unknown): ErrorFacts {
  const record = asRecord(error);
  const message = error instanceof Error ? error.message : String(error);
  if (record === null) return { status: null, protos: [], message, networkCode: null };
  const response = asRecord(record.response);
  const statusCandidate = typeof record.code === 'number' ? record.code : typeof response?.status === 'number' ? response.status : typeof response?.statusCode === 'number' ? response.statusCode : null;
  const protos = [...protosOf(record.errors)];
  const errorResult = asRecord(record.errorResult);
  if (errorResult !== null) protos.unshift(...protosOf([errorResult]));
  const causeCode = asRecord(record.cause)?.code;
  const textCode = typeof record.code === 'string' ? record.code : typeof causeCode === 'string' ? causeCode : null;
  const networkCode = textCode !== null && NETWORK_CODES.has(textCode) ? textCode : /socket hang up|network socket disconnected/i.test(message) ? 'ECONNRESET' : null;
  return { status: statusCandidate, protos, message, networkCode };
}

const CONCURRENT_UPDATE = /could not serialize access to table .* due to concurrent update|transaction is aborted due to concurrent update|too many dml statements outstanding|concurrent update/i;
/** Runtime value errors of a query (the MERGE casting or parsing a staged value). */
const VALUE_ERROR = /invalid (numeric|bignumeric|bignum|int64|float64|date|time|datetime|timestamp|json|bytes|input to parse_json)|out of range|overflow|cannot be (parsed|converted)|could not (parse|cast|convert)|invalid .* value|bad (double|int64|numeric) value|array cannot have a null element|is not a valid/i;
/** Load-job data errors (the staged file). */
const DATA_ERROR = /error while reading data|could not (parse|convert)|json parsing error|invalid .* value|out of range|cannot (convert|be parsed)|array cannot have a null element/i;

/** The emulator's messages for a value it cannot convert (load file or query). */
const EMULATOR_VALUE_ERROR = /failed to convert \S+ to [\w.]+ type|strconv\.Parse\w+: parsing .*: invalid syntax|parsing time .*(out of range|cannot parse)|invalid character '|unexpected end of JSON input/i;

const FATAL_HINT_NOT_FOUND = 'the project or dataset does not exist or the credentials cannot see it: check SLUICE_BIGQUERY_PROJECT and SLUICE_BIGQUERY_DATASET';
const FATAL_HINT_ACCESS =
  'the credentials lack a permission sluice needs (bigquery.datasets.get, bigquery.tables.create/get/updateData/update/delete, bigquery.jobs.create): grant roles/bigquery.dataEditor on the dataset and roles/bigquery.jobUser on the project';

function classifyByReason(reason: string, message: string): Classification | null {
  switch (reason) {
    case 'quotaExceeded':
      return classification('backpressure', 'quota_exceeded');
    case 'rateLimitExceeded':
      return classification('backpressure', 'rate_limit_exceeded');
    case 'jobRateLimitExceeded':
      return classification('backpressure', 'job_rate_limit_exceeded');
    case 'resourcesExceeded':
      return classification('backpressure', 'resources_exceeded');
    case 'backendError':
    case 'jobBackendError':
      return classification('retryable', 'backend_error');
    case 'internalError':
    case 'jobInternalError':
      // goccy/bigquery-emulator reports every failure as jobInternalError; a value it cannot
      // convert is recognisable by its message (recorded in test/unit/bigquery/errors.test.ts).
      if (EMULATOR_VALUE_ERROR.test(message)) return classification('poison', 'invalid_value');
      return classification('retryable', 'internal_error');
    case 'timeout':
      return classification('retryable', 'timeout');
    case 'tableUnavailable':
      return classification('retryable', 'table_unavailable');
    case 'stopped':
      // An insertAll row that was valid but not written because another row of the request failed.
      return classification('retryable', 'row_stopped');
    case 'duplicate':
      return classification('retryable', 'duplicate', { forgetTable: true });
    case 'notFound':
      if (/not found: (table|job)|(table|job) \S+ is not found/i.test(message)) return classification('retryable', 'table_not_found', { forgetTable: true });
      return classification('fatal', 'not_found', { hint: FATAL_HINT_NOT_FOUND });
    case 'accessDenied':
      return classification('fatal', 'access_denied', { hint: FATAL_HINT_ACCESS });
    case 'billingNotEnabled':
    case 'billingTierLimitExceeded':
      return classification('fatal', 'billing', { hint: 'enable billing on SLUICE_BIGQUERY_PROJECT (or raise its billing tier)' });
    case 'invalidQuery':
      if (CONCURRENT_UPDATE.test(message)) return classification('backpressure', 'concurrent_update');
      if (VALUE_ERROR.test(message)) return classification('poison', 'invalid_value');
      return classification('fatal', 'invalid_query', { hint: 'BigQuery rejected SQL that sluice generated: please report it with this message' });
    case 'invalid':
      if (CONCURRENT_UPDATE.test(message)) return classification('backpressure', 'concurrent_update');
      if (DATA_ERROR.test(message) || VALUE_ERROR.test(message)) return classification('poison', 'invalid_value');
      return classification('fatal', 'invalid_request', { hint: 'BigQuery rejected a request that sluice generated: please report it with this message' });
    default:
      return null;
  }
}

/** Reasons in order of precedence: a quota reason anywhere wins over a generic one. */
const REASON_PRECEDENCE = [
  'quotaExceeded',
  'rateLimitExceeded',
  'jobRateLimitExceeded',
  'resourcesExceeded',
  'accessDenied',
  'billingNotEnabled',
  'billingTierLimitExceeded',
  'notFound',
  'invalid',
  'invalidQuery',
  'backendError',
  'jobBackendError',
  'internalError',
  'jobInternalError',
  'timeout',
  'tableUnavailable',
  'duplicate',
  'stopped',
];

export function classifyBigQueryError(error: unknown): Classification {
  if (isSinkError(error)) return { errorClass: error.errorClass, code: error.code, forgetTable: false };
  const facts = factsOf(error);
  const reasons = new Set(facts.protos.map((proto) => proto.reason).filter((reason): reason is string => reason !== undefined));
  for (const reason of REASON_PRECEDENCE) {
    if (!reasons.has(reason)) continue;
    const proto = facts.protos.find((candidate) => candidate.reason === reason);
    const result = classifyByReason(reason, `${proto?.message ?? ''} ${facts.message}`);
    if (result !== null) return result;
  }
  if (CONCURRENT_UPDATE.test(facts.message)) return classification('backpressure', 'concurrent_update');
  if (facts.networkCode !== null) return classification('retryable', `network.${facts.networkCode.toLowerCase()}`);
  if (/could not load the default credentials|invalid_grant|unable to detect a project id|invalid_client|error:0[0-9a-f]+:.*pem/i.test(facts.message)) {
    return classification('fatal', 'credentials', {
      hint: 'no usable credentials: set SLUICE_BIGQUERY_KEY_FILE to a service-account key or configure application default credentials',
    });
  }
  const status = facts.status;
  if (status === 429) return classification('backpressure', 'http_429');
  if (status === 503) return classification('backpressure', 'http_503');
  if (status !== null && status >= 500) return classification('retryable', `http_${status}`);
  if (status === 401) return classification('fatal', 'unauthenticated', { hint: 'the credentials were refused: check SLUICE_BIGQUERY_KEY_FILE or the application default credentials' });
  if (status === 403) return classification('fatal', 'access_denied', { hint: FATAL_HINT_ACCESS });
  if (status === 404) return classification('fatal', 'not_found', { hint: FATAL_HINT_NOT_FOUND });
  if (status !== null && status >= 400) return classification('fatal', `http_${status}`);
  return classification('retryable', 'unknown');
}

function retryAfterMs(error: unknown): number | undefined {
  const headers = asRecord(asRecord(asRecord(error)?.response)?.headers);
  const value = headers?.['retry-after'];
  if (typeof value !== 'string') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** The most specific message: the first ErrorProto with a location or detail, else the error's own. */
function detail(error: unknown): string {
  const facts = factsOf(error);
  const specific = facts.protos.filter((proto) => proto.message !== undefined && proto.message !== facts.message);
  const parts = [facts.message, ...specific.slice(0, 3).map((proto) => `${proto.reason ?? 'error'}${proto.location ? ` at ${proto.location}` : ''}: ${proto.message}`)];
  return parts.join('; ');
}

/** Wraps anything thrown while talking to BigQuery into a classified SinkError. */
export function toSinkError(error: unknown, context: string): SinkError {
  if (isSinkError(error)) return error;
  const result = classifyBigQueryError(error);
  const hint = result.hint === undefined ? '' : ` (${result.hint})`;
  const wait = retryAfterMs(error);
  return new SinkError(result.errorClass, `${context}: ${detail(error)}${hint}`, {
    code: result.code,
    cause: error,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
}

/** One entry of tabledata.insertAll's insertErrors. */
export interface InsertErrorEntry {
  readonly index: number;
  readonly errors: readonly BigQueryErrorProto[];
}

/**
 * Per-row errors of an insertAll response: `invalid` rows are poison with the row's own reason
 * (location = the column); rows marked `stopped` were valid and are retryable.
 */
export function classifyInsertErrors(entries: readonly InsertErrorEntry[]): Map<number, SinkError> {
  const byRow = new Map<number, SinkError>();
  for (const entry of entries) {
    const invalid = entry.errors.find((proto) => proto.reason === 'invalid');
    const chosen = invalid ?? entry.errors[0];
    const result = classifyByReason(chosen?.reason ?? '', chosen?.message ?? '') ?? classification('retryable', 'unknown');
    const errorClass = invalid !== undefined ? 'poison' : result.errorClass;
    const where = chosen?.location ? ` (column ${chosen.location})` : '';
    byRow.set(
      entry.index,
      new SinkError(errorClass, `row ${entry.index} rejected${where}: ${chosen?.reason ?? 'unknown'}: ${chosen?.message ?? 'no message'}`, {
        code: invalid !== undefined ? 'bigquery.invalid_row' : result.code,
      }),
    );
  }
  return byRow;
}
