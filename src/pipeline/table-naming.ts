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

/**
 * The last answer of targetTableFor. It is called for every record, and a fetched batch is one
 * partition of one topic, mostly one table: the decoder hands out the same SourceTable object
 * for consecutive records of a table, so returning the same TargetTable object saves an
 * allocation per record and lets tableKey's cache hit.
 */
let lastTarget: { readonly source: SourceTable; readonly topic: string; readonly naming: TableNaming; readonly target: TargetTable } | null = null;

export function targetTableFor(source: SourceTable, topic: string, naming: TableNaming): TargetTable {
  const last = lastTarget;
  if (last !== null && last.source === source && last.topic === topic && last.naming === naming) return last.target;
  const target = Object.freeze(namedTarget(source, topic, naming));
  lastTarget = { source, topic, naming, target };
  return target;
}

function namedTarget(source: SourceTable, topic: string, naming: TableNaming): TargetTable {
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
 * Keys by TargetTable object: the pipeline asks for one per record with the object
 * targetTableFor handed out. TargetTable is readonly, so an object's key never changes.
 */
const tableKeys = new WeakMap<TargetTable, string>();

/**
 * One string per target table, for maps. JSON keeps it unambiguous even for names that contain
 * dots ("a.b"."c" and "a"."b.c" must never share a batch).
 */
export function tableKey(table: TargetTable): string {
  let key = tableKeys.get(table);
  if (key === undefined) {
    key = JSON.stringify([table.namespace, table.name]);
    tableKeys.set(table, key);
  }
  return key;
}

