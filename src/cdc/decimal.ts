/**
 * Exact decimal text for Kafka Connect's Decimal (unscaled value as big-endian two's-complement
 * bytes, plus a scale) and for decimals that arrive as JSON number literals
 * (JsonConverter `decimal.format=NUMERIC`). Never goes through a float.
 *
 * Canonical text: optional '-', digits, and exactly `scale` fraction digits when scale > 0
 * ('-12.50', '0.05', '123'); a negative scale appends zeros ('12300'); no exponent ever.
 */

/** Canonical text of unscaled × 10^-scale. */
export function formatScaled(unscaled: bigint | number, scale: number): string {
  const negative = unscaled < 0;
  let digits = (negative ? -unscaled : unscaled).toString();
  if (scale > 0) {
    if (digits.length <= scale) digits = digits.padStart(scale + 1, '0');
    digits = `${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
  } else if (scale < 0 && digits !== '0') {
    digits += '0'.repeat(-scale);
  }
  return negative ? `-${digits}` : digits;
}

/** The signed value of big-endian two's-complement bytes. Up to 6 bytes stays in float-exact range. */
export function twosComplementToInteger(bytes: Uint8Array): bigint | number {
  const length = bytes.length;
  if (length === 0) return 0;
  if (length <= 6) {
    let value = 0;
    for (let i = 0; i < length; i++) value = value * 256 + (bytes[i] as number);
    if ((bytes[0] as number) >= 0x80) value -= 2 ** (8 * length);
    return value;
  }
  let hex = '';
  for (let i = 0; i < length; i++) hex += (bytes[i] as number).toString(16).padStart(2, '0');
  let value = BigInt(`0x${hex}`);
  if ((bytes[0] as number) >= 0x80) value -= 1n << BigInt(8 * length);
  return value;
}

const BASE64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const SEXTET = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE64_ALPHABET.length; i++) SEXTET[BASE64_ALPHABET.charCodeAt(i)] = i;

/**
 * The signed integer of base64-encoded two's-complement bytes when they are at most 6 bytes
 * (8 base64 characters, the common case for money-like decimals), decoded without allocating;
 * undefined when the text is longer or not canonical padded base64 (the caller takes the general
 * path, which validates and reports).
 */
export function smallTwosComplementFromBase64(text: string): number | undefined {
  const length = text.length;
  if (length === 0 || length > 8 || length % 4 !== 0) return undefined;
  const padding = text.charCodeAt(length - 1) !== 0x3d ? 0 : text.charCodeAt(length - 2) === 0x3d ? 2 : 1;
  let bits = 0;
  for (let i = 0; i < length - padding; i++) {
    const code = text.charCodeAt(i);
    const sextet = code < 128 ? (SEXTET[code] as number) : -1;
    if (sextet < 0) return undefined;
    bits = bits * 64 + sextet;
  }
  // Padding: 1 '=' leaves 2 spare low bits, 2 '=' leave 4; canonical base64 has them zero.
  const spareBits = padding * 2;
  const spare = 2 ** spareBits;
  if (bits % spare !== 0) return undefined;
  const value = bits / spare;
  const byteLength = (length / 4) * 3 - padding;
  const range = 2 ** (8 * byteLength);
  return value >= range / 2 ? value - range : value;
}

const DECIMAL_LITERAL = /^(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?$/;

/**
 * Rescale a decimal literal (e.g. '12.5', '1.25E+3') to `scale` fraction digits. Returns null when
 * that would drop a non-zero digit (the literal does not fit the declared scale) or the text is
 * not a decimal literal.
 */
export function rescaleDecimalLiteral(literal: string, scale: number): string | null {
  const match = DECIMAL_LITERAL.exec(literal);
  if (match === null) return null;
  const sign = match[1] === '-' ? -1n : 1n;
  const integerPart = match[2] as string;
  const fractionPart = match[3] ?? '';
  const exponent = Number(match[4] ?? '0');
  // literal = digits × 10^(exponent − fraction length); we want unscaled = literal × 10^scale.
  let unscaled = BigInt(integerPart + fractionPart);
  const shift = exponent - fractionPart.length + scale;
  if (!Number.isSafeInteger(shift) || Math.abs(shift) > 100_000) return null;
  if (shift >= 0) {
    unscaled *= 10n ** BigInt(shift);
  } else {
    const divisor = 10n ** BigInt(-shift);
    if (unscaled % divisor !== 0n) return null;
    unscaled /= divisor;
  }
  return formatScaled(sign * unscaled, scale);
}
