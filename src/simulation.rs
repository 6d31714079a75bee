//! Finite-size Monte Carlo: Gaussian samples with covariance Σ, A-hat by the closed form (1),
//! errors (2)-(3) computed exactly from R = (S + lambda I)^{-1} (theory/README.md section 1).
use crate::error::{Error, Result};
use crate::model::{Population, Sampler};
use crate::shard::Shard;
use crate::simspectrum::{spectral_from, summarize, SpectralScalars, SpectralSummary};
use crate::spikes::{Spike, Support};
use rand::Rng;
use crate::progress::Progress;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, MatRef, Par, Side};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Σ = base + sum_i theta_i v_i v_i^T realized at a finite dimension d.
#[derive(Debug, Clone)]
pub struct SigmaAtD {
    pub base: Base,
    /// Spike directions (unit, mutually orthogonal); only on diagonal bases.
    pub spikes: Vec<SpikeDir>,
}

/// One spike theta v v^T at finite d.
#[derive(Debug, Clone)]
pub struct SpikeDir {
    pub theta: f64,
    pub v: Vec<f64>,
}

/// The bulk part of Σ at finite d.
#[derive(Debug, Clone)]
pub enum Base {
    /// Diagonal variances, one per coordinate (atoms laid out in contiguous blocks).
    Diagonal(Vec<f64>),
    /// Toeplitz rho^|i-j| of size d, with its O(d) AR(1) recursion as square root.
    Ar1 { rho: f64, d: usize },
    /// Dense covariance and a square root L (Σ = L L^T).
    /// The population's own matrix, its square root, and its Bayes error (singular Σ included).
    Dense { cov: Mat<f64>, root: Mat<f64>, bayes: f64 },
}

/// Number of coordinates per atom at dimension d (largest-remainder rounding, sums to d).
pub fn atom_counts(weight: &[f64], d: usize) -> Vec<usize> {
    let raw: Vec<f64> = weight.iter().map(|w| w * d as f64).collect();
    let mut counts: Vec<usize> = raw.iter().map(|x| x.floor() as usize).collect();
    let mut rest = d - counts.iter().sum::<usize>();
    let mut order: Vec<usize> = (0..weight.len()).collect();
    order.sort_by(|&a, &b| (raw[b] - raw[b].floor()).total_cmp(&(raw[a] - raw[a].floor())).then(a.cmp(&b)));
    for &i in order.iter().cycle() {
        if rest == 0 {
            break;
        }
        counts[i] += 1;
        rest -= 1;
    }
    counts
}

impl SigmaAtD {
    /// Realizes the population at dimension d (dense models keep their own d), no spikes.
    pub fn new(pop: &Population, d: usize) -> Result<Self> {
        Ok(SigmaAtD { base: Base::new(pop, d)?, spikes: Vec::new() })
    }

    /// Realizes the population plus spikes; directions have random signs over their support
    /// (all coordinates, or one atom's block), drawn from `seed`, then Gram-Schmidt orthonormalized.
    pub fn with_spikes(pop: &Population, d: usize, spikes: &[Spike], seed: u64) -> Result<Self> {
        let base = Base::new(pop, d)?;
        let Sampler::Atoms { weight, .. } = &pop.sampler else {
            return Err(Error::input("spikes are implemented on top of diagonal noise models (--noise)"));
        };
        let counts = atom_counts(weight, d);
        let starts: Vec<usize> = counts.iter().scan(0, |acc, &c| { let s = *acc; *acc += c; Some(s) }).collect();
        let mut rng = trial_rng(seed, u64::MAX);
        let mut dirs: Vec<SpikeDir> = Vec::new();
        for sp in spikes {
            let range = match sp.support {
                Support::All => 0..d,
                Support::Atom(j) => starts[j]..starts[j] + counts[j],
            };
            if range.len() <= dirs.len() {
                return Err(Error::input(format!("d = {d} leaves too few coordinates for the spikes' supports")));
            }
            let mut v = vec![0.0; d];
            for k in range {
                v[k] = if rng.random::<bool>() { 1.0 } else { -1.0 };
            }
            for o in &dirs {
                let p: f64 = v.iter().zip(&o.v).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(&o.v).for_each(|(a, b)| *a -= p * b);
            }
            let norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
            v.iter_mut().for_each(|x| *x /= norm);
            dirs.push(SpikeDir { theta: sp.theta, v });
        }
        Ok(SigmaAtD { base, spikes: dirs })
    }

    pub fn dim(&self) -> usize {
        self.base.dim()
    }

    /// n rows x ~ N(0, Σ): the base sample plus sum_i sqrt(theta_i) g_i v_i.
    pub fn sample(&self, n: usize, rng: &mut ChaCha8Rng) -> Mat<f64> {
        let mut x = self.base.sample(n, rng);
        for sp in &self.spikes {
            let g: Vec<f64> = (0..n).map(|_| sp.theta.sqrt() * Distribution::<f64>::sample(&StandardNormal, rng)).collect::<Vec<f64>>();
            for (j, &vj) in sp.v.iter().enumerate() {
                if vj != 0.0 {
                    x.col_as_slice_mut(j).iter_mut().zip(&g).for_each(|(a, gi)| *a += gi * vj);
                }
            }
        }
        x
    }

