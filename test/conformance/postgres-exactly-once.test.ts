/**
 * The PostgreSQL exactly-once store against the real server: offsets are recorded in the same
 * transaction as the rows, claims bump a per-partition epoch, and a writer holding an old epoch
 * is fenced.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import type { TableSchema } from '../../src/cdc/types.ts';
import { isSinkError, SinkError } from '../../src/errors.ts';
import { silentLogger } from '../../src/observe/logger.ts';
import { BatchExecutor } from '../../src/pipeline/batch-executor.ts';
import { exactlyOnceTableKey, type RowChange, type TableBatch, type TargetTable, type UpsertChange, type WriteContext, type Writer } from '../../src/writer/types.ts';
import postgres from '../../connectors/postgres/index.ts';
import { type TestDatabase, createUniqueDatabase, startServices } from '../support/services.ts';
import { column, tableSchema } from './batches.ts';

const schema: TableSchema = tableSchema([column('id', { kind: 'int64' }, false), column('v', { kind: 'string' })], ['id']);
const table: TargetTable = { namespace: 'eo', name: 'items' };
const topic = 'cdc.items';
const group = 'sluice-eo-test';

function change(id: number, partition: number, offset: bigint, value: string): UpsertChange {
  return {
    kind: 'upsert',
    key: new Map([['id', BigInt(id)]]),
    row: new Map<string, bigint | string>([
      ['id', BigInt(id)],
      ['v', value],
    ]),
    version: offset,
    origins: [{ topic, partition, offset }],
    sourceTsMs: 0,
  };
}

function batch(changes: RowChange[], target: TargetTable = table): TableBatch {
  return { table: target, schema, truncateFirst: false, truncateOrigins: [], changes };
}

function context(epochs: Record<string, number>): WriteContext {
  return { signal: new AbortController().signal, exactlyOnce: { group, epochs: new Map(Object.entries(epochs)) } };
}

async function waitFor(description: string, condition: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${description}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('postgres exactly-once store', () => {
  let database: TestDatabase;
  let admin: pg.Client;
  let oldOwner: Writer;
  let newOwner: Writer;

  const rows = async () =>
    (await admin.query<{ id: string; v: string }>('SELECT id::text, v FROM eo.items ORDER BY id')).rows.map((row) => `${row.id}=${row.v}`);

  before(async () => {
    await startServices();
    database = await createUniqueDatabase('sluice_eo');
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const env = { SLUICE_PG_URL: database.url, SLUICE_PG_OFFSETS_SCHEMA: 'sluice state' };
    oldOwner = postgres.createWriter({ env, logger: silentLogger() });
    newOwner = postgres.createWriter({ env, logger: silentLogger() });
    await oldOwner.open();
    await newOwner.open();
  });

  after(async () => {
    await oldOwner?.close();
    await newOwner?.close();
    await admin?.end();
    await database?.drop();
  });

  it('claims, records offsets with the rows, fences the previous owner and keeps the high-water mark', async () => {
    const store = oldOwner.exactlyOnce;
    const newStore = newOwner.exactlyOnce;
    assert.ok(store !== undefined && newStore !== undefined);
    const tableKey = exactlyOnceTableKey(table);

    const first = await store.claim(group, [
      { topic, partition: 1 },
      { topic, partition: 0 },
      { topic, partition: 0 },
    ]);
    assert.deepEqual(
      first.map((claim) => [claim.partition, claim.epoch, claim.appliedOffsets.size]),
      [
        [0, 1, 0],
        [1, 1, 0],
      ],
    );

    await oldOwner.write(batch([change(1, 0, 5n, 'a'), change(2, 0, 3n, 'b'), change(3, 1, 12n, 'c')]), context({ [`${topic}:0`]: 1, [`${topic}:1`]: 1 }));

    // A poison batch rolls back its offsets with its rows.
    await assert.rejects(
      oldOwner.write(batch([{ ...change(4, 0, 99n, 'x'), row: new Map<string, string | bigint>([['id', 4n], ['v', 'nul\u0000']]) }]), context({ [`${topic}:0`]: 1 })),
      (error: unknown) => isSinkError(error) && error.errorClass === 'poison',
    );

    // A new owner takes partition 0 over: its epoch is 2 and it sees what the old owner applied.
    const second = await newStore.claim(group, [{ topic, partition: 0 }]);
    assert.equal(second.length, 1);
    assert.equal(second[0]?.epoch, 2);
    assert.deepEqual([...(second[0]?.appliedOffsets ?? [])], [[tableKey, 5n]]);

    // The old owner can no longer write partition 0, and nothing of the fenced batch lands.
    await assert.rejects(oldOwner.write(batch([change(1, 0, 6n, 'stale')]), context({ [`${topic}:0`]: 1 })), (error: unknown) => {
      assert.ok(isSinkError(error));
      assert.equal(error.errorClass, 'fatal');
      assert.equal(error.code, 'pg.fenced');
      return true;
    });
    assert.deepEqual(await rows(), ['1=a', '2=b', '3=c']);

    // It still owns partition 1.
    await oldOwner.write(batch([change(3, 1, 13n, 'c2')]), context({ [`${topic}:1`]: 1 }));

    // The new owner writes with its epoch; a replay of an older batch does not lower the mark.
    await newOwner.write(batch([change(1, 0, 8n, 'new')]), context({ [`${topic}:0`]: 2 }));
    await newOwner.write(batch([change(1, 0, 8n, 'new'), change(2, 0, 7n, 'b')]), context({ [`${topic}:0`]: 2 }));
    await newOwner.write(batch([change(2, 0, 7n, 'b')]), context({ [`${topic}:0`]: 2 }));
    assert.deepEqual(await rows(), ['1=new', '2=b', '3=c2']);
    // A truncate's own position counts as applied too.
    await newOwner.write(
      { table, schema, truncateFirst: true, truncateOrigins: [{ topic, partition: 0, offset: 9n }], changes: [] },
      context({ [`${topic}:0`]: 2 }),
    );
    assert.deepEqual(await rows(), []);

    const third = await newStore.claim(group, [
      { topic, partition: 0 },
      { topic, partition: 1 },
    ]);
    assert.deepEqual(
      third.map((claim) => [claim.partition, claim.epoch, [...claim.appliedOffsets]]),
      [
        [0, 3, [[tableKey, 9n]]],
        [1, 2, [[tableKey, 13n]]],
      ],
    );
  });

  it('makes a claim wait for an in-flight write of the previous owner', async () => {
    const store = newOwner.exactlyOnce;
    assert.ok(store !== undefined);
    const [claim] = await store.claim(group, [{ topic, partition: 7 }]);
    assert.ok(claim !== undefined);
    // Stand-in for a write in flight: a transaction holding the epoch row share-locked, as
    // write() does until its COMMIT.
    const inFlight = new pg.Client({ connectionString: database.url });
    await inFlight.connect();
    try {
      await inFlight.query('BEGIN');
      await inFlight.query('SELECT epoch FROM "sluice state".sluice_epochs WHERE group_id = $1 AND topic = $2 AND partition = 7 FOR SHARE', [group, topic]);
      let claimed = false;
      const takeover = oldOwner.exactlyOnce?.claim(group, [{ topic, partition: 7 }]).then((claims) => {
        claimed = true;
        return claims;
      });
      await waitFor('the claim to block on the share lock', async () => {
        const waiting = await admin.query("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        return (waiting.rowCount ?? 0) > 0;
      });
      assert.equal(claimed, false, 'the claim must wait while the old owner is writing');
      await inFlight.query('COMMIT');
      const claims = await takeover;
      assert.equal(claims?.[0]?.epoch, claim.epoch + 1);
    } finally {
      await inFlight.end();
    }
  });

  it('a crash between the writes of a bisected poison batch loses no change on replay', async () => {
    const target: TargetTable = { namespace: 'eo', name: 'bisected' };
    const partition = 3;
    const epochKey = `${topic}:${partition}`;
    // Compaction per key leaves offsets interleaved in batch order. The poison change (NUL in
    // text) makes the whole batch fail; the executor then writes [1, 2] before [3, 4] and the
    // first half's highest offset (10) is above change 3's (3).
    const poisonRow = new Map<string, string | bigint>([
      ['id', 4n],
      ['v', 'nul\u0000'],
    ]);
    const changes: RowChange[] = [change(1, partition, 10n, 'a'), change(2, partition, 2n, 'b'), change(3, partition, 3n, 'c'), { ...change(4, partition, 11n, 'x'), row: poisonRow }];
    const expected = ['1=a', '2=b', '3=c'];
    const targetRows = async () =>
      (await admin.query<{ id: string; v: string }>('SELECT id::text, v FROM eo.bisected ORDER BY id')).rows.map((row) => `${row.id}=${row.v}`);

    const store = oldOwner.exactlyOnce;
    assert.ok(store !== undefined);
    const [claim] = await store.claim(group, [{ topic, partition }]);
    assert.ok(claim !== undefined);

    // The process dies right after the first successful write: every later write fails fatal,
    // which stops the executor as a kill would (nothing after it reaches the server).
    let crashed = false;
    const dying: Writer = {
      open: () => oldOwner.open(),
      close: async () => {},
      write: async (written, writeContext) => {
        if (crashed) throw new SinkError('fatal', 'process killed', { code: 'test.killed' });
        const result = await oldOwner.write(written, writeContext);
        crashed = true;
        return result;
      },
    };
    const executorFor = (writer: Writer, epoch: number, deadLettered: RowChange[]) =>
      new BatchExecutor({
        writer,
        retry: { baseMs: 1, maxMs: 2, maxAttempts: 0 },
        deadLetter: async (item) => {
          if (item !== null) deadLettered.push(item);
        },
        observe: () => {},
        context: () => context({ [epochKey]: epoch }),
        logger: silentLogger(),
        signal: new AbortController().signal,
        random: () => 0.5,
      });
    await assert.rejects(executorFor(dying, claim.epoch, []).execute(batch(changes, target)), /process killed/);
    assert.deepEqual(await targetRows(), ['1=a', '2=b'], 'the crash came between the two halves');

    // Restart: claim again and replay what the pipeline would not skip (offset above the mark).
    const newStore = newOwner.exactlyOnce;
    assert.ok(newStore !== undefined);
    const [restart] = await newStore.claim(group, [{ topic, partition }]);
    assert.ok(restart !== undefined);
    const mark = restart.appliedOffsets.get(exactlyOnceTableKey(target)) ?? -1n;
    const replayed = changes.filter((item) => item.origins.some((origin) => origin.offset > mark));
    const skipped = changes.filter((item) => !replayed.includes(item)).map((item) => Number(item.key.get('id')));
    const present = new Set((await targetRows()).map((entry) => Number(entry.split('=')[0])));
    assert.deepEqual(
      skipped.filter((id) => !present.has(id)),
      [],
      `the mark ${mark} makes the restart skip changes that were never written`,
    );

    const deadLettered: RowChange[] = [];
    await executorFor(newOwner, restart.epoch, deadLettered).execute(batch(replayed, target));
    assert.deepEqual(await targetRows(), expected);
    assert.deepEqual(
      deadLettered.map((item) => Number(item.key.get('id'))),
      [4],
    );
    // The replay bisected again: [1, 3] was written under the ceiling 10 (change 4 at 11 unwritten).
    const [final] = await newStore.claim(group, [{ topic, partition }]);
    assert.ok(final !== undefined);
    assert.equal(final.appliedOffsets.get(exactlyOnceTableKey(target)), 10n);

    // A ceiling below the stored mark leaves the mark where it is.
    const capped = context({ [epochKey]: final.epoch });
    assert.ok(capped.exactlyOnce !== undefined);
    await newOwner.write(batch([change(2, partition, 12n, 'b2')], target), {
      ...capped,
      exactlyOnce: { ...capped.exactlyOnce, offsetCeilings: new Map([[epochKey, 1n]]) },
    });
    const [afterCapped] = await newStore.claim(group, [{ topic, partition }]);
    assert.equal(afterCapped?.appliedOffsets.get(exactlyOnceTableKey(target)), 10n);
    assert.deepEqual(await targetRows(), ['1=a', '2=b2', '3=c']);
  });
});
