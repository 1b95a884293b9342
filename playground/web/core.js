// The playground's logic without the page: YAML in, the policy core's verdicts out.
// The page (main.js) renders what this returns; the tests call it through the page.

import { Document, LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, visit } from 'yaml';
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

// ------------------------------------------------------------------ YAML as kubectl reads it
//
// kubectl and Helm turn YAML into JSON with sigs.k8s.io/yaml, which decodes with go-yaml v2:
// YAML 1.1 scalars and `<<` merge keys. The `yaml` package only parses here (failsafe schema:
// every scalar stays text, with its style and tag); the functions below build the JSON the API
// server receives with go-yaml v2's rules, and refuse what YAML readers disagree on, exactly as
// the offline checker does (input/src/yaml.rs):
// - aliases are expanded; `<<` merges a mapping, an alias to one, or a list of those;
// - quoted and block scalars are strings; plain ones resolve as go-yaml v2's resolve.go:
//   y/yes/on/true (any of their three casings) are true, n/no/off/false false, ~/null/empty
//   null, integers as Go's strconv.ParseInt(s, 0, 64) once `_` are removed (0777 is 511),
//   then floats; timestamps and sexagesimal numbers (1:00) stay strings;
// - tags !!str !!int !!bool !!null !!float !!map !!seq (and !!merge on `<<`); others refused;
// - refused: a key given explicitly and by a merge (or by two merges) with different values,
//   a key given twice, a key that is not a string once resolved (on:, 80:), NaN and infinity,
//   integers JavaScript cannot hold exactly, raw NEL/LS/PS characters, excessive aliasing, and
//   a `---` line with anything but a comment after it (kubectl refuses `--- {a: 1}`).

const MAX_NODES = 1_000_000;
const MAX_DEPTH = 200;
const CORE = 'tag:yaml.org,2002:';
const CORE_TAGS = new Set(['str', 'int', 'bool', 'null', 'float', 'map', 'seq', 'merge']);
const TRUE_WORDS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON']);
const FALSE_WORDS = new Set(['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF']);
const NULL_WORDS = new Set(['', '~', 'null', 'Null', 'NULL']);
const NAN_WORDS = new Set(['.nan', '.NaN', '.NAN']);
const INF_WORDS = new Set(['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF']);
const NEG_INF_WORDS = new Set(['-.inf', '-.Inf', '-.INF']);
const YAML_STYLE_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9]+([eE][-+]?[0-9]+)?$/;
const U64_MAX = (1n << 64n) - 1n;
const I64_LIMIT = 1n << 63n;

/** A document the playground refuses, at a node of it. */
class YamlRefusal extends Error {
  constructor(node, message) {
    super(message);
    this.node = node;
  }
}

/** Go's strconv.ParseUint(s, base, 64) on text without underscores: {value} or {error}. */
function goParseUint(s, base) {
  if (s === '') return { error: 'syntax' };
  let digits = s;
  if (base === 0) {
    base = 10;
    if (s[0] === '0') {
      const prefix = s.length >= 3 ? s[1].toLowerCase() : '';
      if (prefix === 'b') [base, digits] = [2, s.slice(2)];
      else if (prefix === 'o') [base, digits] = [8, s.slice(2)];
      else if (prefix === 'x') [base, digits] = [16, s.slice(2)];
      else [base, digits] = [8, s.slice(1)];
    }
  }
  let n = 0n;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    let d;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 122) d = c - 87;
    else if (c >= 65 && c <= 90) d = c - 55;
    else return { error: 'syntax' };
    if (d >= base) return { error: 'syntax' };
    n = n * BigInt(base) + BigInt(d);
    // Like Go, a range error at the first overflow, before later digits are looked at.
    if (n > U64_MAX) return { error: 'range' };
  }
  return { value: n };
}

/** Go's strconv.ParseInt(s, base, 64) on text without underscores. */
function goParseInt(s, base) {
  const negative = s[0] === '-';
  const rest = s[0] === '-' || s[0] === '+' ? s.slice(1) : s;
  const u = goParseUint(rest, base);
  if (u.error) return u;
  if (negative ? u.value > I64_LIMIT : u.value >= I64_LIMIT) return { error: 'range' };
  return { value: negative ? -u.value : u.value };
}

