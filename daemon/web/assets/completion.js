// PromQL completion for Explore's expression box: metric names (/api/v1/label/__name__/values),
// label names after `{` or `by (` (the metric's series over the range, else /api/v1/labels),
// label values after `label="` (/api/v1/label/<name>/values). The list filters by the word
// under the cursor; Up/Down move, Tab/Enter accept, Escape closes, a click accepts,
// Ctrl+Space opens it on an empty word.

import { labelNames, labelValues, series } from "./api.js";

const CACHE_MS = 60_000;
const MAX_SHOWN = 200;

// Function and aggregation names, offered after the metric names.
const FUNCTIONS = [
  "abs", "absent", "absent_over_time", "acos", "acosh", "asin", "asinh", "atan", "atanh",
  "avg", "avg_over_time", "bottomk", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
  "cos", "cosh", "count", "count_over_time", "count_values", "day_of_month", "day_of_week",
  "day_of_year", "days_in_month", "deg", "delta", "deriv", "exp", "floor", "group",
  "group_left", "group_right", "histogram_count", "histogram_fraction", "histogram_quantile",
  "histogram_sum", "holt_winters", "hour", "idelta", "ignoring", "increase", "irate",
  "label_join", "label_replace", "last_over_time", "ln", "log10", "log2", "max",
  "max_over_time", "min", "min_over_time", "minute", "month", "offset", "predict_linear",
  "present_over_time", "quantile", "quantile_over_time", "rad", "rate", "resets", "round",
  "scalar", "sgn", "sin", "sinh", "sort", "sort_desc", "sqrt", "stddev", "stddev_over_time",
  "stdvar", "stdvar_over_time", "sum", "sum_over_time", "tan", "tanh", "time", "timestamp",
  "topk", "vector", "without", "year",
];

// Openers of a parenthesised label list.
const LABEL_LIST_KEYWORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right"]);

const IDENT_START = /[a-zA-Z_:]/;
const IDENT_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_CHAR = /[a-zA-Z0-9_]/;

function identBefore(text, index) {
  let end = index;
  while (end > 0 && /\s/.test(text[end - 1])) end--;
  let start = end;
  while (start > 0 && IDENT_CHAR.test(text[start - 1])) start--;
  const word = text.slice(start, end);
  return IDENT_START.test(word[0] || "") ? word : "";
}

// What completes at `cursor` in `text`: {kind: "metric"|"label"|"value", from, to, prefix,
// metric (for "label" in braces), metrics (for a `by (` list), label, quote, closed}, or null.
export function completionContext(text, cursor, force = false) {
  const stack = []; // {char, ident, index}
  let quote = null; // {char, index, label}
  for (let i = 0; i < cursor; i++) {
    const c = text[i];
    if (quote) {
      if (c === "\\" && quote.char !== "`") i++;
      else if (c === quote.char) quote = null;
      continue;
    }
    if (c === "#") {
      const nl = text.indexOf("\n", i);
      if (nl < 0 || nl >= cursor) return null; // in a comment
      i = nl;
      continue;
    }
    if (c === '"' || c === "'" || c === "`") {
      // The label a matcher's value belongs to: `label op "`.
      const m = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*$/.exec(text.slice(0, i));
      quote = { char: c, index: i, label: m ? m[1] : null };
      continue;
    }
    if (c === "{" || c === "(" || c === "[") stack.push({ char: c, ident: identBefore(text, i), index: i });
    else if (c === "}" || c === ")" || c === "]") stack.pop();
  }
  const top = stack[stack.length - 1];

  if (quote) {
    if (!top || top.char !== "{" || !quote.label) return null;
    let to = cursor;
    while (to < text.length && text[to] !== quote.char && text[to] !== "\n") {
      if (text[to] === "\\") to++;
      to++;
    }
    const closed = text[to] === quote.char;
    if (!closed) to = cursor;
    return {
      kind: "value", from: quote.index + 1, to, prefix: text.slice(quote.index + 1, cursor),
      label: quote.label, quote: quote.char, closed,
    };
  }

  let from = cursor;
  while (from > 0 && IDENT_CHAR.test(text[from - 1])) from--;
  let to = cursor;
  while (to < text.length && IDENT_CHAR.test(text[to])) to++;
  const prefix = text.slice(from, cursor);
  if (prefix && !IDENT_START.test(prefix[0])) return null; // a number

  if (top && top.char === "[") return null; // a duration
  if (top && top.char === "{") {
    let before = from;
    while (before > 0 && /\s/.test(text[before - 1])) before--;
    const prev = text[before - 1];
    if (prev !== "{" && prev !== ",") return null;
    if (!LABEL_CHAR.test(prefix.slice(-1) || "a")) return null;
    // Labels the braces already match on are not offered again.
    let close = text.indexOf("}", top.index);
    if (close < 0) close = text.length;
    const used = [];
    const re = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)/g;
    const inside = text.slice(top.index + 1, close);
    let m;
    const word = text.slice(from, to);
    while ((m = re.exec(inside)) !== null) if (m[1] !== word) used.push(m[1]);
    return { kind: "label", from, to, prefix, metric: top.ident || null, used };
  }
  if (top && top.char === "(" && LABEL_LIST_KEYWORDS.has(top.ident)) {
    return { kind: "label", from, to, prefix, metric: null, metrics: metricsIn(text) };
  }
  if (!prefix && !force) return null;
  return { kind: "metric", from, to, prefix };
}

