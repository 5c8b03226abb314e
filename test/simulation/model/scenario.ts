/**
 * Scenario files (test/simulation/scenarios/*.yaml), in the shape of Vector's
 * tests/data/adaptive-concurrency/*.yaml: `params` describe the world (topic, production
 * schedule, sink, pipeline, controller settings), `expect` gives [min, max] bands on what the
 * controller achieved (metric names are those computed in metrics.ts).
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

const band = z.tuple([z.number(), z.number()]).refine(([min, max]) => min <= max, 'band must be [min, max]');

const phase = z.object({ from_s: z.number().min(0), to_s: z.number().min(0), rate: z.number().min(0) });

const sinkSchema = z.object({
  fixed_ms: z.number().min(0),
  per_row_ms: z.number().min(0),
  /** Statements executed at once; more wait in a FIFO queue. null = unlimited. */
  slots: z.number().int().positive().nullable().default(null),
  /** A statement queued longer than this fails with a backpressure error ("statement queued"). */
  queue_timeout_ms: z.number().positive().nullable().default(null),
  /** Rows per second the sink accepts (token bucket); over it: backpressure "quotaExceeded". */
  quota_rows_per_s: z.number().positive().nullable().default(null),
  quota_burst_s: z.number().positive().default(2),
  /** ± fraction of random variation on service time. */
  jitter: z.number().min(0).max(0.5).default(0.05),
  /** [time s, factor] points, linearly interpolated: service time × factor (1 = nominal). */
  slowdown: z.array(z.tuple([z.number(), z.number().positive()])).default([]),
  outages: z.array(z.object({ from_s: z.number(), to_s: z.number() })).default([]),
  /**
   * Stalls (a lock held on the target table): statements running or started in the window do
   * not fail, they finish only after it ends — latency soars, nothing errors.
   */
  stalls: z.array(z.object({ from_s: z.number(), to_s: z.number() })).default([]),
  /** How long a write takes to fail during an outage (connect timeout). */
  outage_error_ms: z.number().positive().default(1_000),
});

const scenarioSchema = z.object({
  description: z.string(),
  params: z.object({
    duration_s: z.number().positive(),
    seed: z.number().int(),
    topic: z.object({
      partitions: z.number().int().positive(),
      record_bytes: z.number().positive(),
      retention_ms: z.number().default(-1),
      retention_bytes: z.number().default(-1),
      /** Share of production per partition (default: even). */
      weights: z.array(z.number().positive()).optional(),
    }),
    /** Phases add up where they overlap. */
    production: z.array(phase).min(1),
    sink: sinkSchema,
    pipeline: z
      .object({
        linger_ms: z.number().positive().default(500),
        poll_interval_ms: z.number().positive().default(100),
        fetch_max_bytes: z.number().positive().default(5_242_880),
        partition_fetch_max_bytes: z.number().positive().default(1_048_576),
        tick_ms: z.number().positive().default(1_000),
        lag_sample_ms: z.number().positive().default(1_000),
        retry_base_ms: z.number().positive().default(200),
        retry_max_ms: z.number().positive().default(5_000),
      })
      .default({}),
    controller: z
      .object({
        max_inflight_bytes: z.number().positive().default(64 * 1_048_576),
        latency_target_ms: z.number().positive().default(2_000),
        min_batch: z.number().int().positive().default(1_000),
        max_batch: z.number().int().positive().default(10_000),
        max_concurrency: z.number().int().positive().default(8),
        retention_warning_s: z.number().positive().default(3_600),
      })
      .default({}),
    /** Pinned settings run through the same world for comparison. */
    compare_static: z.array(z.object({ batch: z.number().int().positive(), concurrency: z.number().int().positive() })).default([]),
    measure: z
      .object({
        /** Start of the backlog period (the burst, the outage…). */
        backlog_from_s: z.number().min(0).default(0),
        /** Total lag at or below which the backlog counts as drained. */
        drained_lag: z.number().min(0).default(20_000),
        /** From here on the knobs should have settled. */
        settle_from_s: z.number().min(0).optional(),
        /** Length of the final window for tail metrics. */
        tail_s: z.number().positive().default(60),
      })
      .default({}),
  }),
  expect: z.record(z.string(), band),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioParams = Scenario['params'];
export type SinkParams = ScenarioParams['sink'];

export function loadScenario(path: string): Scenario {
  return scenarioSchema.parse(parse(readFileSync(path, 'utf8')));
}
