// The playground page: editors, presets, the verdicts, the share link.

import { checks, decodeState, diffLines, encodeState, evaluateTexts, hunks, init, mutationEnabled, setMutation as withMutation } from './core.js';
import { Editor } from './editor.js';

const DEBOUNCE_MS = 250;
const DEFAULT_SETTINGS = 'matih';
const DEFAULT_MANIFEST = 'violating/writable-root';
const CUSTOM = '';

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null) continue;
    if (k.startsWith('data-')) e.setAttribute(k, String(v));
    else if (v === false) continue;
    else if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else e[k] = v;
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) e.append(c);
  return e;
}

let presets = { settings: [], manifests: [] };
let checkSummaries = new Map();
let timer = null;
let generation = 0;
const editors = {};

function fillPresets() {
  const settings = $('settings-preset');
  settings.append(el('option', { value: CUSTOM, text: '— edited —' }));
  for (const p of presets.settings) settings.append(el('option', { value: p.id, text: p.label, title: p.file }));
  const manifests = $('manifest-preset');
  manifests.append(el('option', { value: CUSTOM, text: '— edited —' }));
  const groups = new Map();
  for (const p of presets.manifests) {
    if (!groups.has(p.group)) {
      groups.set(p.group, el('optgroup', { label: p.group }));
      manifests.append(groups.get(p.group));
    }
    groups.get(p.group).append(el('option', { value: p.id, text: p.label, title: p.title || p.file }));
  }
}

function state() {
  return {
    manifest: editors.manifest.value,
    settings: editors.settings.value,
    imageUsers: editors.imageUsers.value,
    namespace: $('namespace').value,
    user: $('user').value,
    groups: $('groups').value,
    manifestPreset: $('manifest-preset').value,
    settingsPreset: $('settings-preset').value,
  };
}

function applyState(s) {
  editors.manifest.value = String(s.manifest ?? '');
  editors.settings.value = String(s.settings ?? '');
  editors.imageUsers.value = String(s.imageUsers ?? '');
  $('namespace').value = String(s.namespace || 'default');
  $('user').value = String(s.user ?? '');
  $('groups').value = String(s.groups ?? '');
  $('manifest-preset').value = presets.manifests.some((p) => p.id === s.manifestPreset) ? s.manifestPreset : CUSTOM;
  $('settings-preset').value = presets.settings.some((p) => p.id === s.settingsPreset) ? s.settingsPreset : CUSTOM;
  $('image-users').open = Boolean(s.imageUsers?.trim());
}

function scheduleEvaluation() {
  clearTimeout(timer);
  document.body.dataset.state = 'pending';
  timer = setTimeout(evaluateNow, DEBOUNCE_MS);
}

function errorList(list, errors, editor) {
  list.replaceChildren(
    ...errors.map((e) => {
      const where = e.line ? `line ${e.line}${e.column ? `, column ${e.column}` : ''}` : '';
      const item = el('li', { 'data-line': e.line ?? '' }, where ? el('a', { href: '#', text: where }) : null, where ? ': ' : '', e.message);
      item.querySelector('a')?.addEventListener('click', (ev) => {
        ev.preventDefault();
        editor.goToLine(e.line);
      });
      return item;
    }),
  );
}

function checkCell(ids) {
  return el(
    'td',
    { class: 'check' },
    ids.map((id, i) => [i > 0 ? ', ' : '', el('code', { text: id, title: checkSummaries.get(id) ?? '' })]),
  );
}

/** The violation rows, each with its place in the manifest (`places`, in the same order). */
function violationsTable(rows, places) {
  const head = el('tr', {}, ['check', 'container', 'field', 'found', 'required', 'fix'].map((h) => el('th', { text: h })));
  const body = rows.map((v, i) => {
    const { line, column } = places[i] ?? { line: 1, column: 1 };
    const fix = el('td', { class: 'fix' }, v.fix);
    if (v.exception) fix.append(el('div', { class: 'note', text: `judged against exception "${v.exception}"` }));
    if (v.note) fix.append(el('div', { class: 'note', text: v.note }));
    const field = el('td', { class: 'field' }, el('a', { href: '#', text: v.field, title: `line ${line}, column ${column}` }));
    field.firstChild.addEventListener('click', (ev) => {
      ev.preventDefault();
      editors.manifest.goToLine(line);
    });
    const check = checkCell(v.checks);
    if (v.action === 'warn') check.prepend(el('span', { class: 'tag warn', text: 'warn' }), ' ');
    return el(
      'tr',
      { class: v.action, 'data-line': line },
      check,
      el('td', { class: 'container', text: v.container }),
      field,
      el('td', { class: 'found', text: v.found }),
      el('td', { class: 'required', text: v.required }),
      fix,
    );
  });
  return el('table', { class: 'violations' }, el('thead', {}, head), el('tbody', {}, body));
}

