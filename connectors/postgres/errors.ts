/**
 * Classifies everything the PostgreSQL writer can fail with into the closed set of
 * src/errors.ts, once. Server errors are classified by SQLSTATE
 * (https://www.postgresql.org/docs/15/errcodes-appendix.html), client-side errors by the Node
 * error code or the pg driver's message. Codes are stable: 'pg.<condition>'.
 */
import { type ErrorClass, SinkError, isSinkError } from '../../src/errors.ts';
import { InvalidIdentifierError } from './statements.ts';
import { UnencodableValueError } from './type-map.ts';

interface Classification {
  readonly errorClass: ErrorClass;
  readonly code: string;
}

/** Exact SQLSTATEs that differ from their class's rule. */
const bySqlState: Readonly<Record<string, Classification>> = {
  '40001': { errorClass: 'retryable', code: 'pg.serialization_failure' },
  '40P01': { errorClass: 'retryable', code: 'pg.deadlock_detected' },
  '55P03': { errorClass: 'backpressure', code: 'pg.lock_not_available' },
  '57014': { errorClass: 'backpressure', code: 'pg.query_canceled' },
  '53300': { errorClass: 'backpressure', code: 'pg.too_many_connections' },
  '53200': { errorClass: 'backpressure', code: 'pg.out_of_memory' },
  '53400': { errorClass: 'backpressure', code: 'pg.configuration_limit_exceeded' },
  // Disk full needs an operator; retrying cannot fix it.
  '53100': { errorClass: 'fatal', code: 'pg.disk_full' },
  '57P01': { errorClass: 'retryable', code: 'pg.admin_shutdown' },
  '57P02': { errorClass: 'retryable', code: 'pg.crash_shutdown' },
  '57P03': { errorClass: 'retryable', code: 'pg.cannot_connect_now' },
  '3D000': { errorClass: 'fatal', code: 'pg.invalid_catalog_name' },
  '3F000': { errorClass: 'fatal', code: 'pg.invalid_schema_name' },
  '42501': { errorClass: 'fatal', code: 'pg.insufficient_privilege' },
  // A table or column vanished under us (dropped by someone): the writer forgets the cached
  // shape, so a retry re-creates it (or fails fatally when auto-create is off).
  '42P01': { errorClass: 'retryable', code: 'pg.undefined_table' },
  '42703': { errorClass: 'retryable', code: 'pg.undefined_column' },
  // ON CONFLICT affected one row twice: two changes in one batch map to the same target key
  // (a compaction contract breach or keys the source considers distinct). Bisection isolates them.
  '21000': { errorClass: 'poison', code: 'pg.cardinality_violation' },
  // Row or index entry too large (e.g. "index row size exceeds maximum").
  '54000': { errorClass: 'poison', code: 'pg.program_limit_exceeded' },
};

/** Rules per SQLSTATE class (first two characters). */
const bySqlStateClass: Readonly<Record<string, ErrorClass>> = {
  '08': 'retryable', // connection exception
  '40': 'retryable', // transaction rollback
  '22': 'poison', // data exception: the value can never be stored in this column
  '23': 'poison', // integrity constraint violation
  '28': 'fatal', // invalid authorization
  '42': 'fatal', // syntax error or access rule violation: a bug or a schema we cannot write
  '53': 'backpressure', // insufficient resources
  '57': 'retryable', // operator intervention
  '58': 'retryable', // system error (I/O)
  '0A': 'fatal', // feature not supported
  '25': 'retryable', // invalid transaction state: a fresh transaction fixes it
  XX: 'fatal', // internal error
};

/** Node socket errors: the connection broke; a new one may work. */
const retryableNodeCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);

function sqlState(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

function nodeCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code = (error as { code: unknown }).code;
  return typeof code === 'string' && code.startsWith('E') ? code : undefined;
}

export function classifyPostgresError(error: unknown): Classification {
  if (error instanceof UnencodableValueError) return { errorClass: 'poison', code: 'pg.unencodable_value' };
  if (error instanceof InvalidIdentifierError) return { errorClass: 'poison', code: 'pg.invalid_identifier' };
  const state = sqlState(error);
  if (state !== undefined) {
    const exact = bySqlState[state];
    if (exact !== undefined) return exact;
    const errorClass = bySqlStateClass[state.slice(0, 2)];
    if (errorClass !== undefined) return { errorClass, code: `pg.sqlstate_${state}` };
    return { errorClass: 'fatal', code: `pg.sqlstate_${state}` };
  }
  const code = nodeCode(error);
  if (code !== undefined && retryableNodeCodes.has(code)) return { errorClass: 'retryable', code: `pg.${code.toLowerCase()}` };
  const message = error instanceof Error ? error.message : String(error);
  if (/timeout exceeded when trying to connect/i.test(message)) return { errorClass: 'backpressure', code: 'pg.pool_exhausted' };
  if (/connection terminated|connection closed|terminating connection|Client has encountered a connection error/i.test(message)) {
    return { errorClass: 'retryable', code: 'pg.connection_lost' };
  }
  // Anything else is a bug or a condition we do not understand: stop loudly rather than loop.
  return { errorClass: 'fatal', code: 'pg.unexpected' };
}

/** Wraps any failure as a SinkError; SinkErrors pass through unchanged. */
export function toSinkError(error: unknown, context: string): SinkError {
  if (isSinkError(error)) return error;
  const { errorClass, code } = classifyPostgresError(error);
  const detail = error instanceof Error ? error.message : String(error);
  const state = sqlState(error);
  return new SinkError(errorClass, `${context}: ${detail}${state === undefined ? '' : ` (SQLSTATE ${state})`}`, { code, cause: error });
}