    /// Diagonal of R Σ R for symmetric R, and tr(Σ R).
    pub fn r_sigma_r_diag(&self, r: MatRef<'_, f64>) -> (Vec<f64>, f64) {
        let (mut out, mut tr) = self.base.r_sigma_r_diag(r);
        for sp in &self.spikes {
            let rv = Mat::from_fn(r.nrows(), 1, |k, _| (0..r.ncols()).map(|j| r[(k, j)] * sp.v[j]).sum::<f64>());
            for k in 0..out.len() {
                out[k] += sp.theta * rv[(k, 0)] * rv[(k, 0)];
            }
            tr += sp.theta * (0..out.len()).map(|k| sp.v[k] * rv[(k, 0)]).sum::<f64>();
        }
        (out, tr)
    }

    /// The diagonal of Σ (variances of the coordinates).
    pub fn diagonal(&self) -> Vec<f64> {
        let mut diag = match &self.base {
            Base::Diagonal(psi) => psi.clone(),
            Base::Ar1 { d, .. } => vec![1.0; *d],
            Base::Dense { cov, .. } => (0..cov.nrows()).map(|i| cov[(i, i)]).collect(),
        };
        for sp in &self.spikes {
            diag.iter_mut().zip(&sp.v).for_each(|(x, v)| *x += sp.theta * v * v);
        }
        diag
    }

    /// Finite-d Bayes error (1/d) sum_k 1/(Σ^{-1})_kk (Woodbury over the spikes).
    pub fn bayes_error(&self) -> f64 {
        let Base::Diagonal(psi) = &self.base else { return self.base.bayes_error() };
        if self.spikes.is_empty() {
            return self.base.bayes_error();
        }
        // Σ^{-1} = Ψ^{-1} - Ψ^{-1} V C^{-1} V^T Ψ^{-1}, C = Θ^{-1} + V^T Ψ^{-1} V
        let r = self.spikes.len();
        let d = psi.len();
        let c = Mat::from_fn(r, r, |a, b| {
            let vv: f64 = (0..d).map(|k| self.spikes[a].v[k] * self.spikes[b].v[k] / psi[k]).sum();
            vv + if a == b { 1.0 / self.spikes[a].theta } else { 0.0 }
        });
        let cinv = faer::linalg::solvers::DenseSolveCore::inverse(&c.llt(Side::Lower).expect("C is positive definite"));
        let mut total = 0.0;
        for k in 0..d {
            let u: Vec<f64> = self.spikes.iter().map(|s| s.v[k] / psi[k]).collect();
            let corr: f64 = (0..r).map(|a| (0..r).map(|b| u[a] * cinv[(a, b)] * u[b]).sum::<f64>()).sum();
            total += 1.0 / (1.0 / psi[k] - corr);
        }
        total / d as f64
    }
}

impl Base {
    /// Realizes the bulk of the population at dimension d.
    pub fn new(pop: &Population, d: usize) -> Result<Self> {
        match &pop.sampler {
            Sampler::Atoms { psi, weight } => {
                let counts = atom_counts(weight, d);
                let diag = psi.iter().zip(&counts).flat_map(|(&p, &c)| std::iter::repeat_n(p, c)).collect();
                Ok(Base::Diagonal(diag))
            }
            Sampler::Ar1 { rho } => Ok(Base::Ar1 { rho: *rho, d }),
            Sampler::Dense { cov } => {
                if cov.nrows() != d {
                    return Err(Error::input(format!(
                        "this covariance has its own dimension d = {}, got --d {d}",
                        cov.nrows()
                    )));
                }
                let evd = cov
                    .self_adjoint_eigen(Side::Lower)
                    .map_err(|e| Error::Numerical(format!("eigendecomposition: {e:?}")))?;
                let (u, s) = (evd.U(), evd.S().column_vector());
                let root = Mat::from_fn(d, d, |i, j| u[(i, j)] * s[j].max(0.0).sqrt());
                Ok(Base::Dense { cov: cov.clone(), root, bayes: pop.bayes_error() })
            }
        }
    }

    pub fn dim(&self) -> usize {
        match self {
            Base::Diagonal(v) => v.len(),
            Base::Ar1 { d, .. } => *d,
            Base::Dense { cov, .. } => cov.nrows(),
        }
    }