/** The object's YAML before and after mutation (the adapter writes both), as diff hunks. */
function diffView({ before, after }) {
  const pre = el('pre', { class: 'diff' });
  for (const h of hunks(diffLines(before, after))) {
    const removed = h.lines.filter((l) => l.op !== '+').length;
    const added = h.lines.filter((l) => l.op !== '-').length;
    pre.append(el('span', { class: 'hunk', text: `@@ -${h.oldStart},${removed} +${h.newStart},${added} @@\n` }));
    for (const l of h.lines) {
      const cls = l.op === '+' ? 'add' : l.op === '-' ? 'del' : 'ctx';
      pre.append(el('span', { class: cls, text: `${l.op} ${l.text}\n` }));
    }
  }
  return pre;
}

function resultCard(r) {
  const o = r.outcome;
  const where = r.namespace ? `${r.namespace}/${r.name}` : r.name;
  const jump = el('a', { href: '#', class: 'line', text: `document ${r.document}, line ${r.line}` });
  jump.addEventListener('click', (ev) => {
    ev.preventDefault();
    editors.manifest.goToLine(r.line);
  });
  const card = el(
    'article',
    {
      class: `result ${o.accepted ? 'accepted' : 'rejected'}`,
      'data-kind': r.kind,
      'data-name': r.name,
      'data-namespace': r.namespace ?? '',
      'data-accepted': o.accepted,
    },
    el(
      'header',
      {},
      el('span', { class: 'badge', text: o.accepted ? 'accepted' : 'rejected' }),
      el('b', { text: r.kind }),
      ` ${where}${r.item !== null && r.item !== undefined ? ` (item ${r.item})` : ''} `,
      jump,
    ),
  );
  const rows = o.violations ?? [];
  if (rows.length > 0) card.append(violationsTable(rows, r.places));
  else if (!o.accepted && o.message) card.append(el('p', { class: 'message', text: o.message }));
  if (o.warnings?.length) {
    card.append(el('h3', { text: 'Warnings' }), el('ul', { class: 'warnings' }, o.warnings.map((w) => el('li', { text: w }))));
  }
  const audit = Object.entries(o.audit_annotations ?? {});
  if (audit.length) {
    card.append(
      el('h3', { text: 'Audit annotations' }),
      el('dl', { class: 'audit' }, audit.map(([k, v]) => [el('dt', {}, el('code', { text: k })), el('dd', { text: v })])),
    );
  }
  if (r.diff) {
    card.append(el('h3', { text: 'Mutated manifest' }), diffView(r.diff));
  }
  if (!o.accepted && o.message && rows.length > 0) {
    card.append(el('details', { class: 'message' }, el('summary', { text: 'The rejection message, as kubectl prints it' }), el('pre', { text: o.message })));
  }
  return card;
}

async function evaluateNow() {
  clearTimeout(timer);
  document.body.dataset.state = 'pending';
  const mine = ++generation;
  const s = state();
  const out = evaluateTexts(s);
  const { report } = out;

  // Errors under the editors and marks in their gutters.
  const docErrors = (report?.errors ?? []).map((e) => ({ line: e.line, column: e.column, message: `document ${e.document}: ${e.message}` }));
  errorList($('manifest-errors'), [...out.manifestErrors, ...docErrors], editors.manifest);
  const settingsProblems = [...out.settingsErrors];
  if (report && !report.settings.valid) settingsProblems.push({ line: null, message: report.settings.message });
  errorList($('settings-errors'), settingsProblems, editors.settings);
  const userProblems = [...out.imageUserErrors];
  if (report && !report.image_users.valid) userProblems.push({ line: null, message: report.image_users.message });
  errorList($('image-users-errors'), userProblems, editors.imageUsers);

  const manifestMarks = new Map();
  for (const r of report?.results ?? []) {
    (r.outcome.violations ?? []).forEach((v, i) => {
      const line = r.places[i]?.line ?? r.line;
      const kind = v.action === 'deny' ? 'violation' : 'warning';
      const prev = manifestMarks.get(line);
      if (!prev || (prev.kind === 'warning' && kind === 'violation')) {
        manifestMarks.set(line, { kind, message: `[${v.checks.join(', ')}] ${v.container}: ${v.field} is ${v.found}; required: ${v.required}` });
      }
    });
  }
  for (const e of [...out.manifestErrors, ...docErrors]) manifestMarks.set(e.line, { kind: 'error', message: e.message });
  editors.manifest.setMarks(manifestMarks);
  editors.settings.setMarks(new Map(out.settingsErrors.map((e) => [e.line, { kind: 'error', message: e.message }])));
  editors.imageUsers.setMarks(new Map(out.imageUserErrors.map((e) => [e.line, { kind: 'error', message: e.message }])));
  const mutation = $('mutation');
  mutation.checked = mutationEnabled(out.settings);
  mutation.disabled = out.settings === null;

  // The verdicts.
  const summary = $('summary');
  const results = $('results');
  if (!report) {
    summary.className = 'summary bad';
    summary.textContent = 'The settings do not parse: fix them to evaluate the manifest.';
    results.replaceChildren();
  } else {
    const n = report.results.length;
    const rejected = report.results.filter((r) => !r.outcome.accepted).length;
    const problems = out.manifestErrors.length + report.errors.length;
    summary.className = `summary ${rejected || problems || !report.settings.valid ? 'bad' : 'ok'}`;
    const parts = [`${n} ${n === 1 ? 'object' : 'objects'}: ${n - rejected} accepted, ${rejected} rejected`];
    if (problems) parts.push(`${problems} ${problems === 1 ? 'document' : 'documents'} not read (see the errors under the manifest)`);
    if (!report.settings.valid) parts.push('the settings are invalid, so the policy rejects every request');
    if (mutation.checked) parts.push('mutation on');
    summary.textContent = parts.join(' · ');
    results.replaceChildren(...report.results.map(resultCard));
  }

  // The URL always carries the state.
  const fragment = await encodeState(s);
  if (mine === generation) {
    history.replaceState(null, '', `#${fragment}`);
    $('share-link').value = location.href;
    document.body.dataset.state = 'ready';
  }
}

