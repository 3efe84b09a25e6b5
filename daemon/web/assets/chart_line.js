// Line and stacked panels: one query_range drawn with uPlot, a legend table of each series'
// last value, annotations as markers. The uPlot instance is kept across refreshes (setData) while
// the set of series is unchanged; it follows the panel's width (ResizeObserver).

import uPlot from "./uPlot.esm.js";
import { queryRange } from "./api.js";
import { drawAnnotations, annotationAt, annotationText } from "./annotations.js";
import { formatValue, labelsJson, legendName, parseValue } from "./format.js";
import { watchVisibility } from "./visibility.js";
import { el } from "./dom.js";

export const PALETTE = [
  "#3b6fd4", "#e8833a", "#2e9e5b", "#d64545", "#8a5cc7", "#1fa3a3", "#c9a227", "#d4569b",
  "#5f7d95", "#7cb342", "#a0522d", "#00838f",
];
const HEIGHT = 220;

// The y axis' width for its labels (about 7 px a character at 11-12 px).
function axisWidth(values) {
  let longest = 4;
  for (const v of values || []) if (v && v.length > longest) longest = v.length;
  return Math.ceil(longest * 7 + 18);
}

// The y scale: the data's span (stacked: from 0) with room above and a little below, so a
// series flat at the bottom (all zeros) is drawn inside the plot, not on its edge.
export function yRange(min, max, fromZero) {
  if (min === null || max === null || min === undefined || max === undefined ||
      !Number.isFinite(min) || !Number.isFinite(max)) {
    return [0, 1];
  }
  let lo = fromZero ? Math.min(0, min) : min;
  let hi = fromZero ? Math.max(0, max) : max;
  if (lo === hi) {
    const d = hi === 0 ? 1 : Math.abs(hi) * 0.1;
    if (hi === 0) {
      hi = d;
    } else {
      lo -= d;
      hi += d;
    }
  }
  const span = hi - lo;
  return [lo - span * 0.04, hi + span * 0.06];
}

// uPlot's points filter: the indexes of points in runs of at most 3 (between gaps), drawn as
// dots; a line alone would hardly show them.
function shortRuns(u, seriesIdx) {
  const data = u.data[seriesIdx];
  let out = null;
  let runStart = -1;
  for (let i = 0; i <= data.length; i++) {
    const present = i < data.length && data[i] !== null && data[i] !== undefined;
    if (present && runStart < 0) runStart = i;
    if (!present && runStart >= 0) {
      if (i - runStart <= 3) {
        if (!out) out = [];
        for (let k = runStart; k < i; k++) out.push(k);
      }
      runStart = -1;
    }
  }
  return out;
}

function pad2(n) {
  return String(n).padStart(2, "0");
}

// An x axis label, one line: 14:05:30 (ticks under a minute), 14:05, 12/3 14:00 (ranges over
// a day and a half), 12/3 (daily ticks).
function timeTick(seconds, incr, scale) {
  const d = new Date(seconds * 1000);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  const day = `${d.getMonth() + 1}/${d.getDate()}`;
  if (incr >= 86400) return day;
  if (scale && scale.max - scale.min > 86400 * 1.5) return `${day} ${hm}`;
  if (incr < 60) return `${hm}:${pad2(d.getSeconds())}`;
  return hm;
}

export function colorOf(i) {
  return PALETTE[i % PALETTE.length];
}

function fillOf(color) {
  // #rrggbb -> the color at 55 % over white (opaque, so stacked areas do not mix).
  const n = parseInt(color.slice(1), 16);
  const mix = (c) => Math.round(c * 0.55 + 255 * 0.45);
  return `rgb(${mix((n >> 16) & 255)}, ${mix((n >> 8) & 255)}, ${mix(n & 255)})`;
}

// An array of n nulls: pool[i] reused when it has that length (charts keep their arrays across
// refreshes, so a tick allocates nothing new).
export function nulls(pool, i, n) {
  let a = pool[i];
  if (!a || a.length !== n) {
    a = new Array(n);
    pool[i] = a;
  }
  a.fill(null);
  return a;
}

// query_range's matrix on the range's grid: {xs, series: [{labels, key, values, last}]}.
export function alignMatrix(result, range, pool = []) {
  const { start, step } = range;
  const n = Math.max(1, Math.floor((range.end - start) / step + 1e-9) + 1);
  const xs = nulls(pool, 0, n);
  for (let i = 0; i < n; i++) xs[i] = start + i * step;
  const series = new Array(result.length);
  for (let k = 0; k < result.length; k++) {
    const s = result[k];
    const values = nulls(pool, k + 1, n);
    const points = s.values || [];
    let last = null;
    for (let p = 0; p < points.length; p++) {
      const point = points[p];
      const raw = point[1];
      const v = parseValue(raw);
      const i = Math.round((point[0] - start) / step);
      if (i >= 0 && i < n) values[i] = v === v && v !== Infinity && v !== -Infinity ? v : null;
      if (v === v) last = point;
    }
    series[k] = { labels: s.metric || {}, key: labelsJson(s.metric), values, last };
  }
  pool.length = Math.max(result.length + 1, 1);
  return { xs, series };
}