    /// n rows x ~ N(0, Σ): X = Z L^T with Z standard Gaussian.
    pub fn sample(&self, n: usize, rng: &mut ChaCha8Rng) -> Mat<f64> {
        let d = self.dim();
        let mut z = Mat::<f64>::zeros(n, d);
        for j in 0..d {
            for x in z.col_as_slice_mut(j) {
                *x = StandardNormal.sample(rng);
            }
        }
        match self {
            Base::Diagonal(psi) => {
                for (j, &p) in psi.iter().enumerate() {
                    let s = p.sqrt();
                    z.col_as_slice_mut(j).iter_mut().for_each(|x| *x *= s);
                }
                z
            }
            Base::Ar1 { rho, .. } => {
                // x_1 = z_1, x_t = rho x_{t-1} + sqrt(1-rho^2) z_t, column by column
                let s = (1.0 - rho * rho).sqrt();
                for j in 1..d {
                    for i in 0..n {
                        z[(i, j)] = rho * z[(i, j - 1)] + s * z[(i, j)];
                    }
                }
                z
            }
            Base::Dense { root, .. } => {
                let mut x = Mat::<f64>::zeros(n, d);
                matmul(&mut x, Accum::Replace, &z, root.transpose(), 1.0, Par::Seq);
                x
            }
        }
    }

    /// Diagonal of R Σ R for symmetric R, and tr(Σ R).
    pub fn r_sigma_r_diag(&self, r: MatRef<'_, f64>) -> (Vec<f64>, f64) {
        let d = self.dim();
        match self {
            Base::Diagonal(psi) => {
                let mut out = vec![0.0; d];
                for j in 0..d {
                    let col = r.col(j);
                    for k in 0..d {
                        out[k] += col[k] * col[k] * psi[j];
                    }
                }
                let tr = (0..d).map(|k| psi[k] * r[(k, k)]).sum();
                (out, tr)
            }
            Base::Ar1 { rho, .. } => {
                // (R Σ)_{kj} via the Toeplitz structure: row k of R times Σ, O(d) per row with
                // forward and backward geometric sums; [RΣR]_kk = sum_j (RΣ)_kj R_kj.
                let mut out = vec![0.0; d];
                let mut tr = 0.0;
                let mut fwd = vec![0.0; d];
                for k in 0..d {
                    let row = r.col(k); // R symmetric: column k = row k
                    let mut acc = 0.0;
                    for j in 0..d {
                        acc = rho * acc + row[j];
                        fwd[j] = acc; // sum_{i<=j} row_i rho^{j-i}
                    }
                    let mut back = 0.0; // sum_{i>j} row_i rho^{i-j}
                    let mut s = 0.0;
                    for j in (0..d).rev() {
                        let rs = fwd[j] + back; // (row Σ)_j
                        s += rs * row[j];
                        if j == k {
                            tr += rs;
                        }
                        back = rho * (back + row[j]);
                    }
                    out[k] = s;
                }
                (out, tr)
            }
            Base::Dense { cov, root, .. } => {
                let mut g = Mat::<f64>::zeros(d, d);
                matmul(&mut g, Accum::Replace, r, root, 1.0, Par::Seq);
                let mut out = vec![0.0; d];
                for j in 0..d {
                    let col = g.col(j);
                    for k in 0..d {
                        out[k] += col[k] * col[k];
                    }
                }
                let mut tr = 0.0;
                for j in 0..d {
                    let (c, rc) = (cov.col(j), r.col(j));
                    for k in 0..d {
                        tr += c[k] * rc[k];
                    }
                }
                (out, tr)
            }
        }
    }

    /// Finite-d Bayes error (1/d) sum_k 1/(Σ^{-1})_kk.
    pub fn bayes_error(&self) -> f64 {
        match self {
            Base::Diagonal(psi) => psi.iter().sum::<f64>() / psi.len() as f64,
            Base::Ar1 { rho, d } => {
                // Σ^{-1} is tridiagonal: diagonal 1/(1-rho^2) at both ends, (1+rho^2)/(1-rho^2) inside.
                let (d, r2) = (*d as f64, rho * rho);
                if d < 2.0 {
                    return 1.0;
                }
                (2.0 * (1.0 - r2) + (d - 2.0) * (1.0 - r2) / (1.0 + r2)) / d
            }
            // the model is this very matrix: its Bayes error is the population's (a coordinate in
            // the null space has error 0, the others their conditional variance)
            Base::Dense { bayes, .. } => *bayes,
        }
    }
}

/// A-hat = I - D^{-1} R with R = (S + lambda I)^{-1}, D = Diag(R) (eq. (1)); also returns R.
pub fn a_hat(x: MatRef<'_, f64>, lambda: f64) -> Result<(Mat<f64>, Mat<f64>)> {
    let r = resolvent(x, lambda, Par::Seq)?;
    let d = r.nrows();
    let a = Mat::from_fn(d, d, |k, j| if k == j { 0.0 } else { -r[(k, j)] / r[(k, k)] });
    Ok((a, r))
}

