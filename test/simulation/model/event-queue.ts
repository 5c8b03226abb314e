/**
 * The virtual clock of the simulation: a priority queue of timed callbacks. `now` only moves
 * when the next event is taken, so a simulated hour costs what its events cost.
 */
interface ScheduledEvent {
  readonly at: number;
  readonly seq: number;
  readonly run: () => void;
}

export class EventQueue {
  private heap: ScheduledEvent[] = [];
  private seq = 0;
  private current = 0;

  get now(): number {
    return this.current;
  }

  /** Runs `run` at virtual time `at` (never earlier than now); ties run in scheduling order. */
  at(at: number, run: () => void): void {
    this.push({ at: Math.max(at, this.current), seq: this.seq++, run });
  }

  after(delayMs: number, run: () => void): void {
    this.at(this.current + delayMs, run);
  }

  /** Calls `run` every `periodMs` from `startAt` until the queue runs past `until`. */
  every(periodMs: number, startAt: number, until: number, run: (now: number) => void): void {
    const fire = (at: number) => {
      if (at > until) return;
      this.at(at, () => {
        run(at);
        fire(at + periodMs);
      });
    };
    fire(startAt);
  }

  /** Processes events in time order up to and including `until`. */
  runUntil(until: number): void {
    while (this.heap.length > 0 && this.heap[0]!.at <= until) {
      const event = this.pop();
      this.current = event.at;
      event.run();
    }
    this.current = until;
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  private pop(): ScheduledEvent {
    const heap = this.heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < heap.length && before(heap[left]!, heap[smallest]!)) smallest = left;
        if (right < heap.length && before(heap[right]!, heap[smallest]!)) smallest = right;
        if (smallest === i) break;
        [heap[i], heap[smallest]] = [heap[smallest]!, heap[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
