/**
 * One query's live view: counters, the threshold chart and the grid of result cards. Cards are
 * keyed by input id, so a provisional card turns final in place (and moves when its rank changes).
 * After each update is drawn the grid's data-updates attribute counts it (tests observe states).
 */
import { h, replaceChildren } from "./dom.js";
import { bound, count, duration, score } from "./format.js";
import type { DatasetInfo } from "./gen/deepeverest/v1/index_service_pb.js";
import type { Hit, TopKUpdate } from "./gen/deepeverest/v1/query_service_pb.js";
import { ProgressChart } from "./chart.js";
import { labelText } from "./labels.js";
import type { Pictures } from "./pictures.js";
import { strategyName } from "./request.js";
import type { Kind } from "./state.js";

export type RunState = "running" | "done" | "cancelled" | "error";

interface Card {
  root: HTMLElement;
  rank: HTMLElement;
  score: HTMLElement;
  hit: Hit;
}

const counterNames = [
  ["inferred", "inferred", "inputs run through the model"],
  ["pruned", "pruned", "ruled out by bounds, never inferred"],
  ["exact", "exact from index", "scores known exactly from the index alone"],
  ["cache", "cache hits", "activations read from the service's cache"],
  ["elapsed", "elapsed", "server time"],
  ["final", "final", "hits that will not change"],
] as const;

export class RunView {
  readonly root: HTMLElement;
  readonly grid: HTMLElement;
  private readonly pill: HTMLElement;
  private readonly title: HTMLElement;
  private readonly note: HTMLElement;
  private readonly considered: HTMLElement;
  private readonly body: HTMLElement;
  private readonly counters = new Map<string, HTMLElement>();
  private readonly chart: ProgressChart;
  private readonly cards = new Map<string, Card>();
  private readonly started = performance.now();
  private timer: number | undefined;
  updates = 0;
  last: TopKUpdate | null = null;
  state: RunState = "running";

  constructor(
    private readonly kind: Kind,
    private readonly k: number,
    strategyLabel: string,
    private readonly dataset: DatasetInfo,
    private readonly pictures: Pictures,
    private readonly onPick: (id: number) => void,
  ) {
    this.pill = h("span", { class: "pill running" }, "running");
    this.title = h("h2", {}, strategyLabel);
    this.note = h("p", { class: "note" });
    this.considered = h("span", { class: "considered" });
    const counterList = h("dl", { class: "counters" });
    for (const [key, label, help] of counterNames) {
      const value = h("dd", { "data-counter": key }, "–");
      this.counters.set(key, value);
      counterList.append(h("div", { title: help }, h("dt", {}, label), value));
    }
    this.chart = new ProgressChart(
      kind === "similar" ? "threshold (lower bound left)" : "threshold (upper bound left)",
      kind === "similar" ? "k-th distance" : "k-th score",
    );
    this.grid = h("div", { class: "grid", "data-updates": 0, "aria-live": "off" });
    this.body = h("div", { class: "run-body" }, h("div", { class: "run-side" }, counterList, this.chart.element), this.grid);
    this.root = h("section", { class: "run", "data-state": "running" }, h("header", { class: "run-head" }, this.title, this.pill, this.considered), this.note, this.body);
    this.timer = window.setInterval(() => this.tick(), 100);
  }

  /** Draws one update: counters, a chart point, the cards in rank order. */
  apply(update: TopKUpdate): void {
    this.updates++;
    this.last = update;
    const stats = update.stats;
    if (stats) {
      this.set("inferred", count(stats.inputsInferred));
      this.set("pruned", count(stats.inputsPruned));
      this.set("exact", count(stats.inputsExactFromIndex));
      this.set("cache", count(stats.cacheHits));
      this.set("elapsed", duration(stats.elapsedMs));
      this.considered.textContent = `${count(stats.inputsTotal)} inputs · group of ${stats.groupSize} · ${strategyName(stats.strategy)}`;
    }
    const finals = update.hits.filter((x) => x.final).length;
    this.set("final", `${finals} / ${update.hits.length}`);
    if (update.message) {
      this.note.textContent = update.message;
    }
    this.chart.add(Number(stats?.elapsedMs ?? 0n), update.threshold, this.kth(update.hits));
    this.drawCards(update.hits);
    this.grid.dataset.updates = String(this.updates);
    if (update.done) {
      this.finish("done", "");
    }
  }

