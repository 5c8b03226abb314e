#!/usr/bin/env node
// The `sluice` command. Runs the compiled build (dist/, made by `npm run build`, as in the
// container) when there is one, and otherwise the TypeScript sources through tsx, so a checkout
// works without a build step.
import { existsSync } from 'node:fs';

const compiled = new URL('../dist/src/cli.js', import.meta.url);
let main;
if (existsSync(compiled) && process.env.SLUICE_FROM_SOURCE !== '1') {
  ({ main } = await import(compiled.href));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli.ts'));
}
process.exit(await main(process.argv.slice(2), process.env));
