//! [`Nullable`]: the type of the optional arrays and objects of request bodies.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An optional request property that can be left out, sent as `null`, or sent with a
/// value: Authing reads a missing property as "leave it as it is", while an empty list
/// (`[]`) or `null` clears it (`allowedOrigins` of `update_security_settings`, for one).
///
/// Builders take the value itself (`.allowed_origins(vec![])`), an `Option` (`None`
/// leaves the property out) or `Nullable::Null`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum Nullable<T> {
    /// Not sent.
    #[default]
    Absent,
    /// Sent as `null`.
    Null,
    /// Sent as this value.
    Value(T),
}

impl<T> Nullable<T> {
    /// True when the property is left out (what `skip_serializing_if` asks).
    pub fn is_absent(&self) -> bool {
        matches!(self, Nullable::Absent)
    }

    /// The value, if there is one.
    pub fn as_ref(&self) -> Option<&T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }

    /// The value, if there is one.
    pub fn into_option(self) -> Option<T> {
        match self {
            Nullable::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<T> From<T> for Nullable<T> {
    fn from(value: T) -> Self {
        Nullable::Value(value)
    }
}

/// `None` leaves the property out; send `null` with [`Nullable::Null`].
impl<T> From<Option<T>> for Nullable<T> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Nullable::Absent, Nullable::Value)
    }
}

impl<T: Serialize> Serialize for Nullable<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Nullable::Value(v) => v.serialize(s),
            // `Absent` is skipped by the field's attribute; written anyway, it is null.
            Nullable::Absent | Nullable::Null => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Nullable<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A missing property never reaches here: the field's `default` makes it Absent.
        Ok(Option::<T>::deserialize(d)?.map_or(Nullable::Null, Nullable::Value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    struct Update {
        #[serde(default, skip_serializing_if = "Nullable::is_absent")]
        origins: Nullable<Vec<String>>,
    }

    #[test]
    fn absent_null_and_empty_are_three_requests() {
        let send =
            |origins: Nullable<Vec<String>>| serde_json::to_value(Update { origins }).unwrap();
        assert_eq!(send(Nullable::Absent), json!({}));
        assert_eq!(send(Nullable::Null), json!({"origins": null}));
        assert_eq!(send(vec![].into()), json!({"origins": []}));
        assert_eq!(send(None.into()), json!({}));
        for body in [
            json!({}),
            json!({"origins": null}),
            json!({"origins": ["a"]}),
        ] {
            let back: Update = serde_json::from_value(body.clone()).unwrap();
            assert_eq!(serde_json::to_value(back).unwrap(), body);
        }
    }
}
