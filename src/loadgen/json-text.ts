/**
 * JSON text written the way Kafka Connect's JsonConverter (Jackson) writes it, so the bytes we
 * produce match what a real Debezium + JsonConverter pipeline puts on the topic:
 * - strings: only `"`, `\` and control characters escaped; \b \t \n \f \r short, others
 *   `\u00XX` with UPPER-case hex (Jackson), non-ASCII written raw as UTF-8;
 * - 64-bit integers written from bigint digits, never through a JS float;
 * - doubles as Java's Double.toString ("100.0", "1.0E7", "1.5E-4");
 * - bytes as standard base64 with padding;
 * - Connect Decimal as base64 of the unscaled value's minimal big-endian two's complement
 *   (java.math.BigInteger#toByteArray).
 */
const lowerHexEscape = /\\u00([0-9a-f]{2})/g;

export function jsonString(text: string): string {
  const quoted = JSON.stringify(text);
  if (quoted.indexOf('\\u') === -1) return quoted;
  return quoted.replace(lowerHexEscape, (_match, hex: string) => `\\u00${hex.toUpperCase()}`);
}

/** Java's Double.toString for finite values (Jackson writes doubles with it). */
export function javaDouble(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`JsonConverter writes non-finite doubles as strings; not generated: ${value}`);
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-3 && magnitude < 1e7) {
    const text = String(value);
    return text.includes('.') ? text : `${text}.0`;
  }
  const [mantissa = '', exponent = ''] = value.toExponential().split('e');
  const javaMantissa = mantissa.includes('.') ? mantissa : `${mantissa}.0`;
  const exponentDigits = exponent.startsWith('+') ? exponent.slice(1) : exponent;
  return `${javaMantissa}E${exponentDigits}`;
}

export function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** java.math.BigInteger#toByteArray: minimal big-endian two's complement, at least one byte. */
export function twosComplementBytes(value: bigint): Uint8Array {
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const low = Number(rest & 0xffn);
    bytes.push(low);
    rest >>= 8n;
    const signBitSet = (low & 0x80) !== 0;
    if ((rest === 0n && !signBitSet) || (rest === -1n && signBitSet)) break;
  }
  return Uint8Array.from(bytes.reverse());
}

/** Unscaled integer of a canonical decimal text at the given scale ("12.5", scale 2 → 1250n). */
export function unscaledDecimal(text: string, scale: number): bigint {
  const negative = text.startsWith('-');
  const digits = negative ? text.slice(1) : text;
  const [whole = '0', fraction = ''] = digits.split('.');
  if (fraction.length > scale) throw new RangeError(`${text} has more than ${scale} fraction digits`);
  const unscaled = BigInt(whole + fraction.padEnd(scale, '0'));
  return negative ? -unscaled : unscaled;
}

/** Decimal text with exactly `scale` fraction digits, as Debezium's BigDecimal carries it. */
export function decimalText(unscaled: bigint, scale: number): string {
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = scale === 0 ? digits : `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  return negative ? `-${text}` : text;
}
