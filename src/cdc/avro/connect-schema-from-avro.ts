/**
 * An Avro schema as Kafka Connect's AvroConverter writes it → the Kafka Connect schema the JSON
 * decoder compiles (connect-schema.ts), so Avro and JSON events go through the same per-column
 * converters and give the same LogicalTypes, values and TableSchema fingerprints.
 *
 * Mirrors io.confluent.connect.avro.AvroData#toConnectSchema (Apicurio's converter uses a fork of
 * it that writes the same properties):
 *   record            → struct named by `connect.name`, else the record's full name
 *   ["null", T]       → T, optional (either order)
 *   int               → int32, or int8/int16 per `connect.type`
 *   long / float / double / boolean / string / bytes → int64 / float32 / float64 / boolean / string / bytes
 *   array / map       → array / map (string keys)
 *   enum              → string
 *   `connect.name`, `connect.parameters` → the Connect schema name and parameters (Debezium's
 *                       io.debezium.time.*, Decimal with its scale, Json, Uuid, Bits, …)
 * Avro logical types without Connect properties (schemas from other producers) map to the nearest
 * Connect/Debezium name: decimal → Decimal (scale, precision), date → Date, time-millis → Time,
 * time-micros → MicroTime, timestamp-millis → Timestamp, timestamp-micros → MicroTimestamp,
 * uuid → Uuid. Schema defaults are not applied (as in the JSON decoder).
 *
 * Not supported (DecodeError 'avro.unsupported_schema'): fixed, unions other than null + one type,
 * recursive records — none of which Debezium writes.
 */
import { DecodeError } from '../../errors.ts';
import type { ConnectField, ConnectSchema, ConnectType } from '../connect-schema.ts';

const CONNECT_NAME = 'connect.name';
const CONNECT_PARAMETERS = 'connect.parameters';
const CONNECT_TYPE = 'connect.type';

const PRIMITIVES: ReadonlyMap<string, ConnectType> = new Map([
  ['int', 'int32'],
  ['long', 'int64'],
  ['float', 'float32'],
  ['double', 'float64'],
  ['boolean', 'boolean'],
  ['string', 'string'],
  ['bytes', 'bytes'],
]);

const LOGICAL_NAMES: ReadonlyMap<string, string> = new Map([
  ['date', 'org.apache.kafka.connect.data.Date'],
  ['time-millis', 'org.apache.kafka.connect.data.Time'],
  ['time-micros', 'io.debezium.time.MicroTime'],
  ['timestamp-millis', 'org.apache.kafka.connect.data.Timestamp'],
  ['timestamp-micros', 'io.debezium.time.MicroTimestamp'],
  ['local-timestamp-millis', 'org.apache.kafka.connect.data.Timestamp'],
  ['local-timestamp-micros', 'io.debezium.time.MicroTimestamp'],
  ['uuid', 'io.debezium.data.Uuid'],
]);

function unsupported(path: string, reason: string): never {
  throw new DecodeError('avro.unsupported_schema', `Avro schema at ${path}: ${reason}`);
}

function isObject(value: unknown): value is { readonly [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fullName(name: string, namespace: string | undefined): string {
  if (name.includes('.') || namespace === undefined || namespace === '') return name;
  return `${namespace}.${name}`;
}

function parametersOf(json: { readonly [key: string]: unknown }, path: string): Readonly<Record<string, string>> {
  const raw = json[CONNECT_PARAMETERS];
  if (raw === undefined || raw === null) return {};
  if (!isObject(raw)) unsupported(path, `"${CONNECT_PARAMETERS}" must be an object`);
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value !== 'string') unsupported(path, `connect parameter ${JSON.stringify(key)} must be a string`);
    out[key] = value;
  }
  return out;
}

function leaf(type: ConnectType, name: string | null, parameters: Readonly<Record<string, string>>): ConnectSchema {
  return { type, optional: false, name, parameters, fields: [], items: null, keys: null, values: null };
}

class Converter {
  /** Named types already seen, by full name: Avro refers to a record's second use by name. */
  private readonly named = new Map<string, ConnectSchema>();
  private readonly inProgress = new Set<string>();

  convert(json: unknown, namespace: string | undefined, path: string): ConnectSchema {
    if (typeof json === 'string') return this.reference(json, namespace, path);
    if (Array.isArray(json)) return this.union(json, namespace, path);
    if (!isObject(json)) return unsupported(path, `expected a schema, got ${JSON.stringify(json)}`);
    const type = json['type'];
    if (typeof type !== 'string') {
      // {"type": {...}} and {"type": [...]} wrap a full schema.
      if (isObject(type) || Array.isArray(type)) return this.convert(type, namespace, path);
      return unsupported(path, 'missing "type"');
    }
    switch (type) {
      case 'record':
        return this.record(json, namespace, path);
      case 'array':
        return { ...leaf('array', this.connectName(json), parametersOf(json, path)), items: this.convert(json['items'], namespace, `${path}.items`) };
      case 'map':
        return {
          ...leaf('map', this.connectName(json), parametersOf(json, path)),
          keys: leaf('string', null, {}),
          values: this.convert(json['values'], namespace, `${path}.values`),
        };
      case 'enum': {
        const schema = leaf('string', this.connectName(json), parametersOf(json, path));
        if (typeof json['name'] === 'string') this.named.set(fullName(json['name'], this.namespaceOf(json, namespace)), schema);
        return schema;
      }
      case 'fixed':
        return unsupported(path, 'fixed is not supported');
      default:
        return this.primitive(type, json, namespace, path);
    }
  }

