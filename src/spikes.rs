//! Spiked covariances Σ = Σ0 + sum_i theta_i v_i v_i^T: outliers, BBP thresholds and overlaps
//! (theory/README.md sections 8-9, eqs. (11)-(13b)). Every routine works on a `spectral::Problem`,
//! so SSR, PCA and oracle-whitened PCA share it.
use crate::error::{Error, Result};
use crate::model::{Coordinates, Population};
use crate::spectral::{Edge, Problem};
use roots::{find_root_brent, SimpleConvergency};
use serde::Serialize;

/// Where a spike direction v lives: spread over all coordinates, or uniformly over the
/// coordinates of one noise atom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Support {
    All,
    Atom(usize),
}

/// One spike theta v v^T.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spike {
    pub theta: f64,
    pub support: Support,
}

impl Spike {
    /// Parses "THETA" or "THETA@J" (J = 0-based noise atom).
    pub fn parse(s: &str, n_atoms: usize) -> Result<Self> {
        let (th, sup) = match s.split_once('@') {
            Some((t, j)) => {
                let j: usize = j.trim().parse().map_err(|_| Error::input(format!("--spike '{s}': atom index '{j}' is not a whole number")))?;
                if j >= n_atoms {
                    return Err(Error::input(format!("--spike '{s}': atom index {j} out of range (the model has {n_atoms} noise atoms, 0-based)")));
                }
                (t, Support::Atom(j))
            }
            None => (s, Support::All),
        };
        let theta = crate::spec::parse_num("--spike theta", th)?;
        if theta <= 0.0 {
            return Err(Error::input(format!("--spike theta must be positive, got {theta}")));
        }
        Ok(Spike { theta, support: sup })
    }

    /// The weights pi_j of v's squared entries over the components (sum 1).
    pub fn pi(&self, p: &Problem) -> Vec<f64> {
        match self.support {
            Support::All => p.comps.iter().map(|c| c.w).collect(),
            Support::Atom(j) => (0..p.comps.len()).map(|k| if k == j { 1.0 } else { 0.0 }).collect(),
        }
    }
}

/// Spikes need a diagonal noise model (so v^T G0 v is a weighted mean of G0's diagonal).
pub fn check_model(pop: &Population) -> Result<()> {
    match pop.coords {
        Coordinates::Diagonal => Ok(()),
        _ => Err(Error::input("spikes are implemented on top of diagonal noise models (--noise)")),
    }
}

/// The right edge of the bulk (see `Problem::right_edge`).
pub fn right_edge(p: &Problem) -> Result<Edge> {
    p.right_edge()
}

/// Everything the theory says about one spike for one method.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct SpikeTheory {
    pub theta: f64,
    /// BBP threshold (12).
    pub threshold: f64,
    /// Right edge of the bulk (matrix scale: T for SSR, S for PCA).
    pub edge: f64,
    /// Limit of the top eigenvalue: the outlier t* above the threshold, None below (eq. (11)).
    pub outlier: Option<f64>,
    /// Squared overlap (13) of the top eigenvector with Dbar^{-1/2} v (with v itself for PCA).
    pub overlap: f64,
}

/// v^T G0(z) v and y^T G0(z) v (y = Dbar^{-1} v) at real z with delta given (eq. (11), (13)).
fn quad_forms(p: &Problem, pi: &[f64], delta: f64, z: f64) -> (f64, f64) {
    let opd = 1.0 + delta;
    let (mut g, mut gy) = (0.0, 0.0);
    for (c, &w) in p.comps.iter().zip(pi) {
        let m = c.e / opd + c.lam - z / c.b;
        g += w / m;
        gy += w / (c.b * m);
    }
    (g, gy)
}

/// f(z) = 1 + theta/(1+delta(z)) v^T G0(z) v (eq. (11)) right of the bulk.
fn f_spike(p: &Problem, pi: &[f64], theta: f64, z: f64) -> Result<f64> {
    let d = p.delta_right(z).ok_or_else(|| Error::NoConvergence {
        what: "delta right of the bulk",
        at: format!("{:?}, z = {z}", p.method),
        residual: f64::NAN,
        iterations: 0,
    })?;
    let (g, _) = quad_forms(p, pi, d, z);
    Ok(1.0 + theta / (1.0 + d) * g)
}

