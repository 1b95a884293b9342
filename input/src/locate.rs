//! Where a field is in the text a person wrote: the line and column of every key and list item
//! of every document, recorded by the reader that composes the document, so that a finding
//! about `spec.template.spec.containers[0].securityContext.capabilities.add` points at the line
//! to edit. The checker and the playground both locate findings with this module.
//!
//! - [`parse_path`] reads the field paths the policy reports (`a.b[0].c`,
//!   `metadata.annotations["container.apparmor.security.beta.kubernetes.io/app"]`), and
//!   [`render_path`] writes them (the one writer of paths: the YAML reader's messages use it);
//! - [`SourceMap::of_text`] (beside the readers, in [`crate::manifest`]) records the positions of
//!   every document of a multi-document YAML stream (as [`crate::yaml`] composes each document)
//!   or of a JSON stream, numbered as [`crate::manifest::parse_documents`] numbers them, and the
//!   Helm template each document came from (`# Source: chart/templates/x.yaml`);
//! - [`DocumentMap::locate`] gives the position of a path: the field's key, the list item, or,
//!   when the field is absent, its nearest present parent. Keys that come from a `<<` merge
//!   point into the merged mapping; fields under an alias point into the anchored node.
//!
//! Lines and columns count from 1; columns count characters.

use std::fmt::Write as _;

/// One step of a field path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Segment {
    Key(String),
    Index(usize),
}

/// Reads a field path as the policy writes them: keys separated by `.`, list indices as `[0]`,
/// keys with dots or brackets quoted as `["a.b/c"]` (with `\"` and `\\` escapes). A path that
/// cannot be read names the character and the offset.
pub fn parse_path(path: &str) -> Result<Vec<Segment>, String> {
    let mut out = Vec::new();
    let mut chars = path.char_indices().peekable();
    let mut key = String::new();
    let bad = |at: usize, what: &str| {
        format!(
            "field path {path:?}: {what} at byte {at}; write keys as a.b, indices as [0], other keys as [\"a.b\"]"
        )
    };
    while let Some((at, c)) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    out.push(Segment::Key(std::mem::take(&mut key)));
                }
                if chars.peek().map(|&(_, c)| c) == Some('"') {
                    chars.next();
                    let mut quoted = String::new();
                    let mut closed = false;
                    while let Some((_, c)) = chars.next() {
                        match c {
                            '\\' => match chars.next() {
                                Some((_, 'n')) => quoted.push('\n'),
                                Some((_, 't')) => quoted.push('\t'),
                                Some((_, 'r')) => quoted.push('\r'),
                                Some((_, c)) => quoted.push(c),
                                None => break,
                            },
                            '"' => {
                                closed = true;
                                break;
                            }
                            c => quoted.push(c),
                        }
                    }
                    if !closed || chars.next().map(|(_, c)| c) != Some(']') {
                        return Err(bad(at, "an unclosed [\"…\"]"));
                    }
                    out.push(Segment::Key(quoted));
                } else {
                    let mut digits = String::new();
                    let mut closed = false;
                    for (_, c) in chars.by_ref() {
                        if c == ']' {
                            closed = true;
                            break;
                        }
                        digits.push(c);
                    }
                    if !closed {
                        return Err(bad(at, "an unclosed ["));
                    }
                    match digits.parse::<usize>() {
                        Ok(i) => out.push(Segment::Index(i)),
                        // `annotations[key]`: a key written without quotes.
                        Err(_) if !digits.is_empty() => out.push(Segment::Key(digits)),
                        Err(_) => return Err(bad(at, "an empty []")),
                    }
                }
            }
            ']' => return Err(bad(at, "a ] without [")),
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Segment::Key(key));
    }
    Ok(out)
}

