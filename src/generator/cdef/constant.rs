//! Integer values known at parse time, computed the way cffi computes them: its
//! `_parse_constant` for array sizes, bitfield widths and enum values, and its
//! `_add_integer_constant` (Python's `int(text, 0)`) for `#define X 42` and integer
//! `static const` initializers. Python integers are unbounded; we use `i128` and
//! report values beyond it.

/// Why a value could not be computed, with cffi's exception class.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConstError {
    /// `CDefError("invalid constant %r")`.
    Invalid(String),
    /// Python's `ValueError` (`int()` refusing the text, negative shift count).
    Value(String),
    /// Python's `ZeroDivisionError`.
    ZeroDivision,
    /// Beyond the 128-bit range we compute in.
    Overflow,
}

/// Python's `repr()` of a string, for messages quoting cffi's `%r`.
pub fn py_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// cffi's `_r_int_literal`: `-?0?x?[0-9a-f]+[lu]*$`, case-insensitive, anchored at
/// the start (what `#define` values and initializers must look like).
pub fn is_int_literal(s: &str) -> bool {
    let s = s.to_ascii_lowercase();
    let s = s.strip_prefix('-').unwrap_or(&s);
    // Try the optional `0` and `x` in regex order (greedy first, then backtrack).
    let zero_options: &[bool] = if s.starts_with('0') { &[true, false] } else { &[false] };
    for &zero in zero_options {
        let after_zero = if zero { &s[1..] } else { s };
        let x_options: &[bool] = if after_zero.starts_with('x') { &[true, false] } else { &[false] };
        for &x in x_options {
            let rest = if x { &after_zero[1..] } else { after_zero };
            let hex = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
            if hex > 0 && rest[hex..].bytes().all(|b| b == b'l' || b == b'u') {
                return true;
            }
        }
    }
    false
}

/// Python's `int(text, base)` for the texts cffi hands it (ASCII digits with an
/// optional sign handled by the caller; base 0 means "from the prefix").
pub fn python_int(text: &str, base: u32) -> Result<i128, ConstError> {
    let invalid =
        || ConstError::Value(format!("invalid literal for int() with base {base}: {}", py_repr(text)));
    let lower = text.to_ascii_lowercase();
    let (digits, radix) = match base {
        0 => {
            if let Some(rest) = lower.strip_prefix("0x") {
                (rest, 16)
            } else if let Some(rest) = lower.strip_prefix("0o") {
                (rest, 8)
            } else if let Some(rest) = lower.strip_prefix("0b") {
                (rest, 2)
            } else {
                // Decimal: no leading zeros except for zero itself.
                if lower.len() > 1 && lower.starts_with('0') && lower.bytes().any(|b| b != b'0') {
                    return Err(invalid());
                }
                (lower.as_str(), 10)
            }
        }
        16 => (lower.strip_prefix("0x").unwrap_or(&lower), 16),
        8 => (lower.strip_prefix("0o").unwrap_or(&lower), 8),
        2 => (lower.strip_prefix("0b").unwrap_or(&lower), 2),
        b => (lower.as_str(), b),
    };
    if digits.is_empty() {
        return Err(invalid());
    }
    let mut value: i128 = 0;
    for c in digits.chars() {
        let d = c.to_digit(radix).ok_or_else(invalid)? as i128;
        value =
            value.checked_mul(radix as i128).and_then(|v| v.checked_add(d)).ok_or(ConstError::Overflow)?;
    }
    Ok(value)
}

/// cffi's `_add_integer_constant` text handling: the value of `#define X <text>` or
/// `static const int X = <text>;` (`text` already matched [`is_int_literal`]).
pub fn integer_constant_value(int_str: &str) -> Result<i128, ConstError> {
    let lower = int_str.to_ascii_lowercase();
    let mut s = lower.trim_end_matches(['u', 'l']);
    let neg = s.starts_with('-');
    if neg {
        s = &s[1..];
    }
    // "010" is octal in C; Python 3 wants "0o10".
    let owned;
    if s.starts_with('0') && s != "0" && !s.starts_with("0x") {
        owned = format!("0o{}", &s[1..]);
        s = &owned;
    }
    let v = python_int(s, 0)?;
    Ok(if neg { -v } else { v })
}