/// Threshold (12), outlier (11) and overlap (13) of one spike.
pub fn spike_theory(p: &Problem, spike: &Spike, edge: &Edge) -> Result<SpikeTheory> {
    let pi = spike.pi(p);
    let (ge, _) = quad_forms(p, &pi, edge.delta, edge.t);
    let threshold = -(1.0 + edge.delta) / ge;
    if !(threshold > 0.0 && threshold.is_finite()) {
        return Err(Error::Numerical(format!("{:?}: BBP threshold not positive ({threshold})", p.method)));
    }
    let theta = spike.theta;
    let outlier = outlier(p, &pi, theta, threshold, edge)?;
    let overlap = match outlier {
        None => 0.0,
        Some(t) => residue_overlaps(p, &pi, theta, t)?.0,
    };
    Ok(SpikeTheory { theta, threshold, edge: edge.t, outlier, overlap })
}

/// The root t* > edge of (11), or None when theta <= threshold.
fn outlier(p: &Problem, pi: &[f64], theta: f64, threshold: f64, edge: &Edge) -> Result<Option<f64>> {
    if theta <= threshold {
        return Ok(None);
    }
    let lo = edge.t * (1.0 + 1e-12) + 1e-14;
    let mut hi = edge.t * 1.5 + 1.0;
    let mut k = 0;
    while f_spike(p, pi, theta, hi)? <= 0.0 {
        hi *= 2.0;
        k += 1;
        if k > 60 {
            return Err(Error::Numerical(format!("{:?}: outlier not bracketed for theta = {theta}", p.method)));
        }
    }
    let f = |z: f64| f_spike(p, pi, theta, z).unwrap_or(f64::NAN);
    let flo = f(lo);
    if flo > 0.0 {
        // numerically at the edge (theta a hair above the threshold)
        return Ok(Some(edge.t));
    }
    let mut conv = SimpleConvergency { eps: 1e-13 * (1.0 + hi), max_iter: 200 };
    find_root_brent(lo, hi, f, &mut conv)
        .map(Some)
        .map_err(|e| Error::NoConvergence { what: "spike outlier (eq. 11)", at: format!("{:?}, theta = {theta}: {e:?}", p.method), residual: f64::NAN, iterations: 200 })
}

/// Residue overlaps at the outlier t*: (whitened overlap (13), right numerator, left numerator),
/// i.e. c (y^T G0 v)^2 / (f' |Dbar^{-1/2} v|^2), c (y^T G0 v)^2 / f', c (v^T G0 v)^2 / f'.
fn residue_overlaps(p: &Problem, pi: &[f64], theta: f64, t: f64) -> Result<(f64, f64, f64)> {
    let d = p.delta_right(t).ok_or_else(|| Error::Numerical(format!("{:?}: outlier {t} inside the bulk", p.method)))?;
    let opd = 1.0 + d;
    // delta'(z) = -F_z / F_delta on the real branch
    let (mut fd, mut fz) = (0.0, 0.0);
    for c in &p.comps {
        let m = c.e / opd + c.lam - t / c.b;
        fd += c.w * c.e * c.e / (opd * opd * m * m);
        fz += c.w * c.e / (c.b * m * m);
    }
    let ddelta = -(-p.gamma * fz) / (1.0 - p.gamma * fd);
    let (mut g, mut gy, mut dg, mut norm) = (0.0, 0.0, 0.0, 0.0);
    for (c, &w) in p.comps.iter().zip(pi) {
        let m = c.e / opd + c.lam - t / c.b;
        let dm = -c.e * ddelta / (opd * opd) - 1.0 / c.b;
        g += w / m;
        gy += w / (c.b * m);
        dg += -w * dm / (m * m);
        norm += w / c.b;
    }
    let fprime = theta * (dg / opd - g * ddelta / (opd * opd));
    if !(fprime > 0.0) {
        return Err(Error::Numerical(format!("{:?}: f'(t*) = {fprime} is not positive at t* = {t}", p.method)));
    }
    let c = theta / opd;
    Ok((c * gy * gy / (fprime * norm), c * gy * gy / fprime, c * g * g / fprime))
}

