// The playground in headless Chromium, as a person uses it: presets, typing, mutation, the
// share link and YAML errors. Needs `make playground` (playground/dist) and /usr/bin/chromium.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { launch, openPage, serve, settled } from './harness.mjs';

let server;
let chrome;

before(async () => {
  server = await serve();
  chrome = await launch();
});

after(async () => {
  await chrome?.close();
  await server?.close();
});

/** Selects `text` on the first line of the manifest editor that contains `lineText`. */
async function selectInEditor(page, editor, lineText, text) {
  const ok = await page.evaluate(
    ({ editor, lineText, text }) => {
      const area = document.querySelector(`#${editor} textarea`);
      const lines = area.value.split('\n');
      let offset = 0;
      for (const line of lines) {
        if (line.includes(lineText)) {
          const start = offset + line.indexOf(lineText) + lineText.indexOf(text);
          area.focus();
          area.setSelectionRange(start, start + text.length);
          return true;
        }
        offset += line.length + 1;
      }
      return false;
    },
    { editor, lineText, text },
  );
  assert.ok(ok, `no line with ${JSON.stringify(lineText)} in ${editor}`);
}

/** The 1-based line of the first line of `editor` that contains `lineText`. */
async function lineOf(page, editor, lineText) {
  return page.evaluate(
    ({ editor, lineText }) =>
      document.querySelector(`#${editor} textarea`).value.split('\n').findIndex((l) => l.includes(lineText)) + 1,
    { editor, lineText },
  );
}

async function pick(page, select, value) {
  await page.selectOption(`#${select}`, value);
  await settled(page);
}

