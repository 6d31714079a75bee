//! Robustness sweep (issue #5): random parameter points through errors, edges, thresholds and
//! outliers. Each solve either converges with a small residual and finite outputs, or returns a
//! typed error; never NaN, never a panic, never a hang. Invariants are checked on the way.
//! `MSSR_SWEEP=N` sets the number of points (default 10000; e.g. 100000 for the long version).
use masked_ssr::model::Population;
use masked_ssr::solver::errors;
use masked_ssr::spectral::Problem;
use masked_ssr::spikes::{Spike, SpikeContext, Support};
use masked_ssr::Error;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn log_uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    (lo.ln() + rng.random::<f64>() * (hi.ln() - lo.ln())).exp()
}

#[derive(Debug)]
struct Point {
    pop: Population,
    alpha: f64,
    lambda: f64,
    theta: f64,
    isotropic: bool,
}

fn random_point(rng: &mut ChaCha8Rng) -> Point {
    let alpha = log_uniform(rng, 0.05, 50.0);
    let lambda = if alpha > 1.0 && rng.random::<f64>() < 0.1 { 0.0 } else { log_uniform(rng, 1e-6, 100.0) };
    let theta = log_uniform(rng, 1e-3, 1e3);
    let (pop, isotropic) = if rng.random::<f64>() < 0.2 {
        let rho = rng.random::<f64>() * 0.999 * if rng.random::<bool>() { 1.0 } else { -1.0 };
        (Population::ar1(rho).unwrap(), false)
    } else {
        let k = rng.random_range(1..=8);
        let psi: Vec<f64> = (0..k).map(|_| log_uniform(rng, 1e-3, 1e3)).collect();
        let raw: Vec<f64> = (0..k).map(|_| 0.05 + rng.random::<f64>()).collect();
        let total: f64 = raw.iter().sum();
        let w: Vec<f64> = raw.iter().map(|x| x / total).collect();
        let w_fixed: Vec<f64> = {
            // make the weights sum to 1 to rounding
            let mut v = w.clone();
            let s: f64 = v[..k - 1].iter().sum();
            v[k - 1] = 1.0 - s;
            v
        };
        (Population::atoms(&psi, &w_fixed).unwrap(), k == 1)
    };
    Point { pop, alpha, lambda, theta, isotropic }
}

/// Tally of outcomes: converged, or a typed error (by kind).
#[derive(Default, Debug)]
struct Tally {
    ok: usize,
    no_convergence: usize,
    numerical: usize,
    input: usize,
    examples: Vec<String>,
}

impl Tally {
    fn error(&mut self, e: &Error, p: &Point, what: &str) {
        match e {
            Error::NoConvergence { .. } => self.no_convergence += 1,
            Error::Numerical(_) => self.numerical += 1,
            _ => self.input += 1,
        }
        let msg = e.to_string();
        assert!(!msg.is_empty());
        if self.examples.len() < 8 {
            self.examples.push(format!("{what} at alpha={} lambda={} theta={} {}: {msg}", p.alpha, p.lambda, p.theta, p.pop.label));
        }
    }
}

fn finite(x: f64, what: &str, p: &Point) {
    assert!(x.is_finite(), "{what} = {x} at {p:?}");
}

