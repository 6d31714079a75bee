//! Deterministic equivalents of the resolvent and the SSR errors (theory/README.md eqs. (4)-(7)).
//!
//! Every trace below is a weighted sum over the atoms of Σ's spectral measure (and over
//! coordinate classes for the diagonal), so one iteration costs O(#atoms), whatever d is.
use crate::error::{finite, Error, Result};
use crate::model::{Coordinates, Population};
use crate::rootfind::newton_bracketed;
use serde::Serialize;

/// Tolerance on the relative residual of the fixed-point equation for delta.
pub const TOL: f64 = 1e-13;

/// Checks (alpha, lambda) against the model: alpha > 0, lambda >= 0, lambda = 0 only for
/// alpha > 1 and a non-singular Σ.
pub fn check_params(pop: &Population, alpha: f64, lambda: f64) -> Result<()> {
    check_alpha(alpha)?;
    check_ridge(pop, lambda)?;
    if lambda == 0.0 && alpha <= 1.0 {
        return Err(Error::input(format!(
            "lambda = 0 needs alpha > 1 (the sample covariance is singular at alpha = {alpha})"
        )));
    }
    if lambda == 0.0 && pop.min_eig() <= 0.0 {
        return Err(Error::input("lambda = 0 needs a non-singular covariance"));
    }
    Ok(())
}

/// Checks alpha = n/d: finite and positive.
fn check_alpha(alpha: f64) -> Result<()> {
    finite("alpha", alpha)?;
    if alpha <= 0.0 {
        return Err(Error::input(format!("alpha must be positive, got {alpha}")));
    }
    Ok(())
}

/// Checks a ridge: finite, non-negative, and at most `LAMBDA_MAX` tr(Σ)/d.
fn check_ridge(pop: &Population, lambda: f64) -> Result<()> {
    finite("lambda", lambda)?;
    if lambda < 0.0 {
        return Err(Error::input(format!("lambda must be non-negative, got {lambda}")));
    }
    // the training error (7) is R_kk - lambda (R^2)_kk over R_kk^2, and the test loss (15) a
    // difference of terms of order 1: their relative rounding error grows like lambda eps (2e-8 at
    // 1e8, 5e-5 at 1e12), and far beyond, squares of 1/lambda underflow
    let scale = pop.mean_of(&pop.eig);
    if lambda > LAMBDA_MAX * scale {
        return Err(Error::input(format!(
            "lambda = {lambda:e} is above {:e} = 1e8 tr(Σ)/d, where the errors lose their digits; they are within 1e-8 of their lambda -> infinity limit there",
            LAMBDA_MAX * scale
        )));
    }
    Ok(())
}

/// Largest ridge (lambda, or lambda0 with masking) relative to tr(Σ)/d that the checks accept.
pub const LAMBDA_MAX: f64 = 1e8;

/// Checks a masked problem (eq. (14)): p in [0, 1); for p = 0 the rules of `check_params`; for
/// p > 0 masking is itself a ridge, so lambda0 >= 0 at any alpha > 0.
pub fn check_masked_params(pop: &Population, alpha: f64, lambda0: f64, p: f64) -> Result<()> {
    finite("--mask-ratio", p)?;
    if !(0.0..1.0).contains(&p) {
        return Err(Error::input(format!("--mask-ratio must be in [0, 1), got {p}")));
    }
    if p == 0.0 {
        return check_params(pop, alpha, lambda0);
    }
    check_alpha(alpha)?;
    check_ridge(pop, lambda0)
}

/// The test loss (15) from its quadratic forms (eq. (S9)): with main = (1/d) tr(D^{-1} R Σ' R D^{-1})
/// and rpr = (1/d) tr(D^{-1} R Ψ R D^{-1}),
/// L_p = main/(1-p) + (p/(1-p)) (rpr - (1/d) tr Ψ); an error if it is not finite.
pub fn masked_loss(main: f64, rpr: f64, mean_psi: f64, p: f64, at: &str) -> Result<f64> {
    let loss = main / (1.0 - p) + p / (1.0 - p) * (rpr - mean_psi);
    if !loss.is_finite() {
        return Err(Error::Numerical(format!("the test loss (15) is not finite at {at}")));
    }
    Ok(loss)
}

