//! Finding the records that name the same user, exactly, in flat memory.
//!
//! A hash map over every record would grow with the file (800 MB for 10 million
//! records). Instead each record adds a 16-byte entry, a 64-bit hash of its user key
//! and its line, to a run of at most [`RUN_ENTRIES`]; a full run is sorted and
//! written to an anonymous temporary file. At the end the sorted runs are merged,
//! and entries with equal hashes are the candidates. Only those few lines are then
//! read again for their real keys ([`DuplicateIndex::finish`]'s `keys_of`), so two
//! records count as duplicates only if their keys are equal, not their hashes.
//! Memory stays at one run (16 MiB) plus a read buffer per spilled run, however many
//! records there are; disk use is 16 bytes per record while the pass runs.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, BufReader, BufWriter, Read, Seek, SeekFrom, Write};

/// Entries kept in memory before a run is sorted and spilled (16 bytes each).
pub const RUN_ENTRIES: usize = 1 << 20;

/// The top bit of an entry's line word: the record was valid.
const VALID: u64 = 1 << 63;

/// Lines that name the same user, found by [`DuplicateIndex`].
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Duplicates {
    /// Each line naming the same user as another line, with that other line (the
    /// first line for later ones, the second for the first).
    pub lines: HashMap<u64, u64>,
    /// How many of those lines were valid records (they are not any more).
    pub were_valid: u64,
}

/// The index of a validation pass: see the module documentation.
pub struct DuplicateIndex {
    hasher: std::collections::hash_map::RandomState,
    run: Vec<(u64, u64)>,
    spilled: Vec<File>,
    run_entries: usize,
}

impl Default for DuplicateIndex {
    fn default() -> Self {
        Self::with_run_entries(RUN_ENTRIES)
    }
}

impl DuplicateIndex {
    /// An index that spills every `run_entries` entries (tests use small runs).
    pub fn with_run_entries(run_entries: usize) -> Self {
        Self {
            hasher: Default::default(),
            run: Vec::new(),
            spilled: Vec::new(),
            run_entries: run_entries.max(1),
        }
    }

    /// Adds the record at `line` naming the user `key`.
    pub fn add(&mut self, key: &str, line: u64, valid: bool) -> io::Result<()> {
        let flag = if valid { VALID } else { 0 };
        self.run.push((self.hasher.hash_one(key), line | flag));
        if self.run.len() >= self.run_entries {
            self.spill()?;
        }
        Ok(())
    }

    /// Writes the run out sorted. An error names the temporary file, so that a full
    /// TMPDIR is not taken for a problem with the input.
    fn spill(&mut self) -> io::Result<()> {
        self.write_run().map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("writing the duplicate check's temporary file (in TMPDIR): {e}"),
            )
        })
    }

    fn write_run(&mut self) -> io::Result<()> {
        self.run.sort_unstable();
        let mut out = BufWriter::new(tempfile::tempfile()?);
        for (hash, line) in self.run.drain(..) {
            out.write_all(&hash.to_le_bytes())?;
            out.write_all(&line.to_le_bytes())?;
        }
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        file.seek(SeekFrom::Start(0))?;
        self.spilled.push(file);
        Ok(())
    }

    /// Merges the runs and settles the candidates: `keys_of` is given the lines whose
    /// hashes collide and returns each one's key (it reads them again).
    pub fn finish(
        mut self,
        keys_of: impl FnOnce(&HashSet<u64>) -> io::Result<HashMap<u64, String>>,
    ) -> io::Result<Duplicates> {
        // Candidate groups: lines (with their valid flag) sharing a hash.
        let mut groups = Groups::default();
        if self.spilled.is_empty() {
            self.run.sort_unstable();
            for (hash, line) in self.run.drain(..) {
                groups.push(hash, line);
            }
        } else {
            if !self.run.is_empty() {
                self.spill()?;
            }
            let mut runs: Vec<Run> = self.spilled.drain(..).map(Run::new).collect();
            let mut heap = BinaryHeap::new();
            for (i, run) in runs.iter_mut().enumerate() {
                if let Some(entry) = run.next()? {
                    heap.push(Reverse((entry, i)));
                }
            }
            while let Some(Reverse(((hash, line), i))) = heap.pop() {
                groups.push(hash, line);
                if let Some(entry) = runs[i].next()? {
                    heap.push(Reverse((entry, i)));
                }
            }
        }
        let groups = groups.finish();
        if groups.is_empty() {
            return Ok(Duplicates::default());
        }

        let candidates: HashSet<u64> = groups.iter().flatten().map(|l| l & !VALID).collect();
        let keys = keys_of(&candidates)?;
        let mut found = Duplicates::default();
        for g in groups {
            let mut by_key: HashMap<&str, Vec<u64>> = HashMap::new();
            for entry in &g {
                if let Some(key) = keys.get(&(entry & !VALID)) {
                    by_key.entry(key).or_default().push(*entry);
                }
            }
            for mut same in by_key.into_values() {
                same.sort_unstable_by_key(|e| e & !VALID);
                // Records sharing a line (a one-line JSON export) are told apart by
                // nothing else; as before, they are not duplicates of each other.
                same.dedup_by_key(|e| *e & !VALID);
                if same.len() < 2 {
                    continue;
                }
                let (first, second) = (same[0] & !VALID, same[1] & !VALID);
                for entry in &same {
                    let line = entry & !VALID;
                    found.were_valid += u64::from(entry & VALID != 0);
                    found
                        .lines
                        .insert(line, if line == first { second } else { first });
                }
            }
        }
        Ok(found)
    }
}

