/**
 * An HTTPS front with authentication for the writer's TLS and credential tests: a throwaway CA
 * and server certificate for 127.0.0.1 (made with the openssl CLI into a temporary folder), a
 * TLS listener on loopback that refuses any request whose Authorization header is not the
 * expected one (401, as a secured cluster does), and plain HTTP forwarding to `upstream`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TlsAuthFront {
  readonly url: string;
  /** PEM file of the CA that signed the front's certificate. */
  readonly caFile: string;
  readonly acceptedRequests: number;
  readonly refusedRequests: number;
  close(): Promise<void>;
}

function makeCertificates(folder: string): { key: string; cert: string; caFile: string } {
  const file = (name: string) => path.join(folder, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=sluice test CA', '-keyout', file('ca.key'), '-out', file('ca.pem'));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', file('server.key'), '-out', file('server.csr'));
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl('x509', '-req', '-in', file('server.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial', '-days', '1', '-extfile', file('server.ext'), '-out', file('server.pem'));
  return { key: readFileSync(file('server.key'), 'utf8'), cert: readFileSync(file('server.pem'), 'utf8'), caFile: file('ca.pem') };
}

export async function startTlsAuthFront(upstream: string, expectedAuthorization: string): Promise<TlsAuthFront> {
  const folder = mkdtempSync(path.join(tmpdir(), 'sluice-tls-'));
  const { key, cert, caFile } = makeCertificates(folder);
  const target = new URL(upstream);
  let acceptedRequests = 0;
  let refusedRequests = 0;
  const server = createServer({ key, cert }, (incoming, outgoing) => {
    if (incoming.headers.authorization !== expectedAuthorization) {
      refusedRequests++;
      incoming.resume();
      outgoing.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Basic realm="security"' });
      outgoing.end(JSON.stringify({ error: { type: 'security_exception', reason: 'missing or wrong credentials' }, status: 401 }));
      return;
    }
    acceptedRequests++;
    const headers = { ...incoming.headers, host: target.host };
    delete headers.authorization;
    const forwarded = httpRequest({ hostname: target.hostname, port: target.port, method: incoming.method, path: incoming.url, headers }, (answer) => {
      outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(outgoing);
    });
    forwarded.on('error', (error) => {
      if (!outgoing.headersSent) outgoing.writeHead(502);
      outgoing.end(error.message);
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caFile,
    get acceptedRequests() {
      return acceptedRequests;
    },
    get refusedRequests() {
      return refusedRequests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          rmSync(folder, { recursive: true, force: true });
          resolve();
        });
      }),
  };
}
