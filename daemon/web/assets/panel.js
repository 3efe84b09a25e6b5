// One panel of a page: its frame (title, Explore link, body, error) and its drawing by kind:
// line and stacked (chart_line.js), heatmap (chart_heatmap.js), stat (panel_stat.js), table
// (panel_table.js). createPanel(container, spec, ctx) -> {element, refresh(range), destroy()}.

import { LineChart } from "./chart_line.js";
import { HeatmapChart } from "./chart_heatmap.js";
import { StatPanel } from "./panel_stat.js";
import { TablePanel } from "./panel_table.js";
import { rangeQuery } from "./time_range.js";
import { el } from "./dom.js";

const KINDS = {
  line: LineChart,
  stacked: LineChart,
  heatmap: HeatmapChart,
  stat: StatPanel,
  table: TablePanel,
};

export function exploreHref(expr, range) {
  const state = range ? { key: range.key || "1h", from: range.start, to: range.end } : { key: "1h" };
  return `#/explore?expr=${encodeURIComponent(expr)}&${rangeQuery(state)}`;
}

export function createPanel(container, spec, ctx = {}) {
  const kind = KINDS[spec.kind] ? spec.kind : "line";
  const width = Math.min(12, Math.max(1, Number(spec.width) || 6));
  const section = el("section", {
    class: `panel w-${width}`,
    "data-kind": kind,
    "data-expr": spec.expr,
    "data-state": "loading",
    "data-annotations": "0",
  });
  const head = el("header", { class: "panel-head" });
  const title = el("h3", { class: "panel-title" }, spec.title || spec.expr);
  if (spec.description) title.title = spec.description;
  const explore = el("a", { class: "panel-explore", href: exploreHref(spec.expr, ctx.range),
                            title: "open in Explore" }, "Explore ↗");
  head.append(title, explore);
  const body = el("div", { class: "panel-body" });
  const note = el("div", { class: "panel-note" });
  const error = el("div", { class: "panel-error", role: "alert" });
  section.append(head, body, note, error);
  container.append(section);

  const view = new KINDS[kind](section, body, { ...spec, kind }, ctx);
  let destroyed = false;
  let lastHref = explore.getAttribute("href");

  async function refresh(range = ctx.range) {
    const href = exploreHref(spec.expr, range);
    if (href !== lastHref) {
      explore.setAttribute("href", href);
      lastHref = href;
    }
    let state;
    let message = "";
    try {
      state = await view.update(range);
    } catch (err) {
      state = "error";
      message = err && err.message ? err.message : String(err);
    }
    if (destroyed) return;
    if (state === "error") {
      if (error.textContent !== message) error.textContent = message;
      note.textContent = "";
    } else {
      if (error.textContent) error.textContent = "";
      const text = state === "empty" ? "No data in this range." : "";
      if (note.textContent !== text) note.textContent = text;
    }
    if (section.dataset.state !== state) section.dataset.state = state;
  }

  function destroy() {
    destroyed = true;
    view.destroy();
    section.remove();
  }

  return { element: section, refresh, destroy };
}