/// S = X^T X / n, computing the lower triangle only (half the flops) and mirroring it.
pub fn gram(x: MatRef<'_, f64>, par: Par) -> Mat<f64> {
    use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure};
    let (n, d) = (x.nrows(), x.ncols());
    let mut s = Mat::<f64>::zeros(d, d);
    tri_matmul(
        &mut s,
        BlockStructure::TriangularLower,
        Accum::Replace,
        x.transpose(),
        BlockStructure::Rectangular,
        x,
        BlockStructure::Rectangular,
        1.0 / n as f64,
        par,
    );
    for j in 0..d {
        for i in 0..j {
            s[(i, j)] = s[(j, i)];
        }
    }
    s
}

/// R = (X^T X / n + lambda I)^{-1} through a Cholesky factorization.
pub fn resolvent(x: MatRef<'_, f64>, lambda: f64, par: Par) -> Result<Mat<f64>> {
    let (n, d) = (x.nrows(), x.ncols());
    let mut s = gram(x, par);
    for k in 0..d {
        s[(k, k)] += lambda;
    }
    let llt = s
        .llt(Side::Lower)
        .map_err(|_| Error::Numerical(format!("S + lambda I is singular (n = {n}, d = {d}, lambda = {lambda})")))?;
    Ok(faer::linalg::solvers::DenseSolveCore::inverse(&llt))
}

/// A_p of eq. (14): (1/(1-p)) (I - Diag(K^{-1})^{-1} K^{-1}), K = (1-p) S + p Diag(S) + lambda0/(1-p) I.
pub fn a_masked(x: MatRef<'_, f64>, lambda0: f64, p: f64) -> Result<Mat<f64>> {
    let d = x.ncols();
    let s = gram(x, Par::Seq);
    let k = Mat::from_fn(d, d, |i, j| if i == j { s[(i, i)] + lambda0 / (1.0 - p) } else { (1.0 - p) * s[(i, j)] });
    let r = faer::linalg::solvers::DenseSolveCore::inverse(&k.llt(Side::Lower).map_err(|_| Error::Numerical("K of eq. (14) is singular".into()))?);
    Ok(Mat::from_fn(d, d, |i, j| if i == j { 0.0 } else { -r[(i, j)] / (r[(i, i)] * (1.0 - p)) }))
}

/// The test loss (15) of any predictor A under random masking with ratio p, for covariance Σ:
/// (1/d) tr(B Σ B^T) + (p(1-p)/d) tr(A Diag(Σ) A^T), B = I - (1-p) A.
pub fn masked_loss(a: MatRef<'_, f64>, cov: MatRef<'_, f64>, p: f64) -> f64 {
    let d = a.nrows();
    let b = Mat::from_fn(d, d, |i, j| if i == j { 1.0 } else { 0.0 } - (1.0 - p) * a[(i, j)]);
    let mut bs = Mat::<f64>::zeros(d, d);
    matmul(&mut bs, Accum::Replace, &b, cov, 1.0, Par::Seq);
    let mut total = 0.0;
    for k in 0..d {
        total += (0..d).map(|j| bs[(k, j)] * b[(k, j)]).sum::<f64>();
        total += p * (1.0 - p) * (0..d).map(|j| a[(k, j)] * a[(k, j)] * cov[(j, j)]).sum::<f64>();
    }
    total / d as f64
}

/// K of eq. (14) from S: (1-p) S + p Diag(S) + lambda/(1-p) I (p = 0: S + lambda I).
pub fn k_matrix(s: &Mat<f64>, lambda: f64, p: f64) -> Mat<f64> {
    let keep = 1.0 - p;
    Mat::from_fn(s.nrows(), s.ncols(), |i, j| if i == j { s[(i, i)] + lambda / keep } else { keep * s[(i, j)] })
}

/// K^{-1} through a Cholesky factorization.
pub fn inverse_spd(k: &Mat<f64>, n: usize, p: f64) -> Result<Mat<f64>> {
    let llt = k.llt(Side::Lower).map_err(|_| {
        Error::Numerical(format!("S + lambda I (eq. (14) with p = {p}) is singular (n = {n}, d = {})", k.nrows()))
    })?;
    Ok(faer::linalg::solvers::DenseSolveCore::inverse(&llt))
}

/// (delta, E_train, E_gen) of one sample from R = K^{-1}: eqs. (2)-(3) for p = 0; for p > 0 the
/// test loss (15) of A_p (with D = Diag(R), B = D^{-1} R) and no training error (NaN).
/// delta is (1/n) tr(Σ' R) with Σ' = (1-p) Σ.
pub fn errors_from_resolvent(r: &Mat<f64>, lambda: f64, p: f64, sigma: &SigmaAtD, n: usize) -> (f64, f64, f64) {
    let d = r.nrows();
    let (rsr, tr) = sigma.r_sigma_r_diag(r.as_ref());
    let delta = tr * (1.0 - p) / n as f64;
    if p > 0.0 {
        let psi = sigma.diagonal();
        let mut loss = 0.0;
        for k in 0..d {
            let col = r.col(k);
            let rpr: f64 = (0..d).map(|l| col[l] * col[l] * psi[l]).sum();
            let dk2 = col[k] * col[k];
            loss += rsr[k] / dk2 + p / (1.0 - p) * (rpr / dk2 - psi[k]);
        }
        return (delta, f64::NAN, loss / d as f64);
    }
    // E_train = (1/d) sum_k (R_kk - lambda (R^2)_kk) / R_kk^2 ; (R^2)_kk = |R_k|^2 (R symmetric)
    let mut train = 0.0;
    for k in 0..d {
        let col = r.col(k);
        let rr: f64 = (0..d).map(|j| col[j] * col[j]).sum();
        train += (col[k] - lambda * rr) / (col[k] * col[k]);
    }
    let gen: f64 = (0..d).map(|k| rsr[k] / (r[(k, k)] * r[(k, k)])).sum();
    (delta, train / d as f64, gen / d as f64)
}

