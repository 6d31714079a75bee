//! Real-data learning curve (theory/README.md, "Real data"): theory from the data's covariance
//! against SSR fitted on random subsamples and scored on the held-out rows.
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::model::Population;
use crate::progress::Progress;
use crate::simulation::{resolvent, trial_rng, Stat};
use crate::solver::errors;
use crate::table::Table;
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use rand::seq::index::sample;
use rayon::prelude::*;

/// The built-in 8x8 digits data set (UCI optical recognition of handwritten digits, CC BY 4.0).
pub const DIGITS_CSV: &str = include_str!("../data/digits.csv");

/// Loads the built-in digits set (label column dropped).
pub fn digits() -> Result<Dataset> {
    Dataset::parse(DIGITS_CSV, &["label".to_string()], "built-in digits")
}

/// SSR fitted on the rows `train` of X, scored on all other rows: (1/(d N_test)) ||X_test (I - A)^T||^2
/// with I - A = D^{-1} R (eq. (1)).
pub fn holdout_error(x: &Mat<f64>, train: &[usize], lambda: f64) -> Result<f64> {
    let (big_n, d) = (x.nrows(), x.ncols());
    let n = train.len();
    let xt = Mat::from_fn(n, d, |i, j| x[(train[i], j)]);
    let r = resolvent(xt.as_ref(), lambda, Par::Seq)?;
    // B = I - A = D^{-1} R, so the residual of row x is B x; B^T has columns R_k / R_kk
    let b_t = Mat::from_fn(d, d, |j, k| r[(j, k)] / r[(k, k)]);
    let mut in_train = vec![false; big_n];
    train.iter().for_each(|&i| in_train[i] = true);
    let test: Vec<usize> = (0..big_n).filter(|&i| !in_train[i]).collect();
    if test.is_empty() {
        return Err(Error::input("learning curve: no held-out rows left (n must be below the data size)"));
    }
    let xs = Mat::from_fn(test.len(), d, |i, j| x[(test[i], j)]);
    let mut res = Mat::<f64>::zeros(test.len(), d);
    matmul(&mut res, Accum::Replace, &xs, &b_t, 1.0, Par::Seq);
    let ss: f64 = (0..d).map(|j| res.col_as_slice(j).iter().map(|v| v * v).sum::<f64>()).sum();
    Ok(ss / (test.len() * d) as f64)
}

/// Learning curve table: n, alpha, theory E_gen (eq. (6) with Σ the data covariance), and the
/// held-out error of SSR on random subsamples (mean, s.e. over `trials`).
pub fn learning_curve(ds: &Dataset, ns: &[usize], lambda: f64, trials: usize, seed: u64, progress: &Progress) -> Result<Table> {
    let (big_n, d) = (ds.x.nrows(), ds.x.ncols());
    if trials == 0 {
        return Err(Error::input("--trials must be at least 1"));
    }
    let pop = Population::dense(ds.covariance(), "data".into())?;
    let mut t = Table::new(&["n", "alpha", "lambda", "theory_gen_error", "experiment_gen_error", "experiment_se", "bayes_error"]);
    for (ni, &n) in ns.iter().enumerate() {
        if n < 2 || n >= big_n {
            return Err(Error::input(format!("learning curve: subsample size n = {n} must be in [2, {})", big_n)));
        }
        let alpha = n as f64 / d as f64;
        let th = errors(&pop, alpha, lambda, None)?;
        let errs: Vec<f64> = (0..trials as u64)
            .into_par_iter()
            .map(|t| {
                let mut rng = trial_rng(seed, (ni as u64) << 32 | t);
                let idx = sample(&mut rng, big_n, n).into_vec();
                let e = holdout_error(&ds.x, &idx, lambda);
                progress.tick();
                e
            })
            .collect::<Result<_>>()?;
        let st = Stat::of(&errs);
        t.push(vec![n as f64, alpha, lambda, th.gen_error, st.mean, st.se, th.bayes_error]);
    }
    Ok(t)
}
