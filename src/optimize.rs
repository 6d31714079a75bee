//! Optimal ridge: the lambda that minimizes the theoretical generalization error (eq. (6)).
use crate::error::{Error, Result};
use crate::model::Population;
use crate::solver::errors;
use argmin::core::{CostFunction, Executor, State};
use argmin::solver::brent::BrentOpt;

struct GenErrorInLogLambda<'a> {
    pop: &'a Population,
    alpha: f64,
}

impl CostFunction for GenErrorInLogLambda<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, log_lambda: &f64) -> std::result::Result<f64, argmin::core::Error> {
        errors(self.pop, self.alpha, log_lambda.exp(), None)
            .map(|e| e.gen_error)
            .map_err(|e| argmin::core::Error::msg(e.to_string()))
    }
}

/// The optimum of E_gen over lambda in [lo, hi] at fixed alpha: (lambda*, E_gen(lambda*)).
/// A log-spaced scan brackets the minimum, then Brent's method (argmin) refines it.
pub fn optimal_lambda(pop: &Population, alpha: f64, lo: f64, hi: f64) -> Result<(f64, f64)> {
    if !(lo > 0.0 && hi > lo) {
        return Err(Error::input(format!("optimal lambda: need 0 < lo < hi, got [{lo}, {hi}]")));
    }
    let (a, b) = (lo.ln(), hi.ln());
    let m = 41;
    let grid: Vec<f64> = (0..m).map(|i| a + (b - a) * i as f64 / (m - 1) as f64).collect();
    let problem = GenErrorInLogLambda { pop, alpha };
    let costs: Vec<f64> = grid.iter().map(|x| problem.cost(x)).collect::<std::result::Result<_, _>>().map_err(|e| {
        Error::Numerical(format!("optimal lambda at alpha = {alpha}: {e}"))
    })?;
    let k = (0..m).min_by(|&i, &j| costs[i].total_cmp(&costs[j])).expect("non-empty grid");
    let (l, r) = (grid[k.saturating_sub(1)], grid[(k + 1).min(m - 1)]);
    let solver = BrentOpt::new(l, r).set_tolerance(1.5e-8, 1e-10);
    let res = Executor::new(problem, solver)
        .configure(|s| s.param(grid[k]).max_iters(200))
        .run()
        .map_err(|e| Error::Numerical(format!("optimal lambda at alpha = {alpha}: {e}")))?;
    let x = *res.state().get_best_param().expect("brent keeps a best point");
    Ok((x.exp(), res.state().get_best_cost()))
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn isotropic_optimum_runs_to_the_upper_end() {
        // independent coordinates: nothing to learn, the best predictor is zero (lambda -> infinity)
        let (l, g) = optimal_lambda(&Population::isotropic(), 2.0, 1e-4, 1e2).unwrap();
        assert!(l > 0.99e2 && g > 1.0 && g < 1.001, "lambda* = {l}, E_gen = {g}");
    }
}
