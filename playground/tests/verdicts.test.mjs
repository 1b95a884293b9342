// The playground and the Kubewarden module give identical verdicts: every example manifest and
// every PSS fixture is evaluated by the page (the wasm-bindgen build, in Chromium) and by the
// offline checker (annotated-policy.wasm on wasmtime through waPC, as the policy-server runs
// it); each object's whole response (accepted, message with every violation, code, warnings,
// audit annotations, mutated object) must be equal.
//
// Needs `make playground`, `make wasm` and the checker (`make checker`): `make playground-test`
// builds all three.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { launch, openPage, repo, serve } from './harness.mjs';

const run = promisify(execFile);
const CHECKER = process.env.SCP_CHECKER ?? join(repo, 'target/debug/security-context-checker');
const MODULE = join(repo, 'annotated-policy.wasm');
const PSS = join(repo, 'e2e-tests/testdata/pss-v1.37');

let server;
let chrome;
let page;
let scratch;

before(async () => {
  for (const [path, how] of [
    [CHECKER, 'make checker'],
    [MODULE, 'make wasm'],
  ]) {
    try {
      await stat(path);
    } catch {
      throw new Error(`${path} is missing: run \`${how}\` (or \`make playground-test\`)`);
    }
  }
  server = await serve();
  chrome = await launch();
  page = await openPage(chrome.browser, server.url);
  scratch = await mkdtemp(join(tmpdir(), 'scp-verdicts-'));
});

