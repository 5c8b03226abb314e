/**
 * Command line for the load generator (run with tsx):
 *
 *   node --import tsx src/loadgen/cli.ts measure --events 1000000 --tables measurements
 *       generate only, report events/s and MB/s (how fast the generator is, no Kafka)
 *   node --import tsx src/loadgen/cli.ts produce --brokers 127.0.0.1:9092 --events 100000 \
 *       --tables measurements,toasty,composite --partitions 4 --rate 2000 --burst-after 30
 *       produce to Kafka: --rate records/s (omit for flat out), --burst-after N seconds then flat out,
 *       --client kafkajs|confluent (librdkafka: several times faster, needs its native binding)
 *
 * Common options: --seed, --topic-prefix, --no-schemas, --mix insert:4,update:4,delete:1,keyChange:0.5,truncate:0
 */
import { parseArgs } from 'node:util';
import { produceWorkload, type RatePhase } from './produce.ts';
import type { ShapeName } from './table-definition.ts';
import { SHAPES } from './table-shapes.ts';
import { createWorkload, type OpMix } from './workload.ts';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    events: { type: 'string', default: '100000' },
    tables: { type: 'string', default: 'measurements' },
    partitions: { type: 'string', default: '1' },
    seed: { type: 'string', default: '1' },
    'topic-prefix': { type: 'string', default: 'sluice' },
    'no-schemas': { type: 'boolean', default: false },
    mix: { type: 'string' },
    brokers: { type: 'string', default: '127.0.0.1:9092' },
    rate: { type: 'string' },
    'burst-after': { type: 'string' },
    client: { type: 'string', default: 'kafkajs' },
  },
});

function parseMix(text: string | undefined): Partial<OpMix> | undefined {
  if (!text) return undefined;
  return Object.fromEntries(
    text.split(',').map((part) => {
      const [name, weight] = part.split(':');
      return [name, Number(weight)];
    }),
  ) as Partial<OpMix>;
}

const tables = values.tables.split(',').map((name) => {
  if (!SHAPES.includes(name as ShapeName)) throw new Error(`unknown table shape ${name}; one of ${SHAPES.join(', ')}`);
  return name as ShapeName;
});
const workload = createWorkload({
  seed: values.seed,
  tables,
  events: Number(values.events),
  partitions: Number(values.partitions),
  topicPrefix: values['topic-prefix'],
  schemasEnabled: !values['no-schemas'],
  mix: parseMix(values.mix),
  clock: positionals[0] === 'produce' ? { kind: 'wall' } : { kind: 'synthetic' },
});

if (positionals[0] === 'measure') {
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let records = 0;
  for (const _record of workload.records()) records += 1;
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const stats = workload.stats();
  // CPU time is the fair figure on a shared machine; wall time includes waiting for a core.
  console.log(
    `generated ${stats.changeEvents} change events (${records} records, ${(stats.bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(2)} s wall, ${cpuSeconds.toFixed(2)} s CPU: ` +
      `${Math.round(stats.changeEvents / cpuSeconds)} events per CPU second (${(stats.bytes / 1e6 / cpuSeconds).toFixed(0)} MB/s), ${Math.round(stats.changeEvents / seconds)} events/s wall`,
  );
} else if (positionals[0] === 'produce') {
  const rate = values.rate === undefined ? null : Number(values.rate);
  const schedule: RatePhase[] =
    values['burst-after'] === undefined ? [{ eventsPerSecond: rate }] : [{ eventsPerSecond: rate, seconds: Number(values['burst-after']) }, { eventsPerSecond: null }];
  const result = await produceWorkload(workload, {
    brokers: values.brokers.split(','),
    client: values.client === 'confluent' ? 'confluent' : 'kafkajs',
    schedule,
    onProgress: (progress) =>
      console.log(`${progress.elapsedSeconds.toFixed(1)} s: ${progress.records} records acked, ${Math.round(progress.recordsPerSecond)}/s (phase ${progress.phase})`),
  });
  console.log(`produced ${result.records} records (${(result.bytes / 1e6).toFixed(1)} MB) in ${result.seconds.toFixed(1)} s: ${Math.round(result.recordsPerSecond)} records/s`);
  console.log(`topics: ${workload.topics().map((topic) => `${topic.topic}(${topic.partitions})`).join(', ')}`);
} else {
  console.error('usage: cli.ts measure|produce [options] (see the comment at the top of src/loadgen/cli.ts)');
  process.exitCode = 2;
}
