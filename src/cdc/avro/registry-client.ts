/**
 * Reads writer schemas by id from a registry that speaks the Confluent Schema Registry API
 * (`GET /schemas/ids/{id}`), through @kafkajs/confluent-schema-registry's HTTP client (mappersmith:
 * basic auth, an https.Agent for a private CA). Its own retries are off: the schema store retries
 * with backoff while the pipeline waits, so an outage is back-pressure, not dead letters.
 *
 * Outcomes of `fetchSchema(id)`:
 * - the schema text and type, with the texts of the schemas it references (Confluent schema
 *   references, `GET /subjects/{subject}/versions/{version}`, followed recursively);
 * - SchemaNotFoundError: the registry answered 404 for this id while answering `GET /subjects`
 *   (a registry that is up and does not know the id; a wrong URL answers 404 to both and stays a
 *   retryable failure rather than dead-lettering every record);
 * - any other error: the registry is unreachable or failing (retryable).
 */
import { readFileSync } from 'node:fs';
import { Agent as HttpsAgent } from 'node:https';
import createRegistryApi from '@kafkajs/confluent-schema-registry/dist/api/index.js';

export interface RegistrySchema {
  /** 'AVRO' when the registry leaves it out (Confluent omits it for Avro). */
  readonly schemaType: string;
  readonly schema: string;
  /**
   * Schemas this one refers to by name (Confluent schema references, which Apicurio's converter
   * writes for Debezium's shared Source record), resolved recursively, dependencies first.
   */
  readonly references?: readonly string[];
}

export interface SchemaRegistryClient {
  fetchSchema(id: number): Promise<RegistrySchema>;
}

export class SchemaNotFoundError extends Error {
  constructor(
    readonly schemaId: number,
    missing?: string,
  ) {
    super(missing === undefined ? `schema id ${schemaId} is not in the schema registry (404)` : `schema id ${schemaId}: ${missing} is not in the schema registry (404)`);
    this.name = 'SchemaNotFoundError';
  }
}

export interface RegistryConnection {
  /** e.g. http://127.0.0.1:8081, or an Apicurio ccompat base such as http://host:8080/apis/ccompat/v7 */
  readonly url: string;
  readonly username?: string;
  readonly password?: string;
  /** PEM file of the CA that signed the registry's certificate (https URLs). */
  readonly caFile?: string;
}

interface ResponseLike {
  data(): unknown;
}

interface RegistryApi {
  Schema: { find(params: { id: number }): Promise<ResponseLike> };
  Subject: {
    all(params: Record<string, never>): Promise<ResponseLike>;
    version(params: { subject: string; version: number | string }): Promise<ResponseLike>;
  };
}

interface SchemaReference {
  readonly subject: string;
  readonly version: number | string;
}

/** Most reference levels followed; a deeper (or cyclic) chain is not a schema Connect wrote. */
const MAX_REFERENCE_DEPTH = 16;

type CreateRegistryApi = (args: {
  host: string;
  auth?: { username: string; password: string };
  retry?: { retries: number };
  agent?: HttpsAgent;
}) => RegistryApi;

// The package is CommonJS compiled from ES modules: its default export sits on `.default`.
const createApi: CreateRegistryApi = ((createRegistryApi as unknown as { default?: CreateRegistryApi }).default ??
  createRegistryApi) as unknown as CreateRegistryApi;

function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function createSchemaRegistryClient(connection: RegistryConnection): SchemaRegistryClient {
  const agent =
    connection.caFile !== undefined ? new HttpsAgent({ ca: readFileSync(connection.caFile), keepAlive: true }) : undefined;
  const api = createApi({
    host: connection.url.replace(/\/+$/, ''),
    retry: { retries: 0 },
    ...(connection.username !== undefined ? { auth: { username: connection.username, password: connection.password ?? '' } } : {}),
    ...(agent !== undefined ? { agent } : {}),
  });

  async function registryAnswers(): Promise<boolean> {
    try {
      await api.Subject.all({});
      return true;
    } catch {
      return false;
    }
  }

  function referencesOf(body: Record<string, unknown>): SchemaReference[] {
    const raw = body['references'];
    if (!Array.isArray(raw)) return [];
    return raw.filter(
      (reference): reference is SchemaReference =>
        isRecord(reference) && typeof reference['subject'] === 'string' && (typeof reference['version'] === 'number' || typeof reference['version'] === 'string'),
    );
  }

  /** Appends the texts of `references` (and theirs, first) to `out`, each subject/version once. */
  async function resolveReferences(id: number, references: readonly SchemaReference[], out: string[], seen: Set<string>, depth: number): Promise<void> {
    if (depth > MAX_REFERENCE_DEPTH) throw new Error(`schema id ${id}: schema references nest deeper than ${MAX_REFERENCE_DEPTH}`);
    for (const reference of references) {
      const key = `${reference.subject}\u0000${reference.version}`;
      if (seen.has(key)) continue;
      seen.add(key);
      let response: ResponseLike;
      try {
        response = await api.Subject.version({ subject: reference.subject, version: reference.version });
      } catch (error) {
        if (statusOf(error) === 404 && (await registryAnswers())) throw new SchemaNotFoundError(id, `its reference ${reference.subject} version ${reference.version}`);
        throw error;
      }
      const body = response.data();
      if (!isRecord(body) || typeof body['schema'] !== 'string') throw new Error(`the registry's answer for ${reference.subject} version ${reference.version} has no "schema" text`);
      await resolveReferences(id, referencesOf(body), out, seen, depth + 1);
      out.push(body['schema']);
    }
  }

  return {
    async fetchSchema(id: number): Promise<RegistrySchema> {
      let response: ResponseLike;
      try {
        response = await api.Schema.find({ id });
      } catch (error) {
        if (statusOf(error) === 404 && (await registryAnswers())) throw new SchemaNotFoundError(id);
        throw error;
      }
      const body = response.data();
      if (!isRecord(body) || typeof body['schema'] !== 'string') {
        throw new Error(`the registry's answer for schema id ${id} has no "schema" text`);
      }
      const schemaType = typeof body['schemaType'] === 'string' ? body['schemaType'] : 'AVRO';
      const references: string[] = [];
      await resolveReferences(id, referencesOf(body), references, new Set(), 1);
      return references.length > 0 ? { schemaType, schema: body['schema'], references } : { schemaType, schema: body['schema'] };
    },
  };
}
