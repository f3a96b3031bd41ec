//! `page`/`limit` as Authing checks them, and pages of a list.

use serde_json::{json, Value};

use super::Reply;

/// Authing's largest page (`limit`); larger is refused.
const MAX_LIMIT: f64 = 50.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: usize,
    pub limit: usize,
}

impl Page {
    /// Defaults page 1 and 10 per page. Messages are Authing's own (its Node SDK's tests):
    /// `参数 page 格式错误` for a page below 1, `参数 limit 格式错误` for a limit below 1,
    /// `limit must less than 50` above 50.
    pub fn new(page: Option<f64>, limit: Option<f64>) -> Result<Page, Reply> {
        let page = page.unwrap_or(1.0);
        let limit = limit.unwrap_or(10.0);
        if page < 1.0 || page.fract() != 0.0 {
            return Err(Reply::bad_param("page"));
        }
        if limit < 1.0 || limit.fract() != 0.0 {
            return Err(Reply::bad_param("limit"));
        }
        if limit > MAX_LIMIT {
            return Err(Reply::error(400, None, "limit must less than 50"));
        }
        Ok(Page {
            page: page as usize,
            limit: limit as usize,
        })
    }

    /// `page` and `limit` from a query.
    pub fn from_query(query: &crate::query::Query) -> Result<Page, Reply> {
        Page::new(query.number("page"), query.number("limit"))
    }

    /// The items of this page; iterating costs the items skipped, not more.
    pub fn of<T>(&self, items: impl Iterator<Item = T>) -> Vec<T> {
        items
            .skip((self.page - 1).saturating_mul(self.limit))
            .take(self.limit)
            .collect()
    }
}

/// `{"totalCount": …, "list": […]}`, the document's paged shape.
pub fn paged(total: usize, list: Vec<Value>) -> Reply {
    Reply::ok(Some(json!({"totalCount": total, "list": list})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_messages() {
        assert_eq!(Page::new(None, None).unwrap(), Page { page: 1, limit: 10 });
        assert_eq!(
            Page::new(Some(2.0), Some(50.0)).unwrap().of(0..200),
            (50..100).collect::<Vec<_>>()
        );
        let message = |r: Result<Page, Reply>| r.unwrap_err().body["message"].clone();
        assert_eq!(message(Page::new(Some(0.0), None)), "参数 page 格式错误");
        assert_eq!(message(Page::new(None, Some(0.0))), "参数 limit 格式错误");
        assert_eq!(
            message(Page::new(None, Some(220.0))),
            "limit must less than 50"
        );
        assert_eq!(message(Page::new(Some(1.5), None)), "参数 page 格式错误");
    }
}
