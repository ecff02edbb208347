//! The budget and runner of the fuzz harnesses (`tests/fuzz*.rs` of the parser crates):
//! proptest on stable, deterministic by default, longer on request.
//!
//! - By default each harness runs its own fixed number of cases from a seed derived from its
//!   name, so `make test` is reproducible and bounded (the whole set stays under a minute).
//! - `FUZZ_CASES=N` runs N cases per batch instead; `FUZZ_SECONDS=S` runs batches with
//!   successive seeds until S seconds have passed (`make fuzz`); `FUZZ_SEED=X` starts from seed
//!   X (to replay a failure the report printed); `FUZZ_VERBOSE=1` prints every case before
//!   running it (the last one printed is the one that killed the process).
//! - No failure persistence: a failure prints its seed and minimal input, and the input
//!   becomes a named regression test beside the harness.
//! - A case slower than the harness's `max_case` fails too: bounded time is a property.

use std::fmt::Debug;
use std::time::{Duration, Instant};

use proptest::strategy::Strategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestError, TestRunner};

/// How one harness runs by default.
#[derive(Clone, Copy, Debug)]
pub struct Budget {
    /// Cases per batch when `FUZZ_CASES` is unset.
    pub cases: u32,
    /// The longest one case may take (debug build, shared machine) before it is a failure.
    pub max_case: Duration,
}

impl Budget {
    /// `cases` cases, each allowed 10 seconds.
    pub const fn cases(cases: u32) -> Self {
        Self {
            cases,
            max_case: Duration::from_secs(10),
        }
    }

    /// The same budget with another per-case time limit.
    pub const fn max_case(self, max_case: Duration) -> Self {
        Self { max_case, ..self }
    }
}

fn env_u64(name: &str) -> Option<u64> {
    let raw = std::env::var(name).ok()?;
    match raw.trim().parse() {
        Ok(n) => Some(n),
        Err(_) => panic!("{name}={raw:?} is not a whole number"),
    }
}

/// A stable 64-bit seed from the harness name (FNV-1a), so each harness has its own stream.
fn seed_of(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Runs `property` on inputs from `strategy` within the budget (see the module docs). A
/// failing property, a panic or a case slower than `budget.max_case` fails the test with the
/// seed to replay and the minimal input proptest shrank it to.
pub fn check<S>(
    name: &str,
    budget: Budget,
    strategy: S,
    property: impl Fn(S::Value) -> Result<(), TestCaseError>,
) where
    S: Strategy,
    S::Value: Debug,
{
    let cases = env_u64("FUZZ_CASES").map_or(budget.cases, |n| n.clamp(1, u32::MAX.into()) as u32);
    let seconds = env_u64("FUZZ_SECONDS");
    let first_seed = env_u64("FUZZ_SEED").unwrap_or_else(|| seed_of(name));
    let started = Instant::now();
    let max_case = budget.max_case;
    let verbose = std::env::var_os("FUZZ_VERBOSE").is_some_and(|v| !v.is_empty());
    let timed = |value: S::Value| {
        if verbose {
            // For crashes that kill the process: the last case printed is the culprit.
            let shown = format!("{value:?}");
            let cut = shown
                .char_indices()
                .nth(400)
                .map_or(shown.len(), |(i, _)| i);
            eprintln!("fuzz {name}: case {}", &shown[..cut]);
        }
        let at = Instant::now();
        let result = property(value);
        let took = at.elapsed();
        if result.is_ok() && took > max_case {
            return Err(TestCaseError::fail(format!(
                "one case took {took:?}, over the {max_case:?} a case may take"
            )));
        }
        result
    };
    let mut batches = 0u64;
    loop {
        let seed = first_seed.wrapping_add(batches);
        let config = Config {
            cases,
            rng_seed: RngSeed::Fixed(seed),
            failure_persistence: None,
            max_shrink_iters: 2048,
            max_shrink_time: 120_000,
            ..Config::default()
        };
        // Printed before the batch: a crash that kills the process (stack overflow, abort)
        // leaves this as the last line, which is enough to replay it.
        eprintln!("fuzz {name}: batch {batches}, seed {seed}, {cases} cases");
        let mut runner = TestRunner::new(config);
        match runner.run(&strategy, timed) {
            Ok(()) => {}
            Err(TestError::Fail(reason, input)) => panic!(
                "fuzz {name} failed: {reason}\n  replay: FUZZ_SEED={seed} FUZZ_CASES={cases}\n  \
                 minimal input: {input:#?}"
            ),
            Err(TestError::Abort(reason)) => {
                panic!("fuzz {name} aborted: {reason} (seed {seed})")
            }
        }
        batches += 1;
        let more = seconds.is_some_and(|s| started.elapsed() < Duration::from_secs(s));
        if !more {
            break;
        }
    }
    eprintln!(
        "fuzz {name}: {batches} batches of {cases} cases passed in {:?}",
        started.elapsed()
    );
}

/// Files under the shared fixtures' `charts/` folder whose path (relative to it) `keep`
/// accepts, as (path, bytes), sorted: the seeds of mutation corpora.
pub fn fixture_corpus(keep: impl Fn(&str) -> bool) -> Vec<(String, Vec<u8>)> {
    let root = crate::fixtures::fixtures_dir().join("charts");
    let mut out = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a fixture folder entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(&root)
                .expect("under the root")
                .to_string_lossy()
                .replace('\\', "/");
            if keep(&rel) {
                let bytes = std::fs::read(&path)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
                out.push((rel, bytes));
            }
        }
    }
    out.sort();
    out
}

