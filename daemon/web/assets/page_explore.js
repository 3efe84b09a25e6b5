// The Explore page: a PromQL box with completion (completion.js), a chart of the expression
// over the range (a panel of kind line, panel.js) and the instant result at the range's end
// (table#explore-table), or the engine's error in #explore-error. The expression lives in the
// hash (#/explore?expr=...&range=...), so a panel's Explore link opens it filled in and run.
// Refresh ticks re-query; the box itself is never rebuilt (the cursor and text stay).

import { query } from "./api.js";
import { formatValue } from "./format.js";
import { createPanel } from "./panel.js";
import { attachCompletion, createProvider } from "./completion.js";
import { classed as el, pad } from "./dom.js";

const MAX_ROWS = 2000;
const EXAMPLES = [
  "sum by (handler) (rate(metricsd_http_requests_total[5m]))",
  "metricsd_collector_duration_seconds",
  "metricsd_collector_success == 0",
];

function formatTime(seconds) {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

// The instant result as rows: [{labels, value (API string), time, points}].
function rowsOf(data) {
  const result = data ? data.result : null;
  switch (data && data.resultType) {
    case "vector":
      return (result || []).map((r) => ({ labels: r.metric || {}, value: r.value[1], time: r.value[0] }));
    case "matrix":
      // A range vector: each series' last point, and how many the range held.
      return (result || []).map((r) => {
        const values = r.values || [];
        const last = values[values.length - 1] || [null, ""];
        return { labels: r.metric || {}, value: last[1], time: last[0], points: values.length };
      });
    case "scalar":
    case "string":
      return result ? [{ labels: {}, value: result[1], time: result[0] }] : [];
    default:
      return [];
  }
}

function labelColumns(rows) {
  const names = new Set();
  for (const row of rows) for (const name of Object.keys(row.labels)) names.add(name);
  const list = [...names].filter((n) => n !== "__name__").sort();
  if (names.has("__name__")) list.unshift("__name__");
  return list;
}

function fillTable(table, rows, resultType) {
  const columns = labelColumns(rows);
  const head = el("thead");
  const headRow = head.insertRow();
  for (const name of columns) headRow.appendChild(el("th", "label-col", name));
  headRow.appendChild(el("th", "value value-col", resultType === "matrix" ? "last value" : "value"));
  const body = el("tbody");
  for (const row of rows.slice(0, MAX_ROWS)) {
    const tr = body.insertRow();
    tr.dataset.labels = JSON.stringify(row.labels);
    for (const name of columns) {
      const cell = tr.insertCell();
      cell.className = "label";
      cell.dataset.label = name;
      cell.textContent = row.labels[name] ?? "";
    }
    const value = tr.insertCell();
    value.className = "value";
    value.dataset.value = row.value;
    if (row.time !== null && row.time !== undefined) value.dataset.time = String(row.time);
    value.textContent = resultType === "string" ? row.value : formatValue(row.value, "short");
    value.title = String(row.value);
    if (row.points !== undefined) value.appendChild(el("span", "points", ` (${row.points} points)`));
  }
  table.replaceChildren(head, body);
}

export function mount(root, ctx) {
  const page = el("div", "page-explore");
  root.appendChild(page);

  const form = el("div", "explore-form");
  const inputBox = el("div", "explore-input");
  const textarea = el("textarea", "explore-expr");
  textarea.id = "explore-expr";
  textarea.rows = 3;
  textarea.spellcheck = false;
  textarea.setAttribute("autocomplete", "off");
  textarea.setAttribute("autocapitalize", "off");
  textarea.setAttribute("aria-label", "PromQL expression");
  textarea.placeholder = "PromQL, e.g. rate(metricsd_http_requests_total[5m])";
  const suggestions = el("ul", "explore-suggestions");
  suggestions.id = "explore-suggestions";
  inputBox.append(textarea, suggestions);
  const actions = el("div", "explore-actions");
  const run = el("button", "explore-run", "Run");
  run.type = "button";
  run.id = "explore-run";
  actions.append(run, el("span", "hint", "Ctrl+Enter runs · Tab or Enter completes · Ctrl+Space suggests"));
  form.append(inputBox, actions);
  page.appendChild(form);

  // Examples over metricsd's own metrics, until a first run.
  const examples = el("div", "explore-examples");
  examples.appendChild(el("span", "hint", "Try: "));
  for (const example of EXAMPLES) {
    const button = el("button", "example", example);
    button.type = "button";
    button.addEventListener("click", () => {
      textarea.value = example;
      runNow();
    });
    examples.appendChild(button);
  }
  page.appendChild(examples);

  const error = el("div", "explore-error");
  error.id = "explore-error";
  error.setAttribute("role", "alert");
  error.hidden = true;
  page.appendChild(error);

  const chartBox = el("div", "explore-chart");
  const chartNote = el("p", "page-note explore-chart-note");
  chartNote.hidden = true;
  page.append(chartBox, chartNote);

  const tableHeading = el("h3", "explore-table-heading");
  tableHeading.hidden = true;
  page.appendChild(tableHeading);
  const tableNote = el("p", "empty-note");
  tableNote.hidden = true;
  const table = el("table", "result-table");
  table.id = "explore-table";
  page.append(table, tableNote);

  const provider = createProvider(() => ctx.range);
  const completion = attachCompletion(textarea, suggestions, provider);

  let expr = (ctx.params && ctx.params.get("expr")) || "";
  textarea.value = expr;
  examples.hidden = expr !== "";
  let panel = null;
  let panelExpr = null;
  let tableKey = null;
  let seq = 0;
  let badExpr = null;
  let destroyed = false;

  function showError(message) {
    error.textContent = message;
    error.hidden = !message;
  }

  function clearResult() {
    chartNote.hidden = true;
    if (panel) panel.destroy();
    panel = null;
    panelExpr = null;
    table.replaceChildren();
    tableKey = null;
    tableHeading.hidden = true;
    tableNote.hidden = true;
  }

  // The expression into the address (the same page: no remount).
  function writeHash() {
    const params = new URLSearchParams(ctx.params || "");
    if (expr) params.set("expr", expr);
    else params.delete("expr");
    const range = ctx.range;
    if (!params.has("range") && range && range.key) {
      params.set("range", range.key);
      if (range.key === "custom") {
        params.set("from", String(Math.round(range.start)));
        params.set("to", String(Math.round(range.end)));
      }
    }
    const text = params.toString();
    const hash = `#/explore${text ? `?${text}` : ""}`;
    if (location.hash !== hash) {
      if (ctx.navigate) ctx.navigate(hash);
      else history.replaceState(null, "", hash);
    }
  }

  async function instant(current, range) {
    const data = await query(current, range.end);
    const rows = rowsOf(data);
    return { data, rows };
  }

  // Queries the expression of the last run over ctx.range: the instant table first (its
  // error is the engine's message for a bad expression), then the chart.
  // A refresh tick does not repeat an expression the engine refused as bad data (a parse
  // error stays one): no failing request every tick; Run asks again.
  async function evaluate(force = false) {
    const current = expr;
    if (!force && badExpr !== null && badExpr === current) return;
    const mine = ++seq;
    badExpr = null;
    if (!current.trim()) {
      showError("");
      clearResult();
      return;
    }
    const range = ctx.range;
    let result;
    try {
      result = await instant(current, range);
    } catch (err) {
      if (destroyed || mine !== seq) return;
      if (err && err.errorType === "bad_data") badExpr = current;
      showError(err && err.message ? err.message : String(err));
      clearResult();
      return;
    }
    if (destroyed || mine !== seq) return;
    showError("");
    const { data, rows } = result;
    tableHeading.hidden = false;
    const kind = data.resultType === "matrix" ? "range vector" : data.resultType;
    tableHeading.textContent = `Instant ${kind} at ${formatTime(range.end)}: ${rows.length} ` +
      `${rows.length === 1 ? "result" : "results"}` +
      (rows.length > MAX_ROWS ? ` (the first ${MAX_ROWS} shown)` : "");
    const key = JSON.stringify([data.resultType, rows.map((r) => [r.labels, r.value, r.points])]);
    if (key !== tableKey) {
      tableKey = key;
      fillTable(table, rows, data.resultType);
    }
    tableNote.textContent = rows.length === 0 ? "Empty result at the range's end." : "";
    tableNote.hidden = rows.length !== 0;

    // A range vector or a string has no graph over time (query_range refuses them).
    if (data.resultType === "string" || data.resultType === "matrix") {
      if (panel) panel.destroy();
      panel = null;
      panelExpr = null;
      chartNote.textContent = data.resultType === "matrix"
        ? "A range vector has no graph: the table shows each series' last sample in the range " +
          "selector's window. Wrap it in a function (rate, avg_over_time, ...) to graph it."
        : "A string has no graph.";
      chartNote.hidden = false;
      return;
    }
    chartNote.hidden = true;
    if (!panel || panelExpr !== current) {
      if (panel) panel.destroy();
      panel = createPanel(chartBox, {
        title: current, expr: current, legend: "", unit: "short", kind: "line", width: 12,
        description: "",
      }, ctx);
      panelExpr = current;
    }
    await panel.refresh(range);
  }

  function runNow() {
    completion.close();
    examples.hidden = true;
    expr = textarea.value.trim();
    writeHash();
    return evaluate(true);
  }

  run.addEventListener("click", () => { runNow(); });
  textarea.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      runNow();
    }
  });

  return {
    refresh: () => evaluate(false),
    destroy() {
      destroyed = true;
      completion.destroy();
      if (panel) panel.destroy();
      panel = null;
      page.remove();
    },
  };
}
