//! Fault rules: faults aimed at one operation (or all), added and removed at run time,
//! beside the global faults of [`crate::Faults`]. A rule answers with a status and body of its
//! choice, with a probability, a given number of times, after a latency; a rule without a
//! status only delays the real answer.

use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Any operation.
pub const ANY_OPERATION: &str = "*";

/// A fault rule. JSON form (`POST /_emulator/fault-rules`): `{"operation":
/// "UsersManagementController_importOtp","status":503,"probability":1,"count":2,
/// "latencyMs":0,"body":null}`; `id` and `fired` are set by the emulator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FaultRule {
    /// Set by the emulator when the rule is added.
    #[serde(default)]
    pub id: u64,
    /// An operationId, or `*` for every operation.
    pub operation: String,
    /// The HTTP status to answer; none: the rule only adds latency.
    #[serde(default)]
    pub status: Option<u16>,
    /// The body to answer (JSON); none: Authing's envelope with `statusCode` = `status` (and
    /// Authing's throttling message for 429). An object gets a `requestId` if it has none.
    #[serde(default)]
    pub body: Option<Value>,
    /// Chance of firing on a matching request, 0-1 (default 1).
    #[serde(default = "always")]
    pub probability: f64,
    /// How many more times it may fire; none: without limit.
    #[serde(default)]
    pub count: Option<u64>,
    /// Delay before the answer, when the rule fires.
    #[serde(default)]
    pub latency_ms: u64,
    /// How many times it has fired.
    #[serde(default)]
    pub fired: u64,
}

fn always() -> f64 {
    1.0
}

impl FaultRule {
    /// A rule answering `status` on every request to `operation`.
    pub fn new(operation: impl Into<String>, status: u16) -> Self {
        FaultRule {
            id: 0,
            operation: operation.into(),
            status: Some(status),
            body: None,
            probability: 1.0,
            count: None,
            latency_ms: 0,
            fired: 0,
        }
    }

    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    pub fn probability(mut self, probability: f64) -> Self {
        self.probability = probability;
        self
    }

    pub fn count(mut self, count: u64) -> Self {
        self.count = Some(count);
        self
    }

    pub fn latency_ms(mut self, latency_ms: u64) -> Self {
        self.latency_ms = latency_ms;
        self
    }

    /// Rejects what cannot be applied, naming the field.
    pub fn validate(&self, is_operation: impl Fn(&str) -> bool) -> Result<(), String> {
        if self.operation != ANY_OPERATION && !is_operation(&self.operation) {
            return Err(format!(
                "operation {:?} is not an operationId of the document (or `*`)",
                self.operation
            ));
        }
        if !(0.0..=1.0).contains(&self.probability) {
            return Err(format!(
                "probability must be between 0 and 1, got {}",
                self.probability
            ));
        }
        if let Some(status) = self.status {
            if !(100..=599).contains(&status) {
                return Err(format!("status must be an HTTP status, got {status}"));
            }
        }
        if self.status.is_none() && self.body.is_some() {
            return Err("a body needs a status".into());
        }
        Ok(())
    }
}

/// What a firing rule asks of the request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Firing {
    pub rule: u64,
    pub latency_ms: u64,
    pub answer: Option<(u16, Option<Value>)>,
}

#[derive(Debug, Default)]
pub(crate) struct FaultRules {
    rules: Vec<FaultRule>,
    next_id: u64,
}

impl FaultRules {
    pub fn add(&mut self, mut rule: FaultRule) -> u64 {
        self.next_id += 1;
        rule.id = self.next_id;
        rule.fired = 0;
        self.rules.push(rule);
        self.next_id
    }

    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.rules.len();
        self.rules.retain(|r| r.id != id);
        self.rules.len() != before
    }

    pub fn clear(&mut self) {
        self.rules.clear();
    }

    pub fn list(&self) -> Vec<FaultRule> {
        self.rules.clone()
    }

    /// The first rule for `operation` that fires now, counted as fired.
    pub fn fire(&mut self, operation: &str) -> Option<Firing> {
        let mut rng = rand::rng();
        for rule in &mut self.rules {
            let matches = rule.operation == ANY_OPERATION || rule.operation == operation;
            if !matches || rule.count == Some(0) {
                continue;
            }
            if rule.probability < 1.0 && rng.random::<f64>() >= rule.probability {
                continue;
            }
            if let Some(count) = &mut rule.count {
                *count -= 1;
            }
            rule.fired += 1;
            return Some(Firing {
                rule: rule.id,
                latency_ms: rule.latency_ms,
                answer: rule.status.map(|s| (s, rule.body.clone())),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_fire_in_order_for_their_operation_and_count_down() {
        let mut rules = FaultRules::default();
        let first = rules.add(FaultRule::new("op-a", 503).count(2));
        let second = rules.add(FaultRule::new(ANY_OPERATION, 500).probability(0.0));
        assert_eq!(rules.fire("op-b"), None, "probability 0 never fires");
        for _ in 0..2 {
            assert_eq!(rules.fire("op-a").unwrap().rule, first);
        }
        assert_eq!(rules.fire("op-a"), None, "count exhausted");
        let listed = rules.list();
        assert_eq!((listed[0].count, listed[0].fired), (Some(0), 2));
        assert!(rules.remove(second));
        assert!(!rules.remove(second));
        let latency = rules.add(FaultRule {
            status: None,
            latency_ms: 5,
            ..FaultRule::new("op-c", 0)
        });
        let firing = rules.fire("op-c").unwrap();
        assert_eq!(
            (firing.rule, firing.latency_ms, firing.answer),
            (latency, 5, None)
        );
    }

    #[test]
    fn validation_names_the_field() {
        let known = |op: &str| op == "known";
        assert!(FaultRule::new("known", 503).validate(known).is_ok());
        assert!(FaultRule::new("*", 503).validate(known).is_ok());
        let err = FaultRule::new("unknown", 503).validate(known).unwrap_err();
        assert!(err.contains("unknown"), "{err}");
        let err = FaultRule::new("known", 503)
            .probability(2.0)
            .validate(known);
        assert!(err.unwrap_err().contains("probability"));
        let err = FaultRule::new("known", 1000).validate(known);
        assert!(err.unwrap_err().contains("status"));
        let json: FaultRule =
            serde_json::from_str(r#"{"operation":"known","status":429}"#).unwrap();
        assert_eq!(json.probability, 1.0);
        assert!(serde_json::from_str::<FaultRule>(r#"{"operation":"x","stauts":1}"#).is_err());
    }
}
