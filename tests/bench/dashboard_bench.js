// The built-in dashboard's cost in headless Chromium (issue 15, Performance). Run by hand (the
// set-up is dashboard_bench.py's); not a ctest: speed is measured, not asserted.
//
// Goals (issue 15): first render of Overview <= 1 s with 20 panels; a refresh tick <= 50 ms
// of page CPU; the page's memory flat over 10 minutes of live refresh. No reference tool is
// named for these, so each figure is printed next to its goal, as a ratio.
//
// Phases (--phases render,tick,memory):
//  render  `page.goto(#/overview)` until `#page[data-state=ready]` (the DOM contract: every
//          panel's request answered and drawn), --runs times cold (a new browser context each:
//          empty HTTP cache) and warm (one context, about:blank in between: assets revalidated
//          by ETag). Wall time from goto, the page's own time of ready (performance.now() when
//          a MutationObserver saw data-state=ready, i.e. from navigation start), the next
//          frame after it, navigation timing, the requests, and the main thread's busy time
//          (CDP Performance.getMetrics TaskDuration/ScriptDuration/Layout/RecalcStyle).
//  tick    live refresh: every completed refresh (data-refreshes changes; a CDP binding called
//          by a MutationObserver, so nothing polls the page) samples Performance.getMetrics;
//          page CPU per tick = TaskDuration delta / refreshes completed, over --ticks ticks
//          (median, p90, mean), with ScriptDuration, Layout and RecalcStyle, the renderer
//          process's CPU over all its threads (SystemInfo.getProcessInfo) and the daemon's.
//  memory  --minutes of live refresh; every --sample-seconds (30), right after a refresh
//          completed: HeapProfiler.collectGarbage,
//          then JSHeapUsedSize, DOM nodes, listeners (Performance.getMetrics) and the renderer's
//          RSS. Start, end, least-squares slope per minute; flat = heap growth over 10 minutes
//          (slope x 10) < 1 MiB and DOM nodes growth < max(50, 1 %).
// --profile: a CPU profile (CDP Profiler, 100 us sampling) of one cold render and of the
// ticks; the functions and files with the most self time are printed (where the time goes).
//
//   node tests/bench/dashboard_bench.js --url http://127.0.0.1:PORT/ [--page overview]
//        [--runs 10] [--ticks 60] [--minutes 10] [--json] [--profile] [--daemon-pid PID]
//        [--width 1400 --height 1000]   (charts off screen are not redrawn on ticks: a tall
//        viewport, e.g. --height 4000, has every panel on screen)
//   node tests/bench/dashboard_bench.js --from-json RESULTS.json   (the table of a --json run)
// Usually through: python3 tests/bench/dashboard_bench.py --metricsd build/daemon/metricsd
'use strict';

const fs = require('node:fs');
const path = require('node:path');

let chromium;
for (const where of ['playwright-core', path.join(__dirname, '..', 'browser', 'node_modules', 'playwright-core')]) {
  try {
    ({ chromium } = require(where));
    break;
  } catch (e) { /* next */ }
}
if (!chromium) {
  console.error('playwright-core is missing: run `npm ci --prefix tests/browser` (.ci/install-deps --with-tests)');
  process.exit(1);
}

const GOALS = { renderSeconds: 1, tickMs: 50, heapGrowthMiBPer10Min: 1 };

function parseArgs(argv) {
  const args = {
    url: '', page: 'overview', chromium: '/usr/bin/chromium', runs: 10, ticks: 60, minutes: 10,
    sampleSeconds: 30, phases: 'render,tick,memory', json: false, profile: false, daemonPid: 0,
    setup: null, width: 1400, height: 1000, timeout: 60, kindTicks: 20,
    configFile: '', renderRefresh: '5s', liveRefresh: '1s', fromJson: '',
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i];
    switch (flag) {
      case '--url': args.url = value(); break;
      case '--page': args.page = value(); break;
      case '--chromium': args.chromium = value(); break;
      case '--runs': args.runs = Number(value()); break;
      case '--ticks': args.ticks = Number(value()); break;
      case '--minutes': args.minutes = Number(value()); break;
      case '--sample-seconds': args.sampleSeconds = Number(value()); break;
      case '--phases': args.phases = value(); break;
      case '--json': args.json = true; break;
      case '--profile': args.profile = true; break;
      case '--daemon-pid': args.daemonPid = Number(value()); break;
      case '--setup': args.setup = JSON.parse(value()); break;
      case '--timeout': args.timeout = Number(value()); break;
      case '--kind-ticks': args.kindTicks = Number(value()); break;
      case '--config-file': args.configFile = value(); break;
      case '--render-refresh': args.renderRefresh = value(); break;
      case '--live-refresh': args.liveRefresh = value(); break;
      case '--from-json': args.fromJson = value(); break;
      case '--width': args.width = Number(value()); break;
      case '--height': args.height = Number(value()); break;
      default: throw new Error(`unknown flag ${flag}`);
    }
  }
  if (!args.url && !args.fromJson) throw new Error('usage: dashboard_bench.js --url http://127.0.0.1:PORT/ [...]');
  if (args.url && !args.url.endsWith('/')) args.url += '/';
  args.phases = new Set(args.phases.split(','));
  return args;
}

const log = (...a) => console.error(...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function quantile(values, q) {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (pos - lo);
}
const mean = (v) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
function stats(values) {
  return { n: values.length, median: quantile(values, 0.5), p90: quantile(values, 0.9), mean: mean(values),
           min: values.length ? Math.min(...values) : null, max: values.length ? Math.max(...values) : null };
}
function slope(xs, ys) {  // least squares
  const mx = mean(xs), my = mean(ys);
  let num = 0, den = 0;
  for (let i = 0; i < xs.length; i++) { num += (xs[i] - mx) * (ys[i] - my); den += (xs[i] - mx) ** 2; }
  return den ? num / den : 0;
}

// Linux: on-CPU seconds of every thread of a process (ns resolution).
function schedSeconds(pid) {
  if (!pid) return null;
  let total = 0;
  try {
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try { total += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]); } catch (e) { /* gone */ }
    }
  } catch (e) { return null; }
  return total / 1e9;
}
function rssBytes(pid) {
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch (e) { return null; }
}

