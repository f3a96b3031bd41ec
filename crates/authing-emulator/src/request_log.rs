//! The request log: the last requests the Management API got, for tests that want to see
//! what a client sent and what it was answered. It holds no secret and no token: no headers,
//! no bodies, no query strings, only what identifies the exchange.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// Entries kept unless [`crate::Config::request_log_capacity`] says otherwise.
pub const DEFAULT_REQUEST_LOG_CAPACITY: usize = 1000;

/// One request. JSON form (`GET /_emulator/requests`): `{"seq":3,"at":"2026-…Z",
/// "method":"POST","path":"/api/v3/import-otp","operation":"UsersManagementController_importOtp",
/// "status":200,"statusCode":404,"durationMs":1.25,"requestId":"…"}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedRequest {
    /// 1 for the first request since start or reset.
    pub seq: u64,
    /// When the request arrived (RFC 3339).
    pub at: String,
    pub method: String,
    /// The path, without the query string.
    pub path: String,
    /// The operationId; `None` when the path and method match no operation.
    pub operation: Option<String>,
    /// The HTTP status (of the answer that was lost, for a dropped connection).
    pub status: u16,
    /// The envelope's `statusCode`, when the answer has one.
    pub status_code: Option<u16>,
    pub duration_ms: f64,
    pub request_id: String,
    /// The injected fault that answered, if one did: `fail503`, `maxRps`, `dropped`,
    /// `rule 2`...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
}

#[derive(Debug)]
pub(crate) struct RequestLog {
    entries: VecDeque<LoggedRequest>,
    capacity: usize,
    next_seq: u64,
}

impl RequestLog {
    pub fn new(capacity: usize) -> Self {
        RequestLog {
            entries: VecDeque::with_capacity(capacity.min(DEFAULT_REQUEST_LOG_CAPACITY)),
            capacity,
            next_seq: 0,
        }
    }

    /// Adds an entry (its `seq` is assigned here), forgetting the oldest beyond capacity.
    pub fn push(&mut self, mut entry: LoggedRequest) {
        if self.capacity == 0 {
            return;
        }
        self.next_seq += 1;
        entry.seq = self.next_seq;
        if self.entries.len() == self.capacity {
            self.entries.pop_front();
        }
        self.entries.push_back(entry);
    }

    /// The kept entries, oldest first.
    pub fn entries(&self) -> Vec<LoggedRequest> {
        self.entries.iter().cloned().collect()
    }

    /// How many requests were logged since start or reset, kept or not.
    pub fn total(&self) -> u64 {
        self.next_seq
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.next_seq = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str) -> LoggedRequest {
        LoggedRequest {
            seq: 0,
            at: String::new(),
            method: "GET".into(),
            path: path.into(),
            operation: None,
            status: 200,
            status_code: Some(200),
            duration_ms: 0.0,
            request_id: String::new(),
            fault: None,
        }
    }

    #[test]
    fn bounded_oldest_first() {
        let mut log = RequestLog::new(2);
        for path in ["/a", "/b", "/c"] {
            log.push(entry(path));
        }
        let kept: Vec<(u64, String)> = log.entries().into_iter().map(|e| (e.seq, e.path)).collect();
        assert_eq!(kept, [(2, "/b".to_string()), (3, "/c".to_string())]);
        assert_eq!(log.total(), 3);
        log.clear();
        assert!(log.entries().is_empty());
        let mut off = RequestLog::new(0);
        off.push(entry("/a"));
        assert!(off.entries().is_empty());
    }
}
