//! Gallery figures of the masking ratio (issue #6): test loss (15) against p with simulation,
//! and the optimal masking ratio against alpha.
use crate::error::{Error, Result};
use crate::figures::{grid_of as grid, line, marker_series, one_of as one, sim_legend, sim_of, support_of, FigureSpec, Rendered};
use crate::optimize::{optimal_lambda, optimal_mask_ratio};
use crate::plotting::{Figure, Panel, Series, Style};
use crate::progress::Progress;
use crate::shard::Shard;
use crate::simulation::{run_trials_masked, summarize_run, SimConfig};
use crate::solver::errors_masked;
use crate::spec::{parse_grid, ModelSpec};
use crate::table::Table;

/// Test loss (15) against the masking ratio p for several alpha, simulation markers, and the
/// one-at-a-time SSR error (p -> 0) as a reference.
pub fn loss_vs_mask_ratio(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<Rendered> {
    let pop = model.build()?;
    let alphas = grid(&spec.alpha, "alpha", name)?;
    let lambda = one(&spec.lambda, "lambda", name)?;
    let ps = grid(&spec.mask_ratio, "mask_ratio", name)?;
    let sim = sim_of(spec, name)?;
    let sim_ps = parse_grid("simulation.points", &sim.points)?;
    let mut theory = Table::new(&["alpha", "mask_ratio", "test_loss"]);
    let mut simt = Table::new(&["alpha", "mask_ratio", "d", "test_loss", "test_loss_se"]);
    let progress = Progress::new(format!("{name}: simulation trials"), sim.trials * sim_ps.len() * alphas.len(), quiet);
    let mut series = Vec::new();
    let mut d_used = sim.d;
    for (i, &a) in alphas.iter().enumerate() {
        let ys = ps.iter().map(|&p| errors_masked(&pop, a, lambda, p, None).map(|e| e.gen_error)).collect::<Result<Vec<f64>>>()?;
        for (&p, &y) in ps.iter().zip(&ys) {
            theory.push(vec![a, p, y]);
        }
        let (popt, lopt) = optimal_mask_ratio(&pop, a, lambda)?;
        series.push(line(Some(format!("theory α = {a} (best p = {popt:.2})")), i, ps.clone(), ys));
        series.push(Series { label: None, color: i, style: Style::Rings, x: vec![popt], y: vec![lopt], y2: vec![] });
        let (mut sx, mut sy, mut se) = (Vec::new(), Vec::new(), Vec::new());
        for &p in &sim_ps {
            let run = run_trials_masked(&pop, &[], false, a, &[lambda], p, SimConfig { d: sim.d, trials: sim.trials, seed: sim.seed }, Shard::ALL, &progress)?;
            let r = summarize_run(&run)?.remove(0);
            d_used = r.d;
            simt.push(vec![a, p, r.d as f64, r.gen_error.mean, r.gen_error.se]);
            sx.push(p);
            sy.push(r.gen_error.mean);
            se.push(r.gen_error.se);
        }
        series.push(marker_series(None, i, sx, sy, se));
    }
    series.push(Series { label: Some("best p (minimum of (15)), colour of its curve".into()), color: 7, style: Style::Rings, x: vec![], y: vec![], y2: vec![] });
    series.push(sim_legend(d_used));
    let title = spec.title.clone().unwrap_or_else(|| format!("Masked prediction: test loss against the masking ratio, {}, λ0 = {lambda}", pop.label));
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![Panel {
                title: "loss per masked coordinate (15); rings: the best p".into(),
                x_label: "masking ratio p".into(),
                y_label: "test loss L_p".into(),
                series,
                ..Default::default()
            }],
            width: 1000,
            height: 660,
        },
        tables: vec![("theory".into(), theory), ("simulation".into(), simt)],
    })
}

