/**
 * The "Import an image folder" form as an ImportDatasetRequest, and its progress as text. Only
 * what the form needs to build a message is checked here (numbers must be numbers); whether the
 * folder, name, shape and preprocessing are acceptable is the IndexService's to say.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ImportDatasetRequestSchema, ImportProgress } from "./gen/deepeverest/v1/index_service_pb.js";
import { count, duration, shape } from "./format.js";
import { FieldError } from "./request.js";

export type ImportInit = MessageInitShape<typeof ImportDatasetRequestSchema>;

/** The form's fields as typed. */
export interface ImportFields {
  /** Folder under the service's data root, as the CLI's --image-folder takes it. */
  folder: string;
  name: string;
  /** C,H,W, e.g. "1,28,28"; the service requires it for an image folder. */
  inputShape: string;
  /** A number or a fraction such as "1/255"; empty = the service's default (1). */
  scale: string;
  /** Comma-separated numbers or fractions; empty = none. */
  mean: string;
  std: string;
  replace: boolean;
}

/** The request, with the text fields passed on as typed (trimmed). */
export function importRequest(fields: ImportFields): ImportInit {
  const scale = fields.scale.trim();
  return {
    name: fields.name.trim(),
    imageFolder: fields.folder.trim(),
    inputShape: list(fields.inputShape).map((d) => {
      if (!/^\d+$/.test(d)) {
        throw new FieldError("import", `input shape '${fields.inputShape.trim()}' is not a list of whole numbers, e.g. 1,28,28`);
      }
      return BigInt(d);
    }),
    preprocessing: {
      scale: scale === "" ? 0 : number(scale, "scale"),
      mean: list(fields.mean).map((v) => number(v, "mean")),
      std: list(fields.std).map((v) => number(v, "std")),
    },
    replace: fields.replace,
  };
}

/** How far the import is, 0..1: bytes read of the images' bytes, else inputs written. */
export function importFraction(p: ImportProgress): number {
  if (p.dataset) {
    return 1;
  }
  if (p.bytesTotal > 0n) {
    return Number(p.bytesDone) / Number(p.bytesTotal);
  }
  return p.inputsTotal > 0n ? Number(p.inputsDone) / Number(p.inputsTotal) : 0;
}

/** One line for the progress text; the last message names what was stored. */
export function importText(p: ImportProgress, name: string): string {
  const d = p.dataset;
  if (d) {
    const labels = d.hasLabels ? `, ${d.labels.length} labels` : "";
    return `${d.name}: imported ${count(d.count)} inputs ${shape(d.inputShape)}${labels} in ${duration(p.elapsedMs)} — selected above, queryable now.`;
  }
  const eta = p.estimatedRemainingMs >= 0n ? ` · about ${duration(p.estimatedRemainingMs)} left` : "";
  const note = p.message ? ` (${p.message})` : "";
  return `${name}: ${count(p.inputsDone)} / ${count(p.inputsTotal)} images, class ${p.partsDone} / ${p.partsTotal}${eta}${note}`;
}

function list(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** A number or a fraction a/b, as the CLI's --scale, --mean and --std take them. */
function number(text: string, field: string): number {
  const parts = text.split("/").map((s) => s.trim());
  const values = parts.map((s) => (s === "" ? NaN : Number(s)));
  const value = values.length === 1 ? values[0] : values.length === 2 ? values[0] / values[1] : NaN;
  if (!Number.isFinite(value)) {
    throw new FieldError("import", `${field} '${text}' is not a number or a fraction like 1/255`);
  }
  return value;
}