function setMutation(enabled) {
  editors.settings.value = withMutation(editors.settings.value, enabled);
  $('settings-preset').value = CUSTOM;
  evaluateNow();
}

async function main() {
  const presetsResponse = fetch('presets.json').then((r) => (r.ok ? r.json() : Promise.reject(new Error(`presets.json: ${r.status}`))));
  await init('playground.wasm');
  presets = await presetsResponse;
  checkSummaries = new Map(checks().map((c) => [c.id, c.summary]));
  editors.manifest = new Editor($('manifest-editor'), {
    label: 'Manifest YAML',
    onInput: () => {
      $('manifest-preset').value = CUSTOM;
      scheduleEvaluation();
    },
  });
  editors.settings = new Editor($('settings-editor'), {
    label: 'Settings YAML',
    onInput: () => {
      $('settings-preset').value = CUSTOM;
      scheduleEvaluation();
    },
  });
  editors.imageUsers = new Editor($('image-users-editor'), { label: 'Image users YAML', onInput: scheduleEvaluation });
  fillPresets();

  $('manifest-preset').addEventListener('change', (e) => {
    const p = presets.manifests.find((m) => m.id === e.target.value);
    if (p) {
      editors.manifest.value = p.text;
      evaluateNow();
    }
  });
  $('settings-preset').addEventListener('change', (e) => {
    const p = presets.settings.find((m) => m.id === e.target.value);
    if (p) {
      editors.settings.value = p.text;
      evaluateNow();
    }
  });
  $('namespace').addEventListener('input', scheduleEvaluation);
  $('user').addEventListener('input', scheduleEvaluation);
  $('groups').addEventListener('input', scheduleEvaluation);
  $('mutation').addEventListener('change', (e) => setMutation(e.target.checked));
  $('share').addEventListener('click', async () => {
    await evaluateNow();
    const link = $('share-link');
    link.select();
    try {
      await navigator.clipboard.writeText(link.value);
      $('share').textContent = 'Copied';
    } catch {
      $('share').textContent = 'Select and copy';
    }
    setTimeout(() => ($('share').textContent = 'Copy share link'), 1500);
  });
  window.addEventListener('hashchange', async () => {
    const s = await decodeState(location.hash);
    if (s && JSON.stringify(s) !== JSON.stringify(state())) {
      applyState(s);
      evaluateNow();
    }
  });

  const shared = await decodeState(location.hash);
  if (shared) {
    applyState(shared);
  } else {
    const settings = presets.settings.find((p) => p.id === DEFAULT_SETTINGS) ?? presets.settings[0];
    const manifest = presets.manifests.find((p) => p.id === DEFAULT_MANIFEST) ?? presets.manifests[0];
    applyState({ settings: settings?.text, settingsPreset: settings?.id, manifest: manifest?.text, manifestPreset: manifest?.id });
  }
  // For the tests and the curious: the same evaluation the page runs, without the page.
  window.playground = { evaluateTexts, presets };
  await evaluateNow();
}

main().catch((e) => {
  const summary = $('summary');
  summary.className = 'summary bad';
  summary.textContent = `The playground could not start: ${e?.message ?? e}`;
  document.body.dataset.state = 'failed';
});
