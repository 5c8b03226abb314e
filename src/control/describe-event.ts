/**
 * One sentence per controller event, for the single log line an operator reads at 3 a.m.
 * (the structured fields ride along in the same line).
 */
import type { ControllerEvent } from './controller.ts';

function duration(seconds: number): string {
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7_200) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3_600).toFixed(1)} h`;
}

export function describeControllerEvent(event: ControllerEvent): string {
  switch (event.kind) {
    case 'lag-class-changed':
      return `lag trend ${event.from} → ${event.to}: ${event.lag} records behind, ${event.slope >= 0 ? '+' : ''}${Math.round(event.slope)} records/s`;
    case 'hot-partition':
      return `hot partition ${event.topic}/${event.partition}: lag ${event.lag} against a sibling median of ${event.siblingMedianLag} (a hot key?)`;
    case 'hot-partition-cleared':
      return `partition ${event.topic}/${event.partition} is no longer hot`;
    case 'retention-risk':
      return `retention risk: ${event.topic}/${event.partition} would lose unwritten records to retention (${event.limitedBy}) in about ${duration(event.etaSeconds)}`;
    case 'retention-risk-cleared':
      return 'retention risk cleared: lag is no longer on course to outrun retention';
    case 'bottleneck-changed':
      return event.to === null ? `no stage is the bottleneck any more (was ${event.from})` : `bottleneck is now the ${event.to} stage (busy, not back-pressured)${event.from === null ? '' : `; was ${event.from}`}`;
    case 'sink-saturated':
      return `sink saturated (${event.reason}): pausing partitions until a write succeeds`;
    case 'sink-recovered':
      return 'sink recovered: writes succeed again';
    case 'writes-stalled':
      return `writes stalled: the oldest of ${event.inFlightWrites} write(s) has run for ${duration(event.oldestWriteMs / 1000)}`;
    case 'writes-flowing':
      return 'writes flowing again';
  }
}