export class LineChart {
  constructor(section, body, spec, ctx) {
    this.section = section;
    this.body = body;
    this.spec = spec;
    this.ctx = ctx;
    this.stacked = spec.kind === "stacked";
    this.unit = spec.unit || "short";
    this.chart = null;
    this.seriesKey = "";
    this.rows = [];
    this.pool = [];
    this.sums = [];
    this.annotations = [];
    this.drawn = 0;
    this.range = null;
    this.legend = el("table", { class: "legend" });
    this.legendBody = el("tbody");
    this.legend.append(this.legendBody);
    section.append(this.legend);
    if (!this.stacked) {
      // A click on a legend row hides or shows its series (one listener for every row).
      this.legend.addEventListener("click", (event) => {
        const row = event.target.closest("tr.legend-row");
        if (!row || !this.chart) return;
        const index = [...this.legendBody.children].indexOf(row);
        if (index < 0) return;
        const shown = !row.classList.toggle("off");
        this.chart.setSeries(index + 1, { show: shown });
      });
    }
    this.tooltip = el("div", { class: "chart-tooltip" });
    this.tooltip.hidden = true;
    this.width = 0;
    this.observer = new ResizeObserver((entries) => this.resize(entries));
    this.observer.observe(body);
    this.pending = null;  // data not drawn while the chart is off screen
    this.visibility = watchVisibility(body, () => this.showPending());
  }

  async update(range) {
    const store = this.ctx && this.ctx.annotations;
    const [data, annotations] = await Promise.all([
      queryRange(this.spec.expr, range.start, range.end, range.step),
      store ? store.fetch(range) : Promise.resolve([]),
    ]);
    if (this.destroyed) return "ok";
    this.range = range;
    this.annotations = annotations || [];
    const result = data && Array.isArray(data.result) ? data.result : [];
    if (result.length === 0) {
      this.clear();
      return "empty";
    }
    const { xs, series } = alignMatrix(result, range, this.pool);
    const key = series.map((s) => s.key).join("\n");
    const plot = this.plotData(xs, series);
    if (this.chart && key === this.seriesKey) {
      if (this.visibility.visible()) {
        this.pending = null;
        this.chart.setData(plot);
      } else {
        this.pending = plot;
      }
    } else {
      this.clear();
      this.seriesKey = key;
      this.create(series, plot);
    }
    this.updateLegend(series);
    return "ok";
  }

  // uPlot's data: line: the series as they are; stacked: cumulative sums, drawn top first.
  plotData(xs, series) {
    if (!this.stacked) return [xs, ...series.map((s) => s.values)];
    const n = xs.length;
    const sums = [];
    let below = null;
    for (let k = 0; k < series.length; k++) {
      const s = series[k];
      const cum = nulls(this.sums, k, n);
      for (let i = 0; i < n; i++) {
        const v = s.values[i];
        const b = below === null ? null : below[i];
        cum[i] = v === null ? b : (b === null ? v : b + v);
      }
      sums.push(cum);
      below = cum;
    }
    this.sums.length = series.length;
    return [xs, ...sums.reverse()];
  }

