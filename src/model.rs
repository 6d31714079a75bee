//! Population covariance models Σ (theory/README.md, section "Model classes").
//!
//! Every model is reduced to the same two pieces of data used by the solver:
//! * the spectral measure of Σ: eigenvalues `eig[j]` with weights `weight[j]` (sum 1);
//! * the coordinate structure: how the diagonal of a spectral function g(Σ) looks,
//!   `Diag(g(Σ))_c = sum_j P_cj g(eig_j)` for coordinate classes c with weights `omega_c`.
//!   Diagonal atoms: P = I (class c is atom c). Delocalized (Toeplitz/AR(1)): one class,
//!   P_1j = weight_j, so Dbar is a scalar. Dense finite Σ = U Λ U^T: class k is coordinate k,
//!   P_kj = U_kj^2.
//!
//! The `Sampler` keeps what simulation needs to draw Gaussian rows with covariance Σ.
use crate::error::{finite, Error, Result};
use faer::{Mat, Side};

/// How coordinates see the spectrum of Σ (see module docs).
#[derive(Debug, Clone)]
pub enum Coordinates {
    /// Σ diagonal: coordinate class c is atom c, with weight `weight[c]`.
    Diagonal,
    /// Generic basis (Toeplitz, power law): Diag(g(Σ)) = mean of g, Dbar scalar.
    Delocalized,
    /// Finite dense Σ = U Λ U^T; row k of `u2` holds U_kj^2.
    Dense { u2: Mat<f64> },
}

/// What simulation needs to draw x ~ N(0, Σ) at a chosen dimension d.
#[derive(Debug, Clone)]
pub enum Sampler {
    /// Diagonal variances per atom; d coordinates are split among atoms by weight.
    Atoms { psi: Vec<f64>, weight: Vec<f64> },
    /// Stationary AR(1) with unit variance: Σ_ij = rho^|i-j|.
    Ar1 { rho: f64 },
    /// A fixed dense covariance (d fixed by the matrix).
    Dense { cov: Mat<f64> },
}

/// A population covariance model: spectral measure + coordinate structure + sampler.
#[derive(Debug, Clone)]
pub struct Population {
    /// Human-readable description used in titles and JSON.
    pub label: String,
    /// Eigenvalues of Σ (atoms of its spectral measure).
    pub eig: Vec<f64>,
    /// Weights of the atoms, summing to 1.
    pub weight: Vec<f64>,
    pub coords: Coordinates,
    pub sampler: Sampler,
}

