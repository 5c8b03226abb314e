/**
 * `sluice lag --group G [--topic T]… [--json] [--watch]`: the article's
 * `kafka-consumer-groups --describe` table (TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG),
 * plus the trend the service itself computes — SLOPE, CLASS and retention ETA — from a few
 * samples a short interval apart, with the controller's own code (src/control/lag.ts,
 * src/control/retention.ts).
 *
 * A one-shot run samples `--samples` times `--interval` ms apart and classifies over that span
 * (windows scaled to it: a few seconds can tell growth from a drain, not a long trend). `--watch`
 * keeps sampling with the service's windows (the class needs 30 s of samples, as in the service)
 * until interrupted; with `--json` it prints one JSON document per line.
 *
 * CURRENT-OFFSET is the group's committed offset; LAG is log-end − committed, as Kafka's tool
 * shows it. A partition the group never committed shows '-' in both.
 */
import { parseArgs } from 'node:util';
import { type LagClass, type LagTrackerConfig, LagTracker, type PartitionLagObservation } from '../control/lag.ts';
import { type BreachEta, type RetentionPolicy, timeToRetentionBreach } from '../control/retention.ts';
import { createKafkaAdmin } from '../kafka/index.ts';
import { createKafkajsClient } from '../kafka/kafkajs-connection.ts';
import type { KafkaAdmin, KafkaConnectionOptions } from '../kafka/types.ts';
import type { Environment } from '../config/load.ts';
import { silentLogger } from '../observe/logger.ts';
import { CommandError, type CommandOutput } from './command.ts';
import { kafkaSettingsFromEnv } from './kafka-connection.ts';
import { formatDuration, formatTable } from './table.ts';

export const lagUsage = `usage: sluice lag --group G [--topic T]... [--json] [--watch [--iterations N]] [--samples N] [--interval MS] [--bootstrap-server HOST:PORT]
  Lag of a consumer group per partition, as kafka-consumer-groups --describe shows it, with the
  lag's slope, class (steady, spike, linear, exponential) and the time until retention deletes
  unwritten records (ETA). Without --topic: every topic the group has committed offsets for.
  --watch samples every --interval ms until interrupted (or --iterations samples).
  Brokers and TLS/SASL from SLUICE_KAFKA_* (or --bootstrap-server); group from SLUICE_GROUP_ID.`;

export interface LagRow {
  readonly topic: string;
  readonly partition: number;
  /** The group's committed offset; null when it never committed this partition. */
  readonly currentOffset: string | null;
  readonly logEndOffset: string;
  readonly lag: number | null;
  /** records/s over the short window; positive while lag grows. */
  readonly slope: number;
  readonly lagClass: LagClass;
  readonly productionRate: number;
  readonly eta: BreachEta;
}

export interface LagReport {
  readonly group: string;
  readonly at: string;
  readonly samples: number;
  readonly sampledOverMs: number;
  readonly partitions: readonly LagRow[];
  readonly total: { readonly lag: number; readonly slope: number; readonly lagClass: LagClass };
}

/** Windows of the lag tracker for a one-shot run of `samples` samples `intervalMs` apart. */
export function oneShotTrackerConfig(samples: number, intervalMs: number): Partial<LagTrackerConfig> {
  const span = (samples - 1) * intervalMs;
  const shortWindowMs = span / 2;
  // Growth can begin at the first sample a full short window in; it must last until the end.
  const firstClassifiedAt = Math.ceil(shortWindowMs / intervalMs) * intervalMs;
  return { shortWindowMs, longWindowMs: span + intervalMs, sustainMs: Math.max(0, span - firstClassifiedAt), hotSustainMs: 0 };
}

export class GroupLagSampler {
  private readonly tracker: LagTracker;
  private readonly started = performance.now();
  private samples = 0;
  private retention: Map<string, RetentionPolicy> | null = null;
  private last: { observations: PartitionLagObservation[]; at: number } | null = null;

  constructor(
    private readonly admin: KafkaAdmin,
    readonly group: string,
    private readonly topics: readonly string[],
    trackerConfig: Partial<LagTrackerConfig>,
  ) {
    this.tracker = new LagTracker(trackerConfig);
  }

  async sample(): Promise<void> {
    this.retention ??= await this.admin.retention(this.topics);
    const [ends, committed] = await Promise.all([this.admin.endOffsets(this.topics), this.admin.committedOffsets(this.group, this.topics)]);
    const observations: PartitionLagObservation[] = [];
    for (const [key, logEndOffset] of ends) {
      const separator = key.lastIndexOf(':');
      const topic = key.slice(0, separator);
      const partition = Number(key.slice(separator + 1));
      observations.push({ topic, partition, logEndOffset, committedOffset: committed.get(key) ?? null });
    }
    observations.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
    const at = performance.now();
    this.tracker.record({ at, partitions: observations });
    this.samples += 1;
    this.last = { observations, at };
  }