  /** Ends the run: done, cancelled (the stream was closed) or error. */
  finish(state: RunState, message: string): void {
    this.state = state;
    window.clearInterval(this.timer);
    this.root.dataset.state = state;
    this.pill.className = `pill ${state}`;
    this.pill.textContent = state === "done" ? `exact · ${this.updates} update${this.updates === 1 ? "" : "s"}` : state;
    // A run that never got an update has nothing to chart or count: keep only its message.
    this.body.hidden = this.updates === 0;
    if (message) {
      this.note.textContent = message;
    }
  }

  /** The score of input ids in rank order (final answer), for comparisons. */
  answer(): { id: bigint; score: number }[] {
    return (this.last?.hits ?? []).map((x) => ({ id: x.inputId, score: x.score }));
  }

  private tick(): void {
    if (this.state === "running" && !this.last) {
      this.set("elapsed", duration(performance.now() - this.started));
    }
  }

  private set(key: string, text: string): void {
    const el = this.counters.get(key);
    if (el) {
      el.textContent = text;
    }
  }

  /** The current k-th hit's score, or its guaranteed side while provisional. */
  private kth(hits: Hit[]): number {
    const hit = hits[Math.min(this.k, hits.length) - 1];
    if (!hit) {
      return NaN;
    }
    if (!Number.isNaN(hit.score)) {
      return hit.score;
    }
    return this.kind === "similar" ? hit.upperBound : hit.lowerBound;
  }

  private drawCards(hits: Hit[]): void {
    const keep = new Set<string>();
    let previous: Element | null = null;
    hits.forEach((hit, i) => {
      const key = String(hit.inputId);
      keep.add(key);
      let card = this.cards.get(key);
      if (!card) {
        card = this.createCard(hit);
        this.cards.set(key, card);
      }
      this.updateCard(card, hit, i + 1);
      // Move the card only when it is out of place, so unchanged cards do not flicker.
      const expected: Element | null = previous ? previous.nextElementSibling : this.grid.firstElementChild;
      if (expected !== card.root) {
        if (previous) {
          previous.after(card.root);
        } else {
          this.grid.prepend(card.root);
        }
      }
      previous = card.root;
    });
    for (const [key, card] of this.cards) {
      if (!keep.has(key)) {
        card.root.remove();
        this.cards.delete(key);
      }
    }
  }

  private createCard(hit: Hit): Card {
    const id = Number(hit.inputId);
    const rank = h("span", { class: "rank" });
    const scoreEl = h("span", { class: "score" });
    const label = labelText(this.dataset, hit.label);
    const root = h(
      "article",
      { class: "card", "data-id": id },
      this.pictures.element(this.dataset, id, this.onPick),
      h("div", { class: "card-text" }, rank, h("span", { class: "id" }, String(id)), label ? h("span", { class: "label" }, label) : null, scoreEl),
    );
    return { root, rank, score: scoreEl, hit };
  }

  private updateCard(card: Card, hit: Hit, rank: number): void {
    card.hit = hit;
    const root = card.root;
    const wasFinal = root.dataset.final === "true";
    root.dataset.rank = String(rank);
    root.dataset.final = String(hit.final);
    root.dataset.score = Number.isNaN(hit.score) ? "" : String(hit.score);
    root.dataset.lower = String(hit.lowerBound);
    root.dataset.upper = String(hit.upperBound);
    root.classList.toggle("final", hit.final);
    root.classList.toggle("provisional", !hit.final);
    if (hit.final && !wasFinal && this.updates > 1) {
      root.classList.add("just-final");
      window.setTimeout(() => root.classList.remove("just-final"), 900);
    }
    card.rank.textContent = String(rank);
    const unit = this.kind === "similar" ? "distance" : "score";
    if (!Number.isNaN(hit.score)) {
      replaceChildren(card.score, score(hit.score));
      card.score.title = hit.final ? `exact ${unit}, final at this rank` : `exact ${unit}; the rank may still change`;
    } else {
      replaceChildren(card.score, `[${bound(hit.lowerBound)}, ${bound(hit.upperBound)}]`);
      card.score.title = `the ${unit} lies in this interval (from the index's bounds)`;
    }
  }
}
