/**
 * Error classification of the BigQuery writer over error payloads shaped as @google-cloud/bigquery
 * raises them: ApiError (HTTP status in `code`, BigQuery ErrorProtos in `errors`), a failed job
 * (no `code`, the job status's errors), PartialFailureError of insertAll, auth and socket errors.
 * The reason/message texts are BigQuery's (docs "Error messages", "Troubleshoot quota errors",
 * DML concurrency); the last case holds answers recorded from goccy/bigquery-emulator v0.8.1,
 * which reports every failure with reason jobInternalError.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyBigQueryError, classifyInsertErrors, toSinkError } from '../../../connectors/bigquery/errors.ts';

/** An ApiError as @google-cloud/common builds it from an HTTP error body. */
function apiError(body: { code?: number; message: string; errors?: { reason: string; message: string; domain?: string; location?: string }[] }, headers: Record<string, string> = {}): Error {
  const error = new Error(body.message) as Error & Record<string, unknown>;
  error.name = 'ApiError';
  if (body.code !== undefined) error.code = body.code;
  error.errors = body.errors ?? [];
  error.response = { statusCode: body.code, headers };
  return error;
}

/** A job that finished with status.errorResult, as Job.promise() rejects with it. */
function jobError(errorResult: { reason: string; message: string; location?: string }, errors = [errorResult]): Error {
  const error = new Error(errorResult.message) as Error & Record<string, unknown>;
  error.name = 'ApiError';
  error.errors = errors;
  return error;
}