/// A path as the policy writes it (the inverse of [`parse_path`]): `a.b[0]`, and a key with a
/// dot, a bracket, a quote, a backslash or a line break quoted, `a["x.y/z"]`. Empty for the
/// document itself.
pub fn render_path(path: &[Segment]) -> String {
    let mut out = String::new();
    for segment in path {
        match segment {
            Segment::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
            Segment::Key(k) if !k.is_empty() && !k.contains(needs_quotes) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Segment::Key(k) => {
                out.push_str("[\"");
                for c in k.chars() {
                    match c {
                        '\\' => out.push_str("\\\\"),
                        '"' => out.push_str("\\\""),
                        '\n' => out.push_str("\\n"),
                        '\t' => out.push_str("\\t"),
                        '\r' => out.push_str("\\r"),
                        c => out.push(c),
                    }
                }
                out.push_str("\"]");
            }
        }
    }
    out
}

fn needs_quotes(c: char) -> bool {
    matches!(c, '.' | '[' | ']' | '"' | '\\') || c.is_control()
}

/// A 1-based line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// Where a path was found: the position, and whether it is the field's own (`exact`) or its
/// nearest present parent's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Location {
    pub position: Position,
    pub exact: bool,
}

/// What a node is, for lookups: the YAML reader and the JSON scanner build these.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Leaf,
    Seq(Vec<usize>),
    /// Keys with the key's position and the value's node; `<<` merge values apart.
    Map {
        entries: Vec<(String, Position, usize)>,
        merges: Vec<usize>,
    },
    /// An alias to an earlier node (YAML only: JSON has none).
    #[cfg_attr(not(feature = "yaml"), allow(dead_code))]
    Alias(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) at: Position,
    pub(crate) kind: Kind,
}

/// The positions of one document.
#[derive(Debug, Clone, Default)]
pub struct DocumentMap {
    /// 1-based document number, empty documents included.
    pub number: usize,
    /// Where the document's content starts (its `---` line when it has no content).
    pub start: Position,
    /// The Helm template the document came from: its `# Source:` comment.
    pub template: Option<String>,
    nodes: Vec<Node>,
    root: Option<usize>,
    /// The last line with content, for finding the next document's `# Source:` comment.
    last_line: usize,
}

/// How many aliases and merges a lookup follows before it stops (aliases always name earlier
/// nodes, so a chain ends; this bounds the work on hostile input).
const MAX_HOPS: usize = 10_000;

/// How deep a lookup follows `<<` merges whose mappings merge others.
const MAX_MERGE_DEPTH: usize = 64;

impl DocumentMap {
    fn node(&self, id: usize) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// Follows aliases to the node they name.
    fn resolve(&self, mut id: usize, hops: &mut usize) -> Option<&Node> {
        loop {
            let node = self.node(id)?;
            match node.kind {
                Kind::Alias(target) if target < id && *hops < MAX_HOPS => {
                    *hops += 1;
                    id = target;
                }
                Kind::Alias(_) => return None,
                _ => return Some(node),
            }
        }
    }

    /// The key's position and value in a mapping, looking into `<<` merges (earlier merged
    /// mappings win, as in go-yaml) when the mapping does not name the key itself.
    fn entry(&self, node: &Node, key: &str, hops: &mut usize) -> Option<(Position, usize)> {
        self.entry_within(node, key, hops, 0)
    }

    fn entry_within(
        &self,
        node: &Node,
        key: &str,
        hops: &mut usize,
        depth: usize,
    ) -> Option<(Position, usize)> {
        let Kind::Map { entries, merges } = &node.kind else {
            return None;
        };
        // Merges of merges: deep enough for any manifest, shallow enough for a small stack.
        if depth > MAX_MERGE_DEPTH {
            return None;
        }
        if let Some((_, at, value)) = entries.iter().find(|(k, _, _)| k == key) {
            return Some((*at, *value));
        }
        for &merge in merges {
            *hops += 1;
            if *hops > MAX_HOPS {
                return None;
            }
            let source = self.resolve(merge, hops)?;
            let found = match &source.kind {
                Kind::Seq(items) => items.iter().find_map(|&item| {
                    let item = self.resolve(item, hops)?;
                    self.entry_within(item, key, hops, depth + 1)
                }),
                _ => self.entry_within(source, key, hops, depth + 1),
            };
            if found.is_some() {
                return found;
            }
        }
        None
    }

