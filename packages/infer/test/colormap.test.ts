/** The class palette and label overlays (colormap.ts), on hand-computed pixels. */
import { classColour, classColourCss, imageRange, McscError, overlayRgba } from '../src/index';

describe('class colours', () => {
  test('background is black; classes 1 … 8 are the Okabe–Ito palette; later classes differ from their neighbours', () => {
    expect(classColour(0)).toEqual([0, 0, 0]);
    expect(classColour(1)).toEqual([230, 159, 0]);
    expect(classColourCss(1)).toBe('#e69f00');
    expect(classColourCss(5)).toBe('#0072b2');
    const colours = Array.from({ length: 40 }, (_, k) => classColour(k).join());
    for (let k = 1; k < 40; k++) expect(colours[k]).not.toBe(colours[k - 1]);
    for (let k = 9; k < 40; k++) for (const c of classColour(k)) expect(Number.isInteger(c) && c >= 0 && c <= 255).toBe(true);
  });
});

describe('overlayRgba', () => {
  test('background shows the windowed grey image; class k is blended with its colour at alpha', () => {
    // image 0, 2, 4 in window [0, 4] → grey 0, 127.5, 255; labels 0, 1, 0
    const rgba = overlayRgba([0, 2, 4], [0, 1, 0], 1, 3, { window: [0, 4], alpha: 0.25 });
    const [r1, g1, b1] = classColour(1);
    expect(Array.from(rgba)).toEqual([
      0,
      0,
      0,
      255,
      Math.round(0.75 * 127.5 + 0.25 * r1),
      Math.round(0.75 * 127.5 + 0.25 * g1),
      Math.round(0.75 * 127.5 + 0.25 * b1),
      255,
      255,
      255,
      255,
      255,
    ]);
  });

  test('the default window is the image range; a flat image is black', () => {
    expect(Array.from(overlayRgba([10, 20], [0, 0], 1, 2)).filter((_, i) => i % 4 === 0)).toEqual([0, 255]);
    expect(Array.from(overlayRgba([7, 7], [0, 0], 2, 1)).filter((_, i) => i % 4 === 0)).toEqual([0, 0]);
  });

  test('sizes that do not match h·w are an McscError', () => {
    expect(() => overlayRgba([0, 1], [0], 1, 2)).toThrow(McscError);
    expect(() => overlayRgba([0, 1], [0], 1, 2)).toThrow('overlayRgba: image holds 2 and labels 1 values, expected h·w = 2');
  });
});

describe('imageRange', () => {
  test('minimum and maximum of the finite values; [0, 1] when there are none', () => {
    expect(imageRange([3, -1, 2])).toEqual([-1, 3]);
    expect(imageRange([Number.NaN, 5, Number.POSITIVE_INFINITY, 1, Number.NEGATIVE_INFINITY])).toEqual([1, 5]);
    expect(imageRange([])).toEqual([0, 1]);
    expect(imageRange([Number.NaN])).toEqual([0, 1]);
  });
});