// Injected before any page script (CDP addScriptToEvaluateOnNewDocument: not subject to the CSP).
// Records when #page turns ready and every change of data-refreshes, and calls the CDP binding
// __benchRefreshed (when installed) so the driver samples metrics without polling the page.
const INIT_SCRIPT = `(() => {
  const bench = window.__bench = { readyAt: null, readyFrameAt: null, refreshes: [], states: [] };
  let seen = null, lastRefreshes = null;
  const check = () => {
    const p = document.getElementById('page');
    if (!p) return;
    if (p !== seen) { seen = p; observer.observe(p, { attributes: true, attributeFilter: ['data-state', 'data-refreshes', 'data-page'] }); }
    const state = p.getAttribute('data-state');
    if (state !== (bench.states.length ? bench.states[bench.states.length - 1][0] : null)) bench.states.push([state, performance.now()]);
    if (state === 'ready' && bench.readyAt === null) {
      bench.readyAt = performance.now();
      requestAnimationFrame(() => setTimeout(() => { bench.readyFrameAt = performance.now(); }, 0));
    }
    const n = p.getAttribute('data-refreshes');
    if (n !== lastRefreshes) {
      lastRefreshes = n;
      bench.refreshes.push([Number(n), performance.now()]);
      if (typeof window.__benchRefreshed === 'function') window.__benchRefreshed(String(n));
    }
  };
  const observer = new MutationObserver(check);
  const root = new MutationObserver(check);
  const start = () => { root.observe(document.documentElement, { childList: true, subtree: true }); check(); };
  if (document.documentElement) start(); else document.addEventListener('readystatechange', start, { once: true });
  document.addEventListener('DOMContentLoaded', () => { root.disconnect(); check(); }, { once: true });
})();`;

const METRICS = ['TaskDuration', 'TaskOtherDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration', 'JSHeapUsedSize',
                 'JSHeapTotalSize', 'Nodes', 'JSEventListeners', 'Documents', 'LayoutCount', 'RecalcStyleCount'];
async function metrics(cdp) {
  const { metrics: list } = await cdp.send('Performance.getMetrics');
  const out = {};
  for (const m of list) if (METRICS.includes(m.name)) out[m.name] = m.value;
  return out;
}

class Bench {
  constructor(args) {
    this.args = args;
    this.target = `${args.url}#/${args.page}`;
    this.readySelector = `#page[data-page="${args.page}"][data-state="ready"]`;
    this.problems = [];
  }

  async launch() {
    this.browser = await chromium.launch({ executablePath: this.args.chromium, args: ['--no-sandbox'] });
    this.browserCdp = await this.browser.newBrowserCDPSession();
  }

  // With --config-file (and --daemon-pid): sets the config's `dashboard.refresh` and reloads
  // the daemon (SIGHUP) until /api/v1/dashboard says so: the first render is measured at the
  // default period (5 s, no tick in its way), the ticks and memory at a short one (1 s).
  async ensureRefresh(text) {
    if (!this.args.configFile || !this.args.daemonPid) return null;
    const ms = parseDuration(text);
    const current = async () => {
      const r = await fetch(`${this.args.url}api/v1/dashboard`);
      return (await r.json()).data.refresh_ms;
    };
    if (await current() === ms) return ms;
    const config = fs.readFileSync(this.args.configFile, 'utf8');
    if (!/^  refresh: .*$/m.test(config)) throw new Error(`no "  refresh:" line in ${this.args.configFile}`);
    fs.writeFileSync(`${this.args.configFile}.tmp`, config.replace(/^  refresh: .*$/m, `  refresh: ${text}`));
    fs.renameSync(`${this.args.configFile}.tmp`, this.args.configFile);
    process.kill(this.args.daemonPid, 'SIGHUP');
    for (let i = 0; i < 200; i++) {
      if (await current() === ms) { log(`dashboard.refresh is ${text}`); return ms; }
      await sleep(100);
    }
    throw new Error(`dashboard.refresh did not become ${text} after a reload`);
  }

  async rendererCpu() {  // {pid, cpuSeconds} of the renderer(s): all their threads
    try {
      const { processInfo } = await this.browserCdp.send('SystemInfo.getProcessInfo');
      const renderers = processInfo.filter((p) => p.type === 'renderer');
      return { pids: renderers.map((p) => p.id), cpu: renderers.reduce((a, p) => a + p.cpuTime, 0) };
    } catch (e) {
      return { pids: [], cpu: null };
    }
  }