/// dt*/ds at s = 0 for the outlier t*(s) of T + s Dbar^k, i.e. of the problem whose ridges are
/// lam_j + s b_j^{k-1} (Dbar held fixed): by the implicit function theorem on f(t, s) = 0,
/// dt*/ds = -f_s / f_t, with delta(z, s) differentiated through F (eq. (S7)).
pub fn outlier_ridge_derivative(p: &Problem, pi: &[f64], theta: f64, t: f64, k: i32) -> Result<f64> {
    let d = p.delta_right(t).ok_or_else(|| Error::Numerical(format!("{:?}: outlier {t} inside the bulk", p.method)))?;
    let opd = 1.0 + d;
    let (mut fd, mut fz, mut fs) = (0.0, 0.0, 0.0);
    for c in &p.comps {
        let m = c.e / opd + c.lam - t / c.b;
        fd += c.w * c.e * c.e / (opd * opd * m * m);
        fz += c.w * c.e / (c.b * m * m);
        fs += c.w * c.e * c.b.powi(k - 1) / (m * m);
    }
    let f_delta = 1.0 - p.gamma * fd;
    // F = delta - gamma sum w e / M: F_z = -gamma fz, F_s = gamma fs
    let (dz, ds) = (p.gamma * fz / f_delta, -p.gamma * fs / f_delta);
    let (mut g, mut gz, mut gs) = (0.0, 0.0, 0.0);
    for (c, &w) in p.comps.iter().zip(pi) {
        let m = c.e / opd + c.lam - t / c.b;
        g += w / m;
        gz -= w * (-c.e * dz / (opd * opd) - 1.0 / c.b) / (m * m);
        gs -= w * (-c.e * ds / (opd * opd) + c.b.powi(k - 1)) / (m * m);
    }
    let f_t = theta * (gz / opd - g * dz / (opd * opd));
    let f_s = theta * (gs / opd - g * ds / (opd * opd));
    let v = -f_s / f_t;
    if !(v.is_finite() && v > 0.0) {
        return Err(Error::Numerical(format!("{:?}: Hellmann-Feynman derivative {v} at t* = {t}", p.method)));
    }
    Ok(v)
}

/// Squared cosines of A-hat's right and left top eigenvectors with v (eq. (13b)): residue
/// numerators over Hellmann-Feynman denominators w^T Dbar^{-1} w and w^T Dbar w, each the
/// derivative of the outlier of T + s Dbar^{k} (`outlier_ridge_derivative`, k = -1 and 1).
pub fn eigvec_overlaps(p: &Problem, spike: &Spike, t: f64) -> Result<(f64, f64)> {
    let pi = spike.pi(p);
    let (_, right_num, left_num) = residue_overlaps(p, &pi, spike.theta, t)?;
    let right = right_num / outlier_ridge_derivative(p, &pi, spike.theta, t, -1)?;
    let left = left_num / outlier_ridge_derivative(p, &pi, spike.theta, t, 1)?;
    Ok((right, left))
}

/// The full per-spike report of `mssr spikes` (SSR, PCA and oracle-whitened PCA).
#[derive(Debug, Clone, Serialize)]
pub struct SpikeReport {
    pub theta: f64,
    /// The noise atom (0-based) the spike lives on; null for a spike on all coordinates.
    pub spike_atom: Option<usize>,
    pub ssr_threshold: f64,
    pub pca_threshold: f64,
    /// Limit of A-hat's top eigenvalue (a-scale), null below the threshold.
    pub ssr_outlier: Option<f64>,
    /// Limit of S's top eigenvalue, null below the threshold.
    pub pca_outlier: Option<f64>,
    /// A-hat's bulk right edge (a-scale) and S's.
    pub ssr_edge: f64,
    pub pca_edge: f64,
    pub ssr_whitened_overlap: f64,
    pub ssr_overlap: f64,
    pub ssr_left_overlap: f64,
    pub pca_overlap: f64,
    pub oracle_whitened_pca_threshold: f64,
    pub oracle_whitened_pca_outlier: Option<f64>,
    pub oracle_whitened_pca_overlap: f64,
}

/// Shared solves for many spikes at one (alpha, lambda): the problems and their right edges.
pub struct SpikeContext {
    pub ssr: Problem,
    pub pca: Problem,
    pub oracle: Problem,
    pub ssr_edge: Edge,
    pub pca_edge: Edge,
    pub oracle_edge: Edge,
}

