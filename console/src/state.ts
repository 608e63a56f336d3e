/**
 * The whole query as plain data, and its URL form: every field the form edits lives in the query
 * string, so a link (or a reload) reproduces the query.
 */
import { GroupSyntaxError, parseGroup } from "./groupSyntax.js";

export type Kind = "similar" | "highest";
export type DistanceName = "l2" | "l1" | "linf";
export type AggregateName = "sum" | "mean" | "l2";
export type StrategyName = "bounds" | "nta" | "reprocess" | "materialized";

export const strategies: readonly StrategyName[] = ["bounds", "nta", "reprocess", "materialized"];
export const strategyLabels: Record<StrategyName, string> = {
  bounds: "bounds (ours)",
  nta: "NTA (paper)",
  reprocess: "ReprocessAll",
  materialized: "materialized scan",
};

export type TargetSpec =
  | { kind: "none" }
  | { kind: "id"; id: number }
  /** An uploaded picture: its pixels resized to the dataset's input shape (C x H x W bytes, before preprocessing). */
  | { kind: "upload"; pixels: Uint8Array; name: string };

export type GroupSpec =
  | { kind: "top"; m: number }
  /** Whole channels (index along the layer's first dimension) and single neurons (flat indices). */
  | { kind: "pick"; channels: number[]; neurons: number[] };

export interface QueryState {
  model: string;
  dataset: string;
  layer: string;
  kind: Kind;
  target: TargetSpec;
  group: GroupSpec;
  distance: DistanceName;
  aggregate: AggregateName;
  /** Comma-separated weights, one per group neuron (similar only); empty = unweighted. */
  weights: string;
  k: number;
  labels: number[];
  strategy: StrategyName;
  includeTarget: boolean;
  batchSize: number;
  updateIntervalMs: number;
  noCache: boolean;
  /** A second strategy to run the same query with, side by side; "" = none. */
  compare: StrategyName | "";
}

export function defaultState(): QueryState {
  return {
    model: "",
    dataset: "",
    layer: "",
    kind: "similar",
    target: { kind: "none" },
    group: { kind: "top", m: 3 },
    distance: "l2",
    aggregate: "sum",
    weights: "",
    k: 20,
    labels: [],
    strategy: "bounds",
    includeTarget: false,
    batchSize: 0,
    updateIntervalMs: 0,
    noCache: false,
    compare: "",
  };
}

/** The query string of a state (only what differs from the defaults, in a stable order). */
export function toSearch(s: QueryState): string {
  const d = defaultState();
  const p = new URLSearchParams();
  const set = (key: string, value: string, fallback: string) => {
    if (value !== fallback) {
      p.set(key, value);
    }
  };
  set("model", s.model, "");
  set("dataset", s.dataset, "");
  set("layer", s.layer, "");
  set("q", s.kind, d.kind);
  set("target", targetToText(s.target), "");
  if (s.target.kind === "upload") {
    set("file", s.target.name, "");
  }
  set("group", groupToText(s.group), groupToText(d.group));
  if (s.kind === "similar") {
    set("distance", s.distance, d.distance);
    set("weights", s.weights.trim(), "");
    set("include", s.includeTarget ? "1" : "0", "0");
  } else {
    set("aggregate", s.aggregate, d.aggregate);
  }
  set("k", String(s.k), String(d.k));
  set("labels", s.labels.join(","), "");
  set("strategy", s.strategy, d.strategy);
  set("batch", String(s.batchSize), "0");
  set("interval", String(s.updateIntervalMs), "0");
  set("nocache", s.noCache ? "1" : "0", "0");
  set("compare", s.compare, "");
  const text = p.toString();
  return text === "" ? "" : `?${text}`;
}

