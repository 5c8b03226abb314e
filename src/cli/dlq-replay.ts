/**
 * `sluice dlq replay --from <dlq-topic> [--reason S] [--table T] [--to <topic>] [--dry-run]`:
 * after a fix, re-injects dead-lettered records into the topic they came from (the
 * `sluice.dlq.topic` header), with their original key, value and headers and without the
 * `sluice.dlq.*` headers, so the running service consumes them again like any other record.
 *
 * What it reads: every record in the dead-letter topic from the beginning up to the log-end
 * offsets at the start (records dead-lettered while it runs are left for a later replay), with a
 * throw-away consumer group that commits nothing and is deleted at the end; the dead-letter topic
 * is not changed. Replaying the same records twice produces them twice; the writers are
 * idempotent, so a duplicate change of the same row image changes nothing.
 *
 * Ordering: a replayed record lands in its ORIGINAL partition (the `sluice.dlq.partition`
 * header) when it goes back to its original topic, after everything written there since. If the
 * same row changed again after the record was dead-lettered, the replayed (older) image is
 * applied last: replay only records whose rows have not changed since, or filter with --table /
 * --reason (docs/operations.md).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { IHeaders, Message } from 'kafkajs';
import type { Environment } from '../config/load.ts';
import { createKafkajsClient } from '../kafka/kafkajs-connection.ts';
import { silentLogger } from '../observe/logger.ts';
import { deadLetterHeaders } from '../pipeline/dead-letter.ts';
import { CommandError, type CommandOutput } from './command.ts';
import { kafkaSettingsFromEnv } from './kafka-connection.ts';

export const dlqUsage = `usage: sluice dlq replay --from <dlq-topic> [--reason TEXT] [--table TABLE] [--to TOPIC] [--dry-run] [--json] [--bootstrap-server HOST:PORT]
  Re-injects dead-lettered records into their original topic (header sluice.dlq.topic) and
  partition, with the original key, value and headers, without the sluice.dlq.* headers.
  --reason   only records whose reason or error code contains TEXT (case-insensitive)
  --table    only records dead-lettered for this target table (header sluice.dlq.table)
  --to       produce to TOPIC instead of the original topic (partition chosen by key)
  --dry-run  read and count, produce nothing
  Reads the dead-letter topic up to its end at the start; commits nothing, changes nothing there.`;

export interface ReplaySummary {
  readonly from: string;
  readonly dryRun: boolean;
  /** Records in the dead-letter topic when the replay started. */
  readonly available: number;
  readonly read: number;
  readonly replayed: number;
  readonly skippedByFilter: number;
  /** Records without a sluice.dlq.topic header (and no --to): nowhere to replay them. */
  readonly skippedNoOrigin: number;
  /** Replayed (or, in a dry run, to be replayed) per target topic. */
  readonly byTopic: Readonly<Record<string, number>>;
  /** Replayed (or to be replayed) per dead-letter error code. */
  readonly byCode: Readonly<Record<string, number>>;
}

function headerText(headers: IHeaders | undefined, name: string): string | null {
  const value = headers?.[name];
  if (value === undefined) return null;
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? null : first.toString();
}

/** The original headers: everything but what the dead-letter queue added. */
function originalHeaders(headers: IHeaders | undefined): IHeaders {
  const kept: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!name.startsWith('sluice.dlq.') && value !== undefined) kept[name] = value;
  }
  return kept;
}

export interface ReplayFilter {
  readonly reason?: string;
  readonly table?: string;
}

export function matchesFilter(headers: IHeaders | undefined, filter: ReplayFilter): boolean {
  if (filter.reason !== undefined) {
    const wanted = filter.reason.toLowerCase();
    const reason = (headerText(headers, deadLetterHeaders.reason) ?? '').toLowerCase();
    const code = (headerText(headers, deadLetterHeaders.code) ?? '').toLowerCase();
    if (!reason.includes(wanted) && !code.includes(wanted)) return false;
  }
  if (filter.table !== undefined && headerText(headers, deadLetterHeaders.table) !== filter.table) return false;
  return true;
}

export async function dlqCommand(argv: readonly string[], env: Environment, output: CommandOutput): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === 'help' || action === '--help' || action === '-h') {
    output.out(dlqUsage);
    return action === undefined ? 2 : 0;
  }
  if (action !== 'replay') throw new CommandError(`unknown dlq action '${action}'`, dlqUsage);
  const { values } = parseArgs({
    args: rest,
    options: {
      from: { type: 'string' },
      reason: { type: 'string' },
      table: { type: 'string' },
      to: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '300000' },
      'bootstrap-server': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    output.out(dlqUsage);
    return 0;
  }
  if (values.from === undefined) throw new CommandError('--from <dlq-topic> is required', dlqUsage);
  const settings = kafkaSettingsFromEnv(env, values['bootstrap-server']);
  const summary = await replay({
    connection: settings.connection,
    from: values.from,
    filter: { ...(values.reason === undefined ? {} : { reason: values.reason }), ...(values.table === undefined ? {} : { table: values.table }) },
    ...(values.to === undefined ? {} : { to: values.to }),
    dryRun: values['dry-run'],
    timeoutMs: Number(values.timeout),
    progress: (text) => output.progress(text),
  });
  if (values.json) {
    output.out(JSON.stringify(summary, null, 2));
  } else {
    const verb = summary.dryRun ? 'would replay' : 'replayed';
    output.out(`${verb} ${summary.replayed} of ${summary.read} record(s) from ${summary.from}; skipped ${summary.skippedByFilter} by filter, ${summary.skippedNoOrigin} without an original topic`);
    for (const [topic, count] of Object.entries(summary.byTopic)) output.out(`  → ${topic}: ${count}`);
    for (const [code, count] of Object.entries(summary.byCode)) output.out(`  code ${code}: ${count}`);
  }
  return 0;
}

