/**
 * Unit tests of the pipeline without a broker: a source the test drives by hand (it calls the
 * handlers the way a client library would) and a pipeline with short timers around it.
 */
import type { Controller } from '../../src/control/controller.ts';
import type { KafkaSource, OffsetCommit, SourceHandlers, TopicPartition } from '../../src/kafka/types.ts';
import { silentLogger } from '../../src/observe/logger.ts';
import type { DeadLetterMessage } from '../../src/pipeline/dead-letter.ts';
import { type EventDecoder, Pipeline } from '../../src/pipeline/pipeline.ts';
import type { Writer } from '../../src/writer/types.ts';

/** Records what the pipeline asks of it (pauses, commits); the test calls `handlers`. */
export class HandDrivenSource implements KafkaSource {
  handlers: SourceHandlers | null = null;
  readonly paused: TopicPartition[] = [];
  readonly commits: OffsetCommit[] = [];
  async start(handlers: SourceHandlers): Promise<void> {
    this.handlers = handlers;
  }
  pause(partitions: readonly TopicPartition[]): void {
    this.paused.push(...partitions);
  }
  resume(): void {}
  seek(): void {}
  async commit(offsets: readonly OffsetCommit[]): Promise<void> {
    this.commits.push(...offsets);
  }
  assignment(): readonly TopicPartition[] {
    return [];
  }
  async stop(): Promise<void> {}
}

export interface HandDrivenPipelineOptions {
  readonly source: HandDrivenSource;
  readonly decoder: EventDecoder;
  readonly writer: Writer;
  readonly controller: Controller;
  readonly maxInflightBytes: number;
  /** Called with each dead-letter send; by default they are dropped. */
  readonly onDeadLetters?: (messages: readonly DeadLetterMessage[]) => void;
}

/** At-least-once, 10 ms linger, 50 ms commits, fast retries: a pipeline a unit test can wait for. */
export function handDrivenPipeline(options: HandDrivenPipelineOptions): Pipeline {
  return new Pipeline({
    source: options.source,
    decoder: options.decoder,
    writer: options.writer,
    deadLetters: {
      send: async (_topic, messages) => {
        options.onDeadLetters?.(messages);
      },
    },
    dlqTopic: 'dlq',
    controller: options.controller,
    maxInflightBytes: options.maxInflightBytes,
    naming: { rule: 'source', prefix: '' },
    lingerMs: 10,
    maxBatchRows: 1_000,
    retry: { baseMs: 10, maxMs: 100, maxAttempts: 3 },
    commitIntervalMs: 50,
    controlIntervalMs: 1_000,
    delivery: 'at-least-once',
    groupId: 'g',
    logger: silentLogger(),
  });
}
