//! The spectral side of the Monte Carlo: eigenvalues of A-hat through the symmetric
//! T = D^{1/2}(S + lambda I)D^{1/2} (eq. (8)), top eigenpairs of S and of the oracle-whitened S,
//! and squared overlaps of top eigenvectors with the spike directions (eqs. (13), (13b)).
use crate::error::{Error, Result};
use crate::simulation::{Base, SigmaAtD, Stat};
use faer::{Mat, MatRef, Par, Side};
use serde::{Deserialize, Serialize};

/// One trial's spectral measurements.
#[derive(Debug, Clone)]
pub struct SpectralTrial {
    /// All eigenvalues of A-hat (a = 1 - 1/t), ascending.
    pub ssr_eigs: Vec<f64>,
    /// Eigenvalues of S, ascending.
    pub pca_eigs: Vec<f64>,
    /// Eigenvalues of the oracle-whitened Ψ^{-1/2} S Ψ^{-1/2} (diagonal bases), ascending.
    pub oracle_eigs: Vec<f64>,
    /// Per spike: [whitened, right, left, pca, oracle] squared overlaps.
    pub overlaps: Vec<[f64; 5]>,
}

fn evd(m: &Mat<f64>, what: &str) -> Result<(Vec<f64>, Mat<f64>)> {
    let e = m.self_adjoint_eigen(Side::Lower).map_err(|e| Error::Numerical(format!("eigendecomposition of {what}: {e:?}")))?;
    let s = e.S().column_vector();
    Ok(((0..m.nrows()).map(|i| s[i]).collect(), e.U().to_owned()))
}

/// Eigenvalues only (ascending), destroying `m`'s lower triangle: what is needed when there is
/// no spike to compare vectors with. Sequential two-stage solve (`symeig`); callers run two at once.
fn eigenvalues(m: &mut Mat<f64>, what: &str) -> Result<Vec<f64>> {
    crate::symeig::eigenvalues_lower(m, Par::Seq).map_err(|e| Error::Numerical(format!("eigenvalues of {what}: {e}")))
}

fn dot(a: &[f64], b: MatRef<'_, f64>, col: usize) -> f64 {
    a.iter().enumerate().map(|(k, x)| x * b[(k, col)]).sum()
}

/// Squared overlaps of the eigenvector in column `col` of `w` with direction `u` (any norm).
fn cos2(u: &[f64], w: MatRef<'_, f64>, col: usize) -> f64 {
    let uu: f64 = u.iter().map(|x| x * x).sum();
    dot(u, w, col).powi(2) / uu
}

/// Writes the lower triangle of T = D^{1/2} K D^{1/2} (eqs. (8), (S10)) into `t`, with D = Diag(R)
/// given as `diag_r` and K's entries from `k` (the eigensolvers read the lower triangle only).
fn fill_t(t: &mut Mat<f64>, diag_r: &[f64], k: impl Fn(usize, usize) -> f64) {
    let sq: Vec<f64> = diag_r.iter().map(|x| x.sqrt()).collect();
    for j in 0..sq.len() {
        for i in j..sq.len() {
            t[(i, j)] = sq[i] * k(i, j) * sq[j];
        }
    }
}

/// Runs the spectral measurements on one sample X.
pub fn spectral_trial(x: MatRef<'_, f64>, lambda: f64, sigma: &SigmaAtD, par: Par) -> Result<SpectralTrial> {
    spectral_trial_masked(x, lambda, 0.0, sigma, par)
}

/// `spectral_trial` for masking ratio p: T_K = D_K^{1/2} K D_K^{1/2} with
/// K = (1-p) S + p Diag(S) + lambda0/(1-p) I (eq. (14)); A_p's eigenvalues (1 - 1/t)/(1-p).
pub fn spectral_trial_masked(x: MatRef<'_, f64>, lambda: f64, p: f64, sigma: &SigmaAtD, par: Par) -> Result<SpectralTrial> {
    let s = crate::simulation::gram(x, par);
    let k = crate::simulation::k_matrix(&s, lambda, p);
    let r = crate::simulation::inverse_spd(&k, x.nrows(), p)?;
    spectral_from(&s, k, r, p, sigma)
}