/// Masking ratio p (eq. (14)-(15)) on one sample: A_p from K and its exact test loss under random
/// masking (15). Returns (delta, NaN, loss).
pub fn masked_errors(x: MatRef<'_, f64>, lambda0: f64, p: f64, sigma: &SigmaAtD, par: Par) -> Result<(f64, f64, f64)> {
    let r = inverse_spd(&k_matrix(&gram(x, par), lambda0, p), x.nrows(), p)?;
    Ok(errors_from_resolvent(&r, lambda0, p, sigma, x.nrows()))
}

/// SSR errors of one sample X (n x d): (delta, E_train, E_gen) from eqs. (2)-(3), exactly.
pub fn ssr_errors(x: MatRef<'_, f64>, lambda: f64, sigma: &SigmaAtD, par: Par) -> Result<(f64, f64, f64)> {
    let r = resolvent(x, lambda, par)?;
    Ok(errors_from_resolvent(&r, lambda, 0.0, sigma, x.nrows()))
}

/// SSR errors of one sample for several lambdas, reusing one eigendecomposition S = U Λ U^T:
/// R(lambda) = U (Λ + lambda)^{-1} U^T. Diag(R) and Diag(R^2) cost O(d^2) per lambda through
/// U∘U; so does Diag(R Σ R) when Σ is a multiple of I. Other Σ form R once per lambda (one
/// symmetric product) instead of a new factorization and inverse.
pub fn ssr_errors_sweep(x: MatRef<'_, f64>, lambdas: &[f64], sigma: &SigmaAtD, par: Par) -> Result<Vec<(f64, f64, f64)>> {
    if lambdas.len() == 1 {
        return Ok(vec![ssr_errors(x, lambdas[0], sigma, par)?]);
    }
    let s = gram(x, par);
    Ok(ssr_sweep_from_gram(&s, x.nrows(), lambdas, sigma, par)?.errors)
}

/// What one eigendecomposition of S gives a lambda sweep: the errors (delta, E_train, E_gen) of
/// eqs. (1)-(3) and Diag(R(lambda)) per lambda, and the eigenvalues of S (ascending).
pub struct SsrSweep {
    pub errors: Vec<(f64, f64, f64)>,
    pub diag_r: Vec<Vec<f64>>,
    pub eig_s: Vec<f64>,
}