describe('the playground page', { timeout: 120_000 }, () => {
  let page;

  before(async () => {
    page = await openPage(chrome.browser, server.url);
  });

  after(async () => {
    assert.deepEqual(page.problems, [], 'no errors, no requests beyond the page');
    await page.close();
  });

  it('accepts a compliant MATIH service with the MATIH settings', async () => {
    await pick(page, 'settings-preset', 'matih');
    await pick(page, 'manifest-preset', 'ai-service');
    assert.match(await page.locator('#settings-editor textarea').inputValue(), /name: ai-service/);
    const deployment = page.locator('article.result[data-kind="Deployment"][data-name="ai-service"]');
    assert.equal(await deployment.getAttribute('data-accepted'), 'true');
    assert.equal(await deployment.getAttribute('data-namespace'), 'matih-ai');
    assert.equal(await page.locator('article.result[data-accepted="false"]').count(), 0);
    assert.equal(await page.locator('table.violations tr.deny').count(), 0);
    assert.match(await page.locator('#summary').textContent(), /2 objects: 2 accepted, 0 rejected/);
    // The exception used shows as a warning and an audit annotation.
    assert.match(await deployment.locator('.warnings').textContent(), /exception "ai-service"/);
    assert.match(await deployment.locator('.audit').textContent(), /exception\.ai-service.*Standard Python app/);
  });

  it('shows the violation when the root filesystem is made writable', async () => {
    await selectInEditor(page, 'manifest-editor', 'readOnlyRootFilesystem: true', 'true');
    await page.keyboard.type('false');
    await settled(page);
    const deployment = page.locator('article.result[data-kind="Deployment"]');
    assert.equal(await deployment.getAttribute('data-accepted'), 'false');
    assert.equal(await page.locator('#manifest-preset').inputValue(), '', 'the preset shows as edited');
    const row = deployment.locator('table.violations tr.deny');
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('td.check').textContent(), 'readOnlyRootFilesystem');
    assert.equal(await row.locator('td.container').textContent(), 'container "ai-service"');
    assert.equal(
      await row.locator('td.field').textContent(),
      'spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem',
    );
    assert.equal(await row.locator('td.found').textContent(), 'false');
    assert.equal(await row.locator('td.required').textContent(), 'true');
    assert.match(await row.locator('td.fix').textContent(), /mount an emptyDir at the paths it writes, e\.g\. \/tmp/);
    // The row points at the line, and the line is marked in the gutter.
    const line = await lineOf(page, 'manifest-editor', 'readOnlyRootFilesystem: false');
    assert.equal(await row.getAttribute('data-line'), String(line));
    assert.equal(await page.locator('#manifest-editor .ln.violation').first().textContent(), String(line));
    assert.match(await page.locator('#summary').textContent(), /2 objects: 1 accepted, 1 rejected/);
  });

  it('shows the mutated manifest as a diff when mutation is enabled', async () => {
    await pick(page, 'manifest-preset', 'violating/missing-fsgroup');
    const sts = page.locator('article.result[data-kind="StatefulSet"]');
    assert.equal(await sts.getAttribute('data-accepted'), 'false');
    assert.equal(await sts.locator('td.check').first().textContent(), 'fsGroup');
    assert.equal(await sts.locator('pre.diff').count(), 0);
    await page.check('#mutation');
    await settled(page);
    assert.match(await page.locator('#settings-editor textarea').inputValue(), /mutation:\s*\n\s+enabled: true/);
    assert.equal(await sts.getAttribute('data-accepted'), 'true');
    const added = await sts.locator('pre.diff .add').allTextContents();
    assert.ok(added.some((l) => /^\+ +fsGroup: 999$/.test(l.trimEnd())), `diff adds fsGroup: 999: ${added}`);
    assert.equal(await sts.locator('pre.diff .del').count(), 0, 'mutation only adds');
    assert.match(await sts.locator('pre.diff .hunk').first().textContent(), /^@@ -\d+,\d+ \+\d+,\d+ @@/);
    // Unchecking turns it off again in the settings.
    await page.uncheck('#mutation');
    await settled(page);
    assert.match(await page.locator('#settings-editor textarea').inputValue(), /enabled: false/);
    assert.equal(await sts.getAttribute('data-accepted'), 'false');
  });

  it('opens the share link in a new page with the same state', async () => {
    await pick(page, 'settings-preset', 'matih');
    await pick(page, 'manifest-preset', 'violating/writable-root');
    // An edit of every part of the state: manifest, settings, image users, namespace.
    await selectInEditor(page, 'manifest-editor', 'name: ai-service', 'ai-service');
    await page.keyboard.type('shared-service');
    await selectInEditor(page, 'settings-editor', 'enforcement: {}', '{}');
    await page.keyboard.type('{readOnlyRootFilesystem: warn}');
    await page.click('#image-users summary');
    await page.locator('#image-users-editor textarea').fill('nginx: "101"\n');
    await page.fill('#namespace', 'shared');
    await settled(page);
    await page.click('#share');
    await settled(page);
    const link = await page.locator('#share-link').inputValue();
    assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/#z\.[A-Za-z0-9_-]+$/);

    const snapshot = (p) =>
      p.evaluate(() => ({
        manifest: document.querySelector('#manifest-editor textarea').value,
        settings: document.querySelector('#settings-editor textarea').value,
        imageUsers: document.querySelector('#image-users-editor textarea').value,
        namespace: document.querySelector('#namespace').value,
        user: document.querySelector('#user').value,
        groups: document.querySelector('#groups').value,
        settingsPreset: document.querySelector('#settings-preset').value,
        manifestPreset: document.querySelector('#manifest-preset').value,
        mutation: document.querySelector('#mutation').checked,
        summary: document.querySelector('#summary').textContent,
        results: document.querySelector('#results').innerText,
      }));
    const before = await snapshot(page);
    assert.match(before.manifest, /name: shared-service/);
    assert.match(before.settings, /readOnlyRootFilesystem: warn/);
    assert.match(before.results, /warn/);

    const other = await chrome.browser.newPage();
    await other.goto(link);
    await settled(other);
    assert.deepEqual(await snapshot(other), before);
    await other.close();
  });

  it('simulates the requester with the User and Groups fields, carried in the share link', async () => {
    await page.locator('#settings-editor textarea').fill(
      'exceptions:\n- name: sre-writable-root\n  reason: the SRE team debugs with a writable root filesystem\n' +
        '  match:\n    users: [alice]\n    groups: [sre]\n  securityContext:\n    readOnlyRootFilesystem: false\n',
    );
    await page.locator('#manifest-editor textarea').fill(
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: debug-me\nspec:\n  securityContext:\n    runAsNonRoot: true\n' +
        '    runAsUser: 1000\n    runAsGroup: 1000\n    fsGroup: 1000\n    seccompProfile: {type: RuntimeDefault}\n' +
        '  containers:\n  - name: app\n    image: registry.matih.io/matih/app:1.0\n    securityContext:\n' +
        '      allowPrivilegeEscalation: false\n      readOnlyRootFilesystem: false\n      capabilities: {drop: [ALL]}\n',
    );
    await page.fill('#user', '');
    await page.fill('#groups', '');
    await settled(page);
    const pod = page.locator('article.result[data-kind="Pod"][data-name="debug-me"]');
    assert.equal(await pod.getAttribute('data-accepted'), 'false', 'the default requester is not alice');
    await page.fill('#user', 'alice');
    await settled(page);
    assert.equal(await pod.getAttribute('data-accepted'), 'false', 'alice outside sre');
    await page.fill('#groups', 'dev, sre');
    await settled(page);
    assert.equal(await pod.getAttribute('data-accepted'), 'true', 'alice in sre');
    assert.match(await pod.locator('.warnings').textContent(), /exception "sre-writable-root"/);

    await page.click('#share');
    await settled(page);
    const link = await page.locator('#share-link').inputValue();
    const other = await chrome.browser.newPage();
    await other.goto(link);
    await settled(other);
    assert.equal(await other.locator('#user').inputValue(), 'alice');
    assert.equal(await other.locator('#groups').inputValue(), 'dev, sre');
    assert.equal(
      await other.locator('article.result[data-kind="Pod"][data-name="debug-me"]').getAttribute('data-accepted'),
      'true',
    );
    await other.close();
    // Back to nobody in particular for the tests after this one.
    await page.fill('#user', '');
    await page.fill('#groups', '');
    await settled(page);
    assert.equal(await pod.getAttribute('data-accepted'), 'false');
  });

  it('shows a YAML error at its line', async () => {
    await pick(page, 'settings-preset', 'matih');
    await pick(page, 'manifest-preset', 'ai-service');
    const line = await lineOf(page, 'manifest-editor', 'kind: Deployment');
    await selectInEditor(page, 'manifest-editor', 'kind: Deployment', 'Deployment');
    await page.keyboard.press('End');
    await page.keyboard.type(': oops');
    await settled(page);
    const errors = page.locator('#manifest-errors li');
    assert.equal(await errors.count(), 1);
    const text = await errors.first().textContent();
    assert.match(text, new RegExp(`^line ${line}, column \\d+: `), text);
    assert.equal(await page.locator('#manifest-editor .ln.error').count(), 1);
    assert.equal(await page.locator('#manifest-editor .ln.error').textContent(), String(line));
    // The other documents are still evaluated; the broken one is not.
    assert.match(await page.locator('#summary').textContent(), /1 object: 1 accepted, 0 rejected · 1 document not read/);
    // Fixing it clears the error.
    await page.keyboard.press('Control+Z');
    await settled(page);
    assert.equal(await errors.count(), 0);
  });

  it('reports invalid settings and YAML errors in the settings', async () => {
    await pick(page, 'settings-preset', 'standard');
    await page.locator('#settings-editor textarea').fill('podSecurityContext:\n  runAsUsr: 1000\n');
    await settled(page);
    assert.match(await page.locator('#settings-errors').textContent(), /runAsUsr/);
    assert.match(await page.locator('#summary').textContent(), /the settings are invalid/);
    // `bad:` indented under a scalar: the checker's reader refuses the colon, line 3 column 7.
    await page.locator('#settings-editor textarea').fill('podSecurityContext:\n  runAsUser: 1000\n   bad: [\n');
    await settled(page);
    assert.match(await page.locator('#settings-errors li').first().textContent(), /^line 3, column 7: mapping values are not allowed/);
    assert.equal(await page.locator('#settings-editor .ln.error').first().textContent(), '3');
  });
});