impl Population {
    /// Diagonal noise with variances `psi` and weights `weight` (theory eq. (4) atoms).
    pub fn atoms(psi: &[f64], weight: &[f64]) -> Result<Self> {
        if psi.is_empty() || psi.len() != weight.len() {
            return Err(Error::input("noise atoms: need as many variances as weights, at least one"));
        }
        for (&p, &w) in psi.iter().zip(weight) {
            finite("noise variance", p)?;
            finite("noise weight", w)?;
            if p <= 0.0 {
                return Err(Error::input(format!("noise variance must be positive, got {p}")));
            }
            if w <= 0.0 {
                return Err(Error::input(format!("noise weight must be positive, got {w}")));
            }
        }
        let total: f64 = weight.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(Error::input(format!("noise weights must sum to 1, they sum to {total}")));
        }
        let label = if psi.len() == 1 {
            format!("isotropic, variance {}", psi[0])
        } else {
            let parts: Vec<String> =
                psi.iter().zip(weight).map(|(p, w)| format!("{p}:{}", round_sig(*w))).collect();
            format!("noise {}", parts.join(","))
        };
        Ok(Population {
            label,
            eig: psi.to_vec(),
            weight: weight.to_vec(),
            coords: Coordinates::Diagonal,
            sampler: Sampler::Atoms { psi: psi.to_vec(), weight: weight.to_vec() },
        })
    }

    /// Isotropic Σ = I.
    pub fn isotropic() -> Self {
        Self::atoms(&[1.0], &[1.0]).expect("valid")
    }

    /// Stationary AR(1) / Toeplitz Σ_ij = rho^|i-j| in the d -> infinity limit, through its
    /// spectral density f(ω) = (1-rho²)/(1 - 2 rho cos ω + rho²), ω uniform on [0, π]
    /// (theory/README.md eq. (S1)), discretized by graded Gauss-Legendre quadrature.
    pub fn ar1(rho: f64) -> Result<Self> {
        finite("rho", rho)?;
        if rho.abs() >= 1.0 {
            return Err(Error::input(format!("AR(1) needs |rho| < 1, got {rho}")));
        }
        let r = rho.abs(); // the spectral measure depends on |rho| only
        let (omega, w) = graded_quadrature(std::f64::consts::PI, (1.0 - r).max(1e-300));
        // f(ω) in a form without cancellation as r -> 1: 1 - 2r cos ω + r² = (1-r)² + 4r sin²(ω/2)
        let eig: Vec<f64> = omega
            .iter()
            .map(|&om| (1.0 - r) * (1.0 + r) / ((1.0 - r).powi(2) + 4.0 * r * (0.5 * om).sin().powi(2)))
            .collect();
        let weight: Vec<f64> = w.iter().map(|x| x / std::f64::consts::PI).collect();
        Ok(Population {
            label: format!("AR(1), ρ = {rho}"),
            eig,
            weight,
            coords: Coordinates::Delocalized,
            sampler: Sampler::Ar1 { rho },
        })
    }

    /// A dense finite covariance matrix, eigendecomposed once (theory/README.md, dense class).
    pub fn dense(cov: Mat<f64>, label: String) -> Result<Self> {
        let d = cov.nrows();
        if d == 0 || cov.ncols() != d {
            return Err(Error::input(format!(
                "covariance must be a non-empty square matrix, got {}x{}",
                cov.nrows(),
                cov.ncols()
            )));
        }
        let mut asym = 0.0f64;
        let mut scale = 0.0f64;
        for i in 0..d {
            for j in 0..d {
                let x = cov[(i, j)];
                if !x.is_finite() {
                    return Err(Error::input(format!("covariance entry ({i},{j}) is not finite")));
                }
                asym = asym.max((x - cov[(j, i)]).abs());
                scale = scale.max(x.abs());
            }
        }
        if asym > 1e-8 * scale.max(1e-300) {
            return Err(Error::input(format!("covariance is not symmetric (max |C_ij - C_ji| = {asym:.3e})")));
        }
        // Entries far from 1 overflow (or underflow) inside the eigendecomposition: then it
        // works on cov / 2^k (exact) and the eigenvalues are scaled back.
        let k = if scale > 2f64.powi(500) || (scale > 0.0 && scale < 2f64.powi(-500)) {
            (scale.log2().round() as i32).clamp(-1000, 1000)
        } else {
            0
        };
        let scaled;
        let a = if k == 0 {
            &cov
        } else {
            scaled = Mat::from_fn(d, d, |i, j| cov[(i, j)] * 2f64.powi(-k));
            &scaled
        };
        let evd = a
            .self_adjoint_eigen(Side::Lower)
            .map_err(|e| Error::Numerical(format!("eigendecomposition of the covariance: {e:?}")))?;
        let s = evd.S().column_vector();
        let u = evd.U();
        if (0..d).any(|j| !s[j].is_finite() || (0..d).any(|i| !u[(i, j)].is_finite())) {
            return Err(Error::Numerical("eigendecomposition of the covariance: not finite".into()));
        }
        let eig: Vec<f64> = (0..d).map(|j| s[j] * 2f64.powi(k)).collect();
        if eig.iter().any(|x| !x.is_finite()) {
            return Err(Error::input("covariance too large: an eigenvalue overflows a 64-bit float"));
        }
        let top = eig.iter().cloned().fold(0.0, f64::max);
        let min = eig.iter().cloned().fold(f64::INFINITY, f64::min);
        if top <= 0.0 && min >= 0.0 {
            return Err(Error::input("covariance is zero (every coordinate is constant)"));
        }
        if top <= 0.0 || min < -1e-10 * top {
            return Err(Error::input(format!(
                "covariance is not positive semi-definite (smallest eigenvalue {min:.3e})"
            )));
        }
        let eig: Vec<f64> = eig.into_iter().map(|x| x.max(0.0)).collect();
        let u2 = Mat::from_fn(d, d, |k, j| u[(k, j)] * u[(k, j)]);
        Ok(Population {
            label,
            eig,
            weight: vec![1.0 / d as f64; d],
            coords: Coordinates::Dense { u2 },
            sampler: Sampler::Dense { cov },
        })
    }

    /// Finite AR(1) with graded variances (the notes' section 10 example):
    /// Σ_ij = sqrt(v_i v_j) rho^|i-j|, v linear from `lo` (first coordinate) to `hi` (last).
    pub fn graded_ar1(d: usize, rho: f64, lo: f64, hi: f64) -> Result<Self> {
        finite("rho", rho)?;
        if d < 2 || rho.abs() >= 1.0 || !(lo > 0.0 && hi > 0.0) {
            return Err(Error::input(format!("graded AR(1) needs d >= 2, |rho| < 1 and positive variances (d = {d}, rho = {rho}, {lo}..{hi})")));
        }
        let v: Vec<f64> = (0..d).map(|k| lo + (hi - lo) * k as f64 / (d - 1) as f64).collect();
        let cov = Mat::from_fn(d, d, |i, j| (v[i] * v[j]).sqrt() * rho.powi((i as i32 - j as i32).abs()));
        Self::dense(cov, format!("AR(1) ρ = {rho}, variances {lo}..{hi}, d = {d}"))
    }

    /// Number of coordinate classes c.
    pub fn n_classes(&self) -> usize {
        match &self.coords {
            Coordinates::Diagonal => self.eig.len(),
            Coordinates::Delocalized => 1,
            Coordinates::Dense { u2 } => u2.nrows(),
        }
    }

    /// Weight omega_c of coordinate class c (fraction of coordinates).
    pub fn class_weight(&self, c: usize) -> f64 {
        match &self.coords {
            Coordinates::Diagonal => self.weight[c],
            Coordinates::Delocalized => 1.0,
            Coordinates::Dense { u2 } => 1.0 / u2.nrows() as f64,
        }
    }

    /// Diag(g(Σ)) per coordinate class, for g given by its values on the eigenvalues.
    pub fn diag_of(&self, g: &[f64], out: &mut Vec<f64>) {
        out.clear();
        match &self.coords {
            Coordinates::Diagonal => out.extend_from_slice(g),
            Coordinates::Delocalized => out.push(self.mean_of(g)),
            Coordinates::Dense { u2 } => {
                for k in 0..u2.nrows() {
                    let row = u2.row(k);
                    out.push((0..g.len()).map(|j| row[j] * g[j]).sum());
                }
            }
        }
    }

    /// Spectral mean sum_j weight_j g_j, i.e. (1/d) tr g(Σ).
    pub fn mean_of(&self, g: &[f64]) -> f64 {
        self.weight.iter().zip(g).map(|(w, x)| w * x).sum()
    }

    /// Smallest eigenvalue of Σ.
    pub fn min_eig(&self) -> f64 {
        self.eig.iter().cloned().fold(f64::INFINITY, f64::min)
    }

    /// Bayes limit of E_gen: (1/d) sum_k 1/(Σ^{-1})_kk, the mean conditional variance
    /// of one coordinate given the others (theory eq. (3b)). For a singular Σ it is the limit
    /// of Σ + εI as ε -> 0: a coordinate with weight on the null space of Σ (determined by the
    /// others) contributes 0, one without keeps its conditional variance.
    pub fn bayes_error(&self) -> f64 {
        let inv: Vec<f64> =
            self.eig.iter().map(|&l| if l > 0.0 { 1.0 / l } else { f64::INFINITY }).collect();
        let mut diag = Vec::new();
        match &self.coords {
            // u2_kj = 0 with 1/eig_j = inf is 0 (not 0 * inf = NaN)
            Coordinates::Dense { u2 } => {
                for k in 0..u2.nrows() {
                    let row = u2.row(k);
                    diag.push((0..inv.len()).filter(|&j| row[j] != 0.0).map(|j| row[j] * inv[j]).sum());
                }
            }
            _ => self.diag_of(&inv, &mut diag),
        }
        (0..diag.len()).map(|c| self.class_weight(c) / diag[c]).sum()
    }

    /// Dimension fixed by the model itself (dense covariances), if any.
    pub fn fixed_dim(&self) -> Option<usize> {
        match &self.sampler {
            Sampler::Dense { cov } => Some(cov.nrows()),
            _ => None,
        }
    }
}