/// `ssr_errors_sweep` (eqs. (1)-(3)) from S = X^T X / n itself (n samples), also returning Diag(R)
/// per lambda and S's eigenvalues, so that the spectral sweep (eq. (8)) needs no further
/// factorization of S + lambda I.
pub fn ssr_sweep_from_gram(s: &Mat<f64>, n: usize, lambdas: &[f64], sigma: &SigmaAtD, par: Par) -> Result<SsrSweep> {
    use faer::linalg::matmul::triangular::{matmul as tri_matmul, BlockStructure};
    let d = s.nrows();
    let (u, eig_s) = {
        let e = s.self_adjoint_eigen(Side::Lower).map_err(|e| Error::Numerical(format!("eigendecomposition of S: {e:?}")))?;
        let ev = e.S().column_vector();
        (e.U().to_owned(), (0..d).map(|j| ev[j]).collect::<Vec<f64>>())
    };
    let eig: Vec<f64> = eig_s.iter().map(|&l| l.max(0.0)).collect();
    let scalar = match (&sigma.base, sigma.spikes.is_empty()) {
        (Base::Diagonal(psi), true) if psi.iter().all(|&p| p == psi[0]) => Some(psi[0]),
        _ => None,
    };
    for &lambda in lambdas {
        if eig.iter().any(|&l| l + lambda <= 0.0) {
            return Err(Error::Numerical(format!("S + lambda I is singular (n = {n}, d = {d}, lambda = {lambda})")));
        }
    }
    // Diag(R) and Diag(R^2) for every lambda at once: (U∘U) G with G_j,(2l, 2l+1) = r_j, r_j^2
    let u2 = Mat::from_fn(d, d, |k, j| u[(k, j)] * u[(k, j)]);
    let g = Mat::from_fn(d, 2 * lambdas.len(), |j, c| {
        let r = 1.0 / (eig[j] + lambdas[c / 2]);
        if c % 2 == 0 { r } else { r * r }
    });
    let mut diag = Mat::<f64>::zeros(d, 2 * lambdas.len());
    matmul(&mut diag, Accum::Replace, &u2, &g, 1.0, par);
    drop(u2);
    let mut out = Vec::with_capacity(lambdas.len());
    let mut diag_r = Vec::with_capacity(lambdas.len());
    for (li, &lambda) in lambdas.iter().enumerate() {
        let r: Vec<f64> = eig.iter().map(|&l| 1.0 / (l + lambda)).collect();
        let (rkk, rr) = (diag.col_as_slice(2 * li), diag.col_as_slice(2 * li + 1));
        diag_r.push(rkk.to_vec());
        let train: f64 = (0..d).map(|k| (rkk[k] - lambda * rr[k]) / (rkk[k] * rkk[k])).sum::<f64>() / d as f64;
        let (gen, delta) = match scalar {
            Some(c) => (
                (0..d).map(|k| c * rr[k] / (rkk[k] * rkk[k])).sum::<f64>() / d as f64,
                c * rkk.iter().sum::<f64>() / n as f64,
            ),
            None => {
                let w = Mat::from_fn(d, d, |k, j| u[(k, j)] * r[j].sqrt());
                let mut rm = Mat::<f64>::zeros(d, d);
                tri_matmul(&mut rm, BlockStructure::TriangularLower, Accum::Replace, &w, BlockStructure::Rectangular, w.transpose(), BlockStructure::Rectangular, 1.0, par);
                for j in 0..d {
                    for i in 0..j {
                        rm[(i, j)] = rm[(j, i)];
                    }
                }
                let (rsr, tr) = sigma.r_sigma_r_diag(rm.as_ref());
                ((0..d).map(|k| rsr[k] / (rkk[k] * rkk[k])).sum::<f64>() / d as f64, tr / n as f64)
            }
        };
        out.push((delta, train, gen));
    }
    Ok(SsrSweep { errors: out, diag_r, eig_s })
}

/// Mean and standard error over trials.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct Stat {
    pub mean: f64,
    pub se: f64,
}

impl Stat {
    /// Mean and standard error (sample standard deviation / sqrt(count)); one value has no
    /// standard error: NaN (null in JSON, blank in CSV, "-" in text).
    pub fn of(xs: &[f64]) -> Stat {
        let m = xs.len() as f64;
        let mean = xs.iter().sum::<f64>() / m;
        let var = if xs.len() > 1 { xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (m - 1.0) } else { f64::NAN };
        Stat { mean, se: (var / m).sqrt() }
    }
}

/// Summary of a simulation run: the same keys as the theory, each as mean +- s.e.
#[derive(Debug, Clone, Serialize)]
pub struct SimErrors {
    pub alpha: f64,
    pub lambda: f64,
    /// Masking ratio p (0: one-at-a-time SSR); for p > 0 gen_error is the test loss (15).
    pub mask_ratio: f64,
    pub d: usize,
    pub n: usize,
    pub trials: usize,
    pub seed: u64,
    pub delta: Stat,
    pub train_error: Stat,
    pub gen_error: Stat,
    pub bayes_error: Stat,
    /// The spectral side (with --spike or --spectrum): top eigenvalues and overlaps.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub spectrum: Option<SpectralSummary>,
    /// A-hat's eigenvalues of the first trial (for histograms), when the spectrum was computed.
    #[serde(skip)]
    pub ssr_eigenvalues: Vec<f64>,
}

/// Simulation settings shared by every experiment.
#[derive(Debug, Clone, Copy)]
pub struct SimConfig {
    pub d: usize,
    pub trials: usize,
    pub seed: u64,
}

/// Number of samples n = round(alpha d), at least 1.
pub fn n_of(alpha: f64, d: usize) -> usize {
    ((alpha * d as f64).round() as usize).max(1)
}

/// The random stream of trial `t` under `seed` (independent of threads and of other trials).
pub fn trial_rng(seed: u64, t: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(t);
    rng
}

/// Runs `trials` independent SSR experiments at (alpha, lambda) in parallel (eqs. (1)-(3)).
pub fn simulate_errors(pop: &Population, alpha: f64, lambdas: &[f64], cfg: SimConfig, progress: &Progress) -> Result<Vec<SimErrors>> {
    simulate_errors_masked(pop, alpha, lambdas, 0.0, cfg, progress)
}

/// `simulate_errors` for masking ratio p: the test loss (15) of the fitted A_p (eq. (14)) per lambda0.
pub fn simulate_errors_masked(pop: &Population, alpha: f64, lambdas: &[f64], p: f64, cfg: SimConfig, progress: &Progress) -> Result<Vec<SimErrors>> {
    summarize_run(&run_trials_masked(pop, &[], false, alpha, lambdas, p, cfg, Shard::ALL, progress)?)
}