/// The masking ratio minimizing (15) against alpha at fixed lambda0, beside the loss at the best p
/// and the loss of one-at-a-time SSR (at the same lambda0 and at its own best lambda).
pub fn optimal_mask_ratio_figure(spec: &FigureSpec, model: &ModelSpec, name: &str, _quiet: bool) -> Result<Rendered> {
    let pop = model.build()?;
    let alphas = grid(&spec.alpha, "alpha", name)?;
    let lambda = one(&spec.lambda, "lambda", name)?;
    let mut t = Table::new(&["alpha", "p_opt", "loss_p_opt", "ssr_loss", "ssr_loss_best_lambda"]);
    for &a in &alphas {
        let (p, l) = optimal_mask_ratio(&pop, a, lambda)?;
        let ssr = crate::optimize::ssr_loss_beside_masking(&pop, a, lambda)?;
        let (_, best) = optimal_lambda(&pop, a, 1e-4, 1e2)?;
        t.push(vec![a, p, l, ssr, best]);
    }
    let x = t.column("alpha");
    // p* is at most P_MAX; leave a quarter of headroom above the curve instead of the whole [0, 1]
    let p_top = t.column("p_opt").into_iter().fold(0.0, f64::max);
    let p_range = (0.0, (1.25 * p_top).clamp(0.05, 1.0));
    let title = spec.title.clone().unwrap_or_else(|| format!("Optimal masking ratio against α: {}, λ0 = {lambda}", pop.label));
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![
                Panel {
                    title: "the masking ratio minimizing (15) (argmin, Brent)".into(),
                    x_label: "α = n/d".into(),
                    y_label: "optimal p".into(),
                    x_log: true,
                    y_range: Some(p_range),
                    series: vec![line(Some("optimal p".into()), 0, x.clone(), t.column("p_opt"))],
                    ..Default::default()
                },
                Panel {
                    title: "test loss".into(),
                    x_label: "α = n/d".into(),
                    y_label: "loss per masked coordinate".into(),
                    x_log: true,
                    series: vec![
                        line(Some("masking, best p".into()), 0, x.clone(), t.column("loss_p_opt")),
                        Series { label: Some(format!("one-at-a-time SSR, λ = {lambda}")), color: 1, style: Style::Dashed, x: x.clone(), y: t.column("ssr_loss"), y2: vec![] },
                        Series { label: Some("one-at-a-time SSR, best λ".into()), color: 2, style: Style::Dashed, x, y: t.column("ssr_loss_best_lambda"), y2: vec![] },
                    ],
                    ..Default::default()
                },
            ],
            width: 1400,
            height: 600,
        },
        tables: vec![("theory".into(), t)],
    })
}

