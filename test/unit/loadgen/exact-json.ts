/**
 * A small JSON parser for tests that keeps integers exact: integer literals become bigint when
 * they do not fit a double exactly, other numbers stay numbers. Independent of the code under
 * test, so the tests read the generator's bytes the way a careful consumer would.
 */
export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json };

export function parseExactJson(text: string): Json {
  let position = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at ${position}: ${text.slice(position, position + 30)}`);
  };
  const skipSpace = (): void => {
    while (position < text.length && ' \t\n\r'.includes(text[position]!)) position++;
  };
  const value = (): Json => {
    skipSpace();
    const char = text[position];
    if (char === '{') {
      position++;
      const object: { [key: string]: Json } = {};
      skipSpace();
      if (text[position] === '}') {
        position++;
        return object;
      }
      for (;;) {
        skipSpace();
        const key = string();
        skipSpace();
        if (text[position++] !== ':') fail('expected :');
        object[key] = value();
        skipSpace();
        const next = text[position++];
        if (next === '}') return object;
        if (next !== ',') fail('expected , or }');
      }
    }
    if (char === '[') {
      position++;
      const array: Json[] = [];
      skipSpace();
      if (text[position] === ']') {
        position++;
        return array;
      }
      for (;;) {
        array.push(value());
        skipSpace();
        const next = text[position++];
        if (next === ']') return array;
        if (next !== ',') fail('expected , or ]');
      }
    }
    if (char === '"') return string();
    if (text.startsWith('true', position)) {
      position += 4;
      return true;
    }
    if (text.startsWith('false', position)) {
      position += 5;
      return false;
    }
    if (text.startsWith('null', position)) {
      position += 4;
      return null;
    }
    const match = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(position, position + 400));
    if (!match) return fail('unexpected token');
    position += match[0].length;
    if (match[1] === undefined && match[2] === undefined) {
      const exact = BigInt(match[0]);
      return Number.isSafeInteger(Number(exact)) ? Number(exact) : exact;
    }
    return Number(match[0]);
  };
  const string = (): string => {
    if (text[position] !== '"') fail('expected string');
    let end = position + 1;
    while (text[end] !== '"') {
      if (end >= text.length) fail('unterminated string');
      end += text[end] === '\\' ? 2 : 1;
    }
    const raw = text.slice(position, end + 1);
    position = end + 1;
    return JSON.parse(raw) as string;
  };
  const result = value();
  skipSpace();
  if (position !== text.length) fail('trailing characters');
  return result;
}

/** The value as a bigint whether the parser kept it as number or bigint. */
export function asBigInt(value: Json | undefined): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new TypeError(`not an integer: ${String(value)}`);
}

export function asObject(value: Json | undefined): { [key: string]: Json } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError('not an object');
  return value as { [key: string]: Json };
}
