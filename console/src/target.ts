/**
 * Step 2 of the form: the target. A dataset id (typed, random, or any picture clicked on the page)
 * or an uploaded PNG/JPEG, decoded and resized in the browser to the dataset's input shape, and
 * sent in the dataset's stored units (Target.stored_tensor): the service preprocesses it.
 */
import { byId, h, replaceChildren } from "./dom.js";
import { clearFieldErrors, showFieldError } from "./errors.js";
import { count, shape } from "./format.js";
import type { DatasetInfo } from "./gen/deepeverest/v1/index_service_pb.js";
import { decodeUpload, drawInput, imageLayout } from "./image.js";
import { labelText } from "./labels.js";
import type { Pictures } from "./pictures.js";
import { describePreprocessing, storedValues } from "./preprocess.js";
import type { TargetInit } from "./request.js";
import { maxUrlPixels, type TargetSpec } from "./state.js";

export class TargetPanel {
  target: TargetSpec = { kind: "none" };
  private dataset: DatasetInfo | undefined;
  private readonly idInput = byId<HTMLInputElement>("target-id");
  private readonly preview = byId("target-preview");
  private readonly fileInput = byId<HTMLInputElement>("target-file");

  constructor(
    private readonly pictures: Pictures,
    private readonly onChange: () => void,
  ) {
    this.idInput.addEventListener("change", () => this.typed());
    this.idInput.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        this.typed();
      }
    });
    byId("target-random").addEventListener("click", () => this.random());
    this.fileInput.addEventListener("change", () => {
      const file = this.fileInput.files?.[0];
      if (file) {
        void this.upload(file);
      }
      this.fileInput.value = "";
    });
    const panel = byId("panel-target");
    panel.addEventListener("dragover", (e) => {
      e.preventDefault();
      panel.classList.add("dropping");
    });
    panel.addEventListener("dragleave", () => panel.classList.remove("dropping"));
    panel.addEventListener("drop", (e) => {
      e.preventDefault();
      panel.classList.remove("dropping");
      const file = e.dataTransfer?.files[0];
      if (file) {
        void this.upload(file);
      }
    });
    document.addEventListener("paste", (e) => {
      const file = [...(e.clipboardData?.files ?? [])].find((f) => f.type.startsWith("image/"));
      if (file) {
        e.preventDefault();
        void this.upload(file);
      }
    });
  }

  /** The dataset changed: targets are per dataset, and uploads depend on its input shape. */
  setDataset(dataset: DatasetInfo | undefined): void {
    const changed = this.dataset?.name !== dataset?.name;
    this.dataset = dataset;
    const layout = dataset ? imageLayout(dataset.inputShape.map(Number)) : null;
    byId("target-hint").textContent = layout
      ? `Or click any picture on the page; drop or paste an image here (resized to ${layout.w}×${layout.h}, ${layout.c === 1 ? "grey" : "RGB"}; ${describePreprocessing(dataset!)}).`
      : "Or click any picture on the page. (This dataset's inputs are not images: no uploads.)";
    if (changed) {
      this.render();
    }
  }

  set(target: TargetSpec): void {
    this.target = target;
    this.idInput.value = target.kind === "id" ? String(target.id) : "";
    this.render();
  }

  /** Makes a dataset input the target (a click on any picture). */
  pick(id: number): void {
    clearFieldErrors();
    this.set({ kind: "id", id });
    this.onChange();
  }

  random(): void {
    const n = this.dataset ? Number(this.dataset.count) : 0;
    if (n > 0) {
      this.pick(Math.floor(Math.random() * n));
    }
  }

  /** The Target message, or undefined when there is none. */
  message(): TargetInit | undefined {
    const t = this.target;
    if (t.kind === "id") {
      return { source: { case: "inputId", value: BigInt(t.id) } };
    }
    if (t.kind === "upload" && this.dataset) {
      return { source: { case: "storedTensor", value: { shape: this.dataset.inputShape, values: storedValues(t.pixels, this.dataset) } } };
    }
    return undefined;
  }

  private typed(): void {
    const text = this.idInput.value.trim();
    if (text === "") {
      this.set({ kind: "none" });
      this.onChange();
      return;
    }
    const id = Number(text);
    if (!Number.isSafeInteger(id) || id < 0) {
      showFieldError("target", `'${text}' is not an input id (0 or more)`);
      return;
    }
    this.pick(id);
  }

  private async upload(file: File): Promise<void> {
    clearFieldErrors();
    const dataset = this.dataset;
    const layout = dataset ? imageLayout(dataset.inputShape.map(Number)) : null;
    if (!dataset || !layout) {
      showFieldError("target", "this dataset's inputs are not images: upload is not possible");
      return;
    }
    if (!/^image\/(png|jpeg)$/.test(file.type) && !/\.(png|jpe?g)$/i.test(file.name)) {
      showFieldError("target", `${file.name} is not a PNG or JPEG image`);
      return;
    }
    try {
      const pixels = await decodeUpload(file, layout);
      this.set({ kind: "upload", pixels, name: file.name });
      this.onChange();
    } catch (e) {
      showFieldError("target", `${file.name} could not be decoded: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private render(): void {
    const t = this.target;
    const dataset = this.dataset;
    // include_target excludes or keeps the target's own dataset id; an upload has none.
    const include = document.getElementById("include-target") as HTMLInputElement | null;
    if (include) {
      include.disabled = t.kind === "upload";
      include.title = include.disabled ? "An uploaded image is not one of the dataset's inputs: there is no id to include or exclude." : "";
    }
    if (!dataset || t.kind === "none") {
      replaceChildren(this.preview, h("div", { class: "picture-frame lg empty" }, "no target"));
      return;
    }
    if (t.kind === "id") {
      const caption = h("div", { class: "caption" }, `input ${count(t.id)}`);
      replaceChildren(this.preview, this.pictures.element(dataset, t.id, null, "lg"), caption);
      if (t.id < Number(dataset.count)) {
        this.pictures
          .get(dataset.name, t.id)
          .then((stored) => {
            const label = labelText(dataset, stored.label);
            caption.textContent = `input ${count(t.id)}${label ? ` · ${label}` : ""}`;
          })
          .catch(() => undefined);
      }
      return;
    }
    const canvas = drawInput(t.pixels, dataset.inputShape.map(Number), "uint8");
    replaceChildren(
      this.preview,
      h("div", { class: "picture-frame lg" }, canvas),
      h(
        "div",
        { class: "caption", title: t.pixels.length > maxUrlPixels ? "too large for the address bar: a reload asks for the file again" : "" },
        `${t.name} → ${shape(dataset.inputShape)}`,
      ),
    );
  }
}