  async newPage(context) {
    const page = await context.newPage();
    await page.addInitScript(INIT_SCRIPT);
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e}`));
    page.on('requestfailed', (r) => errors.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    page.on('response', (r) => { if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`); });
    return { page, errors };
  }

  async newContext() {
    return this.browser.newContext({ viewport: { width: this.args.width, height: this.args.height } });
  }

  // One load of the page; the page must already be on another URL (or new).
  async load(page, cdp) {
    const requests = [];
    const onFinished = (r) => requests.push(r);
    page.on('requestfinished', onFinished);
    const daemon0 = schedSeconds(this.args.daemonPid);
    const t0 = performance.now();
    await page.goto(this.target, { waitUntil: 'commit', timeout: this.args.timeout * 1000 });
    await page.waitForSelector(this.readySelector, { state: 'attached', timeout: this.args.timeout * 1000 });
    const wall = (performance.now() - t0) / 1000;
    const daemon1 = schedSeconds(this.args.daemonPid);
    await page.waitForFunction(() => window.__bench.readyFrameAt !== null, null, { timeout: 10000 });
    page.off('requestfinished', onFinished);
    const inPage = await page.evaluate(() => {
      const nav = performance.getEntriesByType('navigation')[0];
      const resources = performance.getEntriesByType('resource');
      const api = resources.filter((r) => r.name.includes('/api/'));
      const assets = resources.filter((r) => r.name.includes('/assets/'));
      const panels = [...document.querySelectorAll('section.panel')];
      const count = (s) => panels.filter((p) => p.dataset.state === s).length;
      return {
        readyAt: window.__bench.readyAt, readyFrameAt: window.__bench.readyFrameAt,
        nav: nav && { responseEnd: nav.responseEnd, domInteractive: nav.domInteractive,
                      domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd,
                      transferSize: nav.transferSize },
        assets: { n: assets.length, lastEnd: Math.max(0, ...assets.map((r) => r.responseEnd)),
                  transferBytes: assets.reduce((a, r) => a + (r.transferSize || 0), 0) },
        firstQuery: Math.min(...api.filter((r) => /\/api\/v1\/query/.test(r.name)).map((r) => r.startTime)),
        api: { n: api.length, firstStart: api.length ? Math.min(...api.map((r) => r.startTime)) : null,
               lastEnd: Math.max(0, ...api.map((r) => r.responseEnd)),
               slowest: api.length ? Math.max(...api.map((r) => r.responseEnd - r.startTime)) : null,
               transferBytes: api.reduce((a, r) => a + (r.transferSize || 0), 0) },
        panels: { n: panels.length, ok: count('ok'), empty: count('empty'), error: count('error'),
                  kinds: panels.reduce((a, p) => { a[p.dataset.kind] = (a[p.dataset.kind] || 0) + 1; return a; }, {}) },
        nodes: document.getElementsByTagName('*').length,
      };
    });
    const busy = cdp ? await metrics(cdp) : null;
    const paths = {};
    for (const r of requests) { const u = new URL(r.url()); paths[u.pathname] = (paths[u.pathname] || 0) + 1; }
    return { wall, requests: requests.length, paths, daemon: daemon0 === null ? null : daemon1 - daemon0, ...inPage, busy };
  }

  async phaseRender() {
    const { runs } = this.args;
    const out = { cold: [], warm: [] };
    let profile = null;
    let trace = null;
    if (this.args.profile) {  // an extra cold run each, not among the measured ones
      for (const how of ['profile', 'trace']) {
        const context = await this.newContext();
        const { page } = await this.newPage(context);
        const cdp = await context.newCDPSession(page);
        await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
        const file = path.join(require('node:os').tmpdir(), `dashboard_bench_${process.pid}.json`);
        if (how === 'profile') await startProfile(cdp); else await startTrace(this.browser, page, file);
        await this.load(page, cdp);
        if (how === 'profile') profile = await stopProfile(cdp); else trace = await stopTrace(this.browser, file, 0);
        await context.close();
      }
    }
    for (let i = 0; i < runs; i++) {
      const context = await this.newContext();
      const { page, errors } = await this.newPage(context);
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
      out.cold.push(await this.load(page, cdp));
      this.problems.push(...errors.map((e) => `render cold ${i + 1}: ${e}`));
      await context.close();
      log(`cold ${i + 1}/${runs}: ready ${fmtMs(out.cold[i].readyAt)} after navigation start, ${out.cold[i].wall.toFixed(3)} s from goto`);
    }
    const context = await this.newContext();
    const { page, errors } = await this.newPage(context);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    await this.load(page, cdp);  // fills the cache
    for (let i = 0; i < runs; i++) {
      await page.goto('about:blank');
      const before = await metrics(cdp);
      const run = await this.load(page, cdp);
      for (const k of ['TaskDuration', 'ScriptDuration', 'LayoutDuration', 'RecalcStyleDuration']) run.busy[k] -= before[k];
      out.warm.push(run);
      log(`warm ${i + 1}/${runs}: ready ${fmtMs(out.warm[i].readyAt)} after navigation start, ${out.warm[i].wall.toFixed(3)} s from goto`);
    }
    // Leaving the page aborts its live refresh in flight: not a problem of the page.
    this.problems.push(...errors.filter((e) => !e.includes('net::ERR_ABORTED')).map((e) => `render warm: ${e}`));
    await context.close();
    const summary = {};
    for (const kind of ['cold', 'warm']) {
      const r = out[kind];
      summary[kind] = {
        wall_s: stats(r.map((x) => x.wall)),
        ready_s: stats(r.map((x) => x.readyAt / 1000)),
        ready_frame_s: stats(r.map((x) => x.readyFrameAt / 1000)),
        dom_content_loaded_s: stats(r.map((x) => (x.nav ? x.nav.domContentLoaded / 1000 : null)).filter((x) => x !== null)),
        assets_loaded_s: stats(r.map((x) => x.assets.lastEnd / 1000)),
        first_api_request_s: stats(r.map((x) => x.api.firstStart / 1000)),
        first_panel_query_s: stats(r.map((x) => x.firstQuery / 1000)),
        last_api_response_s: stats(r.map((x) => x.api.lastEnd / 1000)),
        slowest_api_request_s: stats(r.map((x) => x.api.slowest / 1000)),
        main_thread_busy_s: stats(r.map((x) => x.busy.TaskDuration)),
        script_s: stats(r.map((x) => x.busy.ScriptDuration)),
        layout_s: stats(r.map((x) => x.busy.LayoutDuration)),
        recalc_style_s: stats(r.map((x) => x.busy.RecalcStyleDuration)),
        daemon_cpu_s: stats(r.filter((x) => x.daemon !== null).map((x) => x.daemon)),
        request_paths: r[0].paths,
        requests: r[0].requests, api_requests: r[0].api.n, asset_bytes: r[0].assets.transferBytes,
        api_bytes: r[0].api.transferBytes, panels: r[0].panels, dom_elements: r[0].nodes,
      };
    }
    if (profile) summary.profile = profile;
    if (trace) summary.trace = trace;
    return summary;
  }

  // Opens the page live and returns {context, page, cdp, waitRefresh(n), samples}.
  async livePage() {
    const context = await this.newContext();
    const { page, errors } = await this.newPage(context);
    const cdp = await context.newCDPSession(page);
    // threadTicks: durations in the main thread's CPU time, not wall time (which a loaded
    // machine inflates while the thread waits for a core).
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    const wallCdp = await context.newCDPSession(page);
    await wallCdp.send('Performance.enable', { timeDomain: 'timeTicks' });
    const samples = [];
    const waiters = [];
    const counters = { bytes: 0, requests: 0 };
    const apiIds = new Set();
    await cdp.send('Network.enable');
    cdp.on('Network.requestWillBeSent', (e) => { if (e.request.url.includes('/api/')) apiIds.add(e.requestId); });
    cdp.on('Network.loadingFinished', (e) => {
      if (!apiIds.delete(e.requestId)) return;
      counters.requests += 1;
      counters.bytes += e.encodedDataLength;
    });
    let latest = -1;
    await cdp.send('Runtime.enable');  // Runtime.bindingCalled is sent to sessions with Runtime on
    await cdp.send('Runtime.addBinding', { name: '__benchRefreshed' });
    cdp.on('Runtime.bindingCalled', async (event) => {
      if (event.name !== '__benchRefreshed') return;
      const n = Number(event.payload);
      const t = performance.now();
      const m = await metrics(cdp).catch(() => null);
      const wall = await metrics(wallCdp).catch(() => null);
      if (!m) return;
      if (wall) m.TaskWall = wall.TaskDuration;
      samples.push({ n, t, m, daemon: schedSeconds(this.args.daemonPid), renderer: (await this.rendererCpu()).cpu });
      latest = Math.max(latest, n);
      for (const w of [...waiters]) if (latest >= w.n) { waiters.splice(waiters.indexOf(w), 1); w.resolve(); }
    });
    await page.goto(this.target, { waitUntil: 'commit' });
    await page.waitForSelector(this.readySelector, { state: 'attached', timeout: this.args.timeout * 1000 });
    const live = await page.evaluate(() => { const l = document.getElementById('live'); return l ? l.checked : null; });
    if (live === false) {
      log('live is off by default: turning it on');
      await page.check('#live');
    }
    const waitRefresh = (n, seconds) => new Promise((resolve, reject) => {
      if (latest >= n) return resolve();
      const w = { n, resolve };
      waiters.push(w);
      setTimeout(() => reject(new Error(`no refresh #${n} within ${seconds} s (latest ${latest})`)), seconds * 1000);
    });
    return { context, page, cdp, errors, samples, waitRefresh, latest: () => latest,
             get bytes() { return counters.bytes; }, get requests() { return counters.requests; } };
  }

  // The requests of one tick, replayed 5 times with fetch() + json() (and with text() only) in
  // a page of the same origin without the dashboard: the page CPU of getting the data, apart
  // from drawing it.
  async replayTick(live) {
    // The API requests over 3 refreshes, grouped by their range end (`end`, `time`, `to`): one
    // refresh resolves its range once, so the largest group is one whole tick's requests.
    const seen = [];
    const onRequest = (r) => { if (r.url().includes('/api/')) seen.push(r.url()); };
    live.page.on('request', onRequest);
    const n0 = live.latest();
    await live.waitRefresh(n0 + 3, 120);
    live.page.off('request', onRequest);
    const groups = new Map();
    for (const u of seen) {
      const q = new URL(u).searchParams;
      const end = q.get('end') || q.get('time') || (q.get('to') ? String(Number(q.get('to')) / 1000) : null);
      if (end === null) continue;
      const key = Math.round(Number(end));
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(u);
    }
    const urls = [...groups.values()].sort((a, b) => b.length - a.length)[0] || [];
    // A context of its own (its own renderer process), the live page closed: nothing else runs
    // on the main thread measured.
    await live.context.close();
    const context = await this.newContext();
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });
    await page.goto(`${this.args.url}-/healthy`);
    const out = {};
    for (const how of ['json', 'text']) {
      const cpu = [];
      for (let i = 0; i < 5; i++) {
        const a = await metrics(cdp);
        await page.evaluate(async ([list, mode]) => {
          await Promise.all(list.map((u) => fetch(u).then((r) => (mode === 'json' ? r.json() : r.text()))));
        }, [urls, how]);
        await sleep(200);  // tasks after the last promise (GC, body cleanup)
        const b = await metrics(cdp);
        cpu.push((b.TaskDuration - a.TaskDuration) * 1000);
      }
      out[`${how}_ms`] = quantile(cpu, 0.5);
    }
    await context.close();
    out.requests = urls.length;
    return out;
  }

  // Tick CPU of the pages k-<kind> (dashboard_bench.py's config: the Overview's panels of one
  // kind each), --kind-ticks ticks each: what each kind costs.
  async phaseKinds() {
    const out = {};
    const { page: saved } = this.args;
    for (const kind of ['line', 'stacked', 'heatmap', 'stat', 'table']) {
      this.args.page = `k-${kind}`;
      this.target = `${this.args.url}#/${this.args.page}`;
      this.readySelector = `#page[data-page="${this.args.page}"][data-state="ready"]`;
      try {
        const r = await this.phaseTick(this.args.kindTicks, false);
        out[kind] = { panels: r.panels, task_ms: r.task_ms.median, script_ms: r.script_ms.median,
                      other_ms: r.other_ms.median, per_panel_ms: r.panels ? r.task_ms.median / r.panels : null,
                      api_kib: r.api_kib_per_tick };
        log(`kind ${kind}: ${fmt(r.task_ms.median)} ms a tick for ${r.panels} panels`);
      } catch (e) {
        out[kind] = { error: String(e) };
      }
    }
    this.args.page = saved;
    this.target = `${this.args.url}#/${saved}`;
    this.readySelector = `#page[data-page="${saved}"][data-state="ready"]`;
    return out;
  }

  async phaseTick(ticks = this.args.ticks, deep = this.args.profile) {
    const live = await this.livePage();
    // Warm-up: 3 refreshes (JIT, first setData), then the measured window.
    await live.waitRefresh(3, 60);
    const first = live.samples.length - 1;
    const startN = live.samples[first].n;
    const bytesAt = () => live.bytes;
    const bytes0 = bytesAt(), requests0 = live.requests;
    await live.waitRefresh(startN + ticks, ticks * 10 + 60);
    const win = live.samples.slice(first);
    const apiBytes = bytesAt() - bytes0, apiRequests = live.requests - requests0;
    const panels = await live.page.evaluate(() => document.querySelectorAll('section.panel').length);
    let profile = null, trace = null, result_replay = null;
    if (deep) {  // extra ticks, after the measured ones
      const extra = Math.min(ticks, 10);
      let n0 = live.latest();
      await startProfile(live.cdp);
      await live.waitRefresh(n0 + extra, extra * 10 + 60);
      profile = await stopProfile(live.cdp);
      profile.ticks = live.latest() - n0;
      const file = path.join(require('node:os').tmpdir(), `dashboard_bench_${process.pid}.json`);
      n0 = live.latest();
      await startTrace(this.browser, live.page, file);
      await live.waitRefresh(n0 + extra, extra * 10 + 60);
      const traced = live.latest() - n0;
      trace = await stopTrace(this.browser, file, traced);
      trace.ticks = traced;
      result_replay = await this.replayTick(live);
    }
    const per = { task: [], wall: [], other: [], script: [], layout: [], style: [], period: [], daemon: [], renderer: [] };
    for (let i = 1; i < win.length; i++) {
      const a = win[i - 1], b = win[i];
      const dn = b.n - a.n;
      if (dn <= 0) continue;
      per.task.push((b.m.TaskDuration - a.m.TaskDuration) * 1000 / dn);
      per.script.push((b.m.ScriptDuration - a.m.ScriptDuration) * 1000 / dn);
      per.other.push((b.m.TaskOtherDuration - a.m.TaskOtherDuration) * 1000 / dn);
      if (a.m.TaskWall !== undefined && b.m.TaskWall !== undefined) per.wall.push((b.m.TaskWall - a.m.TaskWall) * 1000 / dn);
      per.layout.push((b.m.LayoutDuration - a.m.LayoutDuration) * 1000 / dn);
      per.style.push((b.m.RecalcStyleDuration - a.m.RecalcStyleDuration) * 1000 / dn);
      per.period.push((b.t - a.t) / dn);
      if (a.daemon !== null && b.daemon !== null) per.daemon.push((b.daemon - a.daemon) * 1000 / dn);
      if (a.renderer !== null && b.renderer !== null) per.renderer.push((b.renderer - a.renderer) * 1000 / dn);
    }
    const a = win[0], b = win[win.length - 1];
    const n = b.n - a.n;
    const result = {
      ticks: n,
      task_ms: { ...stats(per.task), overall: (b.m.TaskDuration - a.m.TaskDuration) * 1000 / n },
      script_ms: { ...stats(per.script), overall: (b.m.ScriptDuration - a.m.ScriptDuration) * 1000 / n },
      task_wall_ms: stats(per.wall),
      other_ms: stats(per.other),
      layout_ms: stats(per.layout),
      recalc_style_ms: stats(per.style),
      period_ms: stats(per.period),
      renderer_all_threads_ms: per.renderer.length ? { ...stats(per.renderer), overall: (b.renderer - a.renderer) * 1000 / n } : null,
      daemon_cpu_ms: per.daemon.length ? { ...stats(per.daemon), overall: (b.daemon - a.daemon) * 1000 / n } : null,
      panels,
      api_requests_per_tick: apiRequests / n,
      api_kib_per_tick: apiBytes / 1024 / n,
      layouts_per_tick: (b.m.LayoutCount - a.m.LayoutCount) / n,
      style_recalcs_per_tick: (b.m.RecalcStyleCount - a.m.RecalcStyleCount) / n,
    };
    if (profile) result.profile = profile;
    if (trace) result.trace = trace;
    if (result_replay) result.replay = result_replay;
    this.problems.push(...live.errors.map((e) => `tick: ${e}`));
    if (!result_replay) await live.context.close();  // the replay closed it
    return result;
  }

  async phaseMemory() {
    const { minutes, sampleSeconds } = this.args;
    const live = await this.livePage();
    await live.waitRefresh(3, 60);
    const rows = [];
    const t0 = performance.now();
    const end = t0 + minutes * 60000;
    for (;;) {
      // Right after a refresh completed: no refresh's responses held in the heap (a sample in
      // the middle of one counts its ~3 MB of parsed JSON).
      await live.waitRefresh(live.latest() + 1, 60);
      await live.cdp.send('HeapProfiler.enable');
      await live.cdp.send('HeapProfiler.collectGarbage');
      await live.cdp.send('HeapProfiler.collectGarbage');
      const m = await metrics(live.cdp);
      const dom = await live.cdp.send('Memory.getDOMCounters').catch(() => null);
      const renderers = (await this.rendererCpu()).pids;
      const rss = renderers.length === 1 ? rssBytes(renderers[0]) : null;
      const row = { minute: (performance.now() - t0) / 60000, refreshes: live.latest(), heap: m.JSHeapUsedSize,
                    heapTotal: m.JSHeapTotalSize, nodes: dom ? dom.nodes : m.Nodes, listeners: dom ? dom.jsEventListeners : m.JSEventListeners,
                    documents: dom ? dom.documents : m.Documents, rendererRss: rss };
      rows.push(row);
      log(`memory ${row.minute.toFixed(1)} min: heap ${(row.heap / 2 ** 20).toFixed(2)} MiB, ${row.nodes} nodes, ` +
          `${row.listeners} listeners, refresh #${row.refreshes}` + (rss ? `, renderer RSS ${(rss / 2 ** 20).toFixed(0)} MiB` : ''));
      if (performance.now() >= end - 1000) break;
      await sleep(Math.min(sampleSeconds * 1000, end - performance.now()));
    }
    this.problems.push(...live.errors.map((e) => `memory: ${e}`));
    await live.context.close();
    // The slope is fitted from the first minute on when the run is 3 minutes or longer: the first
    // minute warms up (JIT, pooled arrays, caches reaching their size).
    const warm = rows[rows.length - 1].minute >= 3 ? rows.filter((r) => r.minute >= 0.99) : rows;
    const xs = warm.map((r) => r.minute);
    const first = rows[0], last = rows[rows.length - 1];
    const heapSlope = slope(xs, warm.map((r) => r.heap)) / 2 ** 20;
    const nodeSlope = slope(xs, warm.map((r) => r.nodes));
    const span = last.minute - first.minute;
    const flatHeap = heapSlope * 10 < GOALS.heapGrowthMiBPer10Min;
    const flatNodes = nodeSlope * 10 < Math.max(50, first.nodes * 0.01);
    return {
      minutes: span, refreshes: last.refreshes - first.refreshes, samples: rows,
      heap_mib: { start: first.heap / 2 ** 20, end: last.heap / 2 ** 20, max: Math.max(...rows.map((r) => r.heap)) / 2 ** 20,
                  slope_per_min: heapSlope, growth_per_10min: heapSlope * 10 },
      dom_nodes: { start: first.nodes, end: last.nodes, slope_per_min: nodeSlope },
      slope_from_minute: warm[0].minute,
      listeners: { start: first.listeners, end: last.listeners, slope_per_min: slope(xs, warm.map((r) => r.listeners)) },
      renderer_rss_mib: first.rendererRss ? { start: first.rendererRss / 2 ** 20, end: last.rendererRss / 2 ** 20,
                                             slope_per_min: slope(xs, warm.map((r) => r.rendererRss || 0)) / 2 ** 20 } : null,
      flat: flatHeap && flatNodes, flat_heap: flatHeap, flat_nodes: flatNodes,
    };
  }
}

