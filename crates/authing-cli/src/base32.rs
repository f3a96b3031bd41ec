//! RFC 4648 base32 (the alphabet authenticator apps and `otpauth://` URIs use).
//!
//! Hand-written rather than pulled in as a dependency: it is forty lines, and the
//! decoder's error type must never carry the input (it is a second factor).

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// Why a string is not base32. Deliberately carries no part of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Base32Error {
    /// A character outside `A-Z`, `2-7` (after normalisation); `position` is 1-based
    /// within the normalised secret, so the operator can find it without us printing it.
    InvalidCharacter { position: usize },
    /// The length leaves 1, 3 or 6 trailing characters, which no byte string encodes to.
    InvalidLength,
    /// The unused low bits of the last character are not zero (non-canonical encoding).
    NonZeroPadding,
    /// Nothing left after removing spaces and padding.
    Empty,
}

impl std::fmt::Display for Base32Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidCharacter { position } => write!(
                f,
                "not base32: invalid character at position {position} (allowed: A-Z, 2-7)"
            ),
            Self::InvalidLength => f.write_str("not base32: impossible length (truncated?)"),
            Self::NonZeroPadding => {
                f.write_str("not base32: non-canonical last character (truncated?)")
            }
            Self::Empty => f.write_str("is empty"),
        }
    }
}

/// Normalises a secret as authenticator apps accept it: ASCII case folded to upper
/// case, spaces and tabs (group separators) removed, trailing `=` padding removed.
/// The result is what we send to Authing (canonical upper case, no padding).
pub fn normalize(input: &str) -> String {
    let mut out: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    while out.ends_with('=') {
        out.pop();
    }
    out
}

/// Decodes canonical (normalised) base32 without padding.
pub fn decode(normalized: &str) -> Result<Vec<u8>, Base32Error> {
    if normalized.is_empty() {
        return Err(Base32Error::Empty);
    }
    // 8 characters carry 5 bytes; a final group of 1, 3 or 6 characters is impossible.
    if matches!(normalized.len() % 8, 1 | 3 | 6) {
        return Err(Base32Error::InvalidLength);
    }
    let mut out = Vec::with_capacity(normalized.len() * 5 / 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for (i, c) in normalized.bytes().enumerate() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => return Err(Base32Error::InvalidCharacter { position: i + 1 }),
        };
        buffer = (buffer << 5) | u64::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    if buffer != 0 {
        return Err(Base32Error::NonZeroPadding);
    }
    Ok(out)
}

/// Encodes bytes as canonical base32, upper case, without padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u64 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u64::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 4648 section 10 test vectors (padding stripped).
    const VECTORS: &[(&str, &str)] = &[
        ("", ""),
        ("f", "MY"),
        ("fo", "MZXQ"),
        ("foo", "MZXW6"),
        ("foob", "MZXW6YQ"),
        ("fooba", "MZXW6YTB"),
        ("foobar", "MZXW6YTBOI"),
    ];

    #[test]
    fn rfc4648_vectors_encode_and_decode() {
        for (plain, encoded) in VECTORS {
            assert_eq!(encode(plain.as_bytes()), *encoded);
            if !plain.is_empty() {
                assert_eq!(decode(encoded).unwrap(), plain.as_bytes());
            }
        }
    }

    #[test]
    fn normalize_folds_case_spaces_and_padding() {
        assert_eq!(normalize("mzxw 6ytb oi======"), "MZXW6YTBOI");
        assert_eq!(normalize("hz2f 6j3a\tgnav sotv"), "HZ2F6J3AGNAVSOTV");
        assert_eq!(decode(&normalize("my======")).unwrap(), b"f");
    }

    #[test]
    fn rejects_bad_input_without_echoing_it() {
        assert_eq!(
            decode("ABC1DEFG"),
            Err(Base32Error::InvalidCharacter { position: 4 })
        );
        assert_eq!(decode("ABC"), Err(Base32Error::InvalidLength));
        assert_eq!(decode(""), Err(Base32Error::Empty));
        // "MZ" decodes to "f" only with zero trailing bits; "M3" has non-zero ones.
        assert_eq!(decode("M3"), Err(Base32Error::NonZeroPadding));
        let message = decode("SECRET1X").unwrap_err().to_string();
        assert!(!message.contains("SECRET"));
    }

    #[test]
    fn round_trips_every_length() {
        let data: Vec<u8> = (0..=255u8).collect();
        for len in 0..40 {
            let enc = encode(&data[..len]);
            if len > 0 {
                assert_eq!(decode(&enc).unwrap(), &data[..len]);
            }
        }
    }
}
