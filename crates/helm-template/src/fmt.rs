//! Go's `fmt` printing (`Sprint`, `Sprintln`, `Sprintf` with every verb and
//! flag Helm templates use) and the `strconv` pieces it rests on
//! (`FormatFloat`, `Quote`, `IsPrint`), for this crate's [`Value`] model.
//!
//! Floats are formatted the Go way from Rust's shortest round-trip and exactly
//! rounded digits: `1e+06`, `1.23456789e+08`, `-0`, `1e-05`, `0x1.8p+01`.

use crate::value::{ElemType, List, MAX_NESTING, Map, ObjectKind, Value};

const NIL_ANGLE: &str = "<nil>";
const LDIGITS: &[u8] = b"0123456789abcdefx";
const UDIGITS: &[u8] = b"0123456789ABCDEFX";

/// `fmt.Sprint`: operands printed with `%v`, a space added between operands
/// when neither is a string.
pub fn sprint(args: &[Value]) -> String {
    let mut p = Printer::default();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = matches!(a, Value::String(_));
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
        prev_string = is_string;
    }
    p.buf
}

/// `fmt.Sprintln`: operands printed with `%v`, separated by spaces, then a
/// newline.
pub fn sprintln(args: &[Value]) -> String {
    let mut p = Printer::default();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
    }
    p.buf.push('\n');
    p.buf
}

/// `fmt.Sprintf`.
pub fn sprintf(format: &str, args: &[Value]) -> String {
    let mut p = Printer::default();
    p.do_printf(format, args);
    p.buf
}

/// The `%v` text of one value (`fmt.Sprint(v)`).
pub fn to_string(v: &Value) -> String {
    // The common scalars need no printer state.
    match v {
        Value::String(s) => return s.to_string(),
        Value::Int(i) | Value::Int64(i) => return i.to_string(),
        Value::Bool(b) => return b.to_string(),
        Value::Float(f) => {
            if let Some(s) = integral_g(*f) {
                return s;
            }
        }
        _ => {}
    }
    let mut p = Printer::default();
    p.print_arg(v, 'v');
    p.buf
}

#[derive(Default, Clone, Copy)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
}

#[derive(Default)]
struct Printer {
    buf: String,
    f: Flags,
    wid: usize,
    prec: usize,
    erroring: bool,
    good_arg_num: bool,
    reordered: bool,
}

fn too_large(x: i64) -> bool {
    const MAX: i64 = 1_000_000;
    !(-MAX..=MAX).contains(&x)
}

/// Go's `parsenum`: a decimal number at `s[start..end]`.
fn parsenum(s: &[u8], start: usize, end: usize) -> (i64, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num: i64 = 0;
    let mut isnum = false;
    let mut i = start;
    while i < end && s[i].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + i64::from(s[i] - b'0');
        isnum = true;
        i += 1;
    }
    (num, isnum, i)
}

fn parse_arg_number(format: &[u8]) -> (usize, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (width, ok, newi) = parsenum(format, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            // Argument numbers are one-based; a zero index is out of range.
            return ((width - 1).max(-1) as usize, i + 1, width >= 1);
        }
    }
    (0, 1, false)
}

