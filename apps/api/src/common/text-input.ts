/**
 * Text that PostgreSQL cannot store or that is not Unicode at all: U+0000 (PostgreSQL's text
 * types refuse it, with an error that used to surface as a 500) and UTF-16 surrogates that are
 * not part of a pair (JSON lets `"\ud800"` through; it is no character). With the `u` flag a
 * well-formed pair is one code point outside D800-DFFF, so only lone halves match.
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what is looked for
const BAD_TEXT = /[\u0000\uD800-\uDFFF]/u;

export function isBadText(value: string): boolean {
  return BAD_TEXT.test(value);
}

/**
 * Where in a parsed JSON value (or form, or query object) the first bad string sits, as a
 * JSON-pointer-like path (`/Operations/3/value/userName`), or undefined when every key and string
 * is clean. Walked with an explicit stack, not recursion, so no nesting depth can overflow it.
 */
export function findBadText(root: unknown): string | undefined {
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (isBadText(value)) {
        return path || '/';
      }
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        stack.push({ value: value[i], path: `${path}/${i}` });
      }
    } else if (typeof value === 'object' && value !== null && !Buffer.isBuffer(value)) {
      for (const [key, member] of Object.entries(value)) {
        const memberPath = `${path}/${pointerSegment(key)}`;
        if (isBadText(key)) {
          return memberPath;
        }
        stack.push({ value: member, path: memberPath });
      }
    }
  }
  return undefined;
}

/** A key as it may appear in an error detail: escaped, cut, and with bad characters shown as code points. */
function pointerSegment(key: string): string {
  const shown = key.length > 64 ? `${key.slice(0, 64)}…` : key;
  return (
    shown
      .replace(/~/g, '~0')
      .replace(/\//g, '~1')
      // eslint-disable-next-line no-control-regex -- control characters are shown as escapes
      .replace(/[\u0000-\u001f\uD800-\uDFFF]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  );
}

/**
 * Whether a JSON text nests arrays and objects deeper than `max`, found by one pass over the
 * bytes (brackets inside strings do not count), before any parser or validator recurses into it.
 * Returns the offending depth's byte offset, or -1.
 */
export function jsonNestingBeyond(body: Buffer, max: number): number {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (inString) {
      if (byte === 0x5c) {
        i++; // the escaped byte, whatever it is, cannot end the string
      } else if (byte === 0x22) {
        inString = false;
      }
    } else if (byte === 0x22) {
      inString = true;
    } else if (byte === 0x7b || byte === 0x5b) {
      depth++;
      if (depth > max) {
        return i;
      }
    } else if (byte === 0x7d || byte === 0x5d) {
      depth--;
    }
  }
  return -1;
}