/// How many lines a YAML reader sees in `text`: line breaks are `\n`, `\r\n`, a lone `\r`,
/// and (YAML 1.1) NEL, LS and PS. A reported line may be one past the last (end of input).
pub fn yaml_lines(text: &str) -> usize {
    let mut breaks = 0;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                breaks += 1;
            }
            '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => breaks += 1,
            _ => {}
        }
    }
    breaks + 1
}

/// One edit of a byte string; positions are taken modulo the length, so any edit applies to
/// any input and shrinking keeps it valid.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Flips one bit.
    Flip { at: usize, bit: u8 },
    /// Overwrites one byte.
    Set { at: usize, byte: u8 },
    /// Inserts bytes (a dictionary token or random bytes).
    Insert { at: usize, bytes: Vec<u8> },
    /// Deletes up to `len` bytes.
    Delete { at: usize, len: usize },
    /// Copies up to `len` bytes from `from` to `at` (repeats structure).
    Repeat { from: usize, len: usize, at: usize },
    /// Cuts the input at `at`.
    Truncate { at: usize },
}

impl Edit {
    /// Applies the edit to `bytes`.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let n = bytes.len();
        let pos = |at: usize, room: usize| if room == 0 { 0 } else { at % room };
        match self {
            Edit::Flip { at, bit } if n > 0 => bytes[pos(*at, n)] ^= 1 << (bit % 8),
            Edit::Set { at, byte } if n > 0 => bytes[pos(*at, n)] = *byte,
            Edit::Flip { .. } | Edit::Set { .. } => {}
            Edit::Insert { at, bytes: new } => {
                let at = pos(*at, n + 1);
                bytes.splice(at..at, new.iter().copied());
            }
            Edit::Delete { at, len } => {
                let at = pos(*at, n + 1);
                let end = at.saturating_add(*len).min(n);
                bytes.drain(at..end);
            }
            Edit::Repeat { from, len, at } => {
                let from = pos(*from, n + 1);
                let end = from.saturating_add(*len).min(n);
                let chunk = bytes[from..end].to_vec();
                let at = pos(*at, n + 1);
                bytes.splice(at..at, chunk);
            }
            Edit::Truncate { at } => bytes.truncate(pos(*at, n + 1)),
        }
    }
}

/// A mutated input: which corpus entry it started from, the edits, and the result.
#[derive(Clone)]
pub struct Mutant {
    pub source: String,
    pub edits: Vec<Edit>,
    pub bytes: Vec<u8>,
}

