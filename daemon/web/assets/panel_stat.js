// Stat panels: an instant query at the range's end, one big number per series.

import { query } from "./api.js";
import { formatValue, labelsJson, legendName, parseValue } from "./format.js";
import { el } from "./dom.js";

// An instant query's result as [{labels, time, raw}] whatever its type.
export function instantRows(data) {
  if (!data) return [];
  const result = data.result;
  switch (data.resultType) {
    case "scalar":
    case "string":
      return Array.isArray(result) ? [{ labels: {}, time: result[0], raw: result[1] }] : [];
    case "matrix":
      return (result || []).filter((s) => s.values && s.values.length).map((s) => {
        const [time, raw] = s.values[s.values.length - 1];
        return { labels: s.metric || {}, time, raw };
      });
    default:
      return (result || []).filter((s) => s.value).map((s) => ({
        labels: s.metric || {}, time: s.value[0], raw: s.value[1],
      }));
  }
}

export class StatPanel {
  constructor(section, body, spec) {
    this.section = section;
    this.body = body;
    this.spec = spec;
    this.unit = spec.unit || "short";
    this.key = "";
    this.items = [];
    this.grid = el("div", { class: "stats" });
    body.append(this.grid);
  }

  async update(range) {
    const rows = instantRows(await query(this.spec.expr, range.end));
    if (rows.length === 0) {
      this.grid.textContent = "";
      this.key = "";
      this.items = [];
      return "empty";
    }
    const keys = rows.map((r) => labelsJson(r.labels));
    const key = keys.join("\n");
    if (key !== this.key) {
      this.key = key;
      this.grid.textContent = "";
      this.items = rows.map((r, i) => {
        const box = el("div", { class: "stat", "data-labels": keys[i] });
        const value = el("span", { class: "stat-value" });
        const empty = Object.keys(r.labels).length === 0;
        const name = el("span", { class: "stat-name" },
                        empty && !this.spec.legend ? "" : legendName(r.labels, this.spec.legend));
        name.title = legendName(r.labels, "");
        box.append(value, name);
        this.grid.append(box);
        return { value, raw: null, time: null };
      });
    }
    rows.forEach((r, i) => {
      const item = this.items[i];
      const raw = String(r.raw);
      const time = String(r.time);
      if (item.raw === raw && item.time === time) return;
      item.raw = raw;
      item.time = time;
      item.value.dataset.value = raw;
      item.value.dataset.time = time;
      item.value.textContent = formatValue(parseValue(raw), this.unit);
    });
    return "ok";
  }

  destroy() {
    this.grid.remove();
  }
}
