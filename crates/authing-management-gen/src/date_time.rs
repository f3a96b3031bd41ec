//! [`LenientDateTime`]: the type of every `date-time` property.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// A date-time in any form Authing sends: RFC 3339 (`2022-07-03T02:20:30.000Z`), a date
/// alone (`2022-06-03`), epoch milliseconds as a number or a string of digits, or `""`.
///
/// The value is kept exactly as it came (and is sent back exactly so), and parsed on
/// request with [`LenientDateTime::to_utc`]. Build one from a `chrono::DateTime`, a
/// `chrono::NaiveDate` (for a date-only field such as `birthdate`), epoch milliseconds
/// or any string.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum LenientDateTime {
    /// A JSON string: RFC 3339, a date, digits, or empty.
    Text(String),
    /// A JSON number: epoch milliseconds (kept as sent, fraction and all).
    Millis(serde_json::Number),
}

impl LenientDateTime {
    /// Epoch milliseconds, sent as a JSON number.
    pub fn from_millis(millis: i64) -> Self {
        LenientDateTime::Millis(millis.into())
    }

    /// The instant, if the value is one: RFC 3339, a date (midnight UTC) or epoch
    /// milliseconds (number or digits). `None` for `""` or anything else.
    pub fn to_utc(&self) -> Option<DateTime<Utc>> {
        match self {
            LenientDateTime::Millis(n) => {
                let ms = n.as_i64().or_else(|| n.as_f64().map(|f| f as i64))?;
                Utc.timestamp_millis_opt(ms).single()
            }
            LenientDateTime::Text(text) => {
                let text = text.trim();
                if let Ok(t) = DateTime::parse_from_rfc3339(text) {
                    return Some(t.with_timezone(&Utc));
                }
                if let Ok(d) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                    return Some(d.and_hms_opt(0, 0, 0)?.and_utc());
                }
                if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
                    return Utc.timestamp_millis_opt(text.parse().ok()?).single();
                }
                None
            }
        }
    }

    /// The value as Authing sent it (`""` stays `""`; a number is its digits).
    pub fn as_text(&self) -> std::borrow::Cow<'_, str> {
        match self {
            LenientDateTime::Text(t) => t.as_str().into(),
            LenientDateTime::Millis(ms) => ms.to_string().into(),
        }
    }

    /// True for the empty string Authing sends for "never" (`lastMfaTime: ""`).
    pub fn is_empty(&self) -> bool {
        matches!(self, LenientDateTime::Text(t) if t.trim().is_empty())
    }
}

impl std::fmt::Display for LenientDateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.as_text())
    }
}

/// RFC 3339 in UTC with milliseconds, the form of Authing's own answers.
impl<Tz: TimeZone> From<DateTime<Tz>> for LenientDateTime {
    fn from(t: DateTime<Tz>) -> Self {
        LenientDateTime::Text(
            t.with_timezone(&Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        )
    }
}

/// `YYYY-MM-DD`, as Authing's examples write a `birthdate`.
impl From<NaiveDate> for LenientDateTime {
    fn from(d: NaiveDate) -> Self {
        LenientDateTime::Text(d.format("%Y-%m-%d").to_string())
    }
}

impl From<String> for LenientDateTime {
    fn from(text: String) -> Self {
        LenientDateTime::Text(text)
    }
}

impl From<&str> for LenientDateTime {
    fn from(text: &str) -> Self {
        LenientDateTime::Text(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn decode(v: serde_json::Value) -> LenientDateTime {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn every_form_authing_sends_decodes_and_parses() {
        let instant = Utc.with_ymd_and_hms(2022, 7, 3, 2, 20, 30).unwrap();
        assert_eq!(
            decode(json!("2022-07-03T02:20:30.000Z")).to_utc(),
            Some(instant)
        );
        assert_eq!(
            decode(json!("2022-07-03T10:20:30+08:00")).to_utc(),
            Some(instant)
        );
        assert_eq!(decode(json!(1_656_814_830_000_i64)).to_utc(), Some(instant));
        assert_eq!(decode(json!("1656814830000")).to_utc(), Some(instant));
        let day = Utc.with_ymd_and_hms(2022, 6, 3, 0, 0, 0).unwrap();
        assert_eq!(decode(json!("2022-06-03")).to_utc(), Some(day));
        let never = decode(json!(""));
        assert!(never.is_empty());
        assert_eq!(never.to_utc(), None);
        assert!(serde_json::from_value::<LenientDateTime>(json!(true)).is_err());
    }

    #[test]
    fn values_go_back_out_as_they_came() {
        for v in [
            json!("2022-06-03"),
            json!(""),
            json!(1_656_814_830_000_i64),
            json!("x"),
        ] {
            assert_eq!(serde_json::to_value(decode(v.clone())).unwrap(), v);
        }
        let birthdate = NaiveDate::from_ymd_opt(2022, 6, 3).unwrap();
        assert_eq!(LenientDateTime::from(birthdate).to_string(), "2022-06-03");
        let t = Utc.with_ymd_and_hms(2022, 7, 3, 2, 20, 30).unwrap();
        assert_eq!(
            LenientDateTime::from(t).to_string(),
            "2022-07-03T02:20:30.000Z"
        );
    }
}
