// The playground's logic without the page: YAML in, the policy core's verdicts out.
// The page (main.js) renders what this returns; the tests call it through the page.

import { LineCounter, isMap, isScalar, isSeq, parseAllDocuments, stringify } from 'yaml';
import * as wasm from '../pkg/playground.js';

/** The wasm-bindgen glue, once initialised: `await init(urlOrBytes)` before anything else. */
export async function init(moduleOrPath) {
  await wasm.default({ module_or_path: moduleOrPath });
}

/** A YAML error as the editors show it: 1-based line and column, one-line message. */
function yamlError(e, document) {
  const pos = e.linePos?.[0];
  // yaml's messages end with " at line L, column C:" and a snippet; the position is shown apart.
  const message = String(e.message).split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  return { line: pos?.line ?? 1, col: pos?.col ?? 1, message, document };
}

/**
 * Parses a multi-document YAML (or JSON) text.
 * Returns { documents: [{number, value, line, doc}], errors: [{line, col, message, document}] }:
 * every document is numbered from 1 as the offline checker numbers them (empty ones too);
 * a document with a syntax error has value null and is not evaluated.
 */
export function parseManifest(text) {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const documents = [];
  const errors = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, i) => {
    const number = i + 1;
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    const line = lineCounter.linePos(start).line;
    let value = null;
    if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push(yamlError(e, number));
    } else {
      try {
        value = doc.toJS({ maxAliasCount: 1000 }) ?? null;
      } catch (e) {
        errors.push({ line, col: 1, message: String(e.message ?? e), document: number });
      }
    }
    documents.push({ number, value, line, doc, lineCounter });
  });
  return { documents, errors };
}

/** Settings (or the image-user table): one YAML mapping, or nothing at all (meaning {}). */
export function parseMapping(text, what) {
  const { documents, errors } = parseManifest(text);
  if (errors.length > 0) return { value: null, errors };
  const present = documents.filter((d) => d.value !== null);
  if (present.length === 0) return { value: {}, errors: [] };
  if (present.length > 1) {
    return { value: null, errors: [{ line: present[1].line, col: 1, message: `${what} must be a single document` }] };
  }
  const [d] = present;
  if (typeof d.value !== 'object' || Array.isArray(d.value)) {
    return { value: null, errors: [{ line: d.line, col: 1, message: `${what} must be a mapping` }] };
  }
  return { value: d.value, errors: [] };
}

/** `spec.template.spec.containers[1].securityContext` → ['spec', …, 'containers', 1, 'securityContext']. */
export function parseFieldPath(field) {
  const out = [];
  const re = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  let m;
  while ((m = re.exec(field)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(m[3].replace(/\\(.)/g, '$1'));
  }
  return out;
}

/**
 * The 1-based line of `path` in a parsed document, or of the deepest part of it that exists
 * (an absent field points at the block it belongs in).
 */
export function lineOfPath(document, path) {
  const { doc, lineCounter } = document;
  let node = doc?.contents;
  let line = document.line;
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
      if (!pair) break;
      if (pair.key?.range) line = lineCounter.linePos(pair.key.range[0]).line;
      node = pair.value;
    } else if (isSeq(node) && typeof key === 'number') {
      const item = node.items[key];
      if (!item) break;
      if (item.range) line = lineCounter.linePos(item.range[0]).line;
      node = item;
    } else {
      break;
    }
  }
  return line;
}

/** Where an object's fields start in its document: a List's item, a request's object. */
function objectPath(document, item) {
  const v = document.value;
  const base = item === null || item === undefined ? [] : Array.isArray(v) ? [item] : ['items', item];
  const obj = base.reduce((o, k) => o?.[k], v);
  if (obj && typeof obj === 'object' && obj.kind === 'AdmissionReview') return [...base, 'request', 'object'];
  if (obj && typeof obj === 'object' && 'uid' in obj && 'object' in obj) return [...base, 'object'];
  return base;
}

/** Evaluates the editors' texts. Returns everything the page shows. */
export function evaluateTexts({ manifest, settings, imageUsers = '', namespace = 'default' }) {
  const parsedManifest = parseManifest(manifest);
  const parsedSettings = parseMapping(settings, 'settings');
  const parsedUsers = parseMapping(imageUsers, 'the image-user table');
  let report = null;
  if (parsedSettings.value !== null) {
    const docs = parsedManifest.documents.map((d) => d.value);
    report = JSON.parse(
      wasm.evaluate(
        JSON.stringify(docs),
        JSON.stringify(parsedSettings.value),
        JSON.stringify(parsedUsers.value ?? {}),
        namespace,
      ),
    );
    for (const r of report.results) {
      const document = parsedManifest.documents[r.document - 1];
      r.line = document?.line ?? 1;
      const base = document ? objectPath(document, r.item) : [];
      for (const v of r.outcome.violations ?? []) {
        v.line = document ? lineOfPath(document, [...base, ...parseFieldPath(v.field)]) : 1;
      }
    }
    for (const e of report.errors) e.line = parsedManifest.documents[e.document - 1]?.line ?? 1;
  }
  return {
    manifestErrors: parsedManifest.errors,
    settingsErrors: parsedSettings.errors,
    imageUserErrors: parsedUsers.errors,
    settings: parsedSettings.value,
    report,
  };
}

