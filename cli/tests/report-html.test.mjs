// The rollout report's HTML page (security-context-checker report --format html) in headless
// Chromium: it renders, it loads nothing (no network, no external asset, no script), and every
// number it shows is the number of the JSON report (--format json) of the same input.
//
//   SCP_CHECKER=target/debug/security-context-checker node --test cli/tests/report-html.test.mjs
//
// `make report-test` (part of `make test`) runs it; playwright-core comes from
// playground/node_modules (the playground's browser tests share the Chromium launch).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch } from '../../playground/tests/harness.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const checker = process.env.SCP_CHECKER ?? join(repo, 'target/debug/security-context-checker');
const cluster = join(repo, 'cli/tests/report/cluster.json');
const settings = join(repo, 'examples/settings/matih.yml');

function report(format) {
  const env = { ...process.env };
  env.SCP_POLICY_WASM ??= join(repo, 'annotated-policy.wasm');
  const run = spawnSync(checker, ['report', '--format', format, '--settings', settings, cluster], {
    encoding: 'utf8',
    env,
    maxBuffer: 64 << 20,
  });
  if (run.error) throw new Error(`cannot run ${checker}: ${run.error.message} (make checker builds it)`);
  assert.equal(run.status, 1, `report exits 1 when something would be rejected: ${run.stderr}`);
  assert.equal(run.stderr, '', 'no progress bar: standard error is not a terminal');
  return run.stdout;
}

test('the HTML report renders offline and shows the numbers of the JSON report', async () => {
  const json = JSON.parse(report('json'));
  const html = report('html');
  assert.ok(!/<script|<link|@import|url\(/i.test(html), 'self-contained: no script, stylesheet or url()');
  assert.ok(!/(src|href)=["']?https?:/i.test(html), 'nothing fetched from the network');

  const dir = await mkdtemp(join(tmpdir(), 'scp-report-'));
  const file = join(dir, 'report.html');
  await writeFile(file, html);
  const chrome = await launch();
  try {
    const page = await chrome.browser.newPage();
    const requests = [];
    const problems = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    const url = pathToFileURL(file).href;
    await page.goto(url);
    assert.deepEqual(requests, [url], 'the page loads nothing but itself');
    assert.deepEqual(problems, []);

    // The chart is drawn: one visible segment per cell, with the cell's count.
    const segments = await page.$$eval('#chart rect.seg', (rects) =>
      rects.map((r) => {
        const box = r.getBoundingClientRect();
        return { ns: r.dataset.namespace, check: r.dataset.check, count: Number(r.dataset.count), w: box.width, h: box.height };
      }),
    );
    assert.equal(segments.length, json.cells.length);
    for (const c of json.cells) {
      const s = segments.find((x) => x.ns === c.namespace && x.check === c.check);
      assert.ok(s, `a bar segment for ${c.namespace} × ${c.check}`);
      assert.equal(s.count, c.count);
      assert.ok(s.w > 0 && s.h > 0, `${c.namespace} × ${c.check} is visible`);
    }
    // Longer bars for more rejections: segment widths are proportional to the counts.
    const unit = segments[0].w / segments[0].count;
    for (const s of segments) assert.ok(Math.abs(s.w - unit * s.count) <= 2 + s.count, JSON.stringify(s));

    // The table shows the same counts, as text a person reads.
    const cells = await page.$$eval('#counts td[data-cell]', (tds) => tds.map((td) => [td.dataset.cell, td.textContent]));
    assert.deepEqual(
      Object.fromEntries(cells),
      Object.fromEntries(json.cells.map((c) => [`${c.namespace}|${c.check}`, String(c.count)])),
    );
    for (const n of json.namespaces) {
      const shown = await page.textContent(`#counts td[data-namespace-rejected="${n.namespace}"]`);
      assert.equal(shown, String(n.rejected), `rejected in ${n.namespace}`);
    }
    const total = async (name) => page.textContent(`[data-total="${name}"]`);
    assert.equal(await total('workloadsRejected'), String(json.totals.workloadsRejected));
    assert.equal(await total('workloads'), String(json.totals.workloads));
    assert.equal(await total('objectsRejected'), String(json.totals.objectsRejected));
    assert.equal(await total('objects'), String(json.totals.objects));
    assert.equal(await total('workloadsPassing'), String(json.fixes.workloadsPassing));
    assert.equal(await total('manual'), String(json.fixes.manual.length));

    // The workloads behind the counts, the exceptions used, the suggestions.
    const workloads = await page.$$eval('li.workload', (lis) => lis.map((li) => li.dataset.workload));
    assert.deepEqual(
      workloads,
      json.workloads.filter((w) => w.rejected).map((w) => `${w.namespace}/${w.kind}/${w.name}`),
    );
    for (const e of json.exceptionsUsed) {
      assert.equal(await page.textContent(`td[data-exception="${e.name}"]`), String(e.workloads.length));
    }
    const suggestions = await page.$$eval('h3.suggestion', (hs) => hs.map((h) => h.dataset.suggestion));
    assert.deepEqual(suggestions, json.fixes.suggestions.map((s) => s.name));
    const yaml = await page.textContent('pre');
    assert.equal(yaml, json.fixes.suggestions[0].yaml);
    assert.ok(await page.isVisible('#chart'));
  } finally {
    await chrome.close();
    await rm(dir, { recursive: true, force: true });
  }
});