/** go-yaml v2's resolve("", s) for a plain scalar: {kind, value}. */
function resolvePlain(s) {
  const c = s[0];
  let hint;
  if (s === '') hint = 'N';
  else if (c === '+' || c === '-') hint = 'S';
  else if (c >= '0' && c <= '9') hint = 'D';
  else if ('yYnNtTfFoO~'.includes(c)) hint = 'M';
  else if (c === '.') hint = '.';
  else return { kind: 'str' };
  if (TRUE_WORDS.has(s)) return { kind: 'bool', value: true };
  if (FALSE_WORDS.has(s)) return { kind: 'bool', value: false };
  if (NULL_WORDS.has(s)) return { kind: 'null', value: null };
  if (NAN_WORDS.has(s)) return { kind: 'float', value: NaN };
  if (INF_WORDS.has(s)) return { kind: 'float', value: Infinity };
  if (NEG_INF_WORDS.has(s)) return { kind: 'float', value: -Infinity };
  if (hint === '.') {
    const plain = s.replace(/_/g, '');
    if (!DOT_FLOAT.test(plain) || !Number.isFinite(Number(plain))) return { kind: 'str' };
    // Go may take `.5_0` as a number; we do not guess.
    return plain === s ? { kind: 'float', value: Number(s) } : { kind: 'unsure' };
  }
  if (hint !== 'D' && hint !== 'S') return { kind: 'str' };
  // Timestamps (2001-12-14) start with four digits and `-`, which no number does, and go-yaml
  // v2 hands them to interface{} as their text: they end up strings below.
  const plain = s.replace(/_/g, '');
  const int = goParseInt(plain, 0);
  if (!int.error) return { kind: 'int', value: int.value };
  const uint = goParseUint(plain, 0);
  if (!uint.error) return { kind: 'uint', value: uint.value };
  if (YAML_STYLE_FLOAT.test(plain) && Number.isFinite(Number(plain))) return { kind: 'float', value: Number(plain) };
  if (plain.startsWith('0b')) {
    const i = goParseInt(plain.slice(2), 2);
    if (!i.error) return { kind: 'int', value: i.value };
    const u = goParseUint(plain.slice(2), 2);
    if (!u.error) return { kind: 'uint', value: u.value };
  } else if (plain.startsWith('-0b')) {
    const i = goParseInt(`-${plain.slice(3)}`, 2);
    if (!i.error) return { kind: 'int', value: i.value };
  }
  if (uint.error === 'range') return { kind: 'bigint' };
  return { kind: 'str' };
}

function shortTag(tag) {
  return tag.startsWith(CORE) ? `!!${tag.slice(CORE.length)}` : tag;
}

/** The name of a go-yaml tag (`str`, `int` …), or a refusal. */
function coreTag(node) {
  const name = node.tag.startsWith(CORE) ? node.tag.slice(CORE.length) : null;
  if (name !== null && CORE_TAGS.has(name)) return name;
  throw new YamlRefusal(
    node,
    `the tag ${shortTag(node.tag)} is not supported: only !!str, !!int, !!bool, !!null, !!float, !!map, !!seq and !!merge are read (remove the tag)`,
  );
}

const KIND_TAG = { null: '!!null', bool: '!!bool', int: '!!int', uint: '!!int', bigint: '!!int', float: '!!float', str: '!!str', unsure: '!!str' };

/** A scalar's text (the `yaml` package turns a `!!merge`-tagged one into a symbol). */
function scalarText(node) {
  return typeof node.value === 'symbol' ? String(node.source ?? '') : String(node.value ?? '');
}

/** A scalar node as JSON, following go-yaml v2's decoder for interface{}. */
function scalarValue(node) {
  const text = scalarText(node);
  let r;
  if (node.tag === undefined || node.tag === null) {
    if (node.type !== 'PLAIN') return text;
    r = resolvePlain(text);
  } else {
    const wanted = coreTag(node);
    if (wanted === 'str') return text;
    if (wanted === 'merge') throw new YamlRefusal(node, `!!merge on \`${text}\`: only a \`<<\` key can carry it (remove the tag)`);
    if (wanted === 'map' || wanted === 'seq') throw new YamlRefusal(node, `!!${wanted} on a scalar`);
    r = resolvePlain(text);
    const fits =
      (wanted === 'int' && ['int', 'uint', 'bigint'].includes(r.kind)) ||
      (wanted === 'bool' && r.kind === 'bool') ||
      (wanted === 'null' && r.kind === 'null') ||
      (wanted === 'float' && (r.kind === 'float' || r.kind === 'int'));
    if (!fits) throw new YamlRefusal(node, `cannot read ${KIND_TAG[r.kind]} \`${text}\` as !!${wanted}`);
    if (wanted === 'float' && r.kind === 'int') r = { kind: 'float', value: Number(r.value) };
  }
  switch (r.kind) {
    case 'null':
    case 'bool':
      return r.value;
    case 'str':
      return text;
    case 'int':
    case 'uint':
      if (r.value > BigInt(Number.MAX_SAFE_INTEGER) || r.value < -BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new YamlRefusal(node, `the integer \`${text}\` is too large for the playground to hold exactly; check this manifest with the offline checker (quote it if it is text)`);
      }
      return Number(r.value);
    case 'bigint':
      throw new YamlRefusal(node, `the integer \`${text}\` does not fit in 64 bits; no Kubernetes field takes it (quote it if it is text)`);
    case 'unsure':
      throw new YamlRefusal(node, `YAML readers disagree on whether \`${text}\` is a number or text: quote it, or write the number without underscores`);
    default:
      if (!Number.isFinite(r.value)) {
        throw new YamlRefusal(node, `\`${text}\` is a YAML 1.1 ${Number.isNaN(r.value) ? 'NaN' : 'infinity'} that JSON cannot carry, so kubectl cannot send it (quote it if it is text)`);
      }
      return r.value === 0 ? 0 : r.value;
  }
}

