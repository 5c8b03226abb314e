/**
 * What every operator command shares: where its output goes (tests capture it) and how a usage
 * error is reported (exit code 2, like invalid settings).
 */
export interface CommandOutput {
  /** Results: tables or JSON, on stdout. */
  out(text: string): void;
  /** Check lines, warnings and errors, on stderr. */
  err(text: string): void;
  /** Progress of long operations, on stderr (overwritten in place on a terminal). */
  progress(text: string): void;
}

/** A wrong or missing argument: the message and the command's usage, exit code 2. */
export class CommandError extends Error {
  constructor(
    message: string,
    readonly usage: string,
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

/** Output to the process's streams; progress lines are redrawn on a terminal and kept otherwise. */
export function processOutput(): CommandOutput {
  const terminal = process.stderr.isTTY === true;
  let progressShown = false;
  const clearProgress = (): void => {
    if (progressShown) process.stderr.write('\r\x1b[2K');
    progressShown = false;
  };
  return {
    out(text) {
      clearProgress();
      process.stdout.write(`${text}\n`);
    },
    err(text) {
      clearProgress();
      process.stderr.write(`${text}\n`);
    },
    progress(text) {
      if (terminal) {
        process.stderr.write(`\r\x1b[2K${text}`);
        progressShown = true;
      } else {
        process.stderr.write(`${text}\n`);
      }
    },
  };
}
