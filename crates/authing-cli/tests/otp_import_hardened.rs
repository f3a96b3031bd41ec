//! The import under what a real migration meets: a mix of faults (throttling,
//! 503s, answers lost after the write was applied, tokens expiring every 2 s), a
//! rate limit, two runs on one journal, and hostile files. The real binary against
//! the emulator's fault injection.

mod common;

use authing_emulator::operation::{GET_OTP_SECRET_BY_USER as READ_OP, IMPORT_OTP as IMPORT_OP};
use authing_emulator::{Emulator, FaultRule, Faults};
use common::*;

/// 5 % throttled, 5 % 503, 2 % lost answers (applied, then the connection drops),
/// tokens living 2 s.
fn fault_mix() -> Faults {
    Faults {
        fail_429: 0.05,
        fail_503: 0.05,
        fail_drop: 0.02,
        token_ttl_secs: Some(2),
        ..Faults::default()
    }
}

/// Imports `n` records under the fault mix (with `extra` flags), then, if anything
/// is left, one `--resume`: the pool must then equal the input.
async fn import_under_faults(n: usize, extra: &[&str]) -> (Emulator, Vec<serde_json::Value>) {
    let dir = tempfile::tempdir().unwrap();
    let (emu, file, ids, secrets) = seeded_file(dir.path(), "m", n).await;
    emu.set_faults(fault_mix());
    // The mix is random; these make sure each kind meets both calls at least once
    // (30 imports at 10 % would see none about one run in 25).
    for op in [IMPORT_OP, READ_OP] {
        for status in [429, 503] {
            emu.add_fault_rule(FaultRule {
                count: Some(1),
                ..FaultRule::new(op, status)
            })
            .unwrap();
        }
    }
    let mut flags = vec!["--batch-size", "20", "--max-rps", "0", "--json"];
    flags.extend_from_slice(extra);
    let mut summaries = Vec::new();
    let out = import(&emu, &file, &flags).await;
    let first = code(&out);
    assert!(
        matches!(first, 0 | 1),
        "exit {first}: {}",
        text(&out.stderr)
    );
    summaries.push(json_summary(&out));
    assert_no_secret(&[&text(&out.stdout), &text(&out.stderr)], &secrets);
    if first != 0 {
        flags.push("--resume");
        let out = import(&emu, &file, &flags).await;
        assert_exit(&out, 0);
        summaries.push(json_summary(&out));
    }
    for s in &summaries {
        assert_counts_add_up(s, n as u64);
    }
    emu.set_faults(Faults::default());
    emu.clear_fault_rules();
    assert_state_is(&emu, &ids, &secrets);
    (emu, summaries)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fault_mix_converges_within_one_resume() {
    let (emu, summaries) = import_under_faults(600, &[]).await;
    // The faults did happen, and were absorbed by the attempt loop.
    let stats = emu.stats();
    assert!(stats.count(IMPORT_OP, "429") > 0 && stats.count(IMPORT_OP, "503") > 0);
    assert!(summaries[0]["imported"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_under_a_fault_mix_neither_stops_nor_stalls_a_resume() {
    let (emu, summaries) = import_under_faults(600, &["--verify"]).await;
    // Read-backs met faults too; none stopped the run (exit 69) or made it a strike.
    let stats = emu.stats();
    assert!(stats.count(READ_OP, "429") > 0 && stats.count(READ_OP, "503") > 0);
    let last = summaries.last().unwrap();
    assert_eq!(last["failed"], 0, "{last}");
    assert!(last["verified"].as_u64().unwrap() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throttling_slows_the_import_down_without_failing_anything() {
    const N: usize = 300;
    let dir = tempfile::tempdir().unwrap();
    let (emu, file, ids, secrets) = seeded_file(dir.path(), "r", N).await;
    // A pool that allows 60 requests per second, 429 without Retry-After; no cap
    // of our own: 15 imports and 300 read-backs must adapt to it.
    emu.set_faults(Faults {
        max_rps: Some(60),
        ..Faults::default()
    });
    let out = import(
        &emu,
        &file,
        &["--batch-size", "20", "--max-rps", "0", "--verify", "--json"],
    )
    .await;
    assert_exit(&out, 0);
    let summary = json_summary(&out);
    assert_eq!(summary["imported"], N as u64);
    assert_eq!(summary["verified"], N as u64);
    assert_eq!(summary["failed"], 0);
    let stats = emu.stats();
    let throttled = stats.count(IMPORT_OP, "429") + stats.count(READ_OP, "429");
    assert!(throttled > 0, "the limit was met: {stats:?}");
    // Adapted: most requests went through the first time.
    let sent = stats.operation_total(IMPORT_OP) + stats.operation_total(READ_OP);
    assert!(throttled * 3 < sent, "{throttled} throttled of {sent}");
    emu.set_faults(Faults::default());
    assert_state_is(&emu, &ids, &secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_run_on_a_journal_in_use_exits_at_once_and_a_killed_one_blocks_nothing() {
    const N: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let (emu, file, ids, secrets) = seeded_file(dir.path(), "l", N).await;
    let journal = dir.path().join("users.csv.journal");
    // 20 batches at one request per second: still running when the second run starts,
    // however slow the machine.
    let mut first = import_command(&emu, &file, &["--batch-size", "10", "--max-rps", "1"])
        .spawn()
        .unwrap();
    wait_for_journal_lines(&journal, 2).await;
    let pid = first.id().unwrap();

    // 75 itself says it did not wait: a run that waited for the lock would have
    // imported after the first and exited 0.
    let out = import(&emu, &file, &["--resume", "--max-rps", "0"]).await;
    assert_exit(&out, 75);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("in use by another import run") && stderr.contains(&format!("pid {pid}")),
        "{stderr}"
    );

    // kill -9 the holder: its lock dies with it, and --resume completes the import.
    first.start_kill().unwrap();
    first.wait().await.unwrap();
    let out = import(&emu, &file, &["--resume", "--max-rps", "0", "--json"]).await;
    assert_exit(&out, 0);
    assert_counts_add_up(&json_summary(&out), N as u64);
    assert_state_is(&emu, &ids, &secrets);
    for line in std::fs::read_to_string(&journal).unwrap().lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("every journal line is whole");
    }
}

/// Imports `file`, which must be refused as invalid (65) with `FILE:LINE_AND_REST`
/// on stderr; returns stderr.
async fn refused(emu: &Emulator, file: &std::path::Path, line_and_rest: &str) -> String {
    let out = import(emu, file, &[]).await;
    assert_exit(&out, 65);
    let stderr = text(&out.stderr);
    let expected = format!("{}:{line_and_rest}", p(file));
    assert!(stderr.contains(&expected), "no `{expected}` in {stderr}");
    stderr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_files_are_refused_with_file_and_line() {
    let emu = emulator([]).await;
    let dir = tempfile::tempdir().unwrap();
    let (s1, s2) = (secret(20), secret(20));

    // Two secrets in one otpauth URI: which one the app holds is unknowable.
    let uris = write(
        dir.path(),
        "uris.txt",
        &format!("# export\notpauth://totp/ACME:bob?secret={s1}&issuer=ACME&secret={s2}\n"),
    );
    let stderr = refused(&emu, &uris, "2: uri: `secret` appears more than once").await;
    assert_no_secret(&[&stderr], &[s1.clone(), s2.clone()]);

    // A 10 MB "secret" (a corrupted export) is refused, and not echoed.
    let huge = "A".repeat(10 << 20);
    let csv = write(
        dir.path(),
        "huge.csv",
        &format!("userId,secret\nu1,{s1}\nu2,{huge}\n"),
    );
    let stderr = refused(&emu, &csv, "3: secret: too long").await;
    assert!(stderr.len() < 10_000);

    // No records at all is an error, unless asked for.
    let empty = write(dir.path(), "empty.csv", "userId,secret\n");
    let out = import(&emu, &empty, &["--json"]).await;
    assert_exit(&out, 65);
    assert!(
        text(&out.stderr).contains("no records"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(json_summary(&out)["exitCode"], 65);
    let out = import(&emu, &empty, &["--allow-empty"]).await;
    assert_exit(&out, 0);
    assert_eq!(emu.stats().operation_total(IMPORT_OP), 0);
}
