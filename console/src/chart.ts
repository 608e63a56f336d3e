/**
 * A small live line chart (SVG): the threshold (the best score an unverified input could still
 * reach) and the k-th score over the query's elapsed time. The query is exact once they meet.
 */
import { score } from "./format.js";

const svgNs = "http://www.w3.org/2000/svg";
const width = 360;
const height = 150;
const pad = { left: 46, right: 10, top: 10, bottom: 22 };

interface Series {
  name: string;
  className: string;
  points: [number, number][];
  path: SVGPathElement;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(svgNs, tag);
  for (const [k, v] of Object.entries(attrs)) {
    el.setAttribute(k, String(v));
  }
  return el;
}

export class ProgressChart {
  readonly element: HTMLElement;
  private readonly svg: SVGSVGElement;
  private readonly axes: SVGGElement;
  private readonly series: Series[];

  constructor(thresholdLabel: string, kthLabel: string) {
    this.element = document.createElement("figure");
    this.element.className = "chart";
    this.svg = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": `${thresholdLabel} and ${kthLabel} over time` });
    this.axes = svg("g", { class: "axes" });
    this.svg.appendChild(this.axes);
    this.series = [
      { name: thresholdLabel, className: "threshold", points: [], path: svg("path", { class: "line threshold" }) },
      { name: kthLabel, className: "kth", points: [], path: svg("path", { class: "line kth" }) },
    ];
    for (const s of this.series) {
      this.svg.appendChild(s.path);
    }
    const legend = document.createElement("figcaption");
    for (const s of this.series) {
      const item = document.createElement("span");
      item.className = `key ${s.className}`;
      item.textContent = s.name;
      legend.appendChild(item);
    }
    this.element.append(this.svg, legend);
    this.draw();
  }

  /** Adds one point per series (non-finite values are skipped: nothing to draw). */
  add(elapsedMs: number, threshold: number, kth: number): void {
    if (Number.isFinite(threshold)) {
      this.series[0].points.push([elapsedMs, threshold]);
    }
    if (Number.isFinite(kth)) {
      this.series[1].points.push([elapsedMs, kth]);
    }
    this.draw();
  }

  private draw(): void {
    const all = this.series.flatMap((s) => s.points);
    const xMax = Math.max(1, ...all.map((p) => p[0]));
    let yMin = Math.min(...all.map((p) => p[1]));
    let yMax = Math.max(...all.map((p) => p[1]));
    if (!Number.isFinite(yMin) || !Number.isFinite(yMax)) {
      yMin = 0;
      yMax = 1;
    }
    if (yMax - yMin < 1e-12) {
      yMax = yMin + Math.max(1e-6, Math.abs(yMin) * 0.1 || 1);
    }
    const margin = (yMax - yMin) * 0.06;
    // Distances and ReLU aggregates are never negative: keep the axis at 0 then.
    yMin = yMin >= 0 ? Math.max(0, yMin - margin) : yMin - margin;
    yMax += margin;
    const x = (v: number) => pad.left + (v / xMax) * (width - pad.left - pad.right);
    const y = (v: number) => height - pad.bottom - ((v - yMin) / (yMax - yMin)) * (height - pad.top - pad.bottom);

    this.axes.replaceChildren();
    for (let i = 0; i <= 3; i++) {
      const v = yMin + ((yMax - yMin) * i) / 3;
      this.axes.appendChild(svg("line", { x1: pad.left, x2: width - pad.right, y1: y(v), y2: y(v), class: "gridline" }));
      const label = svg("text", { x: pad.left - 4, y: y(v) + 3, class: "tick", "text-anchor": "end" });
      label.textContent = score(Number(v.toPrecision(3)));
      this.axes.appendChild(label);
    }
    const end = svg("text", { x: width - pad.right, y: height - 6, class: "tick", "text-anchor": "end" });
    end.textContent = `${Math.round(xMax)} ms`;
    const start = svg("text", { x: pad.left, y: height - 6, class: "tick" });
    start.textContent = "0";
    this.axes.append(start, end);

    for (const s of this.series) {
      // A step line: each value holds until the next update replaces it.
      let d = "";
      s.points.forEach(([px, py], i) => {
        d += i === 0 ? `M${x(px).toFixed(1)},${y(py).toFixed(1)}` : `H${x(px).toFixed(1)}V${y(py).toFixed(1)}`;
      });
      s.path.setAttribute("d", d);
    }
  }
}
