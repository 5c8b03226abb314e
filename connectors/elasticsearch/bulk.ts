/**
 * The _bulk request body: one action line (and a source line for `index`) per change, grouped
 * into requests no larger than SLUICE_ES_BULK_MAX_BYTES and SLUICE_ES_BULK_MAX_ACTIONS. A single
 * action larger than the byte limit travels alone (the server then decides; 413 → poison).
 *
 * Every action carries the change's source position as an external version, so the server keeps
 * whichever write has the highest position: a replay or an out-of-order delivery can never
 * regress a document (a stale write answers 409, which counts as success).
 */
import type { RowChange } from '../../src/writer/types.ts';

export type VersionType = 'external' | 'external_gte';

export interface BulkAction {
  readonly change: RowChange;
  readonly operation: 'index' | 'delete';
  readonly id: string;
  /** The `_source` JSON text (index only). */
  readonly source?: string;
}

export interface BulkRequest {
  readonly actions: readonly BulkAction[];
  readonly body: string;
  readonly bytes: number;
}

/** Largest external version the servers accept (a Java long). */
export const MAX_EXTERNAL_VERSION = 2n ** 63n - 1n;

export function actionLines(index: string, action: BulkAction, versionType: VersionType): string {
  const metadata = `{"_index":${JSON.stringify(index)},"_id":${JSON.stringify(action.id)},"version":${action.change.version.toString()},"version_type":"${versionType}"}`;
  const line = `{"${action.operation}":${metadata}}\n`;
  return action.operation === 'index' ? `${line}${action.source ?? '{}'}\n` : line;
}

export function groupIntoRequests(index: string, actions: readonly BulkAction[], versionType: VersionType, maxBytes: number, maxActions: number): BulkRequest[] {
  const requests: BulkRequest[] = [];
  let current: BulkAction[] = [];
  let parts: string[] = [];
  let bytes = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    requests.push({ actions: current, body: parts.join(''), bytes });
    current = [];
    parts = [];
    bytes = 0;
  };
  for (const action of actions) {
    const lines = actionLines(index, action, versionType);
    const size = Buffer.byteLength(lines);
    if (current.length > 0 && (bytes + size > maxBytes || current.length >= maxActions)) flush();
    current.push(action);
    parts.push(lines);
    bytes += size;
  }
  flush();
  return requests;
}
