//! Naming operations from the command line: finding one, suggesting the likely ones
//! for a name that is none, and `authing api --list [WORD]`.

use authing::json::{Found, Operation, OPERATIONS};

/// The operation `name` stands for, or a message with the likely ones.
pub fn find(name: &str) -> Result<Found, String> {
    if let Some(found) = authing::json::find(name) {
        return Ok(found);
    }
    let names = OPERATIONS.iter().flat_map(|op| [op.name, op.operation_id]);
    let mut close = closest(name, names);
    // A word of a name ("users") is a search, not a typo.
    if close.is_empty() {
        close = matching(name).take(5).map(|op| op.name).collect();
    }
    let hint = match close.as_slice() {
        [] => String::new(),
        some => format!("; did you mean {}?", some.join(", ")),
    };
    Err(format!(
        "unknown operation `{name}`{hint} (`authing api --list WORD` searches the {} operations)",
        OPERATIONS.len()
    ))
}

/// Up to five of `candidates` that look like a mistyped `given`, closest first.
pub fn closest<'a>(given: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let given = given.to_lowercase();
    let mut scored: Vec<(f64, &str)> = candidates
        .map(|c| (strsim::jaro_winkler(&given, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.85)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored.dedup_by(|a, b| a.1 == b.1);
    scored.into_iter().take(5).map(|(_, c)| c).collect()
}

/// The operations whose name, operationId, path or summary contains `word` (any case).
pub fn matching(word: &str) -> impl Iterator<Item = &'static Operation> + '_ {
    let word = word.to_lowercase();
    OPERATIONS.iter().filter(move |op| {
        [op.name, op.operation_id, op.path, op.summary]
            .iter()
            .any(|field| field.to_lowercase().contains(&word))
    })
}

/// `authing api --list [WORD]`: one operation a line, in aligned columns.
pub fn list(word: &str) -> Vec<String> {
    let found: Vec<&Operation> = matching(word).collect();
    let name_width = found.iter().map(|op| op.name.len()).max().unwrap_or(0);
    let path_width = found.iter().map(|op| op.path.len()).max().unwrap_or(0);
    found
        .iter()
        .map(|op| {
            let mut notes = Vec::new();
            if op.paging.is_some() {
                notes.push("[pages]");
            }
            if op.deprecated {
                notes.push("[deprecated]");
            }
            let line = format!(
                "{:name_width$}  {:6} {:path_width$}  {} {}",
                op.name,
                op.method,
                op.path,
                op.summary,
                notes.join(" ")
            );
            line.trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_suggestions_and_words_get_matches() {
        let e = find("list_user").unwrap_err();
        assert!(e.contains("did you mean list_users"), "{e}");
        let e = find("UsersManagementController_listUser").unwrap_err();
        assert!(e.contains("UsersManagementController_listUsers"), "{e}");
        let e = find("zzzzqqq").unwrap_err();
        assert!(!e.contains("did you mean"), "{e}");
        assert!(list("get-user-batch")
            .iter()
            .any(|l| l.starts_with("get_user_batch ")));
        assert_eq!(list("").len(), OPERATIONS.len());
    }
}
