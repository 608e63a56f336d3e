/**
 * Pictures: dataset inputs drawn on canvases (1- or 3-channel C x H x W tensors as images, anything
 * else as a small heatmap), heatmap colours, and uploaded PNG/JPEG files decoded and resized to a
 * dataset's input shape in the browser.
 */
import { h } from "./dom.js";

/** An input's layout as a picture: channels (1 or 3) and height/width, or null when it is not an image. */
export interface ImageLayout {
  c: number;
  h: number;
  w: number;
}

export function imageLayout(shape: readonly number[]): ImageLayout | null {
  if (shape.length === 2) {
    return { c: 1, h: shape[0], w: shape[1] };
  }
  if (shape.length === 3 && (shape[0] === 1 || shape[0] === 3)) {
    return { c: shape[0], h: shape[1], w: shape[2] };
  }
  if (shape.length === 4 && shape[0] === 1 && (shape[1] === 1 || shape[1] === 3)) {
    return { c: shape[1], h: shape[2], w: shape[3] };
  }
  return null;
}

/**
 * A canvas showing a stored input: an image when the shape is one (values 0..255 when the dataset
 * stores bytes, otherwise stretched from the input's own min..max), else a heatmap.
 */
export function drawInput(values: ArrayLike<number>, shape: readonly number[], bytesPerValue: "uint8" | "float"): HTMLCanvasElement {
  const layout = imageLayout(shape);
  if (!layout) {
    return drawHeatmap(values, gridFor(values.length));
  }
  const { c, h: height, w: width } = layout;
  const canvas = h("canvas", { width, height, class: "picture" });
  const ctx = canvas.getContext("2d");
  if (!ctx) {
    return canvas;
  }
  let lo = 0;
  let hi = 255;
  if (bytesPerValue === "float") {
    [lo, hi] = range(values);
  }
  const span = hi > lo ? hi - lo : 1;
  const image = ctx.createImageData(width, height);
  const plane = width * height;
  for (let i = 0; i < plane; i++) {
    for (let k = 0; k < 3; k++) {
      const v = values[(c === 3 ? k : 0) * plane + i];
      image.data[i * 4 + k] = Math.round(((v - lo) / span) * 255);
    }
    image.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** A rows x cols heatmap of values (row-major), coloured over [lo, hi] (default: their own range). */
export function drawHeatmap(values: ArrayLike<number>, grid: { rows: number; cols: number }, offset = 0, scale?: { lo: number; hi: number }): HTMLCanvasElement {
  const { rows, cols } = grid;
  const canvas = h("canvas", { width: cols, height: rows, class: "heatmap" });
  const ctx = canvas.getContext("2d");
  if (!ctx) {
    return canvas;
  }
  const { lo, hi } = scale ?? (() => {
    const [a, b] = range(values, offset, rows * cols);
    return { lo: a, hi: b };
  })();
  const image = ctx.createImageData(cols, rows);
  for (let i = 0; i < rows * cols; i++) {
    const index = offset + i;
    const [r, g, b] = index < values.length ? heat(values[index], lo, hi) : [40, 40, 48];
    image.data.set([r, g, b, 255], i * 4);
  }
  ctx.putImageData(image, 0, 0);
  return canvas;
}

/** A near-square grid for n values. */
export function gridFor(n: number): { rows: number; cols: number } {
  const cols = Math.max(1, Math.ceil(Math.sqrt(n)));
  return { rows: Math.max(1, Math.ceil(n / cols)), cols };
}

export function range(values: ArrayLike<number>, offset = 0, length = values.length - offset): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  const end = Math.min(values.length, offset + length);
  for (let i = offset; i < end; i++) {
    const v = values[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 1];
}

// Viridis, sampled at five points: perceptually even and readable by colour-blind users.
const stops: readonly [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

/** The colour of v on [lo, hi]; values below 0 on a layer with negatives get a blue tint. */
export function heat(v: number, lo: number, hi: number): [number, number, number] {
  const t = hi > lo ? Math.min(1, Math.max(0, (v - lo) / (hi - lo))) : 0;
  const x = t * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const a = stops[i];
  const b = stops[i + 1];
  return [0, 1, 2].map((k) => Math.round(a[k] + (b[k] - a[k]) * f)) as [number, number, number];
}

/**
 * Decodes an uploaded PNG/JPEG and resizes it to layout (high-quality smoothing; an image already
 * of that size is read pixel for pixel). Returns C x H x W bytes: grey from luminance for one
 * channel, RGB planes for three; transparent pixels are composed over black.
 */
export async function decodeUpload(file: Blob, layout: ImageLayout): Promise<Uint8Array> {
  const bitmap = await createImageBitmap(file, { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  try {
    const canvas = document.createElement("canvas");
    canvas.width = layout.w;
    canvas.height = layout.h;
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    if (!ctx) {
      throw new Error("this browser cannot draw on a canvas");
    }
    ctx.imageSmoothingEnabled = bitmap.width !== layout.w || bitmap.height !== layout.h;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(bitmap, 0, 0, layout.w, layout.h);
    const rgba = ctx.getImageData(0, 0, layout.w, layout.h).data;
    const plane = layout.w * layout.h;
    const out = new Uint8Array(layout.c * plane);
    for (let i = 0; i < plane; i++) {
      const a = rgba[i * 4 + 3] / 255;
      const r = rgba[i * 4] * a;
      const g = rgba[i * 4 + 1] * a;
      const b = rgba[i * 4 + 2] * a;
      if (layout.c === 1) {
        out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b);
      } else {
        out[i] = Math.round(r);
        out[plane + i] = Math.round(g);
        out[2 * plane + i] = Math.round(b);
      }
    }
    return out;
  } finally {
    bitmap.close();
  }
}
