// Heatmap panels: the expression gives a histogram's cumulative `le` bucket rates over time
// (e.g. sum by (le) (rate(x_bucket[1m]))); each time step's per-bucket counts (differences of
// neighbouring buckets) are drawn as a column of cells on a canvas, darker for more.

import { queryRange } from "./api.js";
import { formatValue, parseValue } from "./format.js";
import { watchVisibility } from "./visibility.js";

const HEIGHT = 220;
const LEFT = 64;
const BOTTOM = 22;
const TOP = 6;
const RIGHT = 8;

function leValue(text) {
  if (text === "+Inf" || text === "Inf") return Infinity;
  return Number(text);
}

// Light yellow -> orange -> dark purple: 256 RGB entries for t in [0, 1].
const STOPS = [[255, 247, 188], [254, 196, 79], [236, 112, 20], [180, 40, 70], [70, 20, 90]];
const SCALE = (() => {
  const table = new Uint8ClampedArray(256 * 3);
  for (let k = 0; k < 256; k++) {
    const x = (k / 255) * (STOPS.length - 1);
    const i = Math.min(STOPS.length - 2, Math.floor(x));
    const f = x - i;
    for (let c = 0; c < 3; c++) table[k * 3 + c] = STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f;
  }
  return table;
})();

function timeLabel(seconds, span) {
  const d = new Date(seconds * 1000);
  const hm = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  if (span > 2 * 86400) return `${d.getMonth() + 1}/${d.getDate()} ${hm}`;
  return hm;
}

// The buckets of query_range's matrix on the range's grid:
// {xs, bounds: [le], counts: [bucket][time] (null: no sample)}.
export function bucketCounts(result, range) {
  const { start, step } = range;
  const n = Math.max(1, Math.floor((range.end - start) / step + 1e-9) + 1);
  const byLe = new Map();
  for (const s of result) {
    const le = s.metric ? s.metric.le : undefined;
    if (le === undefined) {
      throw new Error("a heatmap needs series with an `le` label (e.g. sum by (le) " +
                      "(rate(x_bucket[1m])))");
    }
    let cum = byLe.get(le);
    if (!cum) {
      cum = new Array(n).fill(null);
      byLe.set(le, cum);
    }
    for (const [t, raw] of s.values || []) {
      const i = Math.round((t - start) / step);
      const v = parseValue(raw);
      if (i < 0 || i >= n || !Number.isFinite(v)) continue;
      cum[i] = cum[i] === null ? v : cum[i] + v;
    }
  }
  const les = [...byLe.keys()].sort((a, b) => leValue(a) - leValue(b));
  const counts = les.map(() => new Array(n).fill(null));
  for (let i = 0; i < n; i++) {
    let below = 0;
    for (let b = 0; b < les.length; b++) {
      const c = byLe.get(les[b])[i];
      if (c === null) continue;
      counts[b][i] = Math.max(0, c - below);
      below = Math.max(below, c);
    }
  }
  const xs = new Array(n);
  for (let i = 0; i < n; i++) xs[i] = start + i * step;
  return { xs, bounds: les, counts };
}

export class HeatmapChart {
  constructor(section, body, spec, ctx) {
    this.section = section;
    this.body = body;
    this.spec = spec;
    this.ctx = ctx;
    this.unit = spec.unit || "short";
    this.canvas = document.createElement("canvas");
    this.canvas.className = "heatmap";
    this.canvas.height = HEIGHT;
    this.body.append(this.canvas);
    this.data = null;
    this.width = 0;
    this.observer = new ResizeObserver((entries) => this.resize(entries));
    this.observer.observe(body);
    this.stale = false;  // data not drawn while the chart is off screen
    this.drawn = false;  // a picture of data is on the canvas
    this.visibility = watchVisibility(body, () => {
      if (this.stale && this.data) this.draw();
    });
    this.onMove = (event) => this.hover(event);
    this.canvas.addEventListener("mousemove", this.onMove);
  }

  async update(range) {
    const data = await queryRange(this.spec.expr, range.start, range.end, range.step);
    if (this.destroyed) return "ok";
    const result = data && Array.isArray(data.result) ? data.result : [];
    this.range = range;
    if (result.length === 0) {
      this.data = null;
      this.drawn = false;
      this.section.dataset.buckets = "0";
      this.canvas.hidden = true;
      return "empty";
    }
    this.data = bucketCounts(result, range);
    this.section.dataset.buckets = String(this.data.bounds.length);
    this.canvas.hidden = false;
    // Off screen: drawn when it comes into view (but a first picture is drawn at once).
    if (this.visibility.visible() || !this.drawn) this.draw();
    else this.stale = true;
    return "ok";
  }

  resize(entries) {
    const box = entries && entries.length ? entries[entries.length - 1].contentRect : null;
    const width = Math.floor(box ? box.width : this.body.clientWidth);
    if (width > 0 && width !== this.width) {
      this.width = width;
      if (this.data) this.draw();
    }
  }

