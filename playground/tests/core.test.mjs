// The page's logic without a browser, through the wasm build loaded in node: YAML documents
// and their lines as the adapter reads them (the checker's Rust reader: the page has no YAML
// code of its own), field paths, the mutation box, the diff, the share-link encoding.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import * as wasm from '../pkg/playground.js';
import { decodeState, diffLines, encodeState, evaluateTexts, hunks, locateFields, readManifest, setMutation } from '../web/core.js';
import { playground, repo } from './harness.mjs';

before(async () => {
  wasm.initSync({ module: await readFile(join(playground, 'pkg/playground_bg.wasm')) });
});

describe('documents', () => {
  it('numbers documents as the checker does and knows their lines', () => {
    const text = '# a comment\n---\napiVersion: v1\nkind: Pod\n---\n# empty\n---\nkind: Service\n';
    const { documents, errors } = readManifest(text);
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
    const { documents, errors } = readManifest('kind: Pod\n---\nmetadata:\n  name: p: q\n---\nkind: Service\n');
    assert.equal(errors.length, 1);
    assert.equal(errors[0].line, 4);
    assert.equal(errors[0].document, 2);
    assert.doesNotMatch(errors[0].message, /line \d/);
    assert.equal(documents[1].value, null);
    assert.equal(documents[2].value.kind, 'Service');
    // A document kubectl refuses before YAML sees it is refused alone too, at its line.
    const cut = readManifest('kind: Pod\n---\nkind: A\n--- {a: 1}\n---\nkind: Service\n');
    assert.deepEqual(
      cut.errors.map((e) => [e.document, e.line, e.column]),
      [[3, 4, 4]],
    );
    assert.deepEqual(
      cut.documents.map((d) => [d.number, d.value?.kind ?? null]),
      [
        [1, 'Pod'],
        [2, 'A'],
        [3, null],
        [4, 'Service'],
      ],
    );
  });

  it('reads settings and image users as one mapping each', () => {
    const settingsOf = (settings) => evaluateTexts({ manifest: '', settings });
    for (const text of ['', '# only comments\n', '{}']) {
      const out = settingsOf(text);
      assert.deepEqual([out.settingsErrors, out.settings], [[], {}], JSON.stringify(text));
    }
    const list = settingsOf('- a\n');
    assert.match(list.settingsErrors[0].message, /settings must be a mapping/);
    assert.equal(list.report, null);
    assert.equal(settingsOf('a: 1\n---\nb: 2\n').settingsErrors[0].line, 3);
    const users = evaluateTexts({ manifest: '', settings: '', imageUsers: 'nginx: "101"\n---\n- a\n' });
    assert.match(users.imageUserErrors[0].message, /the image-user table must be a single document/);
    assert.equal(users.imageUserErrors[0].line, 3);
  });

  it('sets mutation.enabled in the settings text, keeping the rest of it', () => {
    const matih = '# MATIH\npodSecurityStandard: baseline # the floor\n';
    const on = setMutation(matih, true);
    assert.equal(on, `${matih}mutation:\n  enabled: true\n`);
    assert.equal(setMutation(on, false), `${matih}mutation:\n  enabled: false\n`);
    assert.equal(setMutation('mutation: {enabled: yes} # on\n', false), 'mutation: {enabled: false} # on\n');
    assert.equal(setMutation('', true), 'mutation:\n  enabled: true\n');
    assert.equal(setMutation('{}', true), 'mutation:\n  enabled: true\n');
    assert.equal(setMutation('a: [', true), 'a: [', 'settings that do not read stay as they are');
  });

  it('locates a field path as the checker does: line, column, or the block it belongs in', () => {
    const text = '# Source: app/templates/d.yaml\nkind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: a\n        - name: b\n          securityContext:\n            privileged: true\n';
    const at = (field) => {
      const [p] = locateFields(text, [{ document: 1, path: '', field }]);
      return [p.line, p.column, p.exact];
    };
    assert.deepEqual(at('spec.template.spec.containers[1].securityContext.privileged'), [10, 13, true]);
    assert.deepEqual(at('spec.template.spec.containers[1].securityContext.runAsUser'), [9, 11, false]);
    assert.deepEqual(at('spec.template.spec.containers[0].securityContext'), [7, 11, false]);
    assert.deepEqual(at('spec.template.spec.securityContext.fsGroup'), [5, 5, false]);
    const [quoted] = locateFields('metadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/app: unconfined\n', [
      { document: 1, path: '', field: 'metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]' },
    ]);
    assert.deepEqual([quoted.line, quoted.column, quoted.exact], [3, 5, true]);
    // The object's place in its document (a List item) and the Helm template.
    const list = 'kind: List\nitems:\n- kind: ConfigMap\n- kind: Pod\n  spec:\n    hostPID: true\n';
    const [item] = locateFields(list, [{ document: 1, path: 'items[1]', field: 'spec.hostPID' }]);
    assert.deepEqual([item.line, item.column], [6, 5]);
    assert.equal(locateFields(text, [{ document: 1, path: '', field: 'kind' }])[0].template, 'app/templates/d.yaml');
  });
});

