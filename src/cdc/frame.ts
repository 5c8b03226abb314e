/**
 * Locates the schema part of a JsonConverter record without parsing it.
 *
 * With `schemas.enable=true` the JsonConverter writes `{"schema":<schema>,"payload":<payload>}`,
 * compact, in that order. For one table version the bytes up to and including `"payload":` are
 * identical in every record, so the decoder keeps them (the frame prefix) and recognises the next
 * record with one memcmp; then only the payload is parsed. The prefix ends with a complete JSON
 * value followed by `,"payload":`, so equal prefix bytes imply an equal schema.
 *
 * The scan works on bytes: every JSON structural character is ASCII and never occurs inside a
 * UTF-8 multi-byte sequence.
 */

const SCHEMA_HEAD = Buffer.from('{"schema":', 'latin1');
const PAYLOAD_KEY = Buffer.from(',"payload":', 'latin1');

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export interface SchemaFrame {
  /** Byte range of the schema value. */
  readonly schemaStart: number;
  readonly schemaEnd: number;
  /** First byte of the payload value; bytes before it are the frame prefix. */
  readonly payloadStart: number;
}

/** The frame of a compact `{"schema":…,"payload":…}` record, or null for any other layout. */
export function scanSchemaFrame(bytes: Buffer): SchemaFrame | null {
  if (bytes.length < SCHEMA_HEAD.length || bytes.compare(SCHEMA_HEAD, 0, SCHEMA_HEAD.length, 0, SCHEMA_HEAD.length) !== 0) {
    return null;
  }
  const schemaStart = SCHEMA_HEAD.length;
  const schemaEnd = skipValue(bytes, schemaStart);
  if (schemaEnd < 0) return null;
  const payloadStart = schemaEnd + PAYLOAD_KEY.length;
  if (payloadStart > bytes.length || bytes.compare(PAYLOAD_KEY, 0, PAYLOAD_KEY.length, schemaEnd, payloadStart) !== 0) {
    return null;
  }
  return { schemaStart, schemaEnd, payloadStart };
}

/** Index just past the string starting at `start` (a quote), or -1 if unterminated. */
function skipString(bytes: Buffer, start: number): number {
  let from = start + 1;
  for (;;) {
    const quote = bytes.indexOf(QUOTE, from);
    if (quote < 0) return -1;
    let backslashes = 0;
    for (let i = quote - 1; i > start && bytes[i] === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/**
 * Index just past the JSON value starting at `start`, or -1. Checks structure only as far as
 * needed to find the end (brackets balance, strings terminate); the caller parses the text.
 */
function skipValue(bytes: Buffer, start: number): number {
  const first = bytes[start];
  if (first === QUOTE) return skipString(bytes, start);
  if (first !== 0x7b && first !== 0x5b) {
    // A scalar (null, true, false, a number): it ends at the next delimiter.
    let i = start;
    while (i < bytes.length) {
      const c = bytes[i];
      if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) break;
      i++;
    }
    return i === start ? -1 : i;
  }
  let depth = 0;
  let i = start;
  while (i < bytes.length) {
    const c = bytes[i];
    if (c === QUOTE) {
      i = skipString(bytes, i);
      if (i < 0) return -1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      depth++;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return -1;
}

/** Index of the last non-whitespace byte, or -1. */
export function lastNonWhitespace(bytes: Buffer): number {
  let i = bytes.length - 1;
  while (i >= 0) {
    const c = bytes[i];
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return i;
    i--;
  }
  return -1;
}