  create(series, plot) {
    const unit = this.unit;
    const count = series.length;
    const uSeries = [{}];
    for (let j = 0; j < count; j++) {
      const i = this.stacked ? count - 1 - j : j;
      const color = colorOf(i);
      uSeries.push({
        label: legendName(series[i].labels, this.spec.legend),
        stroke: color,
        width: this.stacked ? 1 : 1.5,
        fill: this.stacked ? fillOf(color) : undefined,
        spanGaps: false,
        points: { show: false, size: 5, width: 1, fill: color, stroke: color, filter: shortRuns },
        value: (u, v) => formatValue(v, unit),
      });
    }
    this.width = Math.floor(this.body.clientWidth) || 400;
    const opts = {
      width: this.width,
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false, setScale: false }, points: { show: false } },
      scales: {
        x: { time: true, range: () => [this.range.start, this.range.end] },
        y: { range: (u, min, max) => yRange(min, max, this.stacked) },
      },
      axes: [
        {
          stroke: "#5b6470",
          grid: { stroke: "#e6e9ee", width: 1 },
          ticks: { stroke: "#e6e9ee" },
          size: 28,
          space: (u, i, min, max) => (max - min > 86400 * 1.5 ? 96 : 64),
          values: (u, splits, i, space, incr) => splits.map((v) => timeTick(v, incr, u.scales.x)),
        },
        {
          stroke: "#5b6470",
          size: (u, values) => axisWidth(values),
          grid: { stroke: "#e6e9ee", width: 1 },
          ticks: { stroke: "#e6e9ee" },
          values: (u, splits) => splits.map((v) => formatValue(v, unit)),
        },
      ],
      series: uSeries,
      hooks: {
        draw: [(u) => this.drawMarkers(u)],
        setCursor: [(u) => this.showTooltip(u)],
      },
    };
    this.chart = new uPlot(opts, plot, this.body);
    this.chart.over.append(this.tooltip);
    this.seriesLabels = uSeries.slice(1).map((s) => s.label);
    this.buildLegend(series);
  }

  showPending() {
    if (this.chart && this.pending) {
      const plot = this.pending;
      this.pending = null;
      this.chart.setData(plot);
    }
  }

  drawMarkers(u) {
    const drawn = drawAnnotations(u, this.annotations);
    if (drawn !== this.drawn || this.section.dataset.annotations !== String(drawn)) {
      this.drawn = drawn;
      this.section.dataset.annotations = String(drawn);
    }
  }

  showTooltip(u) {
    const idx = u.cursor.idx;
    if (idx === null || idx === undefined || u.cursor.left < 0) {
      this.tooltip.hidden = true;
      return;
    }
    const x = u.data[0][idx];
    const lines = [new Date(x * 1000).toLocaleString()];
    const count = u.series.length - 1;
    for (let i = 0; i < count; i++) {  // the legend's order
      const uIndex = this.stacked ? count - i : i + 1;
      let v = u.data[uIndex][idx];
      if (this.stacked && v !== null) {
        const under = uIndex + 1 <= count ? u.data[uIndex + 1][idx] : null;
        v = under === null ? v : v - under;
      }
      if (lines.length > 12) { lines.push("…"); break; }
      lines.push(`${this.seriesLabels[uIndex - 1]}: ${v === null ? "–" : formatValue(v, this.unit)}`);
    }
    const a = annotationAt(this.annotations, u.posToVal(u.cursor.left, "x"),
                           (this.range.end - this.range.start) / 100);
    if (a) lines.push(`◆ ${annotationText(a)}`);
    this.tooltip.textContent = lines.join("\n");
    this.tooltip.hidden = false;
    const left = u.cursor.left;
    const width = u.over.clientWidth;
    if (left > width / 2) {
      this.tooltip.style.left = "";
      this.tooltip.style.right = `${width - left + 12}px`;
    } else {
      this.tooltip.style.right = "";
      this.tooltip.style.left = `${left + 12}px`;
    }
  }

  buildLegend(series) {
    this.legendBody.textContent = "";
    this.rows = series.map((s, i) => {
      const tr = el("tr", { class: "legend-row", "data-labels": s.key });
      const name = el("td", { class: "legend-name" });
      const swatch = el("span", { class: "swatch" });
      swatch.style.background = colorOf(i);
      name.append(swatch, document.createTextNode(legendName(s.labels, this.spec.legend)));
      name.title = legendName(s.labels, "");
      const value = el("td", { class: "legend-value" });
      tr.append(name, value);
      this.legendBody.append(tr);
      return { value, raw: null, time: null };
    });
  }

  updateLegend(series) {
    for (let i = 0; i < series.length; i++) {
      const row = this.rows[i];
      const last = series[i].last;
      const raw = last ? String(last[1]) : "";
      const time = last ? String(last[0]) : "";
      if (raw === row.raw && time === row.time) continue;
      row.raw = raw;
      row.time = time;
      if (last) {
        row.value.dataset.value = raw;
        row.value.dataset.time = time;
        row.value.textContent = formatValue(parseValue(raw), this.unit);
      } else {
        delete row.value.dataset.value;
        delete row.value.dataset.time;
        row.value.textContent = "–";
      }
    }
  }

  resize(entries) {
    if (!this.chart) return;
    const box = entries && entries.length ? entries[entries.length - 1].contentRect : null;
    const width = Math.floor(box ? box.width : this.body.clientWidth);
    if (width > 0 && width !== this.width) {
      this.width = width;
      this.chart.setSize({ width, height: HEIGHT });
    }
  }

  clear() {
    this.pending = null;
    if (this.chart) {
      this.chart.destroy();
      this.chart = null;
    }
    this.seriesKey = "";
    this.rows = [];
    this.legendBody.textContent = "";
    if (this.drawn !== 0) {
      this.drawn = 0;
      this.section.dataset.annotations = "0";
    }
  }

  destroy() {
    this.destroyed = true;
    this.observer.disconnect();
    this.visibility.release();
    this.clear();
  }
}
