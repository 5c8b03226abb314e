import type { KafkaRecord } from './types.ts';

type HeaderValue = Buffer | string | readonly (Buffer | string)[] | undefined;
type ClientHeaders = Readonly<Record<string, HeaderValue>>;

/** The message shape kafkajs delivers (and the confluent package's KafkaJS-compatible API). */
export interface ClientMessage {
  readonly offset: string;
  readonly key?: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: string;
  readonly headers?: ClientHeaders;
}

export function toKafkaRecord(topic: string, partition: number, message: ClientMessage): KafkaRecord {
  return new ClientRecord(topic, partition, message);
}

const NO_HEADERS: ReadonlyMap<string, Buffer> = new Map();

/**
 * A KafkaRecord whose header map is built on first read: only dead letters read headers, and
 * building a Map (and a Buffer per string value) for every record cost measurable CPU and
 * garbage on the hot path. The client's header object is kept until then (it references the
 * same Buffers the map would). `headers` is a prototype getter, so `{ ...record }` would not
 * copy it; build records with toKafkaRecord, never by spreading one.
 */
class ClientRecord implements KafkaRecord {
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly timestamp: number;
  private clientHeaders: ClientHeaders | undefined;
  private headerMap: ReadonlyMap<string, Buffer> | null = null;

  constructor(
    readonly topic: string,
    readonly partition: number,
    message: ClientMessage,
  ) {
    this.offset = BigInt(message.offset);
    this.key = message.key ?? null;
    this.value = message.value ?? null;
    this.timestamp = Number(message.timestamp);
    this.clientHeaders = message.headers;
  }

  get headers(): ReadonlyMap<string, Buffer> {
    if (this.headerMap === null) {
      this.headerMap = toHeaderMap(this.clientHeaders);
      this.clientHeaders = undefined;
    }
    return this.headerMap;
  }
}

/**
 * Kafka allows a header key to repeat; the record contract keeps one value per key, the last one,
 * as Kafka Connect's `headers().lastWithName()` does.
 */
function toHeaderMap(headers: ClientHeaders | undefined): ReadonlyMap<string, Buffer> {
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
