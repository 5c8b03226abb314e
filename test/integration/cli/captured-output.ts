/** A CommandOutput that keeps what a command printed, for assertions. */
import type { CommandOutput } from '../../../src/cli/command.ts';

export interface CapturedOutput extends CommandOutput {
  readonly stdout: string[];
  readonly stderr: string[];
}

export function capturedOutput(): CapturedOutput {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return {
    stdout,
    stderr,
    out: (text) => stdout.push(text),
    err: (text) => stderr.push(text),
    progress: (text) => stderr.push(text),
  };
}
