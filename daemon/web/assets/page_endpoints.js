// The Endpoints page: every endpoint the daemon serves (dashboard.endpoints: path, methods,
// whether a plain GET answers, doc), and the daemon's version, revision and config file.
// Static: the list comes with /api/v1/dashboard, so a refresh tick does nothing.

import { classed as el } from "./dom.js";

// The doc's `code` spans as <code> elements; everything else as text nodes (never markup).
export function appendDoc(parent, doc) {
  const parts = String(doc || "").split("`");
  parts.forEach((part, i) => {
    if (part === "") return;
    // An unmatched trailing backtick leaves an odd part count: its text stays plain.
    if (i % 2 === 1 && i < parts.length - 1) parent.appendChild(el("code", "", part));
    else parent.appendChild(document.createTextNode(i % 2 === 1 ? `\`${part}` : part));
  });
}

function aboutList(dashboard) {
  const dl = el("dl", "about-list");
  dl.id = "endpoints-about";
  const rows = [
    ["Version", dashboard.version],
    ["Revision", dashboard.revision],
    ["Config file", dashboard.config_file || "(the embedded default config)"],
  ];
  for (const [name, value] of rows) {
    dl.appendChild(el("dt", "", name));
    const dd = el("dd", "");
    dd.appendChild(el("code", "", value === undefined || value === "" ? "–" : value));
    dl.appendChild(dd);
  }
  return dl;
}

function endpointsTable(endpoints) {
  const table = el("table", "data-table endpoints-table");
  table.id = "endpoints-table";
  const head = table.createTHead().insertRow();
  for (const name of ["Path", "Methods", "Description"]) head.appendChild(el("th", "", name));
  const body = table.createTBody();
  for (const endpoint of endpoints) {
    const row = body.insertRow();
    row.dataset.path = endpoint.path;
    const path = row.insertCell();
    path.className = "endpoint-path";
    if (endpoint.get) {
      const link = el("a", "", endpoint.path);
      link.href = endpoint.path;
      link.target = "_blank";
      link.rel = "noopener";
      path.appendChild(link);
    } else {
      path.appendChild(el("code", "", endpoint.path));
    }
    row.insertCell().textContent = endpoint.methods || "";
    const doc = row.insertCell();
    doc.className = "endpoint-doc";
    appendDoc(doc, endpoint.doc);
  }
  return table;
}

export function mount(root, ctx) {
  const dashboard = (ctx && ctx.dashboard) || {};
  const page = el("div", "page-endpoints");
  page.appendChild(el("h2", "page-heading", "Endpoints"));
  page.appendChild(aboutList(dashboard));
  page.appendChild(endpointsTable(Array.isArray(dashboard.endpoints) ? dashboard.endpoints : []));
  root.appendChild(page);
  return {
    refresh() { return Promise.resolve(); },
    destroy() { page.remove(); },
  };
}