impl Printer {
    fn arg_number(
        &mut self,
        arg_num: usize,
        format: &[u8],
        i: usize,
        num_args: usize,
    ) -> (usize, usize, bool) {
        if format.len() <= i || format[i] != b'[' {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&format[i..]);
        if ok && index < num_args {
            return (index, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
        let mut new_arg = arg_num;
        let mut num = 0;
        let mut is_int = false;
        if arg_num < args.len() {
            if let Value::Int(i) | Value::Int64(i) = &args[arg_num] {
                num = *i;
                is_int = true;
            }
            new_arg = arg_num + 1;
            if too_large(num) {
                num = 0;
                is_int = false;
            }
        }
        (num, is_int, new_arg)
    }

    fn do_printf(&mut self, format: &str, a: &[Value]) {
        let fb = format.as_bytes();
        let end = fb.len();
        let mut arg_num = 0usize;
        let mut after_index;
        self.reordered = false;
        let mut i = 0;
        'format_loop: while i < end {
            self.good_arg_num = true;
            let lasti = i;
            while i < end && fb[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.push_str(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            // Flags.
            while i < end {
                let c = fb[i];
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = true,
                    b'+' => self.f.plus = true,
                    b'-' => self.f.minus = true,
                    b' ' => self.f.space = true,
                    _ => {
                        if c.is_ascii_lowercase() && arg_num < a.len() {
                            let verb = c as char;
                            if verb == 'v' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print_arg(&a[arg_num], verb);
                            arg_num += 1;
                            i += 1;
                            continue 'format_loop;
                        }
                        break;
                    }
                }
                i += 1;
            }
            // Argument index.
            (arg_num, i, after_index) = self.arg_number(arg_num, fb, i, a.len());
            // Width.
            if i < end && fb[i] == b'*' {
                i += 1;
                let (w, ok, na) = Self::int_from_arg(a, arg_num);
                arg_num = na;
                self.f.wid_present = ok;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                }
                if w < 0 {
                    self.wid = w.unsigned_abs() as usize;
                    self.f.minus = true;
                    self.f.zero = false;
                } else {
                    self.wid = w as usize;
                }
                after_index = false;
            } else {
                let (w, ok, ni) = parsenum(fb, i, end);
                self.wid = w as usize;
                self.f.wid_present = ok;
                i = ni;
                if after_index && self.f.wid_present {
                    self.good_arg_num = false;
                }
            }
            // Precision.
            if i + 1 < end && fb[i] == b'.' {
                i += 1;
                if after_index {
                    self.good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, fb, i, a.len());
                if i < end && fb[i] == b'*' {
                    i += 1;
                    let (p, ok, na) = Self::int_from_arg(a, arg_num);
                    arg_num = na;
                    self.f.prec_present = ok;
                    if p < 0 {
                        self.prec = 0;
                        self.f.prec_present = false;
                    } else {
                        self.prec = p as usize;
                    }
                    if !self.f.prec_present {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, ok, ni) = parsenum(fb, i, end);
                    i = ni;
                    self.prec = p as usize;
                    self.f.prec_present = true;
                    if !ok {
                        self.prec = 0;
                    }
                }
            }
            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, fb, i, a.len());
            }
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let Some(verb) = format[i..].chars().next() else {
                break;
            };
            i += verb.len_utf8();
            if verb == '%' {
                self.buf.push('%');
            } else if !self.good_arg_num {
                self.bad_arg(verb, "BADINDEX");
            } else if arg_num >= a.len() {
                self.bad_arg(verb, "MISSING");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&a[arg_num], verb);
                arg_num += 1;
            }
        }
        if !self.reordered && arg_num < a.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, arg) in a[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if arg.is_nil() {
                    self.buf.push_str(NIL_ANGLE);
                } else {
                    self.buf.push_str(&arg.type_name());
                    self.buf.push('=');
                    self.print_arg(arg, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    fn bad_arg(&mut self, verb: char, what: &str) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        self.buf.push_str(what);
        self.buf.push(')');
    }

    // ----- padding -----

    fn write_padding(&mut self, n: usize) {
        let pad = if self.f.zero && !self.f.minus {
            '0'
        } else {
            ' '
        };
        for _ in 0..n {
            self.buf.push(pad);
        }
    }

    fn pad_string(&mut self, s: &str) {
        if !self.f.wid_present || self.wid == 0 {
            self.buf.push_str(s);
            return;
        }
        let width = self.wid.saturating_sub(s.chars().count());
        if !self.f.minus {
            self.write_padding(width);
            self.buf.push_str(s);
        } else {
            self.buf.push_str(s);
            self.write_padding(width);
        }
    }

    fn bad_verb(&mut self, verb: char, v: Option<&Value>) {
        self.erroring = true;
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        match v {
            Some(v) if !v.is_nil() => {
                self.buf.push_str(&v.type_name());
                self.buf.push('=');
                self.print_value(v, 'v', 0);
            }
            _ => self.buf.push_str(NIL_ANGLE),
        }
        self.buf.push(')');
        self.erroring = false;
    }

    // ----- dispatch -----

    fn print_arg(&mut self, arg: &Value, verb: char) {
        if arg.is_nil() {
            match verb {
                'T' | 'v' => self.pad_string(NIL_ANGLE),
                _ => self.bad_verb(verb, None),
            }
            return;
        }
        match verb {
            'T' => {
                let t = arg.type_name();
                self.fmt_s(&t);
                return;
            }
            'p' => {
                self.fmt_pointer(arg, verb);
                return;
            }
            _ => {}
        }
        if let Value::Bytes(b) = arg {
            self.fmt_bytes(b, verb, "[]byte", arg);
            return;
        }
        self.print_value(arg, verb, 0);
    }

    /// Print an element of a container whose static element type is
    /// `elem`: a nil interface prints `<nil>`.
    fn print_elem(&mut self, v: &Value, elem: ElemType, verb: char, depth: usize) {
        if v.is_nil() && elem == ElemType::Interface {
            if self.f.sharp_v {
                self.buf.push_str("interface {}(nil)");
            } else {
                self.fmt_s(NIL_ANGLE);
            }
            return;
        }
        self.print_value(v, verb, depth + 1);
    }

    fn handle_methods(&mut self, v: &Value, verb: char) -> bool {
        if self.erroring || self.f.sharp_v {
            return false;
        }
        if let Value::Object(o) = v
            && matches!(verb, 'v' | 's' | 'x' | 'X' | 'q')
            && let Some(s) = o.stringer()
        {
            self.fmt_string(&s, verb, v);
            return true;
        }
        false
    }

    fn print_value(&mut self, v: &Value, verb: char, depth: usize) {
        if depth > MAX_NESTING {
            self.buf.push_str("...");
            return;
        }
        if depth > 0 {
            match verb {
                'T' => {
                    let t = v.type_name();
                    self.fmt_s(&t);
                    return;
                }
                'p' => {
                    self.fmt_pointer(v, verb);
                    return;
                }
                _ => {}
            }
        }
        if self.handle_methods(v, verb) {
            return;
        }
        match v {
            Value::Nil => match verb {
                'v' => self.fmt_s(NIL_ANGLE),
                _ => self.bad_verb(verb, None),
            },
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad_string(if *b { "true" } else { "false" }),
                _ => self.bad_verb(verb, Some(v)),
            },
            Value::Int(i) | Value::Int64(i) => self.fmt_int(*i, verb, v),
            Value::Float(f) => self.fmt_float_verb(*f, verb, v),
            Value::String(s) => self.fmt_string(s, verb, v),
            Value::Bytes(b) => self.fmt_bytes(b, verb, "[]uint8", v),
            Value::List(l) => self.print_list(l, verb, depth, &v.type_name()),
            Value::Map(m) => self.print_map(m, verb, depth),
            Value::Object(o) => match o.kind() {
                ObjectKind::Named => match o.underlying() {
                    Some(u) => self.print_value(&u, verb, depth),
                    None => self.print_struct(&o.fields(), verb, depth, &o.type_name()),
                },
                ObjectKind::Struct => self.print_struct(&o.fields(), verb, depth, &o.type_name()),
                ObjectKind::Pointer => {
                    if depth == 0 {
                        self.buf.push('&');
                        let t = o.type_name();
                        let t = t.strip_prefix('*').unwrap_or(&t).to_string();
                        self.print_struct(&o.fields(), verb, depth + 1, &t);
                    } else {
                        self.fmt_pointer(v, verb);
                    }
                }
            },
        }
    }

    fn print_list(&mut self, l: &List, verb: char, depth: usize, type_name: &str) {
        if self.f.sharp_v {
            self.buf.push_str(type_name);
            self.buf.push('{');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    self.buf.push_str(", ");
                }
                self.print_elem(e, l.elem(), verb, depth);
            }
            self.buf.push('}');
        } else {
            self.buf.push('[');
            for (i, e) in l.iter().enumerate() {
                if i > 0 {
                    self.buf.push(' ');
                }
                self.print_elem(e, l.elem(), verb, depth);
            }
            self.buf.push(']');
        }
    }

    fn print_map(&mut self, m: &Map, verb: char, depth: usize) {
        if self.f.sharp_v {
            self.buf.push_str(&m.type_name());
            self.buf.push('{');
        } else {
            self.buf.push_str("map[");
        }
        for (i, (k, val)) in m.entries().iter().enumerate() {
            if i > 0 {
                if self.f.sharp_v {
                    self.buf.push_str(", ");
                } else {
                    self.buf.push(' ');
                }
            }
            let key = Value::String(k.clone());
            self.print_value(&key, verb, depth + 1);
            self.buf.push(':');
            self.print_elem(val, m.elem(), verb, depth);
        }
        if self.f.sharp_v {
            self.buf.push('}');
        } else {
            self.buf.push(']');
        }
    }

    fn print_struct(
        &mut self,
        fields: &[(String, Value)],
        verb: char,
        depth: usize,
        type_name: &str,
    ) {
        if self.f.sharp_v {
            self.buf.push_str(type_name);
        }
        self.buf.push('{');
        for (i, (name, val)) in fields.iter().enumerate() {
            if i > 0 {
                if self.f.sharp_v {
                    self.buf.push_str(", ");
                } else {
                    self.buf.push(' ');
                }
            }
            if self.f.plus_v || self.f.sharp_v {
                self.buf.push_str(name);
                self.buf.push(':');
            }
            self.print_elem(val, ElemType::Interface, verb, depth);
        }
        self.buf.push('}');
    }

    fn fmt_pointer(&mut self, v: &Value, verb: char) {
        let pointer_like = matches!(v, Value::Map(_) | Value::List(_) | Value::Bytes(_))
            || matches!(v, Value::Object(o) if o.kind() == ObjectKind::Pointer);
        if !pointer_like {
            self.bad_verb(verb, Some(v));
            return;
        }
        match verb {
            'p' | 'v' | 'b' | 'd' | 'o' | 'x' | 'X' => {
                // Addresses are not reproducible; print a fixed heap-like one.
                self.pad_string("0xc000010000");
            }
            _ => self.bad_verb(verb, Some(v)),
        }
    }

    // ----- scalars -----

    fn fmt_int(&mut self, i: i64, verb: char, v: &Value) {
        let u = i as u64;
        match verb {
            'v' | 'd' => self.fmt_integer(u, 10, true, verb, LDIGITS),
            'b' => self.fmt_integer(u, 2, true, verb, LDIGITS),
            'o' | 'O' => self.fmt_integer(u, 8, true, verb, LDIGITS),
            'x' => self.fmt_integer(u, 16, true, verb, LDIGITS),
            'X' => self.fmt_integer(u, 16, true, verb, UDIGITS),
            'c' => self.fmt_c(u),
            'q' => self.fmt_qc(u),
            'U' => self.fmt_unicode(u),
            _ => self.bad_verb(verb, Some(v)),
        }
    }

    fn fmt_integer(&mut self, mut u: u64, base: u64, signed: bool, verb: char, digits: &[u8]) {
        let negative = signed && (u as i64) < 0;
        if negative {
            u = u.wrapping_neg();
        }
        let mut prec = 0usize;
        if self.f.prec_present {
            prec = self.prec;
            if prec == 0 && u == 0 {
                let old = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.wid);
                self.f.zero = old;
                return;
            }
        } else if self.f.zero && !self.f.minus && self.f.wid_present {
            prec = self.wid;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let mut rev: Vec<u8> = Vec::with_capacity(24);
        loop {
            rev.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while rev.len() < prec {
            rev.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => rev.extend_from_slice(b"b0"),
                8 if rev.last() != Some(&b'0') => rev.push(b'0'),
                16 => {
                    rev.push(digits[16]);
                    rev.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            rev.extend_from_slice(b"o0");
        }
        if negative {
            rev.push(b'-');
        } else if self.f.plus {
            rev.push(b'+');
        } else if self.f.space {
            rev.push(b' ');
        }
        rev.reverse();
        let s: String = rev.into_iter().map(char::from).collect();
        let old = self.f.zero;
        self.f.zero = false;
        self.pad_string(&s);
        self.f.zero = old;
    }

    fn fmt_c(&mut self, c: u64) {
        let r = u32::try_from(c)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}');
        let mut b = [0u8; 4];
        self.pad_string(r.encode_utf8(&mut b));
    }

    fn fmt_qc(&mut self, c: u64) {
        let r = u32::try_from(c)
            .ok()
            .and_then(char::from_u32)
            .unwrap_or('\u{FFFD}');
        let s = quote_rune_with(r, self.f.plus);
        self.pad_string(&s);
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut prec = 4;
        if self.f.prec_present && self.prec > 4 {
            prec = self.prec;
        }
        let mut s = format!("{u:X}");
        while s.len() < prec {
            s.insert(0, '0');
        }
        s.insert_str(0, "U+");
        if self.f.sharp
            && let Some(c) = u32::try_from(u).ok().and_then(char::from_u32)
            && is_print(c)
        {
            s.push_str(" '");
            s.push(c);
            s.push('\'');
        }
        let old = self.f.zero;
        self.f.zero = false;
        self.pad_string(&s);
        self.f.zero = old;
    }

    fn fmt_float_verb(&mut self, f: f64, verb: char, v: &Value) {
        match verb {
            'v' => self.fmt_float(f, 'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float(f, verb, -1),
            'f' | 'e' | 'E' => self.fmt_float(f, verb, 6),
            'F' => self.fmt_float(f, 'f', 6),
            _ => self.bad_verb(verb, Some(v)),
        }
    }

    fn fmt_float(&mut self, v: f64, verb: char, mut prec: i64) {
        if self.f.prec_present {
            prec = self.prec as i64;
        }
        let s = format_float(v, verb, prec);
        let mut num: Vec<u8> = Vec::with_capacity(s.len() + 1);
        if s.starts_with('-') || s.starts_with('+') {
            num.extend_from_slice(s.as_bytes());
        } else {
            num.push(b'+');
            num.extend_from_slice(s.as_bytes());
        }
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        if num[1] == b'I' || num[1] == b'N' {
            let old = self.f.zero;
            self.f.zero = false;
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            let st = String::from_utf8_lossy(&num).into_owned();
            self.pad_string(&st);
            self.f.zero = old;
            return;
        }
        if self.f.sharp && verb != 'b' {
            let mut digits: i64 = match verb {
                'v' | 'g' | 'G' | 'x' => {
                    if prec == -1 {
                        6
                    } else {
                        prec
                    }
                }
                _ => 0,
            };
            let mut tail: Vec<u8> = Vec::new();
            let mut has_dot = false;
            let mut saw_nonzero = false;
            let mut i = 1;
            while i < num.len() {
                match num[i] {
                    b'.' => has_dot = true,
                    b'p' | b'P' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    b'e' | b'E' if verb != 'x' && verb != 'X' => {
                        tail.extend_from_slice(&num[i..]);
                        num.truncate(i);
                        break;
                    }
                    c => {
                        if c != b'0' {
                            saw_nonzero = true;
                        }
                        if saw_nonzero {
                            digits -= 1;
                        }
                    }
                }
                i += 1;
            }
            if !has_dot {
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        let st = String::from_utf8_lossy(&num).into_owned();
        if self.f.plus || num[0] != b'+' {
            if self.f.zero && !self.f.minus && self.f.wid_present && self.wid > num.len() {
                self.buf.push(num[0] as char);
                self.write_padding(self.wid - num.len());
                self.buf.push_str(&st[1..]);
                return;
            }
            self.pad_string(&st);
            return;
        }
        self.pad_string(&st[1..]);
    }

    fn truncate<'s>(&self, s: &'s str) -> &'s str {
        if self.f.prec_present
            && let Some((i, _)) = s.char_indices().nth(self.prec)
        {
            return &s[..i];
        }
        s
    }

    fn fmt_s(&mut self, s: &str) {
        let s = self.truncate(s).to_string();
        self.pad_string(&s);
    }

    fn fmt_q(&mut self, s: &str) {
        let s = self.truncate(s).to_string();
        if self.f.sharp && can_backquote(&s) {
            self.pad_string(&format!("`{s}`"));
            return;
        }
        let q = quote_bytes(s.as_bytes(), b'"', self.f.plus);
        self.pad_string(&q);
    }

    fn fmt_sbx(&mut self, b: &[u8], digits: &[u8]) {
        let mut length = b.len();
        if self.f.prec_present && self.prec < length {
            length = self.prec;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.wid);
            }
            return;
        }
        if self.f.wid_present && self.wid > width && !self.f.minus {
            self.write_padding(self.wid - width);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(digits[16] as char);
        }
        for (i, c) in b.iter().take(length).enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(digits[16] as char);
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xF) as usize] as char);
        }
        if self.f.wid_present && self.wid > width && self.f.minus {
            self.write_padding(self.wid - width);
        }
    }

    fn fmt_string(&mut self, s: &str, verb: char, v: &Value) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s)
                } else {
                    self.fmt_s(s)
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sbx(s.as_bytes(), LDIGITS),
            'X' => self.fmt_sbx(s.as_bytes(), UDIGITS),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, Some(v)),
        }
    }

    fn fmt_bytes(&mut self, b: &[u8], verb: char, type_string: &str, v: &Value) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.buf.push_str(type_string);
                    self.buf.push('{');
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        let old = self.f.sharp;
                        self.f.sharp = true;
                        self.fmt_integer(u64::from(*c), 16, false, 'v', LDIGITS);
                        self.f.sharp = old;
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.fmt_integer(u64::from(*c), 10, false, verb, LDIGITS);
                    }
                    self.buf.push(']');
                }
            }
            's' => {
                let s = String::from_utf8_lossy(b).into_owned();
                self.fmt_s(&s);
            }
            'x' => self.fmt_sbx(b, LDIGITS),
            'X' => self.fmt_sbx(b, UDIGITS),
            'q' => {
                let q = quote_bytes(b, b'"', self.f.plus);
                self.pad_string(&q);
            }
            _ => {
                // Go prints each element with the verb.
                self.buf.push('[');
                for (i, c) in b.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.fmt_int(i64::from(*c), verb, v);
                }
                self.buf.push(']');
            }
        }
    }
}

