//! goyaml's map key order (`sorter.go`, `keyList.Less`) for string keys: a "natural" order
//! where runs of digits compare numerically and non-letters sort before letters
//! (`_x, 9, 10, B, Z, a, a9, a10, b-1, é`). yaml.v3 adds one twist: after a shared digit, a
//! letter sorts before a non-letter.

use std::cmp::Ordering;

use crate::resolve::Flavor;
use crate::unicode_tables::{DIGIT, LETTER};

fn in_table(table: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    table
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                Ordering::Less
            } else if lo > c {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        })
        .is_ok()
}

/// Go `unicode.IsLetter`.
pub(crate) fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    in_table(LETTER, c)
}

/// Go `unicode.IsDigit`.
pub(crate) fn is_digit(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    in_table(DIGIT, c)
}

/// `keyList.Less(a, b)` for two string keys.
pub fn key_less(a: &str, b: &str, flavor: Flavor) -> bool {
    let ar: Vec<char> = a.chars().collect();
    let br: Vec<char> = b.chars().collect();
    let mut digits = false;
    let n = ar.len().min(br.len());
    for i in 0..n {
        if ar[i] == br[i] {
            digits = is_digit(ar[i]);
            continue;
        }
        let al = is_letter(ar[i]);
        let bl = is_letter(br[i]);
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            if flavor == Flavor::V3 && digits {
                return al;
            }
            return bl;
        }
        let mut an: i64 = 0;
        let mut bn: i64 = 0;
        if ar[i] == '0' || br[i] == '0' {
            let mut j = i;
            while j > 0 && is_digit(ar[j - 1]) {
                if ar[j - 1] != '0' {
                    an = 1;
                    bn = 1;
                    break;
                }
                j -= 1;
            }
        }
        let mut ai = i;
        while ai < ar.len() && is_digit(ar[ai]) {
            an = an
                .wrapping_mul(10)
                .wrapping_add(i64::from(ar[ai] as u32).wrapping_sub(i64::from(b'0')));
            ai += 1;
        }
        let mut bi = i;
        while bi < br.len() && is_digit(br[bi]) {
            bn = bn
                .wrapping_mul(10)
                .wrapping_add(i64::from(br[bi] as u32).wrapping_sub(i64::from(b'0')));
            bi += 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len() < br.len()
}

/// Sort keys in goyaml's order. Go uses an unstable sort over randomly ordered map keys;
/// for keys the order ranks strictly this gives the same result. A hand-written merge sort is
/// used because the order is not guaranteed transitive for odd keys (`std` sorts may panic on
/// such comparators); the input is bytewise sorted, so the result is deterministic.
pub fn sort_keys(keys: &mut Vec<&str>, flavor: Flavor) {
    if keys.len() < 2 {
        return;
    }
    let mid = keys.len() / 2;
    let mut right = keys.split_off(mid);
    sort_keys(keys, flavor);
    sort_keys(&mut right, flavor);
    let left = std::mem::take(keys);
    let (mut i, mut j) = (0, 0);
    while i < left.len() && j < right.len() {
        if key_less(right[j], left[i], flavor) {
            keys.push(right[j]);
            j += 1;
        } else {
            keys.push(left[i]);
            i += 1;
        }
    }
    keys.extend_from_slice(&left[i..]);
    keys.extend_from_slice(&right[j..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order_from_notes() {
        // Order observed with real Helm toYaml (shared/notes §7 / trap 8).
        let mut keys = vec!["é", "b-1", "a10", "a9", "a", "Z", "B", "10", "9", "_x"];
        sort_keys(&mut keys, Flavor::V2);
        assert_eq!(
            keys,
            vec!["_x", "9", "10", "B", "Z", "a", "a9", "a10", "b-1", "é"]
        );
    }
}
