// The Reports page: the analytics reports (dashboard.reports) as links to
// /api/v1/reports/<name>?format=html|md|json (opened in a new tab, never fetched here), the
// annotations of the range (GET /api/v1/annotations?from=&to=, Grafana's bare JSON array) and
// a form that adds one (POST /api/v1/annotations {time, text, tags}). Without
// features.analytics the page is a note and makes no request.

import { classed as el, pad } from "./dom.js";

function formatTime(ms) {
  const date = new Date(ms);
  if (Number.isNaN(date.getTime())) return "–";
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

// A Grafana-style error body is {"message": ...}; anything else reads as the HTTP status.
async function errorText(response) {
  try {
    const body = await response.json();
    if (body && typeof body.message === "string") return body.message;
    if (body && typeof body.error === "string") return body.error;
  } catch (_) {
    // not JSON
  }
  return `${response.status} ${response.statusText || "error"}`.trim();
}

const FORMATS = ["html", "md", "json"];

function reportsList(names) {
  const list = el("ul", "reports-list");
  list.id = "reports-list";
  for (const name of names) {
    const item = el("li", "report");
    item.dataset.report = name;
    item.appendChild(el("span", "report-name", name));
    for (const format of FORMATS) {
      const link = el("a", "report-link", format);
      link.href = `/api/v1/reports/${encodeURIComponent(name)}?format=${format}`;
      link.target = "_blank";
      link.rel = "noopener";
      link.dataset.format = format;
      item.appendChild(link);
    }
    list.appendChild(item);
  }
  return list;
}

function annotationRows(body, annotations) {
  body.replaceChildren();
  const sorted = annotations.slice().sort((a, b) => (b.time || 0) - (a.time || 0));
  for (const a of sorted) {
    const row = body.insertRow();
    if (a.id !== undefined) row.dataset.id = String(a.id);
    row.dataset.time = String(a.time);
    const time = row.insertCell();
    time.textContent = formatTime(a.time);
    if (a.timeEnd && a.timeEnd !== a.time) time.textContent += ` – ${formatTime(a.timeEnd)}`;
    const tags = el("span", "annotation-tags");
    for (const tag of Array.isArray(a.tags) ? a.tags : []) tags.appendChild(el("span", "tag", tag));
    row.insertCell().appendChild(tags);
    const text = row.insertCell();
    text.className = "annotation-text";
    text.textContent = a.text || "";
    row.insertCell().textContent = a.source || "";
  }
}

// The annotation form's time: a datetime-local value (local time) to epoch ms; empty = now.
function timeFromInput(value) {
  if (!value) return Date.now();
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? null : ms;
}

function field(labelText, input) {
  const label = el("label", "form-field");
  label.appendChild(el("span", "form-label", labelText));
  label.appendChild(input);
  return label;
}

export function mount(root, ctx) {
  const dashboard = ctx?.dashboard || {};
  const page = el("div", "page-reports");
  root.appendChild(page);
  if (!dashboard.features || !dashboard.features.analytics) {
    page.appendChild(el("h2", "page-heading", "Reports"));
    const note = el("p", "page-note",
                    "Reports and annotations need analytics (analytics.enabled, with history on or " +
                    "analytics.source set); " +
                    "it is off in this daemon.");
    note.id = "reports-disabled";
    page.appendChild(note);
    return { refresh: () => Promise.resolve(), destroy: () => page.remove() };
  }

  page.appendChild(el("h2", "page-heading", "Reports"));
  const names = Array.isArray(dashboard.reports) ? dashboard.reports : [];
  page.appendChild(reportsList(names));
  if (names.length === 0) {
    page.appendChild(el("p", "empty-note", "No reports configured (analytics.reports)."));
  } else {
    page.appendChild(el("p", "hint",
                        "Each link makes the report now, over its own range; it opens in a new tab."));
  }

  page.appendChild(el("h2", "page-heading", "Annotations"));
  const rangeNote = el("p", "counts");
  rangeNote.id = "annotations-counts";
  page.appendChild(rangeNote);
  const error = el("div", "page-error");
  error.id = "annotations-error";
  error.hidden = true;
  page.appendChild(error);
  const table = el("table", "data-table");
  table.id = "annotations-table";
  const head = table.createTHead().insertRow();
  for (const name of ["Time", "Tags", "Text", "Source"]) head.appendChild(el("th", "", name));
  const body = table.createTBody();
  page.appendChild(table);

  // The add form.
  const form = el("form", "annotation-form");
  form.id = "annotation-form";
  form.noValidate = true;
  form.appendChild(el("h3", "form-heading", "Add an annotation"));
  const timeInput = el("input");
  timeInput.type = "datetime-local";
  timeInput.id = "annotation-time";
  timeInput.step = "1";
  const textInput = el("input");
  textInput.type = "text";
  textInput.id = "annotation-text";
  textInput.placeholder = "deploy v1.2.3";
  const tagsInput = el("input");
  tagsInput.type = "text";
  tagsInput.id = "annotation-tags";
  tagsInput.placeholder = "deploy, game";
  const submit = el("button", "", "Add");
  submit.type = "submit";
  submit.id = "annotation-add";
  form.appendChild(field("Time (empty: now)", timeInput));
  form.appendChild(field("Text", textInput));
  form.appendChild(field("Tags (comma-separated)", tagsInput));
  form.appendChild(submit);
  const status = el("span", "form-status");
  status.id = "annotation-status";
  form.appendChild(status);
  page.appendChild(form);

  let key = null;
  let destroyed = false;
  let seq = 0;

  async function load() {
    const range = ctx.range || {};
    const from = Math.floor((range.start ?? Date.now() / 1000 - 3600) * 1000);
    // A live range ends now, even between ticks (an annotation just added must show).
    const end = range.end ?? Date.now() / 1000;
    const to = Math.ceil(range.live ? Math.max(end * 1000, Date.now()) : end * 1000);
    const mine = ++seq;
    try {
      const response = await fetch(`/api/v1/annotations?from=${from}&to=${to}`,
                                    { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(await errorText(response));
      const list = await response.json();
      if (destroyed || mine !== seq) return;
      const annotations = Array.isArray(list) ? list : [];
      error.hidden = true;
      rangeNote.textContent = `${annotations.length} in the range ${formatTime(from)} – ${formatTime(to)}`;
      const next = JSON.stringify(annotations);
      if (next !== key) {
        key = next;
        annotationRows(body, annotations);
      }
    } catch (err) {
      if (destroyed || mine !== seq) return;
      error.textContent = err.message;
      error.hidden = false;
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const time = timeFromInput(timeInput.value);
    const text = textInput.value.trim();
    const tags = tagsInput.value.split(",").map((t) => t.trim()).filter((t) => t !== "");
    if (time === null) {
      status.textContent = "The time is not valid.";
      status.className = "form-status form-error";
      return;
    }
    if (!text && tags.length === 0) {
      status.textContent = "An annotation needs a text or tags.";
      status.className = "form-status form-error";
      return;
    }
    submit.disabled = true;
    status.textContent = "Adding…";
    status.className = "form-status";
    try {
      const response = await fetch("/api/v1/annotations", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ time, text, tags }),
      });
      if (!response.ok) throw new Error(await errorText(response));
      const answer = await response.json();
      if (destroyed) return;
      status.textContent = `Added (id ${answer.id}).`;
      status.className = "form-status form-ok";
      textInput.value = "";
      tagsInput.value = "";
      timeInput.value = "";
      await load();
    } catch (err) {
      if (destroyed) return;
      status.textContent = err.message;
      status.className = "form-status form-error";
    } finally {
      submit.disabled = false;
    }
  });

  return {
    refresh: load,
    destroy() {
      destroyed = true;
      page.remove();
    },
  };
}