impl SpikeContext {
    pub fn new(pop: &Population, alpha: f64, lambda: f64) -> Result<Self> {
        Self::masked(pop, alpha, lambda, 0.0)
    }

    /// The same for masking ratio p: K's population (1-p)(Σ0 + theta v v^T) carries the spike
    /// (1-p) theta (the O(1/d) change of Diag(Σ) does not matter); PCA is unchanged.
    pub fn masked(pop: &Population, alpha: f64, lambda: f64, p: f64) -> Result<Self> {
        check_model(pop)?;
        let ssr = Problem::masked(pop, alpha, lambda, p)?;
        let pca = Problem::pca(pop, alpha)?;
        let oracle = Problem::pca(&Population::isotropic(), alpha)?;
        let (ssr_edge, pca_edge, oracle_edge) = (right_edge(&ssr)?, right_edge(&pca)?, right_edge(&oracle)?);
        Ok(SpikeContext { ssr, pca, oracle, ssr_edge, pca_edge, oracle_edge })
    }

    /// Threshold, outlier and overlap (13) of one spike for SSR and PCA, without the
    /// Hellmann-Feynman eigenvector overlaps (13b).
    pub fn threshold_only(&self, spike: &Spike) -> Result<(SpikeTheory, SpikeTheory)> {
        let keep = 1.0 - self.ssr.mask_ratio;
        let mut s = spike_theory(&self.ssr, &Spike { theta: spike.theta * keep, ..*spike }, &self.ssr_edge)?;
        s.threshold /= keep;
        s.theta = spike.theta;
        Ok((s, spike_theory(&self.pca, spike, &self.pca_edge)?))
    }

