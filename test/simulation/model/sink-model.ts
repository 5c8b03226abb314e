/**
 * A modelled destination: each statement costs a fixed time plus a time per row; at most
 * `slots` run at once (a warehouse's concurrency), the rest queue FIFO — latency rises — and
 * past `queue_timeout_ms` a queued statement fails with a backpressure error, as Snowflake's
 * "statement queued" does. An optional rows/s quota (BigQuery streaming inserts) rejects
 * requests that exceed it with quotaExceeded; outages fail requests with retryable errors;
 * stalls (a lock on the target table) hold statements until they end; `slowdown` scales
 * service time over time (a degrading sink).
 */
import type { EventQueue } from './event-queue.ts';
import type { SinkParams } from './scenario.ts';
import type { Random } from './seeded-random.ts';

export type SinkResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly errorClass: 'backpressure' | 'retryable'; readonly code: string; readonly retryAfterMs?: number };

interface Queued {
  readonly rows: number;
  readonly onDone: (result: SinkResult) => void;
  cancelled: boolean;
}

/** Time a rejected request takes to come back (one round trip). */
const rejectionMs = 50;

export class SinkModel {
  private busy = 0;
  private readonly waiting: Queued[] = [];
  private tokens: number;
  private tokensAt = 0;

  constructor(
    private readonly params: SinkParams,
    private readonly queue: EventQueue,
    private readonly random: Random,
  ) {
    this.tokens = (params.quota_rows_per_s ?? 0) * params.quota_burst_s;
  }

  submit(rows: number, onDone: (result: SinkResult) => void): void {
    const now = this.queue.now;
    if (this.inOutage(now)) {
      this.queue.after(this.params.outage_error_ms, () => onDone({ ok: false, errorClass: 'retryable', code: 'sim.connection_refused' }));
      return;
    }
    const quota = this.params.quota_rows_per_s;
    if (quota !== null) {
      const capacity = quota * this.params.quota_burst_s;
      this.tokens = Math.min(capacity, this.tokens + ((now - this.tokensAt) / 1000) * quota);
      this.tokensAt = now;
      if (this.tokens < rows) {
        const retryAfterMs = Math.ceil(((rows - this.tokens) / quota) * 1000);
        this.queue.after(rejectionMs, () =>
          onDone({ ok: false, errorClass: 'backpressure', code: 'sim.quota_exceeded', retryAfterMs }),
        );
        return;
      }
      this.tokens -= rows;
    }
    const slots = this.params.slots;
    if (slots === null || this.busy < slots) {
      this.start(rows, onDone);
      return;
    }
    const entry: Queued = { rows, onDone, cancelled: false };
    this.waiting.push(entry);
    const timeout = this.params.queue_timeout_ms;
    if (timeout !== null) {
      this.queue.after(timeout, () => {
        if (entry.cancelled) return;
        entry.cancelled = true;
        this.waiting.splice(this.waiting.indexOf(entry), 1);
        onDone({ ok: false, errorClass: 'backpressure', code: 'sim.statement_queued_timeout' });
      });
    }
  }

  /** Service time of a statement of `rows` started now, without jitter. */
  nominalServiceMs(rows: number, at: number): number {
    return (this.params.fixed_ms + this.params.per_row_ms * rows) * this.slowdown(at);
  }

  private start(rows: number, onDone: (result: SinkResult) => void): void {
    this.busy += 1;
    const jitter = 1 + this.params.jitter * (2 * this.random.next() - 1);
    const serviceMs = this.nominalServiceMs(rows, this.queue.now) * jitter;
    this.queue.at(this.stalledUntil(this.queue.now + serviceMs), () => {
      this.busy -= 1;
      const failed = this.inOutage(this.queue.now);
      this.startNext();
      onDone(failed ? { ok: false, errorClass: 'retryable', code: 'sim.connection_reset' } : { ok: true });
    });
  }

  private startNext(): void {
    while (this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      if (next.cancelled) continue;
      next.cancelled = true;
      this.start(next.rows, next.onDone);
      return;
    }
  }

  /** When a statement due to finish at `at` really finishes: after any stall covering it. */
  private stalledUntil(at: number): number {
    const stall = this.params.stalls.find((s) => at >= s.from_s * 1000 && at < s.to_s * 1000);
    return stall === undefined ? at : stall.to_s * 1000;
  }

  private inOutage(at: number): boolean {
    return this.params.outages.some((o) => at >= o.from_s * 1000 && at < o.to_s * 1000);
  }

  private slowdown(at: number): number {
    const points = this.params.slowdown;
    if (points.length === 0) return 1;
    const s = at / 1000;
    if (s <= points[0]![0]) return points[0]![1];
    for (let i = 1; i < points.length; i++) {
      const [t1, f1] = points[i]!;
      const [t0, f0] = points[i - 1]!;
      if (s <= t1) return f0 + ((f1 - f0) * (s - t0)) / (t1 - t0);
    }
    return points.at(-1)![1];
  }
}
