// Above the Overview page's panels: the health of each Source (metricsd_collector_success at
// the range's end), firing and pending alerts (/api/v1/alerts, when features.alerting) and
// the current analytics findings (/api/v1/analytics/findings, when features.analytics), each
// with counts. A tick makes at most three small requests and rebuilds a card's list only when
// its content changed.

import { getJson, query } from "./api.js";
import { classed as el } from "./dom.js";

const MAX_ITEMS = 8;

// A card: title, a count line and a body; `update` fills them unless nothing changed.
function card(id, title, href) {
  const root = el("section", "extras-card");
  root.id = id;
  root.dataset.state = "loading";
  const heading = el("h3", "extras-title");
  if (href) {
    const link = el("a", "", title);
    link.href = href;
    heading.appendChild(link);
  } else {
    heading.textContent = title;
  }
  const counts = el("span", "extras-counts");
  heading.appendChild(counts);
  const body = el("div", "extras-body");
  const error = el("div", "extras-error");
  error.hidden = true;
  root.append(heading, body, error);
  let key = null;
  return {
    root,
    update(nextKey, countText, count, fill) {
      root.dataset.state = "ok";
      root.dataset.count = String(count);
      counts.textContent = countText;
      error.hidden = true;
      if (nextKey === key) return;
      key = nextKey;
      body.replaceChildren();
      fill(body);
    },
    fail(message) {
      root.dataset.state = "error";
      error.textContent = message;
      error.hidden = false;
      counts.textContent = "";
      key = null;
      body.replaceChildren();
    },
  };
}

function labelText(labels, skip) {
  return Object.keys(labels || {}).filter((k) => !skip.includes(k)).sort()
    .map((k) => `${k}="${labels[k]}"`).join(", ");
}

function fillSources(body, sources) {
  if (sources.length === 0) {
    body.appendChild(el("p", "empty-note", "No collection yet."));
    return;
  }
  const grid = el("div", "sources-grid");
  for (const s of sources) {
    const item = el("span", `source source-${s.ok ? "ok" : "fail"}`, s.name);
    item.dataset.collector = s.name;
    item.dataset.state = s.ok ? "ok" : "fail";
    item.title = s.ok ? `${s.name}: last collection succeeded` : `${s.name}: last collection failed`;
    grid.appendChild(item);
  }
  body.appendChild(grid);
}

// One line per alert name and state: the labels when it has one series, else the count.
function fillAlerts(body, alerts) {
  if (alerts.length === 0) {
    body.appendChild(el("p", "empty-note", "No pending or firing alerts."));
    return;
  }
  const groups = new Map();
  for (const alert of alerts) {
    const key = `${alert.state}\u0000${alert.labels?.alertname || ""}`;
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(alert);
  }
  const lines = [...groups.values()];
  const list = el("ul", "extras-list");
  for (const group of lines.slice(0, MAX_ITEMS)) {
    const alert = group[0];
    const item = el("li", "overview-alert");
    item.dataset.state = alert.state;
    item.dataset.alertname = alert.labels?.alertname || "";
    item.dataset.count = String(group.length);
    item.appendChild(el("span", `state-badge state-${alert.state}`, alert.state));
    item.appendChild(el("span", "extras-name", alert.labels?.alertname || ""));
    if (group.length > 1) {
      item.appendChild(el("span", "extras-detail", `${group.length} series`));
    } else {
      const labels = labelText(alert.labels, ["alertname"]);
      if (labels) item.appendChild(el("span", "extras-detail", labels));
    }
    list.appendChild(item);
  }
  body.appendChild(list);
  if (lines.length > MAX_ITEMS) {
    body.appendChild(el("p", "extras-more", `and ${lines.length - MAX_ITEMS} more`));
  }
}

function fillFindings(body, findings) {
  if (findings.length === 0) {
    body.appendChild(el("p", "empty-note", "No current findings."));
    return;
  }
  const list = el("ul", "extras-list");
  for (const f of findings.slice(0, MAX_ITEMS)) {
    const item = el("li", "finding");
    item.dataset.kind = f.kind || "";
    item.dataset.severity = f.severity || "";
    item.appendChild(el("span", `severity-badge severity-${f.severity}`, f.severity));
    item.appendChild(el("span", "extras-name", `${f.kind}: ${f.watch}`));
    if (f.summary) item.appendChild(el("span", "extras-detail", f.summary));
    else {
      const labels = labelText(f.labels, []);
      if (labels) item.appendChild(el("span", "extras-detail", labels));
    }
    list.appendChild(item);
  }
  body.appendChild(list);
  if (findings.length > MAX_ITEMS) {
    body.appendChild(el("p", "extras-more", `and ${findings.length - MAX_ITEMS} more`));
  }
}

