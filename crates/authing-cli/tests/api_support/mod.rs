//! What the `authing api` tests share: an emulator in the test process and the real
//! `authing` binary pointed at it, with what it printed and how it ended. Built on
//! `common`, which the test file declares beside it.
#![allow(dead_code)] // each test file uses its own part

use std::process::Output;

use authing_emulator::Emulator;
use serde_json::Value;

use crate::common;

/// Exit codes of the one table (src/bin/authing/exit.rs).
pub const USAGE: i32 = 2;
pub const API_ERROR: i32 = 3;
pub const INVALID_INPUT: i32 = 65;

pub use common::emulator;

/// `authing ARGS` with credentials for `emu` (none for `None`) and nothing inherited
/// that could interfere.
pub fn command(emu: Option<&Emulator>, args: &[&str]) -> tokio::process::Command {
    match emu {
        Some(emu) => common::command(emu, args),
        None => common::plain_command(args),
    }
}

/// What a run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let code = out.status.code().expect("exited normally");
        assert_ne!(code, 101, "panicked: {stderr}");
        Run {
            code,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr,
        }
    }
}

impl Run {
    #[track_caller]
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "stdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    pub fn lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).expect("one JSON value a line"))
            .collect()
    }
}

pub async fn api(emu: Option<&Emulator>, args: &[&str]) -> Run {
    let mut all = vec!["api"];
    all.extend_from_slice(args);
    command(emu, &all)
        .output()
        .await
        .expect("run authing")
        .into()
}
