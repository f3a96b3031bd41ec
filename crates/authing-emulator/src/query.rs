//! Query strings parsed as Express's default parser (the `qs` package) parses them, since
//! Authing's server is NestJS on Express: `key=a&key=b` and `key[]=a` are arrays (a single
//! `key=a` is a string), `key[0]=a` is an array, `key[sub]=a` an object (5 levels deep at
//! most), indices above 20 make objects, `+` is a space, and a malformed `%` escape leaves its
//! part undecoded. At most 1000 pairs are read.
//!
//! The handlers, the request validation and the HMAC verifier all read this one parse, so a
//! request means the same thing to each of them.

use crate::js::{Js, Ordered};

const PARAMETER_LIMIT: usize = 1000;
const DEPTH: usize = 5;
const ARRAY_LIMIT: usize = 20;

/// A parsed query: its top-level keys, in JavaScript's key order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Query(Ordered<Js>);

impl Query {
    pub fn parse(raw: &str) -> Query {
        let mut flat: Ordered<Node> = Ordered::default();
        for part in raw.split('&').take(PARAMETER_LIMIT) {
            let at = match part.find("]=") {
                Some(i) => Some(i + 1),
                None => part.find('='),
            };
            let (key, value) = match at {
                Some(i) => (decode(&part[..i]), decode(&part[i + 1..])),
                None => (decode(part), String::new()),
            };
            let value = Node::Leaf(Js::Str(value));
            match flat.get_mut(&key) {
                Some(existing) => {
                    let old = std::mem::replace(existing, Node::Arr(Vec::new()));
                    *existing = combine(old, value);
                }
                None => flat.insert(key, value),
            }
        }
        let mut root = Node::Obj(Ordered::default());
        for (key, value) in flat.into_iter_pairs() {
            if key.is_empty() {
                continue;
            }
            root = merge(root, nest(&key, value));
        }
        match root.compact() {
            Js::Obj(object) => Query(object),
            _ => Query::default(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Js> {
        self.0.get(name)
    }

    /// A string parameter; empty counts as absent. Arrays and objects are not strings.
    pub fn str(&self, name: &str) -> Option<&str> {
        match self.get(name) {
            Some(Js::Str(s)) if !s.is_empty() => Some(s),
            _ => None,
        }
    }

    /// `true` or `false` in any ASCII case (Authing's Python SDK sends `True`).
    pub fn bool(&self, name: &str) -> Option<bool> {
        let text = self.str(name)?;
        if text.eq_ignore_ascii_case("true") {
            Some(true)
        } else if text.eq_ignore_ascii_case("false") {
            Some(false)
        } else {
            None
        }
    }

    pub fn flag(&self, name: &str) -> bool {
        self.bool(name) == Some(true)
    }

    pub fn number(&self, name: &str) -> Option<f64> {
        self.str(name)?.trim().parse().ok()
    }

    /// The strings of an array parameter. An array is taken as it is; a plain string is
    /// split at commas (assumption: some clients join lists that way), empty items dropped.
    pub fn list(&self, name: &str) -> Vec<String> {
        match self.get(name) {
            Some(Js::Arr(items)) => items
                .iter()
                .filter_map(|item| match item {
                    Js::Str(s) if !s.is_empty() => Some(s.clone()),
                    _ => None,
                })
                .collect(),
            Some(Js::Str(s)) => s
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &Js)> {
        self.0.iter()
    }

    /// The whole query as one JSON text (stable for a given query).
    pub fn to_json(&self) -> String {
        Js::Obj(self.0.clone()).stringify()
    }
}

/// `decodeURIComponent` after turning `+` into spaces; on a malformed escape or bytes that
/// are not UTF-8 the text stays as it is, as `qs` leaves it.
fn decode(text: &str) -> String {
    let text = text.replace('+', " ");
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok());
            match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                Some(byte) => {
                    out.push(byte);
                    i += 3;
                    continue;
                }
                None => return text,
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or(text)
}

/// A value while `qs` builds it: arrays may have holes until the end.
#[derive(Debug, Clone)]
enum Node {
    Leaf(Js),
    Arr(Vec<Option<Node>>),
    Obj(Ordered<Node>),
}

impl Node {
    fn is_object(&self) -> bool {
        !matches!(self, Node::Leaf(_))
    }

    /// Arrays lose their holes (`a[3]=x` is `["x"]`).
    fn compact(self) -> Js {
        match self {
            Node::Leaf(js) => js,
            Node::Arr(items) => Js::Arr(items.into_iter().flatten().map(Node::compact).collect()),
            Node::Obj(object) => {
                let mut out = Ordered::default();
                for (k, v) in object.into_iter_pairs() {
                    out.insert(k, v.compact());
                }
                Js::Obj(out)
            }
        }
    }

    /// Own enumerable entries, as `Object.keys` sees arrays and objects.
    fn entries(self) -> Vec<(String, Node)> {
        match self {
            Node::Leaf(_) => Vec::new(),
            Node::Arr(items) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, item)| item.map(|item| (i.to_string(), item)))
                .collect(),
            Node::Obj(object) => object.into_iter_pairs().collect(),
        }
    }
}

/// `[].concat(a, b)`: arrays are spread, anything else is an element.
fn combine(a: Node, b: Node) -> Node {
    let mut items = Vec::new();
    for node in [a, b] {
        match node {
            Node::Arr(inner) => items.extend(inner),
            other => items.push(Some(other)),
        }
    }
    Node::Arr(items)
}

/// The key's bracket segments: `a[b][]` → `a`, `[b]`, `[]`. Segments beyond the depth limit
/// stay together as one literal key.
fn segments(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    let first = next_group(key, 0);
    let parent = match first {
        Some((start, _)) => &key[..start],
        None => key,
    };
    if !parent.is_empty() {
        out.push(parent.to_string());
    }
    let mut at = 0;
    let mut depth = 0;
    // Each `[...]` without brackets inside, wherever it is after the parent.
    while let Some((start, end)) = next_group(key, at) {
        if depth == DEPTH {
            out.push(format!("[{}]", &key[start..]));
            return out;
        }
        out.push(key[start..=end].to_string());
        depth += 1;
        at = end + 1;
    }
    out
}

/// The next `[...]` (no brackets inside) at or after `from`: its first and last byte.
fn next_group(key: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = key.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'[' {
            match key[i + 1..].find(['[', ']']) {
                Some(j) if bytes[i + 1 + j] == b']' => return Some((i, i + 1 + j)),
                Some(j) => i += 1 + j,
                None => return None,
            }
        } else {
            i += 1;
        }
    }
    None
}