/// First-order deterministic equivalent at z = -lambda (eq. (4)):
/// delta = (1/n) tr(Σ Qbar), Qbar = (Σ/(1+delta) + lambda I)^{-1}.
#[derive(Debug, Clone)]
pub struct Equivalent {
    pub alpha: f64,
    pub lambda: f64,
    pub delta: f64,
    /// Eigenvalues of Qbar, one per atom of Σ's spectral measure.
    pub q: Vec<f64>,
    /// Dbar = Diag(Qbar), one value per coordinate class.
    pub dbar: Vec<f64>,
    /// Relative residual |F(delta)| / (1 + delta) of eq. (4).
    pub residual: f64,
    pub iterations: usize,
}

/// The regularized problem whose resolvent the theory describes: K = S' + Λ with S' a sample
/// covariance of population eigenvalues `e` (per atom) and a ridge `lam` on each atom's
/// coordinates. One-at-a-time SSR: e = eig(Σ), lam = lambda. Masking ratio p (eq. (14)):
/// e = (1-p) eig(Σ), lam = p Diag(Σ) + lambda0/(1-p).
#[derive(Debug, Clone)]
pub struct Profile {
    pub e: Vec<f64>,
    pub lam: Vec<f64>,
    pub p: f64,
}

impl Profile {
    /// The profile of SSR with ridge lambda (p = 0).
    pub fn ssr(pop: &Population, lambda: f64) -> Self {
        Profile { e: pop.eig.clone(), lam: vec![lambda; pop.eig.len()], p: 0.0 }
    }

    /// The profile of masking ratio p with ridge lambda0 (eq. (14)); p = 0 is `ssr`.
    pub fn masked(pop: &Population, lambda0: f64, p: f64) -> Result<Self> {
        finite("--mask-ratio", p)?;
        if !(0.0..1.0).contains(&p) {
            return Err(Error::input(format!("--mask-ratio must be in [0, 1), got {p}")));
        }
        if p == 0.0 {
            return Ok(Self::ssr(pop, lambda0));
        }
        let ridge = lambda0 / (1.0 - p);
        let lam = match &pop.coords {
            Coordinates::Diagonal => pop.eig.iter().map(|&psi| p * psi + ridge).collect(),
            // Diag(Σ) of a stationary model is its mean variance: a scalar ridge
            Coordinates::Delocalized => vec![p * pop.mean_of(&pop.eig) + ridge; pop.eig.len()],
            // Λ does not commute with Σ: `errors_masked` goes through `masked_dense`
            Coordinates::Dense { .. } => {
                return Err(Error::input("the spectrum of A_p (--mask-ratio > 0) is implemented for --noise and --ar1 models, not for --cov/--data"))
            }
        };
        Ok(Profile { e: pop.eig.iter().map(|&x| (1.0 - p) * x).collect(), lam, p })
    }
}

/// Solves eq. (4) for delta by safeguarded Newton, starting from `warm` when given.
pub fn solve_delta(pop: &Population, alpha: f64, lambda: f64, warm: Option<f64>) -> Result<Equivalent> {
    check_params(pop, alpha, lambda)?;
    solve_profile(pop, &Profile::ssr(pop, lambda), alpha, lambda, warm)
}

/// The equivalent (4) of masking ratio p with ridge lambda0 (p = 0: SSR), with its profile.
pub fn solve_masked(pop: &Population, alpha: f64, lambda0: f64, p: f64) -> Result<(Equivalent, Profile)> {
    solve_masked_from(pop, alpha, lambda0, p, None)
}

/// `solve_masked` warm-started from `warm`. Masking adds the ridge p Diag(Σ) > 0, so for p > 0
/// lambda0 = 0 is allowed at any alpha.
fn solve_masked_from(pop: &Population, alpha: f64, lambda0: f64, p: f64, warm: Option<f64>) -> Result<(Equivalent, Profile)> {
    check_masked_params(pop, alpha, lambda0, p)?;
    let pr = Profile::masked(pop, lambda0, p)?;
    Ok((solve_profile(pop, &pr, alpha, lambda0, warm)?, pr))
}

