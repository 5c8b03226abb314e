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
