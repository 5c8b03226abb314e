/**
 * The operator's window: /metrics (Prometheus), /healthz (the process works), /readyz (the
 * pipeline makes progress), /status (the status document, JSON), / (the status page, which polls
 * /status; see status-page.ts). Served on
 * SLUICE_HTTP_HOST:SLUICE_HTTP_PORT, loopback by default.
 */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SluiceMetrics } from './metrics.ts';
import { statusPageHtml } from './status-page.ts';

export interface ReadinessReport {
  readonly ready: boolean;
  readonly reasons: readonly string[];
}

export interface StatusSource {
  readiness(): ReadinessReport;
  status(): unknown;
}

export async function startHttpServer(options: { host: string; port: number; metrics: SluiceMetrics; status: StatusSource }): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (code: number, type: string, body: string): void => {
      response.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (path === '/metrics') {
      options.metrics.registry.metrics().then(
        (text) => reply(200, options.metrics.registry.contentType, text),
        (error: unknown) => reply(500, 'text/plain', String(error)),
      );
      return;
    }
    if (path === '/healthz') return reply(200, 'application/json', JSON.stringify({ status: 'ok' }));
    if (path === '/readyz') {
      const readiness = options.status.readiness();
      return reply(readiness.ready ? 200 : 503, 'application/json', JSON.stringify(readiness));
    }
    if (path === '/') return reply(200, 'text/html; charset=utf-8', statusPageHtml);
    if (path === '/status') {
      return reply(200, 'application/json', JSON.stringify(options.status.status(), (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value), 2));
    }
    reply(404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${options.host}:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
