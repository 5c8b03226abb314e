/**
 * Plain-text tables for the CLI, laid out like Kafka's own tools: a header row, columns padded to
 * their widest cell and separated by two spaces. Columns of integers (and '-' for none) are
 * right-aligned so digits line up.
 */
export type Cell = string | number;

export function formatTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => String(row[column] ?? '').length)));
  const numeric = headers.map(
    (_header, column) =>
      rows.some((row) => row[column] !== '-') && rows.every((row) => typeof row[column] === 'number' || /^(-|-?\d+)$/.test(String(row[column]))),
  );
  const line = (cells: readonly Cell[]): string =>
    cells
      .map((cell, column) => {
        const text = String(cell ?? '');
        const width = widths[column] ?? text.length;
        return numeric[column] ? text.padStart(width) : text.padEnd(width);
      })
      .join('  ')
      .trimEnd();
  return [line(headers), ...rows.map(line)].join('\n');
}

/** 9,600 s → "2h 40m"; short durations keep seconds. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '∞';
  const s = Math.max(0, Math.round(seconds));
  const days = Math.floor(s / 86_400);
  const hours = Math.floor((s % 86_400) / 3_600);
  const minutes = Math.floor((s % 3_600) / 60);
  if (days > 0) return `${days}d ${hours}h`;
  if (hours > 0) return `${hours}h ${minutes}m`;
  if (minutes > 0) return `${minutes}m ${s % 60}s`;
  return `${s}s`;
}
