//! CSV input: a header row naming the columns, then one record per row.
//!
//! Columns are matched by name (case-insensitive; `user_id` and `userId` are the same
//! column), so their order does not matter. Exactly one identifier column must be
//! set per row: `userId`, `email`, `username`, `phone` or `externalId`. `secret` is
//! required; `recoveryCode`, `type`, `algorithm`, `digits` and `period` are optional.
//! The columns `line`, `outcome`, `field` and `reason` of a `--report` file are
//! ignored, so a report with a `secret` column added back is valid input. Any other
//! column is an error: a misspelt `recoveryCode` must not be dropped silently.

use std::collections::VecDeque;
use std::io::{BufRead, Read};

use crate::record::{non_blank, IdKind, Identifier, RawRecord, Secret};

#[derive(Debug, Clone, Copy)]
enum Column {
    Id(IdKind),
    Secret,
    RecoveryCode,
    Type,
    Algorithm,
    Digits,
    Period,
    Ignored,
}

fn column(name: &str) -> Option<Column> {
    let key: String = name
        .trim()
        .chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect();
    let col = match key.as_str() {
        "userid" => Column::Id(IdKind::UserId),
        "email" => Column::Id(IdKind::Email),
        "username" => Column::Id(IdKind::Username),
        "phone" => Column::Id(IdKind::Phone),
        "externalid" => Column::Id(IdKind::ExternalId),
        "secret" => Column::Secret,
        "recoverycode" => Column::RecoveryCode,
        "type" => Column::Type,
        "algorithm" => Column::Algorithm,
        "digits" => Column::Digits,
        "period" => Column::Period,
        "line" | "outcome" | "field" | "reason" => Column::Ignored,
        _ => return None,
    };
    Some(col)
}

/// Remembers where the newlines are, so records get true line numbers: the csv
/// crate's own line count skips blank lines, and a record's byte position is where
/// the previous record's terminator ended (before any blank lines). Only the
/// newlines still inside csv's read-ahead buffer are kept.
struct NewlineTracker<R> {
    inner: R,
    offset: u64,
    /// (offset of a `\n`, offset of the last byte of its line that is not `\r`).
    newlines: VecDeque<(u64, Option<u64>)>,
    last_content: Option<u64>,
    passed: u64,
}

