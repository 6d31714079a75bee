//! Scalar root finding shared by every solver path: safeguarded Newton inside a bracket.
use crate::error::{Error, Result};

/// A converged scalar root with its residual |f(x)| and the number of iterations used.
#[derive(Debug, Clone, Copy)]
pub struct Root {
    pub x: f64,
    pub residual: f64,
    pub iterations: usize,
}

/// Root of `f` in [lo, hi] (f(lo) <= 0 <= f(hi) or the reverse) by Newton steps from `x0`,
/// falling back to bisection whenever a step leaves the bracket. `f` returns (f(x), f'(x)).
/// Converges when |f(x)| <= tol * scale(x), where `scale` makes the test relative.
pub fn newton_bracketed(
    what: &'static str,
    mut f: impl FnMut(f64) -> (f64, f64),
    mut lo: f64,
    mut hi: f64,
    x0: f64,
    tol: f64,
    scale: impl Fn(f64) -> f64,
) -> Result<Root> {
    const MAX_ITER: usize = 300;
    let (flo, _) = f(lo);
    let (fhi, _) = f(hi);
    if flo == 0.0 {
        return Ok(Root { x: lo, residual: 0.0, iterations: 0 });
    }
    if fhi == 0.0 {
        return Ok(Root { x: hi, residual: 0.0, iterations: 0 });
    }
    if !(flo.signum() * fhi.signum() < 0.0) {
        return Err(Error::NoConvergence {
            what,
            at: format!("bracket [{lo:.6e}, {hi:.6e}] has no sign change (f = {flo:.3e}, {fhi:.3e})"),
            residual: flo.abs().min(fhi.abs()),
            iterations: 0,
        });
    }
    let increasing = fhi > 0.0;
    let mut x = if x0 > lo && x0 < hi { x0 } else { 0.5 * (lo + hi) };
    let mut last = f64::INFINITY;
    for it in 1..=MAX_ITER {
        let (fx, dfx) = f(x);
        if !fx.is_finite() {
            return Err(Error::NoConvergence { what, at: format!("x = {x:.6e}"), residual: fx, iterations: it });
        }
        last = fx.abs();
        if last <= tol * scale(x) {
            return Ok(Root { x, residual: last, iterations: it });
        }
        if (fx > 0.0) == increasing {
            hi = x;
        } else {
            lo = x;
        }
        let newton = x - fx / dfx;
        x = if dfx.is_finite() && dfx != 0.0 && newton > lo && newton < hi {
            newton
        } else {
            0.5 * (lo + hi)
        };
        if hi - lo <= 4.0 * f64::EPSILON * hi.abs().max(lo.abs()) {
            let (fx, _) = f(x);
            return if fx.abs() <= 1e3 * tol * scale(x) {
                Ok(Root { x, residual: fx.abs(), iterations: it })
            } else {
                Err(Error::NoConvergence { what, at: format!("x = {x:.6e} (bracket collapsed)"), residual: fx.abs(), iterations: it })
            };
        }
    }
    Err(Error::NoConvergence { what, at: format!("x = {x:.6e}"), residual: last, iterations: MAX_ITER })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sqrt_two_and_reports_iterations() {
        let r = newton_bracketed("sqrt", |x| (x * x - 2.0, 2.0 * x), 0.0, 2.0, 1.0, 1e-15, |_| 1.0).unwrap();
        assert!((r.x - 2f64.sqrt()).abs() < 1e-15);
        assert!(r.iterations < 10);
    }

    #[test]
    fn no_sign_change_is_an_error() {
        assert!(newton_bracketed("t", |x| (x * x + 1.0, 2.0 * x), 0.0, 2.0, 1.0, 1e-12, |_| 1.0).is_err());
    }
}