    /// The report for one spike.
    pub fn report(&self, spike: &Spike) -> Result<SpikeReport> {
        let keep = 1.0 - self.ssr.mask_ratio;
        let scaled = Spike { theta: spike.theta * keep, ..*spike };
        let mut s = spike_theory(&self.ssr, &scaled, &self.ssr_edge)?;
        s.threshold /= keep;
        s.theta = spike.theta;
        let q = spike_theory(&self.pca, spike, &self.pca_edge)?;
        let (right, left) = match s.outlier {
            Some(t) => eigvec_overlaps(&self.ssr, &scaled, t)?,
            None => (0.0, 0.0),
        };
        // oracle: whiten with the true noise variances -> isotropic noise, spike theta |Psi^{-1/2} v|^2
        let gain: f64 = spike.pi(&self.pca).iter().zip(&self.pca.comps).map(|(w, c)| w / c.e).sum();
        let eff = Spike { theta: spike.theta * gain, support: Support::All };
        let o = spike_theory(&self.oracle, &eff, &self.oracle_edge)?;
        Ok(SpikeReport {
            theta: spike.theta,
            spike_atom: match spike.support {
                Support::All => None,
                Support::Atom(j) => Some(j),
            },
            ssr_threshold: s.threshold,
            pca_threshold: q.threshold,
            ssr_outlier: s.outlier.map(|t| self.ssr.a_of(t)),
            pca_outlier: q.outlier,
            ssr_edge: self.ssr.a_of(s.edge),
            pca_edge: q.edge,
            ssr_whitened_overlap: s.overlap,
            ssr_overlap: right,
            ssr_left_overlap: left,
            pca_overlap: q.overlap,
            oracle_whitened_pca_threshold: o.threshold / gain,
            oracle_whitened_pca_outlier: o.outlier,
            oracle_whitened_pca_overlap: o.overlap,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model_h() -> Population {
        Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap()
    }

    #[test]
    fn isotropic_pca_closed_forms() {
        for alpha in [2.0, 4.0] {
            let g: f64 = 1.0 / alpha;
            let ctx = SpikeContext::new(&Population::isotropic(), alpha, 0.1).unwrap();
            for theta in [0.3, 1.0, 2.5] {
                let r = ctx.report(&Spike { theta, support: Support::All }).unwrap();
                assert!((r.pca_threshold - g.sqrt()).abs() < 1e-9, "{}", r.pca_threshold);
                if theta > g.sqrt() {
                    let out = (1.0 + theta) * (1.0 + g / theta);
                    let ov = (1.0 - g / (theta * theta)) / (1.0 + g / theta);
                    assert!((r.pca_outlier.unwrap() - out).abs() < 1e-9, "{:?} vs {out}", r.pca_outlier);
                    assert!((r.pca_overlap - ov).abs() < 1e-9, "{} vs {ov}", r.pca_overlap);
                    // isotropic: Dbar scalar, SSR = image of PCA: t* = q (s* + lambda), same overlaps
                    let q = crate::solver::solve_delta(&Population::isotropic(), alpha, 0.1, None).unwrap().dbar[0];
                    let a = crate::spectral::a_of_t(q * (out + 0.1));
                    assert!((r.ssr_outlier.unwrap() - a).abs() < 1e-9);
                    assert!((r.ssr_whitened_overlap - ov).abs() < 1e-8);
                    assert!((r.ssr_overlap - ov).abs() < 1e-6 && (r.ssr_left_overlap - ov).abs() < 1e-6);
                    assert!((r.oracle_whitened_pca_overlap - ov).abs() < 1e-9);
                } else {
                    assert!(r.pca_outlier.is_none() && r.ssr_outlier.is_none());
                }
                assert!((r.ssr_threshold - g.sqrt()).abs() < 1e-8, "SSR = PCA threshold for isotropic noise");
            }
        }
    }

    #[test]
    fn model_h_reference_values() {
        let ctx = SpikeContext::new(&model_h(), 2.0, 0.1).unwrap();
        let r2 = ctx.report(&Spike { theta: 2.0, support: Support::All }).unwrap();
        let r3 = ctx.report(&Spike { theta: 3.0, support: Support::All }).unwrap();
        let r1 = ctx.report(&Spike { theta: 1.0, support: Support::All }).unwrap();
        eprintln!("{r1:?}\n{r2:?}\n{r3:?}");
        assert!((r2.ssr_threshold - 0.6546).abs() < 1e-4);
        assert!((r2.pca_threshold - 1.4345).abs() < 1e-4);
        let t2 = crate::spectral::t_of_a(r2.ssr_outlier.unwrap());
        let t3 = crate::spectral::t_of_a(r3.ssr_outlier.unwrap());
        assert!((t2 - 5.92138).abs() < 1e-4 && (t3 - 7.48886).abs() < 1e-4, "{t2} {t3}");
        assert!((r2.pca_outlier.unwrap() - 4.81250).abs() < 1e-4 && (r3.pca_outlier.unwrap() - 5.47999).abs() < 1e-4);
        assert!((r2.ssr_whitened_overlap - 0.5512).abs() < 1e-4 && (r3.ssr_whitened_overlap - 0.6147).abs() < 1e-4);
        assert!((r2.pca_overlap - 0.3591).abs() < 1e-4 && (r3.pca_overlap - 0.6322).abs() < 1e-4);
        for (r, right, left) in [(&r1, 0.3298, 0.4040), (&r2, 0.6666, 0.6349), (&r3, 0.7805, 0.6917)] {
            assert!((r.ssr_overlap - right).abs() < 1e-4, "right {} vs {right}", r.ssr_overlap);
            assert!((r.ssr_left_overlap - left).abs() < 1e-4, "left {} vs {left}", r.ssr_left_overlap);
        }
    }

    #[test]
    fn hellmann_feynman_derivative_matches_finite_differences() {
        let pop = model_h();
        let ctx = SpikeContext::new(&pop, 2.0, 0.1).unwrap();
        let spike = Spike { theta: 2.0, support: Support::All };
        let pi = spike.pi(&ctx.ssr);
        let t = spike_theory(&ctx.ssr, &spike, &ctx.ssr_edge).unwrap().outlier.unwrap();
        for k in [-1, 1] {
            let at = |s: f64| {
                let q = ctx.ssr.with_ridge(|c| c.lam + s * c.b.powi(k - 1));
                let e = right_edge(&q).unwrap();
                spike_theory(&q, &spike, &e).unwrap().outlier.unwrap()
            };
            let h = 1e-4;
            let fd = (at(h) - at(-h)) / (2.0 * h);
            let an = outlier_ridge_derivative(&ctx.ssr, &pi, 2.0, t, k).unwrap();
            assert!((fd - an).abs() < 1e-6 * an.abs(), "k = {k}: finite difference {fd} vs analytic {an}");
        }
    }
}
