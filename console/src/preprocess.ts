/**
 * The dataset's preprocessing, applied in the browser to an uploaded picture so that it can be sent
 * as a raw tensor target (which the service feeds to the model as given): exactly what the service
 * does to a stored input, in float32 arithmetic, so a picture of a dataset input gives the model
 * bit-identical values.
 */
import { ElementType, type DatasetInfo } from "./gen/deepeverest/v1/index_service_pb.js";

const f = Math.fround;

/** What an upload's bytes mean in the dataset's stored units: bytes as is, or 0..1 for float data. */
export function storedFromByte(dataset: DatasetInfo): (byte: number) => number {
  return dataset.elementType === ElementType.FLOAT32 ? (b) => f(b / 255) : (b) => b;
}

/** model input = stored * scale + shift (scale 0 means 1), per element, rounded to float32 at each step. */
export function modelInput(pixels: Uint8Array, dataset: DatasetInfo): Float32Array {
  const pre = dataset.preprocessing;
  const scale = f(pre && pre.scale !== 0 ? pre.scale : 1);
  const shift = f(pre?.shift ?? 0);
  const stored = storedFromByte(dataset);
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    out[i] = f(f(stored(pixels[i]) * scale) + shift);
  }
  return out;
}

/** A one-line description of the preprocessing, for the target panel. */
export function describePreprocessing(dataset: DatasetInfo): string {
  const pre = dataset.preprocessing;
  const scale = pre && pre.scale !== 0 ? pre.scale : 1;
  const shift = pre?.shift ?? 0;
  const parts = [dataset.elementType === ElementType.FLOAT32 ? "pixel / 255" : "pixel"];
  if (scale !== 1) {
    parts.push(`× ${Number(scale.toPrecision(6))}`);
  }
  if (shift !== 0) {
    parts.push(`${shift < 0 ? "−" : "+"} ${Math.abs(Number(shift.toPrecision(6)))}`);
  }
  return parts.join(" ");
}
