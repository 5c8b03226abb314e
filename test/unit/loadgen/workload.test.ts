/**
 * Workloads: determinism, and the expected state checked against an independent model that
 * reads the generated Kafka records back (with its own exact JSON parser and its own decoding
 * of Debezium's logical types) and applies them the way a correct sink would.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Row, Value } from '../../../src/cdc/types.ts';
import { createWorkload, type WorkloadOptions, type WorkloadRecord } from '../../../src/loadgen/workload.ts';
import { decodeField, type FieldSchema, PLACEHOLDER } from './debezium-reader.ts';
import { asObject, type Json, parseExactJson } from './exact-json.ts';

type Model = Map<string, Map<string, Map<string, Value>>>;

function keyText(keyPayload: { [key: string]: Json }): string {
  const values = Object.values(keyPayload).map((value) => String(value));
  return values.length === 1 ? values[0]! : JSON.stringify(values);
}

/** Applies records in the given order, as a sink that honours per-key order would. */
function applyToModel(records: readonly WorkloadRecord[], model: Model, singleRecord = false): void {
  let previous: WorkloadRecord | null = null;
  for (const record of records) {
    const tableRows = model.get(record.table) ?? new Map<string, Map<string, Value>>();
    model.set(record.table, tableRows);
    if (record.value === null) {
      if (!singleRecord) assert.ok(previous?.op === 'd' && previous.key?.equals(record.key!), 'a tombstone follows its delete, with the same key');
      previous = record;
      continue;
    }
    const message = asObject(parseExactJson(record.value.toString('utf8')));
    const payload = asObject(message.payload);
    const envelopeFields = (asObject(message.schema).fields as Json[]).map((field) => asObject(field));
    const rowFields = (envelopeFields[1]!.fields as Json[]).map((field) => asObject(field) as unknown as FieldSchema);
    assert.equal(payload.op, record.op);
    if (record.op === 't') {
      assert.equal(record.key, null, 'truncates have no key');
      tableRows.clear();
    } else {
      const key = keyText(asObject(asObject(parseExactJson(record.key!.toString('utf8'))).payload));
      if (record.op === 'd') {
        assert.equal(payload.after, null);
        tableRows.delete(key);
      } else {
        assert.equal(payload.before, null, 'REPLICA IDENTITY DEFAULT: no before image on c/u');
        const after = asObject(payload.after);
        const old = tableRows.get(key);
        const row = new Map<string, Value>();
        for (const field of rowFields) {
          const value = decodeField(field, after[field.field] ?? null);
          if (value === 'toast') {
            assert.ok(old?.has(field.field), `TOAST placeholder only for a known row (${record.table} ${key} ${field.field})`);
            row.set(field.field, old!.get(field.field)!);
          } else {
            row.set(field.field, value);
          }
        }
        tableRows.set(key, row);
      }
    }
    previous = record;
  }
}

/** Like applyToModel, but a key change's create takes unchanged TOAST columns from the old key's row. */
function applyToModelCarryingOver(records: readonly WorkloadRecord[], model: Model): void {
  const carried: WorkloadRecord[] = [];
  let lastDeleted: Map<string, Value> | null = null;
  for (const record of records) {
    const rows = model.get(record.table);
    if (record.op === 'd' && record.headers?.['__debezium.newkey'] !== undefined && rows) {
      const key = keyText(asObject(asObject(parseExactJson(record.key!.toString())).payload));
      lastDeleted = rows.get(key) ?? null;
    }
    if (record.op === 'c' && record.headers?.['__debezium.oldkey'] !== undefined && lastDeleted !== null) {
      const key = keyText(asObject(asObject(parseExactJson(record.key!.toString())).payload));
      rows!.set(key, new Map(lastDeleted));
    }
    carried.length = 0;
    carried.push(record);
    applyToModel(carried, model, true);
  }
}

function digest(records: Iterable<WorkloadRecord>): string {
  const hash = createHash('sha256');
  for (const record of records) {
    hash.update(`${record.topic}|${record.partition}|${record.timestamp}|`);
    hash.update(record.key ?? Buffer.from('∅'));
    hash.update(record.value ?? Buffer.from('∅'));
  }
  return hash.digest('hex');
}

const allShapes: WorkloadOptions = {
  seed: 'model-check',
  tables: ['narrow', 'measurements', 'wide', 'toasty', 'composite'],
  events: 3000,
  partitions: 3,
  mix: { insert: 3, update: 4, delete: 1, keyChange: 1, truncate: 0.02 },
  skew: { hotKeyShare: 0.2 },
};