/// Detection under masking: the SSR/PCA threshold ratio against p for several alpha (theory
/// (12) through (S10); PCA does not depend on p), and the squared cosine of A_p's top right
/// eigenvector with the spike against p at one theta (13b), with simulation markers for A_p and PCA.
pub fn detection_vs_mask_ratio(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<Rendered> {
    use crate::spikes::{Spike, SpikeContext};
    let pop = model.build()?;
    let alphas = grid(&spec.alpha, "alpha", name)?;
    let lambda = one(&spec.lambda, "lambda", name)?;
    let ps = grid(&spec.mask_ratio, "mask_ratio", name)?;
    let theta = one(&spec.theta, "theta", name)?;
    let support = support_of(spec, &pop, name)?;
    let spike = Spike { theta, support };
    let sim = sim_of(spec, name)?;
    let sim_ps = parse_grid("simulation.points", &sim.points)?;
    let mut theory = Table::new(&["alpha", "mask_ratio", "ssr_threshold", "pca_threshold", "ratio", "ssr_overlap", "pca_overlap"]);
    let mut ratio_series = Vec::new();
    // curves in increasing alpha (the legend reads in order); the right panel uses the spec's first alpha
    let mut sorted = alphas.clone();
    sorted.sort_by(f64::total_cmp);
    for (i, &a) in sorted.iter().enumerate() {
        let mut ys = Vec::new();
        for &p in &ps {
            let r = SpikeContext::masked(&pop, a, lambda, p)?.report(&spike)?;
            theory.push(vec![a, p, r.ssr_threshold, r.pca_threshold, r.ssr_threshold / r.pca_threshold, r.ssr_overlap, r.pca_overlap]);
            ys.push(r.ssr_threshold / r.pca_threshold);
        }
        ratio_series.push(line(Some(format!("α = {a}")), i, ps.clone(), ys));
    }
    ratio_series.push(Series { label: Some("PCA (ratio 1)".into()), color: 7, style: Style::Dashed, x: vec![ps[0], ps[ps.len() - 1]], y: vec![1.0, 1.0], y2: vec![] });
    // right panel at the first alpha
    let a0 = alphas[0];
    let rows: Vec<Vec<f64>> = theory.rows.iter().filter(|r| r[0] == a0).cloned().collect();
    let col = |k: usize| rows.iter().map(|r| r[k]).collect::<Vec<f64>>();
    let mut simt = Table::new(&["alpha", "mask_ratio", "d", "ssr_overlap", "ssr_overlap_se", "pca_overlap", "pca_overlap_se"]);
    let progress = Progress::new(format!("{name}: simulation trials"), sim.trials * sim_ps.len(), quiet);
    let (mut ssr_y, mut ssr_se, mut pca_y, mut pca_se) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut d_used = sim.d;
    for &p in &sim_ps {
        let run = run_trials_masked(&pop, &[spike], true, a0, &[lambda], p, SimConfig { d: sim.d, trials: sim.trials, seed: sim.seed }, Shard::ALL, &progress)?;
        let r = summarize_run(&run)?.remove(0);
        d_used = r.d;
        let o = &r.spectrum.as_ref().ok_or_else(|| Error::Numerical(format!("{name}: spectral simulation missing")))?.spikes[0];
        simt.push(vec![a0, p, r.d as f64, o.ssr_overlap.mean, o.ssr_overlap.se, o.pca_overlap.mean, o.pca_overlap.se]);
        ssr_y.push(o.ssr_overlap.mean);
        ssr_se.push(o.ssr_overlap.se);
        pca_y.push(o.pca_overlap.mean);
        pca_se.push(o.pca_overlap.se);
    }
    let pca_label = if col(6).iter().all(|&o| o == 0.0) { format!("PCA (13): 0, θ = {theta} is below its threshold") } else { "PCA (13)".to_string() };
    let overlap_series = vec![
        line(Some("A_p, right eigenvector (13b)".into()), 0, col(1), col(5)),
        Series { label: Some(pca_label), color: 1, style: Style::Dashed, x: col(1), y: col(6), y2: vec![] },
        marker_series(Some(format!("A_p simulation d = {d_used} (± s.e.)")), 0, sim_ps.clone(), ssr_y, ssr_se),
        marker_series(Some(format!("PCA simulation d = {d_used} (± s.e.)")), 1, sim_ps, pca_y, pca_se),
    ];
    let title = spec.title.clone().unwrap_or_else(|| format!("Spike detection under masking: {}, λ0 = {lambda}", pop.label));
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![
                Panel {
                    title: "BBP threshold of A_p over PCA's (below 1: SSR detects weaker spikes)".into(),
                    x_label: "masking ratio p".into(),
                    y_label: "threshold ratio θc(A_p) / θc(PCA)".into(),
                    y_range: Some((0.0, 1.1)),
                    series: ratio_series,
                    ..Default::default()
                },
                Panel {
                    title: format!("recovery of the spike θ = {theta} at α = {a0} (simulation: the same samples at every p)"),
                    x_label: "masking ratio p".into(),
                    y_label: "squared cosine with the spike".into(),
                    // a little room below 0, so PCA's zero line stands clear of the axis
                    y_range: Some((-0.04, 1.0)),
                    series: overlap_series,
                    ..Default::default()
                },
            ],
            width: 1400,
            height: 600,
        },
        tables: vec![("theory".into(), theory), ("simulation".into(), simt)],
    })
}
