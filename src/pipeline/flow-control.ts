/**
 * What the pipeline asks of flow control, and what it tells it. The adaptive controller in
 * src/control/ implements this; a fixed implementation serves SLUICE_ADAPTIVE=false (and the
 * benchmarks' fixed-batch systems). The pipeline enforces the answers; it never decides them.
 */
import type { TopicPartition } from '../kafka/types.ts';
import type { WriteObservation } from './batch-executor.ts';

export interface FlowDecision {
  readonly batchRows: number;
  readonly concurrency: number;
  /** Partitions the controller wants paused because the sink is saturated. */
  readonly pausePartitions: readonly TopicPartition[];
  readonly resumePartitions: readonly TopicPartition[];
}

export interface FlowControl {
  /** Current batch size (rows per write) and write concurrency. */
  current(): { readonly batchRows: number; readonly concurrency: number };
  observeWrite(observation: WriteObservation): void;
  /** Called every control interval with the pipeline's view of memory; returns the decision. */
  tick(now: number, state: { readonly inflightBytes: number; readonly assigned: readonly TopicPartition[] }): FlowDecision;
}

export class FixedFlowControl implements FlowControl {
  constructor(
    private readonly batchRows: number,
    private readonly concurrency: number,
  ) {}

  current(): { batchRows: number; concurrency: number } {
    return { batchRows: this.batchRows, concurrency: this.concurrency };
  }

  observeWrite(): void {}

  tick(): FlowDecision {
    return { batchRows: this.batchRows, concurrency: this.concurrency, pausePartitions: [], resumePartitions: [] };
  }
}