// ----- strconv.FormatFloat -----

/// Decimal digits of |v| and the decimal point position (Go's `decimalSlice`):
/// the value is `0.DIGITS × 10^dp`. Zero has no digits.
fn shortest_digits(v: f64) -> (Vec<u8>, i64) {
    if v == 0.0 {
        return (Vec::new(), 0);
    }
    sci_digits(&format!("{:e}", v.abs()))
}

/// Digits of |v| rounded to `n` significant digits, trailing zeros trimmed.
fn precise_digits(v: f64, n: usize) -> (Vec<u8>, i64) {
    if v == 0.0 {
        return (Vec::new(), 0);
    }
    let (mut d, dp) = sci_digits(&format!("{:.*e}", n.saturating_sub(1), v.abs()));
    while d.last() == Some(&b'0') {
        d.pop();
    }
    (d, dp)
}

fn sci_digits(s: &str) -> (Vec<u8>, i64) {
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    let exp: i64 = exp.parse().unwrap_or(0);
    (digits, exp + 1)
}

fn fmt_e(out: &mut String, d: &[u8], dp: i64, prec: i64, fmt: char) {
    out.push(if d.is_empty() { '0' } else { d[0] as char });
    if prec > 0 {
        out.push('.');
        let mut i = 1usize;
        let m = d.len().min(prec as usize + 1);
        if i < m {
            out.extend(d[i..m].iter().map(|&c| c as char));
            i = m;
        }
        while (i as i64) <= prec {
            out.push('0');
            i += 1;
        }
    }
    out.push(fmt);
    let mut exp = dp - 1;
    if d.is_empty() {
        exp = 0;
    }
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
}

