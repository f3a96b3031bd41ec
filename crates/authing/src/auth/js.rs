//! Values as a Node.js server sees them after parsing a request: what Authing's server
//! rebuilds the string to sign from, so a signature verifies only if the client signs
//! the same text.
//!
//! - A JSON body is parsed by `JSON.parse`: keys keep their order, numbers become
//!   doubles, and nested values are written back by `JSON.stringify` (`1000.0` becomes
//!   `1000`, `1e21` becomes `1e+21`).
//! - A query string is parsed by Express's `qs`: `key[]=a&key[]=b` and `key=a&key=b`
//!   become arrays, a single `key=a` a string, every value a string.

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use std::collections::BTreeMap;

/// A JSON value as `JSON.parse` leaves it: object keys in their order, numbers as
/// doubles.
#[derive(Debug, Clone, PartialEq)]
pub enum JsValue {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<JsValue>),
    Object(Vec<(String, JsValue)>),
}

impl JsValue {
    /// The text `String(value)` gives a top-level value in the string to sign: strings
    /// as they are, numbers and booleans as JavaScript prints them, `null` as `null`,
    /// arrays and objects as `JSON.stringify`.
    pub fn to_sign(&self) -> String {
        match self {
            JsValue::String(s) => s.clone(),
            other => other.stringify(),
        }
    }

    /// `JSON.stringify(value)`.
    pub fn stringify(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            JsValue::Null => out.push_str("null"),
            JsValue::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            JsValue::Number(n) => out.push_str(&number_to_string(*n)),
            // JSON.stringify and serde_json escape strings alike: `"`, `\`, and control
            // characters (as \b \f \n \r \t or \u00XX); nothing else.
            JsValue::String(s) => out.push_str(&serde_json::to_string(s).unwrap_or_default()),
            JsValue::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            JsValue::Object(entries) => {
                out.push('{');
                for (i, (k, v)) in entries.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&serde_json::to_string(k).unwrap_or_default());
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// JavaScript's `Number.prototype.toString()` (ECMAScript's Number::toString): the
/// shortest digits that round-trip, in plain notation for exponents from -6 to 20 and
/// as `1.5e+21` / `1.5e-7` outside that.
pub fn number_to_string(n: f64) -> String {
    if n == 0.0 {
        return "0".into();
    }
    if !n.is_finite() {
        // JSON has no NaN or Infinity; JSON.stringify writes them as null.
        return "null".into();
    }
    // Rust's `{:e}` gives the shortest round-tripping digits: "1.2345e-7".
    let sci = format!("{:e}", n.abs());
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let k = digits.len() as i32;
    // value = 0.digits × 10^point
    let point = exponent.parse::<i32>().unwrap_or(0) + 1;
    let sign = if n < 0.0 { "-" } else { "" };
    let body = if k <= point && point <= 21 {
        format!("{digits}{}", "0".repeat((point - k) as usize))
    } else if 0 < point && point <= 21 {
        let (int, frac) = digits.split_at(point as usize);
        format!("{int}.{frac}")
    } else if -6 < point && point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else {
        let e = point - 1;
        let e = if e < 0 {
            format!("-{}", -e)
        } else {
            format!("+{e}")
        };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{e}")
        } else {
            format!("{first}.{rest}e{e}")
        }
    };
    format!("{sign}{body}")
}

/// A query string as `qs` parses it: key → value, a key with `[]` or given twice being
/// an array. Keys come back without `[]`.
pub fn parse_query(query: &str) -> BTreeMap<String, JsValue> {
    let mut out: BTreeMap<String, JsValue> = BTreeMap::new();
    for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let (key, is_array) = match key.strip_suffix("[]") {
            Some(k) => (k.to_string(), true),
            None => (key.into_owned(), false),
        };
        let value = JsValue::String(value.into_owned());
        match out.get_mut(&key) {
            Some(JsValue::Array(items)) => items.push(value),
            Some(single) => {
                let first = std::mem::replace(single, JsValue::Null);
                *single = JsValue::Array(vec![first, value]);
            }
            None if is_array => {
                out.insert(key, JsValue::Array(vec![value]));
            }
            None => {
                out.insert(key, value);
            }
        }
    }
    out
}

impl<'de> Deserialize<'de> for JsValue {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(JsVisitor)
    }
}

struct JsVisitor;

impl<'de> Visitor<'de> for JsVisitor {
    type Value = JsValue;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<JsValue, E> {
        Ok(JsValue::Null)
    }
    fn visit_none<E>(self) -> Result<JsValue, E> {
        Ok(JsValue::Null)
    }
    fn visit_bool<E>(self, b: bool) -> Result<JsValue, E> {
        Ok(JsValue::Bool(b))
    }
    // JSON.parse reads every number as a double, large integers included.
    fn visit_i64<E>(self, n: i64) -> Result<JsValue, E> {
        Ok(JsValue::Number(n as f64))
    }
    fn visit_u64<E>(self, n: u64) -> Result<JsValue, E> {
        Ok(JsValue::Number(n as f64))
    }
    fn visit_f64<E>(self, n: f64) -> Result<JsValue, E> {
        Ok(JsValue::Number(n))
    }
    fn visit_str<E>(self, s: &str) -> Result<JsValue, E> {
        Ok(JsValue::String(s.to_string()))
    }
    fn visit_string<E>(self, s: String) -> Result<JsValue, E> {
        Ok(JsValue::String(s))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsValue, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsValue::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsValue, A::Error> {
        let mut entries: Vec<(String, JsValue)> = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, JsValue>()? {
            // JSON.parse keeps the last of duplicate keys, in the first one's place.
            match entries.iter_mut().find(|(existing, _)| *existing == k) {
                Some(slot) => slot.1 = v,
                None => entries.push((k, v)),
            }
        }
        Ok(JsValue::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_as_javascript_prints_them() {
        for (n, js) in [
            (1000.0, "1000"),
            (-1000.0, "-1000"),
            (1.5, "1.5"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1656806400000.0, "1656806400000"),
            (1e21, "1e+21"),
            (1.5e21, "1.5e+21"),
            (123456789012345680000.0, "123456789012345680000"),
            (1e-6, "0.000001"),
            (1e-7, "1e-7"),
            (-1.25e-7, "-1.25e-7"),
            (0.0, "0"),
            (-0.0, "0"),
            (116.3889, "116.3889"),
            (9007199254740993.0, "9007199254740992"),
        ] {
            assert_eq!(number_to_string(n), js, "{n:e}");
        }
    }

    #[test]
    fn bodies_are_rewritten_as_json_stringify_writes_them() {
        let v: JsValue = serde_json::from_str(
            r#"{"z":1,"a":{"endTime":1000.0,"b":[1.50,"x\u00e9\n",null,true]}}"#,
        )
        .unwrap();
        assert_eq!(
            v.stringify(),
            "{\"z\":1,\"a\":{\"endTime\":1000,\"b\":[1.5,\"xé\\n\",null,true]}}"
        );
        assert_eq!(JsValue::String("a b".into()).to_sign(), "a b");
        assert_eq!(JsValue::Null.to_sign(), "null");
    }

    #[test]
    fn queries_are_parsed_as_qs_parses_them() {
        let q = parse_query("userIds%5B%5D=a&userIds%5B%5D=b&one%5B%5D=x&page=2&dup=1&dup=2");
        assert_eq!(q["userIds"].to_sign(), r#"["a","b"]"#);
        assert_eq!(q["one"].to_sign(), r#"["x"]"#);
        assert_eq!(q["page"].to_sign(), "2");
        assert_eq!(q["dup"].to_sign(), r#"["1","2"]"#);
    }
}
