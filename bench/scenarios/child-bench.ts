/** Runs one of the stand-alone bench/*.ts programs as a child process and reads the JSON it wrote. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { benchRoot } from '../lib/result.ts';

export async function runBenchProgram(program: string, args: readonly string[], resultFile: string): Promise<unknown> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(benchRoot, program), ...args], { cwd: benchRoot, stdio: ['ignore', 'inherit', 'inherit'] });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${program} exited with ${code}`);
  return JSON.parse(readFileSync(path.join(benchRoot, resultFile), 'utf8')) as unknown;
}
