/**
 * The dataset's preprocessing, applied in the browser to an uploaded picture so that it can be sent
 * as a raw tensor target (which the service feeds to the model as given): exactly what the service
 * does to a stored input, in float32 arithmetic step by step, so a picture of a dataset input
 * gives the model bit-identical values:
 *   model_input[c, ...] = (stored * scale + shift - mean[c]) / std[c]
 * (c: index along the input's first axis; mean and std empty, one value, or one per channel).
 */
import { ElementType, type DatasetInfo, type Preprocessing } from "./gen/deepeverest/v1/index_service_pb.js";

const f = Math.fround;

/** Per-channel mean/std, present in services whose Preprocessing has them. */
type Normalization = Preprocessing & { mean?: number[]; std?: number[] };

/** What an upload's bytes mean in the dataset's stored units: bytes as is, or 0..1 for float data. */
export function storedFromByte(dataset: DatasetInfo): (byte: number) => number {
  return dataset.elementType === ElementType.FLOAT32 ? (b) => f(b / 255) : (b) => b;
}

function perChannel(values: number[] | undefined, channel: number, fallback: number): number {
  if (!values || values.length === 0) {
    return fallback;
  }
  return values.length === 1 ? values[0] : (values[channel] ?? fallback);
}

/** The model input for an upload's bytes (C x ... row-major, C = input_shape[0]). */
export function modelInput(pixels: Uint8Array, dataset: DatasetInfo): Float32Array {
  const pre = dataset.preprocessing as Normalization | undefined;
  const scale = f(pre && pre.scale !== 0 ? pre.scale : 1);
  const shift = f(pre?.shift ?? 0);
  const stored = storedFromByte(dataset);
  const channels = dataset.inputShape.length > 0 ? Number(dataset.inputShape[0]) : 1;
  const perChannelSize = Math.max(1, Math.floor(pixels.length / Math.max(1, channels)));
  const normalized = (pre?.mean?.length ?? 0) > 0 || (pre?.std?.length ?? 0) > 0;
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) {
    let v = f(f(stored(pixels[i]) * scale) + shift);
    if (normalized) {
      const c = Math.floor(i / perChannelSize);
      v = f(f(v - f(perChannel(pre?.mean, c, 0))) / f(perChannel(pre?.std, c, 1)));
    }
    out[i] = v;
  }
  return out;
}

/** A one-line description of the preprocessing, for the target panel. */
export function describePreprocessing(dataset: DatasetInfo): string {
  const pre = dataset.preprocessing as Normalization | undefined;
  const scale = pre && pre.scale !== 0 ? pre.scale : 1;
  const shift = pre?.shift ?? 0;
  const n = (x: number) => String(Number(x.toPrecision(6)));
  let text = dataset.elementType === ElementType.FLOAT32 ? "pixel / 255" : "pixel";
  if (scale !== 1) {
    text += ` × ${n(scale)}`;
  }
  if (shift !== 0) {
    text += ` ${shift < 0 ? "−" : "+"} ${n(Math.abs(shift))}`;
  }
  if ((pre?.mean?.length ?? 0) > 0) {
    text = `(${text} − mean [${pre!.mean!.map(n).join(", ")}])`;
  }
  if ((pre?.std?.length ?? 0) > 0) {
    text += ` / std [${pre!.std!.map(n).join(", ")}]`;
  }
  return text;
}
