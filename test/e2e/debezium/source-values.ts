/**
 * Seeded values for the source tables, as PostgreSQL input text (bound as parameters and cast by
 * the column), chosen for the edges a CDC pipeline gets wrong: numerics beyond a double, bigints
 * at ±2^63, NaN and ±Infinity, dates at year 1 and 9999, 24:00:00, infinite timestamps, time zone
 * offsets, negative interval parts, JSON with big numbers and escapes, arrays with NULLs, quotes
 * and Unicode, bytes with zeros, text in several scripts.
 *
 * Left out on purpose, because real Debezium 3.6.1 itself loses them (docs/debezium-e2e.md):
 * numeric 'NaN' (sent as null with decimal.handling.mode=precise), dates in the Julian–Gregorian gap 1582-10-05..14 (shifted by 10 days in
 * date[] and timestamp[] elements and in snapshot reads of date columns), varbit values with
 * leading zero bits (BitSet bytes drop them).
 */
import type { Prng } from '../../../src/loadgen/prng.ts';

const INT64_MAX = 2n ** 63n - 1n;
const INT64_MIN = -(2n ** 63n);

const TEXTS = [
  'plain ascii',
  'héllo wörld — ünïcödé',
  '日本語のテキスト',
  'עברית ועربية',
  'emoji 😀🎉👩‍👩‍👧‍👦',
  'combining e\u0301 and zero\u200bwidth',
  'tab\tnewline\ncarriage\rreturn',
  'back\\slash and \\N and "quotes" and \'apostrophes\'',
  '',
  ' leading and trailing spaces ',
  'NULL',
];

const ARRAY_TEXTS = ['a b', 'q"uote', 'back\\slash', 'com,ma', '{braces}', 'NULL', '', 'ünï ☃ 😀', ' spaced '];

export function digits(prng: Prng, count: number): string {
  let out = String(prng.range(1, 9));
  for (let i = 1; i < count; i++) out += String(prng.int(10));
  return out;
}

function sign(prng: Prng): string {
  return prng.chance(0.4) ? '-' : '';
}

/** numeric(20,4): up to 16 integer digits, always 4 fraction digits in the text. */
export function scaledNumeric(prng: Prng): string {
  return `${sign(prng)}${digits(prng, prng.range(1, 16))}.${String(prng.int(10_000)).padStart(4, '0')}`;
}

/** Unconstrained numeric: each value its own scale, some far beyond a double's precision. */
export function freeNumeric(prng: Prng): string {
  switch (prng.int(6)) {
    case 0:
      return '0.00000000000000000001';
    case 1:
      return `${sign(prng)}${digits(prng, 30)}.${digits(prng, 9)}`;
    case 2:
      return '0';
    case 3:
      return `${sign(prng)}0.${'0'.repeat(prng.int(5))}${digits(prng, prng.range(1, 8))}`;
    case 4:
      return `${sign(prng)}${digits(prng, prng.range(1, 12))}.${'0'.repeat(prng.range(1, 4))}`;
    default:
      return `${sign(prng)}${digits(prng, prng.range(1, 20))}`;
  }
}

export function bigintEdge(prng: Prng): string {
  const edges = [INT64_MAX, INT64_MIN, INT64_MAX - 1n, INT64_MIN + 1n, 2n ** 53n + 1n, -(2n ** 53n) - 1n, 0n];
  if (prng.chance(0.6)) return String(prng.pick(edges));
  return `${sign(prng)}${digits(prng, prng.range(1, 18))}`;
}

export function realValue(prng: Prng): string {
  return prng.pick(['NaN', 'Infinity', '-Infinity', '0', '-0', '1.17549435e-38', '3.4028234e+38', String(Math.fround((prng.float() - 0.5) * 10 ** prng.range(-5, 8)))]);
}

export function doubleValue(prng: Prng): string {
  return prng.pick(['NaN', 'Infinity', '-Infinity', '-0', '5e-324', '1.7976931348623157e+308', String((prng.float() - 0.5) * 10 ** prng.range(-12, 15)), '0.1']);
}

function pad(value: number, width = 2): string {
  return String(value).padStart(width, '0');
}

export function dateValue(prng: Prng): string {
  return prng.chance(0.04) ? prng.pick(['infinity', '-infinity']) : finiteDate(prng);
}

function finiteDate(prng: Prng): string {
  if (prng.chance(0.2)) return prng.pick(['0001-01-01', '9999-12-31', '1970-01-01', '2000-02-29', '1969-12-31', '1582-10-04', '1582-10-15']);
  const year = prng.range(1, 9999);
  const month = prng.range(1, 12);
  let day = prng.range(1, 28);
  // Debezium shifts the days java.util's hybrid calendar lacks (see the header).
  if (year === 1582 && month === 10 && day >= 5 && day <= 14) day += 10;
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
}

function clock(prng: Prng, fractionDigits: number): string {
  const base = `${pad(prng.int(24))}:${pad(prng.int(60))}:${pad(prng.int(60))}`;
  if (fractionDigits === 0 || prng.chance(0.2)) return base;
  return `${base}.${pad(prng.int(10 ** fractionDigits), fractionDigits)}`;
}

