import assert from 'node:assert/strict';
import { test } from 'node:test';
import { findBottleneck, pressureLevel, StageMeter, StageMeters } from '../../../src/control/stages.ts';

test("the article's table: the sink is the first stage busy but not back-pressured", () => {
  const meters = new StageMeters(10_000);
  // Victims: waiting 90 % of the window on a full downstream, busy 5 %.
  for (const name of ['fetch', 'decode', 'batch-queue'] as const) {
    meters.meter(name).record('backpressured', 0, 9_000);
    meters.meter(name).record('busy', 9_000, 9_500);
  }
  meters.meter('write').record('busy', 0, 9_800);
  meters.meter('commit').record('busy', 9_800, 9_900);
  const diagnosis = meters.evaluate(10_000);
  assert.equal(diagnosis.bottleneck, 'write');
  assert.deepEqual(
    diagnosis.stages.map((s) => [s.name, s.backpressured, s.busy]),
    [
      ['fetch', 'high', 'ok'],
      ['decode', 'high', 'ok'],
      ['batch-queue', 'high', 'ok'],
      ['write', 'ok', 'high'],
      ['commit', 'ok', 'ok'],
    ],
  );
  assert.deepEqual(diagnosis.changed, { from: null, to: 'write' });
  assert.equal(meters.evaluate(10_000).changed, null, 'a change is reported once');
});

test('walking source to sink, the first busy stage that is not back-pressured wins', () => {
  const stage = (name: 'fetch' | 'decode' | 'batch-queue' | 'write' | 'commit', busyRatio: number, backpressuredRatio: number) => ({
    name,
    busyRatio,
    backpressuredRatio,
  });
  assert.equal(findBottleneck([stage('fetch', 0.1, 0.9), stage('decode', 0.9, 0.05), stage('write', 0.95, 0)]), 'decode');
  assert.equal(findBottleneck([stage('fetch', 0.1, 0), stage('decode', 0.2, 0), stage('write', 0.3, 0)]), null);
  assert.equal(findBottleneck([stage('fetch', 0.9, 0.8), stage('write', 0.9, 0.8)]), null);
});

test('the window slides, and open spans count up to now', () => {
  const meter = new StageMeter('write', 10_000);
  meter.record('busy', 0, 5_000);
  assert.equal(meter.ratios(10_000).busy, 0.5);
  assert.equal(meter.ratios(15_000).busy, 0, 'spans older than the window no longer count');
  const stuck = meter.begin('busy', 12_000);
  assert.equal(meter.ratios(20_000).busy, 0.8, 'a write that has not finished yet is busy');
  meter.end(stuck, 21_000);
  assert.equal(meter.ratios(25_000).busy, 0.6);
  meter.end(stuck, 30_000);
  assert.equal(meter.ratios(25_000).busy, 0.6, 'ending twice changes nothing');
});

test('parallel units divide the ratio: one of two writers busy is 50 %', () => {
  const meter = new StageMeter('write', 1_000);
  meter.parallelism = 2;
  meter.record('busy', 0, 1_000);
  assert.equal(meter.ratios(1_000).busy, 0.5);
  meter.record('busy', 0, 1_000);
  meter.record('busy', 0, 1_000);
  assert.equal(meter.ratios(1_000).busy, 1, 'never above 1');
});

test("Flink's levels", () => {
  assert.equal(pressureLevel(0.05), 'ok');
  assert.equal(pressureLevel(0.3), 'low');
  assert.equal(pressureLevel(0.8), 'high');
});

test('the bottleneck does not flap while its busy ratio hovers at the threshold', () => {
  const meters = new StageMeters(10_000);
  const write = meters.meter('write');
  // 10 s window: the write stage busy 60 % (named), then 45 % (within the hysteresis band: kept),
  // then 20 % (clearly not busy: un-named).
  write.record('busy', 0, 6_000);
  assert.equal(meters.evaluate(10_000).bottleneck, 'write');
  const hovering = new StageMeters(10_000);
  hovering.meter('write').record('busy', 0, 6_000);
  hovering.evaluate(10_000);
  hovering.meter('write').record('busy', 10_000, 14_500);
  const kept = hovering.evaluate(20_000);
  assert.equal(kept.bottleneck, 'write');
  assert.equal(kept.changed, null);
  hovering.meter('write').record('busy', 20_000, 22_000);
  const dropped = hovering.evaluate(30_000);
  assert.equal(dropped.bottleneck, null);
  assert.deepEqual(dropped.changed, { from: 'write', to: null });
});

test('a stage that qualifies outright replaces the current bottleneck at once', () => {
  const meters = new StageMeters(10_000);
  meters.meter('write').record('busy', 0, 6_000);
  assert.equal(meters.evaluate(10_000).bottleneck, 'write');
  meters.meter('decode').record('busy', 10_000, 19_000);
  meters.meter('write').record('busy', 10_000, 14_500);
  assert.equal(meters.evaluate(20_000).bottleneck, 'decode');
});
