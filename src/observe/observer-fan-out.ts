/**
 * The pipeline reports to one observer; several listen (metrics, the status page's memory, the
 * scale hint). Each call is forwarded to every observer that implements it, in order.
 */
import type { PipelineObserver } from '../pipeline/pipeline.ts';

type Callback = keyof PipelineObserver;

export function fanOutObservers(observers: readonly PipelineObserver[]): PipelineObserver {
  const forward = <K extends Callback>(name: K) =>
    ((...args: unknown[]) => {
      for (const observer of observers) {
        const callback = observer[name] as ((...callArgs: unknown[]) => void) | undefined;
        callback?.apply(observer, args);
      }
    }) as NonNullable<PipelineObserver[K]>;
  return {
    recordsReceived: forward('recordsReceived'),
    eventSkipped: forward('eventSkipped'),
    batchWritten: forward('batchWritten'),
    writeAttempt: forward('writeAttempt'),
    deadLettered: forward('deadLettered'),
    committed: forward('committed'),
    partitionsPaused: forward('partitionsPaused'),
    partitionsResumed: forward('partitionsResumed'),
    controlDecision: forward('controlDecision'),
    recordsLost: forward('recordsLost'),
  };
}