after(async () => {
  await page?.close();
  await chrome?.close();
  await server?.close();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function yamlFiles(dir) {
  return (await readdir(dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Drops null fields: the checker prints absent response fields as null. */
function clean(value) {
  if (Array.isArray(value)) return value.map(clean);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => [k, clean(v)]),
    );
  }
  return value;
}

/** The module's verdicts, through the offline checker: one entry per object. */
async function moduleVerdicts(settingsFile, files, imageUsersFile) {
  let stdout;
  const users = imageUsersFile ? ['--image-users', imageUsersFile] : [];
  try {
    ({ stdout } = await run(CHECKER, ['check', '--output', 'json', '--policy', MODULE, '--settings', settingsFile, ...users, ...files], {
      cwd: repo,
      maxBuffer: 256 * 1024 * 1024,
    }));
  } catch (e) {
    // Exit status 1 means "something rejected": the output is complete.
    if (e.code !== 1) throw new Error(`checker failed (${e.code}): ${e.stderr}`);
    stdout = e.stdout;
  }
  return JSON.parse(stdout).map((r) =>
    clean({
      source: relative(repo, resolve(repo, r.source)),
      document: r.index,
      item: r.item,
      kind: r.kind,
      namespace: r.namespace,
      name: r.name,
      response: r.response,
    }),
  );
}

/** The playground's verdicts: the page's own evaluation of each file's text. */
async function playgroundVerdicts(settingsFile, files, imageUsersFile) {
  const settings = await readFile(settingsFile, 'utf8');
  const imageUsers = imageUsersFile ? await readFile(imageUsersFile, 'utf8') : '';
  const inputs = await Promise.all(files.map(async (f) => ({ source: relative(repo, f), text: await readFile(f, 'utf8') })));
  return page.evaluate(
    ({ settings, inputs, imageUsers }) =>
      inputs.flatMap(({ source, text }) => {
        const out = window.playground.evaluateTexts({ manifest: text, settings, imageUsers, namespace: 'default' });
        if (out.manifestErrors.length || out.settingsErrors.length || !out.report || out.report.errors.length) {
          return [{ source, error: JSON.stringify([out.manifestErrors, out.settingsErrors, out.report?.errors]) }];
        }
        return out.report.results.map((r) => ({
          source,
          document: r.document,
          item: r.item,
          kind: r.kind,
          namespace: r.namespace,
          name: r.name,
          response: r.response,
        }));
      }),
    { settings, inputs, imageUsers },
  );
}

/** A file's name for messages: repository-relative, or the scratch file's own name. */
function name(file) {
  return file.startsWith(scratch) ? `(generated) ${file.slice(scratch.length + 1)}` : relative(repo, file);
}

/** Compares both runtimes object by object; returns the module's verdicts. */
async function compare(t, settingsFile, files, imageUsersFile) {
  const [expected, actual] = await Promise.all([
    moduleVerdicts(settingsFile, files, imageUsersFile),
    playgroundVerdicts(settingsFile, files, imageUsersFile),
  ]);
  const cleaned = actual.map(clean);
  assert.ok(expected.length > 0, 'the checker evaluated something');
  for (let i = 0; i < Math.max(expected.length, cleaned.length); i++) {
    assert.deepEqual(cleaned[i], expected[i], `object ${i + 1} (${expected[i]?.source ?? cleaned[i]?.source}) with ${name(settingsFile)}`);
  }
  const rejected = expected.filter((v) => !v.response.accepted).length;
  const mutated = expected.filter((v) => v.response.mutated_object).length;
  const warned = expected.filter((v) => v.response.warnings?.length).length;
  t.diagnostic(
    `${name(settingsFile)}: ${files.length} files, ${expected.length} objects ` +
      `(${rejected} rejected, ${warned} with warnings, ${mutated} mutated): identical`,
  );
  return expected;
}

async function withMutation(settingsFile) {
  const text = await readFile(settingsFile, 'utf8');
  assert.ok(!/^mutation:/m.test(text), `${settingsFile} already sets mutation`);
  const file = join(scratch, `mutating-${relative(repo, settingsFile).replace(/\W+/g, '-')}.yml`);
  await writeFile(file, `${text.replace(/^\{\}\s*$/m, '')}\nmutation:\n  enabled: true\n`);
  return file;
}

describe('identical verdicts: playground and Kubewarden module', { timeout: 300_000 }, () => {
  let examples;

  before(async () => {
    const dir = join(repo, 'examples/manifests');
    examples = [...(await yamlFiles(dir)), ...(await yamlFiles(join(dir, 'violating')))];
    assert.ok(examples.length >= 10, 'the example manifests are there');
  });

  for (const settings of ['matih', 'standard', 'pss-baseline', 'pss-restricted']) {
    it(`every example manifest with examples/settings/${settings}.yml`, async (t) => {
      const verdicts = await compare(t, join(repo, `examples/settings/${settings}.yml`), examples);
      if (settings === 'matih') {
        // The examples say what they expect: compliant ones pass, violating ones do not.
        for (const v of verdicts) {
          const violating = v.source.includes('/violating/');
          if (!violating) assert.equal(v.response.accepted, true, `${v.source} ${v.kind}/${v.name}`);
        }
        assert.ok(verdicts.some((v) => !v.response.accepted), 'some violating example is rejected');
      }
    });
  }

  for (const settings of ['matih', 'standard']) {
    it(`every example manifest with examples/settings/${settings}.yml and mutation enabled`, async (t) => {
      const verdicts = await compare(t, await withMutation(join(repo, `examples/settings/${settings}.yml`)), examples);
      assert.ok(verdicts.some((v) => v.response.mutated_object), 'some object was mutated');
    });
  }

  it('image users answered from a table, as checker --image-users answers them', async (t) => {
    const pods = [
      ['numeric', 'registry.example/app:1.0'],
      ['by-repository', 'registry.example/app:2.0'],
      ['root', 'docker.io/library/busybox:1.36'],
      ['no-user', 'scratch-app'],
      ['named-user', 'nginx:1.27'],
      ['other-uid', 'registry.example/tool@sha256:' + 'c'.repeat(64)],
      ['missing', 'registry.example/unknown:1'],
    ].map(([name, image]) =>
      [
        'apiVersion: v1',
        'kind: Pod',
        `metadata: {name: ${name}, namespace: apps}`,
        'spec:',
        '  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}',
        '  containers:',
        `    - name: c`,
        `      image: "${image}"`,
        '      securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}',
      ].join('\n'),
    );
    const manifest = join(scratch, 'image-users.yaml');
    await writeFile(manifest, pods.join('\n---\n') + '\n');
    const users = join(scratch, 'users.yaml');
    await writeFile(
      users,
      [
        '"registry.example/app:1.0": "1000"',
        'registry.example/app: 1000',
        'docker.io/library/busybox: root',
        'scratch-app: ""',
        'nginx: nginx',
        'registry.example/tool: "2000:2000"',
      ].join('\n') + '\n',
    );
    for (const failure of ['warn', 'deny']) {
      const settings = join(scratch, `image-user-${failure}.yml`);
      await writeFile(
        settings,
        `podSecurityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\nimageUser: {verify: true, onLookupFailure: ${failure}}\n`,
      );
      const verdicts = await compare(t, settings, [manifest], users);
      const accepted = Object.fromEntries(verdicts.map((v) => [v.name, v.response.accepted]));
      assert.deepEqual(accepted, {
        numeric: true,
        'by-repository': true,
        root: false,
        'no-user': false,
        'named-user': false,
        'other-uid': true,
        missing: failure === 'warn',
      });
    }
  });

  it('settings validation: every invalid-settings case, in the module\'s words', async (t) => {
    const all = JSON.parse(await readFile(join(repo, 'e2e-tests/testdata/invalid-settings.json'), 'utf8'));
    // Settings that are not a mapping never reach the module: the checker and the page both
    // refuse them as input (the page at their line).
    const cases = all.filter((c) => c.settings && typeof c.settings === 'object' && !Array.isArray(c.settings));
    assert.ok(cases.length > 10, `${cases.length} cases`);
    const manifest = join(repo, 'examples/manifests/ai-service.yaml');
    const files = [];
    for (const [i, c] of cases.entries()) {
      const file = join(scratch, `invalid-settings-${i}.json`);
      // Non-ASCII characters escaped: some cases hold NEL or U+2028, which a YAML reader (the
      // page's) refuses raw, as kubectl would misread them; JSON's escapes read alike in both.
      const ascii = JSON.stringify(c.settings).replace(
        /[\u007f-\uffff]/g,
        (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
      await writeFile(file, ascii);
      files.push(file);
    }
    // The module's answer, as the checker reports it (exit status 2), two at a time.
    const expected = new Array(files.length);
    const one = async (i) => {
      const file = files[i];
      try {
        await run(CHECKER, ['check', '--policy', MODULE, '--settings', file, manifest], { cwd: repo });
        expected[i] = null;
      } catch (e) {
        assert.equal(e.code, 2, `${file}: ${e.stderr}`);
        const prefix = `checker: invalid settings ${file}: `;
        assert.ok(e.stderr.startsWith(prefix), e.stderr);
        expected[i] = e.stderr.slice(prefix.length).trimEnd();
      }
    };
    let next = 0;
    const worker = async () => {
      while (next < files.length) await one(next++);
    };
    await Promise.all([worker(), worker()]);
    // The page's, from the same settings text.
    const texts = await Promise.all(files.map((f) => readFile(f, 'utf8')));
    const manifestText = await readFile(manifest, 'utf8');
    const actual = await page.evaluate(
      ({ texts, manifestText }) =>
        texts.map((settings) => {
          const out = window.playground.evaluateTexts({ manifest: manifestText, settings });
          return {
            settings: out.report.settings,
            rejected: out.report.results.filter((r) => !r.outcome.accepted).length,
            objects: out.report.results.length,
          };
        }),
      { texts, manifestText },
    );
    for (const [i, c] of cases.entries()) {
      assert.equal(actual[i].settings.valid, false, c.name);
      assert.equal(actual[i].settings.message, expected[i], c.name);
      for (const part of c.expect) assert.ok(expected[i].includes(part), `${c.name}: ${part}`);
      // And the page, like the policy-server, rejects every request until they are fixed.
      assert.equal(actual[i].rejected, actual[i].objects, c.name);
    }
    t.diagnostic(`${cases.length} invalid settings: the same message from the page and the module`);
  });

  it('YAML 1.1 manifests (merge keys, anchors, yes/on/off, octal): the same objects, the same verdicts', async (t) => {
    const container = (name, sc) => `    - name: ${name}\n      image: registry.k8s.io/pause\n      securityContext: ${sc}\n`;
    const pod = (name, podSc, containers) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: ${name}, namespace: apps}\nspec:\n  securityContext: ${podSc}\n  containers:\n${containers}`;
    const good = '{allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}}';
    const podSc = '{runAsNonRoot: true, runAsUser: 1000, seccompProfile: {type: RuntimeDefault}}';
    const docs = [
      pod('merged-root', podSc, container('app', '\n        <<: {privileged: true, runAsUser: 0}\n        allowPrivilegeEscalation: false\n        capabilities: {drop: [ALL]}')),
      pod('yes-privileged', podSc, container('app', '{privileged: yes, allowPrivilegeEscalation: off, capabilities: {drop: [ALL]}}')),
      pod('on-off', '{runAsNonRoot: on, seccompProfile: {type: RuntimeDefault}}', container('app', '{allowPrivilegeEscalation: Off, capabilities: {drop: [ALL]}}')),
      pod('octal-uid', '{runAsNonRoot: true, runAsUser: 01750, runAsGroup: 0x3E8, seccompProfile: {type: RuntimeDefault}}', container('app', good)),
      pod('octal-root', '{runAsNonRoot: true, runAsUser: 00, seccompProfile: {type: RuntimeDefault}}', container('app', good)),
      `apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: anchored, namespace: apps}\n  spec:\n    securityContext: &psc ${podSc}\n    containers:\n    - name: a\n      image: registry.k8s.io/pause\n      securityContext: &sc ${good}\n    - name: b\n      image: registry.k8s.io/pause\n      securityContext: *sc\n- apiVersion: v1\n  kind: Pod\n  metadata: {name: merged-list, namespace: apps}\n  spec:\n    securityContext: *psc\n    containers:\n    - name: a\n      image: registry.k8s.io/pause\n      securityContext: {<<: [*sc, {readOnlyRootFilesystem: false}], runAsUser: 0}\n`,
    ];
    const manifest = join(scratch, 'yaml-1.1.yaml');
    await writeFile(manifest, docs.join('---\n'));
    const verdicts = await compare(t, join(repo, 'examples/settings/pss-restricted.yml'), [manifest]);
    const accepted = Object.fromEntries(verdicts.map((v) => [v.name, v.response.accepted]));
    assert.deepEqual(accepted, {
      'merged-root': false,
      'yes-privileged': false,
      'on-off': true,
      'octal-uid': true,
      'octal-root': false,
      anchored: true,
      'merged-list': false,
    });
  });

  it('YAML readers disagree: the checker and the page refuse the same documents at the same line', async () => {
    const refused = [
      ['a merge conflicting with an explicit key', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers:\n  - name: a\n    image: x\n    securityContext:\n      <<: {privileged: true}\n      privileged: false\n', 10],
      ['a key given twice', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nkind: Pod\n', 4],
      ['a boolean key', 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  labels: {on: x}\n', 5],
      ['an unknown tag', 'apiVersion: v1\nkind: Pod\nmetadata: {name: !Ref p}\n', 3],
      ['a NaN', 'apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {priority: .nan}\n', 4],
    ];
    for (const [what, text, line] of refused) {
      const file = join(scratch, 'refused.yaml');
      await writeFile(file, text);
      const settings = join(repo, 'examples/settings/standard.yml');
      const checker = await run(CHECKER, ['check', '--policy', MODULE, '--settings', settings, file], { cwd: repo }).then(
        () => ({ code: 0, stderr: '' }),
        (e) => ({ code: e.code, stderr: e.stderr }),
      );
      assert.equal(checker.code, 2, `${what}: ${checker.stderr}`);
      assert.match(checker.stderr, new RegExp(`document 1: invalid YAML at line ${line}, `), what);
      const errors = await page.evaluate((manifest) => window.playground.evaluateTexts({ manifest, settings: '' }).manifestErrors, text);
      assert.equal(errors.length, 1, `${what}: ${JSON.stringify(errors)}`);
      assert.equal(errors[0].line, line, what);
    }
  });

  it('every PSS v1.37 fixture at its level', async (t) => {
    const tsv = (await readFile(join(PSS, 'manifest.tsv'), 'utf8')).trim().split('\n').slice(1);
    const fixtures = tsv.map((line) => {
      const [level, expect, check, path] = line.split('\t');
      return { level, expect, check, file: join(PSS, path) };
    });
    assert.ok(fixtures.length > 100, `${fixtures.length} fixtures`);
    for (const level of ['baseline', 'restricted']) {
      const mine = fixtures.filter((f) => f.level === level);
      const verdicts = await compare(
        t,
        join(repo, `examples/settings/pss-${level}.yml`),
        mine.map((f) => f.file),
      );
      // And they are the upstream verdicts.
      for (const f of mine) {
        const source = relative(repo, f.file);
        const objects = verdicts.filter((v) => v.source === source);
        assert.ok(objects.length > 0, source);
        const accepted = objects.every((v) => v.response.accepted);
        assert.equal(accepted, f.expect === 'pass', `${source} (${f.check}) should ${f.expect}`);
      }
    }
  });
});
