/**
 * Server errors shown next to the field they concern. The service's messages name what was wrong
 * ("k must be in 1..1000 (got 0).", "Label 12 does not occur ...", "Neuron 9000 is out of range ...");
 * the page only decides where to show them, and shows anything else in the status line.
 */

/** Field ids with an error slot (#error-<field>). */
export type Field = "layer" | "target" | "group" | "k" | "weights" | "labels" | "strategy" | "batch" | "build" | "import";

const rules: [RegExp, Field][] = [
  [/^k\b|\bk = |\bk\b.*\bresults\b/i, "k"],
  [/\bweights?\b/i, "weights"],
  [/\blabels?\b/i, "labels"],
  [/\bbatch[ _]size\b/i, "batch"],
  [/\b(target|input id)\b/i, "target"],
  [/\b(neuron|group|top:|rectangle|range \[)/i, "group"],
  [/\b(strategy|materiali[sz]ed)\b/i, "strategy"],
  [/\b(layer|model|dataset|index)\b/i, "layer"],
];

/** The field a message concerns, or null when it concerns the whole query. */
export function fieldOf(message: string): Field | null {
  for (const [pattern, field] of rules) {
    if (pattern.test(message)) {
      return field;
    }
  }
  return null;
}

const shown = new Set<Field>();

/** Inputs to focus when their field has an error. */
const inputs: Partial<Record<Field, string>> = { layer: "layer", target: "target-id", k: "k", weights: "weights", strategy: "strategy", batch: "batch-size" };

/** Shows a message under a field; `reveal` scrolls it into view and focuses the field's input. */
export function showFieldError(field: Field, message: string, reveal = false): void {
  const slot = document.getElementById(`error-${field}`);
  if (!slot) {
    return;
  }
  slot.textContent = message;
  slot.classList.add("visible");
  slot.closest("fieldset")?.classList.add("has-error");
  const details = slot.closest("details");
  if (details) {
    details.open = true;
  }
  shown.add(field);
  const input = inputs[field] ? document.getElementById(inputs[field]) : null;
  if (input instanceof HTMLInputElement || input instanceof HTMLSelectElement) {
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", slot.id);
  }
  if (reveal) {
    slot.scrollIntoView({ block: "nearest" });
    input?.focus({ preventScroll: true });
  }
}

export function clearFieldErrors(except?: Field): void {
  for (const field of shown) {
    if (field === except) {
      continue;
    }
    const slot = document.getElementById(`error-${field}`);
    if (slot) {
      slot.textContent = "";
      slot.classList.remove("visible");
    }
    const input = inputs[field] ? document.getElementById(inputs[field]) : null;
    input?.removeAttribute("aria-invalid");
    shown.delete(field);
  }
  for (const fieldset of document.querySelectorAll("fieldset.has-error")) {
    fieldset.classList.toggle("has-error", fieldset.querySelector(".field-error.visible") !== null);
  }
}
