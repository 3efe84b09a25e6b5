// The built-in dashboard in a real headless Chromium (Debian's chromium, driven by
// playwright-core), against a running metricsd that tests/e2e/dashboard_browser_test.py set up
// with the game workload, a probe, a firing alert and one annotation. It checks the front end
// against its DOM contract (the ids, classes and data-* attributes named below: #nav a[data-nav],
// #page[data-page][data-state][data-refreshes], #range, section.panel[data-kind][data-expr]
// [data-state][data-annotations], tr.legend-row[data-labels] td.legend-value[data-value]
// [data-time], .stat, table.result-table, Explore's #explore-*) and every number it shows
// against the daemon's own API:
//
//  - every page (each nav link, in the contract's order) reaches #page[data-state=ready] with no
//    console error or warning, no page error, no failed request (requestfailed, or a response
//    >= 400) and no request to any origin but the daemon's;
//  - on the configured pages a chart panel is drawn (data-state=ok, canvas not blank) iff
//    /api/v1/query_range of its expr over the page's range returns data, and is data-state=empty
//    otherwise; each legend row's data-value equals /api/v1/query at its data-time for the series
//    with the same labels (within 1e-9 relative), and likewise stat values and table rows; each
//    query_range's end - start is the range and its step follows the contract's step rule;
//  - clicking data-range="24h" and "5m" issues query_range requests with that span and step;
//  - live mode (default range) refreshes within 2 refresh periods; unticking #live stops it;
//  - Explore completes a metric name typed as a prefix, runs it (chart drawn, table rows), and
//    shows the engine's own error message for `sum(`; a panel's .panel-explore link opens
//    Explore with its expr prefilled and run;
//  - a chart has data-annotations >= 1 (the posted annotation is in the range);
//  - screenshots of each page (full page) to OUT_DIR/<page id>.png; Overview's over 1h is
//    overview-1h.png, and OUT_DIR/overview.png (the README's) is Overview over the last 5m;
//  - FIGURE lines (printed, not asserted): Overview's first render, page CPU per refresh tick.
//
// Every failure is recorded with what failed and what was seen, the test goes on, and it exits
// 1 at the end if anything failed. Waits are bounded and scale with the facts' slowdown (5 under
// the sanitizers).
//
//   DASHBOARD_TEST_FACTS='{"slowdown":1,"alert":..,"annotation_text":..,"annotation_ms":..}' \
//     node dashboard_test.js BASE_URL OUT_DIR [CHROMIUM]
'use strict';

const fs = require('node:fs');
const path = require('node:path');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('playwright-core is missing: run `npm ci --prefix tests/browser` (.ci/install-deps --with-tests)');
  process.exit(1);
}

const [BASE, OUT_DIR, EXECUTABLE = '/usr/bin/chromium'] = process.argv.slice(2);
const FACTS = JSON.parse(process.env.DASHBOARD_TEST_FACTS || '{}');
const SLOW = Number(FACTS.slowdown || 1);
const scaled = (ms) => ms * SLOW;
const ORIGIN = BASE ? new URL(BASE).origin : '';

const RANGES = { '5m': 300, '1h': 3600, '24h': 86400, '7d': 604800 };
const STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];
const BUILT_IN = ['alerts', 'explore', 'reports', 'endpoints'];
const CHART_KINDS = new Set(['line', 'stacked', 'heatmap']);
// A chart's canvas is blank when its data window (the last minutes of a 1h range: a few pixels
// wide) has no coloured pixel: grid, axes and background are grey, and the annotation marker is
// outside it. A flat line there is a 1-pixel row a few pixels long.
const MIN_DATA_PIXELS = 4;

// ---------------------------------------------------------------------------------------------
// Results

const failures = [];
let stepName = 'start';

let collecting = null; // while set, failures go here (a reading that may be retried)

function check(ok, message) {
  if (!ok) {
    if (collecting) {
      collecting.push(`[${stepName}] ${message}`);
    } else {
      failures.push(`[${stepName}] ${message}`);
      console.log(`FAIL [${stepName}] ${message}`);
    }
  }
  return Boolean(ok);
}

function info(message) {
  console.log(`  ${message}`);
}

async function step(name, body) {
  stepName = name;
  console.log(`== ${name}`);
  const started = Date.now();
  try {
    await body();
  } catch (error) {
    check(false, `aborted: ${error && error.message ? error.message : error}`);
  }
  info(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

// ---------------------------------------------------------------------------------------------
// The daemon's API from node

async function apiRaw(pathname, params = {}) {
  const url = new URL(pathname, BASE);
  for (const [key, value] of Object.entries(params)) url.searchParams.append(key, String(value));
  const response = await fetch(url, { signal: AbortSignal.timeout(scaled(60000)) });
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch (_) {
    body = null;
  }
  return { status: response.status, body, text };
}

async function api(pathname, params = {}) {
  const { status, body, text } = await apiRaw(pathname, params);
  if (!body || body.status !== 'success') {
    throw new Error(`GET ${pathname} ${JSON.stringify(params)}: ${status} ${body && body.error ? body.error : text.slice(0, 200)}`);
  }
  return body.data;
}

const instantCache = new Map();
async function instant(expr, time) {
  const key = `${expr}\u0000${time}`;
  if (!instantCache.has(key)) instantCache.set(key, api('/api/v1/query', { query: expr, time }));
  return instantCache.get(key);
}

// ---------------------------------------------------------------------------------------------
// Values

function parseNumber(text) {
  if (text === null || text === undefined) return undefined;
  const s = String(text).trim();
  if (s === '') return undefined;
  if (/^\+?inf(inity)?$/i.test(s)) return Infinity;
  if (/^-inf(inity)?$/i.test(s)) return -Infinity;
  if (/^nan$/i.test(s)) return NaN;
  const n = Number(s);
  return Number.isNaN(n) ? undefined : n;
}

function sameNumber(a, b) {
  const x = parseNumber(a);
  const y = parseNumber(b);
  if (x === undefined || y === undefined) return false;
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (x === y) return true;
  return Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y));
}

function labelsKey(labels) {
  return JSON.stringify(Object.keys(labels || {}).sort().map((k) => [k, labels[k]]));
}

function parseLabels(text) {
  try {
    const value = JSON.parse(text);
    return value && typeof value === 'object' && !Array.isArray(value) ? value : undefined;
  } catch (_) {
    return undefined;
  }
}

function expectedStep(rangeSeconds, dashboard) {
  const raw = rangeSeconds / dashboard.max_points;
  const step = STEPS.find((s) => s >= raw) ?? 86400;
  return Math.max(step, dashboard.min_step_ms / 1000);
}

function hasData(data) {
  if (!data) return false;
  if (data.resultType === 'matrix') return data.result.some((s) => (s.values || []).length > 0 || (s.histograms || []).length > 0);
  if (data.resultType === 'vector') return data.result.length > 0;
  return data.resultType === 'scalar' || data.resultType === 'string';
}

