// The page's logic without a browser: YAML documents and their lines, field paths, the diff,
// the share-link encoding, and the wasm build loaded in node.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as wasm from '../pkg/playground.js';
import {
  decodeState,
  diffLines,
  encodeState,
  evaluateTexts,
  hunks,
  lineOfPath,
  parseFieldPath,
  parseManifest,
  parseMapping,
} from '../web/core.js';
import { playground, repo } from './harness.mjs';

before(async () => {
  wasm.initSync({ module: await readFile(join(playground, 'pkg/playground_bg.wasm')) });
});

describe('documents', () => {
  it('numbers documents as the checker does and knows their lines', () => {
    const text = '# a comment\n---\napiVersion: v1\nkind: Pod\n---\n# empty\n---\nkind: Service\n';
    const { documents, errors } = parseManifest(text);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      documents.map((d) => [d.number, d.line, d.value?.kind ?? null]),
      [
        [1, 3, 'Pod'],
        [2, 5, null],
        [3, 8, 'Service'],
      ],
    );
  });

  it('reports a syntax error at its line and keeps the other documents', () => {
    const { documents, errors } = parseManifest('kind: Pod\n---\nmetadata:\n  name: p: q\n---\nkind: Service\n');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].line, 4);
    assert.equal(errors[0].document, 2);
    assert.doesNotMatch(errors[0].message, /line \d/);
    assert.equal(documents[1].value, null);
    assert.equal(documents[2].value.kind, 'Service');
  });

  it('reads settings as one mapping', () => {
    assert.deepEqual(parseMapping('', 'settings'), { value: {}, errors: [] });
    assert.deepEqual(parseMapping('# only comments\n', 'settings'), { value: {}, errors: [] });
    assert.deepEqual(parseMapping('{}', 'settings').value, {});
    assert.match(parseMapping('- a\n', 'settings').errors[0].message, /settings must be a mapping/);
    assert.equal(parseMapping('a: 1\n---\nb: 2\n', 'settings').errors[0].line, 3);
  });

  it('finds the line of a field path, or of the block it belongs in', () => {
    const text = 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n        - name: b\n          securityContext:\n            privileged: true\n';
    const [doc] = parseManifest(text).documents;
    const at = (field) => lineOfPath(doc, parseFieldPath(field));
    assert.equal(at('spec.template.spec.containers[1].securityContext.privileged'), 9);
    assert.equal(at('spec.template.spec.containers[1].securityContext.runAsUser'), 8);
    assert.equal(at('spec.template.spec.containers[0].securityContext'), 6);
    assert.equal(at('spec.template.spec.securityContext.fsGroup'), 4);
    assert.deepEqual(parseFieldPath('metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]'), [
      'metadata',
      'annotations',
      'container.apparmor.security.beta.kubernetes.io/app',
    ]);
  });
});

describe('evaluation', () => {
  it('evaluates each object of a manifest with the settings', async () => {
    const manifest = await readFile(join(repo, 'examples/manifests/violating/writable-root.yaml'), 'utf8');
    const settings = await readFile(join(repo, 'examples/settings/matih.yml'), 'utf8');
    const out = evaluateTexts({ manifest, settings });
    assert.equal(out.report.settings.valid, true);
    const [r] = out.report.results;
    assert.equal(r.outcome.accepted, false);
    const [v] = r.outcome.violations;
    assert.deepEqual(v.checks, ['readOnlyRootFilesystem']);
    assert.match(manifest.split('\n')[v.line - 1].trim(), /^readOnlyRootFilesystem: false/);
    assert.equal(r.response.accepted, false);
    assert.equal(r.response.message, r.outcome.message);
  });

  it('imports nothing from a host: no waPC, only the wasm-bindgen glue', async () => {
    const module = new WebAssembly.Module(await readFile(join(playground, 'pkg/playground_bg.wasm')));
    const imports = WebAssembly.Module.imports(module);
    assert.deepEqual(
      imports.filter((i) => !i.module.endsWith('playground_bg.js')),
      [],
    );
    assert.ok(!imports.some((i) => /wapc|__guest|__host/i.test(i.name)), JSON.stringify(imports));
  });

  it('answers settings validation like the module', () => {
    assert.equal(wasm.validateSettings('{}'), '{"valid":true}');
    const bad = JSON.parse(wasm.validateSettings('{"securityContext": {"runAsUsr": 1}}'));
    assert.equal(bad.valid, false);
    assert.match(bad.message, /runAsUsr/);
  });
});

describe('diff', () => {
  it('shows added and removed lines in hunks with context', () => {
    const a = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'].join('\n');
    const b = ['a', 'b', 'c', 'd', 'X', 'e', 'f', 'g', 'h', 'j'].join('\n');
    const d = diffLines(a, b);
    assert.deepEqual(
      d.filter((l) => l.op !== ' '),
      [
        { op: '+', text: 'X' },
        { op: '-', text: 'i' },
      ],
    );
    const h = hunks(d, 1);
    assert.equal(h.length, 2);
    assert.deepEqual(h[0], {
      oldStart: 4,
      newStart: 4,
      lines: [
        { op: ' ', text: 'd' },
        { op: '+', text: 'X' },
        { op: ' ', text: 'e' },
      ],
    });
    assert.deepEqual(diffLines('same\n', 'same\n'), [{ op: ' ', text: 'same' }]);
    assert.deepEqual(hunks(diffLines('same\n', 'same\n')), []);
  });
});

describe('share links', () => {
  it('round-trip the whole state, compressed', async () => {
    const state = {
      manifest: 'kind: Pod\n'.repeat(200) + 'unicode: "é ✓"\n',
      settings: 'mutation: {enabled: true}\n',
      imageUsers: 'nginx: "101"\n',
      namespace: 'data',
      manifestPreset: '',
      settingsPreset: 'matih',
    };
    const fragment = await encodeState(state);
    assert.match(fragment, /^z\.[A-Za-z0-9_-]+$/);
    assert.ok(fragment.length < JSON.stringify(state).length / 4, 'compressed');
    assert.deepEqual(await decodeState(`#${fragment}`), state);
    assert.equal(await decodeState('#z.not-deflate'), null);
    assert.equal(await decodeState('#section'), null);
    assert.equal(await decodeState(''), null);
  });
});
