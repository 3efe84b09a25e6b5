// How values and series names read: formatValue(value, unit) for the panel units of
// dashboard.pages (short, seconds, milliseconds, bytes, bytes/s, percent, ratio, ops/s,
// celsius, hertz) and legendName(labels, template) for Grafana's legendFormat.

const SI = [
  [1e24, "Y"], [1e21, "Z"], [1e18, "E"], [1e15, "P"], [1e12, "T"], [1e9, "G"], [1e6, "M"],
  [1e3, "k"],
];
const SI_SMALL = [[1, ""], [1e-3, "m"], [1e-6, "µ"], [1e-9, "n"], [1e-12, "p"]];
const IEC = [
  [2 ** 60, "EiB"], [2 ** 50, "PiB"], [2 ** 40, "TiB"], [2 ** 30, "GiB"], [2 ** 20, "MiB"],
  [2 ** 10, "KiB"],
];

// At most 3 significant digits for the integer part, no trailing zeros: 1.23, 12.3, 123, 1234.
function num(value) {
  if (value === 0) return "0";
  const abs = Math.abs(value);
  let text;
  if (abs >= 100) text = value.toFixed(0);
  else if (abs >= 10) text = value.toFixed(1);
  else if (abs >= 1) text = value.toFixed(2);
  else if (abs >= 0.001) text = value.toPrecision(3);
  else return value.toExponential(2);
  if (text.includes(".") && !text.includes("e")) text = text.replace(/\.?0+$/, "");
  return text;
}

function special(value) {
  if (value === null || value === undefined || value === "") return "–";
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return null;
}

function si(value, suffix, small = false) {
  const abs = Math.abs(value);
  for (const [factor, prefix] of SI) {
    if (abs >= factor) return `${num(value / factor)} ${prefix}${suffix}`.trim();
  }
  if (small && abs > 0 && abs < 1) {
    for (const [factor, prefix] of SI_SMALL) {
      if (abs >= factor) return `${num(value / factor)} ${prefix}${suffix}`.trim();
    }
  }
  return suffix ? `${num(value)} ${suffix}` : num(value);
}

function iec(value, suffix) {
  const abs = Math.abs(value);
  for (const [factor, unit] of IEC) {
    if (abs >= factor) return `${num(value / factor)} ${unit}${suffix}`;
  }
  return `${num(value)} B${suffix}`;
}

function duration(seconds) {
  const abs = Math.abs(seconds);
  if (abs === 0) return "0 s";
  if (abs < 1e-6) return `${num(seconds * 1e9)} ns`;
  if (abs < 1e-3) return `${num(seconds * 1e6)} µs`;
  if (abs < 1) return `${num(seconds * 1e3)} ms`;
  if (abs < 60) return `${num(seconds)} s`;
  if (abs < 3600) return `${num(seconds / 60)} min`;
  if (abs < 86400) return `${num(seconds / 3600)} h`;
  return `${num(seconds / 86400)} d`;
}

export function formatValue(value, unit = "short") {
  const v = typeof value === "string" ? parseValue(value) : value;
  const s = special(v);
  if (s !== null) return s;
  switch (unit) {
    case "seconds": return duration(v);
    case "milliseconds": return duration(v / 1000);
    case "bytes": return iec(v, "");
    case "bytes/s": return iec(v, "/s");
    case "percent": return `${num(v)}%`;
    case "ratio": return `${num(v * 100)}%`;
    case "ops/s": return `${si(v, "")} ops/s`;
    case "celsius": return `${num(v)} °C`;
    case "hertz": return si(v, "Hz");
    case "short":
    default: return si(v, "");
  }
}

// Grafana's legendFormat: "{{process}} {{action}}" with each label's value (missing: empty);
// an empty template gives the series as PromQL writes it: metric{a="b", c="d"}.
export function legendName(labels, template) {
  const set = labels || {};
  if (template) {
    const text = template.replace(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g,
                                  (_, name) => (set[name] === undefined ? "" : set[name]));
    if (text.trim() !== "") return text;
  }
  const name = set.__name__ || "";
  const pairs = Object.keys(set).filter((k) => k !== "__name__").sort()
    .map((k) => `${k}="${set[k]}"`);
  if (pairs.length === 0) return name || "{}";
  return `${name}{${pairs.join(", ")}}`;
}

// A sample value as the API writes it ("1.5", "NaN", "+Inf", "-Inf") -> a number.
export function parseValue(text) {
  if (typeof text === "number") return text;
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  return Number(text);
}

// A series' labels as the JSON of data-labels attributes (keys sorted, __name__ first).
export function labelsJson(labels) {
  const set = labels || {};
  const keys = Object.keys(set).sort((a, b) => (a === "__name__" ? -1 : b === "__name__" ? 1 :
                                                a < b ? -1 : a > b ? 1 : 0));
  const sorted = {};
  for (const k of keys) sorted[k] = set[k];
  return JSON.stringify(sorted);
}
