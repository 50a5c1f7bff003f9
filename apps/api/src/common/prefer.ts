/** RFC 7240 `Prefer: return=minimal|representation`, or undefined when the client expressed none. */
export function preferredReturn(header: string | string[] | undefined): 'minimal' | 'representation' | undefined {
  const text = Array.isArray(header) ? header.join(',') : (header ?? '');
  const match = /(?:^|[,;\s])return\s*=\s*"?(minimal|representation)"?/i.exec(text);
  return match ? (match[1].toLowerCase() as 'minimal' | 'representation') : undefined;
}
