//! [`Paged`]: what the xtask implements for every builder of an operation that pages
//! (see `xtask/src/paging.rs`); the `authing` crate walks any of them as a stream.

use crate::{BoxFuture, Error, ResponseValue};
use serde::{de::DeserializeOwned, Serialize};

/// A request for one page of a list Authing answers in pages.
pub trait Paged<'a>: Clone + Send + Sized + 'a {
    /// One element of the list.
    type Item: Send + 'a;
    /// The operation's success body (Authing's envelope).
    type Response: DeserializeOwned + Send + 'a;

    /// The largest page size Authing's document allows for this operation, if it says.
    const MAX_PAGE_SIZE: Option<i64> = None;

    /// The page and page size this request asks for (`None`: not set).
    fn requested(&self) -> (Option<i64>, Option<i64>);

    /// The same request for page `page` (from 1), of `limit` items when given.
    fn at_page(self, page: i64, limit: Option<i64>) -> Self;

    /// Send this request.
    fn send_page(self) -> BoxFuture<'a, Result<ResponseValue<Self::Response>, Error<()>>>;

    /// A page's items, and the list's total length when Authing gives it.
    fn items(response: Self::Response) -> (Vec<Self::Item>, Option<i64>);
}

/// The `page` and `limit` of a body builder, found under the keys `at`.
#[doc(hidden)]
pub fn body_page<T, B>(body: &Result<B, String>, at: &[&str]) -> (Option<i64>, Option<i64>)
where
    B: Clone,
    T: TryFrom<B> + Serialize,
{
    let Some(value) = body
        .as_ref()
        .ok()
        .and_then(|b| T::try_from(b.clone()).ok())
        .and_then(|t| serde_json::to_value(t).ok())
    else {
        return (None, None);
    };
    let here = at.iter().fold(&value, |v, key| &v[*key]);
    let number = |v: &serde_json::Value| v.as_i64().or_else(|| v.as_str()?.parse().ok());
    (number(&here["page"]), number(&here["limit"]))
}

/// A body builder with `page` (and `limit`, when given) set under the keys `at`, the
/// rest of the body unchanged. The body goes through its JSON form, which the body
/// types round-trip exactly.
#[doc(hidden)]
pub fn with_body_page<T, B>(
    body: Result<B, String>,
    at: &[&str],
    page: i64,
    limit: Option<i64>,
) -> Result<B, String>
where
    T: TryFrom<B> + Serialize + DeserializeOwned,
    <T as TryFrom<B>>::Error: std::fmt::Display,
    B: From<T>,
{
    let typed = T::try_from(body?).map_err(|e| e.to_string())?;
    let value = serde_json::to_value(typed).map_err(|e| e.to_string())?;
    let with = |as_text: bool| {
        let mut value = value.clone();
        // Indexing a missing key or `null` makes the object on the way.
        let here = at.iter().fold(&mut value, |v, key| &mut v[*key]);
        let number = |n: i64| match as_text {
            true => serde_json::Value::from(n.to_string()),
            false => serde_json::Value::from(n),
        };
        here["page"] = number(page);
        if let Some(limit) = limit {
            here["limit"] = number(limit);
        }
        serde_json::from_value::<T>(value)
    };
    // Some operations type their page numbers as strings.
    let typed = with(false)
        .or_else(|_| with(true))
        .map_err(|e| e.to_string())?;
    Ok(B::from(typed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
    struct Body {
        #[serde(skip_serializing_if = "Option::is_none")]
        keywords: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        options: Option<serde_json::Value>,
    }

    #[test]
    fn body_pages_are_set_where_the_shape_says_and_nothing_else_moves() {
        let body: Result<Body, String> = Ok(Body {
            keywords: Some("a".into()),
            options: Some(serde_json::json!({"withCustomData": true})),
        });
        assert_eq!(
            body_page::<Body, _>(&body, &["options", "pagination"]),
            (None, None)
        );
        let paged = with_body_page::<Body, _>(body, &["options", "pagination"], 3, Some(50));
        let paged = paged.unwrap();
        assert_eq!(paged.keywords.as_deref(), Some("a"));
        assert_eq!(
            paged.options,
            Some(
                serde_json::json!({"withCustomData": true, "pagination": {"page": 3, "limit": 50}})
            )
        );
        assert_eq!(
            body_page::<Body, _>(&Ok(paged), &["options", "pagination"]),
            (Some(3), Some(50))
        );
        let err: Result<Body, String> = Err("email was not set".into());
        assert!(with_body_page::<Body, _>(err, &[], 1, None).is_err());
    }
}
