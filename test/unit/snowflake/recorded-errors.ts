/**
 * Snowflake error responses as Snowflake sends them (code, SQLSTATE, message), collected from
 * the Snowflake documentation, snowflake-sdk's own constants and error reports of public
 * projects (pipelinewise-target-snowflake, datamill target-snowflake, sling, Airflow and others).
 * `expected` is the class the writer must assign.
 */
import type { ErrorClass } from '../../../src/errors.ts';

export interface RecordedError {
  readonly code: string;
  readonly sqlState: string;
  readonly message: string;
  readonly expected: ErrorClass;
  /**
   * Where the answer comes from: the login request, a statement, or (for session codes, which
   * snowflake-sdk handles itself by renewing or re-queueing) the error object the SDK passes on.
   */
  readonly on: 'login' | 'query' | 'sdk';
}

export const recordedErrors: readonly RecordedError[] = [
  // Values Snowflake cannot convert: poison.
  { on: 'query', code: '100038', sqlState: '22018', message: "Numeric value '2021-01-16 09:03:43.1983+00:00' is not recognized", expected: 'poison' },
  { on: 'query', code: '100040', sqlState: '22007', message: "Date '0000-00-00' is not recognized", expected: 'poison' },
  { on: 'query', code: '100035', sqlState: '22007', message: "Timestamp '20107-05-10' is not recognized", expected: 'poison' },
  { on: 'query', code: '100039', sqlState: '22003', message: "Numeric value '123456.78' is out of range", expected: 'poison' },
  { on: 'query', code: '100069', sqlState: '22P02', message: 'Error parsing JSON: incomplete object value, pos 17', expected: 'poison' },
  { on: 'query', code: '100037', sqlState: '22018', message: "Boolean value 'maybe' is not recognized", expected: 'poison' },
  // The warehouse is the bottleneck: backpressure.
  {
    on: 'query',
    code: '000630',
    sqlState: '57014',
    message: 'Statement reached its statement or warehouse timeout of 120 second(s) and was canceled.',
    expected: 'backpressure',
  },
  {
    on: 'query',
    code: '000625',
    sqlState: '57014',
    message:
      "Statement '01b2c3d4-0000-1234-0000-000123456789' has locked table 'ORDERS' in transaction 1700000000000000000 and this lock has not yet been released. Your statement '01b2c3d4-0000-1234-0000-00012345678a' was aborted because the number of waiters for this lock exceeds the 20 statements limit.",
    expected: 'backpressure',
  },
  // Sessions that ended: reconnect and retry.
  { on: 'sdk', code: '390112', sqlState: '08001', message: 'Your session has expired. Please login again.', expected: 'retryable' },
  { on: 'sdk', code: '390114', sqlState: '08001', message: 'Authentication token has expired.  The user must authenticate again.', expected: 'retryable' },
  { on: 'sdk', code: '390111', sqlState: '08001', message: 'Session no longer exists.  New login required to access the service.', expected: 'retryable' },
  // Configuration and permissions: fatal.
  { on: 'login', code: '390100', sqlState: '08004', message: 'Incorrect username or password was specified.', expected: 'fatal' },
  { on: 'login', code: '390144', sqlState: '08004', message: 'JWT token is invalid.', expected: 'fatal' },
  { on: 'login', code: '390189', sqlState: '08004', message: "Role 'LOADER' specified in the connect string does not exist or not authorized. Contact your local system administrator, or attempt to login with another role, e.g. PUBLIC.", expected: 'fatal' },
  { on: 'query', code: '003001', sqlState: '42501', message: "SQL access control error:\nInsufficient privileges to operate on schema 'PUBLIC'", expected: 'fatal' },
  { on: 'query', code: '002003', sqlState: '42S02', message: "SQL compilation error:\nDatabase 'ANALYTICS' does not exist or not authorized.", expected: 'fatal' },
  {
    on: 'query',
    code: '000606',
    sqlState: '57P03',
    message: "No active warehouse selected in the current session.  Select an active warehouse with the 'use warehouse' command.",
    expected: 'fatal',
  },
  { on: 'query', code: '001003', sqlState: '42000', message: "SQL compilation error:\nsyntax error line 1 at position 7 unexpected 'MERG'.", expected: 'fatal' },
];