impl<R: Read> Read for NewlineTracker<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        for (i, b) in buf[..n].iter().enumerate() {
            let at = self.offset + i as u64;
            match b {
                b'\n' => self.newlines.push_back((at, self.last_content.take())),
                b'\r' => {}
                _ => self.last_content = Some(at),
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

impl<R> NewlineTracker<R> {
    /// The 1-based line of the first content byte at or after `offset` (csv's record
    /// position); offsets must not decrease.
    fn line_at(&mut self, mut offset: u64) -> u64 {
        while let Some(&(nl, last_content)) = self.newlines.front() {
            // Newlines before the position, and blank lines (or the `\n` of a
            // `\r\n`) right after it, come before the record's first byte.
            let blank_from_offset = last_content.is_none_or(|c| c < offset);
            if nl < offset || blank_from_offset {
                self.newlines.pop_front();
                self.passed += 1;
                offset = offset.max(nl + 1);
            } else {
                break;
            }
        }
        self.passed + 1
    }
}

pub struct CsvRecords<R> {
    reader: ::csv::Reader<NewlineTracker<R>>,
    columns: Option<Vec<Column>>,
    done: bool,
}

impl<R: BufRead> CsvRecords<R> {
    pub fn new(reader: R) -> Self {
        let reader = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(NewlineTracker {
                inner: reader,
                offset: 0,
                newlines: VecDeque::new(),
                last_content: None,
                passed: 0,
            });
        Self {
            reader,
            columns: None,
            done: false,
        }
    }

    /// Reads the header row. An unusable header makes the whole file unreadable.
    fn header(&mut self) -> Result<Vec<Column>, Box<RawRecord>> {
        let mut row = ::csv::ByteRecord::new();
        let fatal = |reason: &str| {
            let mut r = RawRecord::at(1).problem("header", reason);
            r.fatal = true;
            Box::new(r)
        };
        match self.reader.read_byte_record(&mut row) {
            Ok(true) => {}
            Ok(false) => return Err(fatal("empty file (expected a header row)")),
            Err(_) => return Err(fatal("cannot read the header row")),
        }
        let mut columns = Vec::with_capacity(row.len());
        let mut seen = Vec::new();
        for (index, field) in row.iter().enumerate() {
            let name = String::from_utf8_lossy(field);
            let Some(col) = column(&name) else {
                // The name is not echoed: in a file without a header row this "name" is
                // a data cell, possibly a secret or recovery code.
                return Err(fatal(&format!(
                    "column {} has an unknown name (expected userId|email|username|phone|externalId, secret, recoveryCode; is the header row missing?)",
                    index + 1
                )));
            };
            let key = format!("{col:?}");
            if !matches!(col, Column::Ignored) && seen.contains(&key) {
                return Err(fatal(&format!("column `{}` appears twice", name.trim())));
            }
            seen.push(key);
            columns.push(col);
        }
        if !columns.iter().any(|c| matches!(c, Column::Secret)) {
            return Err(fatal("no `secret` column"));
        }
        if !columns.iter().any(|c| matches!(c, Column::Id(_))) {
            return Err(fatal(
                "no identifier column (userId, email, username, phone or externalId)",
            ));
        }
        Ok(columns)
    }
}

impl<R: BufRead> Iterator for CsvRecords<R> {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        if self.done {
            return None;
        }
        if self.columns.is_none() {
            match self.header() {
                Ok(columns) => self.columns = Some(columns),
                Err(record) => {
                    self.done = true;
                    return Some(*record);
                }
            }
        }
        let columns = self.columns.as_ref().expect("header read");
        let mut row = ::csv::ByteRecord::new();
        loop {
            match self.reader.read_byte_record(&mut row) {
                Ok(false) => {
                    self.done = true;
                    return None;
                }
                Ok(true) => {}
                Err(e) => {
                    // Only I/O errors are possible with a flexible byte reader; stop there.
                    self.done = true;
                    let byte = e.position().map_or(0, |p| p.byte());
                    let line = self.reader.get_mut().line_at(byte);
                    let mut r = RawRecord::at(line).problem("file", "read error");
                    r.fatal = true;
                    return Some(r);
                }
            }
            // A blank line is not a record (spreadsheets leave them at the end).
            if row.len() == 1 && row[0].iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            break;
        }
        let byte = row.position().map_or(0, |p| p.byte());
        let line = self.reader.get_mut().line_at(byte);
        let mut record = RawRecord::at(line);
        if row.len() > columns.len() {
            record = record.problem(
                "record",
                format!(
                    "{} fields but the header has {} columns",
                    row.len(),
                    columns.len()
                ),
            );
            return Some(record);
        }
        for (col, bytes) in columns.iter().zip(row.iter()) {
            let Ok(text) = std::str::from_utf8(bytes) else {
                let field = column_field(*col);
                record = record.problem(field, "not valid UTF-8");
                continue;
            };
            let Some(value) = non_blank(Some(text)) else {
                continue;
            };
            match col {
                Column::Id(kind) => record.identifiers.push(Identifier::new(*kind, value)),
                Column::Secret => record.secret = Some(Secret::new(value)),
                Column::RecoveryCode => record.recovery_code = Some(Secret::new(value)),
                Column::Type => record.params.kind = Some(value.to_string()),
                Column::Algorithm => record.params.algorithm = Some(value.to_string()),
                Column::Digits => record.params.digits = Some(value.to_string()),
                Column::Period => record.params.period = Some(value.to_string()),
                Column::Ignored => {}
            }
        }
        Some(record)
    }
}

fn column_field(col: Column) -> &'static str {
    match col {
        Column::Id(kind) => kind.field(),
        Column::Secret => "secret",
        Column::RecoveryCode => "recoveryCode",
        Column::Type => "type",
        Column::Algorithm => "algorithm",
        Column::Digits => "digits",
        Column::Period => "period",
        Column::Ignored => "record",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<RawRecord> {
        CsvRecords::new(text.as_bytes()).collect()
    }

    #[test]
    fn columns_by_name_in_any_order_with_line_numbers() {
        let recs = read(
            "recoveryCode,secret,userId\n\
             ,JBSWY3DPEHPK3PXP,u1\n\
             \n\
             rc-1,\"KRSXG5CTMVRXEZLU\",u2\n",
        );
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].line, 2);
        assert_eq!(
            recs[0].identifiers,
            vec![Identifier::new(IdKind::UserId, "u1")]
        );
        assert!(recs[0].recovery_code.is_none());
        assert_eq!(
            recs[0].secret.as_ref().unwrap().expose_secret(),
            "JBSWY3DPEHPK3PXP"
        );
        assert_eq!(recs[1].line, 4);
        assert_eq!(
            recs[1].recovery_code.as_ref().unwrap().expose_secret(),
            "rc-1"
        );
    }

    #[test]
    fn line_numbers_survive_blank_lines_crlf_and_quoted_newlines() {
        let recs =
            read("userId,secret,recoveryCode\r\n\r\nu1,AAAA,\"a\r\nb\"\r\n\r\n\r\nu2,BBBB,\r\n");
        assert_eq!(recs.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 7]);
    }

    #[test]
    fn mixed_identifier_columns_and_snake_case() {
        let recs = read("user_id,email,secret,recovery_code\n,a@example.com,AAAA,\nu9,,BBBB,\n");
        assert_eq!(
            recs[0].identifiers,
            vec![Identifier::new(IdKind::Email, "a@example.com")]
        );
        assert_eq!(
            recs[1].identifiers,
            vec![Identifier::new(IdKind::UserId, "u9")]
        );
    }

    #[test]
    fn a_report_with_a_secret_column_added_is_valid_input() {
        let header = crate::report::REPORT_HEADER.join(",");
        let recs = read(&format!(
            "{header},secret\n15,,a@b.c,,,,user_not_found,email,user not found,AAAA\n"
        ));
        assert_eq!(recs.len(), 1);
        assert!(recs[0].problems.is_empty(), "{:?}", recs[0].problems);
        assert_eq!(
            recs[0].identifiers,
            vec![Identifier::new(IdKind::Email, "a@b.c")]
        );
    }

    #[test]
    fn unknown_column_is_fatal() {
        let recs = read("userId,secret,recoverCode\nu1,AAAA,x\n");
        assert_eq!(recs.len(), 1);
        assert!(recs[0].fatal);
        assert_eq!(recs[0].problems[0].field, "header");
        assert!(recs[0].problems[0].reason.contains("column 3"));
    }

    #[test]
    fn missing_header_does_not_echo_a_secret() {
        let recs = read("u1,JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n");
        assert!(recs[0].fatal);
        assert!(!recs[0].problems[0].reason.contains("JBSWY3DP"));
    }

    #[test]
    fn too_many_fields_is_a_record_problem() {
        let recs = read("userId,secret\nu1,AAAA,extra\nu2,BBBB\n");
        assert_eq!(recs.len(), 2);
        assert_eq!(recs[0].problems[0].field, "record");
        assert!(recs[1].problems.is_empty());
    }
}
