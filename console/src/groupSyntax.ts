/**
 * The group syntax every text front end shares (the CLI's --group, the Python client's parse(), this
 * console's `group=` URL parameter): one line per NeuronGroup, e.g. "top:3", "neurons:17,42",
 * "at:5.0.1;5.2.2", "rect:5,*,*". The grammar is written once, in the comment on NeuronGroup
 * (protos/deepeverest/v1/query_service.proto); this is its TypeScript parser, tested against
 * tests/fixtures/group-syntax.json like the C# (DeepEverest.Contracts.GroupSyntax) and Python ones.
 * Syntax only: a "*" is an open range the service resolves, so no layer shape is needed.
 */
import { create } from "@bufbuild/protobuf";
import { NeuronGroupSchema, RangeSchema, type NeuronGroup, type Range } from "./gen/deepeverest/v1/query_service_pb.js";

const int32Max = 2n ** 31n - 1n;
const int64Max = 2n ** 63n - 1n;
const forms =
  "top:M, neurons:I,J,..., at:C.H.W;C.H.W;... or rect:E,E,... (one extent per dimension: N, A:B for [A, B), A: or :B, or * for the whole dimension)";

/** A text that is not a group; the message says what is wrong. */
export class GroupSyntaxError extends Error {}

/** Parses one group; throws GroupSyntaxError naming what is wrong. */
export function parseGroup(text: string): NeuronGroup {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(":");
  const kind = colon < 0 ? trimmed : trimmed.slice(0, colon).trim();
  const body = colon < 0 ? "" : trimmed.slice(colon + 1);
  if (colon >= 0 && kind === "top") {
    const m = uint(body, text, "top:M");
    if (m > int32Max) {
      throw error(text, `top:${m} is too large (at most ${int32Max})`);
    }
    return create(NeuronGroupSchema, { selection: { case: "topOfTarget", value: Number(m) } });
  }
  if (colon >= 0 && kind === "neurons") {
    const neurons = body.split(",").map((x) => ({ location: { case: "flat" as const, value: uint(x, text, "a flat index") } }));
    return create(NeuronGroupSchema, { selection: { case: "neurons", value: { neurons } } });
  }
  if (colon >= 0 && kind === "at") {
    const neurons = body.split(";").map((item) => ({
      location: { case: "coordinates" as const, value: { values: item.split(".").map((x) => uint(x, text, "a coordinate")) } },
    }));
    return create(NeuronGroupSchema, { selection: { case: "neurons", value: { neurons } } });
  }
  if (colon >= 0 && kind === "rect") {
    return create(NeuronGroupSchema, { selection: { case: "rectangle", value: { ranges: body.split(",").map((x) => extent(x, text)) } } });
  }
  throw error(text, `use ${forms}`);
}

/**
 * The canonical text of a group (what parseGroup reads back into an equal message), or null for a
 * message the syntax cannot write (no selection, an empty list, or flat indices mixed with coordinates).
 */
export function formatGroup(group: NeuronGroup): string | null {
  const s = group.selection;
  if (s.case === "topOfTarget" && s.value >= 0) {
    return `top:${s.value}`;
  }
  if (s.case === "neurons" && s.value.neurons.length > 0) {
    const items = s.value.neurons;
    const flat: bigint[] = [];
    const coordinates: bigint[][] = [];
    for (const n of items) {
      if (n.location.case === "flat" && n.location.value >= 0n) {
        flat.push(n.location.value);
      } else if (n.location.case === "coordinates" && n.location.value.values.length > 0 && n.location.value.values.every((v) => v >= 0n)) {
        coordinates.push(n.location.value.values);
      }
    }
    if (flat.length === items.length) {
      return `neurons:${flat.join(",")}`;
    }
    return coordinates.length === items.length ? `at:${coordinates.map((c) => c.join(".")).join(";")}` : null;
  }
  if (s.case === "rectangle" && s.value.ranges.length > 0) {
    const extents = s.value.ranges.map(formatExtent);
    return extents.every((e) => e !== null) ? `rect:${extents.join(",")}` : null;
  }
  return null;
}

function formatExtent(r: Range): string | null {
  if (r.start < 0n || r.end < 0n || (r.openEnd && r.end !== 0n)) {
    return null;
  }
  if (r.openEnd) {
    return r.start === 0n ? "*" : `${r.start}:`;
  }
  return r.end - r.start === 1n ? `${r.start}` : `${r.start}:${r.end}`;
}

function extent(item: string, text: string): Range {
  const e = item.trim();
  if (e === "*") {
    return create(RangeSchema, { openEnd: true });
  }
  const colon = e.indexOf(":");
  if (colon < 0) {
    const index = uint(e, text, "an extent (N, A:B, A:, :B or *)");
    if (index >= int64Max) {
      throw error(text, `index ${index} is too large`);
    }
    return create(RangeSchema, { start: index, end: index + 1n });
  }
  const start = e.slice(0, colon).trim();
  const end = e.slice(colon + 1).trim();
  const first = start === "" ? 0n : uint(start, text, "a range start");
  return end === "" ? create(RangeSchema, { start: first, openEnd: true }) : create(RangeSchema, { start: first, end: uint(end, text, "a range end") });
}

function uint(item: string, text: string, what: string): bigint {
  const digits = item.trim();
  if (!/^[0-9]+$/.test(digits)) {
    throw error(text, digits === "" ? `${what} is missing` : `'${digits}' is not ${what} (a non-negative decimal integer)`);
  }
  const value = BigInt(digits);
  if (value > int64Max) {
    throw error(text, `${digits} is too large (at most ${int64Max})`);
  }
  return value;
}

function error(text: string, why: string): GroupSyntaxError {
  return new GroupSyntaxError(`'${text}' is not a neuron group: ${why}.`);
}