fn round_sig(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

/// Gauss-Legendre nodes and weights on [-1, 1] (Newton on P_n, Golub-Welsch not needed).
pub fn gauss_legendre(n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut x = vec![0.0; n];
    let mut w = vec![0.0; n];
    for i in 0..n.div_ceil(2) {
        let mut z = (std::f64::consts::PI * (i as f64 + 0.75) / (n as f64 + 0.5)).cos();
        let mut dp = 0.0;
        for _ in 0..100 {
            let (mut p0, mut p1) = (1.0, z);
            for k in 2..=n {
                let p2 = ((2 * k - 1) as f64 * z * p1 - (k - 1) as f64 * p0) / k as f64;
                p0 = p1;
                p1 = p2;
            }
            let pn = if n == 1 { z } else { p1 };
            let pnm1 = if n == 1 { 1.0 } else { p0 };
            dp = n as f64 * (z * pn - pnm1) / (z * z - 1.0);
            let dz = pn / dp;
            z -= dz;
            if dz.abs() < 1e-16 {
                break;
            }
        }
        x[i] = -z;
        x[n - 1 - i] = z;
        let wi = 2.0 / ((1.0 - z * z) * dp * dp);
        w[i] = wi;
        w[n - 1 - i] = wi;
    }
    (x, w)
}

/// Composite Gauss-Legendre on [0, len] with panels graded geometrically toward 0,
/// down to a panel of width about `scale / 8` (resolves a peak of width `scale` at 0).
pub fn graded_quadrature(len: f64, scale: f64) -> (Vec<f64>, Vec<f64>) {
    let (gx, gw) = gauss_legendre(12);
    let mut edges = vec![len];
    let mut a = len;
    while a > scale / 8.0 && edges.len() < 60 {
        a /= 2.0;
        edges.push(a);
    }
    edges.push(0.0);
    edges.reverse();
    let (mut x, mut w) = (Vec::new(), Vec::new());
    for win in edges.windows(2) {
        let (lo, hi) = (win[0], win[1]);
        let (mid, half) = (0.5 * (lo + hi), 0.5 * (hi - lo));
        for (xi, wi) in gx.iter().zip(&gw) {
            x.push(mid + half * xi);
            w.push(half * wi);
        }
    }
    (x, w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauss_legendre_integrates_polynomials_exactly() {
        let (x, w) = gauss_legendre(7);
        // degree 12 polynomial x^12 integrates to 2/13
        let s: f64 = x.iter().zip(&w).map(|(x, w)| w * x.powi(12)).sum();
        assert!((s - 2.0 / 13.0).abs() < 1e-14, "{s}");
        assert!((w.iter().sum::<f64>() - 2.0).abs() < 1e-14);
    }

    #[test]
    fn ar1_spectral_measure_has_unit_mean_and_known_inverse_mean() {
        for rho in [0.0, 0.5, -0.8, 0.99, 0.999] {
            let p = Population::ar1(rho).unwrap();
            let mean = p.mean_of(&p.eig);
            let inv: Vec<f64> = p.eig.iter().map(|x| 1.0 / x).collect();
            // (1/d) tr Σ = 1 and (Σ^{-1})_kk = (1+rho²)/(1-rho²) in the interior
            assert!((mean - 1.0).abs() < 1e-10, "rho {rho}: mean {mean}");
            let want = (1.0 + rho * rho) / (1.0 - rho * rho);
            assert!((p.mean_of(&inv) - want).abs() < 1e-9 * want, "rho {rho}");
            assert!((p.bayes_error() - 1.0 / want).abs() < 1e-9);
        }
    }

    #[test]
    fn bad_atoms_are_rejected() {
        assert!(Population::atoms(&[-1.0], &[1.0]).is_err());
        assert!(Population::atoms(&[1.0, 2.0], &[0.5, 0.4]).is_err());
        assert!(Population::atoms(&[f64::NAN], &[1.0]).is_err());
        assert!(Population::ar1(1.0).is_err());
        // a zero covariance is refused as such (it is PSD, so not as "not PSD")
        let zero = Population::dense(Mat::zeros(3, 3), "z".into()).unwrap_err().to_string();
        assert!(zero.contains("covariance is zero"), "{zero}");
    }
}
