//! Go's `unicode.IsPrint`, which Helm's loader uses to sanitize `Chart.yaml` text fields.

/// Go's `unicode.IsPrint` (approximated without the full Unicode tables:
/// controls, format characters, non-ASCII spaces, private use and
/// noncharacters are not printable).
pub fn is_print(c: char) -> bool {
    let u = c as u32;
    if u < 0x20 || (0x7F..0xA0).contains(&u) {
        return false;
    }
    if u < 0x7F {
        return true;
    }
    !matches!(u,
        0xA0 | 0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x890..=0x891 | 0x8E2
        | 0x1680 | 0x180E | 0x2000..=0x200F | 0x2028..=0x202F | 0x205F..=0x206F
        | 0x3000 | 0xD800..=0xDFFF | 0xE000..=0xF8FF | 0xFDD0..=0xFDEF | 0xFEFF
        | 0xFFF0..=0xFFFB | 0xFFFE..=0xFFFF | 0x110BD | 0x110CD | 0x13430..=0x1343F
        | 0x1BCA0..=0x1BCA3 | 0x1D173..=0x1D17A | 0xE0000..=0xE0FFF
        | 0xF0000..=0x10FFFF)
        && (u & 0xFFFE) != 0xFFFE
}

#[cfg(test)]
mod tests {
    use super::is_print;

    #[test]
    fn controls_and_format_characters_are_not_printable() {
        for c in ['a', ' ', 'é', '中', '😀'] {
            assert!(is_print(c), "{c:?}");
        }
        for c in [
            '\n', '\t', '\u{7f}', '\u{85}', '\u{a0}', '\u{200b}', '\u{feff}', '\u{e000}',
        ] {
            assert!(!is_print(c), "{c:?}");
        }
    }
}
