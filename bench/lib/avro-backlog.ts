/**
 * The same workload in Debezium's other common wire format: Confluent Avro (magic byte, schema id,
 * Avro datum), as Kafka Connect's AvroConverter writes the Connect data the generator describes.
 * The JSON records are transcoded as they are generated (test/unit/cdc/avro-transcoder.ts, the
 * encoder the Avro tests already trust), and the schemas live in the project's real schema
 * registry (Apicurio Registry, Confluent API), so sluice reads them as it would in production.
 */
import { type RegistryUnderTest, registryUnderTest } from '../../test/integration/avro/registry-under-test.ts';
import { AvroTranscoder } from '../../test/unit/cdc/avro-transcoder.ts';
import type { Workload, WorkloadRecord } from '../../src/loadgen/index.ts';

export interface AvroEncoding {
  /** SLUICE_VALUE_FORMAT / SLUICE_SCHEMA_REGISTRY_URL for a sluice reading these records. */
  readonly settings: Readonly<Record<string, string>>;
  readonly registryUrl: string;
}

/**
 * Makes `workload.records()` yield Avro-framed keys and values (tombstones stay empty).
 * `probe` must be a small workload of the same tables and topics: its records are transcoded
 * first to learn every schema, which is registered under `<topic>-key` / `<topic>-value` before
 * anything is produced (registration is asynchronous; the record generator is not). A schema the
 * probe did not show (a table altered late in a long run) stops production with its name.
 */
export async function encodeAsAvro(workload: Workload, probe: Workload, registry?: RegistryUnderTest): Promise<AvroEncoding> {
  const target = registry ?? (await registryUnderTest());
  const discovery = new AvroTranscoder();
  const subjectOf = new Map<number, string>();
  for (const record of probe.records()) {
    for (const [part, bytes] of [['key', record.key], ['value', record.value]] as const) {
      const framed = discovery.transcode(bytes);
      if (framed !== null && framed.length > 0) subjectOf.set(framed.readUInt32BE(1), `${record.topic}-${part}`);
    }
  }
  const registryIdByText = new Map<string, number>();
  for (const [localId, subject] of subjectOf) {
    const text = discovery.registry.byId.get(localId)!.schema;
    registryIdByText.set(text, await target.register(subject, text));
  }

  const transcoder = new AvroTranscoder();
  const frame = (bytes: Buffer | null): Buffer | null => {
    const framed = transcoder.transcode(bytes);
    if (framed === null || framed.length === 0) return framed;
    const text = transcoder.registry.byId.get(framed.readUInt32BE(1))!.schema;
    const id = registryIdByText.get(text);
    if (id === undefined) throw new Error(`avro backlog: a schema the probe workload did not show: ${text.slice(0, 200)}`);
    framed.writeUInt32BE(id, 1);
    return framed;
  };
  const generate = workload.records.bind(workload);
  workload.records = function* asAvro(): Generator<WorkloadRecord> {
    for (const record of generate()) yield { ...record, key: frame(record.key), value: frame(record.value) };
  } as Workload['records'];
  return { settings: { SLUICE_VALUE_FORMAT: 'avro', SLUICE_SCHEMA_REGISTRY_URL: target.url }, registryUrl: target.url };
}