/** Parses a query string; unknown or malformed values fall back to the defaults. */
export function fromSearch(search: string): QueryState {
  const p = new URLSearchParams(search);
  const s = defaultState();
  s.model = p.get("model") ?? "";
  s.dataset = p.get("dataset") ?? "";
  s.layer = p.get("layer") ?? "";
  s.kind = p.get("q") === "highest" ? "highest" : "similar";
  s.target = targetFromText(p.get("target") ?? "", p.get("file") ?? "upload");
  s.group = groupFromText(p.get("group") ?? "") ?? s.group;
  s.distance = pick(p.get("distance"), ["l2", "l1", "linf"] as const, s.distance);
  s.aggregate = pick(p.get("aggregate"), ["sum", "mean", "l2"] as const, s.aggregate);
  s.weights = p.get("weights") ?? "";
  s.k = int(p.get("k"), s.k);
  s.labels = (p.get("labels") ?? "").split(",").filter((x) => x.trim() !== "").map(Number).filter(Number.isInteger);
  s.strategy = pick(p.get("strategy"), strategies, s.strategy);
  s.includeTarget = p.get("include") === "1";
  s.batchSize = int(p.get("batch"), 0);
  s.updateIntervalMs = int(p.get("interval"), 0);
  s.noCache = p.get("nocache") === "1";
  const compare = p.get("compare") ?? "";
  s.compare = (strategies as readonly string[]).includes(compare) ? (compare as StrategyName) : "";
  return s;
}

export function targetToText(t: TargetSpec): string {
  switch (t.kind) {
    case "id":
      return String(t.id);
    case "upload":
      // Too large for a link: the page says so, and a reload asks for the file again.
      return t.pixels.length <= maxUrlPixels ? `pixels:${toBase64Url(t.pixels)}` : "upload";
    default:
      return "";
  }
}

function targetFromText(text: string, name: string): TargetSpec {
  if (text.startsWith("pixels:")) {
    try {
      return { kind: "upload", pixels: fromBase64Url(text.slice(7)), name };
    } catch {
      return { kind: "none" };
    }
  }
  const id = Number(text);
  return text !== "" && Number.isSafeInteger(id) && id >= 0 ? { kind: "id", id } : { kind: "none" };
}

/**
 * The URL form of a group: the group syntax every front end shares (src/groupSyntax.ts): "top:3",
 * "neurons:17,42". A pick with whole channels keeps the console's "pick:c5,n123" (a channel is
 * written with the layer's rank in the shared syntax, "rect:5,*,*", which this state does not hold).
 */
export function groupToText(g: GroupSpec): string {
  if (g.kind === "top") {
    return `top:${g.m}`;
  }
  if (g.channels.length === 0 && g.neurons.length > 0) {
    return `neurons:${g.neurons.join(",")}`;
  }
  return `pick:${[...g.channels.map((c) => `c${c}`), ...g.neurons.map((n) => `n${n}`)].join(",")}`;
}

/**
 * A URL group: the shared group syntax (top, flat neurons, or one whole channel as
 * "rect:C,*,..."), or the console's "pick:" form; null for what the form cannot show.
 */
export function groupFromText(text: string): GroupSpec | null {
  if (text.startsWith("pick:")) {
    const channels: number[] = [];
    const neurons: number[] = [];
    for (const item of text.slice(5).split(",")) {
      const m = /^([cn])(\d+)$/.exec(item.trim());
      if (m) {
        (m[1] === "c" ? channels : neurons).push(Number(m[2]));
      }
    }
    return { kind: "pick", channels, neurons };
  }
  let group;
  try {
    group = parseGroup(text).selection;
  } catch (e) {
    if (e instanceof GroupSyntaxError) {
      return null;
    }
    throw e;
  }
  if (group.case === "topOfTarget") {
    return { kind: "top", m: group.value };
  }
  if (group.case === "neurons" && group.value.neurons.every((n) => n.location.case === "flat")) {
    return { kind: "pick", channels: [], neurons: group.value.neurons.map((n) => Number(n.location.value)) };
  }
  if (group.case === "rectangle") {
    const [first, ...rest] = group.value.ranges;
    if (!first.openEnd && first.end - first.start === 1n && rest.length > 0 && rest.every((r) => r.openEnd && r.start === 0n)) {
      return { kind: "pick", channels: [Number(first.start)], neurons: [] };
    }
  }
  return null;
}

/** Pixels in a URL: at most this many bytes (a 64x64 RGB image); larger uploads stay out of the URL. */
export const maxUrlPixels = 12_288;

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (const b of bytes) {
    binary += String.fromCharCode(b);
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) {
    bytes[i] = binary.charCodeAt(i);
  }
  return bytes;
}

function int(text: string | null, fallback: number): number {
  if (text === null || text.trim() === "") {
    return fallback;
  }
  const v = Number(text);
  return Number.isInteger(v) ? v : fallback;
}

function pick<T extends string>(text: string | null, allowed: readonly T[], fallback: T): T {
  return text !== null && (allowed as readonly string[]).includes(text) ? (text as T) : fallback;
}
