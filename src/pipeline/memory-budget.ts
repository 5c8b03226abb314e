/**
 * The in-flight budget: bytes of records received but not yet settled (buffered, being
 * decoded, waiting in a lane or being written). Partitions are paused at the high watermark,
 * which leaves room for one more fetch, so the hard limit SLUICE_MAX_INFLIGHT_BYTES is never
 * passed; if a client still delivers (a fetch already under way), the source handler waits at
 * the hard limit before accepting more.
 */
export class MemoryBudget {
  private used = 0;
  private waiters: (() => void)[] = [];
  readonly highWatermark: number;
  readonly lowWatermark: number;

  constructor(
    readonly limitBytes: number,
    /** Bytes one fetch can still bring after a pause (fetch.max.bytes). */
    headroomBytes: number,
  ) {
    const headroom = Math.min(headroomBytes, Math.floor(limitBytes / 2));
    this.highWatermark = limitBytes - headroom;
    this.lowWatermark = Math.floor(this.highWatermark / 2);
  }

  get usedBytes(): number {
    return this.used;
  }

  add(bytes: number): void {
    this.used += bytes;
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.used = Math.max(0, this.used - bytes);
    if (this.used < this.limitBytes && this.waiters.length > 0) {
      const waiting = this.waiters;
      this.waiters = [];
      for (const wake of waiting) wake();
    }
  }

  /** True when `bytes` more would pass the hard limit. */
  wouldExceed(bytes: number): boolean {
    return this.used + bytes > this.limitBytes && this.used > 0;
  }

  /** Resolves once there is room for `bytes` (or the budget is empty), or the signal aborts. */
  async waitForRoom(bytes: number, signal: AbortSignal): Promise<void> {
    while (this.wouldExceed(bytes)) {
      signal.throwIfAborted();
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }
}
