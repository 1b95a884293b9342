//! The command line as the checker's commands read it: inputs and options in any order,
//! `--flag value` or `--flag=value`, `-` for standard input, `--` before inputs that start
//! with `-`. One reader for `check`, `post-render` and `report`, so that they agree.

/// One word of the command line, read by [`Args::next_arg`].
pub enum Arg {
    /// A file, a directory, or `-` for standard input.
    Input(String),
    /// An option, e.g. `--settings`; its value, if it takes one, from [`Args::value`].
    Flag(Flag),
}

/// An option as written: its name, and the value given after `=` in the same word.
pub struct Flag {
    pub name: String,
    /// The whole word, for messages about an option no command knows.
    pub word: String,
    inline: Option<String>,
}

impl Flag {
    /// Whether the word carried `=value` (a switch such as `--mutate` takes none).
    pub fn has_inline_value(&self) -> bool {
        self.inline.is_some()
    }
}

/// The words after the command's name.
pub struct Args {
    words: std::vec::IntoIter<String>,
    only_inputs: bool,
}

impl Args {
    pub fn new(words: impl IntoIterator<Item = String>) -> Args {
        Args {
            words: words.into_iter().collect::<Vec<_>>().into_iter(),
            only_inputs: false,
        }
    }

    /// The next input or option; `None` at the end.
    pub fn next_arg(&mut self) -> Option<Arg> {
        loop {
            let word = self.words.next()?;
            if self.only_inputs || word == "-" || !word.starts_with('-') {
                return Some(Arg::Input(word));
            }
            if word == "--" {
                self.only_inputs = true;
                continue;
            }
            let (name, inline) = match word.split_once('=') {
                Some((f, v)) => (f.to_owned(), Some(v.to_owned())),
                None => (word.clone(), None),
            };
            return Some(Arg::Flag(Flag { name, word, inline }));
        }
    }

    /// The next option; the inputs before it are added to `inputs`.
    pub fn next_flag(&mut self, inputs: &mut Vec<String>) -> Option<Flag> {
        loop {
            match self.next_arg()? {
                Arg::Input(input) => inputs.push(input),
                Arg::Flag(flag) => return Some(flag),
            }
        }
    }

    /// The value of `flag`: after its `=`, else the next word.
    pub fn value(&mut self, flag: &Flag) -> Result<String, String> {
        match &flag.inline {
            Some(v) => Ok(v.clone()),
            None => self
                .words
                .next()
                .ok_or_else(|| format!("{} needs a value", flag.name)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(words: &[&str]) -> Vec<String> {
        let mut args = Args::new(words.iter().map(|w| (*w).to_owned()));
        let mut out = Vec::new();
        while let Some(arg) = args.next_arg() {
            out.push(match arg {
                Arg::Input(i) => format!("input {i}"),
                Arg::Flag(f) if f.name == "--mutate" => format!("switch {}", f.name),
                Arg::Flag(f) => match args.value(&f) {
                    Ok(v) => format!("{} = {v}", f.name),
                    Err(e) => format!("error {e}"),
                },
            });
        }
        out
    }

    #[test]
    fn inputs_gather_between_options() {
        let words = [
            "a",
            "--settings",
            "s.yml",
            "b",
            "-",
            "--mutate",
            "--",
            "--c",
        ];
        let mut args = Args::new(words.map(str::to_owned));
        let mut inputs = Vec::new();
        let mut flags = Vec::new();
        while let Some(flag) = args.next_flag(&mut inputs) {
            if flag.name == "--settings" {
                assert_eq!(args.value(&flag).as_deref(), Ok("s.yml"));
            }
            flags.push(flag.name);
        }
        assert_eq!(flags, ["--settings", "--mutate"]);
        assert_eq!(inputs, ["a", "b", "-", "--c"]);
    }

    #[test]
    fn words() {
        let cases: &[(&str, &[&str], &[&str])] = &[
            (
                "value after",
                &["--settings", "s.yml", "a.yaml"],
                &["--settings = s.yml", "input a.yaml"],
            ),
            (
                "value inline",
                &["--settings=s.yml"],
                &["--settings = s.yml"],
            ),
            ("empty inline value", &["--namespace="], &["--namespace = "]),
            ("stdin", &["-"], &["input -"]),
            (
                "switch",
                &["--mutate", "a"],
                &["switch --mutate", "input a"],
            ),
            (
                "dash dash",
                &["--", "--odd-name.yaml", "-"],
                &["input --odd-name.yaml", "input -"],
            ),
            (
                "missing value",
                &["--settings"],
                &["error --settings needs a value"],
            ),
        ];
        for (name, words, want) in cases {
            assert_eq!(read(words), *want, "{name}");
        }
    }
}
