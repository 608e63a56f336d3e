/**
 * Step 1 of the form: model, dataset and layer lists (from the IndexService), the selected layer's
 * index (settings and size), and "build index" for a layer without one, with the BuildIndex
 * progress stream on a bar. A finished build refreshes the lists: the layer is queryable at once.
 */
import type { Services } from "./api.js";
import { describeError } from "./api.js";
import { byId, h, replaceChildren } from "./dom.js";
import { clearFieldErrors, showFieldError } from "./errors.js";
import { ago, bytes, count, duration, percent, shape } from "./format.js";
import type { LayerInfo } from "./gen/deepeverest/v1/common_pb.js";
import {
  BuildPhase,
  type BuildProgress,
  type DatasetInfo,
  type IndexInfo,
  type ModelInfo,
} from "./gen/deepeverest/v1/index_service_pb.js";

export interface Selection {
  model: string;
  dataset: string;
  layer: string;
}

export class Catalog {
  models: ModelInfo[] = [];
  datasets: DatasetInfo[] = [];
  layers: LayerInfo[] = [];
  private indexes = new Map<string, IndexInfo>();
  private build: { layer: string; abort: AbortController } | null = null;

  private readonly modelSelect = byId<HTMLSelectElement>("model");
  private readonly datasetSelect = byId<HTMLSelectElement>("dataset");
  private readonly layerSelect = byId<HTMLSelectElement>("layer");
  private readonly info = byId("layer-info");
  private readonly buildPanel = byId("build");

  constructor(
    private readonly services: Services,
    private readonly onChange: () => void,
  ) {
    this.modelSelect.addEventListener("change", () => void this.modelChanged());
    this.datasetSelect.addEventListener("change", () => void this.datasetChanged());
    this.layerSelect.addEventListener("change", () => {
      this.renderInfo();
      this.onChange();
    });
    byId("build-start").addEventListener("click", () => void this.startBuild());
    byId("build-cancel").addEventListener("click", () => this.cancelBuild());
  }

  get selection(): Selection {
    return { model: this.modelSelect.value, dataset: this.datasetSelect.value, layer: this.layerSelect.value };
  }

  get dataset(): DatasetInfo | undefined {
    return this.datasets.find((d) => d.name === this.datasetSelect.value);
  }

  get layer(): LayerInfo | undefined {
    return this.layers.find((l) => l.name === this.layerSelect.value);
  }

  get index(): IndexInfo | undefined {
    return this.indexes.get(this.layerSelect.value);
  }

  get building(): boolean {
    return this.build !== null;
  }

  /** Loads every list, selecting what `preferred` names where it exists. */
  async load(preferred: Selection): Promise<void> {
    const [models, datasets] = await Promise.all([this.services.index.listModels({}), this.services.index.listDatasets({})]);
    this.models = models.models;
    this.datasets = datasets.datasets;
    fill(this.modelSelect, this.models.map((m) => [m.name, `${m.name} · ${m.layerCount} layers`]), preferred.model);
    fill(this.datasetSelect, this.datasets.map((d) => [d.name, `${d.name} · ${count(d.count)} inputs ${shape(d.inputShape)}`]), preferred.dataset);
    await this.loadLayers(preferred.layer);
  }

  /** Selects a layer (e.g. from a URL) if the model has it. */
  select(selection: Partial<Selection>): void {
    if (selection.layer && this.layers.some((l) => l.name === selection.layer)) {
      this.layerSelect.value = selection.layer;
      this.renderInfo();
    }
  }

  private async modelChanged(): Promise<void> {
    await this.guard(() => this.loadLayers(this.layerSelect.value));
    this.onChange();
  }

  private async datasetChanged(): Promise<void> {
    await this.guard(() => this.loadIndexes(this.layerSelect.value));
    this.onChange();
  }

  private async guard(work: () => Promise<void>): Promise<void> {
    try {
      clearFieldErrors();
      await work();
    } catch (e) {
      showFieldError("layer", describeError(e).message);
    }
  }

  private async loadLayers(preferredLayer: string): Promise<void> {
    const model = this.modelSelect.value;
    this.layers = model ? (await this.services.index.listLayers({ model })).layers : [];
    await this.loadIndexes(preferredLayer);
  }

  private async loadIndexes(preferredLayer: string): Promise<void> {
    const { model, dataset } = this.selection;
    this.indexes = new Map();
    if (model && dataset) {
      const response = await this.services.index.listIndexes({ model, dataset });
      for (const index of response.indexes) {
        if (index.layer) {
          this.indexes.set(index.layer.layer, index);
        }
      }
    }
    this.renderLayers(preferredLayer);
  }

  private renderLayers(preferred: string): void {
    const indexed = this.layers.filter((l) => this.indexes.has(l.name));
    const others = this.layers.filter((l) => !this.indexes.has(l.name));
    const option = (l: LayerInfo) => {
      const index = this.indexes.get(l.name);
      const mark = index ? ` · ✓ P${index.partitions}, ratio ${index.ratio}, ${bytes(index.indexBytes)}` : "";
      return h("option", { value: l.name, "data-indexed": index ? "true" : "false" }, `${l.name} · ${l.opType} ${shape(l.shape)}${mark}`);
    };
    replaceChildren(
      this.layerSelect,
      indexed.length > 0 ? h("optgroup", { label: `Indexed (${indexed.length})` }, ...indexed.map(option)) : null,
      others.length > 0 ? h("optgroup", { label: `Not indexed (${others.length})` }, ...others.map(option)) : null,
    );
    const names = this.layers.map((l) => l.name);
    this.layerSelect.value = names.includes(preferred) ? preferred : (indexed[0]?.name ?? names[0] ?? "");
    this.renderInfo();
  }