// Identifiers of the expression that may be metric names (the caller keeps known ones).
function metricsIn(text) {
  const names = new Set();
  const re = /[a-zA-Z_:][a-zA-Z0-9_:]*/g;
  let m;
  while ((m = re.exec(text)) !== null) names.add(m[0]);
  return [...names];
}

// Sources of suggestions, cached for a minute each.
export function createProvider(getRange) {
  const cache = new Map();
  function cached(key, load) {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.time < CACHE_MS) return hit.promise;
    const promise = load().catch((err) => {
      cache.delete(key);
      throw err;
    });
    cache.set(key, { time: Date.now(), promise });
    return promise;
  }
  const metricNames = () => cached("metrics", () => labelValues("__name__"));
  const allLabels = () => cached("labels", () => labelNames());
  function labelsOf(metrics) {
    if (!metrics.length) return allLabels();
    return cached(`series:${metrics.join("\u0000")}`, async () => {
      const range = getRange() || {};
      const now = Date.now() / 1000;
      const list = await series(metrics, range.start ?? now - 3600, range.end ?? now);
      const names = new Set();
      for (const labels of list || []) {
        for (const name of Object.keys(labels)) if (name !== "__name__") names.add(name);
      }
      if (names.size === 0) return allLabels();
      return [...names].sort();
    });
  }
  return {
    metricNames,
    async items(context) {
      switch (context.kind) {
        case "metric": {
          const names = await metricNames();
          return names.map((value) => ({ value, kind: "metric" }))
            .concat(FUNCTIONS.map((value) => ({ value, kind: "function" })));
        }
        case "label": {
          let metrics = [];
          if (context.metric) metrics = [context.metric];
          else if (context.metrics && context.metrics.length) {
            const known = new Set(await metricNames().catch(() => []));
            metrics = context.metrics.filter((m) => known.has(m)).slice(0, 5);
          }
          const used = new Set(context.used || []);
          const names = await labelsOf(metrics);
          return names.filter((n) => !used.has(n)).map((value) => ({ value, kind: "label" }));
        }
        case "value": {
          const values = await cached(`values:${context.label}`, () => labelValues(context.label));
          return values.map((value) => ({ value, kind: "value" }));
        }
        default:
          return [];
      }
    },
  };
}

// The items matching `prefix`: starting with it first, then containing it (case-insensitive).
export function filterItems(items, prefix) {
  const p = prefix.toLowerCase();
  const starts = [];
  const contains = [];
  const seen = new Set();
  for (const item of items) {
    if (seen.has(item.value)) continue;
    const v = item.value.toLowerCase();
    if (v.startsWith(p)) starts.push(item);
    else if (p && v.includes(p)) contains.push(item);
    else continue;
    seen.add(item.value);
  }
  return starts.concat(contains);
}

