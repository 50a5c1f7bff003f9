import { ScimError } from '@roster/scim';
import { gif, jpeg, png, webp, webpExtended, webpLossless } from '../../../../test/support/images';
import { detectLogoType } from './logo';

const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

function refusal(run: () => unknown): ScimError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ScimError);
    return error as ScimError;
  }
  throw new Error('expected a ScimError');
}

describe('detectLogoType', () => {
  it.each([
    ['PNG', png(), 'image/png', 'image/png'],
    ['JPEG', jpeg(), 'image/jpeg', 'image/jpeg'],
    ['JPEG as image/jpg', jpeg(), 'image/jpg', 'image/jpeg'],
    ['GIF', gif(), 'image/gif', 'image/gif'],
    ['WebP lossy', webp(), 'image/webp', 'image/webp'],
    ['WebP lossless', webpLossless(200, 100), 'image/webp', 'image/webp'],
    ['WebP extended', webpExtended(4096, 4096), 'image/webp', 'image/webp'],
    ['PNG without a declared type', png(), undefined, 'image/png'],
    ['PNG as octet-stream', png(), 'application/octet-stream', 'image/png'],
    ['PNG with a charset parameter', png(), 'image/png; charset=binary', 'image/png'],
    [
      'JPEG with fill bytes and a restart marker before its frame',
      Buffer.concat([Buffer.from('ffd8ffffffd0', 'hex'), jpeg().subarray(2)]),
      'image/jpeg',
      'image/jpeg',
    ],
  ])('accepts %s', (_name, content, declared, expected) => {
    expect(detectLogoType(content, declared)).toBe(expected);
  });

  it.each([
    ['SVG', SVG, 'image/svg+xml'],
    ['SVG claiming to be PNG', SVG, 'image/png'],
    ['PNG claiming to be GIF', png(), 'image/gif'],
    ['text', Buffer.from('hello'), 'image/png'],
    ['nothing', Buffer.alloc(0), 'image/png'],
    ['a PNG signature without IHDR', Buffer.from('89504e470d0a1a0a0000000049454e44ae426082', 'hex'), 'image/png'],
    [
      'a PNG with an impossible bit depth',
      (() => {
        const b = png();
        b[24] = 7;
        return b;
      })(),
      'image/png',
    ],
    ['a JPEG without a frame header', Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex'), 'image/jpeg'],
    ['a JPEG whose segment runs past the end', Buffer.from('ffd8ffe0ffff4a464946', 'hex'), 'image/jpeg'],
    ['a GIF without its screen descriptor', Buffer.from('GIF89a\x01', 'latin1'), 'image/gif'],
    [
      'a WebP without a VP8 start code',
      (() => {
        const b = webp();
        b[23] = 0;
        return b;
      })(),
      'image/webp',
    ],
    [
      'a WebP with an unknown first chunk',
      Buffer.concat([Buffer.from('RIFF'), Buffer.from([22, 0, 0, 0]), Buffer.from('WEBPXXXX'), Buffer.alloc(14)]),
      'image/webp',
    ],
    [
      'a WebP whose RIFF size is larger than the file',
      (() => {
        const b = webp();
        b.writeUInt32LE(1000, 4);
        return b;
      })(),
      'image/webp',
    ],
  ])('refuses %s with 415', (_name, content, declared) => {
    expect(refusal(() => detectLogoType(content, declared)).status).toBe(415);
  });

  it.each([
    ['a PNG of 0 × 1', png(0, 1)],
    ['a PNG of 60,000 × 60,000', png(60000, 60000)],
    ['a JPEG of 5,000 × 10', jpeg(5000, 10)],
    ['a GIF of 10 × 65,535', gif(10, 65535)],
    ['a WebP of 16,383 × 16,383', webp(16383, 16383)],
    ['an extended WebP of 16,777,216 × 1', webpExtended(16777216, 1)],
  ])('refuses %s with 400 invalidValue', (_name, content) => {
    const error = refusal(() => detectLogoType(content, undefined));
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidValue');
  });

  it('applies the configured dimension limit', () => {
    expect(detectLogoType(png(5000, 5000), 'image/png', 8192)).toBe('image/png');
    expect(refusal(() => detectLogoType(png(300, 300), 'image/png', 256)).status).toBe(400);
  });
});
