/**
 * Runs tasks one after another per key, tasks of different keys concurrently. The writer keys
 * MERGEs by target table: BigQuery runs at most two mutating DML statements on a table at once
 * and aborts one of two conflicting MERGEs ("Could not serialize access to table … due to
 * concurrent update"), so concurrent batches of one table load their staging tables in parallel
 * but apply them one at a time.
 */
export class TableLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release: () => void = () => undefined;
    const tail = new Promise<void>((resolve) => {
      release = resolve;
    });
    const chained = previous.then(() => tail);
    this.#tails.set(key, chained);
    try {
      await previous;
      return await task();
    } finally {
      release();
      if (this.#tails.get(key) === chained) this.#tails.delete(key);
    }
  }
}
