/**
 * io.debezium.data.Bits → '0'/'1' text, most significant bit first.
 *
 * Debezium sends the bits as java.util.BitSet#toByteArray: little-endian (bit 0, the right-most
 * character of PostgreSQL's bit string, is the lowest bit of byte 0) and trimmed of high zero
 * bytes, so b'00' arrives as zero bytes. The text is left-padded to the declared `length`
 * (BIT(n)). For unbounded VARBIT Debezium declares length 2147483647; then, and for varying
 * bit strings in general, the original count of leading zeros is not in the event and the
 * shortest text is produced (at least '0').
 */

const UNBOUNDED_LENGTH = 2_147_483_647;

export function formatBits(bytes: Uint8Array, length: number, varying: boolean): string {
  let text = '';
  for (let i = bytes.length - 1; i >= 0; i--) text += (bytes[i] as number).toString(2).padStart(8, '0');
  const firstOne = text.indexOf('1');
  text = firstOne === -1 ? '' : text.slice(firstOne);
  if (varying || length >= UNBOUNDED_LENGTH || length <= 0) return text === '' ? '0' : text;
  return text.padStart(length, '0');
}