  report(): LagReport {
    const assessment = this.tracker.latest();
    if (assessment === null || this.last === null) throw new Error('no sample taken yet');
    const trends = new Map(assessment.partitions.map((p) => [`${p.topic}:${p.partition}`, p]));
    const rows: LagRow[] = this.last.observations.map((observation) => {
      const trend = trends.get(`${observation.topic}:${observation.partition}`);
      const lag = trend?.lag ?? null;
      const slope = trend?.shortSlope ?? 0;
      const productionRate = trend?.productionRate ?? 0;
      const policy = this.retention?.get(observation.topic) ?? { ms: -1, bytes: -1 };
      const eta: BreachEta =
        lag === null
          ? { kind: 'none', reason: 'flat' }
          : timeToRetentionBreach(policy, { lagRecords: lag, lagSlope: slope, productionRate, averageRecordBytes: null, oldestUnwrittenAgeMs: null });
      return {
        topic: observation.topic,
        partition: observation.partition,
        currentOffset: observation.committedOffset === null ? null : observation.committedOffset.toString(),
        logEndOffset: observation.logEndOffset.toString(),
        lag,
        slope,
        lagClass: trend?.lagClass ?? 'steady',
        productionRate,
        eta,
      };
    });
    return {
      group: this.group,
      at: new Date().toISOString(),
      samples: this.samples,
      sampledOverMs: Math.round(this.last.at - this.started),
      partitions: rows,
      total: { lag: assessment.total.lag, slope: assessment.total.shortSlope, lagClass: assessment.total.lagClass },
    };
  }
}

function formatSlope(slope: number): string {
  const rounded = Math.abs(slope) < 0.05 ? 0 : slope;
  return `${rounded > 0 ? '+' : ''}${rounded.toFixed(1)}/s`;
}

function formatEta(eta: BreachEta): string {
  if (eta.kind === 'none') return '-';
  return eta.seconds === 0 ? `now (${eta.limitedBy})` : `${formatDuration(eta.seconds)} (${eta.limitedBy})`;
}

export function renderLagTable(report: LagReport): string {
  const header = `GROUP ${report.group}: ${report.samples} sample(s) over ${(report.sampledOverMs / 1000).toFixed(1)} s, total lag ${report.total.lag} (${formatSlope(report.total.slope)}, ${report.total.lagClass})`;
  const table = formatTable(
    ['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'SLOPE', 'CLASS', 'ETA'],
    report.partitions.map((row) => [
      row.topic,
      row.partition,
      row.currentOffset ?? '-',
      row.logEndOffset,
      row.lag ?? '-',
      formatSlope(row.slope),
      row.lagClass,
      formatEta(row.eta),
    ]),
  );
  return `${header}\n${table}`;
}

/** Topics the group has committed offsets for (what Kafka's --describe lists). */
async function groupTopics(connection: KafkaConnectionOptions, group: string): Promise<string[]> {
  const admin = createKafkajsClient(connection, silentLogger()).admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchOffsets({ groupId: group });
    return offsets.filter((t) => t.partitions.some((p) => BigInt(p.offset) >= 0n)).map((t) => t.topic).sort();
  } finally {
    await admin.disconnect();
  }
}

export async function lagCommand(argv: readonly string[], env: Environment, output: CommandOutput): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      group: { type: 'string' },
      topic: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
      watch: { type: 'boolean', default: false },
      samples: { type: 'string', default: '5' },
      iterations: { type: 'string', default: '0' },
      interval: { type: 'string', default: '1000' },
      'bootstrap-server': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    output.out(lagUsage);
    return 0;
  }
  const settings = kafkaSettingsFromEnv(env, values['bootstrap-server']);
  const group = values.group ?? settings.groupId;
  if (group === null || group === undefined) throw new CommandError('--group is required (or set SLUICE_GROUP_ID)', lagUsage);
  const samples = Number(values.samples);
  const intervalMs = Number(values.interval);
  if (!Number.isInteger(samples) || samples < 3) throw new CommandError('--samples must be an integer ≥ 3', lagUsage);
  if (!Number.isFinite(intervalMs) || intervalMs < 100) throw new CommandError('--interval must be ≥ 100 (ms)', lagUsage);
  const iterations = Number(values.iterations);
  if (!Number.isInteger(iterations) || iterations < 0) throw new CommandError('--iterations must be an integer ≥ 0', lagUsage);

  const topics = values.topic ?? (await groupTopics(settings.connection, group));
  if (topics.length === 0) throw new CommandError(`group '${group}' has no committed offsets; name the topics with --topic`, lagUsage);
  const admin = createKafkaAdmin(settings.connection);
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  try {
    if (!values.watch) {
      const sampler = new GroupLagSampler(admin, group, topics, oneShotTrackerConfig(samples, intervalMs));
      for (let i = 0; i < samples; i++) {
        if (i > 0) await pause(intervalMs);
        await sampler.sample();
        if (!values.json) output.progress(`sampling lag ${i + 1}/${samples}`);
      }
      const report = sampler.report();
      output.out(values.json ? JSON.stringify(report, null, 2) : renderLagTable(report));
      return 0;
    }
    const sampler = new GroupLagSampler(admin, group, topics, {});
    let interrupted = false;
    const stop = (): void => {
      interrupted = true;
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      while (!interrupted) {
        await sampler.sample();
        const report = sampler.report();
        output.out(values.json ? JSON.stringify(report) : `\n${report.at}\n${renderLagTable(report)}`);
        if (iterations > 0 && report.samples >= iterations) break;
        await pause(intervalMs);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  } finally {
    await admin.close();
  }
}
