/**
 * The chaos tests' progress log. `t.diagnostic` is printed only when the test ends, so a fault
 * that hangs until the runner's file timeout would leave no trace of where it stood; every line
 * also goes to stderr at once, with the time, which the runner shows as it comes.
 */
import type { TestContext } from 'node:test';

export function progressLog(t: TestContext, fault: string): (message: string) => void {
  return (message) => {
    t.diagnostic(message);
    process.stderr.write(`[chaos ${fault} ${new Date().toISOString().slice(11, 23)}] ${message}\n`);
  };
}
