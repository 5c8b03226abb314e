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

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

export function base64(bytes: Uint8Array): string {
  if (bytes.length > 48) return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  // Short values (decimals, small bytea) are cheaper to encode here than through a Buffer.
  let text = '';
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const triple = ((bytes[index] as number) << 16) | ((bytes[index + 1] as number) << 8) | (bytes[index + 2] as number);
    text += BASE64_ALPHABET[triple >>> 18]! + BASE64_ALPHABET[(triple >>> 12) & 63]! + BASE64_ALPHABET[(triple >>> 6) & 63]! + BASE64_ALPHABET[triple & 63]!;
  }
  const rest = bytes.length - index;
  if (rest === 1) {
    const single = bytes[index] as number;
    text += `${BASE64_ALPHABET[single >>> 2]!}${BASE64_ALPHABET[(single & 3) << 4]!}==`;
  } else if (rest === 2) {
    const pair = ((bytes[index] as number) << 8) | (bytes[index + 1] as number);
    text += `${BASE64_ALPHABET[pair >>> 10]!}${BASE64_ALPHABET[(pair >>> 4) & 63]!}${BASE64_ALPHABET[(pair & 15) << 2]!}=`;
  }
  return text;
}

/** java.math.BigInteger#toByteArray: minimal big-endian two's complement, at least one byte. */
export function twosComplementBytes(value: bigint | number): Uint8Array {
  if (typeof value === 'number') return twosComplementSafeInteger(value);
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

/** twosComplementBytes for a safe integer, without BigInt (the common case, and much faster). */
function twosComplementSafeInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
  const bytes: number[] = [];
  let rest = value;
  for (;;) {
    const low = ((rest % 256) + 256) % 256;
    bytes.push(low);
    rest = (rest - low) / 256;
    const signBitSet = low >= 0x80;
    if ((rest === 0 && !signBitSet) || (rest === -1 && signBitSet)) break;
  }
  return Uint8Array.from(bytes.reverse());
}

/** Base64 of the Connect Decimal bytes of a decimal text at a fixed scale. */
export function decimalBase64(text: string, scale: number): string {
  const negative = text.charCodeAt(0) === 45;
  const digits = negative ? text.slice(1) : text;
  const point = digits.indexOf('.');
  const whole = point === -1 ? digits : digits.slice(0, point);
  const fraction = point === -1 ? '' : digits.slice(point + 1);
  if (fraction.length > scale) throw new RangeError(`${text} has more than ${scale} fraction digits`);
  const unscaledDigits = whole + fraction.padEnd(scale, '0');
  if (unscaledDigits.length <= 15) {
    const unscaled = Number(unscaledDigits);
    return base64(twosComplementSafeInteger(negative ? -unscaled : unscaled));
  }
  return base64(twosComplementBytes(negative ? -BigInt(unscaledDigits) : BigInt(unscaledDigits)));
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