/// Eq. (4) for a ridge profile: delta = gamma sum_j w_j e_j q_j, q_j = 1/(e_j/(1+delta) + lam_j).
pub(crate) fn solve_profile(pop: &Population, pr: &Profile, alpha: f64, lambda: f64, warm: Option<f64>) -> Result<Equivalent> {
    let gamma = 1.0 / alpha;
    let qs = |delta: f64| pr.e.iter().zip(&pr.lam).map(move |(&e, &l)| 1.0 / (e / (1.0 + delta) + l));
    // F(delta) = delta - gamma * sum_j w_j e_j q_j;  F' = 1 - t2/(1+delta)^2
    let f = |delta: f64| {
        let (mut g, mut t2) = (0.0, 0.0);
        for ((&e, &w), q) in pr.e.iter().zip(&pop.weight).zip(qs(delta)) {
            g += w * e * q;
            t2 += w * e * e * q * q;
        }
        let (g, t2) = (gamma * g, gamma * t2);
        (delta - g, 1.0 - t2 / ((1.0 + delta) * (1.0 + delta)))
    };
    let mean: f64 = pr.e.iter().zip(&pop.weight).map(|(e, w)| e * w).sum();
    let lam_min = pr.lam.iter().cloned().fold(f64::INFINITY, f64::min);
    let mut hi = if lam_min > 0.0 { gamma * mean / lam_min } else { f64::INFINITY };
    if gamma < 1.0 {
        hi = hi.min(gamma / (1.0 - gamma));
    }
    let hi = hi * (1.0 + 1e-12) + 1e-300;
    let x0 = warm.unwrap_or(if gamma < 1.0 { gamma / (1.0 - gamma) } else { 0.5 * hi });
    let root = newton_bracketed("delta (eq. 4)", f, 0.0, hi, x0, TOL, |d| 1.0 + d).map_err(|e| at_params(e, alpha, lambda))?;
    let delta = root.x;
    let q: Vec<f64> = qs(delta).collect();
    let mut dbar = Vec::new();
    pop.diag_of(&q, &mut dbar);
    Ok(Equivalent {
        alpha,
        lambda,
        delta,
        q,
        dbar,
        residual: root.residual / (1.0 + delta),
        iterations: root.iterations,
    })
}

fn at_params(e: Error, alpha: f64, lambda: f64) -> Error {
    match e {
        Error::NoConvergence { what, at, residual, iterations } => Error::NoConvergence {
            what,
            at: format!("alpha = {alpha}, lambda = {lambda}, {at}"),
            residual,
            iterations,
        },
        e => e,
    }
}

/// Theory values of the SSR errors at one (alpha, lambda).
#[derive(Debug, Clone, Serialize)]
pub struct Errors {
    pub alpha: f64,
    pub lambda: f64,
    /// Masking ratio p (0: one-at-a-time SSR).
    pub mask_ratio: f64,
    pub delta: f64,
    /// Training error (7); not defined for p > 0 (null there).
    pub train_error: f64,
    /// Generalization error (6); for p > 0 the test loss per masked coordinate (15).
    pub gen_error: f64,
    pub bayes_error: f64,
    pub residual: f64,
    pub iterations: usize,
}

/// Training and generalization error of SSR (eqs. (6), (7)) from the equivalent (4)-(5).
pub fn errors(pop: &Population, alpha: f64, lambda: f64, warm: Option<f64>) -> Result<Errors> {
    errors_masked(pop, alpha, lambda, 0.0, warm)
}

