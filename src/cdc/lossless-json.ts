/**
 * A JSON parser that keeps the exact text of every number a JS float could not hold exactly.
 *
 * `JSON.parse` rounds integers above 2^53 and cannot tell "1.10" from "1.1". The decoder parses
 * with `JSON.parse` first (it is native and fast) and only re-parses an event with this parser
 * when a number's exact text matters and cannot be recovered from the text directly
 * (exact-integers.ts): a decimal sent as a JSON number, a struct holding a big integer, two
 * different big integers that round alike. That is rare, so this parser favours obviously-correct
 * code over speed.
 *
 * Output: objects and arrays as JSON.parse builds them; integers within ±(2^53−1) as `number`;
 * every other number (larger integers, fractions, exponents) as a JsonNumberText holding its literal.
 */

/** A JSON number literal kept as text because a float might not hold it exactly. */
export class JsonNumberText {
  constructor(readonly text: string) {}
}

export type LosslessJson =
  | null
  | boolean
  | number
  | string
  | JsonNumberText
  | LosslessJson[]
  | { [key: string]: LosslessJson };

/** Raised for text that is not JSON; the message names the position. */
export class JsonSyntaxError extends Error {
  override readonly name = 'JsonSyntaxError';
}

const MAX_DEPTH = 512;
const NUMBER_PATTERN = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const INTEGER_LITERAL = /^-?[0-9]+$/;

export function parseLosslessJson(text: string): LosslessJson {
  const parser = new Parser(text);
  parser.skipWhitespace();
  const value = parser.parseValue(0);
  parser.skipWhitespace();
  if (parser.position !== text.length) parser.fail('unexpected text after the JSON value');
  return value;
}

class Parser {
  position = 0;
  constructor(private readonly text: string) {}

  fail(reason: string): never {
    throw new JsonSyntaxError(`${reason} at position ${this.position}`);
  }

  skipWhitespace(): void {
    const text = this.text;
    let i = this.position;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    this.position = i;
  }

  parseValue(depth: number): LosslessJson {
    if (depth > MAX_DEPTH) this.fail('nesting deeper than 512 levels');
    const c = this.text.charCodeAt(this.position);
    switch (c) {
      case 0x7b /* { */:
        return this.parseObject(depth);
      case 0x5b /* [ */:
        return this.parseArray(depth);
      case 0x22 /* " */:
        return this.parseString();
      case 0x74 /* t */:
        return this.parseKeyword('true', true);
      case 0x66 /* f */:
        return this.parseKeyword('false', false);
      case 0x6e /* n */:
        return this.parseKeyword('null', null);
      default:
        return this.parseNumber();
    }
  }

  private parseKeyword<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.position)) this.fail('unexpected token');
    this.position += word.length;
    return value;
  }

  private parseNumber(): number | JsonNumberText {
    NUMBER_PATTERN.lastIndex = this.position;
    const match = NUMBER_PATTERN.exec(this.text);
    if (match === null) this.fail('unexpected token');
    const literal = match[0];
    this.position += literal.length;
    if (match[1] === undefined && match[2] === undefined) {
      const asNumber = Number(literal);
      if (Number.isSafeInteger(asNumber)) return asNumber;
    }
    return new JsonNumberText(literal);
  }

  private parseString(): string {
    const text = this.text;
    const start = this.position;
    let i = start + 1;
    let plain = true;
    for (;;) {
      if (i >= text.length) this.fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) break;
      if (c === 0x5c /* \ */) {
        plain = false;
        i += 2;
        continue;
      }
      if (c < 0x20) this.fail('control character in string');
      i++;
    }
    this.position = i + 1;
    if (plain) return text.slice(start + 1, i);
    try {
      return JSON.parse(text.slice(start, i + 1)) as string;
    } catch {
      this.position = start;
      return this.fail('invalid escape in string');
    }
  }

  private parseArray(depth: number): LosslessJson[] {
    this.position++;
    const items: LosslessJson[] = [];
    this.skipWhitespace();
    if (this.text.charCodeAt(this.position) === 0x5d /* ] */) {
      this.position++;
      return items;
    }
    for (;;) {
      this.skipWhitespace();
      items.push(this.parseValue(depth + 1));
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.position);
      this.position++;
      if (c === 0x5d) return items;
      if (c !== 0x2c /* , */) {
        this.position--;
        this.fail("expected ',' or ']'");
      }
    }
  }

  private parseObject(depth: number): { [key: string]: LosslessJson } {
    this.position++;
    const object: { [key: string]: LosslessJson } = {};
    this.skipWhitespace();
    if (this.text.charCodeAt(this.position) === 0x7d /* } */) {
      this.position++;
      return object;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text.charCodeAt(this.position) !== 0x22) this.fail('expected a property name');
      const key = this.parseString();
      this.skipWhitespace();
      if (this.text.charCodeAt(this.position) !== 0x3a /* : */) this.fail("expected ':'");
      this.position++;
      this.skipWhitespace();
      const value = this.parseValue(depth + 1);
      // Same semantics as JSON.parse: "__proto__" becomes an own property, not the prototype.
      if (key === '__proto__') {
        Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
      } else {
        object[key] = value;
      }
      this.skipWhitespace();
      const c = this.text.charCodeAt(this.position);
      this.position++;
      if (c === 0x7d) return object;
      if (c !== 0x2c) {
        this.position--;
        this.fail("expected ',' or '}'");
      }
    }
  }
}

/** True for a JsonNumberText whose literal is a plain integer (no fraction, no exponent). */
export function isIntegerLiteral(value: JsonNumberText): boolean {
  return INTEGER_LITERAL.test(value.text);
}

/**
 * JSON text of a parsed value, numbers written back exactly as they arrived. Used for structs and
 * maps that the contract represents as JSON text.
 */
export function stringifyLosslessJson(value: unknown): string {
  if (value instanceof JsonNumberText) return value.text;
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return `[${value.map((item) => stringifyLosslessJson(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const parts: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      parts.push(`${JSON.stringify(key)}:${stringifyLosslessJson(item)}`);
    }
    return `{${parts.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * True when a value produced by JSON.parse may have lost precision: it holds an integer-valued
 * number outside ±(2^53−1) somewhere inside.
 */
export function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (Array.isArray(value)) {
    for (const item of value) if (hasUnsafeInteger(item)) return true;
    return false;
  }
  if (value !== null && typeof value === 'object') {
    for (const key in value) if (hasUnsafeInteger((value as Record<string, unknown>)[key])) return true;
  }
  return false;
}