  draw() {
    // The width the ResizeObserver saw (reading clientWidth here would force a layout a tick).
    if (!this.width) this.width = Math.floor(this.body.clientWidth) || 400;
    const width = this.width;
    this.stale = false;
    this.drawn = true;
    const ratio = window.devicePixelRatio || 1;
    const canvas = this.canvas;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(HEIGHT * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(HEIGHT * ratio);
      canvas.style.width = `${width}px`;
      canvas.style.height = `${HEIGHT}px`;
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, HEIGHT);
    const { xs, bounds, counts } = this.data;
    const plotW = Math.max(10, width - LEFT - RIGHT);
    const plotH = HEIGHT - TOP - BOTTOM;
    let max = 0;
    for (const row of counts) for (const v of row) if (v !== null && v > max) max = v;
    const cellH = plotH / bounds.length;
    // One pixel per cell in an offscreen image, scaled up without smoothing.
    const cols = xs.length;
    const rows = bounds.length;
    if (!this.image || this.image.width !== cols || this.image.height !== rows) {
      this.image = new ImageData(cols, rows);
      this.offscreen = document.createElement("canvas");
      this.offscreen.width = cols;
      this.offscreen.height = rows;
    }
    const pixels = this.image.data;
    pixels.fill(0);
    if (max > 0) {
      for (let b = 0; b < rows; b++) {
        const row = counts[b];
        const base = (rows - 1 - b) * cols * 4;
        for (let i = 0; i < cols; i++) {
          const v = row[i];
          if (v === null || v <= 0) continue;
          const k = Math.round(Math.sqrt(v / max) * 255) * 3;
          const o = base + i * 4;
          pixels[o] = SCALE[k];
          pixels[o + 1] = SCALE[k + 1];
          pixels[o + 2] = SCALE[k + 2];
          pixels[o + 3] = 255;
        }
      }
    }
    this.offscreen.getContext("2d").putImageData(this.image, 0, 0);
    g.fillStyle = "#f4f6f9";
    g.fillRect(LEFT, TOP, plotW, plotH);
    g.imageSmoothingEnabled = false;
    g.drawImage(this.offscreen, LEFT, TOP, plotW, plotH);
    // Axes: bucket bounds on the left, times below.
    g.fillStyle = "#5b6470";
    g.font = "11px system-ui, sans-serif";
    g.textAlign = "right";
    g.textBaseline = "middle";
    const every = Math.max(1, Math.ceil(bounds.length / Math.max(1, Math.floor(plotH / 14))));
    for (let b = 0; b < bounds.length; b += every) {
      const y = TOP + plotH - (b + 0.5) * cellH;
      const le = leValue(bounds[b]);
      g.fillText(le === Infinity ? "+Inf" : formatValue(le, this.unit), LEFT - 6, y);
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    const span = xs[xs.length - 1] - xs[0];
    const sample = g.measureText(timeLabel(this.range.end, span)).width;
    const ticks = Math.max(1, Math.floor(plotW / (sample + 28)));
    g.textAlign = "left";
    let lastRight = -Infinity;
    for (let k = 0; k <= ticks; k++) {
      const t = this.range.start + (k / ticks) * (this.range.end - this.range.start);
      const text = timeLabel(t, span);
      const w = g.measureText(text).width;
      // Centred on its time, kept inside the plot, skipped when it would touch the previous.
      const x = Math.min(LEFT + plotW - w, Math.max(LEFT, LEFT + (k / ticks) * plotW - w / 2));
      if (x < lastRight + 12) continue;
      g.fillText(text, x, TOP + plotH + 5);
      lastRight = x + w;
    }
  }

  hover(event) {
    if (!this.data) return;
    const rect = this.canvas.getBoundingClientRect();
    const x = event.clientX - rect.left - LEFT;
    const y = event.clientY - rect.top - TOP;
    const plotW = Math.max(10, this.width - LEFT - RIGHT);
    const plotH = HEIGHT - TOP - BOTTOM;
    const { xs, bounds, counts } = this.data;
    if (x < 0 || y < 0 || x >= plotW || y >= plotH) {
      this.canvas.title = "";
      return;
    }
    const i = Math.floor((x / plotW) * xs.length);
    const b = bounds.length - 1 - Math.floor((y / plotH) * bounds.length);
    const v = counts[b] ? counts[b][i] : null;
    const lower = b > 0 ? bounds[b - 1] : "0";
    const format = (le) => (leValue(le) === Infinity ? "+Inf" : formatValue(leValue(le), this.unit));
    this.canvas.title = `${new Date(xs[i] * 1000).toLocaleString()}\n` +
      `(${format(lower)}, ${format(bounds[b])}]: ${v === null ? "–" : formatValue(v, "short")}`;
  }

  destroy() {
    this.destroyed = true;
    this.observer.disconnect();
    this.visibility.release();
    this.canvas.removeEventListener("mousemove", this.onMove);
    this.canvas.remove();
  }
}