const RESTRICTED = 'podSecurityStandard: restricted\npodSecurityContext: {}\nsecurityContext: {}\n';

/** A restricted pod but for its container's securityContext, which comes from a `<<` merge. */
const MERGED_ROOT_POD = `apiVersion: v1
kind: Pod
metadata:
  name: merged
spec:
  securityContext:
    runAsNonRoot: true
    seccompProfile:
      type: RuntimeDefault
  containers:
  - name: app
    image: registry.k8s.io/pause
    securityContext:
      <<: {privileged: true, runAsUser: 0}
      allowPrivilegeEscalation: false
      capabilities:
        drop: [ALL]
`;

describe('YAML as kubectl reads it', () => {
  it('rejects a privileged root container hidden in a << merge', () => {
    const out = evaluateTexts({ manifest: MERGED_ROOT_POD, settings: RESTRICTED });
    assert.deepEqual(out.manifestErrors, []);
    const [r] = out.report.results;
    assert.equal(r.outcome.accepted, false);
    assert.match(r.outcome.message, /privileged/);
    assert.match(r.outcome.message, /runAsUser/);
    // Without the merge the same pod passes: the merge is what is rejected.
    const plain = MERGED_ROOT_POD.replace('      <<: {privileged: true, runAsUser: 0}\n', '');
    assert.equal(evaluateTexts({ manifest: plain, settings: RESTRICTED }).report.results[0].outcome.accepted, true);
  });

  it('evaluates a document with anchors, aliases and merges like its expanded form', () => {
    const anchored = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    securityContext: &podsc
      runAsNonRoot: true
      seccompProfile: {type: RuntimeDefault}
    containers:
    - name: app
      image: registry.k8s.io/pause
      securityContext: &sc
        allowPrivilegeEscalation: false
        capabilities: {drop: [ALL]}
- apiVersion: v1
  kind: Pod
  metadata: {name: b}
  spec:
    securityContext: *podsc
    containers:
    - name: app
      image: registry.k8s.io/pause
      securityContext:
        <<: *sc
        privileged: true
`;
    const expanded = `apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Pod
  metadata: {name: a}
  spec:
    securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
    containers:
    - {name: app, image: registry.k8s.io/pause, securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}}
- apiVersion: v1
  kind: Pod
  metadata: {name: b}
  spec:
    securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}
    containers:
    - name: app
      image: registry.k8s.io/pause
      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, privileged: true}
`;
    assert.deepEqual(readManifest(anchored).documents[0].value, readManifest(expanded).documents[0].value);
    const outcomes = (text) =>
      evaluateTexts({ manifest: text, settings: RESTRICTED }).report.results.map((r) => ({
        accepted: r.outcome.accepted,
        message: r.outcome.message ?? null,
      }));
    const got = outcomes(anchored);
    assert.deepEqual(got, outcomes(expanded));
    assert.deepEqual(
      got.map((o) => o.accepted),
      [true, false],
    );
  });

  it('refuses a conflicting merge, naming the key and its line', () => {
    const pod = MERGED_ROOT_POD.replace('      allowPrivilegeEscalation: false\n', '      allowPrivilegeEscalation: false\n      privileged: false\n');
    const out = evaluateTexts({ manifest: pod, settings: RESTRICTED });
    assert.equal(out.manifestErrors.length, 1);
    const [e] = out.manifestErrors;
    assert.equal(e.line, 16);
    assert.equal(e.document, 1);
    assert.match(e.message, /spec\.containers\[0\]\.securityContext: the key "privileged"/);
    assert.match(e.message, /disagree.*write the value once/);
    assert.deepEqual(out.report.results, []);
  });

  it('judges runAsUser: 01750 as 1000, the octal kubectl sends', () => {
    const settings = 'podSecurityStandard: privileged\npodSecurityContext:\n  runAsUser: 1000\nsecurityContext: {}\n';
    const pod = (uid) =>
      `apiVersion: v1\nkind: Pod\nmetadata:\n  name: uid\nspec:\n  securityContext:\n    runAsUser: ${uid}\n  containers:\n  - name: app\n    image: registry.k8s.io/pause\n`;
    for (const [uid, accepted] of [
      ['01750', true],
      ['0x3E8', true],
      ['1750', false],
      ["'01750'", false],
    ]) {
      const out = evaluateTexts({ manifest: pod(uid), settings });
      assert.equal(out.report.results[0].outcome.accepted, accepted, `runAsUser: ${uid}`);
    }
  });

  it('reads scalars, tags and keys as the offline checker does', () => {
    const cases = [
      ['merge of an alias beside explicit keys', 'b: &b {u: 1}\nc:\n  <<: *b\n  v: 2\n', { b: { u: 1 }, c: { u: 1, v: 2 } }],
      ['merge list of disjoint mappings', '<<: [{a: 1}, {b: 2}]\nc: 3\n', { a: 1, b: 2, c: 3 }],
      ['explicit key equal to the merged one', '<<: {a: 1}\na: 1\n', { a: 1 }],
      ['a quoted << is an ordinary key', "'<<': {a: 1}\n", { '<<': { a: 1 } }],
      ['a !!merge-tagged << merges', '!!merge <<: {a: 1}\n', { a: 1 }],
      ['a redefined anchor names its latest value', 'a: &x 1\nb: *x\nc: &x 2\nd: *x\n', { a: 1, b: 1, c: 2, d: 2 }],
      ['integers as Go parses them', '[0777, 0x1F, 0o17, 0b101, +12, 1_000, 0b-101, 08]\n', [511, 31, 15, 5, 12, 1000, -5, 8]],
      ['floats, integral ones as integers', '[1e3, 1.5, .5, 2.0]\n', [1000, 1.5, 0.5, 2]],
      ['YAML 1.1 booleans and nulls', '[y, yes, On, n, NO, off, ~, Null]\n', [true, true, true, false, false, false, null, null]],
      ['other spellings, quoted words, timestamps and sexagesimals stay text', "[yES, 'yes', \"0777\", 1:00, 2001-12-14, 1e999]\n", ['yES', 'yes', '0777', '1:00', '2001-12-14', '1e999']],
      ['explicit tags', "[!!str 0777, !!int '0777', !!bool 'yes', !!float 1, !!null '~']\n", ['0777', 511, true, 1, null]],
      ['an escaped line separator', 'a: "b\\u2028c"\n', { a: 'b\u2028c' }],
    ];
    const refusals = [
      ['merge list giving one key two values', '<<: [{a: 1}, {a: 2}]\n', /the key "a" is given by two `<<` merges/],
      ['merge before an explicit key with another value', '<<: {a: 2}\na: 1\n', /merge \(line 1\) and explicitly \(line 2\)/],
      ['a scalar merge value', 'x:\n  <<: 5\n', /at x\.<<: a `<<` merge takes a mapping/],
      ['an anchor inside itself', 'm: &m {<<: *m}\n', /contains itself/],
      ['an alias to another document', 'a: &x 1\n---\nb: *x\n', /an alias to an anchor not defined earlier in this document/],
      ['NaN', 'a: .nan\n', /NaN/],
      ['a dotted number with underscores', 'a: .5_0\n', /disagree/],
      ['a tag the value does not fit', 'a: !!int abc\n', /cannot read !!str `abc` as !!int/],
      ['a local tag', 'a: !foo bar\n', /the tag !foo is not supported/],
      ['a key read as a boolean', 'on: push\n', /the key `on` is not a string.*the boolean true.*quote it/],
      ['a key read as a number', 'data:\n  80: http\n', /at data: the key `80`/],
      ['a key given twice', 'a: 1\nb: 2\na: 1\n', /"a" is given twice \(lines 1 and 3\)/],
      ['a raw line separator', 'a: b\u2028c: d\n', /U\+2028/],
      ['integers past 64 bits', 'a: 0x1FFFFFFFFFFFFFFFF\n', /does not fit in 64 bits/],
      ['content after a document separator', '--- {a: 1}\n', /`---` followed by `\{a: 1\}`: kubectl refuses/],
      ['a separator glued to text', 'a: 1\n---x: 2\n', /kubectl splits documents at this line/],
    ];
    let laughs = 'a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n';
    for (let i = 1; i < 10; i++) laughs += `a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]\n`;
    refusals.push(['billion laughs', laughs, /excessive aliasing/]);
    for (const [name, text, value] of cases) {
      const { documents, errors } = readManifest(text);
      assert.deepEqual(errors, [], name);
      assert.deepEqual(documents[0].value, value, name);
    }
    for (const [name, text, message] of refusals) {
      const { errors } = readManifest(text);
      assert.equal(errors.length, 1, `${name}: ${JSON.stringify(errors)}`);
      assert.match(errors[0].message, message, name);
    }
  });
});

/** xorshift32: every run checks the same generated documents. */
function rng(state) {
  return {
    next() {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      return state >>> 0;
    },
    below(n) {
      return this.next() % n;
    },
    chance(percent) {
      return this.next() % 100 < percent;
    },
  };
}

const KEYS = ['alpha', 'beta', 'gamma', 'image', 'name', 'runAsUser', 'privileged', 'k1', 'x-y', 'a_b'];
const TRICKY = ['yes', 'no', 'on', 'off', 'y', '0777', '0x1F', '1_000', '1e3', '~', 'null', '', '<<', '.inf', '1:00', 'a: b', '#c', "'", '"', '\\'];

/** One document with anchors, aliases and non-conflicting `<<` merges, and its value by construction. */
function generate(r) {
  const anchors = [];
  const open = new Set();
  let next = 0;
  const defs = [];
  const scalar = () => {
    switch (r.below(6)) {
      case 0: {
        const n = r.below(200000) - 100000;
        return [String(n), n];
      }
      case 1:
        return r.chance(50) ? ['true', true] : ['~', null];
      case 2: {
        const n = r.below(1000) + 0.5;
        return [String(n), n];
      }
      case 3: {
        let w = '';
        for (let i = 0; i < 3 + r.below(5); i++) w += String.fromCharCode(97 + r.below(26));
        return ['yes', 'off', 'true', 'false', 'null'].includes(w) ? ['word', 'word'] : [w, w];
      }
      default: {
        let t = '';
        for (let i = 0; i < r.below(3); i++) t += TRICKY[r.below(TRICKY.length)] + (r.chance(30) ? ' ' : '');
        return [r.chance(50) ? `'${t.replace(/'/g, "''")}'` : JSON.stringify(t), t];
      }
    }
  };
  const node = (depth) => {
    const usable = anchors.filter(([name]) => !open.has(name));
    if (usable.length && r.chance(30)) {
      const [name, value] = usable[r.below(usable.length)];
      return [`*${name}`, value];
    }
    const name = r.chance(35) ? (anchors.length && r.chance(10) ? anchors[r.below(anchors.length)][0] : `a${++next}`) : null;
    if (name) open.add(name);
    let text;
    let value;
    const kind = depth >= 4 ? 9 : r.below(10);
    if (kind <= 2) {
      const entries = [];
      value = {};
      if (defs.length && r.chance(40)) {
        const d = r.below(defs.length);
        Object.assign(value, defs[d]);
        entries.push(`<<: ${r.chance(70) ? `*d${d}` : `[*d${d}]`}`);
      }
      for (let i = 0; i < r.below(4); i++) {
        const key = KEYS[r.below(KEYS.length)];
        if (Object.hasOwn(value, key)) continue;
        const [t, v] = node(depth + 1);
        entries.push(`${key}: ${t}`);
        value[key] = v;
      }
      text = `{${entries.join(', ')}}`;
    } else if (kind <= 4) {
      const items = [];
      value = [];
      for (let i = 0; i < r.below(4); i++) {
        const [t, v] = node(depth + 1);
        items.push(t);
        value.push(v);
      }
      text = `[${items.join(', ')}]`;
    } else {
      [text, value] = scalar();
    }
    if (!name) return [text, value];
    open.delete(name);
    const at = anchors.findIndex(([n]) => n === name);
    if (at >= 0) anchors.splice(at, 1);
    anchors.push([name, value]);
    return [`&${name} ${text}`, value];
  };
  let text = 'defs:\n';
  for (let d = 0; d < 1 + r.below(3); d++) {
    const map = {};
    const parts = [];
    for (let i = 0; i < 1 + r.below(3); i++) {
      const key = KEYS[r.below(KEYS.length)];
      if (Object.hasOwn(map, key)) continue;
      const [t, v] = scalar();
      map[key] = v;
      parts.push(`${key}: ${t}`);
    }
    defs.push(map);
    text += `- &d${d} {${parts.join(', ')}}\n`;
  }
  const [body, value] = node(0);
  return [`${text}body: ${body}\n`, { defs, body: value }];
}

describe('generated documents', () => {
  it('read as they were built: anchors, aliases, redefinitions and merges', () => {
    const r = rng(0x2026c0de);
    let merges = 0;
    for (let i = 0; i < 3000; i++) {
      const [text, expected] = generate(r);
      merges += text.split('<<:').length - 1;
      const { documents, errors } = readManifest(text);
      assert.deepEqual(errors, [], `case ${i}\n${text}`);
      assert.deepEqual(documents[0].value, expected, `case ${i}\n${text}`);
    }
    assert.ok(merges > 500, `${merges} merges`);
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
    const [{ line, column }] = r.places;
    assert.deepEqual(v.checks, ['readOnlyRootFilesystem']);
    assert.match(manifest.split('\n')[line - 1].trim(), /^readOnlyRootFilesystem: false/);
    // The checker's column too (its `file:line:column`).
    assert.ok(manifest.split('\n')[line - 1].slice(column - 1).startsWith('readOnlyRootFilesystem: false'), `column ${column}`);
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
