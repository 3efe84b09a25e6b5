// Table panels: an instant query at the range's end, one row per series (labels and value).

import { query } from "./api.js";
import { formatValue, labelsJson, parseValue } from "./format.js";
import { instantRows } from "./panel_stat.js";
import { el } from "./dom.js";

// Fills table (a <table class="result-table">) with rows: a header row of the label names and
// "value", then one <tr data-labels> per series. Used by table panels (and free for Explore).
export function renderResultTable(table, rows, unit = "short") {
  const names = new Set();
  for (const r of rows) for (const k of Object.keys(r.labels)) names.add(k);
  const columns = [...names].sort((a, b) => (a === "__name__" ? -1 : b === "__name__" ? 1 :
                                              a < b ? -1 : a > b ? 1 : 0));
  const head = el("thead");
  const headRow = el("tr");
  for (const c of columns) headRow.append(el("th", {}, c === "__name__" ? "metric" : c));
  headRow.append(el("th", { class: "value" }, "value"));
  head.append(headRow);
  const body = el("tbody");
  for (const r of rows) {
    const tr = el("tr", { "data-labels": labelsJson(r.labels) });
    for (const c of columns) tr.append(el("td", {}, r.labels[c] === undefined ? "" : r.labels[c]));
    const raw = String(r.raw);
    const value = el("td", { class: "value", "data-value": raw, title: raw },
                     formatValue(parseValue(raw), unit));
    tr.append(value);
    body.append(tr);
  }
  table.replaceChildren(head, body);
}

export class TablePanel {
  constructor(section, body, spec) {
    this.spec = spec;
    this.unit = spec.unit || "short";
    this.wrap = el("div", { class: "table-wrap" });
    this.table = el("table", { class: "result-table" });
    this.wrap.append(this.table);
    body.append(this.wrap);
    this.last = "";
  }

  async update(range) {
    const rows = instantRows(await query(this.spec.expr, range.end));
    if (rows.length === 0) {
      this.table.replaceChildren();
      this.last = "";
      return "empty";
    }
    // Unchanged answer (same labels and values): keep the DOM as it is.
    const signature = rows.map((r) => `${labelsJson(r.labels)}=${r.raw}`).join("\n");
    if (signature !== this.last) {
      this.last = signature;
      renderResultTable(this.table, rows, this.unit);
    }
    return "ok";
  }

  destroy() {
    this.wrap.remove();
  }
}
