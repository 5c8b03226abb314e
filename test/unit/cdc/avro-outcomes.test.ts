/**
 * Defined outcomes of the Avro decoder beyond a good record: corrupt frames and unknown schema ids
 * are DecodeErrors (the pipeline dead-letters them with the reason); a registry outage makes
 * `prepare` wait and retry — it never turns into a decode error; schema evolution across ids.
 * The registry is an in-memory double here (InMemoryRegistry) and an HTTP stub for the client's
 * status handling.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createAvroDecoder } from '../../../src/cdc/avro/avro-decoder.ts';
import { writeConfluentFrame } from '../../../src/cdc/avro/confluent-frame.ts';
import { createSchemaRegistryClient, type RegistrySchema, SchemaNotFoundError } from '../../../src/cdc/avro/registry-client.ts';
import { SchemaStore } from '../../../src/cdc/avro/schema-store.ts';
import type { DecodeInput } from '../../../src/cdc/decode.ts';
import { DecodeError } from '../../../src/errors.ts';
import { AvroTranscoder, InMemoryRegistry } from './avro-transcoder.ts';
import { changeRecord, field, type TableSpec } from './debezium-encoder.ts';

const spec: TableSpec = {
  prefix: 'outcomes',
  schema: 'public',
  table: 'items',
  key: ['id'],
  columns: [field('id', { type: 'int32', optional: false }), field('name', { type: 'string', optional: true })],
};
const stamp = { tsMs: 1_700_000_000_000, lsn: 1n };

function goodRecord(transcoder: AvroTranscoder, id = 1, name = 'a'): DecodeInput {
  const json = changeRecord(spec, { id }, { op: 'c', after: { id, name }, stamp });
  return { ...json, key: transcoder.transcode(json.key), value: transcoder.transcode(json.value) };
}

function decodeErrorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DecodeError, `expected a DecodeError, got ${String(error)}`);
    return `${error.code}: ${error.message}`;
  }
  return 'no error';
}

describe('Avro decoder outcomes', () => {
  it('a corrupt frame is a DecodeError naming what is wrong (wrong magic byte, truncated header, truncated datum, trailing bytes); a JSON key is read', async () => {
    const transcoder = new AvroTranscoder();
    const good = goodRecord(transcoder);
    const decoder = createAvroDecoder({ schemas: new SchemaStore(transcoder.registry) });
    await decoder.prepare([good]);
    assert.equal(decoder.decode(good).kind, 'change');
    const value = good.value!;
    const wrongMagic = Buffer.from(value);
    wrongMagic[0] = 0x7b;
    assert.match(decodeErrorCode(() => decoder.decode({ ...good, value: wrongMagic })), /^avro\.bad_magic_byte: the record value .*0x7b/);
    assert.match(decodeErrorCode(() => decoder.decode({ ...good, value: value.subarray(0, 3) })), /^avro\.truncated_frame: .*3 bytes/);
    assert.match(decodeErrorCode(() => decoder.decode({ ...good, value: value.subarray(0, value.length - 4) })), /^avro\.malformed_datum: record value does not decode with schema id/);
    assert.match(decodeErrorCode(() => decoder.decode({ ...good, value: Buffer.concat([value, Buffer.from([1, 2])]) })), /^avro\.malformed_datum: .*trailing/);
    assert.match(decodeErrorCode(() => decoder.decode({ ...good, value: value.subarray(0, 6) })), /^avro\.malformed_datum: .*truncated buffer/);
    // The datum is read in place: a value that is a view into a larger fetch buffer (as the
    // Kafka client delivers it), with other bytes on both sides, decodes the same.
    const inFetchBuffer = Buffer.concat([Buffer.from([9, 9, 9]), value, Buffer.from([7, 7])]).subarray(3, 3 + value.length);
    assert.deepEqual(decoder.decode({ ...good, value: inFetchBuffer }), decoder.decode(good));
    assert.match(decodeErrorCode(() => decoder.decode({ ...good, key: Buffer.from('id=1') })), /^avro\.bad_magic_byte: the record key/);
    // A JSON key is accepted (key.converter left at JSON), typed by the row's columns.
    const jsonKeyed = decoder.decode({ ...good, key: Buffer.from('{"id":1}') });
    assert.ok(jsonKeyed.kind === 'change' && jsonKeyed.event.kind === 'upsert');
    assert.deepEqual([...jsonKeyed.event.key], [['id', 1]]);
    assert.match(decodeErrorCode(() => decoder.decode({ ...good, key: Buffer.from('{"nope":1}') })), /^cdc\.invalid_key: key field "nope"/);
    assert.match(decodeErrorCode(() => decoder.decode({ ...good, key: Buffer.from('{"id":') })), /^cdc\.malformed_json: the record key/);
  });

  it('an unknown schema id (registry 404) is a DecodeError with the id; the registry is asked again at the next prepare', async () => {
    const registry = new InMemoryRegistry();
    const decoder = createAvroDecoder({ schemas: new SchemaStore(registry) });
    const record: DecodeInput = { topic: 't', partition: 0, offset: 0n, key: null, value: writeConfluentFrame(4242, Buffer.from([0])), timestamp: 0 };
    await decoder.prepare([record]);
    assert.equal(decodeErrorCode(() => decoder.decode(record)), 'avro.unknown_schema_id: record value: schema id 4242 is not in the schema registry (404)');
    await decoder.prepare([record]);
    assert.equal(registry.fetches, 2);
  });

  it('a registry outage: prepare retries with backoff until the registry answers, then decodes (no error meanwhile)', async () => {
    const transcoder = new AvroTranscoder();
    const good = goodRecord(transcoder);
    let failuresLeft = 4;
    const flaky = {
      async fetchSchema(id: number): Promise<RegistrySchema> {
        if (failuresLeft-- > 0) throw new Error('connect ECONNREFUSED 127.0.0.1:8081');
        return transcoder.registry.fetchSchema(id);
      },
    };
    const delays: number[] = [];
    const store = new SchemaStore(flaky, {
      retry: { initialDelayMs: 100, maxDelayMs: 250 },
      sleep: async (ms) => {
        delays.push(ms);
      },
    });
    const decoder = createAvroDecoder({ schemas: store });
    await decoder.prepare([good]);
    // Key and value schemas are fetched concurrently; every failure was retried, delays capped.
    assert.equal(delays.length, 4);
    assert.ok(delays.every((ms) => ms >= 100 && ms <= 250));
    assert.equal(decoder.decode(good).kind, 'change');
  });

  it('a registry outage that outlasts the pipeline: prepare returns when aborted, nothing was decoded or marked unknown', async () => {
    let attempts = 0;
    const down = {
      fetchSchema: async (): Promise<RegistrySchema> => {
        attempts++;
        throw new Error('connect ECONNREFUSED');
      },
    };
    const store = new SchemaStore(down, { retry: { initialDelayMs: 1, maxDelayMs: 5 } });
    const abort = new AbortController();
    const record: DecodeInput = { topic: 't', partition: 0, offset: 0n, key: null, value: writeConfluentFrame(7, Buffer.from([0])), timestamp: 0 };
    const decoder = createAvroDecoder({ schemas: store });
    const prepared = decoder.prepare([record], abort.signal);
    let settled = false;
    void prepared.then(() => {
      settled = true;
    });
    const deadline = Date.now() + 5_000;
    while (attempts < 3 && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(attempts >= 3, 'the fetch is retried');
    assert.equal(settled, false, 'prepare must keep waiting while the registry is down');
    abort.abort();
    await prepared;
    assert.equal(store.unusableReason(7), undefined);
    assert.equal(store.get(7), undefined);
  });

  it('a schema that is not Avro, or not one Kafka Connect writes, is a DecodeError', async () => {
    const registry = new InMemoryRegistry();
    const jsonSchemaId = registry.register({ type: 'object' }, 'JSON');
    const fixedId = registry.register({ type: 'record', name: 'R', fields: [{ name: 'f', type: { type: 'fixed', name: 'F', size: 2 } }] });
    const decoder = createAvroDecoder({ schemas: new SchemaStore(registry) });
    const records = [jsonSchemaId, fixedId].map((id): DecodeInput => ({ topic: 't', partition: 0, offset: 0n, key: null, value: writeConfluentFrame(id, Buffer.from([0, 0])), timestamp: 0 }));
    await decoder.prepare(records);
    assert.match(decodeErrorCode(() => decoder.decode(records[0]!)), /^avro\.unsupported_schema: .*JSON schema, not Avro/);
    assert.match(decodeErrorCode(() => decoder.decode(records[1]!)), /^avro\.unsupported_schema: .*fixed/);
  });

  it('schema evolution: records of two schema ids (a column added) decode with their own writer schema', async () => {
    const transcoder = new AvroTranscoder();
    const v1 = goodRecord(transcoder, 1, 'one');
    const wider: TableSpec = { ...spec, columns: [...spec.columns, field('qty', { type: 'int64', optional: true })] };
    const json2 = changeRecord(wider, { id: 2 }, { op: 'c', after: { id: 2, name: 'two', qty: 5n }, stamp });
    const v2: DecodeInput = { ...json2, key: transcoder.transcode(json2.key), value: transcoder.transcode(json2.value) };
    assert.notEqual(v1.value!.readUInt32BE(1), v2.value!.readUInt32BE(1));
    const decoder = createAvroDecoder({ schemas: new SchemaStore(transcoder.registry) });
    await decoder.prepare([v1, v2]);
    const [first, second] = [decoder.decode(v1), decoder.decode(v2)];
    assert.ok(first.kind === 'change' && first.event.kind === 'upsert' && second.kind === 'change' && second.event.kind === 'upsert');
    assert.deepEqual([...first.event.row], [['id', 1], ['name', 'one']]);
    assert.deepEqual([...second.event.row], [['id', 2], ['name', 'two'], ['qty', 5n]]);
    assert.notEqual(first.event.schema.fingerprint, second.event.schema.fingerprint);
  });

  it('the HTTP client: 404 from a registry that answers /subjects is "not found"; a 404 everywhere (wrong URL) and a 500 are retryable failures', async () => {
    let mode: 'registry' | 'wrong-url' | 'failing' = 'registry';
    const server = createServer((request, response) => {
      response.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
      if (mode === 'failing') {
        response.statusCode = 500;
        response.end('{"error_code":50001,"message":"store error"}');
      } else if (mode === 'registry' && request.url === '/subjects') {
        response.end('[]');
      } else if (mode === 'registry' && request.url === '/schemas/ids/3') {
        response.end(JSON.stringify({ schema: '"string"' }));
      } else {
        response.statusCode = 404;
        response.end('{"error_code":40403,"message":"Schema not found"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = createSchemaRegistryClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/` });
      assert.deepEqual(await client.fetchSchema(3), { schemaType: 'AVRO', schema: '"string"' });
      await assert.rejects(client.fetchSchema(9), SchemaNotFoundError);
      mode = 'wrong-url';
      await assert.rejects(client.fetchSchema(9), (error) => !(error instanceof SchemaNotFoundError));
      mode = 'failing';
      await assert.rejects(client.fetchSchema(3), (error) => !(error instanceof SchemaNotFoundError) && (error as { status?: number }).status === 500);
    } finally {
      server.close();
    }
  });

  it('schema references (as Apicurio\'s converter writes Debezium\'s Source record) are fetched by subject/version and resolved', async () => {
    const shared = { type: 'record', name: 'Source', namespace: 'io.debezium.connector.postgresql', fields: [{ name: 'table', type: 'string' }, { name: 'lsn', type: ['null', 'long'], default: null }] };
    const envelope = {
      type: 'record',
      name: 'Envelope',
      namespace: 'refs.public.items',
      'connect.name': 'refs.public.items.Envelope',
      fields: [
        { name: 'before', type: ['null', { type: 'record', name: 'Value', fields: [{ name: 'id', type: 'int' }] }], default: null },
        { name: 'after', type: ['null', 'Value'], default: null },
        { name: 'source', type: 'io.debezium.connector.postgresql.Source' },
        { name: 'op', type: 'string' },
      ],
    };
    const server = createServer((request, response) => {
      response.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
      if (request.url === '/schemas/ids/5') {
        response.end(JSON.stringify({ schema: JSON.stringify(envelope), references: [{ name: 'io.debezium.connector.postgresql.Source', subject: 'pg-source', version: 1 }] }));
      } else if (request.url === '/subjects/pg-source/versions/1') {
        response.end(JSON.stringify({ subject: 'pg-source', version: 1, id: 4, schema: JSON.stringify(shared) }));
      } else {
        response.statusCode = 404;
        response.end('{"error_code":40403,"message":"not found"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const client = createSchemaRegistryClient({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
      const decoder = createAvroDecoder({ schemas: new SchemaStore(client) });
      const transcoder = new AvroTranscoder();
      // Written with the reference inlined: the same binary encoding.
      const inlined = { ...envelope, fields: envelope.fields.map((field) => (field.name === 'source' ? { ...field, type: shared } : field)) };
      const value = transcoder.encode(inlined as unknown as Record<string, unknown>, { before: null, after: { id: 7 }, source: { table: 'items', lsn: 99n }, op: 'c' });
      value.writeUInt32BE(5, 1);
      const record: DecodeInput = { topic: 'refs.public.items', partition: 0, offset: 0n, key: null, value, timestamp: 1 };
      await decoder.prepare([record]);
      const result = decoder.decode(record);
      assert.ok(result.kind === 'change' && result.event.kind === 'upsert');
      assert.deepEqual([...result.event.row], [['id', 7]]);
      assert.equal(result.event.source.lsn, 99n);
      assert.deepEqual(result.event.sourceTable, { database: null, schema: null, table: 'items' });
    } finally {
      server.close();
    }
  });

  it('the HTTP client sends basic auth and trusts the CA file of an https registry', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-avro-tls-'));
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert], { stdio: 'ignore' });
    } catch (error) {
      t.skip(`openssl could not make a test certificate: ${String(error)}`);
      return;
    }
    const seen: (string | undefined)[] = [];
    const server = createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, (request, response) => {
      seen.push(request.headers.authorization);
      response.setHeader('content-type', 'application/vnd.schemaregistry.v1+json');
      response.end(JSON.stringify({ schema: '"string"' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const client = createSchemaRegistryClient({ url, username: 'sluice', password: 'p@ss:word', caFile: cert });
      assert.deepEqual(await client.fetchSchema(1), { schemaType: 'AVRO', schema: '"string"' });
      assert.equal(seen[0], `Basic ${Buffer.from('sluice:p@ss:word').toString('base64')}`);
      // Without the CA the certificate is not trusted: a retryable failure, not "not found".
      await assert.rejects(createSchemaRegistryClient({ url }).fetchSchema(1), (error) => !(error instanceof SchemaNotFoundError));
    } finally {
      server.close();
    }
  });
});
