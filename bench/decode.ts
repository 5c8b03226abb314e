/**
 * Decode benchmark: events/s of our Debezium decoder against a plain `JSON.parse` of each whole
 * record, same data, same run, one core.
 *
 *   node --import tsx bench/decode.ts [--events 200000] [--chunk 20000] [--big-key-events 50000]
 *
 * Data: update events (op u) of the 7-column table of ../shared/measurements.md (id bigint,
 * name text, email text, amount numeric(12,2), status text, updated_at timestamptz, payload jsonb)
 * as Debezium's PostgreSQL connector and the JsonConverter (schemas.enable=true) write them, key
 * and value. Events are generated in chunks (generation is not timed) so memory stays small; in
 * each chunk both contenders decode the same Buffers, in alternating order, after a warm-up.
 * The baseline parses key and value (`JSON.parse(buffer.toString())`), as the decoder does.
 * A second, smaller pair of runs uses keys beyond 2^53 (snowflake-style ids), which the decoder
 * must read through its lossless parser.
 *
 * Writes bench/results/decode.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createDecoder } from '../src/cdc/decode.ts';
import {
  changeRecord,
  decimalWire,
  type EncodedRecord,
  field,
  seededRandom,
  type TableSpec,
} from '../test/unit/cdc/debezium-encoder.ts';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '200000' },
    chunk: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '20261125' },
    'big-key-events': { type: 'string', default: '50000' },
  },
});
const totalEvents = Number(args.events);
const chunkSize = Math.min(Number(args.chunk), totalEvents);
const seed = Number(args.seed);
const bigKeyEvents = Number(args['big-key-events']);
/** Snowflake-style ids: beyond 2^53, so JSON.parse would round them. */
const BIG_ID_BASE = 1_500_000_000_000_000_000n;

const table: TableSpec = {
  prefix: 'bench',
  schema: 'public',
  table: 'orders',
  key: ['id'],
  columns: [
    field('id', { type: 'int64', optional: false, default: 0 }),
    field('name', { type: 'string', optional: true }),
    field('email', { type: 'string', optional: true }),
    field('amount', {
      type: 'bytes',
      optional: true,
      name: 'org.apache.kafka.connect.data.Decimal',
      version: 1,
      parameters: { scale: '2', 'connect.decimal.precision': '12' },
    }),
    field('status', { type: 'string', optional: true }),
    field('updated_at', { type: 'string', optional: true, name: 'io.debezium.time.ZonedTimestamp', version: 1 }),
    field('payload', { type: 'string', optional: true, name: 'io.debezium.data.Json', version: 1 }),
  ],
};

const STATUSES = ['new', 'paid', 'shipped', 'delivered', 'cancelled'];

