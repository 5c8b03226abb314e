/**
 * The naming rule from SLUICE_TABLE_NAMING: which destination table a source table's changes
 * go to. Writers quote whatever comes out of here; this module never sanitises names for SQL.
 */
import type { SourceTable } from '../cdc/types.ts';
import type { TargetTable } from '../writer/types.ts';

export type NamingRule = 'source' | 'table' | 'topic';

export interface TableNaming {
  readonly rule: NamingRule;
  readonly prefix: string;
}

export function targetTableFor(source: SourceTable, topic: string, naming: TableNaming): TargetTable {
  switch (naming.rule) {
    case 'source':
      return { namespace: source.schema, name: naming.prefix + source.table };
    case 'table':
      return { namespace: null, name: naming.prefix + source.table };
    case 'topic':
      return { namespace: null, name: naming.prefix + topic };
  }
}

/**
 * One string per target table, for maps. JSON keeps it unambiguous even for names that contain
 * dots ("a.b"."c" and "a"."b.c" must never share a batch).
 */
export function tableKey(table: TargetTable): string {
  return JSON.stringify([table.namespace, table.name]);
}
