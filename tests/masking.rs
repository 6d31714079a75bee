//! Masking ratio p (theory/README.md section 10, eqs. (14)-(15)): the closed form against
//! per-row minimization, the loss formula against a Monte Carlo over masks, p -> 0 continuity,
//! and theory against simulation at two sizes d.
use faer::{Mat, Side};
use masked_ssr::model::Population;
use masked_ssr::progress::Progress;
use masked_ssr::shard::Shard;
use masked_ssr::simulation::{a_masked, masked_errors, masked_loss, run_trials_masked, summarize_run, trial_rng, SigmaAtD, SimConfig};
use masked_ssr::solver::{errors, errors_masked};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

fn ar1_cov(d: usize, rho: f64) -> Mat<f64> {
    Mat::from_fn(d, d, |i, j| rho.powi((i as i32 - j as i32).abs()))
}

#[test]
fn closed_form_14_minimizes_each_rows_expected_masked_loss() {
    // row k: min_a p [S_kk - 2(1-p) a.S_k + (1-p)^2 a'Sa + p(1-p) a'Diag(S)a] + p lambda0 |a|^2, a_k = 0
    let (n, d, p, lambda0) = (30, 7, 0.3, 0.2);
    let sigma = SigmaAtD::new(&Population::ar1(0.6).unwrap(), d).unwrap();
    let x = sigma.sample(n, &mut trial_rng(5, 0));
    let a = a_masked(x.as_ref(), lambda0, p).unwrap();
    let s = Mat::from_fn(d, d, |i, j| (0..n).map(|r| x[(r, i)] * x[(r, j)]).sum::<f64>() / n as f64);
    for k in 0..d {
        let idx: Vec<usize> = (0..d).filter(|&j| j != k).collect();
        let m = idx.len();
        let h = Mat::from_fn(m, m, |u, v| {
            let (i, j) = (idx[u], idx[v]);
            (1.0 - p) * (1.0 - p) * s[(i, j)] + if i == j { p * (1.0 - p) * s[(i, i)] + lambda0 } else { 0.0 }
        });
        let g = Mat::from_fn(m, 1, |u, _| (1.0 - p) * s[(idx[u], k)]);
        let sol = faer::linalg::solvers::Solve::solve(&h.llt(Side::Lower).unwrap(), &g);
        for (u, &j) in idx.iter().enumerate() {
            assert!((sol[(u, 0)] - a[(k, j)]).abs() < 1e-12, "row {k}, col {j}: {} vs {}", sol[(u, 0)], a[(k, j)]);
        }
        assert_eq!(a[(k, k)], 0.0);
    }
}

#[test]
fn loss_15_matches_a_monte_carlo_over_masks() {
    // the exact expectation (15) against sampled masks and Gaussian test points
    let (d, p) = (6, 0.4);
    let cov = ar1_cov(d, 0.7);
    let pop = Population::dense(cov.clone(), "toeplitz".into()).unwrap();
    let sigma = SigmaAtD::new(&pop, d).unwrap();
    let x = sigma.sample(20, &mut trial_rng(1, 0));
    let a = a_masked(x.as_ref(), 0.1, p).unwrap();
    let exact = masked_loss(a.as_ref(), cov.as_ref(), p);
    let mut rng = trial_rng(2, 0);
    let llt = cov.llt(Side::Lower).unwrap();
    let l = llt.L();
    let (batches, per) = (40, 5000);
    let mut means = Vec::new();
    for _ in 0..batches {
        let (mut num, mut masked) = (0.0, 0.0);
        for _ in 0..per {
            let z: Vec<f64> = (0..d).map(|_| StandardNormal.sample(&mut rng)).collect();
            let xs: Vec<f64> = (0..d).map(|i| (0..=i).map(|j| l[(i, j)] * z[j]).sum()).collect();
            let m: Vec<bool> = (0..d).map(|_| rng.random::<f64>() < p).collect();
            for k in 0..d {
                if m[k] {
                    let pred: f64 = (0..d).filter(|&j| !m[j]).map(|j| a[(k, j)] * xs[j]).sum();
                    num += (xs[k] - pred).powi(2);
                    masked += 1.0;
                }
            }
        }
        means.push(num / masked);
    }
    let mean = means.iter().sum::<f64>() / batches as f64;
    let se = (means.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / ((batches - 1) * batches) as f64).sqrt();
    // ratio estimator (loss per masked coordinate): unbiased to O(1/per), far below se
    assert!((mean - exact).abs() < 4.0 * se, "Monte Carlo {mean} ± {se} vs (15) {exact}");
    assert!(se < 0.01 * exact, "the Monte Carlo must be precise enough to be a test: se {se}");
    // and masked_errors evaluates the same (15) from the sample directly
    let (_, _, loss) = masked_errors(x.as_ref(), 0.1, p, &sigma, faer::Par::Seq).unwrap();
    assert!((loss - exact).abs() < 1e-12 * exact, "{loss} vs {exact}");
}