export function timeValue(prng: Prng, fractionDigits: 3 | 6): string {
  if (prng.chance(0.15)) return prng.pick(['24:00:00', '00:00:00', fractionDigits === 6 ? '23:59:59.999999' : '23:59:59.999']);
  return clock(prng, fractionDigits);
}

export function timestampValue(prng: Prng, fractionDigits: 3 | 6): string {
  if (prng.chance(0.08)) return prng.pick(['infinity', '-infinity']);
  if (prng.chance(0.1)) return prng.pick(['0001-01-01 00:00:00', '9999-12-31 23:59:59', '1970-01-01 00:00:00', '1969-12-31 23:59:59.5']);
  return `${finiteDate(prng)} ${clock(prng, fractionDigits)}`;
}

function offset(prng: Prng): string {
  return `${prng.chance(0.5) ? '+' : '-'}${pad(prng.int(15))}:${prng.pick(['00', '30', '45'])}`;
}

export function timestamptzValue(prng: Prng): string {
  if (prng.chance(0.06)) return prng.pick(['infinity', '-infinity']);
  return `${pad(prng.range(1900, 2200), 4)}-${pad(prng.range(1, 12))}-${pad(prng.range(1, 28))} ${clock(prng, 6)}${offset(prng)}`;
}

export function timetzValue(prng: Prng): string {
  return `${clock(prng, 6)}${offset(prng)}`;
}

export function intervalValue(prng: Prng): string {
  const part = (limit: number): number => (prng.chance(0.3) ? -1 : 1) * prng.int(limit);
  return `${part(30)} years ${part(12)} mons ${part(40)} days ${part(100)}:${pad(prng.int(60))}:${pad(prng.int(60))}.${pad(prng.int(1_000_000), 6)}`;
}

export function jsonValue(prng: Prng): string {
  const value = {
    id: prng.int(1_000_000),
    big: `${digits(prng, 20)}`,
    text: prng.pick(TEXTS),
    nested: { list: [1, 2.5, null, true, 'x'], empty: {}, deep: { deeper: [{ k: prng.int(10) }] } },
    escapes: 'quote " backslash \\ slash / tab \t',
  };
  // A number beyond a double in the JSON itself: jsonb keeps it exactly as numeric.
  return JSON.stringify(value).replace(/"big":"([0-9]+)"/, '"big":$1');
}

/** json (not jsonb): whitespace and key order as written; compared semantically. */
export function jsonTextValue(prng: Prng): string {
  return `{ "z" : ${prng.int(100)},\n  "a": [ 1 , 2 ],  "u": "${prng.pick(['ü', '😀', 'plain'])}" }`;
}

export function uuidValue(prng: Prng): string {
  const hex = Array.from({ length: 4 }, () => prng.nextU32().toString(16).padStart(8, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function textValue(prng: Prng): string {
  return prng.pick(TEXTS);
}

export function intArray(prng: Prng): (string | null)[] {
  return Array.from({ length: prng.int(6) }, () => (prng.chance(0.15) ? null : String(prng.range(-2_147_483_648, 2_147_483_647))));
}

export function bigintArray(prng: Prng): (string | null)[] {
  return Array.from({ length: prng.int(4) }, () => (prng.chance(0.15) ? null : bigintEdge(prng)));
}

export function textArray(prng: Prng): (string | null)[] {
  return Array.from({ length: prng.int(6) }, () => (prng.chance(0.15) ? null : prng.pick(ARRAY_TEXTS)));
}

export function numericArray(prng: Prng): (string | null)[] {
  return Array.from({ length: prng.int(4) }, () => (prng.chance(0.15) ? null : `${sign(prng)}${digits(prng, prng.range(1, 8))}.${pad(prng.int(100))}`));
}

export function bytesValue(prng: Prng, length = prng.int(48)): Buffer {
  const bytes = Buffer.alloc(length);
  for (let i = 0; i < length; i++) bytes[i] = prng.chance(0.2) ? 0 : prng.int(256);
  return bytes;
}

export function bitString(prng: Prng, length: number): string {
  return Array.from({ length }, () => (prng.chance(0.5) ? '1' : '0')).join('');
}

export function moneyValue(prng: Prng): string {
  return `${sign(prng)}${digits(prng, prng.range(1, 9))}.${pad(prng.int(100))}`;
}

export function inetValue(prng: Prng): string {
  return prng.chance(0.7)
    ? `${prng.range(1, 223)}.${prng.int(256)}.${prng.int(256)}.${prng.int(256)}/${prng.range(8, 32)}`
    : `2001:db8::${prng.int(65_536).toString(16)}/${prng.range(16, 128)}`;
}

/** Hex text of `bytes` random bytes: compresses to about half, so 8 KiB stays out of line (TOAST). */
export function largeText(prng: Prng, bytes: number): string {
  let out = prng.pick(TEXTS);
  while (out.length < bytes) out += prng.nextU32().toString(16).padStart(8, '0');
  return out;
}

export function largeStrings(prng: Prng, count: number): string[] {
  return Array.from({ length: count }, () => `${prng.nextU32().toString(16)}${prng.nextU32().toString(16)}${prng.nextU32().toString(16)}`);
}
