/**
 * "Import an image folder" (step 1): a folder under the IndexService's data root in torchvision's
 * ImageFolder layout becomes a dataset through ImportDatasetWithProgress, whose stream drives a
 * progress bar. The service checks everything and its message is shown as is; a finished import
 * reloads the lists with the new dataset selected, so it can be indexed and queried at once.
 */
import type { Services } from "./api.js";
import { describeError } from "./api.js";
import type { Catalog } from "./catalog.js";
import { byId } from "./dom.js";
import { clearFieldErrors, showFieldError } from "./errors.js";
import { importFraction, importRequest, importText } from "./importForm.js";
import { FieldError } from "./request.js";

export class ImportPanel {
  private running: AbortController | null = null;
  private readonly bar = byId<HTMLProgressElement>("import-bar");
  private readonly text = byId("import-text");

  constructor(
    private readonly services: Services,
    private readonly catalog: Catalog,
    private readonly onImported: () => void,
  ) {
    byId<HTMLFormElement>("import-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void this.start();
    });
    byId("import-cancel").addEventListener("click", () => this.running?.abort());
  }

  private async start(): Promise<void> {
    if (this.running) {
      return;
    }
    clearFieldErrors();
    const value = (id: string) => byId<HTMLInputElement>(id).value;
    let request;
    try {
      request = importRequest({
        folder: value("import-folder"),
        name: value("import-name"),
        inputShape: value("import-shape"),
        scale: value("import-scale"),
        mean: value("import-mean"),
        std: value("import-std"),
        replace: byId<HTMLInputElement>("import-replace").checked,
      });
    } catch (e) {
      if (e instanceof FieldError) {
        showFieldError("import", e.message, true);
        return;
      }
      throw e;
    }
    const abort = new AbortController();
    this.running = abort;
    this.show(true);
    this.bar.value = 0;
    this.text.textContent = `starting the import of ${request.imageFolder}…`;
    let imported = false;
    try {
      let dataset = "";
      for await (const progress of this.services.index.importDatasetWithProgress(request, { signal: abort.signal })) {
        this.bar.value = importFraction(progress);
        this.text.textContent = importText(progress, request.name ?? "");
        dataset = progress.dataset?.name ?? dataset;
      }
      imported = true;
      await this.catalog.load({ ...this.catalog.selection, dataset });
      this.onImported();
    } catch (e) {
      const error = describeError(e);
      if (imported) {
        // Stored; only the lists failed to reload (the layer's slot shows why).
        showFieldError("layer", error.message);
        return;
      }
      this.bar.value = 0;
      this.text.textContent = error.cancelled ? "import cancelled; nothing was stored." : "import failed; nothing was stored.";
      if (!error.cancelled) {
        showFieldError("import", `${error.code}: ${error.message}`);
      }
    } finally {
      this.running = null;
      this.show(false);
    }
  }

  private show(running: boolean): void {
    byId("import-progress").hidden = false;
    byId("import-cancel").hidden = !running;
    byId<HTMLButtonElement>("import-start").disabled = running;
  }
}