#[test]
fn random_parameter_sweep() {
    let n: usize = std::env::var("MSSR_SWEEP").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let mut rng = ChaCha8Rng::seed_from_u64(20261203);
    let (mut err_t, mut spike_t, mut edge_t) = (Tally::default(), Tally::default(), Tally::default());
    let mut hf_checked = 0;
    for k in 0..n {
        let p = random_point(&mut rng);
        match errors(&p.pop, p.alpha, p.lambda, None) {
            Ok(e) => {
                err_t.ok += 1;
                for (x, w) in [(e.delta, "delta"), (e.train_error, "train"), (e.gen_error, "gen"), (e.bayes_error, "bayes"), (e.residual, "residual")] {
                    finite(x, w, &p);
                }
                assert!(e.residual < 1e-10, "residual {} at {p:?}", e.residual);
                assert!(e.gen_error >= e.bayes_error * (1.0 - 1e-9), "E_gen {} below Bayes {} at {p:?}", e.gen_error, e.bayes_error);
                assert!(e.train_error >= -1e-12, "negative training error {} at {p:?}", e.train_error);
            }
            Err(e) => err_t.error(&e, &p, "errors"),
        }
        // the full multi-interval edge finder (spectrum command) on every 20th point, AR(1) included
        if k % 20 == 0 {
            let problems = [Problem::ssr(&p.pop, p.alpha, p.lambda), Problem::pca(&p.pop, p.alpha)];
            for pr in problems {
                match pr.and_then(|q| q.edges(200).map(|e| (q, e))) {
                    Ok((q, iv)) => {
                        edge_t.ok += 1;
                        assert!(!iv.is_empty(), "no bulk interval at {p:?}");
                        for w in iv.windows(2) {
                            assert!(w[0].1.t < w[1].0.t, "intervals out of order at {p:?}");
                        }
                        for (lo, hi) in &iv {
                            assert!(lo.t <= hi.t && lo.t.is_finite() && hi.t.is_finite(), "{:?} interval [{}, {}] at {p:?}", q.method, lo.t, hi.t);
                            assert!(lo.residual < 1e-10 && hi.residual < 1e-10, "{:?} edge residuals {} {} at {p:?}", q.method, lo.residual, hi.residual);
                        }
                    }
                    Err(e) => edge_t.error(&e, &p, "edges"),
                }
            }
        }
        if matches!(p.pop.coords, masked_ssr::model::Coordinates::Diagonal) {
            let ctx = match SpikeContext::new(&p.pop, p.alpha, p.lambda) {
                Ok(c) => c,
                Err(e) => {
                    spike_t.error(&e, &p, "edges");
                    continue;
                }
            };
            for (edge, w) in [(ctx.ssr_edge.residual, "ssr edge"), (ctx.pca_edge.residual, "pca edge")] {
                assert!(edge < 1e-10, "{w} residual {edge} at {p:?}");
            }
            let sp = Spike { theta: p.theta, support: Support::All };
            match (ctx.threshold_only(&sp), ctx.threshold_only(&Spike { theta: p.theta * 1.5, support: Support::All })) {
                (Ok(a), Ok(b)) => {
                    spike_t.ok += 1;
                    for (t, name) in [(&a.0, "ssr"), (&a.1, "pca")] {
                        assert!(t.threshold > 0.0 && t.threshold.is_finite(), "{name} threshold {} at {p:?}", t.threshold);
                        assert_eq!(t.outlier.is_some(), t.theta > t.threshold, "{name}: outlier iff theta > threshold at {p:?}");
                        if let Some(o) = t.outlier {
                            assert!(o >= t.edge, "{name}: outlier {o} below edge {} at {p:?}", t.edge);
                        }
                        assert!((0.0..=1.0).contains(&t.overlap), "{name} overlap {} at {p:?}", t.overlap);
                    }
                    // (13) measures against Dbar^{-1/2} v, which is not where the eigenvector goes as theta
                    // grows (it tends to Dbar^{1/2} v), so monotonicity is checked on PCA's overlap here and
                    // on A-hat's right eigenvector (13b) on every tenth point below
                    assert!(b.1.overlap >= a.1.overlap - 1e-9, "PCA overlap not increasing in theta at {p:?}");
                    if k % 10 == 0 && a.0.outlier.is_some() {
                        match (ctx.report(&sp), ctx.report(&Spike { theta: p.theta * 1.5, support: Support::All })) {
                            (Ok(ra), Ok(rb)) => {
                                for x in [ra.ssr_overlap, ra.ssr_left_overlap, rb.ssr_overlap, rb.ssr_left_overlap] {
                                    assert!((-1e-9..=1.0 + 1e-9).contains(&x), "eigenvector overlap {x} outside [0, 1] at {p:?}");
                                }
                                assert!(rb.ssr_overlap >= ra.ssr_overlap - 1e-6, "right overlap {} -> {} not increasing at {p:?}", ra.ssr_overlap, rb.ssr_overlap);
                                hf_checked += 1;
                            }
                            (Err(e), _) | (_, Err(e)) => spike_t.error(&e, &p, "eigenvector overlaps"),
                        }
                    }
                    if p.isotropic {
                        let rel = (a.0.threshold - a.1.threshold).abs() / a.1.threshold;
                        assert!(rel < 1e-6, "isotropic: SSR threshold {} != PCA {} at {p:?}", a.0.threshold, a.1.threshold);
                    }
                }
                (Err(e), _) | (_, Err(e)) => spike_t.error(&e, &p, "spike"),
            }
        }
    }
    eprintln!("errors: {err_t:?}\nspikes: {spike_t:?}\nedges: {edge_t:?}\neigenvector overlaps checked at {hf_checked} points");
    // measured on the default 10000-point sweep: 4 of 1000 multi-interval edge solves return a
    // typed NoConvergence (13 before delta(z) solved near point masses in u = 1/(1+delta)), all
    // at alpha < 0.4, the 2x2 edge Newton in delta next to a point mass b_j lambda_j
    assert!(edge_t.no_convergence + edge_t.numerical <= edge_t.ok / 100 + 1, "edges: {edge_t:?}");
    // typed errors are allowed but must stay rare: every one names where it failed
    assert!(err_t.no_convergence + err_t.numerical <= n / 1000, "errors: {err_t:?}");
    assert!(spike_t.no_convergence + spike_t.numerical <= n / 100, "spikes: {spike_t:?}");
}
