//! Diagnostic behind theory/README.md section 10 ("Spectrum of A_p"): the top eigenvalue of A_p
//! (eq. (14)) for model H with a spike theta = 2 at masking ratio p, with K built from Diag(S)
//! as in (14) and, for comparison, from Diag(Σ) as in the asymptotic step (S8). A fresh spike
//! direction per trial.
//!
//!   cargo run --release --example masked_outlier -- D TRIALS [P]
//!
//! Theory for p = 0.5: `mssr spikes --noise 0.5:0.5,2:0.5 --alpha 2 --lambda 0.1 --spike 2 --mask-ratio 0.5`.
use faer::{Mat, Par, Side};
use masked_ssr::model::Population;
use masked_ssr::simulation::{gram, inverse_spd, trial_rng, SigmaAtD, Stat};
use masked_ssr::spikes::{Spike, Support};

/// Largest eigenvalue of T_K = D^{1/2} K D^{1/2}, D = Diag(K^{-1}).
fn top_t(k: &Mat<f64>) -> f64 {
    let d = k.nrows();
    let r = inverse_spd(k, 0, 0.0).expect("K is positive definite");
    let sq: Vec<f64> = (0..d).map(|i| r[(i, i)].sqrt()).collect();
    let t = Mat::from_fn(d, d, |i, j| sq[i] * k[(i, j)] * sq[j]);
    t.self_adjoint_eigenvalues(Side::Lower).expect("symmetric")[d - 1]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: masked_outlier D TRIALS [P]";
    let d: usize = args.get(1).and_then(|s| s.parse().ok()).expect(usage);
    let trials: u64 = args.get(2).and_then(|s| s.parse().ok()).expect(usage);
    let p: f64 = args.get(3).map(|s| s.parse().expect(usage)).unwrap_or(0.5);
    let pop = Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap();
    let (alpha, lambda0, theta) = (2.0, 0.1, 2.0);
    let n = (alpha * d as f64) as usize;
    let keep = 1.0 - p;
    let a_of = |t: f64| (1.0 - 1.0 / t) / keep;
    let (mut with_s, mut with_sigma) = (Vec::new(), Vec::new());
    for t in 0..trials {
        let sigma = SigmaAtD::with_spikes(&pop, d, &[Spike { theta, support: Support::All }], 100 + t).unwrap();
        let psi = sigma.diagonal();
        let s = gram(sigma.sample(n, &mut trial_rng(7, t)).as_ref(), Par::rayon(2));
        let k_s = Mat::from_fn(d, d, |i, j| if i == j { s[(i, i)] + lambda0 / keep } else { keep * s[(i, j)] });
        let k_sigma = Mat::from_fn(d, d, |i, j| if i == j { keep * s[(i, i)] + p * psi[i] + lambda0 / keep } else { keep * s[(i, j)] });
        with_s.push(a_of(top_t(&k_s)));
        with_sigma.push(a_of(top_t(&k_sigma)));
    }
    for (name, v) in [("K with Diag(S) (eq. 14)", &with_s), ("K with Diag(Sigma) (S8)", &with_sigma)] {
        let st = Stat::of(v);
        println!("d = {d}, p = {p}, {trials} trials, {name}: top eigenvalue of A_p {:.5} +- {:.5}", st.mean, st.se);
    }
}