#[test]
fn small_masking_ratio_reproduces_ssr_continuously() {
    for pop in [Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap(), Population::ar1(0.8).unwrap()] {
        let base = errors(&pop, 2.0, 0.1, None).unwrap().gen_error;
        let mut last = f64::INFINITY;
        for p in [1e-2, 1e-3, 1e-4, 1e-5] {
            let gap = (errors_masked(&pop, 2.0, 0.1, p, None).unwrap().gen_error - base).abs();
            assert!(gap < last, "{}: gap {gap} at p = {p} did not shrink", pop.label);
            assert!(gap < 20.0 * p * base, "{}: gap {gap} at p = {p}", pop.label);
            last = gap;
        }
    }
}

#[test]
fn bad_masking_input_is_refused() {
    let pop = Population::isotropic();
    for p in [-0.1, 1.0, 1.5, f64::NAN] {
        assert!(errors_masked(&pop, 2.0, 0.1, p, None).is_err(), "p = {p}");
    }
    // p = 0 with lambda0 = 0 is singular below alpha = 1; masking itself regularizes
    assert!(errors_masked(&pop, 0.5, 0.0, 0.0, None).is_err());
    assert!(errors_masked(&pop, 0.5, 0.0, 0.3, None).is_ok());
}

/// Theory (15) against simulation at d1 < d2, extrapolated in 1/d (as for the SSR errors).
fn check(pop: &Population, alpha: f64, lambda0: f64, p: f64) {
    let th = errors_masked(pop, alpha, lambda0, p, None).unwrap().gen_error;
    let run = |d: usize, trials: usize, seed: u64| {
        let r = run_trials_masked(pop, &[], false, alpha, &[lambda0], p, SimConfig { d, trials, seed }, Shard::ALL, &Progress::silent()).unwrap();
        summarize_run(&r).unwrap().remove(0).gen_error
    };
    let (d1, d2) = (200, 600);
    let (a, b) = (run(d1, 16, 21), run(d2, 8, 22));
    let (f1, f2) = (d1 as f64, d2 as f64);
    let inf = (f2 * b.mean - f1 * a.mean) / (f2 - f1);
    let se = ((f2 * b.se).powi(2) + (f1 * a.se).powi(2)).sqrt() / (f2 - f1);
    eprintln!("{} p={p}: theory {th:.5}, d={d1}: {:.5}±{:.5}, d={d2}: {:.5}±{:.5}, d->inf {inf:.5}±{se:.5}", pop.label, a.mean, a.se, b.mean, b.se);
    assert!(((inf - th) / se).abs() < 4.0, "p = {p}: extrapolated {inf} ± {se} vs theory {th}");
}

#[test]
fn masked_loss_theory_matches_simulation() {
    let h = Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap();
    let ar = Population::ar1(0.7).unwrap();
    for p in [0.15, 0.5, 0.75] {
        check(&h, 1.5, 0.1, p);
        check(&ar, 1.5, 0.1, p);
    }
}

#[test]
fn dense_graded_variances_theory_matches_simulation() {
    // a dense Σ whose variances differ (eq. (S11)): the notes' AR(1) rho = 0.7 with variances
    // graded from 0.5 to 2. The model has its own d, so the theory is taken at each d and the
    // gap simulation - theory(d) is extrapolated in 1/d to 0.
    for p in [0.15, 0.5, 0.75] {
        let gap = |d: usize, trials: usize, seed: u64| {
            let pop = Population::graded_ar1(d, 0.7, 0.5, 2.0).unwrap();
            let th = errors_masked(&pop, 1.5, 0.1, p, None).unwrap().gen_error;
            let r = run_trials_masked(&pop, &[], false, 1.5, &[0.1], p, SimConfig { d, trials, seed }, Shard::ALL, &Progress::silent()).unwrap();
            let s = summarize_run(&r).unwrap().remove(0).gen_error;
            (s.mean - th, s.se, th)
        };
        let (d1, d2) = (150, 450);
        let ((g1, s1, t1), (g2, s2, t2)) = (gap(d1, 24, 31), gap(d2, 8, 32));
        let (f1, f2) = (d1 as f64, d2 as f64);
        let inf = (f2 * g2 - f1 * g1) / (f2 - f1);
        let se = ((f2 * s2).powi(2) + (f1 * s1).powi(2)).sqrt() / (f2 - f1);
        eprintln!("graded p={p}: theory {t1:.5} (d={d1}) / {t2:.5} (d={d2}); gaps {g1:+.5}±{s1:.5}, {g2:+.5}±{s2:.5}; d->inf {inf:+.5}±{se:.5}");
        assert!((inf / se).abs() < 4.0, "p = {p}: extrapolated gap {inf} ± {se}");
        assert!(g2.abs() < 2e-3, "p = {p}: gap {g2} at d = {d2}");
    }
}

