import { ScimError } from '@roster/scim';

export type LogoMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

const SIGNATURES: { type: LogoMediaType; test: (b: Buffer) => boolean }[] = [
  {
    type: 'image/png',
    test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])),
  },
  { type: 'image/jpeg', test: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: 'image/gif', test: (b) => ['GIF87a', 'GIF89a'].includes(b.subarray(0, 6).toString('latin1')) },
  {
    type: 'image/webp',
    test: (b) => b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP',
  },
];

/**
 * The image type told by the bytes themselves. A declared type must agree with it: the bytes are
 * later served to browsers, and a file that is not what it claims (SVG with script, HTML) is
 * refused rather than trusted.
 */
export function detectLogoType(content: Buffer, declared: string | undefined): LogoMediaType {
  const detected = SIGNATURES.find((s) => s.test(content))?.type;
  const claimed = declared?.split(';')[0].trim().toLowerCase();
  if (!detected) {
    throw new ScimError(415, 'A logo must be a PNG, JPEG, GIF or WebP image; the content is none of those.');
  }
  if (
    claimed &&
    claimed !== 'application/octet-stream' &&
    claimed !== detected &&
    !(claimed === 'image/jpg' && detected === 'image/jpeg')
  ) {
    throw new ScimError(415, `The content is ${detected}, but it was sent as ${claimed}.`);
  }
  return detected;
}