describe('workload', () => {
  it('is deterministic: same seed, same bytes; another seed, other bytes', () => {
    const options: WorkloadOptions = { ...allShapes, events: 1500 };
    const first = digest(createWorkload(options).records());
    assert.equal(digest(createWorkload(options).records()), first);
    assert.notEqual(digest(createWorkload({ ...options, seed: 'other' }).records()), first);
  });

  it('generates exactly the requested number of change events, plus a tombstone per delete', () => {
    const workload = createWorkload(allShapes);
    const records = [...workload.records()];
    const stats = workload.stats();
    assert.equal(records.filter((record) => record.value !== null).length, 3000);
    assert.equal(stats.changeEvents, 3000);
    assert.equal(records.filter((record) => record.value === null).length, stats.deletes + stats.keyChanges);
    assert.ok(stats.inserts > 0 && stats.updates > 0 && stats.deletes > 0 && stats.keyChanges > 0 && stats.truncates > 0, JSON.stringify(stats));
    assert.ok(stats.toastPlaceholders > 0);
  });

  it('expected state equals an independent model fed with the records', () => {
    const workload = createWorkload(allShapes);
    const records = [...workload.records()];
    const model: Model = new Map();
    applyToModel(records, model);
    const expected = workload.expectedState();
    assert.deepEqual([...expected.keys()], workload.tableNames());
    for (const [table, rows] of expected) {
      assert.deepEqual(rows, model.get(table) ?? new Map(), `table ${table}`);
    }
  });

  it('puts every record of a key in one partition, so per-partition order is enough', () => {
    const options: WorkloadOptions = { ...allShapes, mix: { ...allShapes.mix, truncate: 0 }, seed: 'partitions' };
    const workload = createWorkload(options);
    const records = [...workload.records()];
    const partitionOfKey = new Map<string, number>();
    for (const record of records) {
      if (record.key === null) continue;
      const id = `${record.topic}|${record.key.toString('hex')}`;
      const seen = partitionOfKey.get(id);
      if (seen !== undefined) assert.equal(record.partition, seen);
      partitionOfKey.set(id, record.partition);
    }
    assert.equal(new Set(records.map((record) => record.partition)).size, 3);
    const byPartition = [0, 1, 2].flatMap((partition) => records.filter((record) => record.partition === partition));
    const model: Model = new Map();
    applyToModel(byPartition, model);
    for (const [table, rows] of workload.expectedState()) assert.deepEqual(rows, model.get(table) ?? new Map(), `table ${table}`);
  });

  it('starts with a snapshot when asked: op r, Debezium markers, then streaming', () => {
    const workload = createWorkload({ ...allShapes, tables: ['narrow', 'composite'], snapshotRowsPerTable: 3, events: 200 });
    const records = [...workload.records()];
    const reads = records.slice(0, 6);
    assert.ok(reads.every((record) => record.op === 'r'));
    const markers = reads.map((record) => asObject(asObject(asObject(parseExactJson(record.value!.toString())).payload).source).snapshot);
    assert.deepEqual(markers, ['first', 'true', 'last_in_data_collection', 'first_in_data_collection', 'true', 'last']);
    assert.equal(new Set(reads.map((record) => record.lsn)).size, 1, 'one snapshot LSN');
    assert.ok(records.slice(6).every((record) => record.op !== 'r'));
    assert.equal(workload.stats().snapshotReads, 6);
    const model: Model = new Map();
    applyToModel(records, model);
    for (const [table, rows] of workload.expectedState()) assert.deepEqual(rows, model.get(table) ?? new Map(), `table ${table}`);
  });

  it('gives every event of a source transaction the transaction commit time and id', () => {
    const records = [...createWorkload({ ...allShapes, events: 500 }).records()].filter((record) => record.value !== null);
    const byTx = new Map<string, Set<string>>();
    for (const record of records) {
      const source = asObject(asObject(parseExactJson(record.value!.toString())).payload).source;
      const { txId, ts_us } = asObject(source);
      byTx.set(String(txId), (byTx.get(String(txId)) ?? new Set()).add(String(ts_us)));
    }
    assert.ok(byTx.size > 50);
    for (const [txId, times] of byTx) assert.equal(times.size, 1, `transaction ${txId}`);
  });

  it('resolves TOAST placeholders to the last real value in the expected state', () => {
    const workload = createWorkload({ seed: 7, tables: ['toasty'], events: 400, mix: { insert: 1, update: 4, delete: 0, keyChange: 0, truncate: 0 } });
    const records = [...workload.records()];
    assert.ok(records.some((record) => record.value?.includes(PLACEHOLDER)));
    for (const row of workload.expectedState().get('toasty')!.values()) {
      assert.equal(typeof row.get('body'), 'string');
      assert.ok((row.get('body') as string).length >= 2500);
      assert.ok(row.get('attachment') instanceof Uint8Array);
    }
  });

  it('emits key changes as delete + tombstone of the old key, then a create of the new key, with headers', () => {
    const workload = createWorkload({ seed: 3, tables: ['composite'], events: 200, partitions: 2, mix: { insert: 1, update: 0, delete: 0, keyChange: 1, truncate: 0 } });
    const records = [...workload.records()];
    const index = records.findIndex((record) => record.headers?.['__debezium.newkey'] !== undefined);
    assert.ok(index >= 0);
    const [deleted, tombstone, created] = records.slice(index, index + 3) as [WorkloadRecord, WorkloadRecord, WorkloadRecord];
    assert.equal(deleted.op, 'd');
    assert.equal(tombstone.value, null);
    assert.ok(tombstone.key!.equals(deleted.key!));
    assert.equal(created.op, 'c');
    assert.equal(deleted.lsn, created.lsn);
    const newKey = asObject(parseExactJson(deleted.headers!['__debezium.newkey']!.toString()));
    const createdKey = asObject(asObject(parseExactJson(created.key!.toString())).payload);
    assert.deepEqual(newKey, createdKey);
    assert.deepEqual(
      asObject(parseExactJson(created.headers!['__debezium.oldkey']!.toString())),
      asObject(asObject(parseExactJson(deleted.key!.toString())).payload),
    );
  });

  it("can send TOAST placeholders in key changes' creates, as Debezium does, and still expects the real values", () => {
    const options: WorkloadOptions = {
      seed: 8,
      tables: ['toasty'],
      events: 300,
      keyChangeToast: 'placeholder',
      mix: { insert: 1, update: 1, delete: 0, keyChange: 2, truncate: 0 },
    };
    const workload = createWorkload(options);
    const records = [...workload.records()];
    const creates = records.filter((record) => record.headers?.['__debezium.oldkey'] !== undefined);
    assert.ok(creates.some((record) => record.value!.includes(PLACEHOLDER)));
    const model: Model = new Map();
    applyToModelCarryingOver(records, model);
    assert.deepEqual(workload.expectedState().get('toasty'), model.get('toasty'));
  });

  it('bounds the live rows per table when asked (inserts become updates)', () => {
    const workload = createWorkload({ seed: 9, tables: ['narrow', 'composite'], events: 3000, maxLiveRowsPerTable: 50, mix: { insert: 5, update: 1, delete: 0.2, keyChange: 0.2, truncate: 0 } });
    const records = [...workload.records()];
    for (const rows of workload.expectedState().values()) assert.ok(rows.size <= 50 && rows.size >= 40, `rows ${rows.size}`);
    assert.ok(workload.stats().updates > 2000);
    const model: Model = new Map();
    applyToModel(records, model);
    for (const [table, rows] of workload.expectedState()) assert.deepEqual(rows, model.get(table) ?? new Map(), `table ${table}`);
  });

  it('honours key skew: hot key and hot partition', () => {
    const hotKey = createWorkload({ seed: 11, tables: ['measurements'], events: 4000, mix: { insert: 1, update: 3, delete: 0, keyChange: 0, truncate: 0 }, skew: { hotKeyShare: 0.5 } });
    const updates = [...hotKey.records()].filter((record) => record.op === 'u');
    const hotShare = updates.filter((record) => record.key!.toString().endsWith('"payload":{"id":1}}')).length / updates.length;
    assert.ok(hotShare > 0.4 && hotShare < 0.6, `hot key share ${hotShare}`);

    const hotPartition = createWorkload({ seed: 12, tables: ['narrow'], events: 4000, partitions: 4, skew: { hotPartitionShare: 0.8, hotPartition: 2 } });
    const records = [...hotPartition.records()];
    const share = records.filter((record) => record.partition === 2).length / records.length;
    assert.ok(share > 0.7, `hot partition share ${share}`);
  });

  it('writes the same payloads with schemas disabled', () => {
    // One partition: with several, the partition (murmur2 of the key bytes) depends on the converter.
    const options: WorkloadOptions = { ...allShapes, events: 300, partitions: 1 };
    const withSchemas = [...createWorkload(options).records()];
    const without = [...createWorkload({ ...options, schemasEnabled: false }).records()];
    assert.equal(without.length, withSchemas.length);
    without.forEach((record, index) => {
      const other = withSchemas[index]!;
      if (record.value === null) {
        assert.equal(other.value, null);
        return;
      }
      assert.deepEqual(parseExactJson(record.value.toString()), asObject(parseExactJson(other.value!.toString())).payload);
      if (record.key) assert.deepEqual(parseExactJson(record.key.toString()), asObject(parseExactJson(other.key!.toString())).payload);
    });
  });

  it('keeps expected rows in the Value representation of src/cdc/types.ts', () => {
    const workload = createWorkload({ seed: 5, tables: ['measurements'], events: 50, mix: { insert: 1, update: 0, delete: 0, keyChange: 0, truncate: 0 } });
    [...workload.records()];
    const row = workload.expectedState().get('measurements')!.get('1') as Row;
    assert.equal(row.get('id'), 1n);
    assert.match(String(row.get('amount') ?? '0.00'), /^-?\d+\.\d{2}$/);
    assert.match(String(row.get('updated_at')), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
  });
});
