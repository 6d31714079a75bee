//! Refuses jobs that would not fit in memory, before allocating anything.
use crate::error::{Error, Result};

/// Memory one simulation trial needs: X (n x d), S/R and a d x d work matrix, in bytes.
pub fn trial_bytes(n: usize, d: usize) -> u128 {
    (n as u128 * d as u128 + 3 * d as u128 * d as u128) * 8
}

/// Errors out when one trial would need more than the machine's memory.
pub fn check_memory(n: usize, d: usize) -> Result<()> {
    let need = trial_bytes(n, d) * rayon::current_num_threads().max(1) as u128;
    let have = available_bytes();
    if need > have {
        return Err(Error::input(format!(
            "d = {d}, n = {n} needs about {:.1} GiB for the trials running at once, this machine has {:.1} GiB available",
            need as f64 / 2f64.powi(30),
            have as f64 / 2f64.powi(30)
        )));
    }
    Ok(())
}

/// Available memory from /proc/meminfo (MemAvailable); 16 GiB when unknown.
pub fn available_bytes() -> u128 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u128>().ok())
        })
        .map(|kb| kb * 1024)
        .unwrap_or(16u128 << 30)
}

/// How many parts a single trial's dense linear algebra is split into. Fixed (not the number of
/// threads) so that results are bit-identical whatever the thread count.
pub const LINALG_PARTS: usize = 4;
