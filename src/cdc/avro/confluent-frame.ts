/**
 * The Confluent wire format: magic byte 0, the schema id as a 4-byte big-endian integer, then the
 * Avro binary encoding of one datum written with that schema. Anything else is a corrupt frame:
 * the record can never be decoded, so the pipeline dead-letters it with the reason.
 */
import { DecodeError } from '../../errors.ts';

export const CONFLUENT_MAGIC_BYTE = 0;
export const CONFLUENT_HEADER_BYTES = 5;

export type FrameRole = 'key' | 'value';

/**
 * The schema id of a Confluent-framed message; its Avro datum starts at CONFLUENT_HEADER_BYTES
 * (read in place, without a Buffer view per message). Throws DecodeError('avro.bad_magic_byte' |
 * 'avro.truncated_frame').
 */
export function readConfluentSchemaId(bytes: Buffer, role: FrameRole): number {
  if (bytes[0] !== CONFLUENT_MAGIC_BYTE) {
    throw new DecodeError(
      'avro.bad_magic_byte',
      `the record ${role} is not Confluent-framed Avro: first byte 0x${bytes[0]!.toString(16).padStart(2, '0')}, expected 0x00`,
    );
  }
  if (bytes.length < CONFLUENT_HEADER_BYTES) {
    throw new DecodeError('avro.truncated_frame', `the record ${role} has ${bytes.length} bytes, shorter than the 5-byte Confluent header`);
  }
  return bytes.readUInt32BE(1);
}

/** The schema id of a framed message, or null when it is not one (used to pre-fetch schemas). */
export function peekSchemaId(bytes: Buffer | null): number | null {
  if (bytes === null || bytes.length < CONFLUENT_HEADER_BYTES || bytes[0] !== CONFLUENT_MAGIC_BYTE) return null;
  return bytes.readUInt32BE(1);
}

/** Frames an Avro datum (test producers and the load generator's Avro form). */
export function writeConfluentFrame(schemaId: number, body: Uint8Array): Buffer {
  const header = Buffer.alloc(CONFLUENT_HEADER_BYTES);
  header.writeUInt8(CONFLUENT_MAGIC_BYTE, 0);
  header.writeUInt32BE(schemaId, 1);
  return Buffer.concat([header, body]);
}
