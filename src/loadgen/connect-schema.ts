/**
 * Kafka Connect schemas as JsonConverter renders them with `schemas.enable=true`. The key order
 * inside each schema object is JsonConverter#asJsonSchema's: type, fields | items, optional,
 * name, version, doc, parameters, default — then `field` (the struct field name) last.
 */
import { jsonString } from './json-text.ts';

export type ConnectType = 'boolean' | 'int8' | 'int16' | 'int32' | 'int64' | 'float' | 'double' | 'bytes' | 'string' | 'struct' | 'array';

export interface ConnectSchema {
  readonly type: ConnectType;
  readonly optional: boolean;
  readonly name?: string;
  readonly version?: number;
  /** In insertion order, as Connect's SchemaBuilder keeps them. */
  readonly parameters?: readonly (readonly [string, string])[];
  /** JSON text of the default value. */
  readonly defaultJson?: string;
  readonly fields?: readonly ConnectField[];
  readonly items?: ConnectSchema;
}

export interface ConnectField {
  readonly name: string;
  readonly schema: ConnectSchema;
}

export function renderSchema(schema: ConnectSchema, fieldName?: string): string {
  let text = `{"type":"${schema.type}"`;
  if (schema.fields) text += `,"fields":[${schema.fields.map((field) => renderSchema(field.schema, field.name)).join(',')}]`;
  if (schema.items) text += `,"items":${renderSchema(schema.items)}`;
  text += `,"optional":${schema.optional}`;
  if (schema.name !== undefined) text += `,"name":${jsonString(schema.name)}`;
  if (schema.version !== undefined) text += `,"version":${schema.version}`;
  if (schema.parameters) {
    text += `,"parameters":{${schema.parameters.map(([key, value]) => `${jsonString(key)}:${jsonString(value)}`).join(',')}}`;
  }
  if (schema.defaultJson !== undefined) text += `,"default":${schema.defaultJson}`;
  if (fieldName !== undefined) text += `,"field":${jsonString(fieldName)}`;
  return `${text}}`;
}

export const primitive = (type: ConnectType, optional: boolean): ConnectSchema => ({ type, optional });

/** io.debezium.connector.postgresql.Source (Debezium 3.6.1.Final, PostgresSourceInfoStructMaker). */
export const POSTGRES_SOURCE_SCHEMA: ConnectSchema = {
  type: 'struct',
  optional: false,
  name: 'io.debezium.connector.postgresql.Source',
  version: 1,
  fields: [
    { name: 'version', schema: primitive('string', false) },
    { name: 'connector', schema: primitive('string', false) },
    { name: 'name', schema: primitive('string', false) },
    { name: 'ts_ms', schema: primitive('int64', false) },
    {
      name: 'snapshot',
      schema: {
        type: 'string',
        optional: true,
        name: 'io.debezium.data.Enum',
        version: 1,
        parameters: [['allowed', 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental']],
        defaultJson: '"false"',
      },
    },
    { name: 'db', schema: primitive('string', false) },
    { name: 'sequence', schema: primitive('string', true) },
    { name: 'ts_us', schema: primitive('int64', true) },
    { name: 'ts_ns', schema: primitive('int64', true) },
    { name: 'schema', schema: primitive('string', false) },
    { name: 'table', schema: primitive('string', false) },
    { name: 'txId', schema: primitive('int64', true) },
    { name: 'lsn', schema: primitive('int64', true) },
    { name: 'xmin', schema: primitive('int64', true) },
    { name: 'origin', schema: primitive('string', true) },
    { name: 'origin_lsn', schema: primitive('int64', true) },
  ],
};

/** The `transaction` block (SchemaFactory#transactionBlockSchema); null unless transaction metadata is on. */
export const TRANSACTION_BLOCK_SCHEMA: ConnectSchema = {
  type: 'struct',
  optional: true,
  name: 'event.block',
  version: 1,
  fields: [
    { name: 'id', schema: primitive('string', false) },
    { name: 'total_order', schema: primitive('int64', false) },
    { name: 'data_collection_order', schema: primitive('int64', false) },
  ],
};

/**
 * The change-event envelope (Envelope.SCHEMA_VERSION 2): before, after, source, transaction,
 * op, ts_ms, ts_us, ts_ns, in the order TableSchemaBuilder and SchemaFactory add them.
 */
export function envelopeSchema(envelopeName: string, valueSchema: ConnectSchema): ConnectSchema {
  return {
    type: 'struct',
    optional: false,
    name: envelopeName,
    version: 2,
    fields: [
      { name: 'before', schema: valueSchema },
      { name: 'after', schema: valueSchema },
      { name: 'source', schema: POSTGRES_SOURCE_SCHEMA },
      { name: 'transaction', schema: TRANSACTION_BLOCK_SCHEMA },
      { name: 'op', schema: primitive('string', false) },
      { name: 'ts_ms', schema: primitive('int64', true) },
      { name: 'ts_us', schema: primitive('int64', true) },
      { name: 'ts_ns', schema: primitive('int64', true) },
    ],
  };
}
