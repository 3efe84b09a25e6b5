// The dashboard's boot: /api/v1/dashboard, the header (navigation, version, range bar), the
// hash router (#/<page id>?<params>) and the refresh loop (live: every refresh_ms, never two
// refreshes at once). Page modules are loaded when their page is opened.

import * as api from "./api.js";
import * as panelsPage from "./page_panels.js";
import { RangeBar, isLive, resolveRange, stateFromParams, writeParams } from "./time_range.js";
import { el } from "./dom.js";

const BUILT_IN = [
  { id: "alerts", title: "Alerts", module: "./page_alerts.js" },
  { id: "explore", title: "Explore", module: "./page_explore.js" },
  { id: "reports", title: "Reports", module: "./page_reports.js" },
  { id: "endpoints", title: "Endpoints", module: "./page_endpoints.js" },
];

const state = {
  dashboard: null,
  pages: [],        // [{id, title, module, configured}]
  nav: null,
  navLinks: new Map(),
  rangeBar: null,
  current: null,    // the mounted page: {gen, id, page, ctx, range state, running, pending, ...}
  gen: 0,
  timer: 0,
};

const pageEl = document.getElementById("page");

function messageOf(err) {
  return err && err.message ? err.message : String(err);
}

function parseHash(hash = location.hash) {
  let text = hash.startsWith("#") ? hash.slice(1) : hash;
  if (text.startsWith("/")) text = text.slice(1);
  const q = text.indexOf("?");
  const id = decodeURIComponent(q < 0 ? text : text.slice(0, q));
  const params = new URLSearchParams(q < 0 ? "" : text.slice(q + 1));
  return { id, params };
}

function hashOf(id, params) {
  const query = params.toString();
  return `#/${id}${query ? `?${query}` : ""}`;
}

function buildHeader(dashboard) {
  const top = document.getElementById("top");
  top.textContent = "";
  const brand = el("div", { class: "brand" });
  brand.append(el("span", { class: "brand-name" }, "metricsd"),
               el("span", { class: "brand-version", id: "version" }, dashboard.version || ""));
  if (dashboard.revision) brand.lastChild.title = `revision ${dashboard.revision}`;
  const nav = el("nav", { id: "nav" });
  for (const page of state.pages) {
    const link = el("a", { "data-nav": page.id, href: `#/${page.id}` }, page.title);
    state.navLinks.set(page.id, link);
    nav.append(link);
  }
  // A click keeps the current range (the href stays #/<id>, for a new tab's default view).
  nav.addEventListener("click", (event) => {
    const link = event.target.closest("a[data-nav]");
    if (!link || event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey ||
        event.altKey || !state.current) {
      return;
    }
    event.preventDefault();
    const params = writeParams(new URLSearchParams(), state.current.rangeState);
    location.hash = hashOf(link.dataset.nav, params);
  });
  state.nav = nav;
  const bar = el("div", { class: "header-range" });
  top.append(brand, nav, bar);
  state.rangeBar = new RangeBar(bar, {
    onChange: (rangeState) => changeRange(rangeState),
    onRefresh: () => refresh("user"),
  });
}