/// The spectral measurements from S, K and R = K^{-1} (consumed: freed as soon as T is built).
pub fn spectral_from(s: &Mat<f64>, k: Mat<f64>, r: Mat<f64>, p: f64, sigma: &SigmaAtD) -> Result<SpectralTrial> {
    let d = s.nrows();
    let keep = 1.0 - p;
    let a_of = |t: f64| crate::spectral::a_of_t(t) / keep;
    let dg: Vec<f64> = (0..d).map(|i| r[(i, i)]).collect();
    let mut t = Mat::zeros(d, d);
    fill_t(&mut t, &dg, |i, j| k[(i, j)]);
    drop(k);
    drop(r);
    if sigma.spikes.is_empty() {
        // no spike: only the spectra are measured, so no eigenvectors and no oracle
        let mut t = t;
        let mut s_copy = s.clone();
        let (tv, sv) = rayon::join(|| eigenvalues(&mut t, "T"), || eigenvalues(&mut s_copy, "S"));
        let (tv, sv) = (tv?, sv?);
        return Ok(SpectralTrial { ssr_eigs: tv.iter().map(|&t| a_of(t)).collect(), pca_eigs: sv, oracle_eigs: Vec::new(), overlaps: Vec::new() });
    }
    let (tv, tw) = evd(&t, "T")?;
    let (sv, sw) = evd(s, "S")?;
    let (ov, ow) = match &sigma.base {
        Base::Diagonal(psi) => {
            let ip: Vec<f64> = psi.iter().map(|p| 1.0 / p.sqrt()).collect();
            let w = Mat::from_fn(d, d, |i, j| ip[i] * s[(i, j)] * ip[j]);
            let (v, u) = evd(&w, "whitened S")?;
            (v, Some((u, ip)))
        }
        _ => (Vec::new(), None),
    };
    let r_sp = sigma.spikes.len();
    let top = |len: usize| (len.saturating_sub(r_sp.max(1))..len).collect::<Vec<usize>>();
    let mut overlaps = Vec::new();
    for sp in &sigma.spikes {
        let v = &sp.v;
        let u_white: Vec<f64> = v.iter().zip(&dg).map(|(a, b)| a / b.sqrt()).collect();
        // the top eigenvector of T that carries this spike: largest whitened overlap among the top r
        let col = *top(d).iter().max_by(|&&a, &&b| cos2(&u_white, tw.as_ref(), a).total_cmp(&cos2(&u_white, tw.as_ref(), b))).expect("d > 0");
        let whitened = cos2(&u_white, tw.as_ref(), col);
        // A-hat right eigenvector D^{-1/2} w, left eigenvector D^{1/2} w
        let right_vec: Vec<f64> = (0..d).map(|k| tw[(k, col)] / dg[k].sqrt()).collect();
        let left_vec: Vec<f64> = (0..d).map(|k| tw[(k, col)] * dg[k].sqrt()).collect();
        let c2 = |a: &[f64], b: &[f64]| {
            let ab: f64 = a.iter().zip(b).map(|(x, y)| x * y).sum();
            ab * ab / (a.iter().map(|x| x * x).sum::<f64>() * b.iter().map(|x| x * x).sum::<f64>())
        };
        let right = c2(&right_vec, v);
        let left = c2(&left_vec, v);
        let pca = top(d).iter().map(|&c| cos2(v, sw.as_ref(), c)).fold(0.0, f64::max);
        let oracle = match &ow {
            Some((u, ip)) => {
                let vt: Vec<f64> = v.iter().zip(ip).map(|(a, b)| a * b).collect();
                top(d).iter().map(|&c| cos2(&vt, u.as_ref(), c)).fold(0.0, f64::max)
            }
            None => f64::NAN,
        };
        overlaps.push([whitened, right, left, pca, oracle]);
    }
    Ok(SpectralTrial { ssr_eigs: tv.iter().map(|&t| a_of(t)).collect(), pca_eigs: sv, oracle_eigs: ov, overlaps })
}

