//! Eq. (1)-(3) against brute force: d separate ridge regressions and direct error sums.
use faer::{Mat, Side};
use masked_ssr::model::Population;
use masked_ssr::simulation::{a_hat, ssr_errors, trial_rng, Base, SigmaAtD};

/// Row k of A-hat by its own ridge problem: min_a (1/n)|X_k - X_{-k} a|^2 + lambda |a|^2.
fn ridge_row(x: &Mat<f64>, k: usize, lambda: f64) -> Vec<f64> {
    let (n, d) = (x.nrows(), x.ncols());
    let others: Vec<usize> = (0..d).filter(|&j| j != k).collect();
    let m = others.len();
    let g = Mat::from_fn(m, m, |a, b| {
        (0..n).map(|i| x[(i, others[a])] * x[(i, others[b])]).sum::<f64>() / n as f64 + if a == b { lambda } else { 0.0 }
    });
    let rhs = Mat::from_fn(m, 1, |a, _| (0..n).map(|i| x[(i, others[a])] * x[(i, k)]).sum::<f64>() / n as f64);
    let sol = faer::linalg::solvers::Solve::solve(&g.llt(Side::Lower).unwrap(), &rhs);
    let mut row = vec![0.0; d];
    for (a, &j) in others.iter().enumerate() {
        row[j] = sol[(a, 0)];
    }
    row
}

#[test]
fn closed_form_equals_separate_ridge_solves() {
    for (pop, n, d, lambda) in [
        (Population::isotropic(), 40, 12, 0.3),
        (Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap(), 9, 15, 0.05), // n < d
        (Population::ar1(0.7).unwrap(), 60, 10, 0.0),
    ] {
        let sigma = SigmaAtD::new(&pop, d).unwrap();
        let x = sigma.sample(n, &mut trial_rng(7, 0));
        let (a, _) = a_hat(x.as_ref(), lambda).unwrap();
        let mut worst = 0.0f64;
        for k in 0..d {
            let row = ridge_row(&x, k, lambda);
            for j in 0..d {
                worst = worst.max((a[(k, j)] - row[j]).abs());
            }
        }
        assert!(worst < 1e-10, "{}: max |A_closed - A_ridge| = {worst:e}", pop.label);
    }
}

#[test]
fn error_traces_equal_direct_sums() {
    let (n, d, lambda) = (50, 20, 0.2);
    for pop in [Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap(), Population::ar1(0.6).unwrap()] {
        let sigma = SigmaAtD::new(&pop, d).unwrap();
        let x = sigma.sample(n, &mut trial_rng(3, 1));
        let (a, _) = a_hat(x.as_ref(), lambda).unwrap();
        // B = I - A; E_train = |X B^T|^2/(n d); E_gen = tr(B Σ B^T)/d
        let b = Mat::from_fn(d, d, |i, j| if i == j { 1.0 } else { 0.0 } - a[(i, j)]);
        let mut train = 0.0;
        for i in 0..n {
            for k in 0..d {
                let r: f64 = (0..d).map(|j| b[(k, j)] * x[(i, j)]).sum();
                train += r * r;
            }
        }
        train /= (n * d) as f64;
        let cov = match &sigma.base {
            Base::Diagonal(p) => Mat::from_fn(d, d, |i, j| if i == j { p[i] } else { 0.0 }),
            Base::Ar1 { rho, .. } => Mat::from_fn(d, d, |i, j| rho.powi((i as i32 - j as i32).abs())),
            _ => unreachable!(),
        };
        let mut gen = 0.0;
        for k in 0..d {
            for i in 0..d {
                for j in 0..d {
                    gen += b[(k, i)] * cov[(i, j)] * b[(k, j)];
                }
            }
        }
        gen /= d as f64;
        let (_, t, g) = ssr_errors(x.as_ref(), lambda, &sigma, faer::Par::Seq).unwrap();
        assert!((t - train).abs() < 1e-12 * train, "{}: train {t} vs {train}", pop.label);
        assert!((g - gen).abs() < 1e-12 * gen, "{}: gen {g} vs {gen}", pop.label);
    }
}

