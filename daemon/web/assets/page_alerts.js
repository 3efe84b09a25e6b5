// The Alerts page: pending and firing alerts (/api/v1/alerts) and every rule by group
// (/api/v1/rules), in Prometheus's shapes. Each rule's query opens in Explore. A refresh
// re-reads both and rebuilds a table's body only when its content changed.

import { getJson } from "./api.js";
import { formatValue } from "./format.js";
import { classed as el, pad } from "./dom.js";

// Local time as YYYY-MM-DD HH:MM:SS.
export function formatTime(date) {
  if (!(date instanceof Date) || Number.isNaN(date.getTime())) return "–";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// "3m 12s" for a span in seconds.
export function formatAge(seconds) {
  if (!Number.isFinite(seconds)) return "";
  let s = Math.max(0, Math.round(seconds));
  const parts = [];
  for (const [size, unit] of [[86400, "d"], [3600, "h"], [60, "m"]]) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (parts.length === 0 || (parts.length < 2 && s > 0)) parts.push(`${s}s`);
  return parts.slice(0, 2).join(" ");
}

// Prometheus's zero time ("0001-01-01T00:00:00Z") means never.
function parseTime(text) {
  if (!text || String(text).startsWith("0001-")) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}

// Label chips: name="value" each, in name order, alertname left out (it is the Name column).
function labelChips(labels, skip = ["alertname"]) {
  const box = el("span", "label-chips");
  for (const name of Object.keys(labels || {}).sort()) {
    if (skip.includes(name)) continue;
    const chip = el("span", "label-chip");
    chip.appendChild(el("span", "label-chip-name", name));
    chip.appendChild(document.createTextNode("="));
    chip.appendChild(el("span", "label-chip-value", labels[name]));
    box.appendChild(chip);
  }
  return box;
}

export function exploreHash(expr, range) {
  const params = new URLSearchParams();
  params.set("expr", expr);
  if (range && range.key) {
    params.set("range", range.key);
    if (range.key === "custom") {
      params.set("from", String(Math.round(range.start)));
      params.set("to", String(Math.round(range.end)));
    }
  }
  return `#/explore?${params.toString().replace(/\+/g, "%20")}`;
}

function table(id, columns) {
  const node = el("table", "data-table");
  node.id = id;
  const head = node.createTHead().insertRow();
  for (const name of columns) head.appendChild(el("th", "", name));
  return { node, body: node.createTBody() };
}

function alertRows(body, alerts, now) {
  body.replaceChildren();
  const order = { firing: 0, pending: 1 };
  const sorted = alerts.slice().sort((a, b) =>
    (order[a.state] ?? 2) - (order[b.state] ?? 2) ||
    String(a.labels?.alertname || "").localeCompare(String(b.labels?.alertname || "")) ||
    String(a.activeAt || "").localeCompare(String(b.activeAt || "")));
  for (const alert of sorted) {
    const row = body.insertRow();
    row.dataset.state = alert.state;
    row.dataset.alertname = alert.labels?.alertname || "";
    row.dataset.labels = JSON.stringify(alert.labels || {});
    const state = row.insertCell();
    state.appendChild(el("span", `state-badge state-${alert.state}`, alert.state));
    const name = row.insertCell();
    name.className = "alert-name";
    name.textContent = alert.labels?.alertname || "";
    const summary = alert.annotations?.summary || alert.annotations?.description;
    if (summary) {
      name.appendChild(el("div", "alert-summary", summary));
    }
    row.insertCell().appendChild(labelChips(alert.labels));
    const value = row.insertCell();
    value.className = "value";
    value.dataset.value = alert.value ?? "";
    value.textContent = formatValue(alert.value, "short");
    const since = row.insertCell();
    const active = parseTime(alert.activeAt);
    since.textContent = active ? formatTime(active) : "–";
    if (active) since.appendChild(el("span", "age", ` (${formatAge(now - active.getTime() / 1000)})`));
  }
}

function ruleRows(body, groups, range, now) {
  body.replaceChildren();
  for (const group of groups) {
    (group.rules || []).forEach((rule, i) => {
      const row = body.insertRow();
      row.className = i === 0 ? "rule-row group-first" : "rule-row";
      row.dataset.group = group.name;
      row.dataset.rule = rule.name;
      row.dataset.type = rule.type;
      row.dataset.health = rule.health;
      if (rule.type === "alerting") row.dataset.state = rule.state || "inactive";
      const groupCell = row.insertCell();
      groupCell.className = i === 0 ? "rule-group" : "rule-group group-repeat";
      groupCell.textContent = group.name;
      if (i === 0 && group.file) groupCell.title = group.file;
      const name = row.insertCell();
      name.className = "rule-name";
      name.textContent = rule.name;
      if (rule.type === "alerting" && rule.state && rule.state !== "inactive") {
        const count = (rule.alerts || []).length;
        name.appendChild(document.createTextNode(" "));
        name.appendChild(el("span", `state-badge state-${rule.state}`, `${rule.state} ${count}`));
      }
      row.insertCell().textContent = rule.type;
      const queryCell = row.insertCell();
      queryCell.className = "rule-query";
      const link = el("a", "rule-explore", rule.query);
      link.href = exploreHash(rule.query, range);
      link.title = "Open in Explore";
      queryCell.appendChild(link);
      if (rule.type === "alerting" && rule.duration > 0) {
        queryCell.appendChild(el("div", "rule-for", `for ${formatAge(rule.duration)}`));
      }
      const health = row.insertCell();
      health.appendChild(el("span", `health-badge health-${rule.health}`, rule.health));
      const error = row.insertCell();
      error.className = "rule-error";
      error.textContent = rule.lastError || "";
      const last = parseTime(rule.lastEvaluation);
      const lastCell = row.insertCell();
      lastCell.className = "rule-last";
      lastCell.textContent = last ? `${formatAge(now - last.getTime() / 1000)} ago` : "never";
      if (last) lastCell.title = formatTime(last);
      const duration = row.insertCell();
      duration.className = "rule-duration";
      duration.textContent = formatValue(rule.evaluationTime, "seconds");
    });
  }
}

export function mount(root, ctx) {
  const features = ctx?.dashboard?.features || {};
  const page = el("div", "page-alerts");
  root.appendChild(page);
  if (features.alerting === false) {
    page.appendChild(el("p", "page-note", "Alerting is off in this daemon: no alerts and no rules."));
    return { refresh: () => Promise.resolve(), destroy: () => page.remove() };
  }

  page.appendChild(el("h2", "page-heading", "Alerts"));
  const alertsCounts = el("p", "counts");
  alertsCounts.id = "alerts-counts";
  page.appendChild(alertsCounts);
  const alertsError = el("div", "page-error");
  alertsError.hidden = true;
  page.appendChild(alertsError);
  const alerts = table("alerts-table", ["State", "Name", "Labels", "Value", "Active since"]);
  page.appendChild(alerts.node);
  const alertsNone = el("p", "empty-note", "No pending or firing alerts.");
  alertsNone.hidden = true;
  page.appendChild(alertsNone);

  page.appendChild(el("h2", "page-heading", "Rules"));
  const rulesCounts = el("p", "counts");
  rulesCounts.id = "rules-counts";
  page.appendChild(rulesCounts);
  const rulesError = el("div", "page-error");
  rulesError.hidden = true;
  page.appendChild(rulesError);
  const rules = table("rules-table", ["Group", "Name", "Type", "Query", "Health", "Last error",
                                      "Last evaluation", "Duration"]);
  page.appendChild(rules.node);
  const rulesNone = el("p", "empty-note", "No rules loaded (alerting.rule_files).");
  rulesNone.hidden = true;
  page.appendChild(rulesNone);

  let alertsKey = null;
  let destroyed = false;

  async function refreshAlerts() {
    try {
      const data = await getJson("/api/v1/alerts");
      if (destroyed) return;
      const list = Array.isArray(data?.alerts) ? data.alerts : [];
      alertsError.hidden = true;
      const firing = list.filter((a) => a.state === "firing").length;
      const pending = list.filter((a) => a.state === "pending").length;
      alertsCounts.textContent = `${firing} firing, ${pending} pending`;
      alertsNone.hidden = list.length !== 0;
      // The "active since" ages move every tick, so rebuild when anything is shown.
      const key = JSON.stringify(list);
      if (key !== alertsKey || list.length) {
        alertsKey = key;
        alertRows(alerts.body, list, Date.now() / 1000);
      }
    } catch (err) {
      if (destroyed) return;
      alertsError.textContent = err.message;
      alertsError.hidden = false;
    }
  }

  async function refreshRules() {
    try {
      const data = await getJson("/api/v1/rules");
      if (destroyed) return;
      const groups = Array.isArray(data?.groups) ? data.groups : [];
      rulesError.hidden = true;
      const all = groups.flatMap((g) => g.rules || []);
      const bad = all.filter((r) => r.health === "err").length;
      rulesCounts.textContent = `${all.length} rules in ${groups.length} groups` +
        (bad ? `, ${bad} failing` : "");
      rulesNone.hidden = all.length !== 0;
      // "Last evaluation" reads as an age, which moves every tick: always rebuilt (small).
      ruleRows(rules.body, groups, ctx.range, Date.now() / 1000);
    } catch (err) {
      if (destroyed) return;
      rulesError.textContent = err.message;
      rulesError.hidden = false;
    }
  }

  return {
    async refresh() {
      await Promise.all([refreshAlerts(), refreshRules()]);
    },
    destroy() {
      destroyed = true;
      page.remove();
    },
  };
}
