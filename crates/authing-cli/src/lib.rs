#![doc = include_str!("../README.md")]

pub mod base32;
pub mod duplicates;
pub mod engine;
pub mod input;
pub mod journal;
pub mod lock;
pub mod pacing;
pub mod record;
pub mod report;
pub mod service;
pub mod validate;

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
