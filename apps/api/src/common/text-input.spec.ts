import { findBadText, isBadText, jsonNestingBeyond } from './text-input';

describe('isBadText', () => {
  it.each([
    ['a\u0000b', true],
    ['\ud800', true],
    ['x\udc00', true],
    ['\udc00\ud800', true], // halves in the wrong order are two lone surrogates
    ['😀', false], // a pair is one character
    ['plain ASCII', false],
    ['ünïcödé', false],
    ['', false],
  ])('%j → %s', (value, bad) => {
    expect(isBadText(value)).toBe(bad);
  });
});

describe('findBadText', () => {
  it('names the path of the first bad string or key', () => {
    expect(findBadText({ userName: 'ok', emails: [{ value: 'a' }, { value: 'b\u0000' }] })).toBe('/emails/1/value');
    expect(findBadText({ ['k\ud800']: 1 })).toBe('/k\\ud800');
    expect(findBadText('\u0000')).toBe('/');
    expect(findBadText({ a: [1, true, null, { b: 'fine' }] })).toBeUndefined();
  });

  it('walks a million levels of nesting without recursion', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 1_000_000; i++) {
      deep = [deep];
    }
    expect(findBadText(deep)).toMatch(/^(\/0){1000000}$/);
  });
});

describe('jsonNestingBeyond', () => {
  const at = (text: string, max: number) => jsonNestingBeyond(Buffer.from(text), max);

  it('counts arrays and objects, not brackets inside strings', () => {
    expect(at('{"a":[{"b":[]}]}', 4)).toBe(-1);
    expect(at('{"a":[{"b":[]}]}', 3)).toBe(11);
    expect(at('{"a":"[[[[[[[[[[{{{{{"}', 1)).toBe(-1);
    expect(at('{"a":"\\"[[[["}', 1)).toBe(-1); // an escaped quote does not end the string
    expect(at('["\\\\",[[]]]', 2)).toBe(7); // an escaped backslash does
  });

  it('stops at the first level too deep of a 100,000-level body', () => {
    const body = Buffer.from('['.repeat(100_000) + ']'.repeat(100_000));
    expect(jsonNestingBeyond(body, 64)).toBe(64);
  });
});