  private renderInfo(): void {
    const layer = this.layer;
    const index = this.index;
    if (!layer) {
      replaceChildren(this.info, this.models.length === 0 ? "No model is registered yet (deepeverest models upload …)." : "");
      this.buildPanel.hidden = this.build === null;
      return;
    }
    const neurons = `${count(layer.neurons)} neurons per input`;
    if (index) {
      replaceChildren(
        this.info,
        h("span", { class: "badge ok" }, "indexed"),
        " ",
        `${neurons} · ${index.partitions} partitions (${index.bitsPerCode} bits), MAI ratio ${index.ratio} (${count(index.maiPerNeuron)} per neuron) · `,
        h("strong", {}, bytes(index.indexBytes)),
        ` = ${percent(index.storageFraction)} of full materialization (${bytes(index.fullMaterializationBytes)}) · built ${ago(index.builtAtUnixMs)} in ${duration(index.inferenceMs + index.constructionMs)}`,
        index.materialized ? h("span", { class: "badge" }, "materialized") : null,
      );
    } else {
      replaceChildren(
        this.info,
        h("span", { class: "badge warn" }, "not indexed"),
        " ",
        `${neurons}. Without an index every query runs the model over the whole dataset (ReprocessAll). Build one:`,
      );
    }
    this.buildPanel.hidden = index !== undefined && this.build === null;
    byId("build-start").hidden = this.build !== null || index !== undefined;
  }

  private async startBuild(): Promise<void> {
    const { model, dataset, layer } = this.selection;
    if (!layer || this.build) {
      return;
    }
    clearFieldErrors();
    const abort = new AbortController();
    this.build = { layer, abort };
    const bar = byId<HTMLProgressElement>("build-bar");
    const text = byId("build-text");
    byId("build-progress").hidden = false;
    byId("build-cancel").hidden = false;
    byId("build-start").hidden = true;
    bar.value = 0;
    bar.removeAttribute("data-phase");
    text.textContent = `starting the build of ${layer}…`;
    const ratio = byId<HTMLInputElement>("build-ratio").value;
    const budget = byId<HTMLInputElement>("build-budget").value;
    try {
      const stream = this.services.index.buildIndex(
        {
          layer: { model, dataset, layer },
          partitions: Number(byId<HTMLSelectElement>("build-partitions").value),
          ratio: ratio === "" ? undefined : Number(ratio),
          storageBudget: budget === "" ? 0 : Number(budget),
        },
        { signal: abort.signal },
      );
      for await (const progress of stream) {
        bar.value = overall(progress);
        bar.dataset.phase = BuildPhase[progress.phase];
        text.textContent = describe(progress, layer);
      }
      await this.loadIndexes(this.layerSelect.value);
      text.textContent = `${layer}: index published — queryable now.`;
      this.onChange();
    } catch (e) {
      const error = describeError(e);
      bar.value = 0;
      text.textContent = error.cancelled ? "build cancelled; nothing was published." : "build failed.";
      if (!error.cancelled) {
        showFieldError("build", `${error.code}: ${error.message}`);
      }
    } finally {
      this.build = null;
      byId("build-cancel").hidden = true;
      this.renderInfo();
    }
  }

  /** Cancels the build this page started (the service stops it and publishes nothing). */
  cancelBuild(): boolean {
    if (!this.build) {
      return false;
    }
    this.build.abort.abort();
    return true;
  }
}

function fill(select: HTMLSelectElement, items: [string, string][], preferred: string): void {
  replaceChildren(select, ...items.map(([value, label]) => h("option", { value }, label)));
  if (items.some(([value]) => value === preferred)) {
    select.value = preferred;
  }
}

/** One bar over the whole build: inference is most of it, construction the rest. */
function overall(p: BuildProgress): number {
  const inputs = p.inputsTotal > 0n ? Number(p.inputsDone) / Number(p.inputsTotal) : 0;
  const neurons = p.neuronsTotal > 0n ? Number(p.neuronsDone) / Number(p.neuronsTotal) : 0;
  switch (p.phase) {
    case BuildPhase.INFERENCE:
      return 0.7 * inputs;
    case BuildPhase.CONSTRUCTION:
      return 0.7 + 0.27 * neurons;
    case BuildPhase.PUBLISHING:
      return 0.98;
    case BuildPhase.DONE:
      return 1;
    default:
      return 0;
  }
}

function describe(p: BuildProgress, layer: string): string {
  const eta = p.estimatedRemainingMs >= 0n && p.phase !== BuildPhase.DONE ? ` · about ${duration(p.estimatedRemainingMs)} left` : "";
  const note = p.message ? ` (${p.message})` : "";
  switch (p.phase) {
    case BuildPhase.QUEUED:
      return `${layer}: waiting for another build${note}`;
    case BuildPhase.INFERENCE:
      return `${layer}: inference ${count(p.inputsDone)} / ${count(p.inputsTotal)} inputs${eta}${note}`;
    case BuildPhase.CONSTRUCTION:
      return `${layer}: construction ${count(p.neuronsDone)} / ${count(p.neuronsTotal)} neurons${eta}${note}`;
    case BuildPhase.PUBLISHING:
      return `${layer}: publishing${note}`;
    case BuildPhase.DONE:
      return `${layer}: done in ${duration(p.elapsedMs)}${note}`;
    default:
      return `${layer}: ${note}`;
  }
}
