//! Request counts, by operation and outcome.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Request counts. Admin (`/_emulator/*`) requests are not counted.
///
/// JSON form: `{"total":5,"unmatched":1,"byOperation":{"UsersManagementController_importOtp":
/// {"200":3,"404":1}},"byOutcome":{"200":3,"404":2}}`. An outcome is the envelope's statusCode
/// (HTTP status when there is no envelope), or `"dropped"` for a dropped connection.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    pub total: u64,
    /// Requests whose path or method matches no operation of the document.
    pub unmatched: u64,
    pub by_operation: BTreeMap<String, BTreeMap<String, u64>>,
    pub by_outcome: BTreeMap<String, u64>,
}

impl Stats {
    /// How many requests to `operation_id` ended with `outcome` (e.g. `"200"`, `"dropped"`).
    pub fn count(&self, operation_id: &str, outcome: &str) -> u64 {
        self.by_operation
            .get(operation_id)
            .and_then(|m| m.get(outcome))
            .copied()
            .unwrap_or(0)
    }

    /// All requests to `operation_id`, whatever their outcome.
    pub fn operation_total(&self, operation_id: &str) -> u64 {
        self.by_operation
            .get(operation_id)
            .map(|m| m.values().sum())
            .unwrap_or(0)
    }

    pub(crate) fn record(&mut self, operation_id: Option<&str>, outcome: &str) {
        self.total += 1;
        *self.by_outcome.entry(outcome.to_string()).or_default() += 1;
        match operation_id {
            Some(op) => {
                *self
                    .by_operation
                    .entry(op.to_string())
                    .or_default()
                    .entry(outcome.to_string())
                    .or_default() += 1
            }
            None => self.unmatched += 1,
        }
    }
}
