/** How a dataset label is shown: its name when the dataset has names, else its number. */
import type { DatasetInfo } from "./gen/deepeverest/v1/index_service_pb.js";

/** A name such as "Sneaker" when the dataset names the label (label_names), else "label 3"; "" when it has no labels. */
export function labelText(dataset: DatasetInfo, label: number): string {
  if (label < 0 || !dataset.hasLabels) {
    return "";
  }
  return dataset.labelNames[label] || `label ${label}`;
}
