//! Splitting independent work across processes: shard I of N owns the items k with k mod N = I - 1.
use crate::error::{Error, Result};
use serde::{Deserialize, Deserializer, Serialize};

/// One shard of a run (0-based `index` internally, written "I/N" with 1-based I).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    /// The whole run in one shard.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses "I/N" with 1 <= I <= N.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || Error::input(format!("--shard '{s}': expected I/N with 1 <= I <= N, e.g. 2/8"));
        let (i, n) = s.split_once('/').ok_or_else(bad)?;
        let (i, n): (usize, usize) = (i.trim().parse().map_err(|_| bad())?, n.trim().parse().map_err(|_| bad())?);
        if n == 0 || i == 0 || i > n {
            return Err(bad());
        }
        Ok(Shard { index: i - 1, count: n })
    }

    /// Whether item `k` (a trial, a check, a figure) belongs to this shard.
    pub fn owns(&self, k: usize) -> bool {
        k % self.count == self.index
    }

    pub fn is_all(&self) -> bool {
        self.count == 1
    }
}

/// Reads back a number that serde_json wrote as null because it was NaN (a quantity a trial does
/// not define, e.g. the training error of A_p or a one-trial standard error), so shard files
/// round-trip.
pub fn nan_from_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<f64, D::Error> {
    Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
}

/// `nan_from_null` for the rows of five overlaps per spike.
pub fn nan_rows_from_null<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Vec<[f64; 5]>, D::Error> {
    let rows = Vec::<[Option<f64>; 5]>::deserialize(d)?;
    Ok(rows.into_iter().map(|r| r.map(|x| x.unwrap_or(f64::NAN))).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_items() {
        let shards: Vec<Shard> = (1..=3).map(|i| Shard::parse(&format!("{i}/3")).unwrap()).collect();
        for k in 0..20 {
            assert_eq!(shards.iter().filter(|s| s.owns(k)).count(), 1);
        }
        for bad in ["0/3", "4/3", "1/0", "x/2", "3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn undefined_numbers_survive_the_shard_round_trip() {
        // NaN (a one-trial standard error, a failed mean, A_p's training error) is written as
        // null and must read back as NaN, not make the shard file unreadable
        use crate::simulation::TrialScalars;
        use crate::validate::Point;
        let p = Point { d: 100, trials: 1, mean: f64::NAN, se: f64::NAN };
        let text = serde_json::to_string(&p).unwrap();
        assert!(text.contains("null"), "{text}");
        let back: Point = serde_json::from_str(&text).unwrap();
        assert!(back.mean.is_nan() && back.se.is_nan() && back.d == 100);
        let t = TrialScalars { delta: 0.5, train: f64::NAN, gen: 1.25, spectral: None };
        let back: TrialScalars = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert!(back.train.is_nan() && back.gen == 1.25);
        let rows: Vec<[f64; 5]> = serde_json::from_str::<serde_json::Value>("[[0.1, null, 0.3, 0.4, null]]")
            .map(|v| nan_rows_from_null(v).unwrap())
            .unwrap();
        assert!(rows[0][1].is_nan() && rows[0][4].is_nan() && rows[0][2] == 0.3);
    }
}
