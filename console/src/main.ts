/**
 * The console page: wires the four form steps (layer, target, group, query) to the QueryService's
 * streams and keeps the whole query in the URL (a reload or a shared link runs it again).
 */
import { connect, describeError, type Services } from "./api.js";
import { Catalog } from "./catalog.js";
import { byId, h, replaceChildren } from "./dom.js";
import { clearFieldErrors, fieldOf, showFieldError } from "./errors.js";
import { count, duration, percent } from "./format.js";
import { GroupPanel } from "./group.js";
import { ImportPanel } from "./importer.js";
import { Pictures } from "./pictures.js";
import { FieldError, highestRequest, similarRequest } from "./request.js";
import { RunView } from "./results.js";
import {
  fromSearch,
  strategies,
  strategyLabels,
  targetToText,
  toSearch,
  type AggregateName,
  type DistanceName,
  type Kind,
  type QueryState,
  type StrategyName,
} from "./state.js";
import { TargetPanel } from "./target.js";

const input = (id: string) => byId<HTMLInputElement>(id);
const select = (id: string) => byId<HTMLSelectElement>(id);

class App {
  private readonly pictures: Pictures;
  private readonly catalog: Catalog;
  private readonly target: TargetPanel;
  private readonly group: GroupPanel;
  private labels: number[] = [];
  private running: AbortController | null = null;
  private restoring = false;

  constructor(private readonly services: Services) {
    this.pictures = new Pictures(services);
    this.catalog = new Catalog(services, () => this.contextChanged());
    this.target = new TargetPanel(this.pictures, () => this.contextChanged());
    this.group = new GroupPanel(services, () => this.changed());
    new ImportPanel(services, this.catalog, () => this.contextChanged());
    this.wireForm();
  }

  async start(): Promise<void> {
    this.renderServices(null);
    // Read before loading: the catalog and apply() write the form's state into the URL.
    const linked = window.location.search !== "";
    const state = fromSearch(window.location.search);
    const loaded = await this.loadCatalog(state);
    this.apply(state);
    if (loaded && linked) {
      // A link or a reload: run the query it holds.
      void this.run(state.compare !== "");
    }
  }

  private async loadCatalog(state: QueryState): Promise<boolean> {
    try {
      await this.catalog.load(state);
      this.renderServices(true);
      byId("banner").hidden = true;
      return true;
    } catch (e) {
      const error = describeError(e);
      this.renderServices(false);
      const banner = byId("banner");
      replaceChildren(
        banner,
        `The IndexService at ${this.services.indexUrl} did not answer the lists: ${error.code}: ${error.message} `,
        h("button", { type: "button", class: "secondary", onclick: () => void this.loadCatalog(this.state()).then(() => this.contextChanged()) }, "Retry"),
      );
      banner.hidden = false;
      return false;
    }
  }

