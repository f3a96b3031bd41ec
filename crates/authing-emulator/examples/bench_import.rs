//! Throughput of the emulator's `POST /api/v3/import-otp`, for sizing tests and migrations.
//!
//! Starts the emulator in this process on 127.0.0.1 with `--users` seeded users, gets one
//! management token, then sends exactly `--requests` imports of `--batch` items each from
//! `--concurrency` tasks, and prints requests/s, items/s and latency percentiles. Bounded in
//! count and time (`--max-secs`), loopback only; client and server share this process's cores,
//! so the figures are a lower bound for the server alone.
//!
//! ```sh
//! cargo run --release -p authing-emulator --example bench_import -- --users 20000 --concurrency 8
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use authing_emulator::{Config, Emulator, SeedUser};
use bytes::Bytes;
use clap::Parser;
use serde_json::{json, Value};

#[derive(Parser, Debug)]
#[command(about = "Benchmark POST /api/v3/import-otp against an in-process emulator")]
struct Args {
    /// Users seeded before the run.
    #[arg(long, default_value_t = 20_000)]
    users: usize,
    /// Concurrent client tasks.
    #[arg(long, default_value_t = 8)]
    concurrency: usize,
    /// Import requests measured (after the warm-up).
    #[arg(long, default_value_t = 2_000)]
    requests: usize,
    /// Items per request (50: the list limit of Authing's other batch endpoints).
    #[arg(long, default_value_t = 50)]
    batch: usize,
    /// Requests sent before measuring, not counted.
    #[arg(long, default_value_t = 50)]
    warmup: usize,
    /// Seed users with an e-mail and a username too (seeding then checks their uniqueness).
    #[arg(long)]
    with_identifiers: bool,
    /// Hard stop: the run gives up (and fails) after this long.
    #[arg(long, default_value_t = 300)]
    max_secs: u64,
}

const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn user_id(i: usize) -> String {
    format!("bench{i:019}")
}

