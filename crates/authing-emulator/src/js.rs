//! Request values as a Node.js server holds them: what `JSON.parse` makes of a body and
//! Express's query parser of a query string, and how `String(value)` and `JSON.stringify`
//! write them back.
//!
//! Authing's server is Node.js (NestJS on Express) and rebuilds the HMAC string to sign from
//! these parsed values, not from the bytes on the wire: `1000.0` is signed as `1000`, `1e21`
//! as `1e+21`, and an object's integer-like keys come first. The verifier must do the same or
//! it would refuse requests Authing accepts (and accept some it refuses).

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

/// A JSON value as JavaScript holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Js {
    Null,
    Bool(bool),
    Num(f64),
    Str(String),
    Arr(Vec<Js>),
    Obj(Ordered<Js>),
}

/// A JavaScript object's own properties in their enumeration order: keys that are array
/// indices (`"0"`, `"17"`) first in ascending numeric order, then the others in insertion
/// order. Setting an existing key keeps its place.
#[derive(Debug, Clone, PartialEq)]
pub struct Ordered<T>(Vec<(String, T)>);

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered(Vec::new())
    }
}

impl<T> Ordered<T> {
    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut T> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn insert(&mut self, key: String, value: T) {
        if let Some(slot) = self.get_mut(&key) {
            *slot = value;
            return;
        }
        match array_index(&key) {
            Some(index) => {
                let at = self
                    .0
                    .iter()
                    .position(|(k, _)| array_index(k).is_none_or(|other| other > index))
                    .unwrap_or(self.0.len());
                self.0.insert(at, (key, value));
            }
            None => self.0.push((key, value)),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &T)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn into_iter_pairs(self) -> impl Iterator<Item = (String, T)> {
        self.0.into_iter()
    }
}

/// The index a key denotes when JavaScript treats it as an array index: the canonical
/// decimal form of an integer from 0 to 2^32 - 2.
fn array_index(key: &str) -> Option<u32> {
    let canonical = key == "0" || (!key.starts_with('0') && !key.is_empty());
    if !canonical || !key.bytes().all(|b| b.is_ascii_digit()) || key.len() > 10 {
        return None;
    }
    let n: u64 = key.parse().ok()?;
    // An array index is below 2^32 - 1 (ECMAScript).
    (n < u64::from(u32::MAX)).then_some(n as u32)
}

impl Js {
    /// `JSON.parse(text)`. Numbers are read from their text with correct rounding, as
    /// JavaScript reads them, and objects keep JavaScript's key order.
    pub fn parse(text: &str) -> Result<Js, serde_json::Error> {
        let raw: &RawValue = serde_json::from_str(text)?;
        Js::from_raw(raw)
    }

    fn from_raw(raw: &RawValue) -> Result<Js, serde_json::Error> {
        let text = raw.get();
        Ok(match text.as_bytes().first() {
            Some(b'{') => {
                let Entries(entries) = serde_json::from_str(text)?;
                let mut object = Ordered::default();
                for (key, value) in entries {
                    object.insert(key, Js::from_raw(value)?);
                }
                Js::Obj(object)
            }
            Some(b'[') => {
                let items: Vec<&RawValue> = serde_json::from_str(text)?;
                Js::Arr(
                    items
                        .into_iter()
                        .map(Js::from_raw)
                        .collect::<Result<_, _>>()?,
                )
            }
            Some(b'"') => Js::Str(serde_json::from_str(text)?),
            Some(b't') => Js::Bool(true),
            Some(b'f') => Js::Bool(false),
            Some(b'n') => Js::Null,
            // serde_json has checked the number's syntax; Rust's parser rounds correctly.
            _ => Js::Num(text.parse().unwrap_or(f64::NAN)),
        })
    }

    /// `String(value)` for scalars, `JSON.stringify(value)` for arrays and objects: how a
    /// value enters the HMAC string to sign.
    pub fn to_param(&self) -> String {
        match self {
            Js::Str(s) => s.clone(),
            Js::Null => "null".into(),
            Js::Bool(b) => b.to_string(),
            Js::Num(n) => number_to_string(*n),
            Js::Arr(_) | Js::Obj(_) => self.stringify(),
        }
    }

    /// `JSON.stringify(value)`, compact.
    pub fn stringify(&self) -> String {
        let mut out = String::new();
        self.write_json(&mut out);
        out
    }