/// The errors for masking ratio p with ridge lambda0: p = 0 gives eqs. (6)-(7); p > 0 the test
/// loss (15) through the equivalent of K = (1-p) S + p Diag(S) + lambda0/(1-p) I (eq. (14)):
/// L_p = (1/(1-p)) (1/d) tr(D^{-1} R Σ' R D^{-1}) + (p/(1-p)) ((1/d) tr(D^{-1} R Ψ R D^{-1}) - (1/d) tr Ψ),
/// Σ' = (1-p) Σ, Ψ = Diag(Σ), both quadratic forms from (5).
pub fn errors_masked(pop: &Population, alpha: f64, lambda: f64, p: f64, warm: Option<f64>) -> Result<Errors> {
    if p > 0.0 && matches!(pop.coords, Coordinates::Dense { .. }) {
        return errors_masked_dense(pop, alpha, lambda, p);
    }
    let (eq, pr) = solve_masked_from(pop, alpha, lambda, p, warm)?;
    let gamma = 1.0 / alpha;
    let opd2 = (1.0 + eq.delta).powi(2);
    // t2 = (1/n) tr(Σ' Qbar Σ' Qbar)
    let t2: f64 = gamma * pr.e.iter().zip(&pop.weight).zip(&eq.q).map(|((&e, &w), &q)| w * e * e * q * q).sum::<f64>();
    let denom = opd2 - t2;
    if !(denom > 0.0) {
        return Err(Error::Numerical(format!(
            "second-order equivalent (eq. 5) is singular at alpha = {alpha}, lambda = {lambda}"
        )));
    }
    // E[R M R] ~ Qbar M Qbar + c(M) Qbar Σ' Qbar, c(M) = (1/n) tr(Σ' Qbar M Qbar) / denom (eq. (5));
    // its diagonal per coordinate class, for a diagonal-in-the-atoms M with values m_j
    let quad = |m: &dyn Fn(usize) -> f64| -> Vec<f64> {
        let c: f64 = gamma * (0..pr.e.len()).map(|j| pop.weight[j] * pr.e[j] * m(j) * eq.q[j] * eq.q[j]).sum::<f64>() / denom;
        let g: Vec<f64> = (0..pr.e.len()).map(|j| (m(j) + c * pr.e[j]) * eq.q[j] * eq.q[j]).collect();
        let mut out = Vec::new();
        pop.diag_of(&g, &mut out);
        out
    };
    // (1/d) tr(Dbar^{-1} diag Dbar^{-1}) over coordinate classes
    let weighted = |diag: &[f64]| -> f64 { (0..eq.dbar.len()).map(|c| pop.class_weight(c) * diag[c] / (eq.dbar[c] * eq.dbar[c])).sum() };
    let rsr = quad(&|j| pr.e[j]); // E[R Σ' R]
    let main = weighted(&rsr);
    let (gen, train) = if p == 0.0 {
        let rr = quad(&|_| 1.0); // E[R R]
        let train: f64 = (0..eq.dbar.len())
            .map(|c| pop.class_weight(c) * (eq.dbar[c] - lambda * rr[c]) / (eq.dbar[c] * eq.dbar[c]))
            .sum();
        (main, train)
    } else {
        // Ψ = Diag(Σ): per atom psi_j on diagonal models, the mean variance on stationary ones
        let mean_psi = pop.mean_of(&pop.eig);
        let psi_of = |j: usize| if matches!(pop.coords, Coordinates::Diagonal) { pop.eig[j] } else { mean_psi };
        let rpr = quad(&psi_of);
        let at = format!("alpha = {alpha}, lambda0 = {lambda}, p = {p}");
        (masked_loss(main, weighted(&rpr), mean_psi, p, &at)?, f64::NAN)
    };
    Ok(Errors {
        alpha,
        lambda,
        mask_ratio: p,
        delta: eq.delta,
        train_error: train,
        gen_error: gen,
        bayes_error: pop.bayes_error(),
        residual: eq.residual,
        iterations: eq.iterations,
    })
}

/// `errors_masked` for a dense Σ and p > 0 (eq. (S11), module `masked_dense`).
fn errors_masked_dense(pop: &Population, alpha: f64, lambda0: f64, p: f64) -> Result<Errors> {
    check_masked_params(pop, alpha, lambda0, p)?;
    let m = crate::masked_dense::solve(pop, alpha, lambda0, p)?;
    Ok(Errors {
        alpha,
        lambda: lambda0,
        mask_ratio: p,
        delta: m.eq.delta,
        train_error: f64::NAN,
        gen_error: m.loss()?,
        bayes_error: pop.bayes_error(),
        residual: m.eq.residual,
        iterations: m.eq.iterations,
    })
}

/// Errors along a sweep of (alpha, lambda) points, warm-starting each solve from the last.
pub fn errors_sweep(pop: &Population, points: &[(f64, f64)]) -> Result<Vec<Errors>> {
    errors_sweep_masked(pop, points, 0.0)
}

