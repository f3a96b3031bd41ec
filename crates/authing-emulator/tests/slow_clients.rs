//! Slow and stalled clients do not hold the emulator's sockets: connections idle
//! past `Config::idle_timeout` are closed, while other clients are served; an answer
//! the emulator delays on purpose is not idleness.

use std::time::{Duration, Instant};

use authing_emulator::{Config, Emulator};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SLOW_CLIENTS: usize = 500;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_are_closed() {
    let emu = Emulator::start(Config {
        idle_timeout: Duration::from_millis(800),
        ..Config::default()
    })
    .await
    .unwrap();
    let addr = emu.local_addr();
    let mut slow = Vec::with_capacity(SLOW_CLIENTS);
    for i in 0..SLOW_CLIENTS {
        let mut s = TcpStream::connect(addr).await.unwrap();
        match i % 3 {
            0 => {} // connects, says nothing
            1 => s.write_all(b"GET /_emulator/hea").await.unwrap(), // half a request line
            _ => s
                // headers done, body promised and half sent
                .write_all(
                    b"POST /api/v3/import-otp HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\n\r\n{\"list\":",
                )
                .await
                .unwrap(),
        }
        slow.push(s);
    }

    // Meanwhile a normal client is served.
    let health = reqwest::get(format!("{}/_emulator/health", emu.base_url()))
        .await
        .unwrap();
    assert_eq!(health.status(), 200);

    // Every slow connection is closed by the server within the timeout (plus slack).
    let started = Instant::now();
    let mut buf = [0u8; 256];
    for (i, s) in slow.iter_mut().enumerate() {
        let closed = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match s.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {} // an error answer may come first; then the close
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "connection {i} still open");
    }
    assert!(started.elapsed() < Duration::from_secs(10));

    // And a connection that keeps talking is not cut off by the timeout.
    let client = reqwest::Client::new();
    for _ in 0..3 {
        let r = client
            .get(format!("{}/_emulator/health", emu.base_url()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    emu.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_answer_delayed_past_the_idle_timeout_still_arrives() {
    let emu = Emulator::start(Config {
        idle_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await
    .unwrap();
    // A rule that only delays: three idle timeouts long.
    let mut rule = authing_emulator::FaultRule::new(authing_emulator::ANY_OPERATION, 0);
    rule.status = None;
    rule.latency_ms = 900;
    emu.add_fault_rule(rule).unwrap();
    let started = Instant::now();
    // No credentials: the delayed answer is Authing's 401 envelope, but an answer.
    let answer = reqwest::get(format!("{}/api/v3/get-user?userId=u1", emu.base_url()))
        .await
        .expect("an answer, not a closed connection");
    assert!(started.elapsed() >= Duration::from_millis(900));
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["statusCode"], 401, "{body}");
    emu.shutdown().await;
}