impl Debug for Mutant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mutant")
            .field("source", &self.source)
            .field("edits", &self.edits)
            .field("bytes", &String::from_utf8_lossy(&self.bytes))
            .finish()
    }
}

/// Edits biased towards `dictionary` (tokens that mean something to the parser under test).
pub fn edit(dictionary: &'static [&'static [u8]]) -> impl Strategy<Value = Edit> + Clone {
    use proptest::prelude::*;
    let at = 0usize..1 << 24;
    let token = if dictionary.is_empty() {
        proptest::collection::vec(any::<u8>(), 1..8).boxed()
    } else {
        prop_oneof![
            3 => proptest::sample::select(dictionary).prop_map(<[u8]>::to_vec),
            1 => proptest::collection::vec(any::<u8>(), 1..8),
        ]
        .boxed()
    };
    prop_oneof![
        2 => (at.clone(), 0u8..8).prop_map(|(at, bit)| Edit::Flip { at, bit }),
        2 => (at.clone(), any::<u8>()).prop_map(|(at, byte)| Edit::Set { at, byte }),
        4 => (at.clone(), token).prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        2 => (at.clone(), 1usize..64).prop_map(|(at, len)| Edit::Delete { at, len }),
        1 => (at.clone(), 1usize..256, at.clone())
            .prop_map(|(from, len, at)| Edit::Repeat { from, len, at }),
        1 => at.prop_map(|at| Edit::Truncate { at }),
    ]
}

/// Inputs made by applying 1..=`max_edits` edits to one entry of `corpus` (name, bytes).
pub fn mutated(
    corpus: Vec<(String, Vec<u8>)>,
    dictionary: &'static [&'static [u8]],
    max_edits: usize,
) -> impl Strategy<Value = Mutant> {
    use proptest::prelude::*;
    assert!(!corpus.is_empty(), "an empty fuzz corpus checks nothing");
    let corpus = std::sync::Arc::new(corpus);
    (
        0..corpus.len(),
        proptest::collection::vec(edit(dictionary), 1..=max_edits.max(1)),
    )
        .prop_map(move |(index, edits)| {
            let (source, original) = &corpus[index];
            let mut bytes = original.clone();
            for e in &edits {
                e.apply(&mut bytes);
            }
            Mutant {
                source: source.clone(),
                edits,
                bytes,
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn seeds_differ_by_name_and_are_stable() {
        assert_ne!(seed_of("a"), seed_of("b"));
        assert_eq!(seed_of("fuzz"), seed_of("fuzz"));
    }

    #[test]
    fn yaml_line_breaks() {
        assert_eq!(yaml_lines(""), 1);
        assert_eq!(yaml_lines("a\r\nb\rc\nd"), 4);
        assert_eq!(yaml_lines("\r{"), 2);
    }

    #[test]
    fn edits_apply_anywhere_and_change_the_input() {
        let mut b = b"abcdef".to_vec();
        Edit::Set { at: 7, byte: b'X' }.apply(&mut b);
        assert_eq!(b, b"aXcdef");
        Edit::Insert {
            at: 6,
            bytes: b"!!".to_vec(),
        }
        .apply(&mut b);
        assert_eq!(b, b"aXcdef!!");
        Edit::Delete { at: 0, len: 2 }.apply(&mut b);
        assert_eq!(b, b"cdef!!");
        Edit::Repeat {
            from: 0,
            len: 2,
            at: 2,
        }
        .apply(&mut b);
        assert_eq!(b, b"cdcdef!!");
        Edit::Truncate { at: 3 }.apply(&mut b);
        assert_eq!(b, b"cdc");
        let mut empty = Vec::new();
        Edit::Flip { at: 3, bit: 1 }.apply(&mut empty);
        assert!(empty.is_empty());
    }

    #[test]
    #[should_panic(expected = "minimal input: 10")]
    fn a_failing_property_reports_its_minimal_input() {
        check("demo", Budget::cases(256), 0u32..1000, |n| {
            prop_assert!(n < 10);
            Ok(())
        });
    }
}
