//! Model and grid specifications shared by the CLI flags and the figure specs (TOML).
use crate::data::{read_covariance, Dataset};
use crate::error::{Error, Result};
use crate::model::Population;
use crate::spikes::Spike;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// How Σ is described: exactly one of noise atoms, AR(1), a covariance file or a data file.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ModelSpec {
    /// Diagonal noise atoms "VAR:WEIGHT,..." (default "1:1", isotropic).
    pub noise: Option<String>,
    /// AR(1) / Toeplitz correlation rho.
    pub ar1: Option<f64>,
    /// Dense covariance matrix file (CSV).
    pub cov: Option<PathBuf>,
    /// Real data set (CSV with header).
    pub data: Option<PathBuf>,
    /// Columns of the data set to drop (labels).
    #[serde(default)]
    pub drop_columns: Vec<String>,
    /// Spikes "THETA" (delocalized) or "THETA@J" (uniform over noise atom J), on noise models.
    #[serde(default)]
    pub spike: Vec<String>,
}

impl ModelSpec {
    /// Builds the population model (theory/README.md, "Model classes").
    pub fn build(&self) -> Result<Population> {
        let given = [self.noise.is_some(), self.ar1.is_some(), self.cov.is_some(), self.data.is_some()];
        if given.iter().filter(|&&g| g).count() > 1 {
            return Err(Error::input("give only one of --noise, --ar1, --cov, --data"));
        }
        if !self.drop_columns.is_empty() && self.data.is_none() {
            return Err(Error::input("--drop-columns needs --data"));
        }
        if let Some(rho) = self.ar1 {
            return Population::ar1(rho);
        }
        if let Some(path) = &self.cov {
            let cov = read_covariance(path)?;
            // name the file in what is wrong with its matrix (not symmetric, not PSD, zero)
            return Population::dense(cov, format!("Σ from {}", file_name(path))).map_err(|e| match e {
                Error::Input(m) => Error::input(format!("{}: {m}", path.display())),
                e => e,
            });
        }
        if let Some(path) = &self.data {
            let ds = Dataset::load(path, &self.drop_columns)?;
            let d = ds.x.ncols();
            return Population::dense(ds.covariance(), format!("data {} (d = {d})", file_name(path)));
        }
        let (psi, w) = parse_atoms(self.noise.as_deref().unwrap_or("1:1"))?;
        Population::atoms(&psi, &w)
    }
}

impl ModelSpec {
    /// The spikes on top of `pop` (each "THETA" or "THETA@J"; see `Spike::parse`).
    pub fn spikes(&self, pop: &Population) -> Result<Vec<Spike>> {
        if !self.spike.is_empty() {
            crate::spikes::check_model(pop)?;
        }
        self.spike.iter().map(|s| Spike::parse(s, pop.eig.len())).collect()
    }

    /// Spikes where each THETA may be a grid (`mssr spikes` evaluates them one at a time).
    pub fn spike_grid(&self, pop: &Population) -> Result<Vec<Spike>> {
        if !self.spike.is_empty() {
            crate::spikes::check_model(pop)?;
        }
        let mut out = Vec::new();
        for s in &self.spike {
            let (th, at) = match s.split_once('@') {
                Some((t, j)) => (t, format!("@{j}")),
                None => (s.as_str(), String::new()),
            };
            for theta in parse_grid("--spike theta", th)? {
                out.push(Spike::parse(&format!("{theta}{at}"), pop.eig.len())?);
            }
        }
        Ok(out)
    }
}

fn file_name(p: &std::path::Path) -> String {
    p.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| p.display().to_string())
}

/// Parses "VAR:WEIGHT,VAR:WEIGHT" (a lone "VAR" means weight 1).
pub fn parse_atoms(s: &str) -> Result<(Vec<f64>, Vec<f64>)> {
    let (mut psi, mut w) = (Vec::new(), Vec::new());
    for part in s.split(',') {
        let part = part.trim();
        let (v, wt) = match part.split_once(':') {
            Some((v, wt)) => (v, wt),
            None => (part, "1"),
        };
        psi.push(parse_num("noise variance", v)?);
        w.push(parse_weight(wt)?);
    }
    Ok((psi, w))
}

