//! Helm's `.helmignore` rules (`pkg/ignore` in Helm), with Helm's exact and sometimes
//! surprising semantics. It owns parsing and matching of chart-relative paths; it never walks
//! a file system (callers walk, and skip the contents of an ignored folder, as Helm does).

mod glob;

/// The file name Helm reads ignore rules from, at the chart root.
pub const HELMIGNORE: &str = ".helmignore";

/// The rule Helm always adds after a chart's own: dotfiles in `templates/` are never loaded.
pub const DEFAULT_RULE: &str = "templates/.?*";

/// Why a `.helmignore` could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HelmIgnoreError {
    #[error(".helmignore line {line}: double-star (**) syntax is not supported")]
    DoubleStar { line: usize },
    #[error(".helmignore line {line}: `{rule}` is not a valid glob pattern")]
    BadPattern { line: usize, rule: String },
}

/// An ordered list of ignore rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HelmIgnore {
    rules: Vec<Rule>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Rule {
    /// The line as written, trimmed.
    raw: String,
    /// The glob, without `!`, trailing `/` or leading `/`.
    glob: String,
    anchor: Anchor,
    negate: bool,
    must_dir: bool,
}

/// What part of a path a rule's glob is matched against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    /// No `/` in the rule: only the last path component.
    BaseName,
    /// A `/` inside the rule, or a leading `/`: the whole chart-relative path.
    WholePath,
}

impl HelmIgnore {
    /// Parses `.helmignore` text line by line, as Helm's `ignore.Parse`: a leading UTF-8 BOM
    /// is dropped, lines are trimmed, blank lines and `#` comments are skipped, and a rule
    /// with `**` or an invalid glob fails the whole file.
    pub fn parse(text: &str) -> Result<Self, HelmIgnoreError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut ignore = Self::default();
        for (index, line) in text.lines().enumerate() {
            ignore.add_rule(line, index + 1)?;
        }
        Ok(ignore)
    }

    /// The rules Helm's `LoadDir` uses for a chart: its `.helmignore` (if any), then the
    /// default rule.
    pub fn for_chart(helmignore: Option<&str>) -> Result<Self, HelmIgnoreError> {
        let mut ignore = match helmignore {
            Some(text) => Self::parse(text)?,
            None => Self::default(),
        };
        ignore.add_defaults();
        Ok(ignore)
    }

    /// Appends Helm's default rule, [`DEFAULT_RULE`].
    pub fn add_defaults(&mut self) {
        // A constant, valid rule: no need to validate it again.
        self.rules.push(Rule::new(DEFAULT_RULE));
    }

    /// Whether Helm ignores the chart-relative `path` (`/`-separated, folders without a
    /// trailing slash). Rules are tried in order and the first that decides wins; a negated
    /// rule `!p` decides "ignored" for every path it does *not* match (and for every file when
    /// it is a folder rule), and lets matching paths fall through to later rules. That is
    /// Helm's behaviour, not gitignore's.
    pub fn ignored(&self, path: &str, is_dir: bool) -> bool {
        if path.is_empty() || path == "." || path == "./" {
            return false;
        }
        for rule in &self.rules {
            if rule.negate {
                if (rule.must_dir && !is_dir) || !rule.matches(path) {
                    return true;
                }
                continue;
            }
            if rule.must_dir && !is_dir {
                continue;
            }
            if rule.matches(path) {
                return true;
            }
        }
        false
    }

    /// Whether a file at `path` is left out of the chart when loading a folder: it is
    /// ignored, or one of its folders is (Helm then skips the folder's whole content).
    pub fn excludes_file(&self, path: &str) -> bool {
        let mut folders = path.match_indices('/').map(|(i, _)| &path[..i]);
        folders.any(|folder| self.ignored(folder, true)) || self.ignored(path, false)
    }

    /// The rules as written, in order.
    pub fn rules(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().map(|r| r.raw.as_str())
    }

    fn add_rule(&mut self, line: &str, number: usize) -> Result<(), HelmIgnoreError> {
        let raw = line.trim();
        if raw.is_empty() || raw.starts_with('#') {
            return Ok(());
        }
        if raw.contains("**") {
            return Err(HelmIgnoreError::DoubleStar { line: number });
        }
        // Helm validates the rule as written, `!` and trailing `/` included.
        if glob::matches(raw, "abc").is_err() {
            return Err(HelmIgnoreError::BadPattern {
                line: number,
                rule: raw.to_owned(),
            });
        }
        self.rules.push(Rule::new(raw));
        Ok(())
    }
}

impl Rule {
    fn new(raw: &str) -> Self {
        let (negate, rest) = match raw.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (must_dir, rest) = match rest.strip_suffix('/') {
            Some(rest) => (true, rest),
            None => (false, rest),
        };
        let (anchor, glob) = match rest.strip_prefix('/') {
            Some(rooted) => (Anchor::WholePath, rooted),
            None if rest.contains('/') => (Anchor::WholePath, rest),
            None => (Anchor::BaseName, rest),
        };
        Self {
            raw: raw.to_owned(),
            glob: glob.to_owned(),
            anchor,
            negate,
            must_dir,
        }
    }

    /// A glob error while matching counts as no match, as in Helm (which logs it).
    fn matches(&self, path: &str) -> bool {
        let subject = match self.anchor {
            Anchor::WholePath => path,
            Anchor::BaseName => base_name(path),
        };
        glob::matches(&self.glob, subject).unwrap_or(false)
    }
}

/// Go's `filepath.Base` on a `/`-separated path.
fn base_name(path: &str) -> &str {
    if path.is_empty() {
        return ".";
    }
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/";
    }
    match trimmed.rfind('/') {
        Some(i) => &trimmed[i + 1..],
        None => trimmed,
    }
}

#[cfg(test)]
mod tests;
