/** Where a V8 .cpuprofile's self time went: by area (our folders, npm packages, node internals, GC) and top functions. */
import { readFileSync } from 'node:fs';
import { benchRoot, round } from './result.ts';

export interface ProfileSummary {
  readonly file: string;
  readonly total_ms: number;
  readonly by_area: Record<string, number>;
  readonly top_functions: { name: string; where: string; self_ms: number; share: number }[];
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}

function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName === '(garbage collector)' ? 'gc' : functionName === '(idle)' || functionName === '(program)' ? functionName : 'native/builtin';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (modules) return `npm:${modules[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  const relative = url.replace(/^file:\/\//, '').replace(`${benchRoot}/`, '');
  const folder = /^(src\/[^/]+|connectors\/[^/]+)/.exec(relative);
  return folder ? (folder[1] as string) : relative;
}

export function summariseProfile(file: string, topCount = 25): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMicros = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const byArea: Record<string, number> = {};
  const byFunction = new Map<string, { name: string; where: string; micros: number }>();
  let total = 0;
  for (const [id, micros] of selfMicros) {
    const frame = nodes.get(id)?.callFrame;
    if (frame === undefined) continue;
    total += micros;
    const area = areaOf(frame.url, frame.functionName);
    byArea[area] = (byArea[area] ?? 0) + micros;
    const where = `${frame.url.replace(/^file:\/\//, '').replace(`${benchRoot}/`, '')}:${frame.lineNumber + 1}`;
    const key = `${frame.functionName}@${where}`;
    const entry = byFunction.get(key) ?? { name: frame.functionName || '(anonymous)', where, micros: 0 };
    entry.micros += micros;
    byFunction.set(key, entry);
  }
  return {
    file: file.replace(`${benchRoot}/`, ''),
    total_ms: round(total / 1000),
    by_area: Object.fromEntries(
      Object.entries(byArea)
        .sort((a, b) => b[1] - a[1])
        .map(([area, micros]) => [area, round(micros / 1000)]),
    ),
    top_functions: [...byFunction.values()]
      .sort((a, b) => b.micros - a.micros)
      .slice(0, topCount)
      .map((entry) => ({ name: entry.name, where: entry.where, self_ms: round(entry.micros / 1000), share: round(entry.micros / total, 3) })),
  };
}