const STATE_ORDER = { firing: 0, pending: 1 };
const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 };

export function mount(root, ctx) {
  const features = ctx?.dashboard?.features || {};
  const box = el("div", "extras-grid");
  box.id = "overview-extras";
  const sources = card("overview-sources", "Sources");
  box.appendChild(sources.root);
  const alerts = features.alerting === false ? null : card("overview-alerts", "Alerts", "#/alerts");
  if (alerts) box.appendChild(alerts.root);
  const findings = features.analytics ? card("overview-findings", "Findings") : null;
  if (findings) box.appendChild(findings.root);
  root.appendChild(box);
  let destroyed = false;

  async function refreshSources() {
    try {
      const end = ctx.range?.end ?? Date.now() / 1000;
      const data = await query("metricsd_collector_success", end);
      if (destroyed) return;
      const list = (Array.isArray(data?.result) ? data.result : [])
        .map((r) => ({ name: r.metric?.collector || "", ok: Number(r.value?.[1]) === 1 }))
        .sort((a, b) => a.name.localeCompare(b.name));
      const failing = list.filter((s) => !s.ok).length;
      sources.update(JSON.stringify(list),
                     failing ? `${list.length} · ${failing} failing` : `${list.length} · all up`,
                     list.length, (body) => fillSources(body, list));
      sources.root.dataset.failing = String(failing);
    } catch (err) {
      if (!destroyed) sources.fail(err.message);
    }
  }

  async function refreshAlerts() {
    try {
      const data = await getJson("/api/v1/alerts");
      if (destroyed) return;
      const list = (Array.isArray(data?.alerts) ? data.alerts : []).slice().sort((a, b) =>
        (STATE_ORDER[a.state] ?? 2) - (STATE_ORDER[b.state] ?? 2) ||
        String(a.labels?.alertname || "").localeCompare(String(b.labels?.alertname || "")));
      const firing = list.filter((a) => a.state === "firing").length;
      const pending = list.filter((a) => a.state === "pending").length;
      const shown = list.map((a) => [a.state, a.labels]);
      alerts.update(JSON.stringify(shown), `${firing} firing · ${pending} pending`, list.length,
                    (body) => fillAlerts(body, list));
      alerts.root.dataset.firing = String(firing);
      alerts.root.dataset.pending = String(pending);
    } catch (err) {
      if (!destroyed) alerts.fail(err.message);
    }
  }

  async function refreshFindings() {
    try {
      const data = await getJson("/api/v1/analytics/findings");
      if (destroyed) return;
      const list = (Array.isArray(data?.findings) ? data.findings : []).slice().sort((a, b) =>
        (SEVERITY_ORDER[a.severity] ?? 3) - (SEVERITY_ORDER[b.severity] ?? 3) ||
        String(a.kind).localeCompare(String(b.kind)) ||
        String(a.watch).localeCompare(String(b.watch)));
      const counts = {};
      for (const f of list) counts[f.severity] = (counts[f.severity] || 0) + 1;
      const text = list.length === 0 ? "none"
        : Object.keys(counts).sort((a, b) => (SEVERITY_ORDER[a] ?? 3) - (SEVERITY_ORDER[b] ?? 3))
          .map((s) => `${counts[s]} ${s}`).join(" · ");
      const shown = list.map((f) => [f.kind, f.watch, f.severity, f.summary, f.labels]);
      findings.update(JSON.stringify(shown), text, list.length, (body) => fillFindings(body, list));
    } catch (err) {
      if (!destroyed) findings.fail(err.message);
    }
  }

  return {
    async refresh() {
      const work = [refreshSources()];
      if (alerts) work.push(refreshAlerts());
      if (findings) work.push(refreshFindings());
      await Promise.all(work);
    },
    destroy() {
      destroyed = true;
      box.remove();
    },
  };
}