// CPU profiles: self time per function and per file, top entries.
async function startProfile(cdp) {
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 100 });
  await cdp.send('Profiler.start');
}
async function stopProfile(cdp) {
  const { profile } = await cdp.send('Profiler.stop');
  const self = new Map();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = new Map();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    dt.set(id, (dt.get(id) || 0) + (profile.timeDeltas[i] || 0));
  }
  const functions = new Map();
  const files = new Map();
  let total = 0;
  for (const [id, us] of dt) {
    const n = byId.get(id);
    const cf = n.callFrame;
    const file = cf.url ? cf.url.replace(/^.*\//, '') : `(${cf.functionName || 'native'})`;
    const fn = `${cf.functionName || '(anonymous)'} ${file}${cf.url ? `:${cf.lineNumber + 1}` : ''}`;
    functions.set(fn, (functions.get(fn) || 0) + us);
    files.set(file, (files.get(file) || 0) + us);
    total += us;
  }
  self.clear();
  const top = (m, k) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, k)
    .map(([name, us]) => ({ name, self_ms: us / 1000, share: total ? us / total : 0 }));
  return { total_ms: total / 1000, functions: top(functions, 20), files: top(files, 12) };
}

// A Chrome trace of the page (devtools.timeline and friends): self time on the renderer's main
// thread by trace event name (thread CPU time where the event has it), the busiest main thread.
const TRACE_CATEGORIES = ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8', 'blink', 'cc',
                          'toplevel', 'loading', 'disabled-by-default-v8.gc'];
