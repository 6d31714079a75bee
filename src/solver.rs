//! Deterministic equivalents of the resolvent and the SSR errors (theory/README.md eqs. (4)-(7)).
//!
//! Every trace below is a weighted sum over the atoms of Σ's spectral measure (and over
//! coordinate classes for the diagonal), so one iteration costs O(#atoms), whatever d is.
use crate::error::{finite, Error, Result};
use crate::model::Population;
use crate::rootfind::newton_bracketed;
use serde::Serialize;

/// Tolerance on the relative residual of the fixed-point equation for delta.
pub const TOL: f64 = 1e-13;

/// Checks (alpha, lambda) against the model: alpha > 0, lambda >= 0, lambda = 0 only for
/// alpha > 1 and a non-singular Σ.
pub fn check_params(pop: &Population, alpha: f64, lambda: f64) -> Result<()> {
    finite("alpha", alpha)?;
    finite("lambda", lambda)?;
    if alpha <= 0.0 {
        return Err(Error::input(format!("alpha must be positive, got {alpha}")));
    }
    if lambda < 0.0 {
        return Err(Error::input(format!("lambda must be non-negative, got {lambda}")));
    }
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

/// Solves eq. (4) for delta by safeguarded Newton, starting from `warm` when given.
pub fn solve_delta(pop: &Population, alpha: f64, lambda: f64, warm: Option<f64>) -> Result<Equivalent> {
    check_params(pop, alpha, lambda)?;
    let gamma = 1.0 / alpha;
    // F(delta) = delta - gamma * sum_j w_j l_j / (l_j/(1+delta) + lambda);  F' = 1 - t2/(1+delta)^2
    let f = |delta: f64| {
        let (mut g, mut t2) = (0.0, 0.0);
        for (&l, &w) in pop.eig.iter().zip(&pop.weight) {
            let q = 1.0 / (l / (1.0 + delta) + lambda);
            g += w * l * q;
            t2 += w * l * l * q * q;
        }
        let (g, t2) = (gamma * g, gamma * t2);
        (delta - g, 1.0 - t2 / ((1.0 + delta) * (1.0 + delta)))
    };
    let mean = pop.mean_of(&pop.eig);
    let mut hi = if lambda > 0.0 { gamma * mean / lambda } else { f64::INFINITY };
    if gamma < 1.0 {
        hi = hi.min(gamma / (1.0 - gamma));
    }
    let hi = hi * (1.0 + 1e-12) + 1e-300;
    let x0 = warm.unwrap_or(if gamma < 1.0 { gamma / (1.0 - gamma) } else { 0.5 * hi });
    let root = newton_bracketed("delta (eq. 4)", f, 0.0, hi, x0, TOL, |d| 1.0 + d).map_err(|e| at_params(e, alpha, lambda))?;
    let delta = root.x;
    let q: Vec<f64> = pop.eig.iter().map(|&l| 1.0 / (l / (1.0 + delta) + lambda)).collect();
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
    pub delta: f64,
    pub train_error: f64,
    pub gen_error: f64,
    pub bayes_error: f64,
    pub residual: f64,
    pub iterations: usize,
}

/// Training and generalization error of SSR (eqs. (6), (7)) from the equivalent (4)-(5).
pub fn errors(pop: &Population, alpha: f64, lambda: f64, warm: Option<f64>) -> Result<Errors> {
    let eq = solve_delta(pop, alpha, lambda, warm)?;
    let gamma = 1.0 / alpha;
    let opd2 = (1.0 + eq.delta).powi(2);
    // t2 = (1/n) tr(Σ Qbar Σ Qbar), s1 = (1/n) tr(Σ Qbar^2)
    let (mut t2, mut s1) = (0.0, 0.0);
    for ((&l, &w), &q) in pop.eig.iter().zip(&pop.weight).zip(&eq.q) {
        t2 += w * l * l * q * q;
        s1 += w * l * q * q;
    }
    let (t2, s1) = (gamma * t2, gamma * s1);
    let denom = opd2 - t2;
    if !(denom > 0.0) {
        return Err(Error::Numerical(format!(
            "second-order equivalent (eq. 5) is singular at alpha = {alpha}, lambda = {lambda}"
        )));
    }
    let lq2: Vec<f64> = pop.eig.iter().zip(&eq.q).map(|(l, q)| l * q * q).collect();
    let q2: Vec<f64> = eq.q.iter().map(|q| q * q).collect();
    let (mut dlq2, mut dq2) = (Vec::new(), Vec::new());
    pop.diag_of(&lq2, &mut dlq2);
    pop.diag_of(&q2, &mut dq2);
    let c_id = s1 / denom; // c(I) in eq. (5)
    let (mut gen, mut train) = (0.0, 0.0);
    for c in 0..eq.dbar.len() {
        let om = pop.class_weight(c);
        let inv2 = 1.0 / (eq.dbar[c] * eq.dbar[c]);
        gen += om * inv2 * dlq2[c];
        let err = dq2[c] + c_id * dlq2[c]; // diagonal of E[R R]
        train += om * inv2 * (eq.dbar[c] - lambda * err);
    }
    let gen = gen * opd2 / denom;
    Ok(Errors {
        alpha,
        lambda,
        delta: eq.delta,
        train_error: train,
        gen_error: gen,
        bayes_error: pop.bayes_error(),
        residual: eq.residual,
        iterations: eq.iterations,
    })
}

/// Errors along a sweep of (alpha, lambda) points, warm-starting each solve from the last.
pub fn errors_sweep(pop: &Population, points: &[(f64, f64)]) -> Result<Vec<Errors>> {
    let mut out = Vec::with_capacity(points.len());
    let mut warm = None;
    for &(alpha, lambda) in points {
        let e = errors(pop, alpha, lambda, warm)?;
        warm = Some(e.delta);
        out.push(e);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

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
