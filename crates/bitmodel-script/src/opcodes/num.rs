//! Script numbers (Core's `CScriptNum`): little-endian sign-magnitude integers of at most
//! four bytes on input (five for lock times) whose arithmetic results may overflow to five.
//!
//! Decoding failures are not script errors of their own: Core throws and its interpreter maps
//! the exception to `UNKNOWN_ERROR`, which callers reproduce with [`NumError`].

/// A number failed to decode: too long, or not minimally encoded under `MINIMALDATA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumError;

/// Decodes a script number of at most `max_len` bytes.
pub fn decode(bytes: &[u8], require_minimal: bool, max_len: usize) -> Result<i64, NumError> {
    if bytes.len() > max_len {
        return Err(NumError);
    }
    let Some((&last, rest)) = bytes.split_last() else {
        return Ok(0);
    };
    if require_minimal && last & 0x7f == 0 && rest.last().is_none_or(|b| b & 0x80 == 0) {
        return Err(NumError);
    }
    let mut value: i64 = 0;
    for (i, b) in bytes.iter().enumerate() {
        value |= i64::from(*b) << (8 * i);
    }
    if last & 0x80 != 0 {
        let mask = !(0x80i64 << (8 * (bytes.len() - 1)));
        Ok(-(value & mask))
    } else {
        Ok(value)
    }
}

/// Encodes a number minimally (zero is the empty vector).
pub fn encode(value: i64) -> Vec<u8> {
    let mut out = Vec::with_capacity(9);
    if value == 0 {
        return out;
    }
    let negative = value < 0;
    let mut abs = value.unsigned_abs();
    while abs > 0 {
        out.push((abs & 0xff) as u8);
        abs >>= 8;
    }
    let last = out
        .last_mut()
        .expect("non-zero value has at least one byte");
    if *last & 0x80 != 0 {
        out.push(if negative { 0x80 } else { 0 });
    } else if negative {
        *last |= 0x80;
    }
    out
}

/// Core's `CScriptNum::getint`: the value clamped to the `i32` range.
pub fn clamp_i32(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(if value < 0 { i32::MIN } else { i32::MAX })
}

/// Core's `CastToBool`: any non-zero byte is true, except a lone sign bit at the end
/// (negative zero).
pub fn cast_to_bool(bytes: &[u8]) -> bool {
    for (i, b) in bytes.iter().enumerate() {
        if *b != 0 {
            return !(i == bytes.len() - 1 && *b == 0x80);
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_edges() {
        for v in [
            0i64,
            1,
            -1,
            127,
            128,
            -128,
            255,
            256,
            0x7fff_ffff,
            -0x7fff_ffff,
            1 << 40,
        ] {
            assert_eq!(decode(&encode(v), true, 8), Ok(v), "value {v}");
        }
        assert_eq!(encode(-1), vec![0x81]);
        assert_eq!(encode(128), vec![0x80, 0x00]);
        assert_eq!(decode(&[0x00], true, 4), Err(NumError));
        assert_eq!(decode(&[0x00], false, 4), Ok(0));
        assert_eq!(decode(&[0x80], false, 4), Ok(0));
        assert_eq!(decode(&[0x00, 0x80], true, 4), Err(NumError));
        assert_eq!(decode(&[0x80, 0x80], true, 4), Ok(-128));
        assert_eq!(decode(&[1, 2, 3, 4, 5], false, 4), Err(NumError));
        assert!(!cast_to_bool(&[0, 0, 0x80]));
        assert!(cast_to_bool(&[0, 0x80, 0]));
        assert_eq!(clamp_i32(1 << 40), i32::MAX);
    }
}
