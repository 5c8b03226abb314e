/**
 * TableSchema.fingerprint: a stable identity of a table version's shape. Equal inputs give equal
 * fingerprints in every process and every run (no object identity, no insertion-order accidents
 * beyond the column order itself, which is part of the shape).
 */
import { createHash } from 'node:crypto';
import type { ColumnSchema, LogicalType } from './types.ts';

function typeSignature(type: LogicalType): unknown {
  switch (type.kind) {
    case 'decimal':
      return ['decimal', type.scale, type.precision ?? null];
    case 'string':
      return ['string', type.maxLength ?? null];
    case 'enum':
      return ['enum', type.allowed ?? null];
    case 'bits':
      return ['bits', type.length];
    case 'time':
    case 'timestamp':
      return [type.kind, type.precision];
    case 'array':
      return ['array', typeSignature(type.element)];
    default:
      return [type.kind];
  }
}

export function fingerprintTable(columns: readonly ColumnSchema[], key: readonly string[]): string {
  const signature = JSON.stringify([
    columns.map((column) => [column.name, typeSignature(column.type), column.optional, column.sourceType ?? null]),
    key,
  ]);
  return createHash('sha256').update(signature).digest('hex').slice(0, 32);
}