/// What one trial contributes: the errors and, with the spectral side, its scalars.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TrialScalars {
    pub delta: f64,
    /// NaN for p > 0 (the training error of A_p is not defined).
    #[serde(deserialize_with = "crate::shard::nan_from_null")]
    pub train: f64,
    pub gen: f64,
    pub spectral: Option<SpectralScalars>,
}

/// Everything that identifies a run; shards of one run carry equal configs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunConfig {
    pub model: String,
    pub alpha: f64,
    pub lambdas: Vec<f64>,
    pub d: usize,
    pub n: usize,
    pub trials: usize,
    pub seed: u64,
    pub thetas: Vec<f64>,
    pub spectral: bool,
    #[serde(default)]
    pub mask_ratio: f64,
    pub bayes_error: f64,
}

/// The trials of one run that a shard owns: (trial index, one entry per lambda).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrialRun {
    pub config: RunConfig,
    pub trials: Vec<(u64, Vec<TrialScalars>)>,
    /// A-hat's eigenvalues of trial 0 per lambda (when this shard owns it and the spectrum ran).
    #[serde(skip)]
    pub first_ssr_eigs: Vec<Vec<f64>>,
}

/// Runs `trials` independent experiments with optional spikes; with `spectral` (always with
/// spikes) also the eigenvalues and overlaps of `simspectrum`. All lambdas share the samples.
pub fn simulate(
    pop: &Population,
    spikes: &[Spike],
    spectral: bool,
    alpha: f64,
    lambdas: &[f64],
    cfg: SimConfig,
    progress: &Progress,
) -> Result<Vec<SimErrors>> {
    summarize_run(&run_trials_masked(pop, spikes, spectral, alpha, lambdas, 0.0, cfg, Shard::ALL, progress)?)
}

/// Runs the trials of `shard` (trial t belongs to shard t mod N): the raw per-trial scalars, for
/// masking ratio `p` (0: one-at-a-time SSR; p > 0: eqs. (14)-(15)). Every trial's randomness
/// depends only on (seed, t), so the union over shards is the same whatever N is.
#[allow(clippy::too_many_arguments)]
pub fn run_trials_masked(
    pop: &Population,
    spikes: &[Spike],
    spectral: bool,
    alpha: f64,
    lambdas: &[f64],
    p: f64,
    cfg: SimConfig,
    shard: Shard,
    progress: &Progress,
) -> Result<TrialRun> {
    let spectral = spectral || !spikes.is_empty();
    for &l in lambdas {
        crate::solver::check_masked_params(pop, alpha, l, p)?;
    }
    if cfg.trials == 0 || cfg.d == 0 {
        return Err(Error::input("--trials and --d must be at least 1"));
    }
    let d = pop.fixed_dim().unwrap_or(cfg.d);
    let n = n_of(alpha, d);
    crate::resources::check_memory(n, d)?;
    let sigma = if spikes.is_empty() { SigmaAtD::new(pop, d)? } else { SigmaAtD::with_spikes(pop, d, spikes, cfg.seed)? };
    // decided from the whole run, not the shard, so shards compute exactly what one run does
    let par = if cfg.trials > 1 { Par::Seq } else { Par::rayon(crate::resources::LINALG_PARTS) };
    let owned: Vec<u64> = (0..cfg.trials as u64).filter(|&t| shard.owns(t as usize)).collect();
    let r = spikes.len();
    type Row = (TrialScalars, Option<Vec<f64>>);
    let results: Vec<Vec<Row>> = owned
        .par_iter()
        .map(|&t| {
            let x = sigma.sample(n, &mut trial_rng(cfg.seed, t));
            let out = if spectral && p == 0.0 && spikes.is_empty() && lambdas.len() > 1 {
                // a sweep of spectra: one eigendecomposition of S gives the errors, Diag(R) and
                // S's spectrum for every lambda; per lambda only T's eigenvalues are new
                let s = gram(x.as_ref(), par);
                drop(x);
                let sweep = ssr_sweep_from_gram(&s, n, lambdas, &sigma, par)?;
                let workers = if matches!(par, Par::Seq) { 1 } else { rayon::current_num_threads() };
                let spectra = crate::simspectrum::spectra_of_sweep(&s, lambdas, &sweep, workers)?;
                Ok(spectra
                    .into_iter()
                    .zip(&sweep.errors)
                    .map(|(st, &(delta, train, gen))| {
                        let eigs = if t == 0 { Some(st.ssr_eigs.clone()) } else { None };
                        (TrialScalars { delta, train, gen, spectral: Some(st.scalars(r)) }, eigs)
                    })
                    .collect())
            } else if spectral {
                // one S per trial (X is not needed after it); per lambda one K and one inverse,
                // shared by the errors and the spectrum
                let s = gram(x.as_ref(), par);
                drop(x);
                lambdas
                    .iter()
                    .map(|&l| {
                        let k = k_matrix(&s, l, p);
                        let rk = inverse_spd(&k, n, p)?;
                        let (delta, train, gen) = errors_from_resolvent(&rk, l, p, &sigma, n);
                        let st = spectral_from(&s, k, rk, p, &sigma)?;
                        let eigs = if t == 0 { Some(st.ssr_eigs.clone()) } else { None };
                        Ok((TrialScalars { delta, train, gen, spectral: Some(st.scalars(r)) }, eigs))
                    })
                    .collect::<Result<Vec<_>>>()
            } else if p > 0.0 {
                lambdas
                    .iter()
                    .map(|&l| {
                        let (delta, train, gen) = masked_errors(x.as_ref(), l, p, &sigma, par)?;
                        Ok((TrialScalars { delta, train, gen, spectral: None }, None))
                    })
                    .collect::<Result<Vec<_>>>()
            } else {
                ssr_errors_sweep(x.as_ref(), lambdas, &sigma, par)
                    .map(|v| v.into_iter().map(|(delta, train, gen)| (TrialScalars { delta, train, gen, spectral: None }, None)).collect())
            };
            progress.tick();
            out
        })
        .collect::<Result<_>>()?;
    let first_ssr_eigs = match owned.first() {
        Some(0) if spectral => results[0].iter().map(|row| row.1.clone().unwrap_or_default()).collect(),
        _ => Vec::new(),
    };
    Ok(TrialRun {
        config: RunConfig {
            model: pop.label.clone(),
            alpha,
            lambdas: lambdas.to_vec(),
            d,
            n,
            trials: cfg.trials,
            seed: cfg.seed,
            thetas: spikes.iter().map(|s| s.theta).collect(),
            spectral,
            mask_ratio: p,
            bayes_error: sigma.bayes_error(),
        },
        trials: owned.into_iter().zip(results.into_iter().map(|v| v.into_iter().map(|row| row.0).collect())).collect(),
        first_ssr_eigs,
    })
}

