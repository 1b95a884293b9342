// The page's glue to the policy: the wasm-bindgen adapter (playground/src/lib.rs) reads the
// editors' texts with the checker's YAML reader, evaluates every object with the policy core
// and locates every finding and error at the line and column the checker prints; this module
// hands it the texts and the page its answers. Besides: the lines of the mutation diff, and
// the share links. The page (main.js) renders; the tests call these through the page.

import * as wasm from '../pkg/playground.js';

/** The wasm-bindgen glue, once initialised: `await init(urlOrBytes)` before anything else. */
export async function init(moduleOrPath) {
  await wasm.default({ module_or_path: moduleOrPath });
}

/**
 * Everything the page shows for its editors' texts (`user` and `groups`, comma- or
 * line-separated, are the requester of the wrapped objects): {manifestErrors, settingsErrors,
 * imageUserErrors, settings, report}, errors as {document, line, column, message}; `report`
 * is null when the settings cannot be read, else {settings, image_users, results, errors},
 * each result with its `line`, the `places` of its violations and, when mutated, its `diff`.
 */
export function evaluateTexts({ manifest = '', settings = '', imageUsers = '', namespace = 'default', user = '', groups = '' }) {
  return JSON.parse(wasm.evaluate(JSON.stringify({ manifest, settings, imageUsers, namespace, user, groups })));
}

/** The documents of a manifest as the reader reads them: {documents: [{number, line, value}], errors}. */
export function readManifest(text) {
  return JSON.parse(wasm.read(text));
}

/**
 * Where fields are in the manifest text, as the checker locates its findings: for each
 * `{document, path, field}` (`path` where the object is in its document, `field` a path in the
 * object as the policy writes it), `{line, column, exact, template}`; an absent field gives its
 * nearest present parent (`exact: false`).
 */
export function locateFields(text, queries) {
  if (queries.length === 0) return [];
  return JSON.parse(wasm.locate(text, JSON.stringify(queries)));
}

/** The settings text with `mutation.enabled` set (the text kept where it can be). */
export function setMutation(settings, enabled) {
  return wasm.setMutation(settings, enabled);
}

/** Every check's ID and summary. */
export function checks() {
  return JSON.parse(wasm.checks());
}

/** The settings' `mutation.enabled`. */
export function mutationEnabled(settings) {
  return settings?.mutation?.enabled === true;
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