function escapeValue(value, quote) {
  if (quote === "`") return value;
  return value.replace(/\\/g, "\\\\").replace(quote === "'" ? /'/g : /"/g, `\\${quote}`);
}

// Wires the box and the list. Returns {update(force), close(), isOpen(), destroy()}.
export function attachCompletion(textarea, list, provider) {
  let items = [];
  let selected = -1;
  let context = null;
  let seq = 0;
  let suppress = false;
  let blurTimer = null;

  function close() {
    seq++;
    items = [];
    selected = -1;
    context = null;
    list.replaceChildren();
    list.hidden = true;
    textarea.setAttribute("aria-expanded", "false");
  }

  function select(index) {
    const nodes = list.children;
    if (selected >= 0 && nodes[selected]) {
      nodes[selected].classList.remove("selected");
      nodes[selected].setAttribute("aria-selected", "false");
    }
    selected = index;
    if (selected >= 0 && nodes[selected]) {
      nodes[selected].classList.add("selected");
      nodes[selected].setAttribute("aria-selected", "true");
      nodes[selected].scrollIntoView({ block: "nearest" });
    }
  }

  function render(matches) {
    items = matches.slice(0, MAX_SHOWN);
    const fragment = document.createDocumentFragment();
    items.forEach((item, i) => {
      const li = document.createElement("li");
      li.textContent = item.value;
      li.dataset.value = item.value;
      li.dataset.index = String(i);
      li.className = `suggestion kind-${item.kind}`;
      li.setAttribute("role", "option");
      li.title = item.kind;
      fragment.appendChild(li);
    });
    list.replaceChildren(fragment);
    list.hidden = items.length === 0;
    textarea.setAttribute("aria-expanded", items.length ? "true" : "false");
    selected = -1;
    if (items.length) select(0);
  }

  async function update(force = false) {
    const mine = ++seq;
    const ctx = completionContext(textarea.value, textarea.selectionStart, force);
    if (!ctx || textarea.selectionStart !== textarea.selectionEnd) {
      close();
      return;
    }
    let all;
    try {
      all = await provider.items(ctx);
    } catch (_) {
      all = [];
    }
    if (mine !== seq) return;
    const matches = filterItems(all, ctx.prefix);
    // Nothing to complete when the word already is the only match.
    if (matches.length === 1 && matches[0].value === ctx.prefix &&
        !(ctx.kind === "value" && !ctx.closed)) {
      close();
      return;
    }
    context = ctx;
    render(matches);
  }

  function accept(index) {
    const item = items[index];
    const ctx = context;
    if (!item || !ctx) return;
    let insert = item.value;
    if (ctx.kind === "value") {
      insert = escapeValue(insert, ctx.quote);
      if (!ctx.closed) insert += ctx.quote;
    }
    close();
    textarea.focus();
    textarea.setSelectionRange(ctx.from, ctx.to);
    suppress = true;
    // execCommand keeps the browser's undo history; setRangeText where it is unavailable.
    let done = false;
    try {
      done = document.execCommand("insertText", false, insert);
    } catch (_) {
      done = false;
    }
    if (!done) textarea.setRangeText(insert, ctx.from, ctx.to, "end");
    suppress = false;
    let caret = ctx.from + insert.length;
    if (ctx.kind === "value" && ctx.closed) caret += 1; // past the closing quote
    textarea.setSelectionRange(caret, caret);
  }

  function onInput() {
    if (suppress) return;
    update(false);
  }

  function onKeyDown(event) {
    if ((event.ctrlKey || event.metaKey) && event.key === " ") {
      event.preventDefault();
      update(true);
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (list.hidden || items.length === 0) return;
    switch (event.key) {
      case "ArrowDown":
        event.preventDefault();
        select((selected + 1) % items.length);
        break;
      case "ArrowUp":
        event.preventDefault();
        select((selected - 1 + items.length) % items.length);
        break;
      case "Tab":
      case "Enter":
        if (event.shiftKey) return;
        event.preventDefault();
        event.stopPropagation();
        accept(selected >= 0 ? selected : 0);
        break;
      case "Escape":
        event.preventDefault();
        event.stopPropagation();
        close();
        break;
      default:
        break;
    }
  }

  function onKeyUp(event) {
    if (["ArrowLeft", "ArrowRight", "Home", "End"].includes(event.key) && !list.hidden) update(false);
  }

  function onMouseDown(event) {
    // Keep the box focused (no blur) while the item is clicked.
    if (event.target.closest("li")) event.preventDefault();
  }

  function onClick(event) {
    const li = event.target.closest("li");
    if (!li || !list.contains(li)) return;
    accept(Number(li.dataset.index));
  }

  function onBlur() {
    clearTimeout(blurTimer);
    blurTimer = setTimeout(() => {
      if (document.activeElement !== textarea) close();
    }, 150);
  }

  function onTextClick() {
    if (!list.hidden) update(false);
  }

  textarea.setAttribute("aria-autocomplete", "list");
  textarea.setAttribute("aria-controls", list.id);
  list.setAttribute("role", "listbox");
  list.hidden = true;
  textarea.addEventListener("input", onInput);
  textarea.addEventListener("keydown", onKeyDown);
  textarea.addEventListener("keyup", onKeyUp);
  textarea.addEventListener("blur", onBlur);
  textarea.addEventListener("click", onTextClick);
  list.addEventListener("mousedown", onMouseDown);
  list.addEventListener("click", onClick);

  return {
    update,
    close,
    isOpen: () => !list.hidden && items.length > 0,
    destroy() {
      clearTimeout(blurTimer);
      close();
      textarea.removeEventListener("input", onInput);
      textarea.removeEventListener("keydown", onKeyDown);
      textarea.removeEventListener("keyup", onKeyUp);
      textarea.removeEventListener("blur", onBlur);
      textarea.removeEventListener("click", onTextClick);
      list.removeEventListener("mousedown", onMouseDown);
      list.removeEventListener("click", onClick);
    },
  };
}