/// Mean +- s.e. per lambda over all trials of a run (every trial must be present exactly once).
pub fn summarize_run(run: &TrialRun) -> Result<Vec<SimErrors>> {
    let c = &run.config;
    let mut trials: Vec<&(u64, Vec<TrialScalars>)> = run.trials.iter().collect();
    trials.sort_by_key(|t| t.0);
    let complete = trials.len() == c.trials && trials.iter().enumerate().all(|(i, t)| t.0 == i as u64);
    if !complete {
        return Err(Error::input(format!(
            "run alpha = {} has {} of {} trials (missing or duplicated shards)",
            c.alpha,
            trials.len(),
            c.trials
        )));
    }
    Ok(c.lambdas
        .iter()
        .enumerate()
        .map(|(li, &lambda)| {
            let col = |f: fn(&TrialScalars) -> f64| Stat::of(&trials.iter().map(|t| f(&t.1[li])).collect::<Vec<_>>());
            let spectral: Vec<SpectralScalars> = trials.iter().filter_map(|t| t.1[li].spectral.clone()).collect();
            SimErrors {
                alpha: c.alpha,
                lambda,
                mask_ratio: c.mask_ratio,
                d: c.d,
                n: c.n,
                trials: c.trials,
                seed: c.seed,
                delta: col(|r| r.delta),
                train_error: col(|r| r.train),
                gen_error: col(|r| r.gen),
                bayes_error: Stat { mean: c.bayes_error, se: 0.0 },
                spectrum: if c.spectral { Some(summarize(&spectral, &c.thetas)) } else { None },
                ssr_eigenvalues: run.first_ssr_eigs.get(li).cloned().unwrap_or_default(),
            }
        })
        .collect())
}

/// Merges shards of the same runs: trials of runs with equal configs are pooled, in the order
/// the runs first appear. One command makes one run per alpha, so every run must agree with the
/// first in everything but alpha (and n = alpha d).
pub fn merge_runs(shards: Vec<TrialRun>) -> Result<Vec<TrialRun>> {
    let command_of = |c: &RunConfig| RunConfig { alpha: 0.0, n: 0, ..c.clone() };
    let mut out: Vec<TrialRun> = Vec::new();
    for run in shards {
        if let Some(first) = out.first() {
            let (a, b) = (command_of(&first.config), command_of(&run.config));
            if a != b {
                let (a, b) = (serde_json::to_value(&a).expect("serializable"), serde_json::to_value(&b).expect("serializable"));
                let diff: Vec<String> = a
                    .as_object()
                    .expect("a struct")
                    .iter()
                    .filter(|(k, v)| b.get(k.as_str()) != Some(v))
                    .map(|(k, v)| format!("{k} {v} vs {}", b.get(k.as_str()).unwrap_or(&serde_json::Value::Null)))
                    .collect();
                return Err(Error::input(format!("shards come from different runs ({})", diff.join(", "))));
            }
        }
        match out.iter_mut().find(|r| r.config == run.config) {
            Some(r) => r.trials.extend(run.trials),
            None => out.push(run),
        }
    }
    Ok(out)
}
