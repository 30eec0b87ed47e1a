//! Value parsers whose errors say what was wrong and what would be right.

use bitmodel_protocol::split::check_weights;

/// The largest amount the C-Flow math promises to handle exactly.
pub const MAX_SATS: u64 = 1 << 63;

pub fn sats(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "'{s}' is not an amount: expected a whole number of sats from 0 to {MAX_SATS}"
        ));
    }
    t.parse::<u64>()
        .ok()
        .filter(|v| *v <= MAX_SATS)
        .ok_or_else(|| format!("'{s}' is too large: amounts are at most {MAX_SATS} sats"))
}

/// Parents' weights as one flag value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Weights(pub Vec<u16>);

/// `W1,W2,…` in basis points, each 1..=10000, summing to at most 10000.
pub fn weights(s: &str) -> Result<Weights, String> {
    if s.trim().is_empty() {
        return Ok(Weights(Vec::new()));
    }
    let mut out = Vec::new();
    for (i, part) in s.split(',').enumerate() {
        let w = part
            .trim()
            .parse::<u16>()
            .ok()
            .filter(|w| (1..=10_000).contains(w))
            .ok_or_else(|| {
                format!(
                    "weight {} ('{}') must be a whole number of basis points from 1 to 10000",
                    i + 1,
                    part.trim()
                )
            })?;
        out.push(w);
    }
    // Text: a clap value parser's error is the message clap prints for the flag.
    check_weights(&out).map_err(|e| e.to_string())?;
    Ok(Weights(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sats_errors() {
        assert_eq!(sats("100"), Ok(100));
        assert!(sats("-5").unwrap_err().contains("whole number of sats"));
        assert!(sats("1.5").unwrap_err().contains("whole number"));
        assert!(sats("abc").is_err());
        assert!(sats("99999999999999999999")
            .unwrap_err()
            .contains("too large"));
        assert_eq!(sats(&MAX_SATS.to_string()), Ok(MAX_SATS));
    }

    #[test]
    fn weight_errors() {
        assert_eq!(weights("3000,2000"), Ok(Weights(vec![3000, 2000])));
        assert!(weights("3000,0").unwrap_err().contains("weight 2"));
        assert!(weights("6000,5000").unwrap_err().contains("sum to 11000"));
        assert!(weights("x").unwrap_err().contains("basis points"));
    }
}
