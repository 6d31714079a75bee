//! Masking ratio p on a dense Σ (theory/README.md eq. (S11)): the ridge
//! Λ = p Diag(Σ) + lambda0/(1-p) I of eq. (14) does not commute with Σ' = (1-p) Σ when the
//! variances differ, so the atoms of Σ's spectrum no longer suffice. With
//! Σ'' = Λ^{-1/2} Σ' Λ^{-1/2} = V diag(mu) V^T,
//!
//!   Qbar = (Σ'/(1+delta) + Λ)^{-1} = Λ^{-1/2} G Λ^{-1/2},  G = V diag(g) V^T,  g_j = 1/(mu_j/(1+delta) + 1),
//!
//! and delta = (1/n) tr(Σ' Qbar) is eq. (4) for the population mu with unit ridge: the same
//! Newton solve as every other model (`solver::solve_profile`). Cost per (alpha, p, lambda0):
//! one eigendecomposition of Σ'' and one d x d product (G, for Diag(R Ψ R)), O(d^3).
use crate::error::{Error, Result};
use crate::model::{Coordinates, Population, Sampler};
use crate::solver::{solve_profile, Equivalent, Profile};
use faer::{Mat, Side};

/// The equivalent of one dense masked problem: the whitened population, its solve, and the
/// pieces the loss needs.
pub struct DenseMasked {
    pub alpha: f64,
    pub p: f64,
    /// Ψ = Diag(Σ).
    pub psi: Vec<f64>,
    /// Diagonal ridge Λ_k = p Σ_kk + lambda0/(1-p).
    pub big_lambda: Vec<f64>,
    /// Eq. (4) for Σ'' with unit ridge (its `dbar` is Diag(G), not yet scaled by Λ^{-1}).
    pub eq: Equivalent,
    /// Eigenvalues mu_j of Σ''.
    pub mu: Vec<f64>,
    v: Mat<f64>,
    u2: Mat<f64>,
}

/// Λ, Σ'' and its eigendecomposition, then delta (eq. (S11)).
pub fn solve(pop: &Population, alpha: f64, lambda0: f64, p: f64) -> Result<DenseMasked> {
    let Sampler::Dense { cov } = &pop.sampler else {
        return Err(Error::input("the dense masked equivalent needs a dense covariance (--cov/--data)"));
    };
    let d = cov.nrows();
    let keep = 1.0 - p;
    let big_lambda: Vec<f64> = (0..d).map(|k| p * cov[(k, k)] + lambda0 / keep).collect();
    if big_lambda.iter().any(|&l| !(l > 0.0)) {
        return Err(Error::input("--mask-ratio > 0 with lambda = 0 needs every variance of the covariance to be positive"));
    }
    let s: Vec<f64> = big_lambda.iter().map(|l| 1.0 / l.sqrt()).collect();
    let white = Mat::from_fn(d, d, |i, j| keep * s[i] * cov[(i, j)] * s[j]);
    let e = white.self_adjoint_eigen(Side::Lower).map_err(|e| Error::Numerical(format!("eigendecomposition of Λ^-1/2 Σ' Λ^-1/2: {e:?}")))?;
    let mu: Vec<f64> = (0..d).map(|j| e.S().column_vector()[j].max(0.0)).collect();
    let v = e.U().to_owned();
    drop(e);
    let u2 = Mat::from_fn(d, d, |k, j| v[(k, j)] * v[(k, j)]);
    // the whitened population (only its spectrum and u2 are read; the sampler is never used)
    let whitened = Population {
        label: format!("{} (whitened by the masking ridge)", pop.label),
        eig: mu.clone(),
        weight: vec![1.0 / d as f64; d],
        coords: Coordinates::Dense { u2 },
        sampler: Sampler::Dense { cov: white },
    };
    let eq = solve_profile(&whitened, &Profile { e: mu.clone(), lam: vec![1.0; d], p }, alpha, lambda0, None)?;
    let Coordinates::Dense { u2 } = whitened.coords else { unreachable!("built as dense above") };
    let psi = (0..d).map(|k| cov[(k, k)]).collect();
    Ok(DenseMasked { alpha, p, psi, big_lambda, eq, mu, v, u2 })
}

impl DenseMasked {
    /// Dbar_k = Qbar_kk = G_kk / Λ_k (eq. (S11)).
    pub fn dbar(&self) -> Vec<f64> {
        self.eq.dbar.iter().zip(&self.big_lambda).map(|(g, l)| g / l).collect()
    }

