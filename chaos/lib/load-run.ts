/**
 * The frame most faults share: a seeded workload produced at a steady rate (the load) while
 * one or more sluice children sink it into a fresh database; the fault acts in between; then
 * the run waits for the producer and for every record to be committed, and counts.
 */
import { createWorkload, produceWorkload, type ProduceResult, type ShapeName, type Workload } from '../../src/loadgen/index.ts';
import { type Cluster, chaosName, workloadCounts } from './cluster.ts';
import { type Settings, sinkSettings, until } from './sluice-child.ts';

export interface LoadRun {
  readonly cluster: Cluster;
  readonly workload: Workload;
  readonly topics: readonly string[];
  readonly database: string;
  readonly group: string;
  readonly settings: Settings;
  /** Resolves when every record is produced (rejects if producing fails). */
  readonly produced: Promise<ProduceResult>;
}

export async function startLoadRun(options: {
  cluster: Cluster;
  name: string;
  seed: number;
  events: number;
  /** null: the whole workload as fast as the broker takes it (a backlog). */
  eventsPerSecond: number | null;
  partitions?: number;
  tables?: readonly ShapeName[];
  settings?: Settings;
  topicConfig?: Readonly<Record<string, string>>;
}): Promise<LoadRun> {
  const { cluster } = options;
  const database = await cluster.createDatabase(`chaos_${options.name}`);
  const workload = createWorkload({
    seed: options.seed,
    tables: options.tables ?? ['measurements', 'composite'],
    events: options.events,
    partitions: options.partitions ?? 4,
    topicPrefix: chaosName(`chaos_${options.name}`),
    mix: { insert: 0.4, update: 0.45, delete: 0.1, keyChange: 0.05, truncate: 0 },
  });
  for (const spec of workload.topics()) await cluster.createTopic(spec.topic, spec.partitions, options.topicConfig);
  const topics = workload.topics().map((spec) => spec.topic);
  const group = chaosName(`chaos_${options.name}_group`);
  const settings = sinkSettings({ endpoints: cluster.endpoints, databaseUrl: cluster.databaseUrl(database), topics, group, extra: options.settings });
  const produced = produceWorkload(workload, { brokers: cluster.endpoints.brokers, createTopics: false, schedule: [{ eventsPerSecond: options.eventsPerSecond }] });
  // Observed later; a rejection must not crash the process before it is awaited.
  produced.catch(() => undefined);
  return { cluster, workload, topics, database, group, settings, produced };
}

/** Waits for the producer, then until the group has committed every record. */
export async function awaitCaughtUp(run: LoadRun, options: { timeoutMs: number; alive?: () => string | null; describe?: () => string }): Promise<void> {
  await run.produced;
  let progress = await run.cluster.groupProgress(run.group, run.topics);
  await until(
    async () => {
      const dead = options.alive?.();
      if (dead !== undefined && dead !== null) throw new Error(dead);
      progress = await run.cluster.groupProgress(run.group, run.topics);
      return progress.committed >= progress.end;
    },
    { timeoutMs: options.timeoutMs, intervalMs: 250, describe: () => `committed ${progress.committed}/${progress.end}${options.describe ? `; ${options.describe()}` : ''}` },
  );
}

export function countLoadRun(run: LoadRun): ReturnType<typeof workloadCounts> {
  return workloadCounts({ cluster: run.cluster, workload: run.workload, database: run.database, group: run.group, dlqTopic: `${run.group}.dlq` });
}

export async function cleanUpLoadRun(run: LoadRun): Promise<void> {
  await run.produced.catch(() => undefined);
  await run.cluster.dropDatabase(run.database).catch(() => undefined);
  await run.cluster.deleteTopics([...run.topics, `${run.group}.dlq`]).catch(() => undefined);
}
