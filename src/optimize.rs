//! Optimal ridge and masking ratio: minimizers of the theoretical generalization error / test
//! loss (eqs. (6), (15)) with argmin's Brent method, in 1-D and (profiled) 2-D.
use crate::error::{Error, Result};
use crate::model::Population;
use crate::solver::errors_masked;
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentOpt;

/// A scalar objective for argmin; errors of the theory are carried as argmin errors.
struct Objective<F: Fn(f64) -> Result<f64>>(F);

impl<F: Fn(f64) -> Result<f64>> CostFunction for Objective<F> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, x: &f64) -> std::result::Result<f64, argmin::core::Error> {
        (self.0)(*x).map_err(|e| argmin::core::Error::msg(e.to_string()))
    }
}

/// Minimizes f on [lo, hi]: a 41-point scan brackets the minimum, Brent's method refines it.
/// Returns (x*, f(x*)).
pub fn minimize_1d(what: &str, f: impl Fn(f64) -> Result<f64> + Sync, lo: f64, hi: f64) -> Result<(f64, f64)> {
    minimize_scan_brent(what, f, lo, hi, 41)
}

/// `minimize_1d` with an m-point scan (evaluated in parallel).
fn minimize_scan_brent(what: &str, f: impl Fn(f64) -> Result<f64> + Sync, lo: f64, hi: f64, m: usize) -> Result<(f64, f64)> {
    use rayon::prelude::*;
    if !(lo < hi) || !lo.is_finite() || !hi.is_finite() {
        return Err(Error::input(format!("{what}: need a finite range lo < hi, got [{lo}, {hi}]")));
    }
    let grid: Vec<f64> = (0..m).map(|i| lo + (hi - lo) * i as f64 / (m - 1) as f64).collect();
    let costs = grid.par_iter().map(|&x| f(x)).collect::<Result<Vec<f64>>>()?;
    let k = (0..m).min_by(|&i, &j| costs[i].total_cmp(&costs[j])).expect("non-empty grid");
    let (l, r) = (grid[k.saturating_sub(1)], grid[(k + 1).min(m - 1)]);
    let solver = BrentOpt::new(l, r).set_tolerance(1.5e-8, 1e-10);
    let res = Executor::new(Objective(f), solver)
        .configure(|s| s.param(grid[k]).max_iters(200))
        .run()
        .map_err(|e| Error::Numerical(format!("{what}: {e}")))?;
    let (x, fx) = (*res.state().get_best_param().expect("brent keeps a best point"), res.state().get_best_cost());
    // an optimum at an end of the range is reported exactly there (Brent stops a step inside)
    match [(0, lo), (m - 1, hi)].into_iter().find(|&(i, _)| i == k && costs[i] <= fx) {
        Some((i, end)) => Ok((end, costs[i])),
        None => Ok((x, fx)),
    }
}

/// True when x is at (or within 1e-6 of the width of) an end of [lo, hi]: the objective kept
/// decreasing toward that end, so the optimum may lie outside the searched range.
pub fn at_range_end(x: f64, lo: f64, hi: f64) -> bool {
    let tol = 1e-6 * (hi - lo);
    x <= lo + tol || x >= hi - tol
}

/// The optimum of E_gen over lambda in [lo, hi] at fixed alpha: (lambda*, E_gen(lambda*)),
/// searched in log lambda.
pub fn optimal_lambda(pop: &Population, alpha: f64, lo: f64, hi: f64) -> Result<(f64, f64)> {
    optimal_lambda_masked(pop, alpha, 0.0, lo, hi)
}

/// The optimum of the test loss (15) over lambda0 in [lo, hi] at fixed (alpha, p):
/// (lambda0*, L_p(lambda0*)), searched in log lambda0; p = 0 is `optimal_lambda`.
pub fn optimal_lambda_masked(pop: &Population, alpha: f64, p: f64, lo: f64, hi: f64) -> Result<(f64, f64)> {
    if !(lo > 0.0 && hi > lo) {
        return Err(Error::input(format!("optimal lambda: need 0 < lo < hi, got [{lo}, {hi}]")));
    }
    let what = format!("optimal lambda at alpha = {alpha}, p = {p}");
    let (x, g) = minimize_1d(&what, |l| errors_masked(pop, alpha, l.exp(), p, None).map(|e| e.gen_error), lo.ln(), hi.ln())?;
    Ok((x.exp(), g))
}

