/** Number and size formatting shared by the panels. */

const integer = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

export function count(n: number | bigint): string {
  return integer.format(typeof n === "bigint" ? Number(n) : n);
}

/** A score with up to 7 significant digits (as the CLI prints them); "?" when unknown. */
export function score(x: number): string {
  if (Number.isNaN(x)) {
    return "?";
  }
  if (!Number.isFinite(x)) {
    return x > 0 ? "∞" : "−∞";
  }
  if (x === 0) {
    return "0";
  }
  const abs = Math.abs(x);
  return abs >= 1e-3 && abs < 1e7 ? String(Number(x.toPrecision(7))) : x.toExponential(4);
}

/** A short bound for intervals: 5 significant digits. */
export function bound(x: number): string {
  if (!Number.isFinite(x)) {
    return score(x);
  }
  return String(Number(x.toPrecision(5)));
}

export function bytes(n: number | bigint): string {
  let v = typeof n === "bigint" ? Number(n) : n;
  const units = ["B", "KB", "MB", "GB", "TB"];
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

export function duration(ms: number | bigint): string {
  const v = typeof ms === "bigint" ? Number(ms) : ms;
  if (v < 0) {
    return "?";
  }
  if (v < 1000) {
    return `${Math.round(v)} ms`;
  }
  if (v < 60_000) {
    return `${(v / 1000).toFixed(v < 10_000 ? 2 : 1)} s`;
  }
  const m = Math.floor(v / 60_000);
  const s = Math.round((v % 60_000) / 1000);
  return `${m} min ${s} s`;
}

export function shape(dims: readonly (number | bigint)[]): string {
  return `[${dims.map(Number).join(", ")}]`;
}

export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)}%`;
}

/** "3 minutes ago" for a Unix-millisecond time. */
export function ago(unixMs: number | bigint, now = Date.now()): string {
  const s = Math.max(0, (now - Number(unixMs)) / 1000);
  if (s < 60) {
    return "just now";
  }
  if (s < 3600) {
    return `${Math.round(s / 60)} min ago`;
  }
  if (s < 86_400) {
    return `${Math.round(s / 3600)} h ago`;
  }
  return `${Math.round(s / 86_400)} days ago`;
}
