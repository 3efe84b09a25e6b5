// A configured page (dashboard.pages): its panels on a 12-column grid, refreshed together
// (requests concurrent, annotations fetched once per refresh). The "overview" page first mounts
// overview_extras.js (sources, alerts, findings) above its panels.

import { createPanel } from "./panel.js";
import { AnnotationStore } from "./annotations.js";
import { el } from "./dom.js";

function pageSpec(ctx) {
  if (ctx.page && ctx.page.spec) return ctx.page.spec;
  const id = ctx.pageId || (location.hash.replace(/^#\/?/, "").split("?")[0]);
  return (ctx.dashboard.pages || []).find((p) => p.id === id) || { id, title: id, panels: [] };
}

export function mount(root, ctx) {
  const spec = pageSpec(ctx);
  root.classList.add("panels-page");
  let extras = null;
  let extrasLoad = null;
  let extrasDiv = null;
  let extrasError = null;
  if (spec.id === "overview") {
    extrasDiv = el("div", { class: "overview-extras" });
    root.append(extrasDiv);
    extrasLoad = import("./overview_extras.js")
      .then((module) => { extras = module.mount(extrasDiv, ctx); })
      .catch((err) => {
        extrasDiv.append(el("div", { class: "page-error" },
                            `overview: ${err && err.message ? err.message : err}`));
      });
  }
  const grid = el("div", { class: "panel-grid" });
  root.append(grid);
  const panelCtx = { ...ctx, annotations: new AnnotationStore(ctx.dashboard) };
  const panels = (spec.panels || []).map((p) => createPanel(grid, p, panelCtx));
  if (panels.length === 0 && spec.id !== "overview") {
    grid.append(el("p", { class: "page-note" }, "This page has no panels."));
  }
  let destroyed = false;

  async function refreshExtras() {
    if (extrasLoad) await extrasLoad;
    if (!extras || destroyed) return;
    try {
      await extras.refresh();
      if (extrasError) extrasError.remove();
      extrasError = null;
    } catch (err) {
      if (!extrasError) {
        extrasError = el("div", { class: "page-error" });
        extrasDiv.prepend(extrasError);
      }
      extrasError.textContent = `overview: ${err && err.message ? err.message : err}`;
    }
  }

  return {
    async refresh() {
      const range = ctx.range;
      panelCtx.range = range;
      await Promise.all([refreshExtras(), ...panels.map((p) => p.refresh(range))]);
    },
    destroy() {
      destroyed = true;
      for (const p of panels) p.destroy();
      if (extras && extras.destroy) extras.destroy();
      root.textContent = "";
    },
  };
}
