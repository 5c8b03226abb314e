/**
 * The narrow HTTP surface the writer needs, over either SDK. Both SDKs are used only as transports
 * (connection pool, auth, TLS, product headers): every request goes through `transport.request`
 * with the response as a stream, so the writer always gets the status code and the exact body
 * text (numbers are never rounded by a JSON.parse it did not choose) and the two flavours behave
 * identically. SDK retries are off: the core owns retries.
 *
 * Each SDK is imported only when its flavour is chosen, so an OpenSearch deployment never loads
 * @elastic/elasticsearch and the other way round.
 */
import type { Readable } from 'node:stream';
import { gunzipSync, inflateSync } from 'node:zlib';
import type { ElasticsearchConfig } from './config.ts';

export interface HttpRequest {
  readonly method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  /** A JSON body without bigints (mappings, queries): serialized by the SDK. */
  readonly json?: Readonly<Record<string, unknown>>;
  /** A complete bulk body, one JSON text per line, ending in a newline. */
  readonly ndjson?: string;
}

export interface HttpResponse {
  readonly statusCode: number;
  readonly body: string;
}

/** Never throws for an HTTP status: non-2xx answers are returned. Throws for transport failures. */
export interface SearchClient {
  send(request: HttpRequest, signal?: AbortSignal): Promise<HttpResponse>;
  close(): Promise<void>;
}

interface StreamResult {
  readonly statusCode: number | null;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: unknown;
}

interface TransportParams {
  method: string;
  path: string;
  querystring?: Record<string, string>;
  body?: Record<string, unknown>;
  bulkBody?: string;
}

/** What both SDKs' transports provide once told to answer with a stream and its metadata. */
type StreamTransport = (params: TransportParams, signal: AbortSignal | undefined) => Promise<StreamResult>;

export async function createSearchClient(config: ElasticsearchConfig): Promise<SearchClient> {
  return config.flavour === 'elasticsearch' ? createElasticClient(config) : createOpenSearchClient(config);
}

async function createElasticClient(config: ElasticsearchConfig): Promise<SearchClient> {
  const { Client } = await import('@elastic/elasticsearch');
  const client = new Client({
    nodes: [...config.nodes],
    maxRetries: 0,
    requestTimeout: config.requestTimeoutMs,
    ...(config.auth.kind === 'api-key' ? { auth: { apiKey: config.auth.apiKey } } : {}),
    ...(config.auth.kind === 'basic' ? { auth: { username: config.auth.username, password: config.auth.password } } : {}),
    ...(config.caPem === null ? {} : { tls: { ca: config.caPem } }),
  });
  const transport: StreamTransport = async (params, signal) =>
    (await client.transport.request(params, {
      asStream: true,
      meta: true,
      maxRetries: 0,
      ...(signal === undefined ? {} : { signal }),
    })) as StreamResult;
  return wrap(transport, () => client.close());
}

async function createOpenSearchClient(config: ElasticsearchConfig): Promise<SearchClient> {
  const { Client } = await import('@opensearch-project/opensearch');
  const client = new Client({
    nodes: [...config.nodes],
    maxRetries: 0,
    requestTimeout: config.requestTimeoutMs,
    ...(config.auth.kind === 'basic' ? { auth: { username: config.auth.username, password: config.auth.password } } : {}),
    ...(config.caPem === null ? {} : { ssl: { ca: config.caPem } }),
  });
  const transport: StreamTransport = async (params, signal) => {
    const pending = client.transport.request(params, { asStream: true, maxRetries: 0 });
    const onAbort = (): void => pending.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      return (await pending) as StreamResult;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  };
  return wrap(transport, () => client.close());
}

function wrap(transport: StreamTransport, close: () => Promise<void>): SearchClient {
  return {
    async send(request, signal) {
      const params: TransportParams = { method: request.method, path: request.path };
      if (request.query !== undefined) params.querystring = { ...request.query };
      if (request.json !== undefined) params.body = { ...request.json };
      if (request.ndjson !== undefined) params.bulkBody = request.ndjson;
      const result = await transport(params, signal);
      const body = await readBody(result);
      return { statusCode: result.statusCode ?? 0, body };
    },
    close,
  };
}

async function readBody(result: StreamResult): Promise<string> {
  const stream = result.body as Readable | null | undefined;
  if (stream === null || stream === undefined || typeof stream[Symbol.asyncIterator] !== 'function') return '';
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  let bytes = Buffer.concat(chunks);
  const encoding = String(result.headers?.['content-encoding'] ?? '').toLowerCase();
  if (encoding.includes('gzip')) bytes = gunzipSync(bytes);
  else if (encoding.includes('deflate')) bytes = inflateSync(bytes);
  return bytes.toString('utf8');
}
