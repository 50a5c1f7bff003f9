/** Rows as an aligned text table, for `--format table`; nested values are shown as compact JSON. */
export function renderTable(value: unknown): string {
  const rows: Record<string, unknown>[] = Array.isArray(value)
    ? (value as Record<string, unknown>[])
    : value && typeof value === 'object'
      ? Object.entries(value as Record<string, unknown>).map(([key, v]) => ({ field: key, value: v }))
      : [{ value }];
  if (rows.length === 0) {
    return '(none)';
  }
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (v: unknown): string => {
    if (v === undefined || v === null) {
      return '';
    }
    return typeof v === 'string' ? v : JSON.stringify(v);
  };
  const cells = rows.map((row) => columns.map((c) => cell(row[c]).replace(/\s+/g, ' ')));
  const widths = columns.map((c, i) => Math.min(60, Math.max(c.length, ...cells.map((r) => r[i].length))));
  const line = (values: string[]): string =>
    values
      .map((v, i) => (v.length > widths[i] ? `${v.slice(0, widths[i] - 1)}…` : v.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