/// A base32 secret of 16 characters (80 bits), as Authing's example, derived from `n`.
fn secret(n: usize) -> String {
    let mut x = (n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    (0..16)
        .map(|_| {
            x = x.rotate_left(5).wrapping_mul(0x2545_F491_4F6C_DD1D);
            ALPHABET[(x >> 59) as usize] as char
        })
        .collect()
}

/// Request bodies are built up front so that the clock measures the server, not serde.
fn bodies(count: usize, batch: usize, users: usize, offset: usize) -> Vec<Bytes> {
    (0..count)
        .map(|r| {
            let list: Vec<Value> = (0..batch)
                .map(|k| {
                    let n = (offset + r) * batch + k;
                    json!({
                        "userId": user_id(n % users),
                        "otp": {"secret": secret(n), "recoveryCode": format!("rc-{n:08x}")},
                    })
                })
                .collect();
            Bytes::from(json!({ "list": list }).to_string())
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

struct Outcome {
    latencies: Vec<Duration>,
    failures: Vec<String>,
}

async fn run(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    pool: &str,
    bodies: Arc<Vec<Bytes>>,
    concurrency: usize,
) -> Outcome {
    let next = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, url, token, pool) = (
            http.clone(),
            url.to_string(),
            token.to_string(),
            pool.to_string(),
        );
        let (next, bodies) = (next.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut failures = Vec::new();
            loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(body) = bodies.get(i) else { break };
                let started = Instant::now();
                let result = http
                    .post(&url)
                    .header("authorization", format!("Bearer {token}"))
                    .header("x-authing-userpool-id", &pool)
                    .header("content-type", "application/json")
                    .body(body.clone())
                    .send()
                    .await;
                let outcome = match result {
                    Ok(response) => {
                        let status = response.status();
                        match response.bytes().await {
                            Ok(bytes) => {
                                let code = serde_json::from_slice::<Value>(&bytes)
                                    .ok()
                                    .and_then(|v| v["statusCode"].as_u64());
                                if status.is_success() && code == Some(200) {
                                    Ok(())
                                } else {
                                    Err(format!(
                                        "HTTP {status}: {}",
                                        String::from_utf8_lossy(&bytes)
                                    ))
                                }
                            }
                            Err(e) => Err(format!("reading the answer: {e}")),
                        }
                    }
                    Err(e) => Err(format!("sending: {e}")),
                };
                latencies.push(started.elapsed());
                if let Err(e) = outcome {
                    failures.push(e);
                }
            }
            (latencies, failures)
        }));
    }
    let mut outcome = Outcome {
        latencies: Vec::new(),
        failures: Vec::new(),
    };
    for task in tasks {
        let (latencies, failures) = task.await.expect("client task panicked");
        outcome.latencies.extend(latencies);
        outcome.failures.extend(failures);
    }
    outcome
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.users == 0 || args.concurrency == 0 || args.batch == 0 {
        return Err("--users, --concurrency and --batch must be at least 1".into());
    }
    let deadline = Duration::from_secs(args.max_secs);

    let seeding = Instant::now();
    let emulator = Emulator::start(Config {
        seed_users: (0..args.users)
            .map(|i| {
                let user = SeedUser::new(user_id(i));
                if args.with_identifiers {
                    user.email(format!("user{i}@example.com"))
                        .username(format!("user{i}"))
                } else {
                    user
                }
            })
            .collect(),
        ..Config::default()
    })
    .await?;
    let seed_time = seeding.elapsed();
    let base = emulator.base_url();
    let url = format!("{base}/api/v3/import-otp");

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let token: Value = http
        .post(format!("{base}/api/v3/get-management-token"))
        .json(&json!({
            "accessKeyId": emulator.access_key_id(),
            "accessKeySecret": emulator.access_key_secret(),
        }))
        .send()
        .await?
        .json()
        .await?;
    let token = token["data"]["access_token"]
        .as_str()
        .ok_or_else(|| format!("no token in {token}"))?
        .to_string();
    let pool = emulator.userpool_id().to_string();

    let warmup = Arc::new(bodies(args.warmup, args.batch, args.users, 0));
    let measured = Arc::new(bodies(args.requests, args.batch, args.users, args.warmup));
    let body_bytes: usize = measured.iter().map(Bytes::len).sum();

    let work = async {
        let warm = run(&http, &url, &token, &pool, warmup, args.concurrency).await;
        let started = Instant::now();
        let outcome = run(&http, &url, &token, &pool, measured, args.concurrency).await;
        (warm, outcome, started.elapsed())
    };
    let (warm, mut outcome, elapsed) = tokio::time::timeout(deadline, work)
        .await
        .map_err(|_| format!("gave up after {} s (--max-secs)", args.max_secs))?;

    let imported = emulator.export().iter().filter(|u| u.otp.is_some()).count();
    let stats = emulator.stats();
    emulator.shutdown().await;

    outcome.latencies.sort();
    let requests = outcome.latencies.len();
    let ok = requests - outcome.failures.len();
    let secs = elapsed.as_secs_f64();
    println!(
        "emulator: {} users{} seeded in {:.0} ms; {} warm-up requests ({} failed)",
        args.users,
        if args.with_identifiers {
            " (with e-mail and username)"
        } else {
            ""
        },
        ms(seed_time),
        args.warmup,
        warm.failures.len()
    );
    println!(
        "load: {requests} requests x {} items from {} tasks, {:.1} MiB of request bodies, {:.2} s",
        args.batch,
        args.concurrency,
        body_bytes as f64 / (1024.0 * 1024.0),
        secs
    );
    println!(
        "throughput: {:.0} requests/s, {:.0} items/s ({ok} ok, {} failed)",
        requests as f64 / secs,
        (ok * args.batch) as f64 / secs,
        outcome.failures.len()
    );
    println!(
        "latency: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(percentile(&outcome.latencies, 50.0)),
        ms(percentile(&outcome.latencies, 90.0)),
        ms(percentile(&outcome.latencies, 99.0)),
        ms(outcome.latencies.last().copied().unwrap_or_default())
    );
    println!(
        "check: {imported} of {} users hold an OTP secret; emulator counted {} requests",
        args.users, stats.total
    );
    if let Some(first) = outcome.failures.first().or(warm.failures.first()) {
        return Err(format!(
            "{} requests failed; first: {first}",
            outcome.failures.len() + warm.failures.len()
        )
        .into());
    }
    Ok(())
}
