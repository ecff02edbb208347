//! Semantic versions and constraints as Masterminds/semver v3.5 (Helm's)
//! reads them: loose versions (`v1`, `1.2`), precedence, and constraints with
//! `||` groups, comparison operators, wildcards, `~`, `^` and hyphen ranges.
//!
//! A pre-release version matches a group only when some term of that group
//! names a pre-release itself (v3.5 decides per AND group).

use std::cmp::Ordering;

/// A parsed version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: String,
    pub build: String,
}

/// Why a version or a constraint could not be read (Masterminds' texts).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SemverError {
    #[error("invalid semantic version")]
    InvalidVersion,
    #[error("improper constraint: {}", crate::fmt::quote(.0))]
    InvalidConstraint(String),
}

impl Version {
    /// `NewVersion`: an optional `v`, one to three numbers, `-pre`, `+build`.
    pub fn parse(s: &str) -> Result<Version, SemverError> {
        let body = s.strip_prefix('v').unwrap_or(s);
        let (rest, build) = body.split_once('+').unwrap_or((body, ""));
        let (core, pre) = rest.split_once('-').unwrap_or((rest, ""));
        let ident_ok = |x: &str| {
            x.split('.')
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        };
        if (rest.contains('-') && !ident_ok(pre)) || (body.contains('+') && !ident_ok(build)) {
            return Err(SemverError::InvalidVersion);
        }
        let mut nums = [0u64; 3];
        let parts: Vec<&str> = core.split('.').collect();
        if parts.is_empty() || parts.len() > 3 {
            return Err(SemverError::InvalidVersion);
        }
        for (slot, part) in nums.iter_mut().zip(&parts) {
            if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) {
                return Err(SemverError::InvalidVersion);
            }
            *slot = part.parse().map_err(|_| SemverError::InvalidVersion)?;
        }
        Ok(Version {
            major: nums[0],
            minor: nums[1],
            patch: nums[2],
            pre: pre.to_owned(),
            build: build.to_owned(),
        })
    }

    fn core(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.core()
            .cmp(&other.core())
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (mut xs, mut ys) = (a.split('.'), b.split('.'));
    loop {
        match (xs.next(), ys.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(i), Ok(j)) => i.cmp(&j),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return ord;
                }
            }
        }
    }
}

/// One term's version with wildcards: how many leading parts are fixed.
#[derive(Clone, Debug)]
struct Partial {
    version: Version,
    /// 0 for `*`, 1 for `1.x`, 2 for `1.2.x` or `1.2`, 3 for `1.2.3`.
    fixed: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Lt,
    Ge,
    Le,
    Tilde,
    Caret,
}

#[derive(Clone, Debug)]
struct Term {
    op: Op,
    at: Partial,
}

/// A parsed constraint: any group may match; every term of a group must.
#[derive(Clone, Debug)]
pub struct Constraints {
    groups: Vec<Vec<Term>>,
}

impl Constraints {
    /// `NewConstraint`.
    pub fn parse(s: &str) -> Result<Constraints, SemverError> {
        let bad = || SemverError::InvalidConstraint(s.to_owned());
        let mut groups = Vec::new();
        for group in s.split("||") {
            let mut terms = Vec::new();
            let tokens = tokenize(group).ok_or_else(bad)?;
            let mut i = 0;
            while i < tokens.len() {
                // Hyphen range: A - B.
                if tokens.get(i + 1).map(String::as_str) == Some("-") {
                    let lo = partial(&tokens[i]).ok_or_else(bad)?;
                    let hi = partial(tokens.get(i + 2).ok_or_else(bad)?).ok_or_else(bad)?;
                    terms.push(Term { op: Op::Ge, at: lo });
                    terms.push(Term { op: Op::Le, at: hi });
                    i += 3;
                    continue;
                }
                terms.push(term(&tokens[i]).ok_or_else(bad)?);
                i += 1;
            }
            if terms.is_empty() {
                return Err(bad());
            }
            groups.push(terms);
        }
        Ok(Constraints { groups })
    }

    /// Whether `v` satisfies the constraint.
    pub fn check(&self, v: &Version) -> bool {
        self.groups.iter().any(|terms| {
            let pre_allowed = terms.iter().any(|t| !t.at.version.pre.is_empty());
            (v.pre.is_empty() || pre_allowed) && terms.iter().all(|t| t.check(v))
        })
    }
}

/// Splits a group into operator+version tokens (an operator may be followed by
/// spaces) and lone `-` of hyphen ranges; commas separate like spaces.
fn tokenize(group: &str) -> Option<Vec<String>> {
    let mut tokens: Vec<String> = Vec::new();
    let mut pending_op = String::new();
    for word in group
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if word.chars().all(|c| "=!<>~^".contains(c)) {
            pending_op.push_str(word);
            continue;
        }
        tokens.push(format!("{}{word}", std::mem::take(&mut pending_op)));
    }
    pending_op.is_empty().then_some(tokens)
}

