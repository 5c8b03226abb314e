/**
 * A loopback HTTP proxy that lets @elastic/elasticsearch (v8) talk to OpenSearch, so the
 * Elasticsearch flavour's real requests are exercised without a real Elasticsearch (none is
 * installable here; with Docker, testcontainers can run one instead).
 *
 * It changes only what the client's product check and media types need:
 * - requests: `application/vnd.elasticsearch+json; compatible-with=8` → `application/json` and
 *   `application/vnd.elasticsearch+x-ndjson; compatible-with=8` → `application/x-ndjson`
 *   (content-type and accept), which OpenSearch would otherwise refuse;
 * - responses: adds `x-elastic-product: Elasticsearch`, which the client requires on every 2xx.
 * Bodies pass through untouched in both directions. It records what it saw so tests can assert
 * that the compatible media types really were sent.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface EsProductProxy {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  /** Requests that arrived with an Elasticsearch compatible-with=8 media type. */
  readonly compatibleRequests: number;
  readonly totalRequests: number;
  close(): Promise<void>;
}

const COMPATIBLE_MEDIA_TYPE = /application\/vnd\.elasticsearch\+(x-ndjson|json)\s*;\s*compatible-with=\d+/i;

function plainMediaType(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(', ') : value;
  return text.replace(/application\/vnd\.elasticsearch\+(x-ndjson|json)\s*;\s*compatible-with=\d+/gi, (_match, kind: string) => `application/${kind}`);
}

export async function startEsProductProxy(upstream: string): Promise<EsProductProxy> {
  const target = new URL(upstream);
  let compatibleRequests = 0;
  let totalRequests = 0;

  const server: Server = createServer((incoming, outgoing) => {
    totalRequests++;
    const headers: IncomingHttpHeaders = { ...incoming.headers, host: target.host };
    if (COMPATIBLE_MEDIA_TYPE.test(String(incoming.headers['content-type'] ?? '')) || COMPATIBLE_MEDIA_TYPE.test(String(incoming.headers.accept ?? ''))) {
      compatibleRequests++;
    }
    const contentType = plainMediaType(incoming.headers['content-type']);
    const accept = plainMediaType(incoming.headers.accept);
    if (contentType !== undefined) headers['content-type'] = contentType;
    if (accept !== undefined) headers.accept = accept;

    const forwarded = httpRequest(
      { hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, { ...answer.headers, 'x-elastic-product': 'Elasticsearch' });
        answer.pipe(outgoing);
      },
    );
    forwarded.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502, { 'content-type': 'application/json' });
      outgoing.end(JSON.stringify({ error: { type: 'proxy_error', reason: error.message }, status: 502 }));
    });
    incoming.pipe(forwarded);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get compatibleRequests() {
      return compatibleRequests;
    },
    get totalRequests() {
      return totalRequests;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error === undefined ? resolve() : reject(error)));
      }),
  };
}