/// Largest masking ratio searched: as p -> 1 the masking ridge p Diag(Σ) + lambda0/(1-p) dominates
/// K, A_p -> 0 and the loss tends to tr(Σ)/d (predicting 0), while the 1/(1-p) factors of (15)
/// lose digits.
pub const P_MAX: f64 = 0.95;

/// One-at-a-time SSR's E_gen (6) at (alpha, lambda), beside a masking optimum: NaN where SSR is
/// singular (lambda = 0 with alpha <= 1 or a singular Σ) but masking (p > 0) is not.
pub fn ssr_loss_beside_masking(pop: &Population, alpha: f64, lambda: f64) -> Result<f64> {
    match crate::solver::errors(pop, alpha, lambda, None) {
        Ok(e) => Ok(e.gen_error),
        Err(e) if e.is_input() && crate::solver::check_masked_params(pop, alpha, lambda, 0.5).is_ok() => Ok(f64::NAN),
        Err(e) => Err(e),
    }
}

/// Smallest masking ratio searched where p = 0 is singular (lambda0 = 0 with alpha <= 1, or a
/// singular Σ).
pub const P_MIN_SINGULAR: f64 = 1e-3;

/// The range of p searched at (alpha, lambda0): [0, P_MAX], or from `P_MIN_SINGULAR` when p = 0
/// is singular there.
pub fn mask_ratio_range(pop: &Population, alpha: f64, lambda0: f64) -> (f64, f64) {
    let singular_at_0 = crate::solver::check_masked_params(pop, alpha, lambda0, 0.0).is_err();
    (if singular_at_0 { P_MIN_SINGULAR } else { 0.0 }, P_MAX)
}

/// The masking ratio minimizing the test loss (15) at fixed (alpha, lambda0): (p*, L(p*)).
pub fn optimal_mask_ratio(pop: &Population, alpha: f64, lambda0: f64) -> Result<(f64, f64)> {
    let what = format!("optimal masking ratio at alpha = {alpha}, lambda = {lambda0}");
    let (lo, hi) = mask_ratio_range(pop, alpha, lambda0);
    minimize_1d(&what, |p| errors_masked(pop, alpha, lambda0, p, None).map(|e| e.gen_error), lo, hi)
}

/// Scan points of each level of the joint search (2 x 17 instead of 41: a dense model pays one
/// eigendecomposition per evaluation, and the nested search makes about (m + 25)^2 of them).
const JOINT_SCAN: usize = 17;