    /// The position of `path` in this document, or of its nearest present parent (the
    /// document's start for an empty path or an absent first key).
    pub fn locate(&self, path: &[Segment]) -> Location {
        self.walk(path).0
    }

    /// Where the value of `path` starts, when the path is present (for an alias, the alias).
    pub fn value_at(&self, path: &[Segment]) -> Option<Position> {
        match self.walk(path) {
            (Location { exact: true, .. }, Some(id)) => self.node(id).map(|n| n.at),
            _ => None,
        }
    }

    /// The location of `path` and, when it is present, its value's node.
    fn walk(&self, path: &[Segment]) -> (Location, Option<usize>) {
        let mut position = self
            .root
            .and_then(|r| self.node(r))
            .map_or(self.start, |n| n.at);
        let mut current = self.root;
        let mut hops = 0usize;
        let absent = |position| {
            let location = Location {
                position,
                exact: false,
            };
            (location, None)
        };
        for segment in path {
            let Some(node) = current.and_then(|id| self.resolve(id, &mut hops)) else {
                return absent(position);
            };
            let next = match (segment, &node.kind) {
                (Segment::Key(key), Kind::Map { .. }) => self.entry(node, key, &mut hops),
                (Segment::Index(i), Kind::Seq(items)) => {
                    items.get(*i).and_then(|&id| Some((self.node(id)?.at, id)))
                }
                _ => None,
            };
            let Some((at, id)) = next else {
                return absent(position);
            };
            position = at;
            current = Some(id);
        }
        let location = Location {
            position,
            exact: true,
        };
        (location, current)
    }

    /// A document's positions, from the nodes its reader composed (`root` the top node, if
    /// any; aliases name earlier nodes).
    #[cfg(feature = "yaml")]
    pub(crate) fn new(
        number: usize,
        start: Position,
        nodes: Vec<Node>,
        root: Option<usize>,
        last_line: usize,
    ) -> Self {
        DocumentMap {
            number,
            start,
            template: None,
            nodes,
            root,
            last_line,
        }
    }

    /// The same positions for this document read `lines` lines further down a text, as
    /// document `numbers` more (a reader that read it from the middle of the text).
    #[cfg(feature = "yaml")]
    pub(crate) fn shift(&mut self, lines: usize, numbers: usize) {
        self.number += numbers;
        self.start.line += lines;
        self.last_line += lines;
        for node in &mut self.nodes {
            node.at.line += lines;
            if let Kind::Map { entries, .. } = &mut node.kind {
                for (_, at, _) in entries {
                    at.line += lines;
                }
            }
        }
    }
}

/// The positions of every document of a text.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    documents: Vec<DocumentMap>,
}

impl SourceMap {
    /// The positions of these documents of `text`, with the Helm template each came from.
    pub(crate) fn new(text: &str, mut documents: Vec<DocumentMap>) -> SourceMap {
        documents.retain(|d| d.number > 0);
        if !documents.is_empty() {
            attach_templates(text, &mut documents);
        }
        SourceMap { documents }
    }

    /// The positions in a JSON text (one value or several concatenated), or `None` when the
    /// text is not JSON.
    pub(crate) fn of_json(text: &str) -> Option<SourceMap> {
        json::documents(text).map(|documents| SourceMap::new(text, documents))
    }

    /// The positions of document `number` (from 1), if it was read.
    pub fn document(&self, number: usize) -> Option<&DocumentMap> {
        self.documents.iter().find(|d| d.number == number)
    }

    /// Every document read, in order.
    pub fn documents(&self) -> &[DocumentMap] {
        &self.documents
    }