async function startTrace(browser, page, file) {
  await browser.startTracing(page, { path: file, categories: TRACE_CATEGORIES });
}
async function stopTrace(browser, file, divisor) {
  await browser.stopTracing();
  const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.unlinkSync(file);
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const names = new Map();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name') names.set(`${e.pid}:${e.tid}`, e.args.name);
  const byThread = new Map();
  for (const e of events) {
    if (e.ph !== 'X' || e.dur === undefined) continue;
    const key = `${e.pid}:${e.tid}`;
    if (names.get(key) !== 'CrRendererMain') continue;
    if (!byThread.has(key)) byThread.set(key, []);
    byThread.get(key).push(e);
  }
  let best = null;
  for (const [, list] of byThread) {
    list.sort((a, b) => a.ts - b.ts || b.dur - a.dur);
    const self = new Map();
    const stack = [];
    let top = 0;
    for (const e of list) {
      const d = e.tdur !== undefined ? e.tdur : e.dur;
      while (stack.length && stack[stack.length - 1].end <= e.ts) stack.pop();
      if (stack.length) self.set(stack[stack.length - 1].name, (self.get(stack[stack.length - 1].name) || 0) - d);
      else top += d;
      self.set(e.name, (self.get(e.name) || 0) + d);
      stack.push({ end: e.ts + e.dur, name: e.name });
    }
    if (!best || top > best.top) best = { top, self };
  }
  if (!best) return null;
  const per = divisor || 1;
  return {
    main_thread_ms: best.top / 1000 / per,
    per: divisor ? 'tick' : 'run',
    events: [...best.self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 20)
      .map(([name, us]) => ({ name, self_ms: us / 1000 / per, share: best.top ? us / best.top : 0 })),
  };
}

