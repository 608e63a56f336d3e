/**
 * An uploaded picture in the dataset's stored units. The page does not preprocess it: it sends the
 * stored values as Target.stored_tensor and the service applies the dataset's preprocessing, as it
 * does to a stored input, so a picture of a dataset input gives bit-identical activations. The
 * preprocessing is only described here, for the target panel.
 */
import { ElementType, type DatasetInfo, type Preprocessing } from "./gen/deepeverest/v1/index_service_pb.js";

const f = Math.fround;

/** Per-channel mean/std, present in services whose Preprocessing has them. */
type Normalization = Preprocessing & { mean?: number[]; std?: number[] };

/** What an upload's bytes mean in the dataset's stored units: bytes as is, or 0..1 for float data. */
export function storedFromByte(dataset: DatasetInfo): (byte: number) => number {
  return dataset.elementType === ElementType.FLOAT32 ? (b) => f(b / 255) : (b) => b;
}

/**
 * An upload's bytes in the dataset's stored units, sent as Target.stored_tensor: the service applies
 * the dataset's preprocessing (the page keeps no copy of it).
 */
export function storedValues(pixels: Uint8Array, dataset: DatasetInfo): number[] {
  return Array.from(pixels, storedFromByte(dataset));
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