fn fmt_f(out: &mut String, d: &[u8], dp: i64, prec: i64) {
    if dp > 0 {
        let m = d.len().min(dp as usize);
        out.extend(d[..m].iter().map(|&c| c as char));
        for _ in m as i64..dp {
            out.push('0');
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            let j = dp + i - 1;
            if j >= 0 && (j as usize) < d.len() {
                out.push(d[j as usize] as char);
            } else {
                out.push('0');
            }
        }
    }
}

/// Go's `strconv.FormatFloat(v, fmt, prec, 64)` for the formats
/// `b e E f g G x X` (prec −1 = shortest round-trip digits).
/// The shortest `%g` of an integral value below 1e6, which is its integer
/// digits (the common case: numbers read from values files); `None` for
/// every other value.
fn integral_g(v: f64) -> Option<String> {
    if v.fract() != 0.0 || v.abs() >= 1e6 {
        return None;
    }
    // Exact: |v| is an integer below 1e6. Go keeps the sign of -0.
    let digits = (v.abs() as i64).to_string();
    Some(if v.is_sign_negative() {
        format!("-{digits}")
    } else {
        digits
    })
}

pub fn format_float(v: f64, fmt: char, prec: i64) -> String {
    if v.is_nan() {
        return "NaN".to_string();
    }
    if v.is_infinite() {
        return if v > 0.0 { "+Inf" } else { "-Inf" }.to_string();
    }
    let neg = v.is_sign_negative();
    let mut out = String::new();
    match fmt {
        'b' => return fmt_b(v),
        'x' | 'X' => return fmt_x(v, prec, fmt),
        _ => {}
    }
    if neg {
        out.push('-');
    }
    let shortest = prec < 0;
    if shortest
        && matches!(fmt, 'g' | 'G')
        && let Some(s) = integral_g(v)
    {
        return s;
    }
    match fmt {
        'e' | 'E' => {
            let (d, dp) = if shortest {
                shortest_digits(v)
            } else {
                precise_digits(v, prec as usize + 1)
            };
            let p = if shortest { d.len() as i64 - 1 } else { prec };
            fmt_e(&mut out, &d, dp, p, fmt);
        }
        'f' => {
            if shortest {
                let (d, dp) = shortest_digits(v);
                fmt_f(&mut out, &d, dp, (d.len() as i64 - dp).max(0));
            } else {
                out.push_str(&format!("{:.*}", prec as usize, v.abs()));
            }
        }
        'g' | 'G' => {
            let (d, dp, mut p) = if shortest {
                let (d, dp) = shortest_digits(v);
                let n = d.len() as i64;
                (d, dp, n)
            } else {
                let p = if prec == 0 { 1 } else { prec };
                let (d, dp) = precise_digits(v, p as usize);
                (d, dp, p)
            };
            let nd = d.len() as i64;
            let mut eprec = p;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            let efmt = if fmt == 'g' { 'e' } else { 'E' };
            if exp < -4 || exp >= eprec {
                if p > nd {
                    p = nd;
                }
                fmt_e(&mut out, &d, dp, p - 1, efmt);
            } else {
                if p > dp {
                    p = nd;
                }
                fmt_f(&mut out, &d, dp, (p - dp).max(0));
            }
        }
        other => {
            out.clear();
            out.push('%');
            out.push(other);
        }
    }
    out
}

