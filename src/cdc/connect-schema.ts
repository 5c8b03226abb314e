/**
 * The Kafka Connect schema as the JsonConverter writes it (`schemas.enable=true`), validated into a
 * typed tree. Reference: org.apache.kafka.connect.json.JsonConverter#asConnectSchema — the keys are
 * type, optional, name, version, doc, parameters, default, fields (struct, each with `field`),
 * items (array), keys and values (map).
 */
import { DecodeError } from '../errors.ts';

export type ConnectType =
  | 'int8'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'boolean'
  | 'string'
  | 'bytes'
  | 'array'
  | 'map'
  | 'struct';

export interface ConnectSchema {
  readonly type: ConnectType;
  readonly optional: boolean;
  readonly name: string | null;
  readonly parameters: Readonly<Record<string, string>>;
  /** struct only, in declaration order; `field` is the field's name. */
  readonly fields: readonly ConnectField[];
  /** array only. */
  readonly items: ConnectSchema | null;
  /** map only. */
  readonly keys: ConnectSchema | null;
  readonly values: ConnectSchema | null;
}

export interface ConnectField {
  readonly field: string;
  readonly schema: ConnectSchema;
}

/** The JsonConverter writes FLOAT32 as "float" and FLOAT64 as "double" (JsonSchema type names). */
const TYPE_ALIASES: Readonly<Record<string, ConnectType>> = { float: 'float32', double: 'float64' };

const CONNECT_TYPES = new Set<string>([
  'int8',
  'int16',
  'int32',
  'int64',
  'float32',
  'float64',
  'boolean',
  'string',
  'bytes',
  'array',
  'map',
  'struct',
]);

const NO_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({});

function invalid(path: string, reason: string): never {
  throw new DecodeError('cdc.invalid_schema', `invalid Kafka Connect schema at ${path}: ${reason}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Validates a parsed schema object; throws DecodeError('cdc.invalid_schema') naming the path. */
export function parseConnectSchema(json: unknown, path = 'schema'): ConnectSchema {
  if (!isRecord(json)) invalid(path, 'expected an object');
  const rawType = json['type'];
  const type = typeof rawType === 'string' ? (TYPE_ALIASES[rawType] ?? rawType) : rawType;
  if (typeof type !== 'string' || !CONNECT_TYPES.has(type)) invalid(path, `unknown type ${JSON.stringify(rawType)}`);
  const optional = json['optional'];
  if (optional !== undefined && typeof optional !== 'boolean') invalid(path, '"optional" must be a boolean');
  const name = json['name'];
  if (name !== undefined && name !== null && typeof name !== 'string') invalid(path, '"name" must be a string');

  let parameters = NO_PARAMETERS;
  const rawParameters = json['parameters'];
  if (rawParameters !== undefined && rawParameters !== null) {
    if (!isRecord(rawParameters)) invalid(path, '"parameters" must be an object');
    const copy: Record<string, string> = {};
    for (const [key, value] of Object.entries(rawParameters)) {
      if (typeof value !== 'string') invalid(path, `parameter ${JSON.stringify(key)} must be a string`);
      copy[key] = value;
    }
    parameters = copy;
  }

  let fields: ConnectField[] = [];
  let items: ConnectSchema | null = null;
  let keys: ConnectSchema | null = null;
  let values: ConnectSchema | null = null;
  if (type === 'struct') {
    const rawFields = json['fields'];
    if (!Array.isArray(rawFields)) invalid(path, 'a struct needs a "fields" array');
    const seen = new Set<string>();
    fields = rawFields.map((rawField, index) => {
      if (!isRecord(rawField)) invalid(`${path}.fields[${index}]`, 'expected an object');
      const fieldName = rawField['field'];
      if (typeof fieldName !== 'string') invalid(`${path}.fields[${index}]`, 'missing "field" name');
      if (seen.has(fieldName)) invalid(`${path}.fields[${index}]`, `duplicate field ${JSON.stringify(fieldName)}`);
      seen.add(fieldName);
      return { field: fieldName, schema: parseConnectSchema(rawField, `${path}.${fieldName}`) };
    });
  } else if (type === 'array') {
    items = parseConnectSchema(json['items'], `${path}.items`);
  } else if (type === 'map') {
    keys = parseConnectSchema(json['keys'], `${path}.keys`);
    values = parseConnectSchema(json['values'], `${path}.values`);
  }

  return {
    type: type as ConnectType,
    optional: optional === true,
    name: typeof name === 'string' ? name : null,
    parameters,
    fields,
    items,
    keys,
    values,
  };
}

export function findField(schema: ConnectSchema, name: string): ConnectField | undefined {
  return schema.fields.find((field) => field.field === name);
}