#[test]
fn detection_figure_tables_agree_with_the_spike_theory_and_simulation() {
    // the figure's theory table is SpikeContext::masked's report, PCA's threshold does not move
    // with p, and the simulated overlap of A_p sits near the theory (13b) line
    use masked_ssr::figures::{build, FigureSpec};
    use masked_ssr::spikes::{Spike, SpikeContext, Support};
    let text = r#"
kind = "detection-vs-mask-ratio"
alpha = "2"
lambda = "0.1"
theta = "2"
mask_ratio = "0,0.5,0.75"
[model]
noise = "0.5:0.5,2:0.5"
[simulation]
d = 300
trials = 8
seed = 3
points = "0.5"
"#;
    let spec = FigureSpec::parse(text, "t").unwrap();
    let r = build(&spec, "t", std::path::Path::new("."), true).unwrap();
    let theory = &r.tables[0].1;
    let pop = Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap();
    let pca = theory.column("pca_threshold");
    for (i, p) in theory.column("mask_ratio").into_iter().enumerate() {
        let rep = SpikeContext::masked(&pop, 2.0, 0.1, p).unwrap().report(&Spike { theta: 2.0, support: Support::All }).unwrap();
        assert!((theory.column("ratio")[i] - rep.ssr_threshold / rep.pca_threshold).abs() < 1e-12);
        assert!((pca[i] - pca[0]).abs() < 1e-12 && theory.column("ratio")[i] < 1.0);
    }
    // notes-free reference: the masked thresholds from `validate`'s design (p = 0.5: 0.6655, p = 0.75: 0.7305)
    let ssr = theory.column("ssr_threshold");
    assert!((ssr[1] - 0.6655).abs() < 1e-4 && (ssr[2] - 0.7305).abs() < 1e-4, "{ssr:?}");
    let sim = &r.tables[1].1;
    let (m, se) = (sim.column("ssr_overlap")[0], sim.column("ssr_overlap_se")[0]);
    let th = theory.column("ssr_overlap")[1];
    // 0.01: room for the O(1/d) finite-size bias at d = 300 (validate extrapolates it away at
    // p = 0.5 and 0.75); the isotropic closed-form test pins (S10) itself
    assert!(se > 0.0 && (m - th).abs() < 4.0 * se + 0.01, "simulated {m} ± {se} vs theory {th}");
}