fn float_parts(v: f64) -> (bool, u64, i64) {
    let bits = v.to_bits();
    let neg = bits >> 63 != 0;
    let mut exp = ((bits >> 52) & 0x7FF) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    if exp == 0 {
        exp += 1;
    } else {
        mant |= 1u64 << 52;
    }
    exp -= 1023;
    (neg, mant, exp)
}

fn fmt_b(v: f64) -> String {
    let (neg, mant, exp) = float_parts(v);
    let exp = exp - 52;
    format!(
        "{}{}p{}{}",
        if neg { "-" } else { "" },
        mant,
        if exp >= 0 { "+" } else { "" },
        exp
    )
}

fn fmt_x(v: f64, prec: i64, fmt: char) -> String {
    let (neg, mut mant, mut exp) = float_parts(v);
    if mant == 0 {
        exp = 0;
    }
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1u64 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex: &[u8] = if fmt == 'X' {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    out.push('0');
    out.push(fmt);
    out.push((b'0' + ((mant >> 60) & 1) as u8) as char);
    mant <<= 4;
    if prec < 0 && mant != 0 {
        out.push('.');
        while mant != 0 {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    } else if prec > 0 {
        out.push('.');
        for _ in 0..prec {
            out.push(hex[((mant >> 60) & 15) as usize] as char);
            mant <<= 4;
        }
    }
    out.push(if fmt == 'X' { 'P' } else { 'p' });
    if exp < 0 {
        out.push('-');
        exp = -exp;
    } else {
        out.push('+');
    }
    if exp < 10 {
        out.push('0');
    }
    out.push_str(&exp.to_string());
    out
}

// ----- strconv quoting -----

pub use helm_yaml::is_print;

fn push_escaped(out: &mut String, r: char, quote: u8, ascii_only: bool) {
    if r as u32 == u32::from(quote) || r == '\\' {
        out.push('\\');
        out.push(r);
        return;
    }
    if ascii_only {
        if (r as u32) < 0x80 && is_print(r) {
            out.push(r);
            return;
        }
    } else if is_print(r) {
        out.push(r);
        return;
    }
    match r {
        '\x07' => out.push_str("\\a"),
        '\x08' => out.push_str("\\b"),
        '\x0C' => out.push_str("\\f"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\x0B' => out.push_str("\\v"),
        _ => {
            let u = r as u32;
            if u < 0x20 || u == 0x7F {
                out.push_str(&format!("\\x{u:02x}"));
            } else if u < 0x10000 {
                out.push_str(&format!("\\u{u:04x}"));
            } else {
                out.push_str(&format!("\\U{u:08x}"));
            }
        }
    }
}

/// Decode one UTF-8 sequence at the start of `b`: the char and its length,
/// or None for an invalid byte (length 1).
fn decode_utf8(b: &[u8]) -> (Option<char>, usize) {
    let n = match b[0] {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return (None, 1),
    };
    if b.len() < n {
        return (None, 1);
    }
    match std::str::from_utf8(&b[..n]) {
        Ok(s) => (s.chars().next(), n),
        Err(_) => (None, 1),
    }
}

fn quote_bytes(b: &[u8], quote: u8, ascii_only: bool) -> String {
    let mut out = String::with_capacity(b.len() + 2);
    quote_bytes_into(&mut out, b, quote, ascii_only);
    out
}

/// [`quote_bytes`], appending to `out`.
fn quote_bytes_into(out: &mut String, b: &[u8], quote: u8, ascii_only: bool) {
    out.reserve(b.len() + 2);
    out.push(quote as char);
    let mut i = 0;
    while i < b.len() {
        // Printable ASCII other than the quote and the backslash is copied
        // as it is, a run at a time.
        let run = b[i..]
            .iter()
            .position(|&c| !(0x20..0x7F).contains(&c) || c == quote || c == b'\\')
            .unwrap_or(b.len() - i);
        if run > 0 {
            out.push_str(std::str::from_utf8(&b[i..i + run]).unwrap_or_default());
            i += run;
            continue;
        }
        let (c, n) = decode_utf8(&b[i..]);
        match c {
            Some(c) => push_escaped(out, c, quote, ascii_only),
            None => out.push_str(&format!("\\x{:02x}", b[i])),
        }
        i += n;
    }
    out.push(quote as char);
}

/// Go's `strconv.Quote`.
pub fn quote(s: &str) -> String {
    quote_bytes(s.as_bytes(), b'"', false)
}

/// Go's `strconv.Quote`, appending to `out`.
pub fn quote_into(out: &mut String, s: &str) {
    quote_bytes_into(out, s.as_bytes(), b'"', false)
}

/// Go's `strconv.QuoteToASCII`.
pub fn quote_to_ascii(s: &str) -> String {
    quote_bytes(s.as_bytes(), b'"', true)
}

fn quote_rune_with(r: char, ascii_only: bool) -> String {
    let mut out = String::from("'");
    push_escaped(&mut out, r, b'\'', ascii_only);
    out.push('\'');
    out
}

/// Go's `strconv.QuoteRune`.
pub fn quote_rune(r: char) -> String {
    quote_rune_with(r, false)
}

/// Go's `strconv.CanBackquote`.
pub fn can_backquote(s: &str) -> bool {
    s.chars().all(|c| {
        c != '`' && c != '\u{FEFF}' && (c == '\t' || !((c as u32) < 0x20 || c as u32 == 0x7F))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(v: f64) -> String {
        to_string(&Value::Float(v))
    }

    #[test]
    fn float_shortest_g() {
        assert_eq!(f(1000000.0), "1e+06");
        assert_eq!(f(123456789.0), "1.23456789e+08");
        assert_eq!(f(100000.0), "100000");
        assert_eq!(f(1234567.0), "1.234567e+06");
        assert_eq!(f(123456.7), "123456.7");
        assert_eq!(f(1.0), "1");
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(0.00001), "1e-05");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(12345678901234567890.0), "1.2345678901234567e+19");
        assert_eq!(f(999999.5), "999999.5");
        assert_eq!(f(999999.0), "999999");
        assert_eq!(f(-999999.0), "-999999");
        assert_eq!(f(-1000000.0), "-1e+06");
        assert_eq!(f(0.0), "0");
        assert_eq!(format_float(-0.0, 'g', -1), "-0");
        assert_eq!(format_float(42.0, 'G', -1), "42");
        assert_eq!(
            sprintf(
                "%5v|%-4v|%+v|%+g",
                &[
                    Value::Float(7.0),
                    Value::Float(-3.0),
                    Value::Float(2.0),
                    Value::Float(2.0)
                ]
            ),
            "    7|-3  |2|+2"
        );
        assert_eq!(f(0.0), "0");
        assert_eq!(f(1e21), "1e+21");
        assert_eq!(f(1e100), "1e+100");
        assert_eq!(f(5e-324), "5e-324");
    }

    #[test]
    fn format_float_modes() {
        assert_eq!(format_float(3.0, 'x', -1), "0x1.8p+01");
        assert_eq!(format_float(1.0, 'x', -1), "0x1p+00");
        assert_eq!(format_float(0.0, 'x', -1), "0x0p+00");
        assert_eq!(format_float(1.0, 'b', -1), "4503599627370496p-52");
        assert_eq!(format_float(3.0, 'f', 1), "3.0");
        assert_eq!(format_float(2.5, 'f', 0), "2");
        assert_eq!(format_float(1234.5678, 'e', 2), "1.23e+03");
        assert_eq!(format_float(0.0, 'e', 6), "0.000000e+00");
        assert_eq!(format_float(1.0, 'g', 3), "1");
        assert_eq!(format_float(1234.0, 'g', 3), "1.23e+03");
        assert_eq!(format_float(100.0, 'g', 3), "100");
        assert_eq!(format_float(100.0, 'g', 2), "1e+02");
        assert_eq!(format_float(1.5, 'g', 3), "1.5");
        assert_eq!(format_float(f64::INFINITY, 'g', -1), "+Inf");
        assert_eq!(format_float(f64::NAN, 'g', -1), "NaN");
    }

    fn pf(fmt: &str, args: &[Value]) -> String {
        sprintf(fmt, args)
    }

    #[test]
    fn printf_verbs() {
        let three = Value::Float(3.0);
        assert_eq!(pf("%d", std::slice::from_ref(&three)), "%!d(float64=3)");
        assert_eq!(pf("%s", std::slice::from_ref(&three)), "%!s(float64=3)");
        assert_eq!(
            pf("%s", &[Value::list(vec![Value::Float(1.0), "a".into()])]),
            "[%!s(float64=1) a]"
        );
        assert_eq!(pf("%s", &[Value::Bool(true)]), "%!s(bool=true)");
        assert_eq!(pf("%q", &["abc".into()]), "\"abc\"");
        assert_eq!(pf("%x", std::slice::from_ref(&three)), "0x1.8p+01");
        assert_eq!(pf("%T", std::slice::from_ref(&three)), "float64");
        assert_eq!(pf("%T", &[Value::list(vec![])]), "[]interface {}");
        assert_eq!(
            pf("%T", &[Value::Map(Map::new())]),
            "map[string]interface {}"
        );
        let m = Map::from_pairs([("b", Value::Float(2.0)), ("a", Value::Float(1.0))]);
        assert_eq!(
            pf("%#v", &[Value::Map(m.clone())]),
            "map[string]interface {}{\"a\":1, \"b\":2}"
        );
        assert_eq!(pf("%v", &[Value::Map(m)]), "map[a:1 b:2]");
        assert_eq!(
            pf("%v|%s|%d", &[Value::Nil, Value::Nil, Value::Nil]),
            "<nil>|%!s(<nil>)|%!d(<nil>)"
        );
        assert_eq!(pf("a", &["b".into()]), "a%!(EXTRA string=b)");
        assert_eq!(pf("a %s", &[]), "a %!s(MISSING)");
        assert_eq!(pf("%.1f", std::slice::from_ref(&three)), "3.0");
        assert_eq!(pf("%05d", &[Value::Int(3)]), "00003");
        assert_eq!(pf("%-5d|", &[Value::Int(3)]), "3    |");
        assert_eq!(pf("%+d", &[Value::Int(3)]), "+3");
        assert_eq!(
            pf(
                "%x %X %o %b %#x %#o",
                &[
                    Value::Int(255),
                    Value::Int(255),
                    Value::Int(8),
                    Value::Int(5),
                    Value::Int(255),
                    Value::Int(8)
                ]
            ),
            "ff FF 10 101 0xff 010"
        );
        assert_eq!(pf("%c%c", &[Value::Int(97), Value::Int(0x1F600)]), "a😀");
        assert_eq!(
            pf("%U %#U", &[Value::Int(0x41), Value::Int(0x41)]),
            "U+0041 U+0041 'A'"
        );
        assert_eq!(pf("%t", &[Value::Bool(false)]), "false");
        assert_eq!(
            pf(
                "%e %E %g",
                &[
                    Value::Float(1234.5678),
                    Value::Float(1234.5678),
                    Value::Float(1234.5678)
                ]
            ),
            "1.234568e+03 1.234568E+03 1234.5678"
        );
        assert_eq!(
            pf(
                "%8.3f|%-8.2f|",
                &[Value::Float(2.46802), Value::Float(2.46802)]
            ),
            "   2.468|2.47    |"
        );
        assert_eq!(pf("%08.3f", &[Value::Float(-2.46802)]), "-002.468");
        assert_eq!(
            pf("%5s|%-5s|%.2s", &["ab".into(), "ab".into(), "abc".into()]),
            "   ab|ab   |ab"
        );
        assert_eq!(
            pf("%x %X % x", &["hi".into(), "hi".into(), "hi".into()]),
            "6869 6869 68 69"
        );
        assert_eq!(pf("%q", &[Value::Int(97)]), "'a'");
        assert_eq!(pf("%%", &[]), "%");
        assert_eq!(pf("%", &[]), "%!(NOVERB)");
        assert_eq!(pf("%!", &[]), "%!!(MISSING)");
        assert_eq!(pf("%z", &[Value::Int(1)]), "%!z(int=1)");
        assert_eq!(pf("%[2]d %[1]d", &[Value::Int(1), Value::Int(2)]), "2 1");
        assert_eq!(pf("%*d", &[Value::Int(4), Value::Int(1)]), "   1");
        assert_eq!(
            pf("%v", &[Value::list(vec![Value::Nil, Value::Int(1)])]),
            "[<nil> 1]"
        );
        assert_eq!(pf("%#v", &["a".into()]), "\"a\"");
        assert_eq!(
            pf("%#v", &[Value::list(vec!["a".into(), Value::Int(1)])]),
            "[]interface {}{\"a\", 1}"
        );
        assert_eq!(
            pf("%v", &[Value::Bytes(std::rc::Rc::from(b"hi".to_vec()))]),
            "[104 105]"
        );
        assert_eq!(
            pf("%s", &[Value::Bytes(std::rc::Rc::from(b"hi".to_vec()))]),
            "hi"
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\\c\n"), "\"a\\\"b\\\\c\\n\"");
        assert_eq!(quote("é😀\u{7}\u{a0}"), "\"é😀\\a\\u00a0\"");
        assert_eq!(quote_to_ascii("é"), "\"\\u00e9\"");
    }

    #[test]
    fn sprint_spacing() {
        let args = [
            "a".into(),
            Value::Int(1),
            Value::Int(2),
            "b".into(),
            "c".into(),
            Value::Int(3),
        ];
        assert_eq!(sprint(&args), "a1 2bc3");
        assert_eq!(sprintln(&["a".into(), Value::Int(1)]), "a 1\n");
    }
}
