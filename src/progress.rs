//! Progress reports on stderr for long runs (at most one line per second).
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Counts finished work items and prints "label: k/total" to stderr now and then.
pub struct Progress {
    label: String,
    total: usize,
    done: AtomicUsize,
    last: Mutex<Instant>,
    quiet: bool,
}

impl Progress {
    pub fn new(label: impl Into<String>, total: usize, quiet: bool) -> Self {
        Progress { label: label.into(), total, done: AtomicUsize::new(0), last: Mutex::new(Instant::now()), quiet }
    }
    /// A progress counter that never prints.
    pub fn silent() -> Self {
        Self::new("", 0, true)
    }
    /// Marks one item done; prints when a second has passed since the last report.
    pub fn tick(&self) {
        let k = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.quiet {
            return;
        }
        let mut last = self.last.lock().unwrap();
        if last.elapsed().as_secs_f64() >= 1.0 || k == self.total {
            eprintln!("{}: {k}/{}", self.label, self.total);
            *last = Instant::now();
        }
    }
}