/// Collects the groups of two or more consecutive entries with one hash.
#[derive(Default)]
struct Groups {
    hash: Option<u64>,
    current: Vec<u64>,
    done: Vec<Vec<u64>>,
}

impl Groups {
    fn push(&mut self, hash: u64, line: u64) {
        if self.hash != Some(hash) {
            self.close();
            self.hash = Some(hash);
        }
        self.current.push(line);
    }

    fn close(&mut self) {
        if self.current.len() > 1 {
            self.done.push(std::mem::take(&mut self.current));
        }
        self.current.clear();
    }

    fn finish(mut self) -> Vec<Vec<u64>> {
        self.close();
        self.done
    }
}

/// A sorted run read back from its file.
struct Run {
    reader: BufReader<File>,
}

impl Run {
    fn new(file: File) -> Self {
        Self {
            reader: BufReader::with_capacity(64 * 1024, file),
        }
    }

    fn next(&mut self) -> io::Result<Option<(u64, u64)>> {
        let mut buf = [0u8; 16];
        match self.reader.read_exact(&mut buf) {
            Ok(()) => Ok(Some((
                u64::from_le_bytes(buf[..8].try_into().expect("8 bytes")),
                u64::from_le_bytes(buf[8..].try_into().expect("8 bytes")),
            ))),
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(None),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Indexes `keys` (line = position + 2, as under a header), every other valid.
    fn find(keys: &[&str], run_entries: usize) -> Duplicates {
        let mut index = DuplicateIndex::with_run_entries(run_entries);
        for (i, k) in keys.iter().enumerate() {
            index.add(k, i as u64 + 2, i % 2 == 0).unwrap();
        }
        let all: HashMap<u64, String> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (i as u64 + 2, k.to_string()))
            .collect();
        index
            .finish(|lines| Ok(lines.iter().map(|l| (*l, all[l].clone())).collect()))
            .unwrap()
    }

    #[test]
    fn same_answer_in_memory_and_spilled() {
        let keys = ["a", "b", "a", "c", "b", "a", "d"];
        for run in [1, 2, 3, 100] {
            let d = find(&keys, run);
            let expected: HashMap<u64, u64> = [(2, 4), (4, 2), (7, 2), (3, 6), (6, 3)]
                .into_iter()
                .collect();
            assert_eq!(d.lines, expected, "runs of {run}");
            // Valid: lines 2, 4, 6, 8 (even positions); duplicates among them: 2, 4, 6.
            assert_eq!(d.were_valid, 3, "runs of {run}");
        }
        assert_eq!(find(&["x", "y"], 1), Duplicates::default());
    }

    #[test]
    fn equal_hashes_with_different_keys_are_not_duplicates() {
        // Force every key into one hash group by lying about the keys when re-read.
        let mut index = DuplicateIndex::with_run_entries(2);
        for line in 2..6 {
            index.add("same", line, true).unwrap();
        }
        let d = index
            .finish(|lines| {
                Ok(lines
                    .iter()
                    .map(|l| (*l, if *l < 4 { "p" } else { "q" }.to_string()))
                    .collect())
            })
            .unwrap();
        let expected: HashMap<u64, u64> = [(2, 3), (3, 2), (4, 5), (5, 4)].into_iter().collect();
        assert_eq!(d.lines, expected);
    }
}
