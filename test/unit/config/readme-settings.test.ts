import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { readmeWithSettings } from '../../../src/config/settings-table.ts';

test('the README settings table matches the schemas start-up validates (npm run docs:settings)', async () => {
  const readme = await readFile(new URL('../../../README.md', import.meta.url), 'utf8');
  assert.equal(readme, await readmeWithSettings(readme), 'README.md is out of date: run `npm run docs:settings`');
});
