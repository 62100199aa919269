/**
 * The site icon (`/favicon.ico`) of the SMART app and the demo EHR page: a 16 × 16 Windows icon drawn
 * here, a white plus on the app header's blue, so that no binary file is kept and browsers stop logging a
 * 404 for it on every page.
 */

const SIZE = 16;
const BACKGROUND = [0x12, 0x3a, 0x5a] as const;
const FOREGROUND = [0xff, 0xff, 0xff] as const;

/** Whether pixel (x, y), counted from the top left, belongs to the plus. */
const inPlus = (x: number, y: number): boolean => (x >= 6 && x <= 9 && y >= 3 && y <= 12) || (y >= 6 && y <= 9 && x >= 3 && x <= 12);

/** The icon file: one 32-bit BMP image in an ICO container (ICONDIR, ICONDIRENTRY, BITMAPINFOHEADER, pixels, AND mask). */
function drawIcon(): Buffer {
  const pixels = SIZE * SIZE * 4;
  const mask = SIZE * 4; // one bit per pixel, rows padded to 32 bits: all zero, the alpha channel decides
  const image = 40 + pixels + mask;
  const out = Buffer.alloc(6 + 16 + image);
  out.writeUInt16LE(0, 0);
  out.writeUInt16LE(1, 2); // icon
  out.writeUInt16LE(1, 4); // one image
  out.writeUInt8(SIZE, 6);
  out.writeUInt8(SIZE, 7);
  out.writeUInt16LE(1, 10); // planes
  out.writeUInt16LE(32, 12); // bits per pixel
  out.writeUInt32LE(image, 14);
  out.writeUInt32LE(22, 18);
  out.writeUInt32LE(40, 22);
  out.writeInt32LE(SIZE, 26);
  out.writeInt32LE(SIZE * 2, 30); // the colour image and the mask
  out.writeUInt16LE(1, 34);
  out.writeUInt16LE(32, 36);
  out.writeUInt32LE(pixels + mask, 42);
  for (let row = 0; row < SIZE; row++) {
    const y = SIZE - 1 - row; // bottom-up
    for (let x = 0; x < SIZE; x++) {
      const [r, g, b] = inPlus(x, y) ? FOREGROUND : BACKGROUND;
      const at = 62 + (row * SIZE + x) * 4;
      out.writeUInt8(b, at);
      out.writeUInt8(g, at + 1);
      out.writeUInt8(r, at + 2);
      out.writeUInt8(0xff, at + 3);
    }
  }
  return out;
}

/** `/favicon.ico`, built once. */
export const FAVICON_ICO: Buffer = drawIcon();
