import { findBadText, isBadText, jsonMayHoldBadText, jsonNestingBeyond } from './text-input';

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

describe('jsonMayHoldBadText', () => {
  it('is true for every JSON text whose parsed strings hold bad text, and false for text without escapes', () => {
    for (const value of [{ a: 'x\u0000' }, { ['k\ud800']: 1 }, ['\udc00'], 'a\u0000b']) {
      const body = Buffer.from(JSON.stringify(value));
      expect(findBadText(JSON.parse(body.toString('utf8')))).toBeDefined();
      expect(jsonMayHoldBadText(body)).toBe(true);
    }
    expect(
      jsonMayHoldBadText(Buffer.from(JSON.stringify({ userName: 'ünïcödé 😀', emails: [{ value: 'a@b' }] }))),
    ).toBe(false);
    // Bytes that are not UTF-8 decode to U+FFFD, never to a lone surrogate.
    const invalid = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xed, 0xa0, 0x80, 0xff]), Buffer.from('"}')]);
    expect(jsonMayHoldBadText(invalid)).toBe(false);
    expect(findBadText(JSON.parse(invalid.toString('utf8')))).toBeUndefined();
  });
});
