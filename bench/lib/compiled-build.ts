/**
 * The sluice a benchmark runs: the compiled build, as the container ships it (`npm run build`
 * compiles src/ and connectors/ to JavaScript), not the TypeScript sources through tsx.
 *
 * It is compiled into its own folder (.cache/bench-build), not dist/: bin/sluice.mjs prefers a
 * dist/ when one exists, so a dist/ left behind by a benchmark would make every later
 * `bin/sluice.mjs` run (tests included) use a build older than the sources. Compiled once per
 * benchmark process, from the sources as they are when the first sluice child starts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { benchRoot } from './result.ts';

const BUILD_DIR = path.join(benchRoot, '.cache/bench-build');
const CLI = path.join(BUILD_DIR, 'src/cli.js');

export interface CompiledBuild {
  /** The compiled `sluice` entry point: run it as `node <cli> run`. */
  readonly cli: string;
  /** tsc's complaints, when it reported type errors (the JavaScript is emitted regardless). */
  readonly typeErrors: string | null;
}

let built: CompiledBuild | null = null;

/** Compiles the sources once (about 20–60 s here) and returns the entry point. */
export function compiledBuild(): CompiledBuild {
  if (built !== null) return built;
  rmSync(BUILD_DIR, { recursive: true, force: true });
  process.stdout.write('  compiling sluice (tsc -p tsconfig.build.json) for the benchmark …\n');
  const tsc = path.join(benchRoot, 'node_modules/typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', BUILD_DIR], { cwd: benchRoot, encoding: 'utf8' });
  if (!existsSync(CLI)) throw new Error(`tsc did not emit ${CLI}: ${(result.stdout + result.stderr).slice(-2_000)}`);
  const typeErrors = result.status === 0 ? null : (result.stdout + result.stderr).trim().slice(-2_000);
  if (typeErrors !== null) process.stdout.write(`  tsc reported type errors (JavaScript emitted anyway):\n${typeErrors}\n`);
  built = { cli: CLI, typeErrors };
  return built;
}

/** The line each sluice scenario adds to its notes. */
export const COMPILED_BUILD_NOTE =
  'sluice runs from the compiled build (tsc of src/ and connectors/, what the container ships and `npm run build` makes), not from the TypeScript sources through tsx.';
