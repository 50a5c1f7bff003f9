import { ScimError } from '@roster/scim';
import { detectLogoType } from './logo';

const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
const JPEG = Buffer.from('ffd8ffe000104a464946', 'hex');
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1');
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');

describe('detectLogoType', () => {
  it.each([
    [PNG, 'image/png', 'image/png'],
    [JPEG, 'image/jpeg', 'image/jpeg'],
    [JPEG, 'image/jpg', 'image/jpeg'],
    [GIF, 'image/gif', 'image/gif'],
    [WEBP, 'image/webp', 'image/webp'],
    [PNG, undefined, 'image/png'],
    [PNG, 'application/octet-stream', 'image/png'],
  ])('accepts %#', (content, declared, expected) => {
    expect(detectLogoType(content, declared)).toBe(expected);
  });

  it.each([
    [SVG, 'image/svg+xml'],
    [SVG, 'image/png'],
    [PNG, 'image/gif'],
    [Buffer.from('hello'), 'image/png'],
    [Buffer.alloc(0), 'image/png'],
  ])('refuses %# with 415', (content, declared) => {
    let error: unknown;
    try {
      detectLogoType(content, declared);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ScimError);
    expect((error as ScimError).status).toBe(415);
  });
});
