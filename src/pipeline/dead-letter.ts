/**
 * The dead-letter topic: records that can never be written go there with the original key,
 * value and headers, plus headers saying why, so that `sluice dlq replay` can re-inject them
 * after a fix. A record is released (its offset may be committed) only after the broker
 * acknowledged its dead-letter copy: nothing is dropped silently.
 */
import type { KafkaRecord } from '../kafka/types.ts';
import type { ErrorClass } from '../errors.ts';

export interface DeadLetterMessage {
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string | Buffer>>;
}

/** The part of a Kafka producer the dead-letter queue needs. */
export interface DeadLetterProducer {
  send(topic: string, messages: readonly DeadLetterMessage[]): Promise<void>;
}

export interface DeadLetterReason {
  /** Human-readable, e.g. "numeric field overflow in column amount". */
  readonly reason: string;
  readonly errorClass: ErrorClass | 'decode';
  /** Stable code, e.g. 'decode.malformed_json' or 'pg.22003'. */
  readonly code: string;
  readonly table?: string;
}

export const deadLetterHeaders = {
  reason: 'sluice.dlq.reason',
  errorClass: 'sluice.dlq.class',
  code: 'sluice.dlq.code',
  table: 'sluice.dlq.table',
  topic: 'sluice.dlq.topic',
  partition: 'sluice.dlq.partition',
  offset: 'sluice.dlq.offset',
  timestamp: 'sluice.dlq.timestamp',
  failedAt: 'sluice.dlq.failed_at',
} as const;

/** Reasons are capped: a destination error message can embed a whole row. */
const maxReasonLength = 2_000;

export function deadLetterMessage(record: KafkaRecord, why: DeadLetterReason, now: Date): DeadLetterMessage {
  const headers: Record<string, string | Buffer> = {};
  for (const [name, value] of record.headers) {
    if (!name.startsWith('sluice.dlq.')) headers[name] = value;
  }
  headers[deadLetterHeaders.reason] = why.reason.length > maxReasonLength ? `${why.reason.slice(0, maxReasonLength)}…` : why.reason;
  headers[deadLetterHeaders.errorClass] = why.errorClass;
  headers[deadLetterHeaders.code] = why.code;
  if (why.table !== undefined) headers[deadLetterHeaders.table] = why.table;
  headers[deadLetterHeaders.topic] = record.topic;
  headers[deadLetterHeaders.partition] = String(record.partition);
  headers[deadLetterHeaders.offset] = record.offset.toString();
  headers[deadLetterHeaders.timestamp] = String(record.timestamp);
  headers[deadLetterHeaders.failedAt] = now.toISOString();
  return { key: record.key, value: record.value, headers };
}