  private renderServices(ok: boolean | null): void {
    const dot = ok === null ? "pending" : ok ? "up" : "down";
    replaceChildren(
      byId("services"),
      h("span", { class: `service ${dot}`, title: "QueryService (gRPC-Web)" }, "query ", h("code", {}, this.services.queryUrl.replace(/^https?:\/\//, ""))),
      h("span", { class: `service ${dot}`, title: "IndexService (gRPC-Web)" }, "index ", h("code", {}, this.services.indexUrl.replace(/^https?:\/\//, ""))),
    );
  }

  // ---- form state -------------------------------------------------------------------------

  private wireForm(): void {
    const strategySelect = select("strategy");
    const compareSelect = select("compare-with");
    for (const s of strategies) {
      strategySelect.append(h("option", { value: s }, strategyLabels[s]));
      compareSelect.append(h("option", { value: s }, strategyLabels[s]));
    }
    const form = byId<HTMLFormElement>("builder");
    form.addEventListener("submit", (e) => {
      e.preventDefault();
      void this.run(false);
    });
    form.addEventListener("change", (e) => {
      if ((e.target as Element).closest("#import")) {
        return; // the import panel's fields are not part of the query
      }
      const id = (e.target as HTMLElement).id;
      if (!["model", "dataset", "layer", "target-id", "target-file", "top-m-value", "group-add"].includes(id)) {
        this.changed();
      }
    });
    for (const radio of document.querySelectorAll<HTMLInputElement>("input[name=kind]")) {
      radio.addEventListener("change", () => this.renderKind());
    }
    byId("cancel").addEventListener("click", () => this.cancel());
    byId("compare").addEventListener("click", () => void this.run(true));
    const help = byId("help");
    byId("help-button").addEventListener("click", () => {
      help.hidden = !help.hidden;
      byId("help-button").setAttribute("aria-expanded", String(!help.hidden));
    });
    document.addEventListener("keydown", (e) => {
      const typing = e.target instanceof HTMLInputElement && e.target.type !== "checkbox" && e.target.type !== "radio";
      if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        void this.run(false);
      } else if (e.key === "Escape") {
        if (!this.cancel()) {
          this.catalog.cancelBuild();
        }
      } else if (e.altKey && (e.key === "r" || e.key === "R")) {
        e.preventDefault();
        this.target.random();
      } else if (e.key === "?" && !typing) {
        byId("help-button").click();
      }
    });
    window.addEventListener("popstate", () => void this.restore());
  }

  /** Back/forward: the form takes the entry's query and runs it. */
  private async restore(): Promise<void> {
    const state = fromSearch(window.location.search);
    const current = this.catalog.selection;
    if (state.model !== current.model || state.dataset !== current.dataset) {
      if (!(await this.loadCatalog(state))) {
        return;
      }
    } else {
      this.catalog.select(state);
    }
    this.apply(state);
    if (window.location.search !== "") {
      void this.run(state.compare !== "", false);
    }
  }

  private get kind(): Kind {
    return document.querySelector<HTMLInputElement>("input[name=kind]:checked")?.value === "highest" ? "highest" : "similar";
  }

  /** The form as a QueryState. */
  state(): QueryState {
    const sel = this.catalog.selection;
    const k = input("k").value.trim();
    return {
      ...sel,
      kind: this.kind,
      target: this.target.target,
      group: this.group.group,
      distance: select("distance").value as DistanceName,
      aggregate: select("aggregate").value as AggregateName,
      weights: input("weights").value,
      k: k === "" ? 0 : Math.trunc(Number(k)),
      labels: this.labels,
      strategy: select("strategy").value as StrategyName,
      includeTarget: input("include-target").checked,
      batchSize: Math.max(0, Math.trunc(Number(input("batch-size").value) || 0)),
      updateIntervalMs: Math.max(0, Math.trunc(Number(input("update-interval").value) || 0)),
      noCache: input("no-cache").checked,
      compare: select("compare-with").value as StrategyName | "",
    };
  }

  /** Puts a QueryState into the form (the lists must be loaded). */
  private apply(s: QueryState): void {
    this.restoring = true;
    for (const radio of document.querySelectorAll<HTMLInputElement>("input[name=kind]")) {
      radio.checked = radio.value === s.kind;
    }
    select("distance").value = s.distance;
    select("aggregate").value = s.aggregate;
    input("weights").value = s.weights;
    input("k").value = String(s.k);
    this.labels = [...s.labels];
    select("strategy").value = s.strategy;
    input("include-target").checked = s.includeTarget;
    input("batch-size").value = s.batchSize === 0 ? "" : String(s.batchSize);
    input("update-interval").value = s.updateIntervalMs === 0 ? "" : String(s.updateIntervalMs);
    input("no-cache").checked = s.noCache;
    select("compare-with").value = s.compare;
    this.target.setDataset(this.catalog.dataset);
    this.target.set(s.target);
    this.group.set(s.group);
    this.restoring = false;
    this.renderKind();
    this.contextChanged();
  }

  private renderKind(): void {
    const similar = this.kind === "similar";
    for (const el of document.querySelectorAll<HTMLElement>(".only-similar")) {
      el.hidden = !similar;
    }
    for (const el of document.querySelectorAll<HTMLElement>(".only-highest")) {
      el.hidden = similar;
    }
    this.changed();
  }

  /** Layer, dataset or target changed: the panels that depend on them follow. */
  private contextChanged(): void {
    const dataset = this.catalog.dataset;
    this.target.setDataset(dataset);
    this.renderLabels();
    this.group.setContext(this.catalog.selection, this.catalog.layer, targetToText(this.target.target), this.target.message());
    this.changed();
  }

  private renderLabels(): void {
    const dataset = this.catalog.dataset;
    const box = byId("labels");
    if (!dataset || !dataset.hasLabels) {
      replaceChildren(box, h("span", { class: "hint" }, "this dataset has no labels"));
      return;
    }
    this.labels = this.labels.filter((l) => dataset.labels.includes(l));
    const toggle = (label: number) => () => {
      this.labels = this.labels.includes(label) ? this.labels.filter((x) => x !== label) : [...this.labels, label].sort((a, b) => a - b);
      this.renderLabels();
      this.changed();
    };
    replaceChildren(
      box,
      h("span", { class: "hint" }, this.labels.length === 0 ? "all" : `${this.labels.length} of ${dataset.labels.length}`),
      ...dataset.labels.map((l) =>
        h("button", { type: "button", class: "toggle", "aria-pressed": String(this.labels.includes(l)), "data-label": l, onclick: toggle(l) }, String(l)),
      ),
    );
  }

  /** Keeps the URL in step with the form (replacing the entry: only runs add history). */
  private changed(): void {
    if (this.restoring) {
      return;
    }
    const search = toSearch(this.state());
    if (search !== window.location.search) {
      history.replaceState(null, "", `${window.location.pathname}${search}`);
    }
  }

  // ---- running ----------------------------------------------------------------------------

  /** Cancels the running query (or comparison); false when none runs. */
  cancel(): boolean {
    if (!this.running) {
      return false;
    }
    this.running.abort();
    return true;
  }

  private setStatus(kind: "idle" | "running" | "done" | "cancelled" | "error", text: string): void {
    const pill = byId("status-pill");
    pill.className = `pill ${kind}`;
    pill.textContent = kind;
    byId("status-text").textContent = text;
  }

  async run(compare: boolean, pushHistory = true): Promise<void> {
    if (this.running) {
      this.running.abort();
    }
    clearFieldErrors();
    const s = this.state();
    const dataset = this.catalog.dataset;
    const layer = this.catalog.layer;
    if (!dataset || !layer) {
      showFieldError("layer", "choose a model, a dataset and a layer");
      return;
    }
    let order: StrategyName[] = [s.strategy];
    if (compare) {
      const other = s.compare !== "" && s.compare !== s.strategy ? s.compare : s.strategy === "bounds" ? "nta" : "bounds";
      select("compare-with").value = other;
      s.compare = other;
      order = [s.strategy, other];
    } else {
      s.compare = "";
      select("compare-with").value = "";
    }
    const shape = layer.shape.map(Number);
    const target = this.target.message();
    let requests;
    try {
      requests = order.map((strategy) =>
        s.kind === "similar"
          ? { kind: "similar" as const, strategy, request: similarRequest(s, target, shape, strategy, compare || s.noCache) }
          : { kind: "highest" as const, strategy, request: highestRequest(s, target, shape, strategy, compare || s.noCache) },
      );
    } catch (e) {
      if (e instanceof FieldError) {
        showFieldError(e.field as Parameters<typeof showFieldError>[0], e.message, true);
        this.setStatus("error", e.message);
        return;
      }
      throw e;
    }

    const search = toSearch(s);
    if (pushHistory && search !== window.location.search) {
      history.pushState(null, "", `${window.location.pathname}${search}`);
    } else {
      history.replaceState(null, "", `${window.location.pathname}${search}`);
    }

    const abort = new AbortController();
    this.running = abort;
    byId<HTMLButtonElement>("cancel").disabled = false;
    const runs = byId("runs");
    runs.className = compare ? "runs compare" : "runs";
    const views = requests.map(
      (r) => new RunView(s.kind, s.k, compare ? `${strategyLabels[r.strategy]} · cold cache` : strategyLabels[r.strategy], dataset, this.pictures, (id) => this.target.pick(id)),
    );
    replaceChildren(runs, ...views.map((v) => v.root));
    byId("compare-summary").hidden = true;
    try {
      for (let i = 0; i < requests.length; i++) {
        const r = requests[i];
        const view = views[i];
        this.setStatus("running", compare ? `comparing: ${strategyLabels[r.strategy]} (${i + 1} of 2)…` : `running ${strategyLabels[r.strategy]}…`);
        const stream =
          r.kind === "similar"
            ? this.services.query.topKSimilar(r.request, { signal: abort.signal })
            : this.services.query.topKHighest(r.request, { signal: abort.signal });
        for await (const update of stream) {
          view.apply(update);
        }
        if (view.state === "running") {
          view.finish("error", "the stream ended before the exact answer");
          this.setStatus("error", "the stream ended before the exact answer");
          return;
        }
      }
      this.setStatus("done", compare ? this.compareText(views) : this.doneText(views[0]));
      if (compare) {
        this.renderCompare(views);
      }
    } catch (e) {
      if (this.running !== abort) {
        // Superseded: a newer run (Enter in a field, then the Run button) aborted this one and
        // owns the status line and the grid now; reporting "cancelled" here would overwrite it.
        return;
      }
      const error = describeError(e);
      const view = views.find((v) => v.state === "running");
      if (error.cancelled || abort.signal.aborted) {
        view?.finish("cancelled", "cancelled: the stream was closed and the service stopped the query");
        for (const v of views.filter((x) => x.state === "running")) {
          v.finish("cancelled", "not run");
        }
        this.setStatus("cancelled", "cancelled — the service stopped the query");
      } else {
        view?.finish("error", `${error.code}: ${error.message}`);
        for (const v of views.filter((x) => x.state === "running")) {
          v.finish("cancelled", "not run");
        }
        const field = fieldOf(error.message);
        if (field) {
          showFieldError(field, error.message, true);
        }
        this.setStatus("error", `${error.code}: ${error.message}`);
      }
    } finally {
      if (this.running === abort) {
        this.running = null;
        byId<HTMLButtonElement>("cancel").disabled = true;
      }
    }
  }

  private doneText(view: RunView): string {
    const last = view.last;
    const stats = last?.stats;
    if (!last || !stats) {
      return "done";
    }
    const total = Number(stats.inputsTotal);
    const inferred = Number(stats.inputsInferred);
    return `exact answer: ${last.hits.length} hits in ${duration(stats.elapsedMs)} after ${view.updates} update${view.updates === 1 ? "" : "s"}; inferred ${count(inferred)} of ${count(total)} inputs (${percent(total > 0 ? inferred / total : 0)})`;
  }

  private compareText(views: RunView[]): string {
    const [a, b] = views.map((v) => Number(v.last?.stats?.inputsInferred ?? 0n));
    return `compared: ${count(a)} vs ${count(b)} inputs inferred`;
  }

  private renderCompare(views: RunView[]): void {
    const [a, b] = views;
    const inferred = views.map((v) => Number(v.last?.stats?.inputsInferred ?? 0n));
    const time = views.map((v) => Number(v.last?.stats?.elapsedMs ?? 0n));
    const ansA = a.answer();
    const ansB = b.answer();
    const same = ansA.length === ansB.length && ansA.every((x, i) => x.id === ansB[i].id && x.score === ansB[i].score);
    const names = views.map((v) => v.root.querySelector("h2")?.textContent?.replace(" · cold cache", "") ?? "");
    const ratio = (x: number, y: number) => (y > 0 ? `${(x / y).toFixed(x / y >= 10 ? 0 : 1)}×` : "–");
    replaceChildren(
      byId("compare-summary"),
      h("strong", {}, names[0]),
      ` inferred ${count(inferred[0])} inputs in ${duration(time[0])}; `,
      h("strong", {}, names[1]),
      ` inferred ${count(inferred[1])} in ${duration(time[1])} — ${inferred[0] <= inferred[1] ? `${ratio(inferred[1], inferred[0])} more for ${names[1]}` : `${ratio(inferred[0], inferred[1])} more for ${names[0]}`}. `,
      h("span", { class: same ? "badge ok" : "badge warn" }, same ? "identical answers" : "answers differ"),
    );
    byId("compare-summary").hidden = false;
  }
}

async function main(): Promise<void> {
  const services = await connect();
  const app = new App(services);
  await app.start();
}

void main().catch((e: unknown) => {
  const banner = document.getElementById("banner");
  if (banner) {
    banner.textContent = `The console could not start: ${e instanceof Error ? e.message : String(e)}`;
    banner.hidden = false;
  }
});
