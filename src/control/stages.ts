/**
 * Flink-style stage diagnosis. Each pipeline stage records the time it is BUSY (doing its work,
 * including waiting on external I/O) and the time it is BACK-PRESSURED (holding output it cannot
 * hand on because the next stage is full). Over a sliding window this gives two ratios per stage.
 *
 * The bottleneck, as in the article's table, is the first stage walking from source to sink that
 * is busy but not back-pressured: every stage before it is a victim waiting on its downstream.
 *
 *   Stage        | BackPressured | Busy
 *   fetch        | HIGH          | LOW   ← victim
 *   decode       | HIGH          | LOW   ← victim
 *   batch-queue  | HIGH          | LOW   ← victim
 *   write        | LOW           | HIGH  ← bottleneck
 *
 * How the pipeline records (clock injected, times in ms):
 *   const span = meters.meter('write').begin('busy', now);  …  meters.meter('write').end(span, now);
 *   meters.meter('decode').record('busy', startedAt, finishedAt);          // already measured
 *   meters.meter('fetch').begin('backpressured', now) when it pauses for a full buffer.
 * A stage that runs N units in parallel (the writers) sets `parallelism` to N, so its ratio is
 * busy time / (window × N). Spans still open count up to `now`, so a write stuck for a minute
 * shows as busy while it is stuck.
 */
export const pipelineStages = ['fetch', 'decode', 'batch-queue', 'write', 'commit'] as const;
export type StageName = (typeof pipelineStages)[number];
export type StageActivity = 'busy' | 'backpressured';
/** Flink's levels: OK below 10 %, LOW up to 50 %, HIGH above. */
export type PressureLevel = 'ok' | 'low' | 'high';

export interface SpanToken {
  readonly activity: StageActivity;
  readonly id: number;
}

interface Span {
  readonly activity: StageActivity;
  readonly start: number;
  end: number | null;
  readonly id: number;
}

export class StageMeter {
  private spans: Span[] = [];
  private nextId = 1;
  private parallelismValue = 1;

  constructor(
    readonly name: string,
    private readonly windowMs: number,
  ) {}

  begin(activity: StageActivity, now: number): SpanToken {
    const span: Span = { activity, start: now, end: null, id: this.nextId++ };
    this.spans.push(span);
    return { activity, id: span.id };
  }

  /** Ends a span begun with `begin`; ending it twice, or after it was pruned, is a no-op. */
  end(token: SpanToken, now: number): void {
    const span = this.spans.find((s) => s.id === token.id);
    if (span !== undefined && span.end === null) span.end = Math.max(now, span.start);
  }

  record(activity: StageActivity, start: number, end: number): void {
    if (end <= start) return;
    this.spans.push({ activity, start, end, id: this.nextId++ });
  }

  set parallelism(units: number) {
    this.parallelismValue = Math.max(1, Math.floor(units));
  }

  get parallelism(): number {
    return this.parallelismValue;
  }

  /** Busy and back-pressured fractions of the window ending at `now`, each in [0, 1]. */
  ratios(now: number): { readonly busy: number; readonly backpressured: number } {
    const from = now - this.windowMs;
    this.spans = this.spans.filter((s) => s.end === null || s.end > from);
    let busy = 0;
    let backpressured = 0;
    for (const span of this.spans) {
      const overlap = Math.max(0, Math.min(span.end ?? now, now) - Math.max(span.start, from));
      if (span.activity === 'busy') busy += overlap;
      else backpressured += overlap;
    }
    const capacity = this.windowMs * this.parallelismValue;
    return { busy: Math.min(1, busy / capacity), backpressured: Math.min(1, backpressured / capacity) };
  }
}

export interface StageRatios {
  readonly name: StageName;
  readonly busyRatio: number;
  readonly backpressuredRatio: number;
}

export interface StageReport extends StageRatios {
  readonly busy: PressureLevel;
  readonly backpressured: PressureLevel;
}

export interface StageDiagnosis {
  readonly at: number;
  /** In pipeline order, source first. */
  readonly stages: readonly StageReport[];
  readonly bottleneck: StageName | null;
  /** Set when the bottleneck differs from the previous evaluation. */
  readonly changed: { readonly from: StageName | null; readonly to: StageName | null } | null;
}

export interface StageThresholds {
  /** Busy ratio from which a stage counts as busy. */
  readonly busy: number;
  /** Back-pressured ratio from which a stage counts as back-pressured. */
  readonly backpressured: number;
  /** How far past the thresholds the current bottleneck may drift before it is un-named. */
  readonly hysteresis?: number;
}

export const defaultStageThresholds: StageThresholds = { busy: 0.5, backpressured: 0.5, hysteresis: 0.15 };

export function pressureLevel(ratio: number): PressureLevel {
  if (ratio < 0.1) return 'ok';
  if (ratio <= 0.5) return 'low';
  return 'high';
}

/** The first stage, source to sink, that is busy but not back-pressured; null if none is. */
export function findBottleneck(
  stages: readonly StageRatios[],
  thresholds: StageThresholds = defaultStageThresholds,
): StageName | null {
  for (const stage of stages) {
    if (stage.busyRatio >= thresholds.busy && stage.backpressuredRatio < thresholds.backpressured) return stage.name;
  }
  return null;
}

export class StageMeters {
  private readonly meters: ReadonlyMap<StageName, StageMeter>;
  private lastBottleneck: StageName | null = null;
  private lastDiagnosis: StageDiagnosis | null = null;

  constructor(
    readonly windowMs = 10_000,
    private readonly thresholds: StageThresholds = defaultStageThresholds,
  ) {
    this.meters = new Map(pipelineStages.map((name) => [name, new StageMeter(name, windowMs)]));
  }

  meter(name: StageName): StageMeter {
    return this.meters.get(name)!;
  }

  evaluate(now: number): StageDiagnosis {
    const stages: StageReport[] = pipelineStages.map((name) => {
      const ratios = this.meter(name).ratios(now);
      return {
        name,
        busyRatio: ratios.busy,
        backpressuredRatio: ratios.backpressured,
        busy: pressureLevel(ratios.busy),
        backpressured: pressureLevel(ratios.backpressured),
      };
    });
    const bottleneck = this.withHysteresis(stages, findBottleneck(stages, this.thresholds));
    const changed = bottleneck === this.lastBottleneck ? null : { from: this.lastBottleneck, to: bottleneck };
    this.lastBottleneck = bottleneck;
    this.lastDiagnosis = { at: now, stages, bottleneck, changed };
    return this.lastDiagnosis;
  }

  latest(): StageDiagnosis | null {
    return this.lastDiagnosis;
  }

  /**
   * A stage whose busy ratio hovers at the threshold would be named and un-named every interval
   * (operators saw write → none → write flapping). The current bottleneck therefore stays named
   * while it is still clearly busy and not clearly back-pressured (within `hysteresis` of the
   * thresholds), unless another stage now qualifies outright.
   */
  private withHysteresis(stages: readonly StageReport[], strict: StageName | null): StageName | null {
    if (strict !== null || this.lastBottleneck === null) return strict;
    const current = stages.find((stage) => stage.name === this.lastBottleneck);
    if (current === undefined) return null;
    const margin = this.thresholds.hysteresis ?? 0;
    const stillBusy = current.busyRatio >= this.thresholds.busy - margin;
    const stillFree = current.backpressuredRatio < this.thresholds.backpressured + margin;
    return stillBusy && stillFree ? current.name : null;
  }
}