#[test]
fn lambda_sweep_by_one_eigendecomposition_equals_separate_solves() {
    use masked_ssr::simulation::ssr_errors_sweep;
    let lambdas = [0.01, 0.1, 1.0, 7.0];
    for pop in [Population::isotropic(), Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap(), Population::ar1(0.6).unwrap()] {
        let sigma = SigmaAtD::new(&pop, 30).unwrap();
        let x = sigma.sample(45, &mut trial_rng(2, 0));
        let sweep = ssr_errors_sweep(x.as_ref(), &lambdas, &sigma, faer::Par::Seq).unwrap();
        for (l, s) in lambdas.iter().zip(&sweep) {
            let one = ssr_errors(x.as_ref(), *l, &sigma, faer::Par::Seq).unwrap();
            for (a, b) in [(s.0, one.0), (s.1, one.1), (s.2, one.2)] {
                assert!((a - b).abs() < 1e-10 * b.abs(), "{} lambda {l}: {a} vs {b}", pop.label);
            }
        }
    }
}

#[test]
fn spectral_lambda_sweep_equals_separate_spectral_runs() {
    // the sweep path (one eigendecomposition of S, Diag(R) through U∘U) against one run per
    // lambda (Cholesky inverse per lambda): errors, A-hat's and S's spectra, trial by trial
    use masked_ssr::progress::Progress;
    use masked_ssr::shard::Shard;
    use masked_ssr::simulation::{run_trials_masked, SimConfig};
    let lambdas = [0.02, 0.3, 4.0];
    let cfg = SimConfig { d: 40, trials: 2, seed: 5 };
    for pop in [Population::isotropic(), Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap()] {
        let quiet = Progress::silent();
        let sweep = run_trials_masked(&pop, &[], true, 1.5, &lambdas, 0.0, cfg, Shard::ALL, &quiet).unwrap();
        for (li, &l) in lambdas.iter().enumerate() {
            let one = run_trials_masked(&pop, &[], true, 1.5, &[l], 0.0, cfg, Shard::ALL, &quiet).unwrap();
            assert_eq!(sweep.first_ssr_eigs[li].len(), 40);
            for (a, b) in sweep.first_ssr_eigs[li].iter().zip(&one.first_ssr_eigs[0]) {
                assert!((a - b).abs() < 1e-10, "{} lambda {l}: eigenvalue {a} vs {b}", pop.label);
            }
            for ((_, ts), (_, os)) in sweep.trials.iter().zip(&one.trials) {
                let (s, o) = (&ts[li], &os[0]);
                let (ss, os) = (s.spectral.as_ref().unwrap(), o.spectral.as_ref().unwrap());
                for (a, b) in [(s.delta, o.delta), (s.train, o.train), (s.gen, o.gen), (ss.ssr_top, os.ssr_top), (ss.pca_top, os.pca_top), (ss.pca_bulk_top, os.pca_bulk_top)] {
                    assert!((a - b).abs() < 1e-10 * b.abs().max(1.0), "{} lambda {l}: {a} vs {b}", pop.label);
                }
            }
        }
    }
}

#[test]
fn spectral_sweep_does_not_depend_on_the_number_of_workers() {
    use masked_ssr::simspectrum::spectra_of_sweep;
    use masked_ssr::simulation::{gram, ssr_sweep_from_gram};
    let pop = Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap();
    let sigma = SigmaAtD::new(&pop, 50).unwrap();
    let x = sigma.sample(75, &mut trial_rng(4, 0));
    let s = gram(x.as_ref(), faer::Par::Seq);
    let lambdas = [0.01, 0.05, 0.2, 1.0, 3.0];
    let sweep = ssr_sweep_from_gram(&s, 75, &lambdas, &sigma, faer::Par::Seq).unwrap();
    let one = spectra_of_sweep(&s, &lambdas, &sweep, 1).unwrap();
    for w in [2, 3, 8] {
        let many = spectra_of_sweep(&s, &lambdas, &sweep, w).unwrap();
        for (a, b) in one.iter().zip(&many) {
            assert_eq!(a.ssr_eigs, b.ssr_eigs, "{w} workers");
        }
    }
    // and lambda order is kept: the top eigenvalue of A-hat = 1 - 1/t grows as lambda shrinks
    let tops: Vec<f64> = one.iter().map(|t| *t.ssr_eigs.last().unwrap()).collect();
    assert!(tops.windows(2).all(|w| w[0] > w[1]), "{tops:?}");
}