    /// Test loss (15) through (S9) and (5):
    /// E[R Σ' R]_kk = (1 + t2/den) h_k / Λ_k and E[R Ψ R]_kk = ((G (Ψ/Λ) G)_kk + c(Ψ) h_k) / Λ_k,
    /// h = Diag(G Σ'' G), t2 = (1/n) tr((Σ'' G)^2), den = (1+delta)^2 - t2,
    /// c(Ψ) = (1/n) tr(Σ'' G (Ψ/Λ) G) / den.
    pub fn loss(&self) -> Result<f64> {
        let (alpha, p, psi) = (self.alpha, self.p, &self.psi);
        let d = self.mu.len();
        let gamma = 1.0 / alpha;
        let delta = self.eq.delta;
        let g = &self.eq.q;
        let mean = |x: &mut dyn Iterator<Item = f64>| x.sum::<f64>() / d as f64;
        let t2 = gamma * mean(&mut (0..d).map(|j| (self.mu[j] * g[j]).powi(2)));
        let den = (1.0 + delta).powi(2) - t2;
        if !(den > 0.0) {
            return Err(Error::Numerical(format!("second-order equivalent (eq. 5) is singular at alpha = {alpha}, p = {p}")));
        }
        let spectral_diag = |f: &dyn Fn(usize) -> f64| -> Vec<f64> { (0..d).map(|k| (0..d).map(|j| self.u2[(k, j)] * f(j)).sum()).collect() };
        let h = spectral_diag(&|j| self.mu[j] * g[j] * g[j]);
        let psi_over: Vec<f64> = (0..d).map(|k| psi[k] / self.big_lambda[k]).collect();
        let c_psi = gamma * mean(&mut (0..d).map(|i| psi_over[i] * h[i])) / den;
        // G = V diag(g) V^T, then (G (Ψ/Λ) G)_kk = sum_i G_ki^2 psi_i/Λ_i
        let vg = Mat::from_fn(d, d, |k, j| self.v[(k, j)] * g[j]);
        let gm = &vg * self.v.transpose();
        let gpsi: Vec<f64> = (0..d).map(|k| (0..d).map(|i| gm[(i, k)].powi(2) * psi_over[i]).sum()).collect();
        let dbar = self.dbar();
        let mean_over_dbar2 = |x: &dyn Fn(usize) -> f64| mean(&mut (0..d).map(|k| x(k) / (dbar[k] * dbar[k])));
        let main = mean_over_dbar2(&|k| (1.0 + t2 / den) * h[k] / self.big_lambda[k]);
        let rpr = mean_over_dbar2(&|k| (gpsi[k] + c_psi * h[k]) / self.big_lambda[k]);
        let mean_psi = mean(&mut psi.iter().copied());
        crate::solver::masked_loss(main, rpr, mean_psi, p, &format!("alpha = {alpha}, p = {p} (dense Σ)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::errors_masked;

    fn graded_ar1(d: usize, rho: f64, lo: f64, hi: f64) -> Population {
        Population::graded_ar1(d, rho, lo, hi).unwrap()
    }

    #[test]
    fn diagonal_covariance_as_dense_matches_the_atom_formula() {
        // a diagonal Σ given as a dense matrix takes the general path; atoms have the closed per-atom path
        let (psi, d) = ([0.5, 2.0, 1.0], 300);
        let diag: Vec<f64> = (0..d).map(|k| psi[k % 3]).collect();
        let dense = Population::dense(Mat::from_fn(d, d, |i, j| if i == j { diag[i] } else { 0.0 }), "diag".into()).unwrap();
        let atoms = Population::atoms(&psi, &[1.0 / 3.0; 3]).unwrap();
        for (alpha, lambda0, p) in [(1.5, 0.1, 0.15), (0.7, 0.01, 0.5), (3.0, 1.0, 0.75), (1.5, 0.0, 0.3)] {
            let a = errors_masked(&atoms, alpha, lambda0, p, None).unwrap();
            let b = errors_masked(&dense, alpha, lambda0, p, None).unwrap();
            assert!((a.gen_error - b.gen_error).abs() < 1e-10 * a.gen_error, "{alpha} {lambda0} {p}: {} vs {}", a.gen_error, b.gen_error);
            assert!((a.delta - b.delta).abs() < 1e-10 * a.delta);
        }
    }

    #[test]
    fn graded_dense_tends_to_dense_ssr_as_p_goes_to_zero() {
        // p -> 0: the dense masked loss tends to the dense SSR error (6) with lambda0
        let pop = graded_ar1(200, 0.7, 0.5, 2.0);
        let ssr = errors_masked(&pop, 1.5, 0.1, 0.0, None).unwrap().gen_error;
        let mut last = f64::INFINITY;
        for p in [1e-2, 1e-3, 1e-4, 1e-5] {
            let gap = (errors_masked(&pop, 1.5, 0.1, p, None).unwrap().gen_error - ssr).abs();
            assert!(gap < last && gap < 20.0 * p * ssr, "p {p}: gap {gap}");
            last = gap;
        }
    }

    #[test]
    fn notes_graded_variance_reference_values() {
        // THEORY-NOTES section 10: d = 500, alpha = 1.5, lambda0 = 0.1, AR(1) rho = 0.7 with
        // variances graded from 0.5 to 2; theory column (4 digits given past the point 5)
        let pop = graded_ar1(500, 0.7, 0.5, 2.0);
        for (p, want) in [(1e-4, 0.68166), (0.15, 0.67345), (0.5, 0.80060), (0.75, 0.95643)] {
            let got = errors_masked(&pop, 1.5, 0.1, p, None).unwrap().gen_error;
            assert!((got - want).abs() < 6e-6, "p {p}: {got} vs notes {want}");
        }
    }
}