function generateChunk(random: () => number, firstId: number, count: number, idBase = 0n): EncodedRecord[] {
  const records: EncodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const id = firstId + i;
    const key = idBase + BigInt(id);
    const cents = Math.floor(random() * 100_000_000);
    const amount = `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;
    const tsMs = 1_764_000_000_000 + id * 3;
    const payload = JSON.stringify({
      sku: `SKU-${Math.floor(random() * 1e6)}`,
      quantity: 1 + Math.floor(random() * 9),
      tags: ['bench', STATUSES[id % STATUSES.length]],
      note: 'x'.repeat(40 + Math.floor(random() * 80)),
    });
    const after = {
      id: key,
      name: `customer ${id}`,
      email: `customer${id}@example.com`,
      amount: decimalWire(amount, 2),
      status: STATUSES[Math.floor(random() * STATUSES.length)]!,
      updated_at: `${new Date(tsMs).toISOString().slice(0, 23)}123Z`,
      payload,
    };
    records.push(
      changeRecord(table, { id: key }, { op: 'u', after, stamp: { tsMs, lsn: BigInt(40_000_000 + id * 120), txId: BigInt(900 + id) } }),
    );
  }
  return records;
}

interface Tally {
  seconds: number;
  cpuSeconds: number;
  events: number;
}

let sink = 0;

function timeJsonParse(records: readonly EncodedRecord[], tally: Tally): void {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const record of records) {
    const value = JSON.parse(record.value!.toString('utf8'));
    const key = JSON.parse(record.key!.toString('utf8'));
    sink += value.payload.op.length + (key.payload.id !== 0 ? 1 : 0);
  }
  tally.seconds += Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  tally.cpuSeconds += (used.user + used.system) / 1e6;
  tally.events += records.length;
}

const decoder = createDecoder();

function timeDecoder(records: readonly EncodedRecord[], tally: Tally): void {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (const record of records) {
    const result = decoder.decode(record);
    sink += result.kind === 'change' ? 1 : 0;
  }
  tally.seconds += Number(process.hrtime.bigint() - start) / 1e9;
  const used = process.cpuUsage(cpu);
  tally.cpuSeconds += (used.user + used.system) / 1e6;
  tally.events += records.length;
}

const random = seededRandom(seed);
const warmup = generateChunk(random, 1, Math.min(5_000, chunkSize));
const discard: Tally = { seconds: 0, cpuSeconds: 0, events: 0 };
for (let round = 0; round < 3; round++) {
  timeJsonParse(warmup, discard);
  timeDecoder(warmup, discard);
}

const jsonTally: Tally = { seconds: 0, cpuSeconds: 0, events: 0 };
const decoderTally: Tally = { seconds: 0, cpuSeconds: 0, events: 0 };
let bytes = 0;
let generated = 0;
let chunkIndex = 0;
while (generated < totalEvents) {
  const count = Math.min(chunkSize, totalEvents - generated);
  const records = generateChunk(random, 1_000_000 + generated, count);
  for (const record of records) bytes += record.value!.length + record.key!.length;
  if (chunkIndex % 2 === 0) {
    timeJsonParse(records, jsonTally);
    timeDecoder(records, decoderTally);
  } else {
    timeDecoder(records, decoderTally);
    timeJsonParse(records, jsonTally);
  }
  generated += count;
  chunkIndex++;
}

const bigJsonTally: Tally = { seconds: 0, cpuSeconds: 0, events: 0 };
const bigDecoderTally: Tally = { seconds: 0, cpuSeconds: 0, events: 0 };
for (let done = 0; done < bigKeyEvents; done += chunkSize) {
  const records = generateChunk(random, 1 + done, Math.min(chunkSize, bigKeyEvents - done), BIG_ID_BASE);
  timeDecoder(records, bigDecoderTally);
  timeJsonParse(records, bigJsonTally);
}

const peakRssMib = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
const sample = generateChunk(seededRandom(seed), 1, 1)[0]!;
const config = {
  table: '7 columns: bigint key, 4 text, numeric(12,2) Decimal, timestamptz, jsonb',
  op: 'u',
  schemas_enable: true,
  value_bytes: sample.value!.length,
  key_bytes: sample.key!.length,
  mean_record_bytes: Math.round(bytes / totalEvents),
};
function run(system: string, tally: Tally, detail: string) {
  return {
    system,
    config: { ...config, detail },
    events: tally.events,
    seconds: Math.round(tally.seconds * 1000) / 1000,
    events_per_s: Math.round(tally.events / tally.seconds),
    p50_ms: null,
    p99_ms: null,
    peak_rss_mib: peakRssMib,
    cpu_s: Math.round(tally.cpuSeconds * 1000) / 1000,
  };
}
const jsonRun = run('json-parse', jsonTally, 'JSON.parse(key.toString()) + JSON.parse(value.toString())');
const decoderRun = run('sluice-decoder', decoderTally, 'createDecoder().decode(record) → ChangeEvent');
const ratio = Math.round((decoderRun.events_per_s / jsonRun.events_per_s) * 100) / 100;
const bigRuns =
  bigKeyEvents > 0
    ? [
        run('json-parse', bigJsonTally, 'JSON.parse, keys beyond 2^53 (rounded by JSON.parse)'),
        run('sluice-decoder', bigDecoderTally, 'keys beyond 2^53: lossless parse path'),
      ]
    : [];
const bigRatio = bigRuns.length === 2 ? Math.round((bigRuns[1]!.events_per_s / bigRuns[0]!.events_per_s) * 100) / 100 : null;

const result = {
  scenario: 'decode',
  date: new Date().toISOString(),
  machine: { cores: os.cpus().length, memory: `${Math.round(os.totalmem() / 2 ** 30)} GiB`, node: process.version },
  runs: [jsonRun, decoderRun, ...bigRuns],
  ratios: {
    decoder_vs_json_parse: ratio,
    // CPU seconds per event, less disturbed than wall time when other work shares the cores.
    decoder_vs_json_parse_cpu: Math.round((jsonTally.cpuSeconds / decoderTally.cpuSeconds) * 100) / 100,
    decoder_vs_json_parse_keys_beyond_2_53: bigRatio,
  },
};

const resultsDir = join(dirname(fileURLToPath(import.meta.url)), 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(join(resultsDir, 'decode.json'), `${JSON.stringify(result, null, 2)}\n`);

console.log(`records: ${totalEvents} (value ${config.value_bytes} B + key ${config.key_bytes} B each), node ${process.version}`);
console.log(`JSON.parse of each whole record: ${jsonRun.events_per_s.toLocaleString('en')} events/s (${jsonRun.seconds} s)`);
console.log(`sluice decoder:                  ${decoderRun.events_per_s.toLocaleString('en')} events/s (${decoderRun.seconds} s)`);
console.log(
  `ratio decoder / JSON.parse: ${ratio} (by CPU time ${result.ratios.decoder_vs_json_parse_cpu})  (peak RSS ${peakRssMib} MiB)  [${sink > 0 ? 'ok' : '-'}]`,
);
if (bigRuns.length === 2) {
  console.log(
    `keys beyond 2^53 (${bigKeyEvents} records): JSON.parse ${bigRuns[0]!.events_per_s.toLocaleString('en')}/s, decoder ${bigRuns[1]!.events_per_s.toLocaleString('en')}/s, ratio ${bigRatio}`,
  );
}