/// `errors_masked` (eqs. (15), (S9), (S11)) along a sweep of (alpha, lambda0) points at one masking
/// ratio p, warm-started.
pub fn errors_sweep_masked(pop: &Population, points: &[(f64, f64)], p: f64) -> Result<Vec<Errors>> {
    let mut out = Vec::with_capacity(points.len());
    let mut warm = None;
    for &(alpha, lambda) in points {
        let e = errors_masked(pop, alpha, lambda, p, warm)?;
        warm = Some(e.delta);
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masked_ridge_is_checked_in_the_scale_of_the_covariance() {
        // a covariance of scale 1e-9: p > 0 with a ridge of the same scale is fine (it used to be
        // refused by a check made at lambda = 1), and the loss scales with Σ
        let (unit, tiny) = (Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap(), Population::atoms(&[0.5e-9, 2e-9], &[0.5, 0.5]).unwrap());
        let a = errors_masked(&unit, 2.0, 0.1, 0.5, None).unwrap();
        let b = errors_masked(&tiny, 2.0, 0.1e-9, 0.5, None).unwrap();
        assert!((b.gen_error / 1e-9 - a.gen_error).abs() < 1e-9 * a.gen_error, "{} vs {}", b.gen_error, a.gen_error);
        // lambda0 far above the scale is refused (the loss used to come out wrong or NaN near 1e160)
        for lambda0 in [1e9, 1e160, 1e300] {
            let err = errors_masked(&unit, 2.0, lambda0, 0.5, None).unwrap_err();
            assert!(matches!(err, Error::Input(_)) && err.to_string().contains("1e8 tr(Σ)/d"), "{lambda0}: {err}");
        }
        // just below the bound the loss is at its lambda0 -> infinity limit, the mean variance
        let big = errors_masked(&unit, 2.0, 0.9e8 * 1.25, 0.5, None).unwrap();
        assert!((big.gen_error - 1.25).abs() < 1e-6, "{}", big.gen_error);
        assert!(masked_loss(f64::NAN, 1.0, 1.0, 0.5, "here").is_err());
    }

    #[test]
    fn isotropic_delta_is_the_positive_root_of_the_quadratic() {
        let pop = Population::isotropic();
        for &(alpha, lambda) in &[(0.3, 0.1), (2.0, 0.1), (5.0, 1e-4), (1.0, 3.0), (2.0, 0.0)] {
            let g = 1.0 / alpha;
            let eq = solve_delta(&pop, alpha, lambda, None).unwrap();
            let want = if lambda > 0.0 {
                let b = 1.0 + lambda - g;
                (-b + (b * b + 4.0 * lambda * g).sqrt()) / (2.0 * lambda)
            } else {
                g / (1.0 - g)
            };
            assert!((eq.delta - want).abs() < 1e-12 * (1.0 + want), "alpha {alpha} lambda {lambda}: {} vs {want}", eq.delta);
            assert!(eq.residual < 1e-13);
        }
    }

    #[test]
    fn isotropic_limits() {
        let pop = Population::isotropic();
        // lambda -> 0 with gamma < 1: E_gen -> 1/(1-gamma)
        for alpha in [1.5, 2.0, 4.0] {
            let e = errors(&pop, alpha, 1e-9, None).unwrap();
            let want = 1.0 / (1.0 - 1.0 / alpha);
            assert!((e.gen_error - want).abs() < 1e-6, "alpha {alpha}: {} vs {want}", e.gen_error);
            let e0 = errors(&pop, alpha, 0.0, None).unwrap();
            assert!((e0.gen_error - want).abs() < 1e-12);
        }
        // alpha -> infinity: E_gen -> 1 (Bayes limit of isotropic noise)
        let e = errors(&pop, 1e6, 1e-3, None).unwrap();
        assert!((e.gen_error - 1.0).abs() < 1e-4, "{}", e.gen_error);
        assert_eq!(pop.bayes_error(), 1.0);
    }

    #[test]
    fn ar1_reference_value_from_the_notes() {
        // THEORY-NOTES section 9: AR(1) rho = 0.8, alpha = 2, lambda = 0.1: E_gen 0.2987, Bayes 0.2200
        // The notes' 0.2987 is the finite Toeplitz matrix at d = 600 (its two boundary coordinates
        // have conditional variance 1 - rho^2, an O(1/d) shift); the spectral limit sits below.
        let rho: f64 = 0.8;
        let pop = Population::ar1(rho).unwrap();
        let e = errors(&pop, 2.0, 0.1, None).unwrap();
        assert!((e.bayes_error - 0.36 / 1.64).abs() < 1e-10);
        let d = 600;
        let cov = faer::Mat::from_fn(d, d, |i, j| rho.powi((i as i32 - j as i32).abs()));
        let dense = Population::dense(cov, "toeplitz".into()).unwrap();
        let ed = errors(&dense, 2.0, 0.1, None).unwrap();
        // simulation at d = 600 (notes): 0.29873 +- 0.00015
        assert!((ed.gen_error - 0.29873).abs() < 3.0 * 0.00015, "dense d=600: {}", ed.gen_error);
        let shift = ed.gen_error - e.gen_error;
        assert!(shift > 0.0 && shift < 2.0 / d as f64, "limit {} vs d=600 {}", e.gen_error, ed.gen_error);
    }

    #[test]
    fn bad_params_are_input_errors() {
        let pop = Population::isotropic();
        assert!(matches!(errors(&pop, 0.0, 0.1, None), Err(Error::Input(_))));
        assert!(matches!(errors(&pop, 2.0, -0.1, None), Err(Error::Input(_))));
        assert!(matches!(errors(&pop, 0.9, 0.0, None), Err(Error::Input(_))));
        assert!(matches!(errors(&pop, f64::NAN, 0.1, None), Err(Error::Input(_))));
    }
}