fn term(token: &str) -> Option<Term> {
    let ops = [
        ("~>", Op::Tilde),
        (">=", Op::Ge),
        ("=>", Op::Ge),
        ("<=", Op::Le),
        ("=<", Op::Le),
        ("!=", Op::Ne),
        (">", Op::Gt),
        ("<", Op::Lt),
        ("=", Op::Eq),
        ("~", Op::Tilde),
        ("^", Op::Caret),
    ];
    let (op, rest) = ops
        .iter()
        .find_map(|(p, op)| token.strip_prefix(p).map(|r| (*op, r)))
        .unwrap_or((Op::Eq, token));
    Some(Term {
        op,
        at: partial(rest.trim())?,
    })
}

fn partial(s: &str) -> Option<Partial> {
    let body = s.strip_prefix('v').unwrap_or(s);
    let (rest, build) = body.split_once('+').unwrap_or((body, ""));
    let (core, pre) = rest.split_once('-').unwrap_or((rest, ""));
    let mut nums = [0u64; 3];
    let mut fixed = 0;
    let parts: Vec<&str> = core.split('.').collect();
    if parts.len() > 3 {
        return None;
    }
    for (i, part) in parts.iter().enumerate() {
        if matches!(*part, "x" | "X" | "*") {
            break;
        }
        if fixed != i {
            return None;
        }
        nums[i] = part.parse().ok()?;
        fixed += 1;
    }
    let version = Version {
        major: nums[0],
        minor: nums[1],
        patch: nums[2],
        pre: pre.to_owned(),
        build: build.to_owned(),
    };
    Some(Partial { version, fixed })
}

impl Term {
    fn check(&self, v: &Version) -> bool {
        let c = &self.at.version;
        let fixed = self.at.fixed;
        // The first version past the wildcard range (`1.2.x` → 1.3.0).
        let next = |level: usize| -> Version {
            let (ma, mi, pa) = match level {
                0 => (u64::MAX, 0, 0),
                1 => (c.major + 1, 0, 0),
                2 => (c.major, c.minor + 1, 0),
                _ => (c.major, c.minor, c.patch),
            };
            Version {
                major: ma,
                minor: mi,
                patch: pa,
                pre: String::new(),
                build: String::new(),
            }
        };
        let in_range = |v: &Version| {
            if fixed == 3 {
                v.core() == c.core() && v.pre == c.pre
            } else {
                *v >= base(c) && *v < next(fixed)
            }
        };
        match self.op {
            Op::Eq => in_range(v),
            Op::Ne => !in_range(v),
            Op::Gt => {
                if fixed == 3 {
                    v > c
                } else {
                    *v >= next(fixed)
                }
            }
            Op::Ge => v >= &base(c),
            Op::Lt => v < &base(c),
            Op::Le => {
                if fixed == 3 {
                    v <= c
                } else {
                    *v < next(fixed)
                }
            }
            Op::Tilde => {
                let upper = if fixed <= 1 { next(1) } else { next(2) };
                v >= &base(c) && *v < upper
            }
            Op::Caret => {
                let upper = match (c.major, c.minor, fixed) {
                    (0, 0, 3) => next(3_usize).bump_patch(),
                    (0, 0, 1) => next(1),
                    (0, _, f) if f >= 2 => next(2),
                    _ => next(1),
                };
                v >= &base(c) && *v < upper
            }
        }
    }
}

fn base(c: &Version) -> Version {
    Version {
        build: String::new(),
        ..c.clone()
    }
}

impl Version {
    fn bump_patch(mut self) -> Version {
        self.patch += 1;
        self
    }
}

/// Whether `version` satisfies `constraint`; unparseable input never does.
pub fn satisfies(constraint: &str, version: &str) -> bool {
    match (Constraints::parse(constraint), Version::parse(version)) {
        (Ok(c), Ok(v)) => c.check(&v),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_semver_says() {
        let ordered = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1",
            "v2",
        ];
        for pair in ordered.windows(2) {
            let (a, b) = (
                Version::parse(pair[0]).unwrap(),
                Version::parse(pair[1]).unwrap(),
            );
            assert!(a < b, "{} < {}", pair[0], pair[1]);
        }
        assert!(Version::parse("1.2.3.4").is_err());
        assert!(Version::parse("one").is_err());
    }

    #[test]
    fn constraints_of_the_fixtures_and_the_notes() {
        for (c, v, want) in [
            ("2.x.x", "2.31.4", true),
            ("2.x.x", "3.0.0", false),
            ("1.42.*", "1.42.0", true),
            ("8.4.*", "8.5.0", false),
            (">=1.20.0-0", "v1.36.0", true),
            ("<1.19", "v1.18.5", true),
            (">1.0", "1.1.0-beta", false),
            (">=1.12.3-0", "1.12.3-beta", true),
            ("~1.2", "1.2.9", true),
            ("~1.2", "1.3.0", false),
            ("^1.0", "1.9.9", true),
            ("^1.0", "2.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("*", "5.0.0", true),
            ("*", "5.0.0-rc1", false),
            (">=1.0, <2.0", "1.5.0", true),
            (">= 1.0 < 2.0", "2.0.0", false),
            ("1.0 - 1.4.5", "1.4.5", true),
            ("1.0 - 1.4.5", "1.4.6", false),
            ("<1.0 || >=3.0", "3.1.0", true),
            ("!=1.2.3", "1.2.3", false),
            ("=1.2.3", "1.2.3", true),
        ] {
            assert_eq!(satisfies(c, v), want, "{c} {v}");
        }
        assert!(Constraints::parse("bad constraint!").is_err());
    }
}
