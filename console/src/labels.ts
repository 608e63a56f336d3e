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
  // Datasets imported with label_names expose them by label.
  const name = dataset.labelNames[label];
  return name && name !== "" ? name : undefined;
}
