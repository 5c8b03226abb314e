/**
 * A loopback TCP proxy that delays every chunk, in both directions, by `delayMs` (changeable
 * while running): a slow network in front of a server; `partition(true)` cuts it off. Order is kept per direction (a chunk is
 * never released before the one ahead of it), so the protocol stream stays intact.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export class LatencyProxy {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  delayMs: number;
  port = 0;
  private partitioned = false;

  constructor(
    private readonly target: { host: string; port: number },
    delayMs: number,
  ) {
    this.delayMs = delayMs;
  }

  /** A proxy in front of the server a connection URL (postgres://host:port/…) names. */
  static inFrontOf(url: string, delayMs: number): LatencyProxy {
    const target = new URL(url);
    return new LatencyProxy({ host: target.hostname, port: Number(target.port || 5432) }, delayMs);
  }

  /** `url` with its port replaced by this (started) proxy's: the same server, reached through it. */
  through(url: string): string {
    if (this.server === null) throw new Error('LatencyProxy.through() before start()');
    const routed = new URL(url);
    routed.port = String(this.port);
    return routed.toString();
  }

  async start(): Promise<number> {
    const server = createServer((client) => this.connect(client));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    this.port = address.port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server === null ? resolve() : this.server.close(() => resolve())));
  }

  /**
   * A network partition: while on, every connection is cut and new ones are closed at once
   * (clients see resets and connection errors, as when the server host is unreachable).
   */
  partition(on: boolean): void {
    this.partitioned = on;
    if (on) for (const socket of this.sockets) socket.destroy();
  }

  private connect(client: Socket): void {
    if (this.partitioned) {
      client.destroy();
      return;
    }
    const upstream = createConnection(this.target);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    this.pipeDelayed(client, upstream);
    this.pipeDelayed(upstream, client);
  }

  private pipeDelayed(from: Socket, to: Socket): void {
    let releaseAfter = 0;
    from.on('data', (chunk: Buffer) => {
      const due = Math.max(Date.now() + this.delayMs, releaseAfter);
      releaseAfter = due;
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, due - Date.now());
    });
    from.on('end', () => {
      setTimeout(() => to.end(), Math.max(0, releaseAfter - Date.now()));
    });
  }
}