/// The value `key=value` stands for: `a[b][]=x` is `{a: {b: ["x"]}}`.
fn nest(key: &str, value: Node) -> Node {
    let mut leaf = value;
    for root in segments(key).into_iter().rev() {
        leaf = if root == "[]" {
            match leaf {
                array @ Node::Arr(_) => array,
                other => Node::Arr(vec![Some(other)]),
            }
        } else {
            let bracketed = root.starts_with('[') && root.ends_with(']') && root.len() >= 2;
            let clean = if bracketed {
                &root[1..root.len() - 1]
            } else {
                root.as_str()
            };
            let index = clean
                .parse::<usize>()
                .ok()
                .filter(|i| bracketed && i.to_string() == clean && *i <= ARRAY_LIMIT);
            match index {
                Some(i) => {
                    let mut items: Vec<Option<Node>> = vec![None; i];
                    items.push(Some(leaf));
                    Node::Arr(items)
                }
                None => {
                    let mut object = Ordered::default();
                    if clean != "__proto__" {
                        object.insert(clean.to_string(), leaf);
                    }
                    Node::Obj(object)
                }
            }
        };
    }
    leaf
}

/// `qs`'s deep merge of one parsed pair into what came before.
fn merge(target: Node, source: Node) -> Node {
    if !source.is_object() {
        return match target {
            Node::Arr(mut items) => {
                items.push(Some(source));
                Node::Arr(items)
            }
            Node::Obj(mut object) => {
                if let Node::Leaf(key) = source {
                    object.insert(key.to_param(), Node::Leaf(Js::Bool(true)));
                }
                Node::Obj(object)
            }
            leaf => combine(leaf, source),
        };
    }
    match (target, source) {
        (leaf @ Node::Leaf(_), source) => combine(leaf, source),
        (Node::Arr(mut items), Node::Arr(new)) => {
            for (i, item) in new.into_iter().enumerate() {
                let Some(item) = item else { continue };
                match items.get_mut(i) {
                    Some(Some(existing)) => {
                        if existing.is_object() && item.is_object() {
                            let old = std::mem::replace(existing, Node::Arr(Vec::new()));
                            *existing = merge(old, item);
                        } else {
                            items.push(Some(item));
                        }
                    }
                    Some(hole) => *hole = Some(item),
                    None => {
                        items.resize(i, None);
                        items.push(Some(item));
                    }
                }
            }
            Node::Arr(items)
        }
        (target, source) => {
            let mut object = Ordered::default();
            for (k, v) in target.entries() {
                object.insert(k, v);
            }
            for (k, v) in source.entries() {
                match object.get_mut(&k) {
                    Some(existing) => {
                        let old = std::mem::replace(existing, Node::Arr(Vec::new()));
                        *existing = merge(old, v);
                    }
                    None => object.insert(k, v),
                }
            }
            Node::Obj(object)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(raw: &str) -> String {
        Query::parse(raw).to_json()
    }

    #[test]
    fn arrays_as_qs_reads_them() {
        assert_eq!(json("a=1&a=2"), r#"{"a":["1","2"]}"#);
        assert_eq!(json("a[]=1"), r#"{"a":["1"]}"#);
        assert_eq!(json("a%5B%5D=1&a%5B%5D=2"), r#"{"a":["1","2"]}"#);
        assert_eq!(json("a=1"), r#"{"a":"1"}"#);
        assert_eq!(json("a=1&a[]=2"), r#"{"a":["1","2"]}"#);
        assert_eq!(json("a[1]=y&a[0]=x"), r#"{"a":["x","y"]}"#);
        assert_eq!(json("a[3]=x"), r#"{"a":["x"]}"#);
        assert_eq!(json("a[21]=x"), r#"{"a":{"21":"x"}}"#);
        assert_eq!(json("a[]=1,2"), r#"{"a":["1,2"]}"#);
    }

    #[test]
    fn objects_nesting_and_odd_keys() {
        assert_eq!(json("a[b][c]=1&a[d]=2"), r#"{"a":{"b":{"c":"1"},"d":"2"}}"#);
        assert_eq!(
            json("a[b][c][d][e][f][g][h]=1"),
            r#"{"a":{"b":{"c":{"d":{"e":{"f":{"[g][h]":"1"}}}}}}}"#
        );
        assert_eq!(json("a[b]=1&a=c"), r#"{"a":{"b":"1","c":true}}"#);
        assert_eq!(json("a]b=1&c[=2"), r#"{"a]b":"1","c[":"2"}"#);
        assert_eq!(json("b=1&0=2"), r#"{"0":"2","b":"1"}"#);
        assert_eq!(json("=x&&flag"), r#"{"flag":""}"#);
        assert_eq!(json("[]=x"), r#"{"0":"x"}"#);
    }

    #[test]
    fn decoding_as_qs_does() {
        assert_eq!(json("q=a+b%20c&e=%E4%B8%AD"), r#"{"q":"a b c","e":"中"}"#);
        assert_eq!(
            json("bad=%E4%B8&pct=100%"),
            r#"{"bad":"%E4%B8","pct":"100%"}"#
        );
        let many: Vec<String> = (0..1005).map(|i| format!("k{i}=v")).collect();
        assert_eq!(Query::parse(&many.join("&")).iter().count(), 1000);
    }

    #[test]
    fn typed_reads() {
        let q = Query::parse("ids[]=a&ids[]=b&csv=x,y&flag=True&n=1000.0&empty=&one[]=z");
        assert_eq!(q.list("ids"), ["a", "b"]);
        assert_eq!(q.list("csv"), ["x", "y"]);
        assert_eq!(q.list("one"), ["z"]);
        assert!(q.flag("flag"));
        assert_eq!(q.number("n"), Some(1000.0));
        assert_eq!(q.str("empty"), None);
        assert_eq!(q.str("ids"), None, "an array is not a string");
    }
}
