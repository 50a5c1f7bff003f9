import { ScimError } from '../errors';
import type { Filter, PathExpression } from './ast';
import {
  type ExpectedError,
  INVALID_ATTRIBUTE_LISTS,
  INVALID_FILTERS,
  INVALID_PATHS,
  VALID_ATTRIBUTE_LISTS,
  VALID_FILTERS,
  VALID_PATHS,
  type ValidFilterCase,
} from './filter-corpus';
import { DEFAULT_FILTER_LIMITS, parseAttributeList, parseFilter, parsePath } from './parser';

/** Test titles stay readable for the 4096-character limit cases. */
function title(input: string): string {
  const shown = JSON.stringify(input);
  return shown.length > 100 ? `${shown.slice(0, 97)}…" (${input.length} chars)` : shown;
}

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error: unknown) {
    return error;
  }
  return undefined;
}

function expectScimError(error: unknown, expected: ExpectedError): void {
  expect(error).toBeInstanceOf(ScimError);
  const scimError = error as ScimError;
  expect({ status: scimError.status, scimType: scimError.scimType }).toEqual({
    status: 400,
    scimType: expected.scimType,
  });
  expect(scimError.detail).toContain(expected.detail);
}

describe('parseFilter', () => {
  it('has a corpus of at least 160 distinct filters', () => {
    // The same filter may appear twice under different limits.
    const all = [...VALID_FILTERS, ...INVALID_FILTERS].map(
      (entry) => `${entry.filter} ${JSON.stringify(entry.limits)}`,
    );
    expect(all.length).toBeGreaterThanOrEqual(160);
    expect(new Set(all).size).toBe(all.length);
  });

  it('exposes the documented default limits', () => {
    expect(DEFAULT_FILTER_LIMITS).toEqual({ maxLength: 4096, maxDepth: 16, maxTerms: 64 });
  });

  describe('valid filters', () => {
    it.each(VALID_FILTERS.map((entry) => [title(entry.filter), entry] as const))('%s', (_, entry) => {
      // toStrictEqual: no `uri: undefined` keys may leak into the AST, as it is serialised and compared.
      expect(parseFilter(entry.filter, entry.limits)).toStrictEqual(entry.ast);
    });
  });

  describe('invalid filters', () => {
    it.each(INVALID_FILTERS.map((entry) => [title(entry.filter), entry] as const))('%s', (_, entry) => {
      expectScimError(
        thrown(() => parseFilter(entry.filter, entry.limits)),
        entry.error,
      );
    });
  });

  const padded = VALID_FILTERS.filter((entry) => entry.limits === undefined && entry.filter.length < 4000);

  it.each(padded.map((entry) => [title(entry.filter), entry] as const))(
    'ignores surrounding whitespace: %s',
    (_, entry: ValidFilterCase) => {
      expect(parseFilter(` \t${entry.filter}\t `)).toStrictEqual(entry.ast);
    },
  );

  it.each([
    ['a number', 42],
    ['undefined', undefined],
    ['an array (a repeated query parameter)', ['a pr', 'b pr']],
  ])('rejects %s instead of a string', (_, input) => {
    expectScimError(
      thrown(() => parseFilter(input as unknown as string)),
      { scimType: 'invalidFilter', detail: 'The filter must be a string' },
    );
  });

  it('reports the first unknown operator, not a later problem', () => {
    expectScimError(
      thrown(() => parseFilter('a xx 1 and (')),
      { scimType: 'invalidFilter', detail: 'Unknown operator "xx" at position 2' },
    );
  });

  it('turns stack exhaustion from absurdly raised limits into a 400, not a RangeError', () => {
    const depth = 200_000;
    const input = `${'('.repeat(depth)}a pr${')'.repeat(depth)}`;
    expectScimError(
      thrown(() => parseFilter(input, { maxLength: Infinity, maxDepth: Infinity })),
      { scimType: 'invalidFilter', detail: 'nested too deeply to parse' },
    );
  });

  it('treats an explicitly undefined limit as the default', () => {
    expectScimError(
      thrown(() => parseFilter(`${'('.repeat(17)}a pr${')'.repeat(17)}`, { maxDepth: undefined })),
      { scimType: 'invalidFilter', detail: 'maximum nesting depth of 16' },
    );
  });
});

describe('parsePath', () => {
  it.each(VALID_PATHS.map((entry) => [title(entry.path), entry] as const))('%s', (_, entry) => {
    expect(parsePath(entry.path)).toStrictEqual(entry.expected);
  });

  it.each(INVALID_PATHS.map((entry) => [title(entry.path), entry] as const))('rejects %s', (_, entry) => {
    expectScimError(
      thrown(() => parsePath(entry.path)),
      entry.error,
    );
  });

  it('applies the filter limits to the value filter inside a path', () => {
    const input = `emails[${'('.repeat(16)}type eq "work"${')'.repeat(16)}]`;
    expectScimError(
      thrown(() => parsePath(input)),
      { scimType: 'invalidPath', detail: 'maximum nesting depth of 16' },
    );
  });
});

describe('parseAttributeList', () => {
  it('has at least 30 path and attribute-list cases together', () => {
    const count = VALID_PATHS.length + INVALID_PATHS.length + VALID_ATTRIBUTE_LISTS.length;
    expect(count + INVALID_ATTRIBUTE_LISTS.length).toBeGreaterThanOrEqual(30);
  });

  it.each(VALID_ATTRIBUTE_LISTS.map((entry) => [title(entry.attributes), entry] as const))('%s', (_, entry) => {
    expect(parseAttributeList(entry.attributes)).toStrictEqual(entry.expected);
  });

  it.each(INVALID_ATTRIBUTE_LISTS.map((entry) => [title(entry.attributes), entry] as const))(
    'rejects %s',
    (_, entry) => {
      expectScimError(
        thrown(() => parseAttributeList(entry.attributes)),
        entry.error,
      );
    },
  );
});