function setNavActive(id) {
  for (const [pageId, link] of state.navLinks) {
    link.classList.toggle("active", pageId === id);
    if (pageId === id) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function loadModule(page) {
  if (page.configured) return panelsPage;
  return import(page.module);
}

function showPageError(current, text) {
  current.errorEl.textContent = text;
  current.errorEl.hidden = !text;
}

// Mounts the page of the hash (destroying the current one).
async function mount(id, params) {
  const old = state.current;
  if (old) {
    old.gone = true;
    try {
      if (old.page && old.page.destroy) old.page.destroy();
    } catch (_) {
      // A page that fails to clean up is gone all the same.
    }
  }
  const page = state.pages.find((p) => p.id === id);
  const gen = ++state.gen;
  pageEl.textContent = "";
  pageEl.dataset.page = id;
  pageEl.dataset.state = "loading";
  delete pageEl.dataset.refreshes;
  setNavActive(id);
  const errorEl = el("div", { class: "page-error", role: "alert" });
  errorEl.hidden = true;
  const root = el("div", { class: "page-root" });
  pageEl.append(errorEl, root);
  const rangeState = stateFromParams(params);
  const ctx = {
    dashboard: state.dashboard,
    range: resolveRange(rangeState, state.dashboard),
    params,
    pageId: id,
    page,
    navigate: (hash) => navigate(hash),
  };
  const current = {
    gen, id, page: null, ctx, root, errorEl, rangeState, running: false, pending: false,
    refreshes: -1, gone: false,
  };
  state.current = current;
  state.rangeBar.show(rangeState, ctx.range);
  document.title = `${page ? page.title : id} · metricsd`;
  try {
    const module = await loadModule(page);
    if (current.gone) return;
    current.page = module.mount(root, ctx);
  } catch (err) {
    if (current.gone) return;
    showPageError(current, `this page could not be loaded: ${messageOf(err)}`);
    pageEl.dataset.state = "ready";
    pageEl.dataset.refreshes = "0";
    return;
  }
  await refresh("first");
}

// One refresh of the current page. A live tick while a refresh runs is skipped; a user's
// refresh (range change, button) runs once the current one ends.
async function refresh(kind) {
  const current = state.current;
  if (!current || !current.page || current.gone) return;
  if (current.running) {
    if (kind !== "tick") current.pending = true;
    return;
  }
  current.running = true;
  try {
    do {
      current.pending = false;
      current.ctx.range = resolveRange(current.rangeState, state.dashboard);
      try {
        await current.page.refresh();
        if (current.gone) return;
        showPageError(current, "");
      } catch (err) {
        if (current.gone) return;
        showPageError(current, messageOf(err));
      }
      current.refreshes += 1;
      pageEl.dataset.state = "ready";
      pageEl.dataset.refreshes = String(current.refreshes);
    } while (current.pending && !current.gone);
  } finally {
    current.running = false;
  }
}

function writeHash(current) {
  const params = writeParams(new URLSearchParams(current.ctx.params), current.rangeState);
  current.ctx.params = params;
  history.replaceState(null, "", hashOf(current.id, params));
}

function changeRange(rangeState) {
  const current = state.current;
  if (!current) return;
  current.rangeState = rangeState;
  writeHash(current);
  state.rangeBar.show(rangeState, resolveRange(rangeState, state.dashboard));
  refresh("user");
}

// For pages: another page mounts it; the same page only updates the address (no remount).
function navigate(hash) {
  const target = parseHash(hash);
  const current = state.current;
  if (current && target.id === current.id) {
    current.ctx.params = target.params;
    history.replaceState(null, "", hashOf(target.id, target.params));
    return;
  }
  location.hash = hash;
}

function defaultPageId() {
  return state.pages.length ? state.pages[0].id : "explore";
}

function route() {
  const { id, params } = parseHash();
  if (!state.pages.some((p) => p.id === id)) {
    history.replaceState(null, "", hashOf(defaultPageId(), params));
    mount(defaultPageId(), params);
    return;
  }
  const current = state.current;
  if (current && current.id === id) {
    // Same page: a change of range only refreshes; any other change remounts.
    const before = new URLSearchParams(current.ctx.params);
    const after = new URLSearchParams(params);
    for (const key of ["range", "from", "to", "live"]) {
      before.delete(key);
      after.delete(key);
    }
    before.sort();
    after.sort();
    if (before.toString() === after.toString()) {
      current.ctx.params = params;
      current.rangeState = stateFromParams(params);
      state.rangeBar.show(current.rangeState, resolveRange(current.rangeState, state.dashboard));
      refresh("user");
      return;
    }
  }
  mount(id, params);
}

function tick() {
  const current = state.current;
  if (!current || document.hidden || !isLive(current.rangeState)) return;
  refresh("tick");
}

async function boot() {
  let dashboard;
  try {
    dashboard = await api.dashboard();
  } catch (err) {
    pageEl.textContent = "";
    pageEl.append(el("div", { class: "page-error", role: "alert" },
                     `the dashboard could not be loaded: ${messageOf(err)}`));
    pageEl.dataset.state = "ready";
    pageEl.dataset.refreshes = "0";
    return;
  }
  state.dashboard = dashboard;
  state.pages = (dashboard.pages || []).map((p) => ({ id: p.id, title: p.title, configured: true,
                                                       spec: p }))
    .concat(BUILT_IN.map((p) => ({ ...p, configured: false })));
  buildHeader(dashboard);
  window.addEventListener("hashchange", route);
  const period = dashboard.refresh_ms > 0 ? dashboard.refresh_ms : 5000;
  state.timer = setInterval(tick, period);
  route();
}

boot();
