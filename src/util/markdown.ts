/** Keeps text inside one Markdown table cell: pipes escaped, line breaks folded to spaces. */
export function tableCell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ')
}

/** A parameter value (ParamChange old/new) in a table cell: "—" when absent, at most 4 decimals. */
export function paramCell(v: string | number | null): string {
  if (v === null) return '—'
  return typeof v === 'number' ? String(Number(v.toFixed(4))) : tableCell(v)
}