describe('BigQuery error classification', () => {
  it('quota and rate limits are backpressure', () => {
    const quota = apiError({
      code: 403,
      message: 'Quota exceeded: Your table exceeded quota for imports or query appends per table. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas',
      errors: [{ domain: 'global', reason: 'quotaExceeded', message: 'Quota exceeded: Your table exceeded quota for imports or query appends per table.' }],
    });
    assert.deepEqual([classifyBigQueryError(quota).errorClass, classifyBigQueryError(quota).code], ['backpressure', 'bigquery.quota_exceeded']);
    const rate = apiError({
      code: 403,
      message: 'Exceeded rate limits: too many table update operations for this table. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas',
      errors: [{ domain: 'global', reason: 'rateLimitExceeded', message: 'Exceeded rate limits: too many table update operations for this table.' }],
    });
    assert.equal(classifyBigQueryError(rate).errorClass, 'backpressure');
    assert.equal(classifyBigQueryError(rate).code, 'bigquery.rate_limit_exceeded');
    const streaming = apiError({
      code: 403,
      message: 'Exceeded rate limits: too many api requests per user per method for this user_method.',
      errors: [{ domain: 'usageLimits', reason: 'rateLimitExceeded', message: 'Exceeded rate limits: too many api requests per user per method for this user_method.' }],
    });
    assert.equal(classifyBigQueryError(streaming).errorClass, 'backpressure');
  });

  it('HTTP 429 and 503 are backpressure, other 5xx retryable, and Retry-After is kept', () => {
    const tooMany = apiError({ code: 429, message: 'Too Many Requests' }, { 'retry-after': '7' });
    assert.equal(classifyBigQueryError(tooMany).errorClass, 'backpressure');
    assert.equal(toSinkError(tooMany, 'ctx').retryAfterMs, 7000);
    const unavailable = apiError({ code: 503, message: 'The service is currently unavailable.' });
    assert.equal(classifyBigQueryError(unavailable).errorClass, 'backpressure');
    const backend = apiError({
      code: 503,
      message: 'Error encountered during execution. Retrying may solve the problem.',
      errors: [{ domain: 'global', reason: 'backendError', message: 'Error encountered during execution. Retrying may solve the problem.' }],
    });
    assert.equal(classifyBigQueryError(backend).errorClass, 'retryable');
    assert.equal(classifyBigQueryError(apiError({ code: 502, message: 'Bad Gateway' })).errorClass, 'retryable');
  });

  it('concurrent-update aborts of a MERGE are backpressure (the controller lowers concurrency)', () => {
    const serialize = jobError({ reason: 'invalidQuery', location: 'query', message: 'Could not serialize access to table my-project:shop.orders due to concurrent update' });
    assert.deepEqual([classifyBigQueryError(serialize).errorClass, classifyBigQueryError(serialize).code], ['backpressure', 'bigquery.concurrent_update']);
    const transaction = jobError({ reason: 'invalidQuery', message: 'Transaction is aborted due to concurrent update against table my-project:shop.orders.' });
    assert.equal(classifyBigQueryError(transaction).errorClass, 'backpressure');
    const outstanding = jobError({ reason: 'resourcesExceeded', message: 'Resources exceeded during query execution: Too many DML statements outstanding against table my-project:shop.orders, limit is 20.' });
    assert.equal(classifyBigQueryError(outstanding).errorClass, 'backpressure');
  });

  it('data a load job or a MERGE cannot convert is poison; SQL BigQuery rejects is fatal', () => {
    const summary = 'Error while reading data, error message: JSON table encountered too many errors, giving up. Rows: 1; errors: 1. Please look into the errors[] collection for more details.';
    const load = jobError({ reason: 'invalid', message: summary }, [
      { reason: 'invalid', message: summary },
      {
        reason: 'invalid',
        message: "Error while reading data, error message: JSON parsing error in row starting at position 0: Could not convert value 'string_value: \"123456.78\"' to numeric. Field: c1; Value: 123456.78",
      },
    ]);
    assert.equal(classifyBigQueryError(load).errorClass, 'poison');
    assert.match(toSinkError(load, 'loading').message, /Field: c1/);
    const badNumeric = jobError({ reason: 'invalidQuery', location: 'query', message: 'Invalid NUMERIC value: 1e999' });
    assert.equal(classifyBigQueryError(badNumeric).errorClass, 'poison');
    const badJson = jobError({ reason: 'invalidQuery', message: "Invalid input to PARSE_JSON: Unexpected end of string at line 1, column 4; in PARSE_JSON expression" });
    assert.equal(classifyBigQueryError(badJson).errorClass, 'poison');
    const syntax = jobError({ reason: 'invalidQuery', location: 'query', message: 'Syntax error: Unexpected identifier "MERG" at [1:1]' });
    assert.equal(classifyBigQueryError(syntax).errorClass, 'fatal');
    const duplicateSource = jobError({ reason: 'invalidQuery', message: 'UPDATE/MERGE must match at most one source row for each target row' });
    assert.equal(classifyBigQueryError(duplicateSource).errorClass, 'fatal');
  });

  it('a missing dataset, a permission or billing problem and missing credentials are fatal with a hint', () => {
    const dataset = apiError({ code: 404, message: 'Not found: Dataset my-project:analytics', errors: [{ domain: 'global', reason: 'notFound', message: 'Not found: Dataset my-project:analytics' }] });
    assert.equal(classifyBigQueryError(dataset).errorClass, 'fatal');
    assert.match(toSinkError(dataset, 'opening').message, /SLUICE_BIGQUERY_DATASET/);
    const denied = apiError({
      code: 403,
      message: 'Access Denied: Table my-project:shop.orders: Permission bigquery.tables.updateData denied on table my-project:shop.orders (or it may not exist).',
      errors: [{ domain: 'global', reason: 'accessDenied', message: 'Access Denied: Table my-project:shop.orders: Permission bigquery.tables.updateData denied on table my-project:shop.orders (or it may not exist).' }],
    });
    assert.equal(classifyBigQueryError(denied).errorClass, 'fatal');
    assert.equal(classifyBigQueryError(denied).code, 'bigquery.access_denied');
    const billing = apiError({
      code: 403,
      message: 'Billing has not been enabled for this project. Enable billing at https://console.cloud.google.com/billing. DML queries are not allowed in the free tier.',
      errors: [{ domain: 'global', reason: 'billingNotEnabled', message: 'Billing has not been enabled for this project.' }],
    });
    assert.equal(classifyBigQueryError(billing).errorClass, 'fatal');
    const credentials = new Error('Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication/getting-started for more information.');
    assert.deepEqual([classifyBigQueryError(credentials).errorClass, classifyBigQueryError(credentials).code], ['fatal', 'bigquery.credentials']);
    assert.equal(classifyBigQueryError(apiError({ code: 401, message: 'Request had invalid authentication credentials.' })).errorClass, 'fatal');
  });

  it('a vanished table is retryable and makes the writer forget it; network failures are retryable', () => {
    const table = apiError({ code: 404, message: 'Not found: Table my-project:shop.orders was not found in location US', errors: [{ domain: 'global', reason: 'notFound', message: 'Not found: Table my-project:shop.orders was not found in location US' }] });
    assert.equal(classifyBigQueryError(table).errorClass, 'retryable');
    assert.equal(classifyBigQueryError(table).forgetTable, true);
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    assert.equal(classifyBigQueryError(reset).errorClass, 'retryable');
    assert.equal(classifyBigQueryError(new Error('socket hang up')).errorClass, 'retryable');
    const refusedBehindFetch = Object.assign(new Error('request to http://127.0.0.1:9050/bigquery/v2/projects/test/jobs failed'), { cause: { code: 'ECONNREFUSED' } });
    assert.equal(classifyBigQueryError(refusedBehindFetch).code, 'bigquery.network.econnrefused');
  });

  it('per-row insertAll errors: invalid rows are poison with their reason, stopped rows retryable', () => {
    const failures = classifyInsertErrors([
      { index: 0, errors: [{ reason: 'invalid', location: 'amount', message: 'Invalid NUMERIC value: 123456.78' }] },
      { index: 1, errors: [{ reason: 'stopped', location: '', message: '' }] },
      { index: 2, errors: [{ reason: 'invalid', location: 'payload', message: 'This field: payload is not a record.' }] },
    ]);
    assert.equal(failures.get(0)?.errorClass, 'poison');
    assert.match(failures.get(0)?.message ?? '', /column amount.*Invalid NUMERIC value: 123456\.78/);
    assert.equal(failures.get(1)?.errorClass, 'retryable');
    assert.equal(failures.get(2)?.errorClass, 'poison');
    // The same rows as PartialFailureError carries them (row + errors), classified as a whole.
    const partial = Object.assign(new Error('A failure occurred during this request.'), {
      name: 'PartialFailureError',
      errors: [{ row: { id: 1 }, errors: [{ reason: 'invalid', location: 'amount', message: 'Invalid NUMERIC value: 123456.78' }] }],
    });
    assert.equal(classifyBigQueryError(partial).errorClass, 'poison');
  });

  it('answers recorded from goccy/bigquery-emulator v0.8.1', () => {
    const uploadBadDate = apiError({
      code: 400,
      message: 'failed to convert eyJoZWFkZXIiOiJzdHJpbmciLCJib2R5IjoiMjAyMS0wMi0zMCJ9 to time.Time type',
      errors: [{ reason: 'jobInternalError', location: '', message: 'failed to convert eyJoZWFkZXIiOiJzdHJpbmciLCJib2R5IjoiMjAyMS0wMi0zMCJ9 to time.Time type' }],
    });
    assert.equal(classifyBigQueryError(uploadBadDate).errorClass, 'poison');
    const uploadBadInteger = apiError({
      code: 400,
      message: 'strconv.ParseInt: parsing "eyJoZWFkZXIiOiJzdHJpbmciLCJib2R5IjoiMTJ4In0=": invalid syntax',
      errors: [{ reason: 'jobInternalError', location: '', message: 'strconv.ParseInt: parsing "eyJoZWFkZXIiOiJzdHJpbmciLCJib2R5IjoiMTJ4In0=": invalid syntax' }],
    });
    assert.equal(classifyBigQueryError(uploadBadInteger).errorClass, 'poison');
    const mergeBadJson = jobError({
      reason: 'jobInternalError',
      message:
        'failed to exec merge statement INSERT INTO `test_conformance_e22fa3_t21`(`id`,`doc`) SELECT `c0#4`,googlesqlite_parse_json(`c1#5`,"eyJoZWFkZXIiOiJzdHJpbmciLCJib2R5IjoiZXhhY3QifQ==") FROM googlesqlite_merge_s_only_set: sqlite3: SQL logic error: invalid character \' \' in string literal',
    });
    assert.equal(classifyBigQueryError(mergeBadJson).errorClass, 'poison');
    const datasetMissing = apiError({ code: 404, message: 'dataset nope_missing is not found', errors: [{ reason: 'notFound', location: '', message: 'dataset nope_missing is not found' }] });
    assert.equal(classifyBigQueryError(datasetMissing).errorClass, 'fatal');
    const tableMissing = apiError({ code: 404, message: 'table nope is not found', errors: [{ reason: 'notFound', location: '', message: 'table nope is not found' }] });
    assert.equal(classifyBigQueryError(tableMissing).errorClass, 'retryable');
    const syntax = apiError({
      code: 400,
      message: 'failed to parse statements: failed to parse statement: Syntax error: Unexpected identifier "MERG" [at 1:1]',
      errors: [{ reason: 'jobInternalError', location: '', message: 'failed to parse statements: failed to parse statement: Syntax error: Unexpected identifier "MERG" [at 1:1]' }],
    });
    // The emulator gives no invalidQuery: generated SQL it rejects is retried, not stopped (docs/bigquery.md).
    assert.equal(classifyBigQueryError(syntax).errorClass, 'retryable');
  });
});
