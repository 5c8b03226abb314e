/**
 * avsc types that read Avro straight into the shape the Kafka Connect JsonConverter gives the JSON
 * decoder, so both formats share one set of column converters (src/cdc/logical-types.ts):
 *   long  → number when it is a safe integer, else JsonNumberText with the exact digits (avsc's
 *           own long type throws beyond 2^53; a JS float would round)
 *   bytes → base64 text (JsonConverter writes bytes as base64; Decimal, VariableScaleDecimal, Bits
 *           and TOAST placeholders of bytes columns are then recognised exactly as in JSON)
 *   records → objects with the field names; ["null", T] unions → the value or null; enums → text.
 */
import avro from 'avsc';
import { JsonNumberText } from '../lossless-json.ts';

const MIN_SAFE = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function longFromBuffer(buffer: Buffer): number | JsonNumberText {
  const value = buffer.readBigInt64LE(0);
  return value >= MIN_SAFE && value <= MAX_SAFE ? Number(value) : new JsonNumberText(value.toString());
}

function longToBuffer(value: number | JsonNumberText): Buffer {
  const buffer = Buffer.alloc(8);
  buffer.writeBigInt64LE(BigInt(value instanceof JsonNumberText ? value.text : value), 0);
  return buffer;
}

const exactLong = avro.types.LongType.__with({
  fromBuffer: longFromBuffer,
  toBuffer: longToBuffer,
  fromJSON: (json: unknown) => (typeof json === 'number' ? json : new JsonNumberText(String(json))),
  toJSON: (value: number | JsonNumberText) => (value instanceof JsonNumberText ? Number(value.text) : value),
  isValid: (value: unknown) => (typeof value === 'number' && Number.isInteger(value)) || value instanceof JsonNumberText,
  compare: (a: number | JsonNumberText, b: number | JsonNumberText) => {
    const x = BigInt(a instanceof JsonNumberText ? a.text : a);
    const y = BigInt(b instanceof JsonNumberText ? b.text : b);
    return x < y ? -1 : x > y ? 1 : 0;
  },
});

/** bytes ⇄ base64 text; writing also accepts a Buffer/Uint8Array. */
class Base64BytesType extends avro.types.LogicalType {
  protected override _fromValue(value: Buffer): string {
    return value.toString('base64');
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    if (typeof value === 'string') return Buffer.from(value, 'base64');
    if (value instanceof Uint8Array) return Buffer.from(value);
    return undefined;
  }
}

const base64Bytes = new Base64BytesType({ type: 'bytes', logicalType: 'sluice-base64' });

function typeHook(schema: avro.Schema): avro.Type | undefined {
  const type = typeof schema === 'string' ? schema : typeof schema === 'object' && schema !== null && 'type' in schema ? schema.type : undefined;
  if (type === 'long') return exactLong;
  if (type === 'bytes') return base64Bytes;
  return undefined;
}

/**
 * The avsc type of a writer schema, reading JsonConverter-shaped values. `references`: the schemas
 * it refers to by name, dependencies first (their named types are defined before it). Throws on an
 * invalid schema.
 */
export function jsonShapedAvroType(schema: unknown, references: readonly unknown[] = []): avro.Type {
  const registry: Record<string, avro.Type> = {};
  for (const reference of references) avro.Type.forSchema(reference as avro.Schema, { typeHook, wrapUnions: 'auto', registry });
  return avro.Type.forSchema(schema as avro.Schema, { typeHook, wrapUnions: 'auto', registry });
}
