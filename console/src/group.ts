/**
 * Step 3 of the form: the neuron group. Either the target's top-m neurons (slider), or neurons and
 * whole channels picked on the target's activation maps (GetActivations: one small heatmap per
 * channel; click a cell to toggle a neuron, a channel's title to toggle the whole channel) or
 * typed ("c5", "5.1.2", "n123"). The group is shown as chips either way.
 */
import type { Services } from "./api.js";
import { describeError } from "./api.js";
import { byId, h, replaceChildren } from "./dom.js";
import { clearFieldErrors, showFieldError } from "./errors.js";
import { count, score } from "./format.js";
import type { LayerInfo } from "./gen/deepeverest/v1/common_pb.js";
import { heat, range } from "./image.js";
import type { TargetInit } from "./request.js";
import type { GroupSpec } from "./state.js";

interface Activations {
  key: string;
  values: Float32Array;
  top: number[];
}

/** How a layer's neurons are laid out as maps: channels along dim 0, each a rows x cols grid. */
export interface MapLayout {
  channels: number;
  rows: number;
  cols: number;
  /** Whether whole channels can be picked (a layer with at least two dimensions). */
  channelPicks: boolean;
}

export function mapLayout(shape: readonly number[]): MapLayout {
  if (shape.length === 0) {
    return { channels: 1, rows: 1, cols: 1, channelPicks: false };
  }
  if (shape.length === 1) {
    const cols = Math.ceil(Math.sqrt(shape[0]));
    return { channels: 1, rows: Math.ceil(shape[0] / cols), cols, channelPicks: false };
  }
  const per = shape.slice(1).reduce((a, b) => a * b, 1);
  if (shape.length === 3) {
    return { channels: shape[0], rows: shape[1], cols: shape[2], channelPicks: true };
  }
  const cols = Math.ceil(Math.sqrt(per));
  return { channels: shape[0], rows: Math.ceil(per / cols), cols, channelPicks: true };
}

/** Coordinates of a flat index, e.g. "(77, 1, 2)". */
export function coordinates(flat: number, shape: readonly number[]): string {
  const c: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) {
    c[d] = flat % shape[d];
    flat = Math.floor(flat / shape[d]);
  }
  return `(${c.join(", ")})`;
}

export class GroupPanel {
  group: GroupSpec = { kind: "top", m: 3 };
  private layer: LayerInfo | undefined;
  private layerRef = { model: "", dataset: "", layer: "" };
  private target: { key: string; message: TargetInit | undefined } = { key: "", message: undefined };
  private activations: Activations | null = null;
  private loading: string | null = null;
  private readonly slider = byId<HTMLInputElement>("top-m-value");
  private readonly chips = byId("chips");
  private readonly maps = byId<HTMLDetailsElement>("maps");
  private readonly grid = byId("maps-grid");
  private readonly canvases = new Map<number, HTMLCanvasElement>();

