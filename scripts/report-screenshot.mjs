// The screenshot of the rollout report in docs/ (docs/checker.md, the README): the HTML report
// of the test cluster (cli/tests/report/cluster.json, the MATIH settings) in headless Chromium.
//
//   make checker && node scripts/report-screenshot.mjs [OUT.png]   (default: docs/report.png)
//
// Needs playground/node_modules (make playground-tools) and Chromium (/usr/bin/chromium, or
// CHROMIUM=...). The checker is target/debug/security-context-checker, or SCP_CHECKER.

import { spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launch } from '../playground/tests/harness.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(repo, 'docs', 'report.png');
const checker = process.env.SCP_CHECKER ?? join(repo, 'target/debug/security-context-checker');
const env = { ...process.env };
env.SCP_POLICY_WASM ??= join(repo, 'annotated-policy.wasm');
const run = spawnSync(
  checker,
  ['report', '--format', 'html', '--settings', 'examples/settings/matih.yml', 'cli/tests/report/cluster.json'],
  { cwd: repo, encoding: 'utf8', env, maxBuffer: 64 << 20 },
);
if (run.error || run.status > 1) {
  console.error(`${checker} report failed: ${run.error?.message ?? run.stderr}`);
  process.exit(2);
}
const dir = await mkdtemp(join(tmpdir(), 'scp-report-'));
const file = join(dir, 'report.html');
await writeFile(file, run.stdout);
const chrome = await launch();
try {
  const page = await chrome.browser.newPage();
  await page.setViewportSize({ width: 1180, height: 760 });
  await page.goto(pathToFileURL(file).href);
  await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1180, height: 760 } });
  console.log(`wrote ${out}`);
} finally {
  await chrome.close();
  await rm(dir, { recursive: true, force: true });
}