/** Every check's ID and summary. */
export function checks() {
  return JSON.parse(wasm.checks());
}

/** The settings' `mutation.enabled`. */
export function mutationEnabled(settings) {
  return settings?.mutation?.enabled === true;
}

/** An object as YAML, for the diff. */
export function toYaml(value) {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * A line diff (longest common subsequence): [{op: ' ' | '-' | '+', text}].
 * Manifests are small; past a size the whole texts are shown as replaced.
 */
export function diffLines(a, b) {
  const x = a.split('\n');
  const y = b.split('\n');
  if (x[x.length - 1] === '') x.pop();
  if (y[y.length - 1] === '') y.pop();
  // Common prefix and suffix first: mutation edits a few places of a long manifest.
  let pre = 0;
  while (pre < x.length && pre < y.length && x[pre] === y[pre]) pre++;
  let suf = 0;
  while (suf < x.length - pre && suf < y.length - pre && x[x.length - 1 - suf] === y[y.length - 1 - suf]) suf++;
  const xs = x.slice(pre, x.length - suf);
  const ys = y.slice(pre, y.length - suf);
  const out = x.slice(0, pre).map((text) => ({ op: ' ', text }));
  const n = xs.length;
  const m = ys.length;
  if (n * m > 4_000_000) {
    for (const text of xs) out.push({ op: '-', text });
    for (const text of ys) out.push({ op: '+', text });
  } else {
    const w = m + 1;
    const lcs = new Uint32Array((n + 1) * w);
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i * w + j] = xs[i] === ys[j] ? lcs[(i + 1) * w + j + 1] + 1 : Math.max(lcs[(i + 1) * w + j], lcs[i * w + j + 1]);
      }
    }
    let i = 0;
    let j = 0;
    while (i < n && j < m) {
      if (xs[i] === ys[j]) {
        out.push({ op: ' ', text: xs[i++] });
        j++;
      } else if (lcs[(i + 1) * w + j] >= lcs[i * w + j + 1]) {
        out.push({ op: '-', text: xs[i++] });
      } else {
        out.push({ op: '+', text: ys[j++] });
      }
    }
    while (i < n) out.push({ op: '-', text: xs[i++] });
    while (j < m) out.push({ op: '+', text: ys[j++] });
  }
  for (const text of x.slice(x.length - suf)) out.push({ op: ' ', text });
  return out;
}

/** The diff cut to hunks with `context` unchanged lines around each change. */
export function hunks(diff, context = 3) {
  const keep = new Uint8Array(diff.length);
  diff.forEach((d, i) => {
    if (d.op !== ' ') for (let k = Math.max(0, i - context); k <= Math.min(diff.length - 1, i + context); k++) keep[k] = 1;
  });
  const out = [];
  let oldLine = 1;
  let newLine = 1;
  let current = null;
  diff.forEach((d, i) => {
    if (keep[i]) {
      if (!current) {
        current = { oldStart: oldLine, newStart: newLine, lines: [] };
        out.push(current);
      }
      current.lines.push(d);
    } else {
      current = null;
    }
    if (d.op !== '+') oldLine++;
    if (d.op !== '-') newLine++;
  });
  return out;
}

function toBase64Url(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text) {
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function pipe(bytes, stream) {
  const out = new Response(new Blob([bytes]).stream().pipeThrough(stream));
  return new Uint8Array(await out.arrayBuffer());
}

/** The state as a URL fragment: `z.` + base64url(deflate-raw(JSON)), or `j.` + base64url(JSON). */
export async function encodeState(state) {
  const json = new TextEncoder().encode(JSON.stringify(state));
  if (typeof CompressionStream === 'function') {
    return `z.${toBase64Url(await pipe(json, new CompressionStream('deflate-raw')))}`;
  }
  return `j.${toBase64Url(json)}`;
}

/** The state a fragment from encodeState carries, or null when it carries none. */
export async function decodeState(fragment) {
  const text = fragment.replace(/^#/, '');
  const m = /^(?:s=)?([zj])\.([A-Za-z0-9_-]*)$/.exec(text);
  if (!m) return null;
  try {
    let bytes = fromBase64Url(m[2]);
    if (m[1] === 'z') bytes = await pipe(bytes, new DecompressionStream('deflate-raw'));
    const state = JSON.parse(new TextDecoder().decode(bytes));
    return state && typeof state === 'object' ? state : null;
  } catch {
    return null;
  }
}
