/**
 * Writer schemas by registry id, fetched before the records that need them are decoded, so the
 * pipeline's synchronous decode never waits on the network.
 *
 * `prepare(ids)` resolves once every id is either loaded or known to be unusable:
 * - loaded: the avsc type and the Connect schema, kept for the life of the process (an id names
 *   one schema forever in a Confluent registry);
 * - not found (the registry answered 404 for it): decode dead-letters its records with the reason;
 *   asked again at the next prepare, so a registry restored later is picked up;
 * - unsupported (not Avro, or an Avro schema Kafka Connect cannot have written): dead-lettered;
 * - any other failure (registry down, 5xx, auth, timeouts): retried with exponential backoff until
 *   it succeeds or `signal` aborts. The caller (the pipeline's source handler) is blocked meanwhile:
 *   that is the back-pressure — nothing is dead-lettered or skipped during an outage.
 */
import type avro from 'avsc';
import type { CompiledKeySchema, CompiledValueSchema } from '../compiled-schema.ts';
import type { ConnectSchema } from '../connect-schema.ts';
import { connectSchemaFromAvro } from './connect-schema-from-avro.ts';
import { jsonShapedAvroType } from './json-shaped-avro-type.ts';
import { type SchemaRegistryClient, SchemaNotFoundError } from './registry-client.ts';

export interface LoadedSchema {
  readonly id: number;
  readonly type: avro.Type;
  readonly connect: ConnectSchema;
  /** Compiled on first use as a value / as a key (an id may serve either role). */
  compiledValue?: CompiledValueSchema;
  compiledKey?: CompiledKeySchema;
}

export interface UnusableSchema {
  readonly code: 'avro.unknown_schema_id' | 'avro.unsupported_schema';
  readonly reason: string;
}

export interface FetchRetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export interface SchemaStoreOptions {
  readonly retry?: FetchRetryPolicy;
  /** Called before each retry of a failed fetch (log it: a registry outage stalls consumption). */
  readonly onFetchRetry?: (failure: { schemaId: number; attempt: number; delayMs: number; error: unknown }) => void;
  /** Injected for tests; resolves after ms or when signal aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

const DEFAULT_RETRY: FetchRetryPolicy = { initialDelayMs: 200, maxDelayMs: 10_000 };

function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class SchemaStore {
  private readonly loaded = new Map<number, LoadedSchema>();
  private readonly unusable = new Map<number, UnusableSchema>();
  private readonly inFlight = new Map<number, Promise<void>>();
  private readonly retry: FetchRetryPolicy;
  private readonly sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;

  constructor(
    private readonly client: SchemaRegistryClient,
    private readonly options: SchemaStoreOptions = {},
  ) {
    this.retry = options.retry ?? DEFAULT_RETRY;
    this.sleep = options.sleep ?? abortableSleep;
  }

  get(id: number): LoadedSchema | undefined {
    return this.loaded.get(id);
  }

  unusableReason(id: number): UnusableSchema | undefined {
    return this.unusable.get(id);
  }

  /** Loads every id not loaded yet; see the file comment for the outcomes. */
  async prepare(ids: Iterable<number>, signal?: AbortSignal): Promise<void> {
    const waits: Promise<void>[] = [];
    for (const id of new Set(ids)) {
      if (this.loaded.has(id) || this.unusable.get(id)?.code === 'avro.unsupported_schema') continue;
      let pending = this.inFlight.get(id);
      if (pending === undefined) {
        pending = this.load(id, signal).finally(() => this.inFlight.delete(id));
        this.inFlight.set(id, pending);
      }
      waits.push(pending);
    }
    await Promise.all(waits);
  }

  private async load(id: number, signal: AbortSignal | undefined): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (signal?.aborted) return;
      try {
        const fetched = await this.client.fetchSchema(id);
        this.unusable.delete(id);
        this.accept(id, fetched.schemaType, fetched.schema, fetched.references ?? []);
        return;
      } catch (error) {
        if (error instanceof SchemaNotFoundError) {
          this.unusable.set(id, { code: 'avro.unknown_schema_id', reason: error.message });
          return;
        }
        const delayMs = Math.min(this.retry.maxDelayMs, this.retry.initialDelayMs * 2 ** Math.min(attempt - 1, 20));
        this.options.onFetchRetry?.({ schemaId: id, attempt, delayMs, error });
        await this.sleep(delayMs, signal);
      }
    }
  }

  private accept(id: number, schemaType: string, text: string, referenceTexts: readonly string[]): void {
    if (schemaType.toUpperCase() !== 'AVRO') {
      this.unusable.set(id, { code: 'avro.unsupported_schema', reason: `schema id ${id} is a ${schemaType} schema, not Avro` });
      return;
    }
    try {
      const json: unknown = JSON.parse(text);
      const references = referenceTexts.map((reference): unknown => JSON.parse(reference));
      const connect = connectSchemaFromAvro(json, references);
      const type = jsonShapedAvroType(json, references);
      this.loaded.set(id, { id, type, connect });
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.unusable.set(id, { code: 'avro.unsupported_schema', reason: `schema id ${id}: ${reason}` });
    }
  }
}