function parseDuration(text) {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(text);
  if (!m) throw new Error(`bad duration ${text}`);
  return Number(m[1]) * { ms: 1, s: 1000, m: 60000 }[m[2]];
}

function fmtMs(ms) { return ms === null || ms === undefined ? 'n/a' : `${(ms / 1000).toFixed(3)} s`; }
function fmt(v, digits = 1) { return v === null || v === undefined || Number.isNaN(v) ? 'n/a' : v.toFixed(digits); }

function table(results) {
  const rows = [];
  const goal = (v, g) => (v === null || v === undefined ? 'n/a' : (v / g).toFixed(2));
  const r = results.render;
  if (r) {
    for (const kind of ['cold', 'warm']) {
      const k = r[kind];
      rows.push([`first render ${kind}: ready (median / p90)`, `${fmt(k.ready_s.median, 3)} / ${fmt(k.ready_s.p90, 3)} s`,
                 `${GOALS.renderSeconds} s`, `${goal(k.ready_s.median, GOALS.renderSeconds)} / ${goal(k.ready_s.p90, GOALS.renderSeconds)}`]);
      rows.push([`  ${kind}: goto -> ready, wall (median / p90)`, `${fmt(k.wall_s.median, 3)} / ${fmt(k.wall_s.p90, 3)} s`, '', '']);
      rows.push([`  ${kind}: next frame after ready (median)`, `${fmt(k.ready_frame_s.median, 3)} s`, '', '']);
      rows.push([`  ${kind}: DOMContentLoaded / assets / 1st API / 1st query / last API`,
                 `${fmt(k.dom_content_loaded_s.median, 3)} / ${fmt(k.assets_loaded_s.median, 3)} / ${fmt(k.first_api_request_s.median, 3)} / ${fmt(k.first_panel_query_s.median, 3)} / ${fmt(k.last_api_response_s.median, 3)} s`, '', '']);
      rows.push([`  ${kind}: main thread busy (script, layout, style)`,
                 `${fmt(k.main_thread_busy_s.median * 1000, 0)} ms (${fmt(k.script_s.median * 1000, 0)}, ${fmt(k.layout_s.median * 1000, 0)}, ${fmt(k.recalc_style_s.median * 1000, 0)})`, '', '']);
      rows.push([`  ${kind}: requests (API), bytes assets / API`, `${k.requests} (${k.api_requests}), ${(k.asset_bytes / 1024).toFixed(0)} / ${(k.api_bytes / 1024).toFixed(0)} KiB`, '', '']);
      rows.push([`  ${kind}: slowest API request; metricsd CPU`, `${fmt(k.slowest_api_request_s.median, 3)} s; ${fmt(k.daemon_cpu_s.median, 3)} s`, '', '']);
    }
    rows.push(['  panels (ok / empty / error)', `${r.cold.panels.n} (${r.cold.panels.ok} / ${r.cold.panels.empty} / ${r.cold.panels.error})`, '20', '']);
  }
  const t = results.tick;
  if (t) {
    rows.push([`refresh tick: page CPU (median / p90)`, `${fmt(t.task_ms.median)} / ${fmt(t.task_ms.p90)} ms`, `${GOALS.tickMs} ms`,
               `${goal(t.task_ms.median, GOALS.tickMs)} / ${goal(t.task_ms.p90, GOALS.tickMs)}`]);
    rows.push([`  mean over ${t.ticks} ticks (max)`, `${fmt(t.task_ms.overall)} ms (${fmt(t.task_ms.max)})`, `${GOALS.tickMs} ms`, goal(t.task_ms.overall, GOALS.tickMs)]);
    rows.push(['  script / layout / style / other (median)', `${fmt(t.script_ms.median)} / ${fmt(t.layout_ms.median)} / ${fmt(t.recalc_style_ms.median)} / ${fmt(t.other_ms.median)} ms`, '', '']);
    rows.push(['  main thread busy, wall time (median)', `${fmt(t.task_wall_ms.median)} ms`, '', '']);
    rows.push(['  layouts, style recalcs per tick', `${fmt(t.layouts_per_tick)}, ${fmt(t.style_recalcs_per_tick)}`, '', '']);
    rows.push(['  API requests, KiB per tick', `${fmt(t.api_requests_per_tick)}, ${fmt(t.api_kib_per_tick, 0)}`, '', '']);
    if (t.renderer_all_threads_ms) rows.push(['  renderer process, all threads (median)', `${fmt(t.renderer_all_threads_ms.median)} ms`, '', '']);
    if (t.daemon_cpu_ms) rows.push(['  metricsd CPU per tick (median)', `${fmt(t.daemon_cpu_ms.median)} ms`, '', '']);
    rows.push(['  tick period (median)', `${fmt(t.period_ms.median, 0)} ms`, '', '']);
    if (t.replay) rows.push([`  the tick's ${t.replay.requests} requests alone: fetch+json (text)`, `${fmt(t.replay.json_ms)} ms (${fmt(t.replay.text_ms)} ms)`, '', '']);
  }
  if (results.kinds) {
    for (const [kind, k] of Object.entries(results.kinds)) {
      if (k.error) { rows.push([`  page of ${kind} panels only`, k.error.slice(0, 60), '', '']); continue; }
      rows.push([`  page of the ${k.panels} ${kind} panels: CPU a tick (per panel)`,
                 `${fmt(k.task_ms)} ms (${fmt(k.per_panel_ms)}); script ${fmt(k.script_ms)}, other ${fmt(k.other_ms)}; ${fmt(k.api_kib, 0)} KiB`, '', '']);
    }
  }
  const m = results.memory;
  if (m) {
    rows.push([`memory: JS heap after GC over ${fmt(m.minutes)} min`, `${fmt(m.heap_mib.start, 2)} -> ${fmt(m.heap_mib.end, 2)} MiB (max ${fmt(m.heap_mib.max, 2)})`, '', '']);
    rows.push([`  heap slope from minute ${fmt(m.slope_from_minute, 0)} (growth per 10 min)`, `${fmt(m.heap_mib.slope_per_min, 3)} MiB/min (${fmt(m.heap_mib.growth_per_10min, 2)} MiB)`,
               `< ${GOALS.heapGrowthMiBPer10Min} MiB/10 min`, `${goal(m.heap_mib.growth_per_10min, GOALS.heapGrowthMiBPer10Min)}`]);
    rows.push(['  DOM nodes (slope per min)', `${m.dom_nodes.start} -> ${m.dom_nodes.end} (${fmt(m.dom_nodes.slope_per_min, 1)})`, '', '']);
    rows.push(['  listeners', `${m.listeners.start} -> ${m.listeners.end}`, '', '']);
    if (m.renderer_rss_mib) rows.push(['  renderer RSS (slope per min)', `${fmt(m.renderer_rss_mib.start, 0)} -> ${fmt(m.renderer_rss_mib.end, 0)} MiB (${fmt(m.renderer_rss_mib.slope_per_min, 2)})`, '', '']);
    rows.push(['  flat', m.flat ? 'yes' : 'NO', 'flat', '', '']);
    rows.push(['  refreshes during the run', String(m.refreshes), '', '']);
  }
  const head = ['figure', 'measured', 'goal', 'ratio'];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((row) => String(row[i] ?? '').length)));
  const line = (row) => row.slice(0, 4).map((c, i) => String(c ?? '').padEnd(w[i])).join('  ').trimEnd();
  const out = [line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)];
  for (const [name, p] of [['first render (cold, one run)', r && r.profile], ['refresh ticks', t && t.profile]]) {
    if (!p) continue;
    out.push('', `CPU profile of ${name}: ${fmt(p.total_ms, 0)} ms sampled; self time by file:`);
    for (const f of p.files) out.push(`  ${fmt(f.self_ms, 1).padStart(8)} ms ${(100 * f.share).toFixed(1).padStart(5)} %  ${f.name}`);
    out.push('  by function:');
    for (const f of p.functions.slice(0, 15)) out.push(`  ${fmt(f.self_ms, 1).padStart(8)} ms ${(100 * f.share).toFixed(1).padStart(5)} %  ${f.name}`);
  }
  for (const [name, p] of [['first render (cold, one run)', r && r.trace], ['a refresh tick (mean)', t && t.trace]]) {
    if (!p) continue;
    out.push('', `Trace of ${name}: main thread ${fmt(p.main_thread_ms, 0)} ms; self time by trace event:`);
    for (const e of p.events.slice(0, 15)) out.push(`  ${fmt(e.self_ms, 1).padStart(8)} ms ${(100 * e.share).toFixed(1).padStart(5)} %  ${e.name}`);
  }
  return out.join('\n');
}