/// The spectra of one sample without spikes at one lambda of a sweep (p = 0), from S, Diag(R)
/// and S's eigenvalues already computed by the sweep: only T = D^{1/2}(S + lambda I)D^{1/2}
/// (eq. (8)) is new, one sequential two-stage eigenvalue solve (`symeig`) in the worker's
/// buffer `t` (d x d, allocated once per worker and reused for every lambda it takes).
fn spectra_in_sweep(s: &Mat<f64>, lambda: f64, diag_r: &[f64], eig_s: &[f64], t: &mut Mat<f64>) -> Result<SpectralTrial> {
    fill_t(t, diag_r, |i, j| s[(i, j)] + if i == j { lambda } else { 0.0 });
    let tv = eigenvalues(t, &format!("T at lambda = {lambda}"))?;
    Ok(SpectralTrial { ssr_eigs: tv.iter().map(|&t| crate::spectral::a_of_t(t)).collect(), pca_eigs: eig_s.to_vec(), oracle_eigs: Vec::new(), overlaps: Vec::new() })
}

/// The spectra of a lambda sweep on one sample without spikes (p = 0), one per lambda in order:
/// the eigenvalues of T(lambda) mapped to A-hat's (eq. (8)), and S's.
/// Each lambda is one sequential eigenvalue solve; `workers` of them run side by side (the
/// two-stage reduction is compute bound, so they hardly slow each other down).
/// Worker w takes lambdas w, w + W, ... in its own buffers, so the results do not depend on W.
pub fn spectra_of_sweep(s: &Mat<f64>, lambdas: &[f64], sweep: &crate::simulation::SsrSweep, workers: usize) -> Result<Vec<SpectralTrial>> {
    use rayon::prelude::*;
    let workers = workers.clamp(1, lambdas.len().max(1));
    let per_worker: Vec<Vec<(usize, SpectralTrial)>> = (0..workers)
        .into_par_iter()
        .map(|w| {
            let mut t = Mat::zeros(s.nrows(), s.nrows());
            (w..lambdas.len())
                .step_by(workers)
                .map(|li| Ok((li, spectra_in_sweep(s, lambdas[li], &sweep.diag_r[li], &sweep.eig_s, &mut t)?)))
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<_>>()?;
    let mut all: Vec<(usize, SpectralTrial)> = per_worker.into_iter().flatten().collect();
    all.sort_by_key(|x| x.0);
    Ok(all.into_iter().map(|x| x.1).collect())
}

/// The scalars one trial contributes to the statistics (what shards write and merge reads).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpectralScalars {
    #[serde(deserialize_with = "crate::shard::nan_from_null")]
    pub ssr_top: f64,
    /// The (r+1)-th largest eigenvalue: the top of the bulk below r spikes.
    #[serde(deserialize_with = "crate::shard::nan_from_null")]
    pub ssr_bulk_top: f64,
    #[serde(deserialize_with = "crate::shard::nan_from_null")]
    pub pca_top: f64,
    #[serde(deserialize_with = "crate::shard::nan_from_null")]
    pub pca_bulk_top: f64,
    pub oracle_top: Option<f64>,
    /// Per spike: [whitened, right, left, pca, oracle] squared overlaps (oracle NaN without one).
    #[serde(deserialize_with = "crate::shard::nan_rows_from_null")]
    pub overlaps: Vec<[f64; 5]>,
}

impl SpectralTrial {
    /// Reduces the trial to its scalars, with `r` spikes.
    pub fn scalars(&self, r: usize) -> SpectralScalars {
        let nth_top = |v: &Vec<f64>, k: usize| if v.len() > k { v[v.len() - 1 - k] } else { f64::NAN };
        SpectralScalars {
            ssr_top: nth_top(&self.ssr_eigs, 0),
            ssr_bulk_top: nth_top(&self.ssr_eigs, r),
            pca_top: nth_top(&self.pca_eigs, 0),
            pca_bulk_top: nth_top(&self.pca_eigs, r),
            oracle_top: self.oracle_eigs.last().copied(),
            overlaps: self.overlaps.clone(),
        }
    }
}

/// Per-spike overlap statistics over trials.
#[derive(Debug, Clone, Serialize)]
pub struct SpikeOverlaps {
    pub theta: f64,
    pub ssr_whitened_overlap: Stat,
    pub ssr_overlap: Stat,
    pub ssr_left_overlap: Stat,
    pub pca_overlap: Stat,
    pub oracle_whitened_pca_overlap: Stat,
}

/// Spectral statistics over trials: top eigenvalues (the largest, and the first below the
/// r spikes, i.e. the top of the bulk) and overlaps.
#[derive(Debug, Clone, Serialize)]
pub struct SpectralSummary {
    pub ssr_top_eigenvalue: Stat,
    pub ssr_bulk_top_eigenvalue: Stat,
    pub pca_top_eigenvalue: Stat,
    pub pca_bulk_top_eigenvalue: Stat,
    pub oracle_whitened_pca_top_eigenvalue: Stat,
    pub spikes: Vec<SpikeOverlaps>,
}

impl SpectralSummary {
    /// The top-eigenvalue statistics with their column names, in output order.
    pub fn tops(&self) -> [(&'static str, &Stat); 5] {
        [
            ("ssr_top_eigenvalue", &self.ssr_top_eigenvalue),
            ("ssr_bulk_top_eigenvalue", &self.ssr_bulk_top_eigenvalue),
            ("pca_top_eigenvalue", &self.pca_top_eigenvalue),
            ("pca_bulk_top_eigenvalue", &self.pca_bulk_top_eigenvalue),
            ("oracle_whitened_pca_top_eigenvalue", &self.oracle_whitened_pca_top_eigenvalue),
        ]
    }
}

impl SpikeOverlaps {
    /// The overlap statistics with their column names, in output order.
    pub fn stats(&self) -> [(&'static str, &Stat); 5] {
        [
            ("ssr_whitened_overlap", &self.ssr_whitened_overlap),
            ("ssr_overlap", &self.ssr_overlap),
            ("ssr_left_overlap", &self.ssr_left_overlap),
            ("pca_overlap", &self.pca_overlap),
            ("oracle_whitened_pca_overlap", &self.oracle_whitened_pca_overlap),
        ]
    }
}

/// Summarizes trials; `thetas` are the spikes' strengths in order.
pub fn summarize(trials: &[SpectralScalars], thetas: &[f64]) -> SpectralSummary {
    let st = |f: &dyn Fn(&SpectralScalars) -> f64| Stat::of(&trials.iter().map(f).collect::<Vec<_>>());
    SpectralSummary {
        ssr_top_eigenvalue: st(&|t| t.ssr_top),
        ssr_bulk_top_eigenvalue: st(&|t| t.ssr_bulk_top),
        pca_top_eigenvalue: st(&|t| t.pca_top),
        pca_bulk_top_eigenvalue: st(&|t| t.pca_bulk_top),
        oracle_whitened_pca_top_eigenvalue: st(&|t| t.oracle_top.unwrap_or(f64::NAN)),
        spikes: thetas
            .iter()
            .enumerate()
            .map(|(i, &theta)| SpikeOverlaps {
                theta,
                ssr_whitened_overlap: st(&|t| t.overlaps[i][0]),
                ssr_overlap: st(&|t| t.overlaps[i][1]),
                ssr_left_overlap: st(&|t| t.overlaps[i][2]),
                pca_overlap: st(&|t| t.overlaps[i][3]),
                oracle_whitened_pca_overlap: st(&|t| t.overlaps[i][4]),
            })
            .collect(),
    }
}
