import assert from 'node:assert/strict';
import { test } from 'node:test';
import { earliestBreach, type PartitionFlow, timeToRetentionBreach } from '../../../src/control/retention.ts';

const day = 24 * 60 * 60 * 1000;

// The article: production 10,000 records/s, consumption 7,000 records/s.
const articleFlow: PartitionFlow = {
  lagRecords: 0,
  lagSlope: 10_000 - 7_000,
  productionRate: 10_000,
  averageRecordBytes: 1_000,
  oldestUnwrittenAgeMs: null,
};

test("the article's example: 3,000 records/s against a 28.8M-record budget is about 2.6 hours", () => {
  // The article's budget of 28.8M records, as a size limit: 28.8 GB at 1 kB per record.
  const eta = timeToRetentionBreach({ ms: day, bytes: 28.8e9 }, articleFlow);
  assert.equal(eta.kind, 'breach');
  if (eta.kind !== 'breach') return;
  assert.equal(eta.limitedBy, 'bytes');
  assert.equal(eta.budgetRecords, 28_800_000);
  assert.equal(eta.seconds, 9_600);
  const hours = eta.seconds / 3_600;
  assert.ok(hours >= 2.6 && hours < 2.7, `${hours} h`);
});

test('24 h of time retention at 10,000 records/s is a budget of 864M records (80 h at +3,000/s)', () => {
  const eta = timeToRetentionBreach({ ms: day, bytes: -1 }, articleFlow);
  assert.equal(eta.kind, 'breach');
  if (eta.kind !== 'breach') return;
  assert.equal(eta.limitedBy, 'time');
  assert.equal(eta.budgetRecords, 864_000_000);
  assert.equal(eta.seconds / 3_600, 80);
});

test('the lag already accumulated and the measured age shorten the time left', () => {
  const withLag = timeToRetentionBreach({ ms: -1, bytes: 28.8e9 }, { ...articleFlow, lagRecords: 14_400_000 });
  assert.equal(withLag.kind === 'breach' && withLag.seconds, 4_800);
  // One hour retention, oldest unwritten record 50 minutes old: 10 minutes of production left.
  const withAge = timeToRetentionBreach({ ms: 3_600_000, bytes: -1 }, { ...articleFlow, oldestUnwrittenAgeMs: 3_000_000 });
  assert.equal(withAge.kind === 'breach' && withAge.seconds, (600 * 10_000) / 3_000);
});

test('no breach while the lag drains or holds, or when retention is unlimited', () => {
  assert.deepEqual(timeToRetentionBreach({ ms: day, bytes: -1 }, { ...articleFlow, lagSlope: -500 }), {
    kind: 'none',
    reason: 'draining',
  });
  assert.deepEqual(timeToRetentionBreach({ ms: day, bytes: -1 }, { ...articleFlow, lagSlope: 0 }), {
    kind: 'none',
    reason: 'flat',
  });
  assert.deepEqual(timeToRetentionBreach({ ms: -1, bytes: -1 }, articleFlow), { kind: 'none', reason: 'unlimited' });
  assert.deepEqual(timeToRetentionBreach({ ms: -1, bytes: 1e9 }, { ...articleFlow, averageRecordBytes: null }), {
    kind: 'none',
    reason: 'unlimited',
  });
});

test('a lag beyond the budget is a breach now, even while draining', () => {
  const eta = timeToRetentionBreach({ ms: -1, bytes: 1e6 }, { ...articleFlow, lagRecords: 2_000, lagSlope: -10 });
  assert.deepEqual(eta, { kind: 'breach', seconds: 0, limitedBy: 'bytes', budgetRecords: 1_000 });
});

test('overall ETA is the earliest partition', () => {
  const first = earliestBreach([
    { topic: 't', partition: 0, eta: { kind: 'none', reason: 'draining' } },
    { topic: 't', partition: 1, eta: { kind: 'breach', seconds: 900, limitedBy: 'time', budgetRecords: 1 } },
    { topic: 't', partition: 2, eta: { kind: 'breach', seconds: 300, limitedBy: 'bytes', budgetRecords: 1 } },
  ]);
  assert.equal(first?.partition, 2);
  assert.equal(earliestBreach([{ topic: 't', partition: 0, eta: { kind: 'none', reason: 'flat' } }]), null);
});

test('stalled writing: the time limit is retention.ms − age from now, whatever the slope or production', () => {
  // 45 s retention, the oldest unwritten record 12 s old and not moving: deleted in 33 s.
  const stalled: PartitionFlow = { ...articleFlow, lagRecords: 4_800, lagSlope: 0, productionRate: 0, oldestUnwrittenAgeMs: 12_000, writingStalled: true };
  assert.deepEqual(timeToRetentionBreach({ ms: 45_000, bytes: -1 }, stalled), { kind: 'breach', seconds: 33, limitedBy: 'time', budgetRecords: 0 });
  // The same flow without the stall verdict has no trend to extrapolate and no production rate.
  assert.deepEqual(timeToRetentionBreach({ ms: 45_000, bytes: -1 }, { ...stalled, writingStalled: false }), { kind: 'none', reason: 'unlimited' });
  // Due already.
  const due = timeToRetentionBreach({ ms: 45_000, bytes: -1 }, { ...stalled, oldestUnwrittenAgeMs: 46_000 });
  assert.equal(due.kind === 'breach' && due.seconds, 0);
  // Without a measured age the stall verdict cannot be used: the trend estimate stands.
  const noAge = timeToRetentionBreach({ ms: day, bytes: -1 }, { ...articleFlow, writingStalled: true });
  assert.equal(noAge.kind === 'breach' && noAge.seconds / 3_600, 80);
});

test('stalled writing: the size limit is still extrapolated, and the earlier of the two wins', () => {
  const flow: PartitionFlow = { ...articleFlow, lagRecords: 14_400_000, oldestUnwrittenAgeMs: 3_000_000, writingStalled: true };
  // 1 h retention, 50 min old: 600 s; the size limit (4,800 s) is later.
  const time = timeToRetentionBreach({ ms: 3_600_000, bytes: 28.8e9 }, flow);
  assert.ok(time.kind === 'breach' && time.limitedBy === 'time' && time.seconds === 600);
  // 2 h retention: 4,200 s by time, the size limit's 4,800 s is still later; at 20 GB it is earlier.
  const bytes = timeToRetentionBreach({ ms: 7_200_000, bytes: 20e9 }, flow);
  assert.ok(bytes.kind === 'breach' && bytes.limitedBy === 'bytes' && Math.abs(bytes.seconds - (20_000_000 - 14_400_000) / 3_000) < 1e-6, JSON.stringify(bytes));
});
