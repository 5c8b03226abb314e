/** The connectors' shared environment reader: defaults, errors that name the variable, secrets inline or from a file. */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { booleanText, envReader, readSettingFile, settingDoc, wholeNumber } from '../../../src/config/env-reader.ts';
import { ConfigError } from '../../../src/errors.ts';

const parsers = {
  SLUICE_TEST_COUNT: wholeNumber(1, 10),
  SLUICE_TEST_FLAG: booleanText,
  SLUICE_TEST_TOKEN: z.string().min(3, 'must be at least 3 characters'),
  SLUICE_TEST_TOKEN_FILE: z.string().min(1),
  SLUICE_TEST_KEY: z.string().startsWith('-----', 'must be a PEM'),
} as const;
const reader = envReader(parsers, { verbatim: ['SLUICE_TEST_KEY'] });

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, String(error));
    return error;
  }
  assert.fail('expected a ConfigError');
}

describe('env reader', () => {
  it('reads unset and empty as undefined, trims, and parses', () => {
    assert.equal(reader.read({}, 'SLUICE_TEST_COUNT'), undefined);
    assert.equal(reader.read({ SLUICE_TEST_COUNT: '' }, 'SLUICE_TEST_COUNT'), undefined);
    assert.equal(reader.read({ SLUICE_TEST_COUNT: ' 7 ' }, 'SLUICE_TEST_COUNT'), 7);
    assert.equal(reader.read({ SLUICE_TEST_FLAG: 'yes' }, 'SLUICE_TEST_FLAG'), true);
    assert.equal(reader.read({ SLUICE_TEST_FLAG: '0' }, 'SLUICE_TEST_FLAG'), false);
    assert.equal(configError(() => reader.required({}, 'SLUICE_TEST_COUNT')).message, 'SLUICE_TEST_COUNT: is required');
  });

  it('names the variable and never repeats its value', () => {
    const tooLarge = configError(() => reader.read({ SLUICE_TEST_COUNT: '11' }, 'SLUICE_TEST_COUNT'));
    assert.equal(tooLarge.variable, 'SLUICE_TEST_COUNT');
    const short = configError(() => reader.read({ SLUICE_TEST_TOKEN: 'zq' }, 'SLUICE_TEST_TOKEN'));
    assert.equal(short.message, 'SLUICE_TEST_TOKEN: must be at least 3 characters');
    assert.ok(!configError(() => reader.read({ SLUICE_TEST_COUNT: 'sekrit' }, 'SLUICE_TEST_COUNT')).message.includes('sekrit'));
  });

  it('keeps verbatim variables untrimmed', () => {
    assert.equal(reader.read({ SLUICE_TEST_KEY: '-----k\n' }, 'SLUICE_TEST_KEY'), '-----k\n');
    assert.equal(configError(() => reader.read({ SLUICE_TEST_KEY: ' -----k' }, 'SLUICE_TEST_KEY')).variable, 'SLUICE_TEST_KEY');
  });

  it('takes a secret inline or from a file, not both, and names an unreadable file by its error code', () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'sluice-env-reader-'));
    const file = path.join(folder, 'token');
    writeFileSync(file, 'from-file\n');
    const options = { fileDescription: 'token file', trimNewline: true } as const;
    assert.equal(reader.secret({}, 'SLUICE_TEST_TOKEN', 'SLUICE_TEST_TOKEN_FILE', options), undefined);
    assert.deepEqual(reader.secret({ SLUICE_TEST_TOKEN: 'inline' }, 'SLUICE_TEST_TOKEN', 'SLUICE_TEST_TOKEN_FILE', options), { value: 'inline', variable: 'SLUICE_TEST_TOKEN' });
    assert.deepEqual(reader.secret({ SLUICE_TEST_TOKEN_FILE: file }, 'SLUICE_TEST_TOKEN', 'SLUICE_TEST_TOKEN_FILE', options), { value: 'from-file', variable: 'SLUICE_TEST_TOKEN_FILE' });
    assert.equal(reader.secret({ SLUICE_TEST_TOKEN_FILE: file }, 'SLUICE_TEST_TOKEN', 'SLUICE_TEST_TOKEN_FILE', { ...options, trimNewline: false })?.value, 'from-file\n');
    const both = configError(() => reader.secret({ SLUICE_TEST_TOKEN: 'inline-secret', SLUICE_TEST_TOKEN_FILE: file }, 'SLUICE_TEST_TOKEN', 'SLUICE_TEST_TOKEN_FILE', options));
    assert.equal(both.message, 'SLUICE_TEST_TOKEN_FILE: set either SLUICE_TEST_TOKEN or SLUICE_TEST_TOKEN_FILE, not both');
    const missing = configError(() => reader.secret({ SLUICE_TEST_TOKEN_FILE: path.join(folder, 'missing') }, 'SLUICE_TEST_TOKEN', 'SLUICE_TEST_TOKEN_FILE', options));
    assert.equal(missing.message, 'SLUICE_TEST_TOKEN_FILE: cannot read the token file (ENOENT)');
    assert.equal(readSettingFile('SLUICE_TEST_TOKEN_FILE', file), 'from-file\n');
  });

  it('builds documentation entries with required and secret off unless set', () => {
    assert.deepEqual(settingDoc('SLUICE_TEST_COUNT', 'How many.', { default: '3' }), { variable: 'SLUICE_TEST_COUNT', description: 'How many.', required: false, secret: false, default: '3' });
    assert.deepEqual(settingDoc('SLUICE_TEST_TOKEN', 'A token.', { secret: true }), { variable: 'SLUICE_TEST_TOKEN', description: 'A token.', required: false, secret: true });
  });
});
