//! Throughput and memory of `authing otp import` against the in-process emulator.
//!
//! ```sh
//! cargo build --release -p authing-cli
//! cargo run --release -p authing-cli --example bench -- 100000
//! ```
//!
//! Generates N users and secrets, seeds the emulator, runs the release `authing`
//! binary on the CSV (no rate cap) and prints records/s and the importer's peak RSS
//! (VmHWM, sampled from /proc while it runs). Peak RSS should not grow with N.

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use authing_emulator::{Config, Emulator, SeedUser};

fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::main]
async fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let exe = std::env::current_exe()
        .expect("current exe")
        .parent()
        .and_then(|examples| examples.parent())
        .expect("target dir")
        .join("authing");
    if !exe.exists() {
        eprintln!(
            "{} not found: run `cargo build --release -p authing-cli` first",
            exe.display()
        );
        std::process::exit(2);
    }

    let emu = Emulator::start(Config::default()).await.expect("emulator");
    emu.seed((0..n).map(|i| SeedUser::new(format!("b{i:09}"))))
        .expect("seed");
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bench.csv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file).expect("create"));
        writeln!(w, "userId,secret,recoveryCode").unwrap();
        for i in 0..n {
            let raw: [u8; 20] = rand::random();
            let secret = authing_cli::base32::encode(&raw);
            writeln!(w, "b{i:09},{secret},rc-{i}").unwrap();
        }
    }
    let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);

    let started = Instant::now();
    let mut child = tokio::process::Command::new(&exe)
        .args([
            "otp",
            "import",
            file.to_str().unwrap(),
            "--max-rps",
            "0",
            "--concurrency",
            "8",
            "--json",
        ])
        .env("AUTHING_HOST", emu.base_url())
        .env("AUTHING_ACCESS_KEY_ID", emu.access_key_id())
        .env("AUTHING_ACCESS_KEY_SECRET", emu.access_key_secret())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn authing");
    let pid = child.id().expect("pid");
    let mut peak = 0;
    let stdout = child.stdout.take().expect("stdout");
    let reader = tokio::spawn(async move {
        use tokio::io::AsyncReadExt;
        let mut s = String::new();
        let mut stdout = stdout;
        let _ = stdout.read_to_string(&mut s).await;
        s
    });
    let status = loop {
        if let Some(kib) = peak_rss_kib(pid) {
            peak = peak.max(kib);
        }
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let elapsed = started.elapsed();
    let out = reader.await.unwrap_or_default();
    let imported = emu.export().iter().filter(|u| u.otp.is_some()).count();
    println!("records:     {n} ({:.1} MiB CSV)", size as f64 / 1048576.0);
    println!("exit:        {:?}", status.code());
    println!("imported:    {imported}");
    println!("elapsed:     {:.2}s", elapsed.as_secs_f64());
    println!(
        "throughput:  {:.0} records/s",
        n as f64 / elapsed.as_secs_f64()
    );
    println!(
        "peak RSS:    {:.1} MiB (importer process)",
        peak as f64 / 1024.0
    );
    if let Some(summary) = out.lines().last() {
        println!("summary:     {summary}");
    }
    emu.shutdown().await;
}
