//! Walking a paged list as one stream of items.
//!
//! Authing pages by page number and size (in the query, the body, or the body's
//! `options.pagination`) and answers a page's items with the list's total. Every
//! builder of such an operation implements [`Paged`] (77 of them; `cargo xtask
//! generate` finds them by rule), and [`Paginate`] turns any of them into a stream:
//!
//! ```no_run
//! use authing::{ManagementClient, Paginate};
//! use futures::TryStreamExt;
//!
//! # async fn run(client: ManagementClient) -> Result<(), authing::Error> {
//! let users: Vec<_> = client.api().list_users().paginate_by(100).try_collect().await?;
//! println!("{} users", users.len());
//! # Ok(()) }
//! ```

use crate::{Error, ResultExt};
use authing_management_gen::{Envelope, Paged};
use futures::stream::{self, BoxStream, StreamExt};

/// A [`Paged`] request as a stream of every item of every page.
///
/// Pages are fetched one at a time, in order, each with the client's retries. The
/// walk starts at the page the request asks for (page 1 if it asks for none) and ends
/// when the items seen reach Authing's `totalCount`, or, when the answer has no total,
/// at the first page shorter than the page size; and always at an empty page. An
/// error ends the stream after being yielded as its last item: a failed page is never
/// a silent end of the list.
pub trait Paginate<'a>: Paged<'a> {
    /// Every item, in pages of the size the request asks for (or Authing's default).
    fn paginate(self) -> BoxStream<'a, Result<Self::Item, Error>>;

    /// Every item, in pages of `page_size`, or of the largest size Authing's document
    /// allows for the operation when that is smaller (50 for most).
    fn paginate_by(self, page_size: i64) -> BoxStream<'a, Result<Self::Item, Error>>;
}

impl<'a, P> Paginate<'a> for P
where
    P: Paged<'a>,
    P::Response: Envelope,
{
    fn paginate(self) -> BoxStream<'a, Result<Self::Item, Error>> {
        let (_, limit) = self.requested();
        walk(self, limit)
    }

    fn paginate_by(self, page_size: i64) -> BoxStream<'a, Result<Self::Item, Error>> {
        let largest = Self::MAX_PAGE_SIZE.unwrap_or(i64::MAX);
        walk(self, Some(page_size.clamp(1, largest.max(1))))
    }
}

struct Walk<P> {
    request: P,
    page: i64,
    limit: Option<i64>,
    /// The page size to compare against when there is no total: the limit asked
    /// for, else the first page's length.
    page_len: Option<usize>,
    seen: i64,
    done: bool,
}

fn walk<'a, P>(request: P, limit: Option<i64>) -> BoxStream<'a, Result<P::Item, Error>>
where
    P: Paged<'a>,
    P::Response: Envelope,
{
    let (page, _) = request.requested();
    let page = page.unwrap_or(1).max(1);
    let start = Walk {
        request,
        page,
        limit,
        page_len: limit.and_then(|l| usize::try_from(l).ok()),
        // A walk from page 3 of 20 has passed 40 items of the total.
        seen: limit.map_or(0, |l| (page - 1) * l),
        done: false,
    };
    stream::unfold(start, |mut w| async move {
        if w.done {
            return None;
        }
        let asked = w.request.clone().at_page(w.page, w.limit);
        let batch: Vec<Result<P::Item, Error>> = match asked.send_page().await.checked() {
            Err(e) => {
                w.done = true;
                vec![Err(e)]
            }
            Ok(response) => {
                let (items, total) = P::items(response);
                let count = items.len();
                w.seen += count as i64;
                let page_len = *w.page_len.get_or_insert(count);
                w.done = count == 0
                    || match total {
                        Some(total) => w.seen >= total,
                        None => count < page_len,
                    };
                w.page += 1;
                items.into_iter().map(Ok).collect()
            }
        };
        Some((stream::iter(batch), w))
    })
    .flatten()
    .boxed()
}