fn parse_weight(s: &str) -> Result<f64> {
    if let Some((a, b)) = s.split_once('/') {
        return Ok(parse_num("noise weight", a)? / parse_num("noise weight", b)?);
    }
    parse_num("noise weight", s)
}

/// Parses one finite number, naming the parameter in the error.
pub fn parse_num(what: &str, s: &str) -> Result<f64> {
    let x: f64 = s.trim().parse().map_err(|_| Error::input(format!("{what}: '{s}' is not a number")))?;
    if !x.is_finite() {
        return Err(Error::input(format!("{what}: '{s}' is not a finite number")));
    }
    Ok(x)
}

/// Most points a range "start:stop:count" may ask for (8 MB of values).
pub const MAX_GRID_POINTS: usize = 1_000_000;

/// A grid of values: "x", "a,b,c", "start:stop:count" (linear) or "start:stop:count:log".
/// A range holds exactly `count` points, non-decreasing, from exactly `start` to exactly `stop`.
pub fn parse_grid(what: &str, s: &str) -> Result<Vec<f64>> {
    let parts: Vec<&str> = s.split(':').collect();
    match parts.len() {
        1 => s.split(',').map(|x| parse_num(what, x)).collect(),
        3 | 4 => {
            let (a, b) = (parse_num(what, parts[0])?, parse_num(what, parts[1])?);
            let n: usize = parts[2]
                .trim()
                .parse()
                .map_err(|_| Error::input(format!("{what}: count '{}' in '{s}' is not a whole number", parts[2])))?;
            if n == 0 {
                return Err(Error::input(format!("{what}: a range needs at least 1 point, got '{s}'")));
            }
            if n > MAX_GRID_POINTS {
                return Err(Error::input(format!("{what}: a range has at most {MAX_GRID_POINTS} points, got '{s}'")));
            }
            if a > b {
                return Err(Error::input(format!("{what}: range '{s}' runs backwards (start > stop)")));
            }
            let log = match parts.get(3).map(|x| x.trim()) {
                None | Some("lin") => false,
                Some("log") => true,
                Some(o) => return Err(Error::input(format!("{what}: unknown range scale '{o}' (lin or log)"))),
            };
            if log && a <= 0.0 {
                return Err(Error::input(format!("{what}: a log range needs positive ends, got '{s}'")));
            }
            Ok((0..n)
                .map(|i| {
                    if i == 0 {
                        return a;
                    }
                    if i == n - 1 {
                        return b;
                    }
                    let t = i as f64 / (n - 1) as f64;
                    let x = if log { lerp(a.ln(), b.ln(), t).exp() } else { lerp(a, b, t) };
                    x.clamp(a, b)
                })
                .collect())
        }
        _ => Err(Error::input(format!("{what}: '{s}' is not a value, list or start:stop:count range"))),
    }
}

/// a + t (b - a) for a <= b, 0 <= t <= 1: monotone in t and finite for all finite a, b
/// (b - a overflows when a and b have opposite signs, so that case interpolates the ends).
fn lerp(a: f64, b: f64, t: f64) -> f64 {
    if a <= 0.0 && b >= 0.0 {
        t * b + (1.0 - t) * a
    } else {
        a + t * (b - a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grids() {
        assert_eq!(parse_grid("a", "0.5").unwrap(), vec![0.5]);
        assert_eq!(parse_grid("a", "1,2").unwrap(), vec![1.0, 2.0]);
        assert_eq!(parse_grid("a", "1:3:3").unwrap(), vec![1.0, 2.0, 3.0]);
        let g = parse_grid("a", "0.01:1:3:log").unwrap();
        assert!((g[1] - 0.1).abs() < 1e-15);
        assert!(parse_grid("a", "3:1:3").is_err());
        assert!(parse_grid("a", "1:2:x").is_err());
        assert!(parse_grid("a", "nan").is_err());
    }

    #[test]
    fn atoms() {
        let (p, w) = parse_atoms("0.5:1/2,2:0.5").unwrap();
        assert_eq!((p, w), (vec![0.5, 2.0], vec![0.5, 0.5]));
        assert!(ModelSpec { noise: Some("1:0.5".into()), ..Default::default() }.build().is_err());
        assert!(ModelSpec { noise: Some("-1:1".into()), ..Default::default() }.build().is_err());
    }
}
