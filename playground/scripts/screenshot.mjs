// Takes the README's screenshot of the built page (playground/dist) in headless Chromium:
//   node scripts/screenshot.mjs [OUT.png]     (default: playground/screenshot.png)

import { join } from 'node:path';
import { launch, openPage, playground, serve, settled } from '../tests/harness.mjs';

const out = process.argv[2] ?? join(playground, 'screenshot.png');
const server = await serve();
const chrome = await launch();
try {
  const page = await openPage(chrome.browser, server.url);
  await page.selectOption('#settings-preset', 'matih');
  await settled(page);
  await page.selectOption('#manifest-preset', 'violating/postgres-uncovered-sidecar');
  await settled(page);
  // Show the pod's template in the editor rather than the header comments.
  const line = await page.evaluate(() => {
    const lines = document.querySelector('#manifest-editor textarea').value.split('\n');
    return lines.findIndex((l) => l.includes('securityContext:')) + 1;
  });
  await page.evaluate((line) => {
    const area = document.querySelector('#manifest-editor textarea');
    area.scrollTop = Math.max(0, (line - 3) * 18);
    area.dispatchEvent(new Event('scroll'));
  }, line);
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await chrome.close();
  await server.close();
}
