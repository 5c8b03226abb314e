/**
 * The last few dead-letter events, kept in memory for the status page (the dead-letter topic
 * itself holds every record; `sluice dlq replay` reads it). A pipeline observer: the pipeline
 * calls `deadLettered` once per dead-lettered group of records, after the broker acknowledged
 * them.
 */
import type { DeadLetterReason } from '../pipeline/dead-letter.ts';
import type { PipelineObserver } from '../pipeline/pipeline.ts';

export interface DeadLetterEntry {
  /** Wall-clock ms since the epoch. */
  readonly at: number;
  readonly reason: string;
  readonly code: string;
  readonly errorClass: DeadLetterReason['errorClass'];
  readonly table: string | null;
  readonly records: number;
}

/** Reasons are shown, not stored in full: a destination message can embed a whole row. */
const maxShownReasonLength = 300;

export class RecentDeadLetters implements PipelineObserver {
  private readonly entries: DeadLetterEntry[] = [];
  private total = 0;

  constructor(
    private readonly capacity = 20,
    private readonly now: () => number = Date.now,
  ) {}

  deadLettered(reason: DeadLetterReason, count: number): void {
    this.total += count;
    const shown = reason.reason.length > maxShownReasonLength ? `${reason.reason.slice(0, maxShownReasonLength)}…` : reason.reason;
    this.entries.push({ at: this.now(), reason: shown, code: reason.code, errorClass: reason.errorClass, table: reason.table ?? null, records: count });
    if (this.entries.length > this.capacity) this.entries.splice(0, this.entries.length - this.capacity);
  }

  /** Newest first, with the number of records dead-lettered since start. */
  snapshot(): { readonly totalRecords: number; readonly recent: readonly DeadLetterEntry[] } {
    return { totalRecords: this.total, recent: [...this.entries].reverse() };
  }
}
