/**
 * Signals raised while converting payload values; the decoder turns them into its outcome.
 */

/** A value does not fit its declared schema. Becomes DecodeError('cdc.value_mismatch') naming the column. */
export class ValueMismatch extends Error {
  override readonly name = 'ValueMismatch';
}

/**
 * The value was parsed by JSON.parse and its exactness is in doubt (an integer beyond 2^53, a
 * decimal sent as a JSON number). The decoder re-parses the record losslessly and converts again;
 * with lossless input no converter raises this.
 */
export class NeedsLosslessParse extends Error {
  override readonly name = 'NeedsLosslessParse';
}

/** Shared instance: thrown on a hot path, so no stack is captured per throw. */
export const NEEDS_LOSSLESS_PARSE = new NeedsLosslessParse('exact number text needed');

export function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const type = typeof value;
  if (type === 'object') return value?.constructor?.name === 'JsonNumberText' ? 'number' : 'object';
  if (type === 'string') {
    const text = value as string;
    return `string ${JSON.stringify(text.length > 40 ? `${text.slice(0, 40)}…` : text)}`;
  }
  return `${type} ${String(value)}`;
}
