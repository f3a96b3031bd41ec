//! Walking paged lists: every item exactly once, in every paging shape; errors as
//! items; retries per page; a short page ends a list without a total.

use authing::{AuthMode, Error, ManagementClient, Paginate, RetryConfig};
use authing_emulator::{Config, Emulator, SeedUser};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const USERS: usize = 10_050;

fn client(host: &str, mode: AuthMode, key: &str, secret: &str) -> ManagementClient {
    ManagementClient::builder()
        .host(host)
        .auth_mode(mode)
        .access_key_id(key)
        .access_key_secret(secret)
        .retry(
            RetryConfig::standard()
                .with_initial_backoff(Duration::from_millis(5))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_user_of_ten_thousand_comes_exactly_once_in_both_request_shapes() {
    let ids: Vec<String> = (0..USERS).map(|i| format!("user-{i:05}")).collect();
    let emu = Emulator::start(Config {
        seed_users: ids.iter().map(SeedUser::new).collect(),
        ..Config::default()
    })
    .await
    .unwrap();
    let client = client(
        &emu.base_url(),
        AuthMode::Token,
        emu.access_key_id(),
        emu.access_key_secret(),
    );
    let expected: BTreeSet<&str> = ids.iter().map(String::as_str).collect();

    // Body `options.pagination`: 100 asked, 50 sent (the document's maximum).
    let by_body: Vec<_> = client
        .api()
        .list_users()
        .paginate_by(100)
        .try_collect()
        .await
        .unwrap();
    // Query `page`/`limit`.
    let by_query: Vec<_> = client
        .api()
        .list_users_legacy()
        .paginate_by(50)
        .try_collect()
        .await
        .unwrap();
    for (shape, users) in [("options.pagination", by_body), ("query", by_query)] {
        let seen: Vec<String> = users.into_iter().map(|u| u.user_id.unwrap()).collect();
        assert_eq!(seen.len(), USERS, "{shape}: every user once, none twice");
        let unique: BTreeSet<&str> = seen.iter().map(String::as_str).collect();
        assert_eq!(unique, expected, "{shape}");
    }
}

/// A pool of `total` users answered page by page on `GET /api/v3/list-users`, with
/// `failing_page` answering a business error and `flaky_page` one HTTP 503 first.
struct Pages {
    total: usize,
    failing_page: Option<usize>,
    flaky_page: Option<usize>,
    requests: Mutex<Vec<usize>>,
    flaked: AtomicUsize,
    with_total: bool,
}

impl Pages {
    fn new(total: usize) -> Arc<Self> {
        Arc::new(Pages {
            total,
            failing_page: None,
            flaky_page: None,
            requests: Mutex::new(Vec::new()),
            flaked: AtomicUsize::new(0),
            with_total: true,
        })
    }
}

/// The mock's handle on the shared pool (wiremock keeps the responder).
struct Serve(Arc<Pages>);

impl Respond for Serve {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let pages = &self.0;
        let query = |k: &str| {
            req.url
                .query_pairs()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| v.parse::<usize>().ok())
        };
        let page = query("page").unwrap_or(1);
        let limit = query("limit").unwrap_or(10);
        pages.requests.lock().unwrap().push(page);
        if Some(page) == pages.flaky_page && pages.flaked.fetch_add(1, Ordering::SeqCst) == 0 {
            return ResponseTemplate::new(503);
        }
        if Some(page) == pages.failing_page {
            return ResponseTemplate::new(200).set_body_json(json!({
                "statusCode": 500, "message": "内部错误", "requestId": "r-37"
            }));
        }
        let items: Vec<_> = ((page - 1) * limit..(page * limit).min(pages.total))
            .map(|i| json!({"userId": format!("u{i}")}))
            .collect();
        let data = if pages.with_total {
            json!({"list": items, "totalCount": pages.total})
        } else {
            json!({"list": items})
        };
        ResponseTemplate::new(200)
            .set_body_json(json!({"statusCode": 200, "message": "", "data": data}))
    }
}

async fn mock(pages: Arc<Pages>) -> (MockServer, ManagementClient) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v3/list-users"))
        .respond_with(Serve(pages))
        .mount(&server)
        .await;
    // Signature mode: no token endpoint to mock.
    let client = client(&server.uri(), AuthMode::Signature, "key", "secret");
    (server, client)
}

#[tokio::test]
async fn an_error_on_page_37_is_the_last_item_not_a_silent_end() {
    let mut pages = Pages::new(5_000);
    Arc::get_mut(&mut pages).unwrap().failing_page = Some(37);
    let (_server, client) = mock(pages.clone()).await;
    let items: Vec<Result<_, Error>> = client
        .api()
        .list_users_legacy()
        .paginate_by(50)
        .collect()
        .await;
    let (ok, err): (Vec<_>, Vec<_>) = items.into_iter().partition(Result::is_ok);
    assert_eq!(ok.len(), 36 * 50, "the 36 pages before the failure");
    assert_eq!(err.len(), 1);
    let e = err.into_iter().next().unwrap().unwrap_err();
    assert_eq!(e.status_code(), Some(500));
    assert_eq!(e.request_id(), Some("r-37"));
    // A statusCode 500 on an idempotent call is retried (3 attempts in all), then
    // ends the walk: nothing after the failed page is asked for.
    let asked = pages.requests.lock().unwrap().clone();
    let want: Vec<usize> = (1..=36).chain([37, 37, 37]).collect();
    assert_eq!(asked, want);
}

#[tokio::test]
async fn a_page_that_fails_once_is_retried_and_the_walk_goes_on() {
    let mut pages = Pages::new(230);
    Arc::get_mut(&mut pages).unwrap().flaky_page = Some(3);
    let (_server, client) = mock(pages.clone()).await;
    let users: Vec<_> = client
        .api()
        .list_users_legacy()
        .paginate_by(50)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 230);
    let asked = pages.requests.lock().unwrap().clone();
    assert_eq!(
        asked,
        vec![1, 2, 3, 3, 4, 5],
        "page 3 twice, then on; 5 is the short last page"
    );
}

#[tokio::test]
async fn without_a_total_the_first_short_page_ends_the_list() {
    let mut pages = Pages::new(23);
    Arc::get_mut(&mut pages).unwrap().with_total = false;
    let (_server, client) = mock(pages.clone()).await;
    // No page size asked: Authing's default (10 here) is learnt from the first page.
    let users: Vec<_> = client
        .api()
        .list_users_legacy()
        .paginate()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(users.len(), 23);
    assert_eq!(pages.requests.lock().unwrap().clone(), vec![1, 2, 3]);
}

#[tokio::test]
async fn a_walk_starts_at_the_page_the_request_asks_for() {
    let pages = Pages::new(100);
    let (_server, client) = mock(pages.clone()).await;
    let users: Vec<_> = client
        .api()
        .list_users_legacy()
        .page(3)
        .limit(20)
        .paginate()
        .try_collect()
        .await
        .unwrap();
    // Pages 3..5 of 20: items 40..100; the 40 before page 3 count toward the total.
    assert_eq!(users.len(), 60);
    assert_eq!(pages.requests.lock().unwrap().clone(), vec![3, 4, 5]);
}
