/**
 * Exponential backoff with full jitter (AWS architecture blog's "full jitter"): spreads the
 * retries of many replicas so a recovering destination is not hit by a synchronised wave.
 */
export interface BackoffPolicy {
  readonly baseMs: number;
  readonly maxMs: number;
}

export function backoffDelayMs(policy: BackoffPolicy, attempt: number, random: () => number, atLeastMs = 0): number {
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(attempt, 30));
  return Math.max(atLeastMs, Math.round(ceiling * random()));
}

/** Resolves after `ms`, or rejects with the signal's reason when aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