export async function replay(options: {
  readonly connection: ReturnType<typeof kafkaSettingsFromEnv>['connection'];
  readonly from: string;
  readonly filter: ReplayFilter;
  readonly to?: string;
  readonly dryRun: boolean;
  readonly timeoutMs: number;
  readonly progress: (text: string) => void;
}): Promise<ReplaySummary> {
  const kafka = createKafkajsClient(options.connection, silentLogger());
  const admin = kafka.admin();
  await admin.connect();
  const group = `sluice-dlq-replay-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const consumer = kafka.consumer({ groupId: group });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  try {
    const topics = await admin.listTopics();
    if (!topics.includes(options.from)) throw new CommandError(`dead-letter topic '${options.from}' does not exist`, dlqUsage);
    // Done per partition once the offset before the log end at the start has been read.
    const remaining = new Map<number, bigint>();
    let available = 0;
    for (const entry of await admin.fetchTopicOffsets(options.from)) {
      const low = BigInt(entry.low);
      const high = BigInt(entry.high);
      available += Number(high - low);
      if (high > low) remaining.set(entry.partition, high - 1n);
    }
    let read = 0;
    let replayed = 0;
    let skippedByFilter = 0;
    let skippedNoOrigin = 0;
    const byTopic: Record<string, number> = {};
    const byCode: Record<string, number> = {};
    const report = (): void => options.progress(`dlq replay: read ${read}/${available} (${available === 0 ? 100 : Math.floor((read / available) * 100)} %), ${options.dryRun ? 'to replay' : 'replayed'} ${replayed}, skipped ${skippedByFilter + skippedNoOrigin}`);
    if (remaining.size === 0) {
      report();
      return { from: options.from, dryRun: options.dryRun, available, read, replayed, skippedByFilter, skippedNoOrigin, byTopic, byCode };
    }
    if (!options.dryRun) await producer.connect();
    let finish: () => void = () => undefined;
    let fail: (error: Error) => void = () => undefined;
    const finished = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const progressTimer = setInterval(report, 1_000);
    const deadline = setTimeout(() => fail(new Error(`dlq replay did not finish within ${options.timeoutMs} ms (read ${read}/${available})`)), options.timeoutMs);
    await consumer.connect();
    await consumer.subscribe({ topic: options.from, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const last = remaining.get(batch.partition);
        if (last === undefined) return;
        // Counted only once the batch is produced: a failed send makes kafkajs deliver it again.
        const outgoing = new Map<string, Message[]>();
        const counts = { read: 0, replayed: 0, skippedByFilter: 0, skippedNoOrigin: 0 };
        const codes: string[] = [];
        for (const message of batch.messages) {
          if (BigInt(message.offset) > last) break;
          counts.read += 1;
          if (!matchesFilter(message.headers, options.filter)) {
            counts.skippedByFilter += 1;
            continue;
          }
          const originalTopic = headerText(message.headers, deadLetterHeaders.topic);
          const target = options.to ?? originalTopic;
          if (target === null) {
            counts.skippedNoOrigin += 1;
            continue;
          }
          const originalPartition = headerText(message.headers, deadLetterHeaders.partition);
          const keepPartition = target === originalTopic && originalPartition !== null && /^\d+$/.test(originalPartition);
          const list = outgoing.get(target) ?? [];
          list.push({ key: message.key, value: message.value, headers: originalHeaders(message.headers), ...(keepPartition ? { partition: Number(originalPartition) } : {}) });
          outgoing.set(target, list);
          codes.push(headerText(message.headers, deadLetterHeaders.code) ?? 'unknown');
          counts.replayed += 1;
        }
        if (!options.dryRun && outgoing.size > 0) {
          await producer.sendBatch({ acks: -1, topicMessages: [...outgoing].map(([topic, messages]) => ({ topic, messages })) });
        }
        read += counts.read;
        replayed += counts.replayed;
        skippedByFilter += counts.skippedByFilter;
        skippedNoOrigin += counts.skippedNoOrigin;
        for (const [topic, messages] of outgoing) byTopic[topic] = (byTopic[topic] ?? 0) + messages.length;
        for (const code of codes) byCode[code] = (byCode[code] ?? 0) + 1;
        await heartbeat();
        if (BigInt(batch.lastOffset()) >= last) {
          remaining.delete(batch.partition);
          if (remaining.size === 0) finish();
        }
      },
    }).catch((error: unknown) => fail(error as Error));
    try {
      await finished;
    } finally {
      clearInterval(progressTimer);
      clearTimeout(deadline);
    }
    report();
    return { from: options.from, dryRun: options.dryRun, available, read, replayed, skippedByFilter, skippedNoOrigin, byTopic, byCode };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.deleteGroups([group]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