    /// The position of `path` in document `number`; line 1, column 1 when the document was
    /// not read.
    pub fn locate(&self, number: usize, path: &[Segment]) -> Location {
        match self.document(number) {
            Some(d) => d.locate(path),
            None => Location {
                position: Position { line: 1, column: 1 },
                exact: false,
            },
        }
    }
}

/// Helm's `helm template` writes `# Source: chart/templates/x.yaml` before each document:
/// the last such comment after the previous document's content and before this document's
/// content names this document's template.
fn attach_templates(text: &str, documents: &mut [DocumentMap]) {
    let sources: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .filter_map(|(n, line)| {
            let rest = line.trim_start().strip_prefix('#')?.trim_start();
            let name = rest.strip_prefix("Source:")?.trim();
            (!name.is_empty()).then_some((n + 1, name))
        })
        .collect();
    if sources.is_empty() {
        return;
    }
    let mut previous_end = 0usize;
    for doc in documents.iter_mut() {
        let start = doc
            .root
            .and_then(|r| doc.node(r))
            .map_or(doc.start.line, |n| n.at.line);
        doc.template = sources
            .iter()
            .rfind(|(line, _)| *line > previous_end && *line <= start)
            .map(|(_, name)| (*name).to_owned());
        previous_end = previous_end.max(doc.last_line).max(start);
    }
}

/// Positions in JSON text: one or several concatenated values.
mod json {
    use super::{DocumentMap, Kind, Node, Position};

    struct Scanner<'t> {
        chars: std::iter::Peekable<std::str::Chars<'t>>,
        line: usize,
        column: usize,
        nodes: Vec<Node>,
        depth: usize,
    }

    impl Scanner<'_> {
        fn bump(&mut self) -> Option<char> {
            let c = self.chars.next()?;
            if c == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
            Some(c)
        }

        fn here(&self) -> Position {
            Position {
                line: self.line,
                column: self.column,
            }
        }

        fn skip_space(&mut self) {
            while self
                .chars
                .peek()
                .is_some_and(|c| matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{feff}'))
            {
                self.bump();
            }
        }

        fn string(&mut self) -> Option<String> {
            if self.bump()? != '"' {
                return None;
            }
            let mut out = String::new();
            loop {
                match self.bump()? {
                    '"' => return Some(out),
                    '\\' => match self.bump()? {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        'b' => out.push('\u{8}'),
                        'f' => out.push('\u{c}'),
                        'u' => {
                            let mut hex = String::new();
                            for _ in 0..4 {
                                hex.push(self.bump()?);
                            }
                            let code = u32::from_str_radix(&hex, 16).ok()?;
                            out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        }
                        c => out.push(c),
                    },
                    c => out.push(c),
                }
            }
        }

        fn value(&mut self) -> Option<usize> {
            self.skip_space();
            let at = self.here();
            if self.depth > crate::locate::MAX_DEPTH {
                return None;
            }
            let kind =
                match *self.chars.peek()? {
                    '{' => {
                        self.bump();
                        self.depth += 1;
                        let mut entries = Vec::new();
                        self.skip_space();
                        if self.chars.peek() == Some(&'}') {
                            self.bump();
                        } else {
                            loop {
                                self.skip_space();
                                let key_at = self.here();
                                let key = self.string()?;
                                self.skip_space();
                                if self.bump()? != ':' {
                                    return None;
                                }
                                let value = self.value()?;
                                entries.push((key, key_at, value));
                                self.skip_space();
                                match self.bump()? {
                                    ',' => continue,
                                    '}' => break,
                                    _ => return None,
                                }
                            }
                        }
                        self.depth -= 1;
                        Kind::Map {
                            entries,
                            merges: Vec::new(),
                        }
                    }
                    '[' => {
                        self.bump();
                        self.depth += 1;
                        let mut items = Vec::new();
                        self.skip_space();
                        if self.chars.peek() == Some(&']') {
                            self.bump();
                        } else {
                            loop {
                                items.push(self.value()?);
                                self.skip_space();
                                match self.bump()? {
                                    ',' => continue,
                                    ']' => break,
                                    _ => return None,
                                }
                            }
                        }
                        self.depth -= 1;
                        Kind::Seq(items)
                    }
                    '"' => {
                        self.string()?;
                        Kind::Leaf
                    }
                    _ => {
                        let mut any = false;
                        while self.chars.peek().is_some_and(|c| {
                            c.is_ascii_alphanumeric() || matches!(c, '-' | '+' | '.')
                        }) {
                            self.bump();
                            any = true;
                        }
                        if !any {
                            return None;
                        }
                        Kind::Leaf
                    }
                };
            let id = self.nodes.len();
            self.nodes.push(Node { at, kind });
            Some(id)
        }
    }

    /// The documents of a JSON stream, or `None` when the text is not JSON.
    pub(super) fn documents(text: &str) -> Option<Vec<DocumentMap>> {
        let mut scanner = Scanner {
            chars: text.chars().peekable(),
            line: 1,
            column: 1,
            nodes: Vec::new(),
            depth: 0,
        };
        let mut documents = Vec::new();
        loop {
            scanner.skip_space();
            if scanner.chars.peek().is_none() {
                return Some(documents);
            }
            scanner.nodes.clear();
            let start = scanner.here();
            let root = scanner.value()?;
            documents.push(DocumentMap {
                number: documents.len() + 1,
                start,
                template: None,
                nodes: std::mem::take(&mut scanner.nodes),
                root: Some(root),
                last_line: scanner.line,
            });
        }
    }
}

