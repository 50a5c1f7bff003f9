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

/** A container on the walk's stack, with how it was reached (for the path of a bad string). */
interface Frame {
  value: object;
  parent: Frame | undefined;
  segment: string;
}

function pathOf(frame: Frame | undefined, last: string): string {
  const segments = [last];
  for (let f = frame; f?.parent !== undefined; f = f.parent) {
    segments.push(f.segment);
  }
  return segments.reverse().join('');
}

/**
 * Where in a parsed JSON value (or form, or query object) the first bad string sits, as a
 * JSON-pointer-like path (`/Operations/3/value/userName`), or undefined when every key and string
 * is clean. Walked with an explicit stack, not recursion, so no nesting depth can overflow it;
 * only containers go on the stack, and a path is spelt out only for a bad string.
 */
export function findBadText(root: unknown): string | undefined {
  if (typeof root === 'string') {
    return isBadText(root) ? '/' : undefined;
  }
  if (typeof root !== 'object' || root === null || Buffer.isBuffer(root)) {
    return undefined;
  }
  const stack: Frame[] = [{ value: root, parent: undefined, segment: '' }];
  while (stack.length > 0) {
    const frame = stack.pop()!;
    const value = frame.value;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) {
        const item: unknown = value[i];
        if (typeof item === 'string') {
          if (isBadText(item)) {
            return pathOf(frame, `/${i}`);
          }
        } else if (typeof item === 'object' && item !== null && !Buffer.isBuffer(item)) {
          stack.push({ value: item, parent: frame, segment: `/${i}` });
        }
      }
    } else {
      for (const key in value) {
        if (!Object.prototype.hasOwnProperty.call(value, key)) {
          continue;
        }
        if (isBadText(key)) {
          return pathOf(frame, `/${pointerSegment(key)}`);
        }
        const member: unknown = (value as Record<string, unknown>)[key];
        if (typeof member === 'string') {
          if (isBadText(member)) {
            return pathOf(frame, `/${pointerSegment(key)}`);
          }
        } else if (typeof member === 'object' && member !== null && !Buffer.isBuffer(member)) {
          stack.push({ value: member, parent: frame, segment: `/${pointerSegment(key)}` });
        }
      }
    }
  }
  return undefined;
}

/**
 * Whether the strings JSON.parse makes of `body` can hold bad text at all: only through a `\u`
 * escape, since UTF-8 decoding yields no lone surrogate (invalid bytes become U+FFFD) and JSON
 * refuses a raw U+0000. Most bodies have no escape, and need no walk.
 */
export function jsonMayHoldBadText(body: Buffer): boolean {
  return body.indexOf('\\u') >= 0;
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
  for (let i = 0; i < body.length; i++) {
    const byte = body[i];
    if (byte === 0x22) {
      // To the closing quote, found natively: a quote preceded by an odd run of backslashes is escaped.
      let end = body.indexOf(0x22, i + 1);
      while (end > 0) {
        let slashes = 0;
        while (body[end - 1 - slashes] === 0x5c) {
          slashes++;
        }
        if (slashes % 2 === 0) {
          break;
        }
        end = body.indexOf(0x22, end + 1);
      }
      if (end < 0) {
        return -1; // an unterminated string: not JSON, which the parser says
      }
      i = end;
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