/// The joint optimum over (p, lambda0) with lambda0 in [lo, hi]: Brent in log lambda0 over the
/// profile min_p L(p, lambda0). Returns (p*, lambda0*, L*).
pub fn optimal_mask_and_ridge(pop: &Population, alpha: f64, lo: f64, hi: f64) -> Result<(f64, f64, f64)> {
    if !(lo > 0.0 && hi > lo) {
        return Err(Error::input(format!("optimal ridge: need 0 < lo < hi, got [{lo}, {hi}]")));
    }
    let what = format!("optimal (p, lambda) at alpha = {alpha}");
    let profile = |lambda0: f64| {
        let what = format!("optimal masking ratio at alpha = {alpha}, lambda = {lambda0}");
        let (lo, hi) = mask_ratio_range(pop, alpha, lambda0);
        minimize_scan_brent(&what, |p| errors_masked(pop, alpha, lambda0, p, None).map(|e| e.gen_error), lo, hi, JOINT_SCAN)
    };
    let (x, loss) = minimize_scan_brent(&what, |ll| profile(ll.exp()).map(|r| r.1), lo.ln(), hi.ln(), JOINT_SCAN)?;
    let (p, _) = profile(x.exp())?;
    Ok((p, x.exp(), loss))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::errors;

    #[test]
    fn ar1_optimum_is_a_strict_interior_minimum() {
        let pop = Population::ar1(0.8).unwrap();
        let (l, g) = optimal_lambda(&pop, 2.0, 1e-4, 1e2).unwrap();
        assert!(l > 1e-3 && l < 10.0, "lambda* = {l}");
        for f in [0.98, 1.02] {
            assert!(errors(&pop, 2.0, l * f, None).unwrap().gen_error > g, "lambda* = {l} is not a minimum");
        }
    }

    #[test]
    fn an_optimum_at_the_end_of_the_range_is_reported_exactly_there() {
        // AR(1) rho = 0.7 at alpha = 4, lambda0 = 0.1: the loss increases with p from p = 0
        let pop = Population::ar1(0.7).unwrap();
        let (p, l) = optimal_mask_ratio(&pop, 4.0, 0.1).unwrap();
        assert_eq!(p, 0.0);
        assert_eq!(l, errors_masked(&pop, 4.0, 0.1, 0.0, None).unwrap().gen_error);
        assert!(at_range_end(p, 0.0, P_MAX) && !at_range_end(0.3, 0.0, P_MAX));
        // and an interior optimum is left to Brent (alpha = 0.5: p* = 0.18)
        let (p, _) = optimal_mask_ratio(&pop, 0.5, 0.1).unwrap();
        assert!(p > 0.1 && p < 0.3 && !at_range_end(p, 0.0, P_MAX), "{p}");
    }

    #[test]
    fn a_ridgeless_masked_optimum_exists_where_ssr_is_singular() {
        // lambda0 = 0 at alpha = 0.5: p = 0 is singular, any p > 0 is a ridge; the search starts
        // at P_MIN_SINGULAR and finds an interior optimum (p* = 0.28)
        let pop = Population::ar1(0.7).unwrap();
        assert!(errors_masked(&pop, 0.5, 0.0, 0.0, None).is_err());
        let (p, l) = optimal_mask_ratio(&pop, 0.5, 0.0).unwrap();
        assert!(p > 0.1 && p < 0.5, "p* = {p}");
        for q in [P_MIN_SINGULAR, p - 0.02, p + 0.02] {
            assert!(errors_masked(&pop, 0.5, 0.0, q, None).unwrap().gen_error > l, "p* = {p} is not below p = {q}");
        }
        let (pj, _, lj) = optimal_mask_and_ridge(&pop, 0.5, 1e-4, 1e2).unwrap();
        assert!(lj <= l && pj < P_MAX);
        // SSR beside it: undefined (NaN) where singular, E_gen elsewhere; bad input stays an error
        assert!(ssr_loss_beside_masking(&pop, 0.5, 0.0).unwrap().is_nan());
        assert_eq!(ssr_loss_beside_masking(&pop, 1.5, 0.0).unwrap(), errors(&pop, 1.5, 0.0, None).unwrap().gen_error);
        assert!(ssr_loss_beside_masking(&pop, 1.5, -1.0).is_err());
        assert_eq!(mask_ratio_range(&pop, 0.5, 0.0).0, P_MIN_SINGULAR);
        assert_eq!(mask_ratio_range(&pop, 0.5, 0.1).0, 0.0);
    }

    #[test]
    fn isotropic_optimum_runs_to_the_upper_end() {
        // independent coordinates: nothing to learn, the best predictor is zero (lambda -> infinity)
        let (l, g) = optimal_lambda(&Population::isotropic(), 2.0, 1e-4, 1e2).unwrap();
        assert!(l > 0.99e2 && g > 1.0 && g < 1.001, "lambda* = {l}, E_gen = {g}");
    }

    #[test]
    fn optimal_mask_ratio_beats_its_neighbours_and_the_joint_optimum_beats_both() {
        let pop = Population::ar1(0.7).unwrap();
        let (p, l) = optimal_mask_ratio(&pop, 1.5, 0.1).unwrap();
        for q in [p - 0.02, p + 0.02] {
            if (0.0..P_MAX).contains(&q) {
                assert!(errors_masked(&pop, 1.5, 0.1, q, None).unwrap().gen_error >= l - 1e-12);
            }
        }
        let (pj, lj, loss) = optimal_mask_and_ridge(&pop, 1.5, 1e-3, 10.0).unwrap();
        assert!(loss <= l + 1e-12, "joint {loss} vs 1-D {l}");
        assert!((errors_masked(&pop, 1.5, lj, pj, None).unwrap().gen_error - loss).abs() < 1e-12);
    }
}