/// cffi's `_parse_constant` for a `Constant` node: numbers and simple character
/// constants (`'a'`, and `'\n'` which cffi reads as `ord('n')`).
pub fn parse_constant_text(s: &str) -> Result<i128, ConstError> {
    let first = s.chars().next().unwrap_or(' ');
    if first.is_ascii_digit() {
        let s = s.trim_end_matches(['u', 'U', 'l', 'L']);
        let attempt = if s.starts_with('0') { python_int(s, 8) } else { python_int(s, 10) };
        return match attempt {
            Ok(v) => Ok(v),
            Err(ConstError::Overflow) => Err(ConstError::Overflow),
            Err(_) => {
                let lower = s.to_ascii_lowercase();
                if s.len() > 1 && lower.starts_with("0x") {
                    python_int(s, 16)
                } else if s.len() > 1 && lower.starts_with("0b") {
                    python_int(s, 2)
                } else {
                    Err(ConstError::Invalid(py_repr(s)))
                }
            }
        };
    }
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n >= 3 && chars[0] == '\'' && chars[n - 1] == '\'' && (n == 3 || (n == 4 && chars[1] == '\\')) {
        return Ok(chars[n - 2] as i128);
    }
    Err(ConstError::Invalid(py_repr(s)))
}

/// C division (truncating towards zero), cffi's `_c_div` (Python's floor division
/// corrected for operands of different signs).
pub fn c_div(a: i128, b: i128) -> Result<i128, ConstError> {
    if b == 0 {
        return Err(ConstError::ZeroDivision);
    }
    a.checked_div(b).ok_or(ConstError::Overflow)
}

pub fn shift_left(a: i128, b: i128) -> Result<i128, ConstError> {
    if b < 0 {
        return Err(ConstError::Value("negative shift count".into()));
    }
    if a == 0 {
        return Ok(0);
    }
    if b >= 127 {
        return Err(ConstError::Overflow);
    }
    let r = a << b;
    if r >> b != a {
        return Err(ConstError::Overflow);
    }
    Ok(r)
}

pub fn shift_right(a: i128, b: i128) -> Result<i128, ConstError> {
    if b < 0 {
        return Err(ConstError::Value("negative shift count".into()));
    }
    Ok(if b >= 127 {
        if a < 0 {
            -1
        } else {
            0
        }
    } else {
        a >> b
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_literal_regex_matches_cffi() {
        for ok in ["42", "-1", "0x1F", "0X1fUL", "010", "1lu", "abc", "x10", "0b1", "1e5"] {
            assert!(is_int_literal(ok), "{ok}");
        }
        for bad in ["", "0x", "1.5", "'a'", "A+1", "--1", "1 2", "0xg"] {
            assert!(!is_int_literal(bad), "{bad}");
        }
    }

    #[test]
    fn define_values_are_read_like_python() {
        assert_eq!(integer_constant_value("0x10"), Ok(16));
        assert_eq!(integer_constant_value("010"), Ok(8));
        assert_eq!(integer_constant_value("-42UL"), Ok(-42));
        assert_eq!(integer_constant_value("0"), Ok(0));
        assert_eq!(integer_constant_value("0xFFFFFFFFFFFFFFFF"), Ok(0xFFFF_FFFF_FFFF_FFFF));
        assert_eq!(
            integer_constant_value("abc"),
            Err(ConstError::Value("invalid literal for int() with base 0: 'abc'".into()))
        );
        assert_eq!(
            integer_constant_value("0b1"),
            Err(ConstError::Value("invalid literal for int() with base 0: '0ob1'".into()))
        );
        assert_eq!(
            integer_constant_value("09"),
            Err(ConstError::Value("invalid literal for int() with base 0: '0o9'".into()))
        );
    }

    #[test]
    fn array_sizes_and_enum_values_are_read_like_cffi() {
        assert_eq!(parse_constant_text("10"), Ok(10));
        assert_eq!(parse_constant_text("010"), Ok(8));
        assert_eq!(parse_constant_text("0x10u"), Ok(16));
        assert_eq!(parse_constant_text("0b11"), Ok(3));
        assert_eq!(parse_constant_text("'a'"), Ok(97));
        assert_eq!(parse_constant_text("'\\n'"), Ok('n' as i128), "cffi reads the escaped letter");
        assert_eq!(parse_constant_text("1.5"), Err(ConstError::Invalid("'1.5'".into())));
        assert_eq!(parse_constant_text("'ab'"), Err(ConstError::Invalid("\"'ab'\"".into())));
    }

    #[test]
    fn c_division_truncates() {
        assert_eq!(c_div(7, 2), Ok(3));
        assert_eq!(c_div(-7, 2), Ok(-3));
        assert_eq!(c_div(7, -2), Ok(-3));
        assert_eq!(c_div(-7, -2), Ok(3));
        assert_eq!(c_div(1, 0), Err(ConstError::ZeroDivision));
        assert_eq!(shift_left(1, 64), Ok(1 << 64));
        assert!(shift_left(1, -1).is_err());
    }
}
