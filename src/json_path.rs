//! Words a JSON parse error with the path of the value it concerns
//! (`spec.containers[0].securityContext.runAsUser`), found by a structural scan of the text up
//! to the error's position. Used only on the error path, so the deserializers stay plain (a
//! path-tracking deserializer would double the module's parsing code).

/// The JSON path of the value being read at byte `offset` of `text`.
pub fn path_at(text: &str, offset: usize) -> String {
    enum Frame {
        Object(Option<String>),
        Array(usize),
    }
    let bytes = text.as_bytes();
    let end = offset.min(bytes.len());
    let mut stack: Vec<Frame> = Vec::new();
    let mut expecting_key = false;
    let mut i = 0;
    while i < end {
        match bytes.get(i).copied().unwrap_or(b' ') {
            b'{' => {
                stack.push(Frame::Object(None));
                expecting_key = true;
            }
            b'[' => {
                stack.push(Frame::Array(0));
                expecting_key = false;
            }
            b'}' | b']' => {
                stack.pop();
                expecting_key = false;
            }
            b',' => match stack.last_mut() {
                Some(Frame::Array(index)) => *index = index.saturating_add(1),
                Some(Frame::Object(_)) => expecting_key = true,
                None => {}
            },
            b':' => expecting_key = false,
            b'"' => {
                let start = i.saturating_add(1);
                let mut j = start;
                while j < bytes.len() && bytes.get(j) != Some(&b'"') {
                    if bytes.get(j) == Some(&b'\\') {
                        j = j.saturating_add(1);
                    }
                    j = j.saturating_add(1);
                }
                if expecting_key && let Some(Frame::Object(key)) = stack.last_mut() {
                    *key = Some(
                        text.get(start..j.min(bytes.len()))
                            .unwrap_or("?")
                            .to_owned(),
                    );
                }
                i = j;
            }
            _ => {}
        }
        i = i.saturating_add(1);
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object(Some(key)) => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
            }
            Frame::Object(None) => {}
            Frame::Array(index) => path.push_str(&format!("[{index}]")),
        }
    }
    path
}

/// The byte offset of serde_json's (1-based) line and column in `text`.
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let before: usize = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum();
    before.saturating_add(column.saturating_sub(1))
}

/// `path: error` for a serde_json error on `text` (just the error when the path is empty).
pub fn describe(text: &str, e: &serde_json::Error) -> String {
    let path = path_at(text, offset_of(text, e.line(), e.column()));
    if path.is_empty() {
        e.to_string()
    } else {
        format!("{path}: {e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err_path<T: serde::de::DeserializeOwned>(text: &str) -> String {
        let e = serde_json::from_str::<T>(text).err().expect("an error");
        describe(text, &e)
    }

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Sc {
        #[serde(rename = "runAsUser")]
        run_as_user: Option<i64>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct C {
        name: String,
        #[serde(rename = "securityContext")]
        sc: Option<Sc>,
    }
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Spec {
        containers: Vec<C>,
    }

    #[test]
    fn paths() {
        let cases = [
            (
                "wrong type",
                r#"{"containers":[{"name":"a"},{"name":"b","securityContext":{"runAsUser":"0"}}]}"#,
                "containers[1].securityContext.runAsUser: ",
            ),
            (
                "unknown field",
                r#"{"containers":[{"name":"a","securityContext":{"runAsUsr":1}}]}"#,
                "containers[0].securityContext.runAsUsr: unknown field",
            ),
            (
                "escaped quote in a string",
                r#"{"containers":[{"name":"a\"b","securityContext":{"runAsUser":true}}]}"#,
                "containers[0].securityContext.runAsUser: ",
            ),
            (
                "multi-line",
                "{\n \"containers\": [\n  {\"name\": 5}\n ]\n}",
                "containers[0].name: ",
            ),
        ];
        for (name, text, want) in cases {
            let got = err_path::<Spec>(text);
            assert!(got.starts_with(want), "{name}: {got}");
        }
        assert_eq!(path_at("", 10), "");
        assert_eq!(path_at("{\"a\":[1,2,", 100), "a[2]");
    }
}
