// The HTML report in a real headless Chromium (Debian's chromium, driven by playwright-core,
// which downloads no browser): render_report_sample writes a realistic report, the page is
// opened over file://, and the test asserts that it renders with no console error, no failed
// request and no request but the file itself (no script, no external resource, CSP in place),
// that every chart drew paths with data, that hostile text stayed text, and writes a
// full-page screenshot next to the report.
//
//   node report_html_test.js RENDER_REPORT_SAMPLE OUT_DIR [CHROMIUM]
'use strict';

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { pathToFileURL } = require('node:url');

let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch (e) {
  console.error('playwright-core is missing: run `npm ci --prefix tests/browser` (.ci/install-deps --with-tests)');
  process.exit(1);
}

async function main() {
  const [sample, outDir, executable = '/usr/bin/chromium'] = process.argv.slice(2);
  if (!sample || !outDir) throw new Error('usage: report_html_test.js RENDER_REPORT_SAMPLE OUT_DIR [CHROMIUM]');
  if (!fs.existsSync(executable)) throw new Error(`no Chromium at ${executable} (Debian package chromium)`);
  fs.mkdirSync(outDir, { recursive: true });
  execFileSync(sample, [outDir], { stdio: 'inherit' });
  const file = path.resolve(outDir, 'report.html');
  const url = pathToFileURL(file).href;
  const html = fs.readFileSync(file, 'utf8');
  assert.ok(html.length < 1 << 20, `report.html is ${html.length} bytes; a 7-day report should stay well under 1 MiB`);

  const browser = await chromium.launch({ executablePath: executable, args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const consoleErrors = [];
    const pageErrors = [];
    const requests = [];
    const failed = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') consoleErrors.push(`${message.type()}: ${message.text()}`);
    });
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('request', (request) => requests.push(request.url()));
    page.on('requestfailed', (request) => failed.push(`${request.url()}: ${request.failure()?.errorText}`));

    const response = await page.goto(url, { waitUntil: 'load' });
    assert.ok(response === null || response.ok(), 'the report loads');
    // Anything late (a lazy resource, a CSP report) would arrive now.
    await page.waitForTimeout(300);

    assert.deepEqual(consoleErrors, [], 'no console errors or warnings');
    assert.deepEqual(pageErrors, [], 'no page errors');
    assert.deepEqual(failed, [], 'no failed requests');
    assert.deepEqual(requests, [url], 'no request but the report itself');

    const facts = await page.evaluate(() => {
      const csp = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
      const svgs = [...document.querySelectorAll('svg')].map((svg) => {
        const paths = [...svg.querySelectorAll('path')];
        const box = svg.getBoundingClientRect();
        return {
          label: svg.getAttribute('aria-label'),
          width: box.width,
          height: box.height,
          paths: paths.length,
          drawn: paths.filter((p) => (p.getAttribute('d') || '').trim().length > 0 && p.getBBox().width > 0).length,
          vertices: paths.map((p) => ((p.getAttribute('d') || '').match(/[ML]/g) || []).length),
          texts: svg.querySelectorAll('text').length,
          // Each chart is a well-formed SVG document of its own too (saved from the page).
          xmlError: (() => {
            const parsed = new DOMParser().parseFromString(svg.outerHTML, 'image/svg+xml');
            const error = parsed.querySelector('parsererror');
            return error ? error.textContent : null;
          })(),
        };
      });
      return {
        csp: csp ? csp.getAttribute('content') : null,
        scripts: document.scripts.length,
        images: document.images.length,
        links: [...document.querySelectorAll('link')].length,
        iframes: document.querySelectorAll('iframe, object, embed').length,
        externalHrefs: [...document.querySelectorAll('[href], [src]')]
          .map((e) => e.getAttribute('href') || e.getAttribute('src'))
          .filter((v) => !v.startsWith('#')),
        svgs,
        sections: document.querySelectorAll('main > section').length,
        errors: [...document.querySelectorAll('.error')].map((e) => e.textContent),
        text: document.body.innerText,
        title: document.title,
        pwned: window.__pwned === true,
      };
    });

    assert.equal(facts.csp, "default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    assert.equal(facts.scripts, 0, 'no <script>, not even the hostile one');
    assert.equal(facts.images, 0, 'no <img>, not even the hostile one');
    assert.equal(facts.links, 0, 'no <link>');
    assert.equal(facts.iframes, 0, 'no embedded documents');
    assert.deepEqual(facts.externalHrefs, [], 'only in-page anchors');
    assert.equal(facts.pwned, false);
    assert.ok(facts.sections >= 6, `sections rendered: ${facts.sections}`);
    assert.ok(facts.svgs.length >= 4, `charts rendered: ${facts.svgs.length}`);
    for (const svg of facts.svgs) {
      assert.ok(svg.width > 300 && svg.height > 150, `chart "${svg.label}" has a size: ${svg.width}x${svg.height}`);
      assert.ok(svg.drawn >= 1, `chart "${svg.label}" drew at least one path with data`);
      assert.ok(svg.texts >= 4, `chart "${svg.label}" has axis labels`);
      assert.equal(svg.xmlError, null, `chart "${svg.label}" parses as SVG`);
      for (const n of svg.vertices) assert.ok(n <= 1100, `chart "${svg.label}": a path of ${n} vertices (downsampling)`);
    }
    // The hostile text is shown literally, as text.
    assert.ok(facts.text.includes('<script>alert(1)</script>'), 'hostile text shown as text');
    assert.ok(facts.errors.some((e) => e.includes('<b>timeout</b>')), 'the failed section shows its error as text');
    assert.ok(facts.text.includes('n/a'), 'unknown numbers read n/a');

    const screenshot = path.resolve(outDir, 'report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    assert.ok(fs.statSync(screenshot).size > 10000, 'a screenshot with content');
    console.log(`ok: ${facts.svgs.length} charts, ${facts.sections} sections, ${html.length} bytes; screenshot ${screenshot}`);
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error && error.stack ? error.stack : error);
  process.exit(1);
});