function printTable(results) {
  if (results.setup) console.log(`set-up: ${JSON.stringify(results.setup)}`);
  const m = results.machine;
  const v = results.viewport;
  console.log(`Chromium ${results.chromium}, ${results.url}${v ? ` (viewport ${v.width}x${v.height})` : ''}; ${m.cpus} CPUs (${m.model}), ` +
              `load average ${m.loadavg_start.map((x) => x.toFixed(1)).join(' ')} at the start, ` +
              `${m.loadavg_end.map((x) => x.toFixed(1)).join(' ')} at the end`);
  console.log(table(results));
  const problems = results.problems || [];
  if (problems.length) console.log(`\nproblems (${problems.length}):\n  ` + [...new Set(problems)].slice(0, 20).join('\n  '));
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.fromJson) {  // the table of an earlier --json run
    printTable(JSON.parse(fs.readFileSync(args.fromJson, 'utf8')));
    return;
  }
  const bench = new Bench(args);
  await bench.launch();
  const os = require('node:os');
  const results = { setup: args.setup, url: bench.target, chromium: bench.browser.version(), goals: GOALS,
                    viewport: { width: args.width, height: args.height },
                    machine: { cpus: os.cpus().length, model: os.cpus()[0] && os.cpus()[0].model, loadavg_start: os.loadavg() } };
  try {
    if (args.phases.has('render')) {
      const refresh = await bench.ensureRefresh(args.renderRefresh);
      results.render = await bench.phaseRender();
      results.render.refresh_ms = refresh;
    }
    if (['tick', 'kinds', 'memory'].some((p) => args.phases.has(p))) results.live_refresh_ms = await bench.ensureRefresh(args.liveRefresh);
    if (args.phases.has('tick')) results.tick = await bench.phaseTick();
    if (args.phases.has('kinds')) results.kinds = await bench.phaseKinds();
    if (args.phases.has('memory')) results.memory = await bench.phaseMemory();
  } finally {
    await bench.browser.close();
  }
  results.machine.loadavg_end = os.loadavg();
  results.problems = bench.problems;
  results.verdict = {
    render_cold_median_ok: results.render ? results.render.cold.ready_s.median <= GOALS.renderSeconds : null,
    render_warm_median_ok: results.render ? results.render.warm.ready_s.median <= GOALS.renderSeconds : null,
    tick_median_ok: results.tick ? results.tick.task_ms.median <= GOALS.tickMs : null,
    memory_flat: results.memory ? results.memory.flat : null,
  };
  if (args.json) console.log(JSON.stringify(results, null, 1));
  else printTable(results);
}

// Exit when done: a pending refresh-wait timer must not keep node running.
main().then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
