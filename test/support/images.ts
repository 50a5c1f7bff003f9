/**
 * The smallest files of each logo format whose headers say `width` × `height`: what the logo
 * check decodes (PNG IHDR, JPEG SOF0, GIF logical screen, WebP VP8/VP8L/VP8X). The pixel data
 * after the header is filler; nothing in Roster decodes it.
 */
export function png(width = 1, height = 1): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, Buffer.from(type, 'latin1'), data, Buffer.alloc(4)]);
  };
  return Buffer.concat([
    Buffer.from('89504e470d0a1a0a', 'hex'),
    chunk('IHDR', ihdr),
    chunk('IDAT', Buffer.from('789c6300010000050001', 'hex')),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

export function jpeg(width = 1, height = 1): Buffer {
  const sof = Buffer.from('ffc0000b080000000001011100', 'hex');
  sof.writeUInt16BE(height, 5);
  sof.writeUInt16BE(width, 7);
  return Buffer.concat([
    Buffer.from('ffd8', 'hex'),
    Buffer.from('ffe000104a46494600010100000100010000', 'hex'), // APP0 JFIF
    sof,
    Buffer.from('ffda0008010100003f00', 'hex'), // SOS
    Buffer.alloc(16),
    Buffer.from('ffd9', 'hex'),
  ]);
}

export function gif(width = 1, height = 1): Buffer {
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  return Buffer.concat([Buffer.from('GIF89a', 'latin1'), screen, Buffer.from([0x3b])]);
}

function riff(chunk: string, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.write(chunk, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  const body = Buffer.concat([Buffer.from('WEBP', 'latin1'), header, data]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([Buffer.from('RIFF', 'latin1'), size, body]);
}

/** Lossy (VP8): frame tag, start code, 14-bit dimensions. */
export function webp(width = 1, height = 1): Buffer {
  const data = Buffer.alloc(18);
  data.set([0x9d, 0x01, 0x2a], 3);
  data.writeUInt16LE(width & 0x3fff, 6);
  data.writeUInt16LE(height & 0x3fff, 8);
  return riff('VP8 ', data);
}

/** Lossless (VP8L): signature 0x2f, then width-1 and height-1 in 14 bits each. */
export function webpLossless(width = 1, height = 1): Buffer {
  const data = Buffer.alloc(10);
  data[0] = 0x2f;
  data.writeUInt32LE(((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14), 1);
  return riff('VP8L', data);
}

/** Extended (VP8X): flags, then canvas width-1 and height-1 in 24 bits each. */
export function webpExtended(width = 1, height = 1): Buffer {
  const data = Buffer.alloc(10);
  data.writeUIntLE(width - 1, 4, 3);
  data.writeUIntLE(height - 1, 7, 3);
  return riff('VP8X', data);
}

/** One valid logo of each media type. */
export const LOGOS: Record<string, Buffer> = {
  'image/png': png(),
  'image/jpeg': jpeg(),
  'image/gif': gif(),
  'image/webp': webp(),
};