#[test]
fn errors_figures_with_a_masking_ratio_plot_the_test_loss_of_a_p() {
    // errors-vs-alpha and errors-vs-lambda with mask_ratio = p: the theory table is (15) at p,
    // the simulation table is A_p's simulated loss (same seed as a direct run), and the optimum
    // over lambda0 is a minimum of (15)
    use masked_ssr::figures::{build, FigureSpec};
    let base = std::path::Path::new(".");
    let pop = Population::ar1(0.8).unwrap();
    let spec = FigureSpec::parse(
        "kind = \"errors-vs-alpha\"\nalpha = \"0.5,2\"\nlambda = \"0.1\"\nmask_ratio = \"0.5\"\n[model]\nar1 = 0.8\n[simulation]\nd = 120\ntrials = 3\nseed = 4\npoints = \"2\"\n",
        "t",
    )
    .unwrap();
    let r = build(&spec, "t", base, true).unwrap();
    assert_eq!(r.figure.panels.len(), 1, "A_p has no training error: one panel");
    let theory = &r.tables[0].1;
    for (i, a) in theory.column("alpha").into_iter().enumerate() {
        let want = errors_masked(&pop, a, 0.1, 0.5, None).unwrap().gen_error;
        assert!((theory.column("gen_error")[i] - want).abs() < 1e-10, "alpha = {a}");
        assert!((want - errors(&pop, a, 0.1, None).unwrap().gen_error).abs() > 1e-3, "p = 0.5 must differ from SSR");
    }
    let direct = run_trials_masked(&pop, &[], false, 2.0, &[0.1], 0.5, SimConfig { d: 120, trials: 3, seed: 4 }, Shard::ALL, &Progress::silent()).unwrap();
    let direct = summarize_run(&direct).unwrap().remove(0).gen_error;
    let sim = &r.tables[1].1;
    assert_eq!((sim.column("gen_error")[0], sim.column("gen_se")[0]), (direct.mean, direct.se));

    let spec = FigureSpec::parse(
        "kind = \"errors-vs-lambda\"\nalpha = \"1.5\"\nlambda = \"1e-3:100:30:log\"\nmask_ratio = \"0.15\"\n[model]\nar1 = 0.8\n[simulation]\nd = 120\ntrials = 2\nseed = 4\npoints = \"0.1\"\n",
        "t",
    )
    .unwrap();
    let r = build(&spec, "t", base, true).unwrap();
    let opt = &r.tables[1].1;
    let (l, loss) = (opt.column("lambda_opt")[0], opt.column("gen_error_opt")[0]);
    assert!((errors_masked(&pop, 1.5, l, 0.15, None).unwrap().gen_error - loss).abs() < 1e-12);
    for f in [0.9, 1.1] {
        assert!(errors_masked(&pop, 1.5, l * f, 0.15, None).unwrap().gen_error > loss, "lambda0* = {l} is not a minimum");
    }
    // one value only: a grid of p belongs to loss-vs-mask-ratio
    let spec = FigureSpec::parse("kind = \"errors-vs-alpha\"\nalpha = \"2\"\nlambda = \"0.1\"\nmask_ratio = \"0.1,0.5\"\n[simulation]\npoints = \"2\"\n", "t").unwrap();
    let e = build(&spec, "t", base, true).err().expect("a grid of p is refused").to_string();
    assert!(e.contains("'mask_ratio' takes one value"), "{e}");
}

#[test]
fn isotropic_masked_edge_and_threshold_have_closed_forms() {
    // Σ = I: K -> (1-p) S + (p + lambda0/(1-p)) I and D -> dbar I, so by (S10) A_p's right edge is
    // (1 - 1/(dbar ((1-p)(1+sqrt(gamma))^2 + Lambda))) / (1-p), with dbar the Marchenko-Pastur
    // root of gamma e Lambda q^2 + (e + Lambda - gamma e) q - 1 = 0 (e = 1-p, Lambda = p + lambda0/(1-p));
    // and the spike of (1-p)(I + theta v v') is detected at theta = sqrt(gamma) whatever p is, its
    // outlier the image of S's (1+theta)(1+gamma/theta) under the same map
    use masked_ssr::spikes::{Spike, SpikeContext, Support};
    let iso = Population::isotropic();
    for (alpha, lambda0) in [(0.5, 0.1), (2.0, 0.1), (2.0, 1.0), (4.0, 0.01)] {
        let gamma: f64 = 1.0 / alpha;
        for p in [0.0, 0.15, 0.5, 0.75] {
            let (e, big_lambda) = (1.0 - p, p + lambda0 / (1.0 - p));
            let b = e + big_lambda - gamma * e;
            let q = (-b + (b * b + 4.0 * gamma * e * big_lambda).sqrt()) / (2.0 * gamma * e * big_lambda);
            let edge = (1.0 - 1.0 / (q * (e * (1.0 + gamma.sqrt()).powi(2) + big_lambda))) / (1.0 - p);
            let rep = SpikeContext::masked(&iso, alpha, lambda0, p).unwrap().report(&Spike { theta: 2.0, support: Support::All }).unwrap();
            assert!((rep.ssr_edge - edge).abs() < 1e-8 * edge.abs().max(1.0), "alpha {alpha} lambda0 {lambda0} p {p}: edge {} vs {edge}", rep.ssr_edge);
            assert!((rep.ssr_threshold - gamma.sqrt()).abs() < 1e-8, "alpha {alpha} lambda0 {lambda0} p {p}: threshold {}", rep.ssr_threshold);
            // above it, the outlier maps S's BBP outlier (1+theta)(1+gamma/theta) the same way
            let s_out = 3.0 * (1.0 + gamma / 2.0);
            let outlier = (1.0 - 1.0 / (q * (e * s_out + big_lambda))) / (1.0 - p);
            let got = rep.ssr_outlier.unwrap();
            assert!((got - outlier).abs() < 1e-8 * outlier.abs().max(1.0), "alpha {alpha} lambda0 {lambda0} p {p}: outlier {got} vs {outlier}");
        }
    }
}
