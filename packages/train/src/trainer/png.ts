/**
 * A small RGB canvas for the report's figures — lines, rectangles, pixels and a 3×5 pixel font —
 * encoded to PNG with pngjs. Enough for loss curves and prediction overlays; nothing more.
 */
import { PNG } from 'pngjs';

// Math's functions as module constants: a hot loop then avoids a global lookup per call (slow inside
// a vm context, as under jest).
const { abs, round } = Math;

export type Rgb = readonly [number, number, number];

/** Glyphs of the 3×5 font: 15 bits, rows top to bottom, 3 bits a row (MSB = left). */
const FONT: Readonly<Record<string, number>> = {
  '0': 0o75557,
  '1': 0o26227,
  '2': 0o71747,
  '3': 0o71717,
  '4': 0o55711,
  '5': 0o74717,
  '6': 0o74757,
  '7': 0o71111,
  '8': 0o75757,
  '9': 0o75717,
  A: 0o25755,
  B: 0o65656,
  C: 0o34443,
  D: 0o65556,
  E: 0o74647,
  F: 0o74644,
  G: 0o34553,
  H: 0o55755,
  I: 0o72227,
  J: 0o11157,
  K: 0o55655,
  L: 0o44447,
  M: 0o57555,
  N: 0o65555,
  O: 0o25552,
  P: 0o65644,
  Q: 0o25573,
  R: 0o65655,
  S: 0o34716,
  T: 0o72222,
  U: 0o55557,
  V: 0o55552,
  W: 0o55575,
  X: 0o55255,
  Y: 0o55222,
  Z: 0o71247,
  '.': 0o00002,
  '-': 0o00700,
  '+': 0o02720,
  ':': 0o02020,
  '/': 0o11244,
  '(': 0o12221,
  ')': 0o42224,
  _: 0o00007,
  '=': 0o07070,
  ' ': 0,
};

export class Canvas {
  readonly data: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = [255, 255, 255],
  ) {
    this.data = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  set(x: number, y: number, c: Rgb): void {
    const xi = round(x);
    const yi = round(y);
    if (xi < 0 || yi < 0 || xi >= this.width || yi >= this.height) return;
    const i = (yi * this.width + xi) * 3;
    this.data[i] = c[0];
    this.data[i + 1] = c[1];
    this.data[i + 2] = c[2];
  }

  /** Fills the rectangle [x, x + w) × [y, y + h), clipped to the canvas. */
  fillRect(x: number, y: number, w: number, h: number, c: Rgb): void {
    const x0 = Math.max(0, round(x));
    const y0 = Math.max(0, round(y));
    const x1 = Math.min(this.width, round(x + w));
    const y1 = Math.min(this.height, round(y + h));
    const [r, g, b] = c;
    const data = this.data;
    for (let j = y0; j < y1; j++) {
      for (let i = (j * this.width + x0) * 3, end = (j * this.width + x1) * 3; i < end; i += 3) {
        data[i] = r;
        data[i + 1] = g;
        data[i + 2] = b;
      }
    }
  }

  /** A 1-px line (Bresenham). */
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb): void {
    let [x, y] = [round(x0), round(y0)];
    const [xe, ye] = [round(x1), round(y1)];
    const dx = abs(xe - x);
    const dy = -abs(ye - y);
    const sx = x < xe ? 1 : -1;
    const sy = y < ye ? 1 : -1;
    let err = dx + dy;
    for (;;) {
      this.set(x, y, c);
      if (x === xe && y === ye) return;
      const e2 = 2 * err;
      if (e2 >= dy) {
        err += dy;
        x += sx;
      }
      if (e2 <= dx) {
        err += dx;
        y += sy;
      }
    }
  }

  /** Text in the 3×5 font (upper-cased; unknown characters as blanks), `scale` pixels per font pixel. */
  text(x: number, y: number, s: string, c: Rgb, scale = 1): void {
    let cx = x;
    for (const ch of s.toUpperCase()) {
      const bits = FONT[ch] ?? 0;
      for (let r = 0; r < 5; r++) {
        for (let col = 0; col < 3; col++) {
          if ((bits >> ((4 - r) * 3 + (2 - col))) & 1) this.fillRect(cx + col * scale, y + r * scale, scale, scale, c);
        }
      }
      cx += 4 * scale;
    }
  }

  /** Pastes an RGB image [h, w, 3] at (x, y), each pixel as a `zoom`×`zoom` square (clipped). */
  paste(x: number, y: number, rgb: Uint8Array, w: number, h: number, zoom = 1): void {
    const data = this.data;
    for (let j = 0; j < h * zoom; j++) {
      const cy = y + j;
      if (cy < 0 || cy >= this.height) continue;
      const row = ((j / zoom) | 0) * w;
      for (let i = 0; i < w * zoom; i++) {
        const cx = x + i;
        if (cx < 0 || cx >= this.width) continue;
        const k = (row + ((i / zoom) | 0)) * 3;
        const o = (cy * this.width + cx) * 3;
        data[o] = rgb[k]!;
        data[o + 1] = rgb[k + 1]!;
        data[o + 2] = rgb[k + 2]!;
      }
    }
  }

  /** PNG bytes (RGB, 8 bits; no scanline filter: figures of flat colours compress well without). */
  toPng(): Uint8Array {
    const options = {
      width: this.width,
      height: this.height,
      colorType: 2,
      inputColorType: 2,
      inputHasAlpha: false,
      filterType: 0,
    } as const;
    const png = new PNG(options);
    png.data = Buffer.from(this.data.buffer, this.data.byteOffset, this.data.byteLength);
    return PNG.sync.write(png, options);
  }
}

/** Width in pixels of `s` in the 3×5 font at `scale`. */
export function textWidth(s: string, scale = 1): number {
  return s.length * 4 * scale;
}

/** Decodes a PNG (tests, tools): width, height and RGBA data. */
export function readPng(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const png = PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, data: new Uint8Array(png.data) };
}
