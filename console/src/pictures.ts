/**
 * Dataset inputs as pictures: fetched once with GetInput (a few at a time, so the streaming query
 * keeps a connection), kept in a bounded cache, drawn into as many canvases as the page shows.
 */
import type { Services } from "./api.js";
import { h } from "./dom.js";
import { ElementType, type DatasetInfo } from "./gen/deepeverest/v1/index_service_pb.js";
import { drawInput } from "./image.js";

interface Stored {
  values: Float32Array;
  shape: number[];
  label: number;
}

const maxEntries = 4000;
const maxInFlight = 4;

export class Pictures {
  private readonly cache = new Map<string, Promise<Stored>>();
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly services: Services) {}

  /**
   * A clickable picture of a dataset input: a placeholder at once, the image when it arrives.
   * onPick makes it the target.
   */
  element(dataset: DatasetInfo, id: number, onPick: ((id: number) => void) | null, size = "md"): HTMLElement {
    const frame = h("button", {
      type: "button",
      class: `picture-frame ${size}`,
      "data-input": id,
      title: onPick ? `input ${id}: click to make it the target` : `input ${id}`,
      "aria-label": onPick ? `Use input ${id} as the target` : `Input ${id}`,
      tabindex: onPick ? 0 : -1,
    });
    if (onPick) {
      frame.addEventListener("click", (e) => {
        e.preventDefault();
        onPick(id);
      });
    } else {
      frame.disabled = true;
    }
    this.get(dataset.name, id)
      .then((stored) => {
        const canvas = drawInput(stored.values, stored.shape, dataset.elementType === ElementType.UINT8 ? "uint8" : "float");
        frame.replaceChildren(canvas);
      })
      .catch(() => {
        frame.classList.add("missing");
        frame.textContent = "?";
      });
    return frame;
  }

  get(dataset: string, id: number): Promise<Stored> {
    const key = `${dataset}\u0000${id}`;
    let entry = this.cache.get(key);
    if (entry) {
      // Most recently used goes last.
      this.cache.delete(key);
      this.cache.set(key, entry);
      return entry;
    }
    entry = this.fetch(dataset, id);
    entry.catch(() => this.cache.delete(key));
    this.cache.set(key, entry);
    if (this.cache.size > maxEntries) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) {
        this.cache.delete(oldest);
      }
    }
    return entry;
  }

  private async fetch(dataset: string, id: number): Promise<Stored> {
    while (this.inFlight >= maxInFlight) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    this.inFlight++;
    try {
      const response = await this.services.query.getInput({ dataset, inputId: BigInt(id) });
      const tensor = response.tensor;
      return {
        values: Float32Array.from(tensor?.values ?? []),
        shape: (tensor?.shape ?? []).map(Number),
        label: response.label,
      };
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }
}