  private connectName(json: { readonly [key: string]: unknown }): string | null {
    const name = json[CONNECT_NAME];
    return typeof name === 'string' ? name : null;
  }

  private namespaceOf(json: { readonly [key: string]: unknown }, enclosing: string | undefined): string | undefined {
    const name = json['name'];
    if (typeof name === 'string' && name.includes('.')) return name.slice(0, name.lastIndexOf('.'));
    const namespace = json['namespace'];
    return typeof namespace === 'string' ? namespace : enclosing;
  }

  private primitive(type: string, json: { readonly [key: string]: unknown } | null, namespace: string | undefined, path: string): ConnectSchema {
    let connectType = PRIMITIVES.get(type);
    if (connectType === undefined) return this.reference(type, namespace, path);
    const parameters = json === null ? {} : parametersOf(json, path);
    let name = json === null ? null : this.connectName(json);
    if (json !== null) {
      const narrowed = json[CONNECT_TYPE];
      if (type === 'int' && (narrowed === 'int8' || narrowed === 'int16')) connectType = narrowed;
      const logical = json['logicalType'];
      if (name === null && typeof logical === 'string') {
        if (logical === 'decimal' && type === 'bytes') {
          const scale = json['scale'];
          const precision = json['precision'];
          const decimalParameters: Record<string, string> = { ...parameters, scale: String(typeof scale === 'number' ? scale : 0) };
          if (typeof precision === 'number') decimalParameters['connect.decimal.precision'] = String(precision);
          return leaf('bytes', 'org.apache.kafka.connect.data.Decimal', decimalParameters);
        }
        name = LOGICAL_NAMES.get(logical) ?? null;
      }
    }
    return leaf(connectType, name, parameters);
  }

  private reference(name: string, namespace: string | undefined, path: string): ConnectSchema {
    if (PRIMITIVES.has(name)) return this.primitive(name, null, namespace, path);
    const found = this.named.get(fullName(name, namespace)) ?? this.named.get(name);
    if (found !== undefined) return found;
    const qualified = fullName(name, namespace);
    if (this.inProgress.has(qualified) || this.inProgress.has(name)) return unsupported(path, `recursive type ${name}`);
    return unsupported(path, `unknown type ${JSON.stringify(name)}`);
  }

  private union(branches: readonly unknown[], namespace: string | undefined, path: string): ConnectSchema {
    const nonNull = branches.filter((branch) => branch !== 'null' && !(isObject(branch) && branch['type'] === 'null'));
    if (nonNull.length !== 1 || branches.length > 2) {
      return unsupported(path, `union ${JSON.stringify(branches)}: only ["null", T] unions are supported`);
    }
    const schema = this.convert(nonNull[0], namespace, path);
    return branches.length === 2 ? { ...schema, optional: true } : schema;
  }

  private record(json: { readonly [key: string]: unknown }, enclosing: string | undefined, path: string): ConnectSchema {
    const rawName = json['name'];
    if (typeof rawName !== 'string') return unsupported(path, 'a record needs a name');
    const namespace = this.namespaceOf(json, enclosing);
    const qualified = fullName(rawName, namespace);
    const rawFields = json['fields'];
    if (!Array.isArray(rawFields)) return unsupported(path, 'a record needs "fields"');
    this.inProgress.add(qualified);
    const fields: ConnectField[] = rawFields.map((rawField, index) => {
      if (!isObject(rawField) || typeof rawField['name'] !== 'string') return unsupported(`${path}.fields[${index}]`, 'a field needs a name');
      const fieldName = rawField['name'];
      return { field: fieldName, schema: this.convert(rawField['type'], namespace, `${path}.${fieldName}`) };
    });
    this.inProgress.delete(qualified);
    const schema: ConnectSchema = {
      type: 'struct',
      optional: false,
      name: this.connectName(json) ?? qualified,
      parameters: parametersOf(json, path),
      fields,
      items: null,
      keys: null,
      values: null,
    };
    this.named.set(qualified, schema);
    return schema;
  }
}

/**
 * Throws DecodeError('avro.unsupported_schema') for schemas Kafka Connect could not have written.
 * `references`: the schemas it refers to by name (registry schema references), dependencies first.
 */
export function connectSchemaFromAvro(schema: unknown, references: readonly unknown[] = []): ConnectSchema {
  const converter = new Converter();
  for (const [index, reference] of references.entries()) converter.convert(reference, undefined, `reference[${index}]`);
  return converter.convert(schema, undefined, 'schema');
}