// ---- robustness: nothing but ScimError 400, on any input ---------------------------------------------------------

/** mulberry32: a tiny deterministic PRNG, so a failing fuzz case reproduces on every run. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHABET = [
  ...'aeqnortspwcglzAEONRPmv019',
  ...' \t\r\n',
  ...'()[]"\\.:$-_,+/@\'&*=u',
  ' and ',
  ' or ',
  'not ',
  ' eq ',
  ' pr',
  '\\u',
  'D83D',
  'urn:ietf:params:scim:schemas:core:2.0:User:',
  'emails[',
  '].value',
  '\u0000',
  '\ud83d',
  '😀',
];

type Outcome = 'ok' | 'scim' | 'other';

function outcome(action: () => unknown, scimType: string): Outcome {
  try {
    action();
    return 'ok';
  } catch (error: unknown) {
    return error instanceof ScimError && error.status === 400 && error.scimType === scimType ? 'scim' : 'other';
  }
}

function randomString(random: () => number, maxPieces: number): string {
  const pieces = Math.floor(random() * maxPieces);
  let out = '';
  for (let i = 0; i < pieces; i++) out += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return out;
}

function mutate(random: () => number, input: string): string {
  const at = Math.floor(random() * (input.length + 1));
  const piece = ALPHABET[Math.floor(random() * ALPHABET.length)];
  switch (Math.floor(random() * 3)) {
    case 0:
      return input.slice(0, at) + input.slice(at + 1);
    case 1:
      return input.slice(0, at) + piece + input.slice(at);
    default:
      return input.slice(0, at) + piece + input.slice(at + 1);
  }
}

describe('robustness (seeded fuzzing)', () => {
  const shortValid = VALID_FILTERS.filter((entry) => entry.filter.length <= 200).map((entry) => entry.filter);

  it('throws only invalidFilter ScimErrors for random strings', () => {
    const random = prng(0x5c1a);
    const failures: string[] = [];
    for (let i = 0; i < 4000; i++) {
      const input = randomString(random, 24);
      if (outcome(() => parseFilter(input), 'invalidFilter') === 'other') failures.push(input);
    }
    expect(failures).toEqual([]);
  });

  it('throws only invalidFilter ScimErrors for every truncation of every valid filter', () => {
    const failures: string[] = [];
    let rejected = 0;
    for (const filter of shortValid) {
      for (let end = 0; end < filter.length; end++) {
        const result = outcome(() => parseFilter(filter.slice(0, end)), 'invalidFilter');
        if (result === 'other') failures.push(filter.slice(0, end));
        if (result === 'scim') rejected++;
      }
    }
    expect(failures).toEqual([]);
    // Most prefixes are incomplete filters; this guards against a parser that silently accepts anything.
    expect(rejected).toBeGreaterThan(1000);
  });

  it('throws only invalidFilter ScimErrors for random mutations of valid filters', () => {
    const random = prng(20_26);
    const failures: string[] = [];
    for (let i = 0; i < 4000; i++) {
      let input = shortValid[Math.floor(random() * shortValid.length)];
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) input = mutate(random, input);
      if (outcome(() => parseFilter(input), 'invalidFilter') === 'other') failures.push(input);
    }
    expect(failures).toEqual([]);
  });

  it('throws only invalidPath ScimErrors from parsePath and parseAttributeList', () => {
    const random = prng(7);
    const seeds = [...VALID_PATHS.map((entry) => entry.path), ...VALID_ATTRIBUTE_LISTS.map((e) => e.attributes)];
    const failures: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const input =
        random() < 0.5
          ? randomString(random, 16)
          : mutate(random, seeds[Math.floor(random() * seeds.length)]).slice(0, Math.floor(random() * 80));
      if (outcome(() => parsePath(input), 'invalidPath') === 'other') failures.push(`path ${input}`);
      if (outcome(() => parseAttributeList(input), 'invalidPath') === 'other') failures.push(`list ${input}`);
    }
    expect(failures).toEqual([]);
  });

  it('returns only well-formed ASTs when it accepts fuzzed input', () => {
    const random = prng(99);
    const malformed: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const input = mutate(random, shortValid[Math.floor(random() * shortValid.length)]);
      let filter: Filter;
      try {
        filter = parseFilter(input);
      } catch {
        continue;
      }
      if (!isWellFormed(filter, false)) malformed.push(input);
    }
    expect(malformed).toEqual([]);
  });
});

/** Structural check of the AST contract: valid names, no nested value filters, JSON-safe values. */
function isWellFormed(filter: Filter, inValuePath: boolean): boolean {
  const name = /^(?:[A-Za-z][A-Za-z0-9_-]*|\$ref)$/i;
  const pathOk = (path: PathExpression['path']) =>
    name.test(path.attr) && (path.sub === undefined || name.test(path.sub)) && path.uri !== '';
  switch (filter.kind) {
    case 'and':
    case 'or':
      return isWellFormed(filter.left, inValuePath) && isWellFormed(filter.right, inValuePath);
    case 'not':
      return isWellFormed(filter.filter, inValuePath);
    case 'present':
      return pathOk(filter.path);
    case 'compare':
      return pathOk(filter.path) && (typeof filter.value !== 'number' || Number.isFinite(filter.value));
    case 'valuePath':
      return !inValuePath && pathOk(filter.path) && filter.path.sub === undefined && isWellFormed(filter.filter, true);
  }
}