/// The deepest nesting the JSON scanner records (serde_json, which reads the values, stops
/// at 128 levels: a deeper text is read as YAML, positions included).
const MAX_DEPTH: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    fn at(map: &SourceMap, document: usize, path: &str) -> (usize, usize, bool) {
        let path = parse_path(path).unwrap();
        let l = map.locate(document, &path);
        (l.position.line, l.position.column, l.exact)
    }

    #[test]
    fn paths() {
        assert_eq!(
            parse_path("spec.containers[1].securityContext").unwrap(),
            [
                Segment::Key("spec".into()),
                Segment::Key("containers".into()),
                Segment::Index(1),
                Segment::Key("securityContext".into()),
            ]
        );
        let annotation =
            r#"metadata.annotations["container.apparmor.security.beta.kubernetes.io/a\"b"]"#;
        let parsed = parse_path(annotation).unwrap();
        assert_eq!(
            parsed.last(),
            Some(&Segment::Key(
                "container.apparmor.security.beta.kubernetes.io/a\"b".into()
            ))
        );
        assert_eq!(render_path(&parsed), annotation);
        assert_eq!(
            parse_path("a[key.x]").unwrap(),
            [Segment::Key("a".into()), Segment::Key("key.x".into())]
        );
        assert!(parse_path("a[0").is_err());
        assert!(parse_path("a[\"x").is_err());
        assert!(parse_path("a]").is_err());
        assert_eq!(
            render_path(&parse_path("items[2].object.spec").unwrap()),
            "items[2].object.spec"
        );
        let odd = vec![
            Segment::Key("a\nb".into()),
            Segment::Key(String::new()),
            Segment::Key("<<".into()),
        ];
        assert_eq!(render_path(&odd), r#"["a\nb"][""].<<"#);
        assert_eq!(parse_path(&render_path(&odd)).unwrap()[0], odd[0]);
    }

    #[test]
    #[cfg(feature = "yaml")]
    fn yaml_lines_and_columns() {
        let text = "\
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: a
        - name: b
          securityContext:
            privileged: true
";
        let map = SourceMap::of_text(text);
        let p = "spec.template.spec.containers";
        assert_eq!(
            at(&map, 1, &format!("{p}[1].securityContext.privileged")),
            (9, 13, true)
        );
        assert_eq!(
            at(&map, 1, &format!("{p}[1].securityContext.runAsUser")),
            (8, 11, false)
        );
        assert_eq!(
            at(&map, 1, &format!("{p}[0].securityContext")),
            (6, 11, false)
        );
        assert_eq!(
            at(&map, 1, "spec.template.spec.securityContext.fsGroup"),
            (4, 5, false)
        );
        assert_eq!(at(&map, 1, ""), (1, 1, true));
    }

    #[test]
    #[cfg(feature = "yaml")]
    fn documents_merges_aliases_and_helm_sources() {
        let text = "\
# a comment
---
# Source: chart/templates/sa.yaml
apiVersion: v1
kind: ServiceAccount
---
# empty
---
# Source: chart/templates/pod.yaml
apiVersion: v1
kind: Pod
base: &base {privileged: true, runAsUser: 0}
spec:
  containers:
  - name: app
    securityContext:
      <<: *base
      allowPrivilegeEscalation: false
  - name: b
    securityContext: *base
";
        let map = SourceMap::of_text(text);
        assert_eq!(map.documents().len(), 3);
        let doc = map.document(3).unwrap();
        assert_eq!(doc.template.as_deref(), Some("chart/templates/pod.yaml"));
        assert_eq!(
            map.document(1).unwrap().template.as_deref(),
            Some("chart/templates/sa.yaml")
        );
        assert_eq!(map.document(2).unwrap().template, None);
        assert_eq!(at(&map, 1, "kind"), (5, 1, true));
        // Merged: the key in the anchored mapping.
        assert_eq!(
            at(&map, 3, "spec.containers[0].securityContext.privileged"),
            (12, 14, true)
        );
        assert_eq!(
            at(
                &map,
                3,
                "spec.containers[0].securityContext.allowPrivilegeEscalation"
            ),
            (18, 7, true)
        );
        // Aliased: into the anchored node.
        assert_eq!(
            at(&map, 3, "spec.containers[1].securityContext.runAsUser"),
            (12, 32, true)
        );
        assert_eq!(
            at(&map, 3, "spec.containers[1].securityContext.seccompProfile"),
            (20, 5, false)
        );
    }

    #[test]
    fn json_streams() {
        let text = "{\"kind\": \"List\",\n \"items\": [\n  {\"kind\": \"Pod\", \"spec\": {\"hostPID\": true}}\n ]}\n{\"a\": [1, \"x\\\"y\", {\"b\": null}]}";
        let map = SourceMap::of_text(text);
        assert_eq!(map.documents().len(), 2);
        assert_eq!(at(&map, 1, "items[0].spec.hostPID"), (3, 28, true));
        assert_eq!(at(&map, 1, "items[0].spec.hostIPC"), (3, 19, false));
        assert_eq!(at(&map, 2, "a[2].b"), (5, 20, true));
        assert_eq!(at(&map, 3, "a"), (1, 1, false));
    }

    #[test]
    #[cfg(feature = "yaml")]
    fn long_merge_chains_end() {
        let mut text = String::from("a0: &a0 {x: 1}\n");
        for i in 1..5000 {
            text.push_str(&format!("a{i}: &a{i} {{<<: *a{}}}\n", i - 1));
        }
        text.push_str("last: {<<: *a4999}\n");
        let map = SourceMap::of_text(&text);
        let l = map.locate(1, &parse_path("last.x").unwrap());
        assert!(!l.exact);
        let l = map.locate(1, &parse_path("a3.x").unwrap());
        assert_eq!((l.position.line, l.exact), (1, true));
    }

    #[test]
    fn broken_input_never_panics() {
        for text in [
            "{",
            "[1,",
            "{\"a\": }",
            "a: [",
            "- &a [*a]\n",
            "a: *nope\n",
            "\"\\u12",
        ] {
            let map = SourceMap::of_text(text);
            let _ = map.locate(1, &parse_path("a[0].b").unwrap());
        }
    }
}
