import type { KafkaRecord } from './types.ts';

type HeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;

/** The message shape kafkajs delivers (and the confluent package's KafkaJS-compatible API). */
export interface ClientMessage {
  readonly offset: string;
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers?: Readonly<Record<string, HeaderValue>>;
}

export function toKafkaRecord(topic: string, partition: number, message: ClientMessage): KafkaRecord {
  return {
    topic,
    partition,
    offset: BigInt(message.offset),
    key: message.key ?? null,
    value: message.value ?? null,
    headers: toHeaderMap(message.headers),
    timestamp: Number(message.timestamp),
  };
}

const NO_HEADERS: ReadonlyMap<string, Buffer> = new Map();

/**
 * Kafka allows a header key to repeat; the record contract keeps one value per key, the last one,
 * as Kafka Connect's `headers().lastWithName()` does.
 */
function toHeaderMap(headers: Readonly<Record<string, HeaderValue>> | undefined): ReadonlyMap<string, Buffer> {
  if (headers === undefined) return NO_HEADERS;
  const entries = Object.entries(headers);
  if (entries.length === 0) return NO_HEADERS;
  const map = new Map<string, Buffer>();
  for (const [name, value] of entries) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last === undefined) continue;
    map.set(name, typeof last === 'string' ? Buffer.from(last) : (last as Buffer));
  }
  return map;
}

/** The log-end offset a client reported as a string; negative or missing means unknown. */
export function parseHighWatermark(value: string | undefined): bigint | null {
  if (value === undefined || value === '') return null;
  const offset = BigInt(value);
  return offset >= 0n ? offset : null;
}