  constructor(
    private readonly services: Services,
    private readonly onChange: () => void,
  ) {
    for (const radio of document.querySelectorAll<HTMLInputElement>("input[name=group-mode]")) {
      radio.addEventListener("change", () => {
        this.setMode(radio.value === "pick" ? "pick" : "top");
        this.onChange();
      });
    }
    this.slider.addEventListener("input", () => {
      this.group = { kind: "top", m: Number(this.slider.value) };
      byId("top-m-out").textContent = this.slider.value;
      this.render();
      this.onChange();
    });
    this.maps.addEventListener("toggle", () => void this.refresh());
    const add = byId<HTMLInputElement>("group-add");
    add.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
        e.preventDefault();
        if (this.addTyped(add.value)) {
          add.value = "";
        }
      }
    });
  }

  set(group: GroupSpec): void {
    this.group = group.kind === "top" ? group : { kind: "pick", channels: [...group.channels], neurons: [...group.neurons] };
    for (const radio of document.querySelectorAll<HTMLInputElement>("input[name=group-mode]")) {
      radio.checked = radio.value === group.kind;
    }
    if (group.kind === "top") {
      this.slider.value = String(group.m);
      byId("top-m-out").textContent = String(group.m);
    }
    this.render();
  }

  /** The layer or the target changed: reload the activation maps if they are shown. */
  setContext(layerRef: { model: string; dataset: string; layer: string }, layer: LayerInfo | undefined, targetKey: string, target: TargetInit | undefined): void {
    const before = this.layerRef;
    const layerChanged = before.layer !== "" && (layerRef.layer !== before.layer || layerRef.model !== before.model || layerRef.dataset !== before.dataset);
    this.layerRef = layerRef;
    this.layer = layer;
    this.target = { key: targetKey, message: target };
    if (layer) {
      this.slider.max = String(Math.max(1, Math.min(256, Number(layer.neurons))));
    }
    if (layerChanged && this.group.kind === "pick") {
      // Picks are positions in one layer; they mean nothing in another.
      this.group = { kind: "pick", channels: [], neurons: [] };
    }
    void this.refresh();
  }

  private get shape(): number[] {
    return this.layer?.shape.map(Number) ?? [];
  }

  private setMode(mode: "top" | "pick"): void {
    if (mode === this.group.kind) {
      return;
    }
    this.group = mode === "top" ? { kind: "top", m: Number(this.slider.value) } : { kind: "pick", channels: [], neurons: [] };
    if (mode === "pick") {
      this.maps.open = true;
    }
    this.render();
  }

  private async refresh(): Promise<void> {
    const need = this.maps.open || this.group.kind === "top";
    const key = `${this.layerRef.model}|${this.layerRef.dataset}|${this.layerRef.layer}|${this.target.key}`;
    if (!need || !this.target.message || !this.layer) {
      this.activations = null;
      this.render();
      return;
    }
    if (this.activations?.key === key || this.loading === key) {
      this.render();
      return;
    }
    this.loading = key;
    byId("maps-hint").textContent = "loading…";
    try {
      const response = await this.services.query.getActivations({ layer: this.layerRef, target: this.target.message, topM: 256 });
      if (this.loading !== key) {
        return;
      }
      this.activations = { key, values: Float32Array.from(response.values), top: response.topNeurons.map(Number) };
      byId("maps-hint").textContent = "";
    } catch (e) {
      if (this.loading === key) {
        this.activations = null;
        const error = describeError(e);
        byId("maps-hint").textContent = "";
        showFieldError("group", `activations: ${error.message}`);
      }
    } finally {
      if (this.loading === key) {
        this.loading = null;
      }
    }
    this.render();
  }

  private render(): void {
    this.renderChips();
    byId("top-m").hidden = this.group.kind !== "top";
    byId<HTMLInputElement>("group-add").hidden = this.group.kind !== "pick";
    if (this.maps.open) {
      this.renderMaps();
    }
  }

  private selected(): Set<number> {
    const shape = this.shape;
    if (this.group.kind === "top") {
      return new Set(this.activations?.top.slice(0, this.group.m) ?? []);
    }
    const per = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const set = new Set(this.group.neurons);
    for (const c of this.group.channels) {
      for (let i = 0; i < per; i++) {
        set.add(c * per + i);
      }
    }
    return set;
  }

  private renderChips(): void {
    const shape = this.shape;
    const values = this.activations?.values;
    const valueOf = (n: number) => (values && n < values.length ? ` = ${score(Number(values[n].toPrecision(4)))}` : "");
    if (this.group.kind === "top") {
      const top = this.activations?.top.slice(0, this.group.m) ?? [];
      replaceChildren(
        this.chips,
        top.length === 0
          ? h("span", { class: "hint" }, this.target.message ? `the target's ${this.group.m} most activated neurons` : "needs a target")
          : null,
        ...top.map((n, i) => h("span", { class: "chip readonly", title: `neuron ${n}${valueOf(n)}` }, `${i + 1}. n${n} ${coordinates(n, shape)}`)),
      );
      return;
    }
    const group = this.group;
    const per = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const remove = (kind: "c" | "n", value: number) => () => {
      if (kind === "c") {
        group.channels = group.channels.filter((x) => x !== value);
      } else {
        group.neurons = group.neurons.filter((x) => x !== value);
      }
      this.render();
      this.onChange();
    };
    const chip = (text: string, title: string, onRemove: () => void) =>
      h("span", { class: "chip", title }, text, h("button", { type: "button", class: "chip-x", "aria-label": `remove ${text}`, onclick: onRemove }, "×"));
    const size = group.channels.length * per + group.neurons.filter((n) => !group.channels.includes(Math.floor(n / per))).length;
    replaceChildren(
      this.chips,
      ...group.channels.map((c) => chip(`channel ${c}`, `all ${count(per)} neurons of channel ${c}`, remove("c", c))),
      ...group.neurons.map((n) => chip(`n${n} ${coordinates(n, shape)}`, `neuron ${n}${valueOf(n)}`, remove("n", n))),
      group.channels.length + group.neurons.length === 0
        ? h("span", { class: "hint" }, "click cells (neurons) or channel titles on the map below, or type them")
        : h("span", { class: "hint group-size" }, `${count(size)} neuron${size === 1 ? "" : "s"}`),
    );
  }

  private renderMaps(): void {
    const shape = this.shape;
    const acts = this.activations;
    this.canvases.clear();
    if (!this.layer || !acts) {
      replaceChildren(this.grid, h("p", { class: "hint" }, this.target.message ? "loading…" : "Choose a target to see its activations at this layer."));
      return;
    }
    const layout = mapLayout(shape);
    const [lo, hi] = range(acts.values);
    const per = layout.rows * layout.cols;
    const selected = this.selected();
    const tiles: HTMLElement[] = [];
    const perChannel = shape.length >= 2 ? shape.slice(1).reduce((a, b) => a * b, 1) : Number(this.layer.neurons);
    for (let c = 0; c < layout.channels; c++) {
      const [, max] = range(acts.values, c * perChannel, perChannel);
      const canvas = this.drawChannel(acts.values, c, perChannel, layout, lo, hi, selected);
      canvas.addEventListener("click", (e) => this.cellClicked(e, canvas, c, layout, perChannel));
      const whole = this.group.kind === "pick" && this.group.channels.includes(c);
      const title = layout.channelPicks
        ? h("button", { type: "button", class: `map-title${whole ? " on" : ""}`, title: `take all of channel ${c} (max ${score(Number(max.toPrecision(4)))})`, onclick: () => this.toggleChannel(c) }, `c${c}`)
        : h("span", { class: "map-title" }, `${count(per)} neurons`);
      tiles.push(h("div", { class: "map", "data-channel": c }, title, canvas));
    }
    replaceChildren(
      this.grid,
      h("p", { class: "hint" }, `${layout.channels} × ${layout.rows}×${layout.cols} · colour scale ${score(Number(lo.toPrecision(3)))} … ${score(Number(hi.toPrecision(3)))}`),
      h("div", { class: "map-tiles" }, ...tiles),
    );
  }

  private drawChannel(values: Float32Array, c: number, perChannel: number, layout: MapLayout, lo: number, hi: number, selected: Set<number>): HTMLCanvasElement {
    const cell = Math.max(2, Math.min(16, Math.floor(64 / Math.max(layout.rows, layout.cols))));
    const canvas = h("canvas", { width: layout.cols * cell, height: layout.rows * cell, class: "map-canvas" });
    const ctx = canvas.getContext("2d");
    if (!ctx) {
      return canvas;
    }
    for (let i = 0; i < layout.rows * layout.cols; i++) {
      const flat = c * perChannel + i;
      const x = (i % layout.cols) * cell;
      const y = Math.floor(i / layout.cols) * cell;
      const [r, g, b] = i < perChannel ? heat(values[flat], lo, hi) : [30, 30, 36];
      ctx.fillStyle = `rgb(${r},${g},${b})`;
      ctx.fillRect(x, y, cell, cell);
      if (i < perChannel && selected.has(flat)) {
        ctx.strokeStyle = "#ff4d6d";
        ctx.lineWidth = Math.max(1, cell / 5);
        ctx.strokeRect(x + ctx.lineWidth / 2, y + ctx.lineWidth / 2, cell - ctx.lineWidth, cell - ctx.lineWidth);
      }
    }
    this.canvases.set(c, canvas);
    return canvas;
  }

  private cellClicked(e: MouseEvent, canvas: HTMLCanvasElement, c: number, layout: MapLayout, perChannel: number): void {
    const rect = canvas.getBoundingClientRect();
    const col = Math.floor(((e.clientX - rect.left) / rect.width) * layout.cols);
    const row = Math.floor(((e.clientY - rect.top) / rect.height) * layout.rows);
    const i = row * layout.cols + col;
    if (col < 0 || row < 0 || col >= layout.cols || i >= perChannel) {
      return;
    }
    this.toggleNeuron(c * perChannel + i);
  }

  private ensurePick(): GroupSpec & { kind: "pick" } {
    if (this.group.kind !== "pick") {
      this.set({ kind: "pick", channels: [], neurons: [] });
    }
    return this.group as GroupSpec & { kind: "pick" };
  }

  toggleNeuron(flat: number): void {
    clearFieldErrors();
    const group = this.ensurePick();
    group.neurons = group.neurons.includes(flat) ? group.neurons.filter((x) => x !== flat) : [...group.neurons, flat];
    this.render();
    this.onChange();
  }

  toggleChannel(c: number): void {
    clearFieldErrors();
    const group = this.ensurePick();
    group.channels = group.channels.includes(c) ? group.channels.filter((x) => x !== c) : [...group.channels, c];
    this.render();
    this.onChange();
  }

  /** Adds typed items: "c5" (channel), "5.1.2" (coordinates), "n123" or "123" (flat); false when one is not understood. */
  private addTyped(text: string): boolean {
    const shape = this.shape;
    const neurons = shape.reduce((a, b) => a * b, 1);
    const group = this.ensurePick();
    for (const item of text.split(/[\s,;]+/).filter((x) => x !== "")) {
      const channel = /^c(\d+)$/i.exec(item);
      const flat = /^n?(\d+)$/i.exec(item);
      const coords = /^\d+(\.\d+)+$/.test(item) ? item.split(".").map(Number) : null;
      if (channel && shape.length >= 2 && Number(channel[1]) < shape[0]) {
        const c = Number(channel[1]);
        if (!group.channels.includes(c)) {
          group.channels.push(c);
        }
      } else if (flat && Number(flat[1]) < neurons) {
        const n = Number(flat[1]);
        if (!group.neurons.includes(n)) {
          group.neurons.push(n);
        }
      } else if (coords && coords.length === shape.length && coords.every((v, d) => v < shape[d])) {
        const n = coords.reduce((acc, v, d) => acc * shape[d] + v, 0);
        if (!group.neurons.includes(n)) {
          group.neurons.push(n);
        }
      } else {
        showFieldError("group", `'${item}' is not a neuron of this layer ${JSON.stringify(shape)}: use c5, ${shape.map(() => 0).join(".")} or n123`);
        this.render();
        return false;
      }
    }
    clearFieldErrors();
    this.render();
    this.onChange();
    return true;
  }
}
