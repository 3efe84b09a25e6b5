// The dashboard's time range: relative (5m, 1h, 24h, 7d; end = now; live refresh) or custom
// (absolute from/to). Kept in the hash params (range, from, to, live) so a link reproduces the
// view. The step follows the range (contract: frontend_contract.md, "time_range.js").

import { el, pad } from "./dom.js";

export const RANGES = { "5m": 300, "1h": 3600, "24h": 86400, "7d": 604800 };
export const DEFAULT_RANGE = "1h";
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600,
               43200, 86400];

// raw = (end - start) / max_points; the smallest STEPS entry >= raw (86400 beyond), at least
// min_step_ms / 1000.
export function computeStep(start, end, dashboard) {
  const maxPoints = dashboard && dashboard.max_points > 0 ? dashboard.max_points : 500;
  const minStep = dashboard && dashboard.min_step_ms > 0 ? dashboard.min_step_ms / 1000 : 0;
  const raw = (end - start) / maxPoints;
  let step = 86400;
  for (const s of STEPS) {
    if (s >= raw) { step = s; break; }
  }
  return Math.max(step, minStep);
}

function parseTime(text) {
  if (text === null || text === undefined || text === "") return null;
  if (/^-?\d+(\.\d+)?$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms / 1000;
}

// The range state of hash params: {key: "5m"|"1h"|"24h"|"7d"|"custom", from, to, live}.
export function stateFromParams(params) {
  const from = parseTime(params.get("from"));
  const to = parseTime(params.get("to"));
  const key = params.get("range");
  if ((key === "custom" || !(key in RANGES)) && from !== null && to !== null && from < to) {
    return { key: "custom", from, to, live: false };
  }
  const live = params.get("live");
  return {
    key: key in RANGES ? key : DEFAULT_RANGE,
    from: null,
    to: null,
    live: live === null ? true : !(live === "0" || live === "false"),
  };
}

// Writes the state's keys into params (a URLSearchParams), removing the ones it does not use.
export function writeParams(params, state) {
  params.set("range", state.key);
  if (state.key === "custom") {
    params.set("from", String(Math.round(state.from)));
    params.set("to", String(Math.round(state.to)));
    params.delete("live");
  } else {
    params.delete("from");
    params.delete("to");
    params.set("live", state.live ? "1" : "0");
  }
  return params;
}

// "range=1h" or "range=custom&from=..&to=..": for links (a panel's Explore link).
export function rangeQuery(state) {
  const params = new URLSearchParams();
  params.set("range", state.key);
  if (state.key === "custom") {
    params.set("from", String(Math.round(state.from)));
    params.set("to", String(Math.round(state.to)));
  }
  return params.toString();
}

// The range to query now: {start, end, step, live, key} (seconds).
export function resolveRange(state, dashboard, nowMs = Date.now()) {
  let start;
  let end;
  if (state.key === "custom") {
    start = state.from;
    end = state.to;
  } else {
    end = nowMs / 1000;
    start = end - RANGES[state.key];
  }
  return { start, end, step: computeStep(start, end, dashboard), live: isLive(state), key: state.key };
}

export function isLive(state) {
  return state.key !== "custom" && state.live;
}

// Unix seconds -> the value of an <input type="datetime-local"> (local time).
export function toLocalInput(seconds) {
  const d = new Date(seconds * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:` +
         `${pad(d.getMinutes())}`;
}

// <input type="datetime-local"> value (local time) -> unix seconds, or null.
export function fromLocalInput(text) {
  if (!text) return null;
  const ms = new Date(text).getTime();
  return Number.isNaN(ms) ? null : ms / 1000;
}

// The range bar (<div id="range">). onChange(newState) when the user picks a range, toggles
// live or applies a custom range; onRefresh() for the refresh button.
export class RangeBar {
  constructor(container, { onChange, onRefresh }) {
    this.onChange = onChange;
    this.state = { key: DEFAULT_RANGE, from: null, to: null, live: true };
    this.element = el("div", { id: "range" });
    this.buttons = {};
    const group = el("span", { class: "range-buttons" });
    for (const key of Object.keys(RANGES)) {
      const button = el("button", { type: "button", "data-range": key }, key);
      button.addEventListener("click", () => this.pick(key));
      this.buttons[key] = button;
      group.append(button);
    }
    const liveLabel = el("label", { class: "range-live" });
    this.live = el("input", { type: "checkbox", id: "live" });
    this.live.addEventListener("change", () => this.toggleLive());
    liveLabel.append(this.live, document.createTextNode(" live"));
    this.from = el("input", { type: "datetime-local", id: "range-from", "aria-label": "from" });
    this.to = el("input", { type: "datetime-local", id: "range-to", "aria-label": "to" });
    const apply = el("button", { type: "button", id: "range-apply" }, "Apply");
    apply.addEventListener("click", () => this.applyCustom());
    const now = el("button", { type: "button", id: "refresh-now", title: "refresh now" }, "↻");
    now.addEventListener("click", () => onRefresh());
    this.message = el("span", { class: "range-message" });
    const custom = el("span", { class: "range-custom" });
    custom.append(this.from, el("span", { class: "range-sep" }, "→"), this.to, apply);
    this.element.append(group, liveLabel, custom, now, this.message);
    container.append(this.element);
  }

  // Shows state (and fills the custom inputs with range's bounds).
  show(state, range) {
    this.state = { ...state };
    for (const [key, button] of Object.entries(this.buttons)) {
      button.classList.toggle("active", key === state.key);
    }
    this.live.checked = isLive(state);
    if (range) {
      this.from.value = toLocalInput(range.start);
      this.to.value = toLocalInput(range.end);
    }
    this.message.textContent = "";
  }

  pick(key) {
    const live = this.state.key === "custom" ? true : this.state.live;
    this.onChange({ key, from: null, to: null, live });
  }

  toggleLive() {
    const live = this.live.checked;
    const key = this.state.key === "custom" ? DEFAULT_RANGE : this.state.key;
    this.onChange({ key, from: null, to: null, live });
  }

  applyCustom() {
    const from = fromLocalInput(this.from.value);
    const to = fromLocalInput(this.to.value);
    if (from === null || to === null || !(from < to)) {
      this.message.textContent = "from must be before to";
      return;
    }
    this.onChange({ key: "custom", from, to, live: false });
  }
}
