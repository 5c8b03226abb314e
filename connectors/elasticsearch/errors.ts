/**
 * Maps what Elasticsearch/OpenSearch answer into the closed set of error classes (src/errors.ts).
 * Classified once here; the writer only reports, the core acts:
 *
 *   409 version_conflict_engine_exception  not an error: a newer (or the same) version is stored
 *   404 on delete (result not_found)        not an error: the document is already gone
 *   429 / *rejected_execution_exception     backpressure (the write queue is full): retry the item
 *   cluster_block_exception                 backpressure: index read-only (write block, disk
 *                                           flood-stage watermark, ...) until an operator acts
 *   circuit_breaking_exception              backpressure: the node is short of heap
 *   401 / 403 (other than a block)          fatal: credentials or privileges are wrong
 *   index_not_found_exception               retryable (the writer recreates the index)
 *   other 4xx for one item                  poison: mapper_parsing_exception, document_parsing_
 *                                           exception, illegal_argument_exception ... with reason
 *   5xx, connection failures, timeouts      retryable
 */
import { SinkError } from '../../src/errors.ts';

export interface ServerError {
  readonly type?: string;
  readonly reason?: string;
  readonly caused_by?: ServerError;
  readonly root_cause?: readonly ServerError[];
}

/** Whether a per-item answer means "written as intended" (including a harmless no-op). */
export function itemSucceeded(operation: 'index' | 'delete', status: number, error: ServerError | undefined): boolean {
  if (status >= 200 && status < 300) return true;
  if (status === 409 && error?.type === 'version_conflict_engine_exception') return true;
  return operation === 'delete' && status === 404 && error === undefined;
}

function describe(error: ServerError | undefined): string {
  if (error === undefined) return 'no reason given';
  const cause = error.caused_by?.reason === undefined ? '' : ` (caused by ${error.caused_by.type ?? 'error'}: ${error.caused_by.reason})`;
  return `${error.type ?? 'error'}: ${error.reason ?? 'no reason given'}${cause}`;
}

function isRejection(error: ServerError | undefined): boolean {
  const type = error?.type ?? '';
  return type.endsWith('rejected_execution_exception') || (error?.caused_by !== undefined && isRejection(error.caused_by));
}

/** A failed item of a _bulk response, or a whole response with that status and error. */
export function classifyServerError(status: number, error: ServerError | undefined, scope: 'item' | 'request'): SinkError {
  const type = error?.type ?? '';
  const message = `${scope === 'item' ? 'bulk item' : 'request'} failed with HTTP ${status}, ${describe(error)}`;
  if (type === 'cluster_block_exception') {
    return new SinkError('backpressure', `index is blocked for writes (read-only, disk flood-stage watermark or an operator's block): ${describe(error)}`, {
      code: 'es.cluster_block',
    });
  }
  if (type === 'circuit_breaking_exception') {
    return new SinkError('backpressure', `cluster is short of memory: ${describe(error)}`, { code: 'es.circuit_breaking' });
  }
  if (status === 429 || isRejection(error)) {
    return new SinkError('backpressure', `cluster rejected the write (queue full): ${describe(error)}`, { code: 'es.rejected_execution' });
  }
  if (status === 401 || status === 403) {
    return new SinkError('fatal', `not authorized (HTTP ${status}); check the credentials and the role's index privileges: ${describe(error)}`, {
      code: 'es.unauthorized',
    });
  }
  if (type === 'index_not_found_exception') return new SinkError('retryable', message, { code: 'es.index_not_found' });
  if (status === 413) {
    return new SinkError(scope === 'item' ? 'poison' : 'fatal', `request too large for the cluster (http.max_content_length); lower SLUICE_ES_BULK_MAX_BYTES: ${describe(error)}`, {
      code: 'es.request_too_large',
    });
  }
  if (status >= 500 || status === 408 || status === 0) return new SinkError('retryable', message, { code: 'es.server_error' });
  if (status >= 400) {
    // A whole request the server refuses as malformed is a bug or a misconfiguration, and
    // dead-lettering a whole batch for it would lose data: stop instead.
    return new SinkError(scope === 'item' ? 'poison' : 'fatal', message, { code: type === '' ? 'es.rejected_document' : `es.${type}` });
  }
  return new SinkError('retryable', message, { code: 'es.unexpected_status' });
}

/** A non-2xx answer to a whole request, from its status and (JSON) body text. */
export function classifyResponse(status: number, body: string): SinkError {
  let error: ServerError | undefined;
  try {
    const parsed = JSON.parse(body) as { error?: ServerError | string };
    error = typeof parsed.error === 'string' ? { type: 'error', reason: parsed.error } : parsed.error;
  } catch {
    error = body === '' ? undefined : { type: 'error', reason: body.slice(0, 500) };
  }
  return classifyServerError(status, error, 'request');
}

/** A failure to get any answer (SDK errors are classified by name; both SDKs share the names). */
export function classifyTransportError(error: unknown): SinkError {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  switch (name) {
    case 'ProductNotSupportedError':
      return new SinkError('fatal', `the server is not Elasticsearch (product check failed); use SLUICE_ES_FLAVOUR=opensearch for OpenSearch`, {
        code: 'es.product_not_supported',
        cause: error,
      });
    case 'ConfigurationError':
      return new SinkError('fatal', `client configuration: ${message}`, { code: 'es.configuration', cause: error });
    case 'TimeoutError':
      return new SinkError('backpressure', `request timed out: ${message}`, { code: 'es.timeout', cause: error });
    default:
      return new SinkError('retryable', `no answer from the cluster (${name}): ${message}`, { code: 'es.connection', cause: error });
  }
}