    fn write_json(&self, out: &mut String) {
        match self {
            Js::Null => out.push_str("null"),
            Js::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Js::Num(n) if n.is_finite() => out.push_str(&number_to_string(*n)),
            Js::Num(_) => out.push_str("null"),
            // serde_json escapes exactly what JSON.stringify escapes: `"`, `\` and control
            // characters (\b \t \n \f \r, the rest as lowercase \u00xx); not `/` or U+007F.
            Js::Str(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            Js::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out);
                }
                out.push(']');
            }
            Js::Obj(object) => {
                out.push('{');
                for (i, (key, value)) in object.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(key).unwrap_or_default());
                    out.push(':');
                    value.write_json(out);
                }
                out.push('}');
            }
        }
    }

    /// The value as serde_json holds it (numbers that are not finite become `null`).
    pub fn to_value(&self) -> Value {
        match self {
            Js::Null => Value::Null,
            Js::Bool(b) => Value::Bool(*b),
            Js::Num(n) => serde_json::Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Js::Str(s) => Value::String(s.clone()),
            Js::Arr(items) => Value::Array(items.iter().map(Js::to_value).collect()),
            Js::Obj(object) => Value::Object(
                object
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }
}

/// JavaScript's `Number.prototype.toString()`: the shortest digits that read back as the
/// same number, in plain notation from 1e-7 (exclusive) up to 1e21 (exclusive), in
/// exponential notation with an explicit exponent sign outside it.
pub fn number_to_string(n: f64) -> String {
    if n.is_nan() {
        return "NaN".into();
    }
    if n.is_infinite() {
        return if n > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    if n == 0.0 {
        return "0".into(); // -0 too
    }
    let sign = if n < 0.0 { "-" } else { "" };
    // Rust's `{:e}` gives the same shortest round-trip digits: `1.5e-7`, `1e21`.
    let scientific = format!("{:e}", n.abs());
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i64;
    let point = exponent.parse::<i64>().unwrap_or(0) + 1;
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let e = point - 1;
        let e_sign = if e < 0 { '-' } else { '+' };
        let (first, rest) = digits.split_at(1);
        let rest = if rest.is_empty() {
            String::new()
        } else {
            format!(".{rest}")
        };
        format!("{first}{rest}e{e_sign}{}", e.abs())
    };
    format!("{sign}{body}")
}

/// An object's entries in the order they are written, duplicates included.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Entries<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for EntriesVisitor<'a> {
            type Value = Entries<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Entries<'a>, M::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_javascript_writes_them() {
        for (n, js) in [
            (1000.0, "1000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (1.5, "1.5"),
            (-42.25, "-42.25"),
            (0.000001, "0.000001"),
            (0.0000001, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (-0.0, "0"),
            (0.1 + 0.2, "0.30000000000000004"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (1656806400000.0, "1656806400000"),
        ] {
            assert_eq!(number_to_string(n), js, "{n:e}");
        }
    }

    #[test]
    fn json_parse_reads_numbers_exactly_and_orders_keys_like_javascript() {
        let js = Js::parse(r#"{"b": 1000.0, "2": true, "a": [1e21, null, "x\u0001"], "1": {"z": 1, "y": 2}, "b": 7}"#)
            .unwrap();
        assert_eq!(
            js.stringify(),
            r#"{"1":{"z":1,"y":2},"2":true,"b":7,"a":[1e+21,null,"x\u0001"]}"#
        );
        // 2^53 + 1 is not a double: JavaScript reads the nearest one.
        assert_eq!(
            Js::parse("9007199254740993").unwrap().to_param(),
            "9007199254740992"
        );
        assert_eq!(Js::parse("1e400").unwrap(), Js::Num(f64::INFINITY));
        assert!(Js::parse("{").is_err());
    }

    #[test]
    fn params_are_string_of_scalars_and_json_of_the_rest() {
        let js = Js::parse(r#"{"s": "a b", "n": null, "t": false, "o": {"k": [1.0]}}"#).unwrap();
        let Js::Obj(object) = js else { panic!() };
        let params: Vec<(String, String)> = object
            .iter()
            .map(|(k, v)| (k.clone(), v.to_param()))
            .collect();
        assert_eq!(
            params,
            [
                ("s".to_string(), "a b".to_string()),
                ("n".into(), "null".into()),
                ("t".into(), "false".into()),
                ("o".into(), r#"{"k":[1]}"#.into()),
            ]
        );
    }

    #[test]
    fn array_indices_are_canonical_integers() {
        assert_eq!(array_index("0"), Some(0));
        assert_eq!(array_index("4294967294"), Some(4_294_967_294));
        for key in ["", "01", "-1", "1.0", "4294967295", "a", " 1"] {
            assert_eq!(array_index(key), None, "{key:?}");
        }
    }
}
