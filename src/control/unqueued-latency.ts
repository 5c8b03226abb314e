/**
 * The sink's latency when nothing waits in it, as a function of batch rows: the lowest latency
 * seen per batch size, and between sizes a least-squares line through those minimums — the
 * sink's fixed cost per statement plus its cost per row. The adaptive concurrency compares the
 * latency it measures with this to estimate how many writes are queued (TCP Vegas' idea).
 *
 * Minimums are learned mostly while batch size ramps up at low concurrency, when nothing queues.
 * An interval with a single write in flight replaces its size's minimum (nothing of ours can
 * have queued), and all minimums are forgotten slowly (each interval they rise by `drift`), so a
 * sink that gets slower for good is followed rather than taken for a queue forever.
 */
/** Batch sizes within 5 % of each other share one minimum. */
const bucketRatio = Math.log(1.05);

interface Minimum {
  /** Rows of the write that set the minimum. */
  rows: number;
  latencyMs: number;
}

export class UnqueuedLatencyModel {
  private readonly minimums = new Map<number, Minimum>();

  constructor(private readonly drift: number) {}

  observe(rows: number, latencyMs: number): void {
    if (!(rows > 0 && latencyMs > 0)) return;
    const key = bucketOf(rows);
    const known = this.minimums.get(key);
    if (known === undefined) {
      this.minimums.set(key, { rows, latencyMs });
    } else if (latencyMs < known.latencyMs) {
      known.rows = rows;
      known.latencyMs = latencyMs;
    }
  }

  /**
   * A latency known to be unqueued (only one write was in flight) replaces the minimum for its
   * size, upwards too: that is how a sink that became slower for good is learned at once.
   */
  reset(rows: number, latencyMs: number): void {
    if (!(rows > 0 && latencyMs > 0)) return;
    this.minimums.set(bucketOf(rows), { rows, latencyMs });
  }

  /** Called once per interval: every remembered minimum rises by `drift`. */
  age(): void {
    for (const minimum of this.minimums.values()) minimum.latencyMs *= 1 + this.drift;
  }

  /** Expected unqueued latency for a batch of `rows`, or null before anything was observed. */
  predict(rows: number): number | null {
    const exact = this.minimums.get(bucketOf(rows));
    if (exact !== undefined) return exact.latencyMs;
    if (this.minimums.size === 0) return null;
    const known = [...this.minimums.values()];
    if (known.length === 1) {
      // One size known: assume latency proportional to rows above it and equal below it,
      // which errs towards "no queue".
      const only = known[0]!;
      return rows >= only.rows ? only.latencyMs * (rows / only.rows) : only.latencyMs;
    }
    let meanX = 0;
    let meanY = 0;
    for (const { rows: x, latencyMs: y } of known) {
      meanX += x;
      meanY += y;
    }
    meanX /= known.length;
    meanY /= known.length;
    let covariance = 0;
    let varianceX = 0;
    for (const { rows: x, latencyMs: y } of known) {
      covariance += (x - meanX) * (y - meanY);
      varianceX += (x - meanX) ** 2;
    }
    const perRow = varianceX === 0 ? 0 : Math.max(0, covariance / varianceX);
    const fixed = meanY - perRow * meanX;
    const predicted = fixed + perRow * rows;
    return predicted > 0 ? predicted : null;
  }

  clear(): void {
    this.minimums.clear();
  }
}

function bucketOf(rows: number): number {
  return Math.round(Math.log(rows) / bucketRatio);
}
