import { CursorCodec } from './cursors';

describe('CursorCodec', () => {
  const codec = new CursorCodec(Buffer.alloc(32, 1));

  it('reads back what it signed', () => {
    const cursor = codec.encode({ k: 'x', i: 'y', n: 3 });
    expect(cursor).toMatch(/^[\w-]+\.[\w-]+$/);
    expect(codec.decode(cursor)).toEqual({ k: 'x', i: 'y', n: 3 });
  });

  it('refuses a cursor signed with another key, as another deployment would sign it', () => {
    const other = new CursorCodec(Buffer.alloc(32, 2));
    expect(codec.decode(other.encode({ k: 'x' }))).toBeUndefined();
  });

  it('refuses an unsigned cursor and a changed payload', () => {
    const unsigned = Buffer.from(JSON.stringify({ k: 'x' })).toString('base64url');
    expect(codec.decode(unsigned)).toBeUndefined();
    const [, mac] = codec.encode({ k: 'x' }).split('.');
    const forged = `${Buffer.from(JSON.stringify({ k: 'y' })).toString('base64url')}.${mac}`;
    expect(codec.decode(forged)).toBeUndefined();
  });

  it.each([[''], ['.'], ['abc.'], ['.abc'], ['a'.repeat(5000)], ['not base64!.%%%']])('refuses %j', (cursor) => {
    expect(codec.decode(cursor)).toBeUndefined();
  });

  it('needs a real key', () => {
    expect(() => new CursorCodec(Buffer.alloc(8))).toThrow(/128 bits/);
  });
});
