//! Walking a paged operation called with JSON arguments: the same rule as
//! [`crate::Paginate`] (one [`Progress`]), over what the operation table says about
//! where a request asks for a page and where an answer has its items and total.

use futures::stream::{self, BoxStream, StreamExt};
use serde_json::{Map, Value};

use super::{check, JsonRequest, Kind, Operation, PageAt, Paging};
use crate::client::ManagementClient;
use crate::error::Error;
use crate::paging::Progress;

impl ManagementClient {
    /// Every item of every page of `operation`, from the page `request` asks for
    /// (page 1 if none), in pages of `page_size`, else of the size `request` asks for,
    /// else of the largest size the document allows; never larger than that. Errors
    /// end the stream after being yielded, as with [`crate::Paginate`].
    ///
    /// `Err` at once when the operation does not page or `request` fails
    /// [`check`](super::check).
    pub fn paginate_json(
        &self,
        operation: &'static Operation,
        request: JsonRequest,
        page_size: Option<i64>,
    ) -> Result<BoxStream<'static, Result<Value, Error>>, Error> {
        let Some(paging) = &operation.paging else {
            return Err(Error::InvalidRequest(format!(
                "{}: does not answer in pages",
                operation.name
            )));
        };
        check(operation, &request)?;
        let (page, asked) = requested(paging, &request);
        let largest = paging.max_page_size.unwrap_or(i64::MAX).max(1);
        let limit = page_size.or(asked).or(paging.max_page_size);
        let progress = Progress::new(page, limit.map(|l| l.clamp(1, largest)));
        let start = (self.clone(), request, progress);
        let items = stream::unfold(start, move |(client, request, mut progress)| async move {
            if progress.done {
                return None;
            }
            let asked = at_page(operation, paging, &request, progress.page, progress.limit);
            let batch = match client.call_json(operation, &asked).await {
                Err(e) => {
                    progress.done = true;
                    vec![Err(e)]
                }
                Ok(answer) => {
                    let (items, total) = items(paging, answer);
                    progress.advance(items.len(), total);
                    items.into_iter().map(Ok).collect()
                }
            };
            Some((stream::iter(batch), (client, request, progress)))
        });
        Ok(items.flatten().boxed())
    }
}

/// The page and page size `request` asks for.
fn requested(paging: &Paging, request: &JsonRequest) -> (Option<i64>, Option<i64>) {
    let (page, limit) = match &paging.at {
        PageAt::Query { page, limit } => (
            request.params.get(*page).cloned(),
            request.params.get(*limit).cloned(),
        ),
        PageAt::Body { at } => {
            let here = request
                .body
                .as_ref()
                .and_then(|b| at.iter().try_fold(b, |v, key| v.get(key)));
            (
                here.and_then(|h| h.get("page")).cloned(),
                here.and_then(|h| h.get("limit")).cloned(),
            )
        }
    };
    (
        page.as_ref().and_then(number),
        limit.as_ref().and_then(number),
    )
}

/// An integer, or a string holding one (some operations type page numbers as text).
fn number(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str()?.parse().ok())
}

/// `request` asking for page `page` of `limit` items, written as the operation types
/// page numbers (a few as strings).
fn at_page(
    operation: &Operation,
    paging: &Paging,
    request: &JsonRequest,
    page: i64,
    limit: Option<i64>,
) -> JsonRequest {
    let mut asked = request.clone();
    match &paging.at {
        PageAt::Query {
            page: page_name,
            limit: limit_name,
        } => {
            let as_text = operation
                .parameters
                .iter()
                .any(|p| p.name == *page_name && p.kind == Kind::String);
            asked
                .params
                .insert(page_name.to_string(), page_number(page, as_text));
            if let Some(limit) = limit {
                asked
                    .params
                    .insert(limit_name.to_string(), page_number(limit, as_text));
            }
        }
        PageAt::Body { at } => {
            let with = |as_text: bool| {
                let mut body = request
                    .body
                    .clone()
                    .unwrap_or_else(|| Value::Object(Map::new()));
                let here = at.iter().fold(&mut body, |v, key| &mut v[*key]);
                here["page"] = page_number(page, as_text);
                if let Some(limit) = limit {
                    here["limit"] = page_number(limit, as_text);
                }
                body
            };
            let numbers = with(false);
            let fits = |b: &Value| {
                operation
                    .body
                    .as_ref()
                    .is_some_and(|d| (d.check)(b).is_ok())
            };
            asked.body = Some(if fits(&numbers) { numbers } else { with(true) });
        }
    }
    asked
}

/// A page number or size as the operation types it: a number, or text.
fn page_number(n: i64, as_text: bool) -> Value {
    if as_text {
        Value::from(n.to_string())
    } else {
        Value::from(n)
    }
}

/// A page's items and the list's total, where the table says they are.
fn items(paging: &Paging, mut answer: Value) -> (Vec<Value>, Option<i64>) {
    let total = paging
        .total
        .and_then(|t| answer.pointer(t))
        .and_then(number);
    let items = match answer.pointer_mut(paging.items).map(Value::take) {
        Some(Value::Array(items)) => items,
        _ => Vec::new(),
    };
    (items, total)
}
