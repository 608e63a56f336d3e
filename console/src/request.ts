/** Turns a QueryState into the QueryService's request messages. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import {
  Aggregate,
  Distance,
  Strategy,
  type NeuronGroupSchema,
  type TargetSchema,
  type TopKHighestRequestSchema,
  type TopKSimilarRequestSchema,
} from "./gen/deepeverest/v1/query_service_pb.js";
import type { AggregateName, DistanceName, GroupSpec, QueryState, StrategyName } from "./state.js";

export type TargetInit = MessageInitShape<typeof TargetSchema>;
export type SimilarInit = MessageInitShape<typeof TopKSimilarRequestSchema>;
export type HighestInit = MessageInitShape<typeof TopKHighestRequestSchema>;

/** A value the page refuses before asking the service, tied to the form field it concerns. */
export class FieldError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export const strategyEnum: Record<StrategyName, Strategy> = {
  bounds: Strategy.BOUNDS,
  nta: Strategy.NTA,
  reprocess: Strategy.REPROCESS_ALL,
  materialized: Strategy.MATERIALIZED,
};

export const distanceEnum: Record<DistanceName, Distance> = { l2: Distance.L2, l1: Distance.L1, linf: Distance.LINF };
export const aggregateEnum: Record<AggregateName, Aggregate> = { sum: Aggregate.SUM, mean: Aggregate.MEAN, l2: Aggregate.L2_NORM };

export function strategyName(s: Strategy): string {
  switch (s) {
    case Strategy.NTA:
      return "NTA";
    case Strategy.REPROCESS_ALL:
      return "ReprocessAll";
    case Strategy.MATERIALIZED:
      return "materialized";
    default:
      return "bounds";
  }
}

/**
 * The group message: top-m of the target; a single whole channel as a hyper-rectangle; otherwise
 * the explicit list of flat indices (channels expanded, in the order picked, without repeats).
 */
export function groupMessage(group: GroupSpec, layerShape: readonly number[]): MessageInitShape<typeof NeuronGroupSchema> {
  if (group.kind === "top") {
    return { selection: { case: "topOfTarget", value: group.m } };
  }
  if (group.channels.length === 0 && group.neurons.length === 0) {
    throw new FieldError("group", "pick at least one neuron or channel on the activation map (or use top-m)");
  }
  if (group.channels.length === 1 && group.neurons.length === 0 && layerShape.length >= 2) {
    const c = group.channels[0];
    return {
      selection: {
        case: "rectangle",
        // The other dimensions are open ranges: the service resolves them against the layer.
        value: { ranges: layerShape.map((_, i) => (i === 0 ? { start: BigInt(c), end: BigInt(c + 1) } : { openEnd: true })) },
      },
    };
  }
  return { selection: { case: "neurons", value: { neurons: flatGroup(group, layerShape).map((n) => ({ location: { case: "flat", value: BigInt(n) } })) } } };
}

/** The flat indices of a picked group, channels expanded. */
export function flatGroup(group: GroupSpec & { kind: "pick" }, layerShape: readonly number[]): number[] {
  const perChannel = layerShape.length >= 2 ? layerShape.slice(1).reduce((a, b) => a * b, 1) : 1;
  const seen = new Set<number>();
  const out: number[] = [];
  const add = (n: number) => {
    if (!seen.has(n)) {
      seen.add(n);
      out.push(n);
    }
  };
  for (const c of group.channels) {
    for (let i = 0; i < perChannel; i++) {
      add(c * perChannel + i);
    }
  }
  group.neurons.forEach(add);
  return out;
}

export function parseWeights(text: string): number[] {
  const parts = text.split(/[\s,]+/).filter((x) => x !== "");
  return parts.map((x) => {
    const v = Number(x);
    if (!Number.isFinite(v)) {
      throw new FieldError("weights", `'${x}' is not a number`);
    }
    return v;
  });
}

/** What both kinds of query ask alike: layer, target, group, k, label filter and options. */
function common(s: QueryState, target: TargetInit | undefined, layerShape: readonly number[], strategy: StrategyName, noCache: boolean) {
  return {
    layer: { model: s.model, dataset: s.dataset, layer: s.layer },
    target,
    group: groupMessage(s.group, layerShape),
    k: s.k,
    filter: { labels: s.labels },
    options: { strategy: strategyEnum[strategy], batchSize: s.batchSize, minUpdateIntervalMs: s.updateIntervalMs, noCache },
  };
}

export function similarRequest(s: QueryState, target: TargetInit | undefined, layerShape: readonly number[], strategy = s.strategy, noCache = s.noCache): SimilarInit {
  return { ...common(s, target, layerShape, strategy, noCache), distance: distanceEnum[s.distance], weights: parseWeights(s.weights), includeTarget: s.includeTarget && target?.source?.case === "inputId" };
}

export function highestRequest(s: QueryState, target: TargetInit | undefined, layerShape: readonly number[], strategy = s.strategy, noCache = s.noCache): HighestInit {
  return { ...common(s, target, layerShape, strategy, noCache), aggregate: aggregateEnum[s.aggregate] };
}
