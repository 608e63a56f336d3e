/** How a dataset label is shown: its name when the dataset has names, else its number. */
import type { DatasetInfo } from "./gen/deepeverest/v1/index_service_pb.js";

/** "label 3", a name such as "Sneaker" when the dataset names its labels, or "" when it has none. */
export function labelText(dataset: DatasetInfo, label: number): string {
  if (label < 0 || !dataset.hasLabels) {
    return "";
  }
  const name = labelName(dataset, label);
  return name ?? `label ${label}`;
}

export function labelName(dataset: DatasetInfo, label: number): string | undefined {
  // Datasets imported with label names expose them (one per distinct label, in label order).
  const names = (dataset as DatasetInfo & { labelNames?: string[] }).labelNames;
  if (!names || names.length === 0) {
    return undefined;
  }
  const position = dataset.labels.indexOf(label);
  const name = position >= 0 ? names[position] : undefined;
  return name && name !== "" ? name : undefined;
}