function short(text, n = 90) {
  const s = String(text);
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

// ---------------------------------------------------------------------------------------------
// The page: requests, problems, snapshots

function watch(page) {
  const state = {
    seq: 0,
    requests: [], // {seq, finished, method, url, path, params, status}
    byRequest: new Map(),
    problems: [],
    foreign: [],
    aborted: [],
    expectedBad: [],
    allowBad: null, // (URL) => bool: a 4xx the current step provokes on purpose
  };
  const paramsOf = (request, url) => {
    if (request.method() === 'POST' && /x-www-form-urlencoded/.test(request.headers()['content-type'] || '')) {
      return new URLSearchParams(request.postData() || '');
    }
    return url.searchParams;
  };
  page.on('request', (request) => {
    let url;
    try {
      url = new URL(request.url());
    } catch (_) {
      state.foreign.push(`[${stepName}] ${request.url()}`);
      return;
    }
    if (url.protocol === 'data:' || url.protocol === 'blob:') return;
    if (url.origin !== ORIGIN) state.foreign.push(`[${stepName}] ${request.url()}`);
    const entry = { seq: ++state.seq, finished: 0, method: request.method(), url, path: url.pathname, params: paramsOf(request, url), step: stepName };
    state.requests.push(entry);
    state.byRequest.set(request, entry);
  });
  page.on('requestfinished', (request) => {
    const entry = state.byRequest.get(request);
    if (entry) entry.finished = ++state.seq;
  });
  page.on('requestfailed', (request) => {
    const entry = state.byRequest.get(request);
    if (entry) entry.finished = -1;
    const error = request.failure() ? request.failure().errorText : '?';
    // A page that aborts its own fetches on navigation or a newer refresh (AbortController)
    // fails nothing: such requests are counted, not reported.
    if (error === 'net::ERR_ABORTED' && request.resourceType() === 'fetch') {
      state.aborted.push(`[${stepName}] ${request.url()}`);
      return;
    }
    state.problems.push(`[${stepName}] request failed: ${request.method()} ${request.url()}: ${error}`);
  });
  page.on('response', (response) => {
    if (response.status() < 400) return;
    let url = null;
    try {
      url = new URL(response.url());
    } catch (_) { /* reported below */ }
    if (url && state.allowBad && state.allowBad(url)) {
      state.expectedBad.push(`${response.status()} ${response.url()}`);
      return;
    }
    state.problems.push(`[${stepName}] HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
  });
  page.on('console', (message) => {
    const type = message.type();
    if (type !== 'error' && type !== 'warning') return;
    const where = message.location() && message.location().url ? message.location().url : '';
    if (state.allowBad && /status of 4\d\d/.test(message.text())) {
      try {
        if (state.allowBad(new URL(where))) return;
      } catch (_) { /* not a URL: reported */ }
    }
    state.problems.push(`[${stepName}] console ${type}: ${message.text()}${where ? ` (${where})` : ''}`);
  });
  page.on('pageerror', (error) => state.problems.push(`[${stepName}] page error: ${error && error.stack ? error.stack : error}`));
  return state;
}

// Waits until no request of the page has been running for `quietMs` (bounded by `timeout`).
async function waitIdle(page, net, quietMs, timeout) {
  const deadline = Date.now() + timeout;
  let quietSince = Date.now();
  while (Date.now() < deadline) {
    if (net.requests.some((r) => r.finished === 0)) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return;
    await page.waitForTimeout(100);
  }
  throw new Error(`requests still running after ${timeout} ms: ${net.requests.filter((r) => r.finished === 0).map((r) => r.url.href).join(' ')}`);
}

// Reports the problems (console, page errors, failed requests) seen since `from`.
function checkNoProblems(net, from, where) {
  const found = net.problems.slice(from);
  check(found.length === 0, `${where}: ${found.length} console error(s)/warning(s), page error(s) or failed request(s):\n    ${found.join('\n    ')}`);
  return net.problems.length;
}

async function waitFor(page, fn, arg, timeout, what) {
  try {
    await page.waitForFunction(fn, arg, { timeout, polling: 100 });
  } catch (error) {
    const now = await page.evaluate(() => {
      const main = document.getElementById('page');
      return main ? `#page data-page=${main.dataset.page} data-state=${main.dataset.state} data-refreshes=${main.dataset.refreshes}` : 'no #page';
    }).catch(() => 'page unreadable');
    throw new Error(`timed out after ${timeout} ms waiting for ${what} (${now})`);
  }
}

async function waitReady(page, id, timeout = scaled(20000)) {
  await waitFor(page, (want) => {
    const main = document.getElementById('page');
    return main && main.dataset.page === want && main.dataset.state === 'ready';
  }, id, timeout, `#page[data-page="${id}"][data-state="ready"]`);
}

async function refreshes(page) {
  return page.evaluate(() => {
    const main = document.getElementById('page');
    return main ? Number(main.dataset.refreshes) : NaN;
  });
}

async function waitRefreshes(page, above, timeout, what) {
  await waitFor(page, (n) => {
    const main = document.getElementById('page');
    return main && main.dataset.state === 'ready' && Number(main.dataset.refreshes) > n;
  }, above, timeout, what);
}

// Every panel section of the page with its legend, stats, table rows and drawn pixels.
// `dataWindow` {from, start, end} (unix seconds): pixels are counted only right of `from` in a chart
// spanning start..end, where the data is, so that an annotation marker (posted long before the
// data, and coloured too) never passes for a drawn series.
function snapshotPanels(dataWindow) {
  const attr = (e, name) => (e ? e.getAttribute(name) : null);
  const text = (e) => (e ? e.textContent : null);
  // Pixels of the plotting area (uPlot's .u-over) of the panel's canvases that are opaque and
  // coloured: a series' stroke or fill, or a heatmap cell, not the grid, axes or background.
  const countPixels = (el) => {
    const canvases = [...el.querySelectorAll('.panel-body canvas')];
    if (canvases.length === 0) return null;
    const over = el.querySelector('.panel-body .u-over');
    const overRect = over ? over.getBoundingClientRect() : null;
    let data = 0;
    let painted = 0;
    let area = 0;
    for (const canvas of canvases) {
      if (!canvas.width || !canvas.height) continue;
      const rect = canvas.getBoundingClientRect();
      let x0 = 0; let y0 = 0; let x1 = canvas.width; let y1 = canvas.height;
      if (overRect && rect.width > 0 && rect.height > 0 && overRect.width > 0 && overRect.height > 0) {
        const sx = canvas.width / rect.width;
        const sy = canvas.height / rect.height;
        x0 = Math.max(0, Math.floor((overRect.left - rect.left) * sx));
        y0 = Math.max(0, Math.floor((overRect.top - rect.top) * sy));
        x1 = Math.min(canvas.width, Math.ceil((overRect.right - rect.left) * sx));
        y1 = Math.min(canvas.height, Math.ceil((overRect.bottom - rect.top) * sy));
        if (dataWindow && dataWindow.end > dataWindow.start) {
          const f = Math.min(1, Math.max(0, (dataWindow.from - dataWindow.start) / (dataWindow.end - dataWindow.start)));
          x0 = Math.max(x0, Math.floor(x0 + f * (x1 - x0)));
        }
      }
      if (x1 <= x0 || y1 <= y0) continue;
      const off = document.createElement('canvas');
      off.width = canvas.width;
      off.height = canvas.height;
      const ctx = off.getContext('2d');
      ctx.drawImage(canvas, 0, 0);
      const pixels = ctx.getImageData(x0, y0, x1 - x0, y1 - y0).data;
      area += (x1 - x0) * (y1 - y0);
      for (let i = 0; i < pixels.length; i += 4) {
        const a = pixels[i + 3];
        if (a === 0) continue;
        painted += 1;
        const r = pixels[i]; const g = pixels[i + 1]; const b = pixels[i + 2];
        if (a >= 32 && Math.max(r, g, b) - Math.min(r, g, b) >= 40) data += 1;
      }
    }
    return { data, painted, area, canvases: canvases.length };
  };
  return [...document.querySelectorAll('#page section.panel')].map((el, index) => ({
    index,
    kind: el.dataset.kind ?? null,
    expr: el.dataset.expr ?? null,
    state: el.dataset.state ?? null,
    annotations: attr(el, 'data-annotations'),
    buckets: attr(el, 'data-buckets'),
    title: text(el.querySelector('.panel-title')),
    explore: attr(el.querySelector('a.panel-explore'), 'href'),
    hasBody: Boolean(el.querySelector('.panel-body')),
    error: text(el.querySelector('.panel-error')),
    legend: [...el.querySelectorAll('table.legend tr.legend-row')].map((row) => {
      const value = row.querySelector('td.legend-value');
      return { labels: row.dataset.labels ?? null, name: text(row.querySelector('td.legend-name')), value: attr(value, 'data-value'), time: attr(value, 'data-time') };
    }),
    stats: [...el.querySelectorAll('.stat')].map((stat) => {
      const value = stat.querySelector('.stat-value');
      return { labels: stat.dataset.labels ?? null, name: text(stat.querySelector('.stat-name')), value: attr(value, 'data-value'), time: attr(value, 'data-time') };
    }),
    rows: [...el.querySelectorAll('table.result-table tr[data-labels]')].map((row) => ({
      labels: row.dataset.labels, value: attr(row.querySelector('td.value'), 'data-value'),
    })),
    pixels: countPixels(el),
  }));
}

// A consistent reading: panels plus the requests finished before it, with no refresh between.
// A live tick redraws panels one by one while data-refreshes waits for the last of them, and
// Playwright reports a request finished a moment after the page has drawn its answer; so a
// reading counts only if no query_range ran around it (one in CI read a legend drawn from a
// tick newer than the request it was checked against).
async function readPage(page, net) {
  const dataWindow = () => {
    const last = [...net.requests].reverse().find((r) => r.path === '/api/v1/query_range' && r.finished);
    if (!last || !FACTS.data_from_ms) return null;
    return { from: FACTS.data_from_ms / 1000, start: Number(last.params.get('start')), end: Number(last.params.get('end')) };
  };
  const ranSince = (seq) => net.requests.some((r) => r.path === '/api/v1/query_range' &&
    (r.finished === 0 || r.finished > seq));
  for (let attempt = 0; attempt < 20; attempt += 1) {
    if (ranSince(net.seq)) {
      await page.waitForTimeout(200);
      continue;
    }
    const before = await refreshes(page);
    const seq = net.seq;
    const panels = await page.evaluate(snapshotPanels, dataWindow());
    const after = await refreshes(page);
    const busy = await page.evaluate(() => [...document.querySelectorAll('#page section.panel')].some((p) => p.dataset.state === 'loading'));
    await page.waitForTimeout(100);  // Playwright's events of what ran meanwhile arrive
    if (before === after && !busy && !ranSince(seq)) return { panels, seq };
    await page.waitForTimeout(300);
  }
  return { panels: await page.evaluate(snapshotPanels, dataWindow()), seq: net.seq };
}

// The last request for `expr` to `apiPath` that finished before `seq`.
function lastRequest(net, apiPath, expr, seq, sinceSeq = 0) {
  let found = null;
  for (const r of net.requests) {
    if (r.path !== apiPath || r.params.get('query') !== expr) continue;
    if (!r.finished || r.finished > seq || r.seq <= sinceSeq) continue;
    if (!found || r.finished > found.finished) found = r;
  }
  return found;
}

// ---------------------------------------------------------------------------------------------
// Panel checks against the API

let compared = 0; // values checked against /api/v1/query

async function compareWithInstant(where, expr, labelsText, value, time) {
  compared += 1;
  const labels = parseLabels(labelsText);
  if (!check(labels !== undefined, `${where}: data-labels is not a JSON object: ${short(labelsText)}`)) return false;
  if (!check(parseNumber(time) !== undefined, `${where} ${short(labelsText)}: data-time "${time}" is not a number`)) return false;
  if (!check(parseNumber(value) !== undefined, `${where} ${short(labelsText)}: data-value "${value}" is not a number`)) return false;
  const data = await instant(expr, time);
  let expected;
  if (data.resultType === 'scalar') {
    expected = data.result[1];
  } else {
    const series = data.result.find((s) => labelsKey(s.metric) === labelsKey(labels));
    if (!series) {
      return check(false, `${where} ${short(labelsText)}: /api/v1/query?query=${expr}&time=${time} has no series with these labels (it has ${data.result.length}: ${short(data.result.map((s) => JSON.stringify(s.metric)).join(' '), 200)})`);
    }
    expected = series.value[1];
  }
  return check(sameNumber(value, expected), `${where} ${short(labelsText)}: data-value ${value} at ${time}, /api/v1/query gives ${expected}`);
}

// Checks one configured panel; returns {empty, drawn, annotations}. `range`: seconds or null.
async function checkPanel(page, pageId, spec, panel, net, seq, dashboard, range) {
  const where = `${pageId} panel "${spec.title}" (${spec.kind})`;
  const result = { empty: false, annotations: null, chart: false };
  check(panel.kind === spec.kind, `${where}: data-kind is "${panel.kind}"`);
  check(panel.title !== null && panel.title.includes(spec.title), `${where}: .panel-title reads "${panel.title}"`);
  check(panel.hasBody, `${where}: no .panel-body`);
  if (check(panel.explore !== null, `${where}: no a.panel-explore`)) {
    const hash = panel.explore.slice(panel.explore.indexOf('#'));
    const params = new URLSearchParams(hash.slice(hash.indexOf('?') + 1));
    check(hash.startsWith('#/explore?') && params.get('expr') === spec.expr,
      `${where}: .panel-explore href "${short(panel.explore, 200)}" does not open Explore with expr=${spec.expr}`);
  }
  check(panel.state !== 'error', `${where}: data-state=error: ${panel.error}`);
  if (CHART_KINDS.has(spec.kind)) {
    result.chart = true;
    const request = lastRequest(net, '/api/v1/query_range', spec.expr, seq);
    if (!check(request, `${where}: no /api/v1/query_range for its expr finished before the page was read`)) return result;
    const start = Number(request.params.get('start'));
    const end = Number(request.params.get('end'));
    const step = parseNumber(request.params.get('step'));
    if (range) {
      check(Math.abs(end - start - range) < 1e-3, `${where}: query_range end-start = ${end - start}, the range is ${range}`);
      check(step === expectedStep(end - start, dashboard), `${where}: query_range step ${request.params.get('step')} for a span of ${end - start} s; the step rule gives ${expectedStep(end - start, dashboard)}`);
    }
    const data = await api('/api/v1/query_range', { query: spec.expr, start: request.params.get('start'), end: request.params.get('end'), step: request.params.get('step') });
    const withData = hasData(data);
    result.empty = !withData;
    result.annotations = panel.annotations;
    if (withData) {
      check(panel.state === 'ok', `${where}: data-state=${panel.state}, but /api/v1/query_range returns ${data.result.length} series over the range`);
      if (!check(panel.pixels && panel.pixels.data >= MIN_DATA_PIXELS, `${where}: the canvas is blank (${JSON.stringify(panel.pixels)}), but /api/v1/query_range returns ${data.result.length} series; the panel's picture: ${pageId}-panel-${panel.index}.png`)) {
        await page.locator('#page section.panel').nth(panel.index).screenshot({ path: path.join(OUT_DIR, `${pageId}-panel-${panel.index}.png`) }).catch(() => {});
      }
    } else {
      check(panel.state === 'empty', `${where}: data-state=${panel.state}, but /api/v1/query_range returns no data over the range`);
    }
    if (spec.kind === 'heatmap') {
      if (withData) {
        const les = new Set(data.result.map((s) => s.metric.le).filter((le) => le !== undefined));
        check(Number(panel.buckets) === les.size, `${where}: data-buckets=${panel.buckets}, the query has ${les.size} le buckets`);
      }
      return result;
    }
    const series = data.result.filter((s) => (s.values || []).length > 0);
    check(panel.legend.length === series.length, `${where}: ${panel.legend.length} legend rows, /api/v1/query_range has ${series.length} series`);
    for (const row of panel.legend) {
      // The series' last non-null point: NaN is a gap for the chart, so a series of NaNs only
      // has no data-value and no data-time.
      const labels = parseLabels(row.labels);
      const inRange = labels && series.find((s) => labelsKey(s.metric) === labelsKey(labels));
      if (!check(inRange, `${where}: legend row ${short(row.labels)} is not a series of /api/v1/query_range`)) continue;
      const points = inRange.values.filter((v) => !Number.isNaN(parseNumber(v[1])));
      if (points.length === 0) {
        check(row.value === null && row.time === null, `${where} ${short(row.labels)}: the series is NaN over the whole range, but data-value=${row.value} data-time=${row.time}`);
        continue;
      }
      const lastPoint = points[points.length - 1];
      check(sameNumber(row.time, lastPoint[0]), `${where} ${short(row.labels)}: data-time ${row.time}, the series' last non-NaN point of /api/v1/query_range is at ${lastPoint[0]}`);
      const time = parseNumber(row.time);
      if (time !== undefined && step) {
        const k = (time - start) / step;
        check(time >= start - 1e-6 && time <= end + 1e-6 && Math.abs(k - Math.round(k)) < 1e-6,
          `${where} ${short(row.labels)}: data-time ${row.time} is not a point of the range (start ${start}, step ${step}, end ${end})`);
      }
      await compareWithInstant(`${where} legend`, spec.expr, row.labels, row.value, row.time);
    }
    return result;
  }
  // stat and table: /api/v1/query at the range's end
  const request = lastRequest(net, '/api/v1/query', spec.expr, seq);
  if (!check(request, `${where}: no /api/v1/query for its expr finished before the page was read`)) return result;
  const time = request.params.get('time');
  const data = await api('/api/v1/query', { query: spec.expr, ...(time ? { time } : {}) });
  const withData = hasData(data);
  result.empty = !withData;
  if (withData) {
    check(panel.state === 'ok', `${where}: data-state=${panel.state}, but /api/v1/query returns ${data.result.length} series`);
  } else {
    check(panel.state === 'empty', `${where}: data-state=${panel.state}, but /api/v1/query returns no data`);
  }
  const count = data.resultType === 'vector' ? data.result.length : 1;
  if (spec.kind === 'stat') {
    check(panel.stats.length === count, `${where}: ${panel.stats.length} .stat, /api/v1/query has ${count} series`);
    for (const stat of panel.stats) {
      if (time) check(sameNumber(stat.time, time), `${where} ${short(stat.labels)}: data-time ${stat.time}, the query's time is ${time}`);
      await compareWithInstant(`${where} stat`, spec.expr, stat.labels, stat.value, stat.time);
    }
  } else {
    check(panel.rows.length === count, `${where}: ${panel.rows.length} result-table rows, /api/v1/query has ${count} series`);
    for (const row of panel.rows) await compareWithInstant(`${where} table`, spec.expr, row.labels, row.value, time);
  }
  return result;
}

// All configured panels of the page; a second reading after #refresh-now if values differed
// (a sample committed between the page's query and ours: the second must agree).
async function checkConfiguredPage(page, net, dashboard, config, range) {
  const run = async () => {
    collecting = [];
    const { panels, seq } = await readPage(page, net);
    const used = new Set();
    const outcome = { empty: [], drawn: 0, charts: [], pixels: [] };
    check(panels.length >= config.panels.length, `${config.id}: ${panels.length} section.panel on the page, the config has ${config.panels.length}`);
    for (const spec of config.panels) {
      const panel = panels.find((p) => !used.has(p.index) && p.expr === spec.expr && p.kind === spec.kind) ||
        panels.find((p) => !used.has(p.index) && p.expr === spec.expr);
      if (!check(panel, `${config.id} panel "${spec.title}": no section.panel with data-expr="${spec.expr}"`)) continue;
      used.add(panel.index);
      const r = await checkPanel(page, config.id, spec, panel, net, seq, dashboard, range);
      if (panel.pixels) outcome.pixels.push(`${spec.title}=${panel.pixels.data}${r.empty ? '(empty)' : ''}`);
      if (r.empty) outcome.empty.push(spec.title);
      else outcome.drawn += 1;
      if (r.chart && !r.empty && spec.kind !== 'heatmap') outcome.charts.push({ title: spec.title, annotations: Number(r.annotations) });
    }
    const failed = collecting;
    collecting = null;
    return { outcome, failed };
  };
  let outcome;
  let failed;
  try {
    ({ outcome, failed } = await run());
  } finally {
    collecting = null;
  }
  // Only differences in the data itself are read again (the game keeps sending while we look).
  if (failed.some((f) => /data-value .* gives|no series with these labels|last non-NaN point|legend rows|not a series of|result-table rows|\.stat, \/api/.test(f))) {
    info(`${config.id}: ${failed.length} difference(s) on the first reading; reading again after #refresh-now`);
    const before = await refreshes(page);
    await page.click('#refresh-now');
    await waitRefreshes(page, before, scaled(20000), '#refresh-now to complete a refresh');
    try {
      ({ outcome, failed } = await run());
    } finally {
      collecting = null;
    }
  }
  for (const f of failed) {
    failures.push(f);
    console.log(`FAIL ${f}`);
  }
  return outcome;
}

// ---------------------------------------------------------------------------------------------

async function main() {
  if (!BASE || !OUT_DIR) throw new Error('usage: dashboard_test.js BASE_URL OUT_DIR [CHROMIUM]');
  if (!fs.existsSync(EXECUTABLE)) throw new Error(`no Chromium at ${EXECUTABLE} (Debian package chromium)`);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  for (const file of fs.readdirSync(OUT_DIR)) {
    if (/-panel-\d+\.png$/.test(file)) fs.unlinkSync(path.join(OUT_DIR, file));
  }
  const dashboard = await api('/api/v1/dashboard');
  const configured = dashboard.pages || [];
  const expectedNav = [...configured.map((p) => p.id), ...BUILT_IN];
  const overviewId = configured.some((p) => p.id === 'overview') ? 'overview' : (configured[0] || {}).id;
  const refreshMs = dashboard.refresh_ms;
  info(`pages ${expectedNav.join(', ')}; refresh ${refreshMs} ms, min_step ${dashboard.min_step_ms} ms, max_points ${dashboard.max_points}; slowdown ${SLOW}`);

  const browser = await chromium.launch({ executablePath: EXECUTABLE, args: ['--no-sandbox'] });
  const figures = [];
  let annotated = [];
  try {
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
    const page = await context.newPage();
    page.setDefaultTimeout(scaled(20000));
    const net = watch(page);
    // When #page first turns ready, relative to the navigation's start (performance.now()).
    await page.addInitScript(() => {
      const mark = () => {
        const main = document.getElementById('page');
        if (main && main.dataset.state === 'ready' && window.__firstReady === undefined) {
          window.__firstReady = { ms: performance.now(), page: main.dataset.page, refreshes: main.dataset.refreshes, panels: document.querySelectorAll('#page section.panel').length };
        }
      };
      new MutationObserver(mark).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-state'] });
    });

    // ------------------------------------------------------------------ first load, defaults
    await step('first load of Overview', async () => {
      const response = await page.goto(`${BASE}/#/${overviewId}`, { waitUntil: 'load', timeout: scaled(20000) });
      check(response && response.ok(), `GET / answered ${response && response.status()}`);
      await waitReady(page, overviewId, scaled(30000));
      const first = await page.evaluate(() => window.__firstReady);
      if (!check(first, 'the ready time of the first render was not recorded')) return;
      figures.push(`FIGURE dashboard_overview_first_render_ms=${first.ms.toFixed(0)} panels=${first.panels} (navigation start to #page data-state=ready)`);
      console.log(figures[figures.length - 1]);
      const defaults = await page.evaluate(() => ({
        live: document.getElementById('live') ? document.getElementById('live').checked : null,
        active: [...document.querySelectorAll('#range button[data-range].active')].map((b) => b.dataset.range),
        buttons: [...document.querySelectorAll('#range button[data-range]')].map((b) => b.dataset.range),
        controls: ['range-from', 'range-to', 'range-apply', 'refresh-now'].filter((id) => !document.getElementById(id)),
        refreshes: document.getElementById('page').dataset.refreshes,
        nav: [...document.querySelectorAll('#nav a[data-nav]')].map((a) => ({ id: a.dataset.nav, href: a.getAttribute('href'), active: a.classList.contains('active') })),
      }));
      check(defaults.live === true, `#live is ${defaults.live === null ? 'missing' : 'unticked'} on first load (live is on by default)`);
      check(JSON.stringify(defaults.active) === '["1h"]', `the active range button is ${JSON.stringify(defaults.active)}, the default is 1h`);
      check(JSON.stringify(defaults.buttons) === JSON.stringify(Object.keys(RANGES)), `#range buttons are ${JSON.stringify(defaults.buttons)}`);
      check(defaults.controls.length === 0, `#range lacks ${defaults.controls.join(', ')}`);
      check(first.refreshes === '0', `data-refreshes is "${first.refreshes}" when #page turns ready (0 expected after the first render)`);
      check(JSON.stringify(defaults.nav.map((n) => n.id)) === JSON.stringify(expectedNav), `nav order ${JSON.stringify(defaults.nav.map((n) => n.id))}, expected ${JSON.stringify(expectedNav)}`);
      for (const n of defaults.nav) check(n.href === `#/${n.id}`, `nav link ${n.id} has href "${n.href}"`);
      check(JSON.stringify(defaults.nav.filter((n) => n.active).map((n) => n.id)) === JSON.stringify([overviewId]), `active nav links: ${JSON.stringify(defaults.nav.filter((n) => n.active).map((n) => n.id))}`);
      checkNoProblems(net, 0, 'first load');
    });

    // ------------------------------------------------------------------ live mode, CPU per tick
    await step('live mode', async () => {
      const problemsBefore = net.problems.length;
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const metric = async () => {
        const { metrics } = await cdp.send('Performance.getMetrics');
        return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
      };
      const r0 = await refreshes(page);
      const t0 = Date.now();
      await waitRefreshes(page, r0, 2 * refreshMs + scaled(3000), `data-refreshes to grow within 2 refresh periods (${2 * refreshMs} ms) in live mode`);
      info(`first live refresh after ${Date.now() - t0} ms`);
      // The CPU figure over three ticks, from between two ticks to between two others, with no
      // polling of the page in between (it would count as the page's CPU).
      await waitIdle(page, net, 300, scaled(20000));
      // Renderer CPU time (not the wall time of its tasks, which a loaded machine inflates).
      const browserCdp = await browser.newBrowserCDPSession();
      const rendererCpu = async () => {
        const { processInfo } = await browserCdp.send('SystemInfo.getProcessInfo');
        return processInfo.filter((p) => p.type === 'renderer').reduce((sum, p) => sum + p.cpuTime, 0);
      };
      const ra = await refreshes(page);
      const m0 = await metric();
      const c0 = await rendererCpu().catch(() => NaN);
      await page.waitForTimeout(3 * refreshMs);
      await waitIdle(page, net, 300, scaled(20000));
      const r1 = await refreshes(page);
      const m1 = await metric();
      const c1 = await rendererCpu().catch(() => NaN);
      await browserCdp.detach();
      const ticks = r1 - ra;
      if (ticks > 0) {
        const cpu = ((m1.TaskDuration - m0.TaskDuration) / ticks) * 1000;
        const per = (name) => (((m1[name] || 0) - (m0[name] || 0)) / ticks) * 1000;
        const script = per('ScriptDuration');
        const panels = await page.evaluate(() => document.querySelectorAll('#page section.panel').length);
        figures.push(`FIGURE dashboard_refresh_tick_renderer_cpu_ms=${(((c1 - c0) / ticks) * 1000).toFixed(1)} ticks=${ticks} page=${overviewId} panels=${panels} (CDP SystemInfo.getProcessInfo: the renderer's CPU time per tick)`);
        console.log(figures[figures.length - 1]);
        figures.push(`FIGURE dashboard_refresh_tick_cpu_ms=${cpu.toFixed(1)} script_ms=${script.toFixed(1)} layout_ms=${per('LayoutDuration').toFixed(1)} style_ms=${per('RecalcStyleDuration').toFixed(1)} ticks=${ticks} page=${overviewId} panels=${panels} heap_used_mib=${(m1.JSHeapUsedSize / 1048576).toFixed(1)} (CDP Performance.getMetrics TaskDuration delta / ticks)`);
        console.log(figures[figures.length - 1]);
      }
      await cdp.detach();
      // Unticking #live stops the refreshes (one already running may still complete).
      await page.click('#live');
      check(await page.evaluate(() => document.getElementById('live').checked) === false, '#live stays ticked after a click');
      // A refresh already running when #live was unticked may still complete: wait until no
      // request runs, then for two refresh periods.
      await waitIdle(page, net, 1000, scaled(20000));
      await page.waitForTimeout(200);
      const stopped = await refreshes(page);
      await page.waitForTimeout(2 * refreshMs + 1000);
      const later = await refreshes(page);
      check(later === stopped, `data-refreshes went from ${stopped} to ${later} in ${2 * refreshMs + 1000} ms after #live was unticked`);
      checkNoProblems(net, problemsBefore, 'live mode');
    });

    // ------------------------------------------------------------------ range changes
    await step('range changes', async () => {
      const problemsBefore = net.problems.length;
      const checkRange = async (key) => {
        const mark = net.seq;
        const before = await refreshes(page);
        await page.click(`#range button[data-range="${key}"]`);
        await waitRefreshes(page, before, scaled(30000), `a refresh after clicking data-range="${key}"`);
        const issued = net.requests.filter((r) => r.seq > mark && r.path === '/api/v1/query_range');
        const want = RANGES[key];
        const step = expectedStep(want, dashboard);
        check(issued.length > 0, `clicking data-range="${key}" issued no /api/v1/query_range`);
        const wrong = issued.filter((r) => {
          const span = Number(r.params.get('end')) - Number(r.params.get('start'));
          return !(Math.abs(span - want) < 1e-3) || parseNumber(r.params.get('step')) !== step;
        });
        check(wrong.length === 0, `range ${key}: expected end-start=${want} and step=${step}; ${wrong.length} of ${issued.length} query_range requests differ, e.g. start=${wrong[0] && wrong[0].params.get('start')} end=${wrong[0] && wrong[0].params.get('end')} step=${wrong[0] && wrong[0].params.get('step')}`);
        const active = await page.evaluate(() => [...document.querySelectorAll('#range button[data-range].active')].map((b) => b.dataset.range));
        check(JSON.stringify(active) === JSON.stringify([key]), `after clicking ${key} the active range buttons are ${JSON.stringify(active)}`);
        info(`${key}: ${issued.length} query_range requests, step ${step} s`);
      };
      await checkRange('24h');
      await checkRange('5m');
      // A custom range: 30 minutes ending 10 minutes ago, in the inputs' local time.
      {
        const custom = await page.evaluate(() => {
          const pad = (n) => String(n).padStart(2, '0');
          const fmt = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
          const from = new Date(Math.floor((Date.now() - 40 * 60000) / 60000) * 60000);
          const to = new Date(from.getTime() + 30 * 60000);
          return { fromText: fmt(from), toText: fmt(to), from: from.getTime() / 1000, to: to.getTime() / 1000 };
        });
        const mark = net.seq;
        const before = await refreshes(page);
        await page.fill('#range-from', custom.fromText);
        await page.fill('#range-to', custom.toText);
        await page.click('#range-apply');
        await waitRefreshes(page, before, scaled(30000), `a refresh after applying the custom range ${custom.fromText} to ${custom.toText}`);
        const issued = net.requests.filter((r) => r.seq > mark && r.path === '/api/v1/query_range');
        const step = expectedStep(custom.to - custom.from, dashboard);
        check(issued.length > 0, 'applying a custom range issued no /api/v1/query_range');
        const wrong = issued.filter((r) => !(Math.abs(Number(r.params.get('start')) - custom.from) < 1e-3 &&
          Math.abs(Number(r.params.get('end')) - custom.to) < 1e-3 && parseNumber(r.params.get('step')) === step));
        check(wrong.length === 0, `custom range ${custom.fromText} to ${custom.toText}: expected start=${custom.from} end=${custom.to} step=${step}; ${wrong.length} of ${issued.length} query_range requests differ, e.g. start=${wrong[0] && wrong[0].params.get('start')} end=${wrong[0] && wrong[0].params.get('end')} step=${wrong[0] && wrong[0].params.get('step')}`);
        const live = await page.evaluate(() => document.getElementById('live').checked);
        check(live === false, 'a custom range leaves #live ticked (it turns live off)');
        info(`custom: ${issued.length} query_range requests, step ${step} s`);
      }
      await checkRange('1h');
      checkNoProblems(net, problemsBefore, 'range changes');
    });

    // ------------------------------------------------------------------ every page
    const empties = {};
    for (const id of expectedNav) {
      await step(`page ${id}`, async () => {
        const problemsBefore = net.problems.length;
        const link = await page.$(`#nav a[data-nav="${id}"]`);
        if (!check(link, `no nav link data-nav="${id}"`)) return;
        await link.click();
        await waitReady(page, id);
        const active = await page.evaluate(() => [...document.querySelectorAll('#nav a.active')].map((a) => a.dataset.nav));
        check(JSON.stringify(active) === JSON.stringify([id]), `active nav links on ${id}: ${JSON.stringify(active)}`);
        const config = configured.find((p) => p.id === id);
        if (config) {
          const outcome = await checkConfiguredPage(page, net, dashboard, config, RANGES['1h']);
          empties[id] = outcome.empty;
          check(outcome.drawn > 0, `${id}: not one panel has data (every panel empty: ${outcome.empty.join('; ')})`);
          info(`${id}: coloured pixels in the data window: ${outcome.pixels.join(', ')}`);
          info(`${id}: ${outcome.drawn} panels with data, ${outcome.empty.length} empty${outcome.empty.length ? `: ${outcome.empty.join('; ')}` : ''}`);
          annotated = annotated.concat(outcome.charts.map((c) => ({ page: id, ...c })));
          if (id === overviewId && FACTS.alert) {
            const text = await page.evaluate(() => document.getElementById('page').innerText);
            check(text.includes(FACTS.alert), `Overview does not show the firing alert ${FACTS.alert}`);
          }
        } else if (id === 'alerts') {
          const facts = await page.evaluate((alert) => ({
            alerts: !!document.getElementById('alerts-table'),
            rules: !!document.getElementById('rules-table'),
            firing: [...document.querySelectorAll('#alerts-table tr[data-state="firing"]')].filter((r) => r.textContent.includes(alert)).length,
            rule: [...document.querySelectorAll('#rules-table tr')].filter((r) => r.textContent.includes(alert)).length,
          }), FACTS.alert || '');
          check(facts.alerts, 'no #alerts-table');
          check(facts.rules, 'no #rules-table');
          check(facts.firing >= 1, `#alerts-table has no tr[data-state=firing] for ${FACTS.alert}`);
          check(facts.rule === 1, `#rules-table has ${facts.rule} rows for ${FACTS.alert} (1 expected)`);
        } else if (id === 'reports') {
          const facts = await page.evaluate(() => ({
            list: !!document.getElementById('reports-list'),
            hrefs: [...document.querySelectorAll('#reports-list a')].map((a) => a.getAttribute('href')),
            annotations: document.getElementById('annotations-table') ? document.getElementById('annotations-table').textContent : null,
          }));
          check(facts.list, 'no #reports-list');
          for (const name of dashboard.reports || []) {
            for (const format of ['html', 'md', 'json']) {
              const href = `/api/v1/reports/${name}?format=${format}`;
              check(facts.hrefs.some((h) => h === href || h.endsWith(href)), `#reports-list has no link ${href}`);
            }
          }
          check(facts.annotations !== null, 'no #annotations-table');
          if (FACTS.annotation_text) check(facts.annotations && facts.annotations.includes(FACTS.annotation_text), `#annotations-table does not list the annotation "${FACTS.annotation_text}"`);
        } else if (id === 'endpoints') {
          const facts = await page.evaluate(() => ({
            table: !!document.getElementById('endpoints-table'),
            text: document.getElementById('endpoints-table') ? document.getElementById('endpoints-table').textContent : '',
            hrefs: [...document.querySelectorAll('#endpoints-table a')].map((a) => a.getAttribute('href')),
          }));
          check(facts.table, 'no #endpoints-table');
          const missing = dashboard.endpoints.filter((e) => !facts.text.includes(e.path)).map((e) => e.path);
          check(missing.length === 0, `#endpoints-table lacks ${missing.join(', ')}`);
          const unlinked = dashboard.endpoints.filter((e) => e.get && !facts.hrefs.includes(e.path)).map((e) => e.path);
          check(unlinked.length === 0, `#endpoints-table does not link the GET endpoints ${unlinked.join(', ')}`);
        } else if (id === 'explore') {
          const facts = await page.evaluate(() => ['explore-expr', 'explore-suggestions', 'explore-run', 'explore-table', 'explore-error'].filter((e) => !document.getElementById(e)));
          check(facts.length === 0, `Explore lacks #${facts.join(', #')}`);
        }
        // Anything late (a lazy request, a console message) arrives now.
        await page.waitForTimeout(300);
        checkNoProblems(net, problemsBefore, `page ${id}`);
        const file = path.join(OUT_DIR, id === overviewId ? `${id}-1h.png` : `${id}.png`);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.screenshot({ path: file, fullPage: true, timeout: scaled(30000) });
        check(fs.statSync(file).size > 5000, `the screenshot ${file} is nearly empty`);
      });
    }
    for (const [id, list] of Object.entries(empties)) {
      if (list.length) console.log(`EMPTY ${id}: ${list.join('; ')}`);
    }

    await step('annotations', async () => {
      if (!FACTS.annotation_text) return;
      const withMarkers = annotated.filter((c) => c.annotations >= 1);
      for (const id of Object.keys(empties)) {
        const charts = annotated.filter((c) => c.page === id);
        if (charts.length) info(`${id}: data-annotations ${charts.map((c) => (Number.isNaN(c.annotations) ? 'missing' : c.annotations)).join(' ')}`);
      }
      check(withMarkers.length > 0, `no line/stacked chart with data has data-annotations >= 1 (the annotation posted at ${FACTS.annotation_ms} ms is in the 1h range); ${annotated.length} charts read`);
    });

    // ------------------------------------------------------------------ Explore
    await step('Explore: completion, run, table', async () => {
      const problemsBefore = net.problems.length;
      await page.click('#nav a[data-nav="explore"]');
      await waitReady(page, 'explore');
      const names = await api('/api/v1/label/__name__/values');
      const known = new Set(names);
      const target = names.find((n) => n.startsWith('game_ao_handler_duration_seconds')) || names.find((n) => n.startsWith('game_')) || names[0];
      const prefix = target.slice(0, Math.min(target.length, 9));
      const box = page.locator('#explore-expr');
      await box.click();
      await box.fill('');
      await box.pressSequentially(prefix, { delay: 40 });
      await waitFor(page, () => document.querySelectorAll('#explore-suggestions li[data-value]').length > 0, null, scaled(10000), `a suggestion in #explore-suggestions after typing "${prefix}"`);
      const suggestions = await page.$$eval('#explore-suggestions li[data-value]', (items) => items.map((li) => li.dataset.value));
      const real = suggestions.filter((s) => known.has(s));
      info(`typed "${prefix}": ${suggestions.length} suggestions, ${real.length} metric names, e.g. ${suggestions.slice(0, 4).join(' ')}`);
      if (!check(real.length > 0, `no suggestion for "${prefix}" is a metric name of /api/v1/label/__name__/values: ${short(suggestions.join(' '), 200)}`)) return;
      // Tab accepts the highlighted suggestion.
      await box.press('Tab');
      const tabbed = (await box.inputValue()).trim();
      check(suggestions.includes(tabbed) && known.has(tabbed), `Tab after "${prefix}" left "${tabbed}" in #explore-expr, not one of the suggested metric names`);
      await box.fill('');
      await box.pressSequentially(prefix, { delay: 40 });
      await waitFor(page, () => document.querySelectorAll('#explore-suggestions li[data-value]').length > 0, null, scaled(10000), `a suggestion in #explore-suggestions after typing "${prefix}" again`);
      const pick = real.find((s) => s.endsWith('_count')) || real[0];
      const index = (await page.$$eval('#explore-suggestions li[data-value]', (items) => items.map((li) => li.dataset.value))).indexOf(pick);
      if (!check(index >= 0, `"${pick}" is no longer suggested after typing "${prefix}" again`)) return;
      await page.locator('#explore-suggestions li[data-value]').nth(index).click();
      const value = await box.inputValue();
      if (!check(value.trim() === pick, `#explore-expr reads "${value}" after accepting the suggestion "${pick}"`)) return;
      const mark = net.seq;
      await page.click('#explore-run');
      await waitFor(page, (expr) => {
        const panel = [...document.querySelectorAll('#page section.panel')].find((p) => p.dataset.expr === expr);
        return panel && ['ok', 'empty', 'error'].includes(panel.dataset.state) && document.getElementById('page').dataset.state === 'ready' &&
          (document.querySelectorAll('#explore-table tr[data-labels]').length > 0 || (document.getElementById('explore-error').textContent || '').trim() !== '' || panel.dataset.state !== 'ok');
      }, pick, scaled(20000), `the Explore panel with data-expr="${pick}" to finish`);
      const state = await readPage(page, net);
      const panel = state.panels.find((p) => p.expr === pick);
      check(panel.state === 'ok', `Explore panel for ${pick}: data-state=${panel.state} ${panel.error || ''}`);
      check(panel.pixels && panel.pixels.data >= MIN_DATA_PIXELS, `Explore chart for ${pick} is blank: ${JSON.stringify(panel.pixels)}`);
      check(net.requests.some((r) => r.seq > mark && r.path === '/api/v1/query_range' && r.params.get('query') === pick), `running ${pick} issued no /api/v1/query_range with it`);
      const request = lastRequest(net, '/api/v1/query', pick, state.seq, mark);
      const rows = await page.$$eval('#explore-table tr[data-labels]', (trs) => trs.map((tr) => ({ labels: tr.dataset.labels, value: tr.querySelector('td.value') ? tr.querySelector('td.value').dataset.value : null })));
      if (check(request, `running ${pick} issued no /api/v1/query (the table's instant query)`)) {
        const time = request.params.get('time');
        const data = await api('/api/v1/query', { query: pick, ...(time ? { time } : {}) });
        check(rows.length > 0 && rows.length === data.result.length, `#explore-table has ${rows.length} rows, /api/v1/query has ${data.result.length} series`);
        for (const row of rows.slice(0, 20)) await compareWithInstant('#explore-table', pick, row.labels, row.value, time);
      }
      // Explore's picture with a result (the tour's one has none yet).
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(OUT_DIR, 'explore.png'), fullPage: true, timeout: scaled(30000) });
      info(`ran ${pick}: ${rows.length} table rows, ${panel.legend.length} legend rows, ${panel.pixels ? panel.pixels.data : 0} data pixels`);
      checkNoProblems(net, problemsBefore, 'Explore run');
    });

    await step('Explore: the engine\'s error message', async () => {
      const problemsBefore = net.problems.length;
      const bad = 'sum(';
      const expected = await apiRaw('/api/v1/query', { query: bad });
      check(expected.status === 400 && expected.body && expected.body.error, `/api/v1/query?query=${bad} answered ${expected.status} ${expected.text.slice(0, 200)}`);
      net.allowBad = (url) => url.searchParams.get('query') === bad;
      const box = page.locator('#explore-expr');
      await box.fill(bad);
      await page.click('#explore-run');
      await waitFor(page, () => (document.getElementById('explore-error').textContent || '').trim() !== '', null, scaled(10000), '#explore-error to show a message');
      const shown = (await page.textContent('#explore-error')).trim();
      check(expected.body && shown.includes(expected.body.error), `#explore-error reads "${shown}", the engine says "${expected.body && expected.body.error}"`);
      info(`#explore-error: ${shown}`);
      await page.waitForTimeout(500);
      net.allowBad = null;
      checkNoProblems(net, problemsBefore, 'Explore error');
      // The error goes away with a good query.
      await box.fill('vector(1)');
      await box.press('Control+Enter');
      await waitFor(page, () => (document.getElementById('explore-error').textContent || '').trim() === '', null, scaled(10000), '#explore-error to clear after a good query run with Ctrl+Enter');
    });

    await step('panel link to Explore', async () => {
      const problemsBefore = net.problems.length;
      const order = [...configured.filter((p) => p.id !== overviewId), ...configured.filter((p) => p.id === overviewId)];
      let done = false;
      for (const config of order) {
        if (!config.panels.some((p) => p.kind === 'line' || p.kind === 'stacked')) continue;
        await page.click(`#nav a[data-nav="${config.id}"]`);
        await waitReady(page, config.id);
        const { panels } = await readPage(page, net);
        const panel = panels.find((p) => (p.kind === 'line' || p.kind === 'stacked') && p.state === 'ok' && p.explore);
        if (!panel) continue;
        const mark = net.seq;
        await page.locator('#page section.panel').nth(panel.index).locator('a.panel-explore').click();
        await waitReady(page, 'explore');
        await waitFor(page, (expr) => {
          const p = [...document.querySelectorAll('#page section.panel')].find((s) => s.dataset.expr === expr);
          return p && ['ok', 'empty', 'error'].includes(p.dataset.state);
        }, panel.expr, scaled(20000), `the Explore panel with data-expr="${panel.expr}" (from ${config.id} "${panel.title}")`);
        const value = await page.locator('#explore-expr').inputValue();
        check(value === panel.expr, `.panel-explore of ${config.id} "${panel.title}" opened Explore with "${value}", the panel's expr is "${panel.expr}"`);
        const state = await page.evaluate((expr) => [...document.querySelectorAll('#page section.panel')].find((s) => s.dataset.expr === expr).dataset.state, panel.expr);
        check(state === 'ok', `the Explore panel for "${panel.expr}" is data-state=${state} (the source panel had data)`);
        check(net.requests.some((r) => r.seq > mark && r.path === '/api/v1/query_range' && r.params.get('query') === panel.expr), `opening Explore from ${config.id} "${panel.title}" issued no query_range with its expr`);
        info(`${config.id} "${panel.title}" -> Explore ${panel.expr}`);
        done = true;
        break;
      }
      check(done, 'no configured page has a line/stacked panel with data and a .panel-explore link');
      await page.waitForTimeout(300);
      checkNoProblems(net, problemsBefore, 'panel link to Explore');
    });

    // The README's picture: Overview over the last 5 minutes, where the workload's few minutes
    // fill the charts (over 1h they are a sliver at the right edge: overview-1h.png).
    await step('Overview picture', async () => {
      await page.click(`#nav a[data-nav="${overviewId}"]`);
      await waitReady(page, overviewId);
      const before = await refreshes(page);
      await page.click('#range button[data-range="5m"]');
      await waitRefreshes(page, before, scaled(30000), 'a refresh after clicking data-range="5m" on Overview');
      await waitIdle(page, net, 500, scaled(20000));
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(OUT_DIR, 'overview.png'), fullPage: true, timeout: scaled(30000) });
    });

    await step('requests', async () => {
      check(net.foreign.length === 0, `requests to other origins than ${ORIGIN}:\n    ${net.foreign.join('\n    ')}`);
      info(`${net.requests.length} requests, ${net.aborted.length} aborted by the page, ${net.expectedBad.length} expected 400s; ${compared} values compared with /api/v1/query`);
      const late = net.problems.slice();
      info(`${late.length} problems over the whole run`);
    });
  } finally {
    await browser.close();
  }
  stepName = 'end';
  for (const figure of figures) console.log(figure);
  if (failures.length) {
    console.log(`\n${failures.length} failure(s):`);
    for (const f of failures) console.log(`  - ${f}`);
    process.exit(1);
  }
  console.log('ok: the dashboard in Chromium');
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exit(1);
});