function renderPath(path) {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else if (step === null) out += out === '' ? '<<' : '.<<';
    else if (/^[A-Za-z0-9_\-/]+$/.test(step)) out += out === '' ? step : `.${step}`;
    else out += `[${JSON.stringify(step)}]`;
  }
  return out === '' ? 'the top level' : out;
}

function describe(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `the boolean ${v}`;
  if (typeof v === 'number') return `the number ${v}`;
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return Array.isArray(v) ? 'a sequence' : 'a mapping';
}

function jsonEqual(a, b) {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.hasOwn(b, k) && jsonEqual(a[k], b[k]));
}

/** go-yaml v2's allowedAliasRatio. */
function allowedAliasRatio(count) {
  if (count <= 400_000) return 0.99;
  if (count >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((count - 400_000) / 3_600_000);
}

/** Builds one document's JSON the way go-yaml v2 decodes into interface{}. */
class Decoder {
  constructor(root, lineCounter) {
    this.lineCounter = lineCounter;
    this.count = 1; // go-yaml counts the document node too
    this.aliasCount = 0;
    this.aliasDepth = 0;
    this.depth = 0;
    this.active = new Set();
    this.path = [];
    // Each alias names the latest node anchored so before it (anchors apply from their node on).
    this.targets = new Map();
    const anchors = new Map();
    const walk = (node, depth) => {
      if (!node || depth > MAX_DEPTH + 1) return;
      if (isAlias(node)) {
        this.targets.set(node, anchors.get(node.source));
        return;
      }
      if (node.anchor) anchors.set(node.anchor, node);
      if (isMap(node)) {
        for (const pair of node.items) {
          walk(pair.key, depth + 1);
          walk(pair.value, depth + 1);
        }
      } else if (isSeq(node)) {
        for (const item of node.items) walk(item, depth + 1);
      }
    };
    walk(root, 0);
  }

  line(node) {
    return this.lineCounter.linePos(node?.range?.[0] ?? 0).line;
  }

  tick(node) {
    this.count++;
    if (this.aliasDepth > 0) this.aliasCount++;
    if (this.count > MAX_NODES) {
      throw new YamlRefusal(node, `the document expands to more than ${MAX_NODES} nodes (aliases repeat what they name); write it without the aliases that multiply it`);
    }
    if (this.aliasCount > 100 && this.count > 1000 && this.aliasCount / this.count > allowedAliasRatio(this.count)) {
      throw new YamlRefusal(node, 'document contains excessive aliasing (kubectl refuses it too): write the repeated parts out instead of through aliases');
    }
  }

  enter(node) {
    if (this.depth >= MAX_DEPTH) {
      throw new YamlRefusal(node, `nested deeper than ${MAX_DEPTH} levels (aliases included); no Kubernetes object needs that`);
    }
    this.depth++;
  }

  /** `at` locates an absent node (an empty value): go-yaml sees an empty plain scalar there. */
  decode(node, at) {
    this.tick(node ?? at);
    if (!node) return null;
    if (isScalar(node)) return scalarValue(node);
    if (isAlias(node)) {
      const target = this.targets.get(node);
      if (!target) throw new YamlRefusal(node, `the alias *${node.source} names no anchor defined earlier in this document`);
      if (this.active.has(node)) throw new YamlRefusal(node, 'an anchor whose value contains itself');
      this.enter(node);
      this.active.add(node);
      this.aliasDepth++;
      try {
        return this.decode(target, node);
      } finally {
        this.aliasDepth--;
        this.active.delete(node);
        this.depth--;
      }
    }
    if (isSeq(node)) {
      if (node.tag) {
        const t = coreTag(node);
        if (t !== 'seq') throw new YamlRefusal(node, `!!${t} on a sequence`);
      }
      this.enter(node);
      const out = node.items.map((item, i) => {
        this.path.push(i);
        try {
          return this.decode(item, node);
        } finally {
          this.path.pop();
        }
      });
      this.depth--;
      return out;
    }
    if (isMap(node)) {
      if (node.tag) {
        const t = coreTag(node);
        if (t !== 'map') throw new YamlRefusal(node, `!!${t} on a mapping`);
      }
      this.enter(node);
      const out = this.mapping(node);
      this.depth--;
      return out;
    }
    throw new YamlRefusal(node, 'a YAML node the playground does not read');
  }

  mapping(node) {
    const out = {};
    const origins = new Map();
    for (const pair of node.items) {
      const keyNode = pair.key;
      const keyAt = keyNode ?? node;
      if (isScalar(keyNode) && scalarText(keyNode) === '<<' && ((keyNode.type === 'PLAIN' && !keyNode.tag) || keyNode.tag === `${CORE}merge`)) {
        this.path.push(null);
        let sources;
        try {
          sources = this.mergeSources(pair.value, keyNode);
        } finally {
          this.path.pop();
        }
        for (const source of sources) {
          for (const [k, v] of Object.entries(source)) this.insert(out, origins, keyNode, k, v, true);
        }
        continue;
      }
      const key = this.decode(keyNode, node);
      if (typeof key !== 'string') {
        const shown = isScalar(keyNode) ? `\`${scalarText(keyNode)}\`` : '(a collection)';
        throw new YamlRefusal(keyAt, `at ${renderPath(this.path)}: the key ${shown} is not a string to kubectl (YAML 1.1 reads it as ${describe(key)}); quote it`);
      }
      this.path.push(key);
      let value;
      try {
        value = this.decode(pair.value, keyAt);
      } finally {
        this.path.pop();
      }
      this.insert(out, origins, keyAt, key, value, false);
    }
    return out;
  }

  insert(out, origins, at, key, value, merged) {
    const line = this.line(at);
    const previous = origins.get(key);
    if (!previous) {
      origins.set(key, { merged, line });
      Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
      return;
    }
    const where = renderPath(this.path);
    if (!merged && !previous.merged) {
      throw new YamlRefusal(at, `at ${where}: the key ${JSON.stringify(key)} is given twice (lines ${previous.line} and ${line}); write it once`);
    }
    if (jsonEqual(out[key], value)) {
      if (!merged) origins.set(key, { merged, line });
      return;
    }
    const how =
      previous.merged && merged
        ? `by two \`<<\` merges (lines ${previous.line} and ${line})`
        : merged
          ? `explicitly (line ${previous.line}) and by a \`<<\` merge (line ${line})`
          : `by a \`<<\` merge (line ${previous.line}) and explicitly (line ${line})`;
    throw new YamlRefusal(
      at,
      `at ${where}: the key ${JSON.stringify(key)} is given ${how} with different values, and YAML readers disagree on which value wins (kubectl and Helm can keep the later one where the YAML merge-key spec and kustomize keep the explicit or first one): write the value once`,
    );
  }

  namesAMapping(node) {
    return isMap(node) || (isAlias(node) && isMap(this.targets.get(node)));
  }

  /** The mappings a `<<` value names, earlier ones first. */
  mergeSources(node, keyNode) {
    const bad = (at) => new YamlRefusal(at ?? keyNode, `at ${renderPath(this.path)}: a \`<<\` merge takes a mapping, an alias to a mapping, or a list of those`);
    if (isMap(node) || isAlias(node)) {
      if (!this.namesAMapping(node)) throw bad(node);
      return [this.decode(node, keyNode)];
    }
    if (isSeq(node)) {
      for (const item of node.items) if (!this.namesAMapping(item)) throw bad(item);
      // go-yaml decodes the list backwards (earlier mappings win); count the same way.
      return [...node.items].reverse().map((item) => this.decode(item, node)).reverse();
    }
    throw bad(node);
  }
}

/**
 * Parses a multi-document YAML (or JSON) text as kubectl reads it (above).
 * Returns { documents: [{number, value, line, doc}], errors: [{line, col, message, document}] }:
 * every document is numbered from 1 as the offline checker numbers them (empty ones too);
 * a document with a syntax error, or one refused, has value null and is not evaluated.
 */
export function parseManifest(text) {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: true, schema: 'failsafe', uniqueKeys: false });
  const documents = [];
  const errors = [];
  const list = Array.isArray(docs) ? docs : [docs];
  // What kubectl does to the text before YAML sees it, and characters YAML 1.1 and 1.2 split
  // differently: kubectl cuts documents at every line starting with `---` and refuses one with
  // anything but a comment after it; YAML 1.1 (kubectl) breaks lines at NEL, LS and PS, YAML
  // 1.2 parsers do not. Either could make one text two different objects: refused.
  const docAt = (offset) => {
    let at = 0;
    list.forEach((doc, i) => {
      if ((doc.range?.[0] ?? 0) <= offset) at = i;
    });
    return at;
  };
  const breaks = new Map();
  const refuse = (offset, message) => {
    const at = docAt(offset);
    if (!breaks.has(at)) breaks.set(at, { offset, message });
  };
  for (const m of text.matchAll(/^---(.*)$/gm)) {
    const rest = m[1];
    const after = rest.trim();
    if (rest !== '' && !/^\s/.test(rest)) {
      refuse(m.index + 3, `\`${m[0].trimEnd()}\`: kubectl splits documents at this line, YAML readers do not; start the line with something else, or write \`---\` alone`);
    } else if (after !== '' && !after.startsWith('#')) {
      refuse(m.index + 3, `\`---\` followed by \`${after}\`: kubectl refuses a document separator with anything but a comment after it; put \`${after}\` on the next line`);
    }
  }
  for (const m of text.matchAll(/[\u0085\u2028\u2029]/g)) {
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
    refuse(
      m.index,
      `a raw U+${code} character: YAML 1.1 readers (kubectl, Helm) take it for a line break, YAML 1.2 readers for text; write it as an escape ("\\u${code}") inside a double-quoted string`,
    );
  }
  list.forEach((doc, i) => {
    const number = i + 1;
    const start = doc.contents?.range?.[0] ?? doc.range?.[0] ?? 0;
    const line = lineCounter.linePos(start).line;
    let value = null;
    if (breaks.has(i)) {
      const { offset, message } = breaks.get(i);
      const pos = lineCounter.linePos(offset);
      errors.push({ line: pos.line, col: pos.col, message, document: number });
    } else if (doc.errors.length > 0) {
      for (const e of doc.errors) errors.push(yamlError(e, number));
    } else {
      try {
        value = new Decoder(doc.contents, lineCounter).decode(doc.contents, doc.contents) ?? null;
      } catch (e) {
        if (e instanceof YamlRefusal) {
          const pos = lineCounter.linePos(e.node?.range?.[0] ?? start);
          errors.push({ line: pos.line, col: pos.col, message: e.message, document: number });
        } else {
          errors.push({ line, col: 1, message: String(e.message ?? e), document: number });
        }
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

/**
 * Where fields are in the manifest text, as the checker locates its findings (the Rust
 * `security_context_input::locate`, through the adapter): for each `{document, path, field}`
 * (`path` where the object is in its document, `field` a path in the object as the policy
 * writes it), `{line, column, exact, template}`; an absent field gives its nearest present
 * parent (`exact: false`).
 */
export function locateFields(text, queries) {
  if (queries.length === 0) return [];
  return JSON.parse(wasm.locate(text, JSON.stringify(queries)));
}

/** Evaluates the editors' texts. Returns everything the page shows. */
/** `user` and `groups` (comma- or line-separated) are the requester of the wrapped objects. */
export function evaluateTexts({ manifest, settings, imageUsers = '', namespace = 'default', user = '', groups = '' }) {
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
        user,
        groups,
      ),
    );
    const queries = [];
    for (const r of report.results) {
      r.line = parsedManifest.documents[r.document - 1]?.line ?? 1;
      for (const v of r.outcome.violations ?? []) queries.push({ document: r.document, path: r.path, field: v.field });
    }
    const places = locateFields(manifest, queries);
    let next = 0;
    for (const r of report.results) {
      for (const v of r.outcome.violations ?? []) {
        const place = places[next++];
        v.line = place?.line ?? r.line;
        v.column = place?.column ?? 1;
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

/**
 * An object as YAML, for the diff: kubectl reads it back as the same object. A string YAML 1.1
 * would read as something else (`yes`, `on`, `1_000`, `0o17`, `~`, a `<<` key …) is quoted.
 */
export function toYaml(value) {
  const doc = new Document(value, { aliasDuplicateObjects: false });
  visit(doc, {
    Scalar(_key, node) {
      if (typeof node.value === 'string' && (node.value === '<<' || resolvePlain(node.value).kind !== 'str')) {
        node.type = 'QUOTE_DOUBLE';
      }
    },
  });
  return doc.toString({ lineWidth: 0 });
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
