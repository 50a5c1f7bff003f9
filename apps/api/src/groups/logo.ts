import { ScimError } from '@roster/scim';

export type LogoMediaType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

export interface LogoDimensions {
  width: number;
  height: number;
}

/** Largest width or height by default (LOGO_MAX_DIMENSION). */
export const DEFAULT_LOGO_MAX_DIMENSION = 4096;

/**
 * Each format's header, decoded far enough to read the image's dimensions: a file whose first
 * bytes look right but whose header is missing or broken is not an image browsers would show,
 * and a 60,000 × 60,000 "logo" of a few kilobytes is a decompression bomb for whoever renders it.
 * Each decoder answers undefined when the bytes are not its format, and throws when they start
 * as its format but the header is broken.
 */
const DECODERS: { type: LogoMediaType; decode: (b: Buffer) => LogoDimensions | undefined }[] = [
  { type: 'image/png', decode: decodePng },
  { type: 'image/jpeg', decode: decodeJpeg },
  { type: 'image/gif', decode: decodeGif },
  { type: 'image/webp', decode: decodeWebp },
];

class BrokenHeader extends Error {}

function broken(format: string, what: string): never {
  throw new BrokenHeader(`The ${format} header is broken: ${what}.`);
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG: the signature, then the IHDR chunk (length 13): width, height, bit depth, colour type. */
function decodePng(b: Buffer): LogoDimensions | undefined {
  if (!b.subarray(0, 8).equals(PNG_SIGNATURE)) {
    return undefined;
  }
  if (b.length < 33 || b.readUInt32BE(8) !== 13 || b.toString('latin1', 12, 16) !== 'IHDR') {
    broken('PNG', 'the IHDR chunk does not follow the signature');
  }
  const depth = b[24];
  const colour = b[25];
  const depths: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
  if (!depths[colour]?.includes(depth)) {
    broken('PNG', `bit depth ${depth} with colour type ${colour} is not valid`);
  }
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

/** JPEG: SOI, then marker segments up to the first start-of-frame, which holds the dimensions. */
function decodeJpeg(b: Buffer): LogoDimensions | undefined {
  if (b.length < 3 || b[0] !== 0xff || b[1] !== 0xd8 || b[2] !== 0xff) {
    return undefined;
  }
  let offset = 2;
  while (offset + 4 <= b.length) {
    if (b[offset] !== 0xff) {
      broken('JPEG', `no marker at byte ${offset}`);
    }
    const marker = b[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2; // markers without a length
      continue;
    }
    if (marker === 0xd9 || marker === 0xda) {
      broken('JPEG', 'the image data starts before any frame header');
    }
    const length = b.readUInt16BE(offset + 2);
    if (length < 2 || offset + 2 + length > b.length) {
      broken('JPEG', `the segment at byte ${offset} runs past the end`);
    }
    // SOF0-SOF15, except DHT (C4), JPG (C8) and DAC (CC), which share the range.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
      if (length < 8) {
        broken('JPEG', 'the frame header is too short');
      }
      return { height: b.readUInt16BE(offset + 5), width: b.readUInt16BE(offset + 7) };
    }
    offset += 2 + length;
  }
  broken('JPEG', 'there is no frame header');
}

/** GIF: the version, then the logical screen descriptor's width and height (little-endian). */
function decodeGif(b: Buffer): LogoDimensions | undefined {
  if (!['GIF87a', 'GIF89a'].includes(b.toString('latin1', 0, 6))) {
    return undefined;
  }
  if (b.length < 13) {
    broken('GIF', 'the logical screen descriptor is missing');
  }
  return { width: b.readUInt16LE(6), height: b.readUInt16LE(8) };
}

/** WebP: RIFF....WEBP, then a VP8 (lossy), VP8L (lossless) or VP8X (extended) chunk. */
function decodeWebp(b: Buffer): LogoDimensions | undefined {
  if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WEBP') {
    return undefined;
  }
  if (b.length < 30) {
    broken('WebP', 'the first chunk is missing');
  }
  if (b.readUInt32LE(4) + 8 > b.length) {
    broken('WebP', 'the RIFF size is larger than the file');
  }
  const chunk = b.toString('latin1', 12, 16);
  const data = 20;
  switch (chunk) {
    case 'VP8 ':
      // Frame tag (3 bytes), start code 9d 01 2a, then 14-bit width and height.
      if (b[data + 3] !== 0x9d || b[data + 4] !== 0x01 || b[data + 5] !== 0x2a) {
        broken('WebP', 'the VP8 start code is missing');
      }
      return { width: b.readUInt16LE(data + 6) & 0x3fff, height: b.readUInt16LE(data + 8) & 0x3fff };
    case 'VP8L': {
      if (b[data] !== 0x2f) {
        broken('WebP', 'the VP8L signature is missing');
      }
      const bits = b.readUInt32LE(data + 1);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case 'VP8X':
      return { width: b.readUIntLE(data + 4, 3) + 1, height: b.readUIntLE(data + 7, 3) + 1 };
    default:
      broken('WebP', `the first chunk is "${chunk.replace(/[^\x20-\x7e]/g, '?')}", not VP8, VP8L or VP8X`);
  }
}

/**
 * The image type told by the bytes themselves, with its header decoded. A declared type must
 * agree with it: the bytes are later served to browsers, and a file that is not what it claims
 * (SVG with script, HTML) is refused rather than trusted.
 */
export function detectLogoType(
  content: Buffer,
  declared: string | undefined,
  maxDimension: number = DEFAULT_LOGO_MAX_DIMENSION,
): LogoMediaType {
  let found: { type: LogoMediaType; size: LogoDimensions } | undefined;
  try {
    for (const decoder of DECODERS) {
      const size = decoder.decode(content);
      if (size) {
        found = { type: decoder.type, size };
        break;
      }
    }
  } catch (error) {
    if (error instanceof BrokenHeader) {
      throw new ScimError(415, `${error.message} A logo must be a valid PNG, JPEG, GIF or WebP image.`);
    }
    throw error;
  }
  if (!found) {
    throw new ScimError(415, 'A logo must be a PNG, JPEG, GIF or WebP image; the content is none of those.');
  }
  const { type: detected, size } = found;
  const claimed = declared?.split(';')[0].trim().toLowerCase();
  if (
    claimed &&
    claimed !== 'application/octet-stream' &&
    claimed !== detected &&
    !(claimed === 'image/jpg' && detected === 'image/jpeg')
  ) {
    throw new ScimError(415, `The content is ${detected}, but it was sent as ${claimed}.`);
  }
  if (size.width === 0 || size.height === 0) {
    throw ScimError.badRequest('invalidValue', `The ${detected} image has no pixels (${size.width} × ${size.height}).`);
  }
  if (size.width > maxDimension || size.height > maxDimension) {
    throw ScimError.badRequest(
      'invalidValue',
      `The logo is ${size.width} × ${size.height} pixels; at most ${maxDimension} × ${maxDimension} are accepted.`,
    );
  }
  return detected;
}
