//! Gallery figures of the spectral side (issue #3): histogram vs density, top eigenvalue and
//! overlaps against theta, (alpha, theta) phase diagram, SSR/PCA threshold ratio.
use crate::error::{Error, Result};
use crate::figures::{line, marker_series, one_of, sim_legend, sim_of, support_of as support, FigureSpec, Rendered};
use crate::model::Population;
use crate::plotting::{Figure, Panel, Series, Style};
use crate::progress::Progress;
use crate::report::spectrum_theory;
use crate::simulation::{simulate, SimConfig, SimErrors};
use crate::spec::{parse_grid, ModelSpec};
use crate::spectral::a_of_t;
use crate::spikes::{Spike, SpikeContext, SpikeReport, Support};
use crate::table::Table;


/// Histogram of A-hat's eigenvalues (one simulation with a spike) against the density (10).
pub fn histogram(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<Rendered> {
    let pop = model.build()?;
    let alpha = one_of(&spec.alpha, "alpha", name)?;
    let lambda = one_of(&spec.lambda, "lambda", name)?;
    let theta = one_of(&spec.theta, "theta", name)?;
    let sim = sim_of(spec, name)?;
    let spike = Spike { theta, support: support(spec, &pop, name)? };
    let th = spectrum_theory(&pop, alpha, lambda, 600)?;
    let rep = SpikeContext::new(&pop, alpha, lambda)?.report(&spike)?;
    let progress = Progress::new(format!("{name}: simulation"), 1, quiet);
    let r = simulate(&pop, &[spike], true, alpha, &[lambda], SimConfig { d: sim.d, trials: 1, seed: sim.seed }, &progress)?.remove(0);
    let eig = &r.ssr_eigenvalues;
    let bins = spec.bins.unwrap_or(60);
    let (lo, hi) = (th.table.column("a")[0], *th.table.column("a").last().expect("grid"));
    let top = eig.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    // the axis holds the simulated top eigenvalue and the theory outlier
    let hi = hi.max(top.max(rep.ssr_outlier.unwrap_or(top)) + 0.02 * (hi - lo));
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0.0; bins];
    for &a in eig {
        let k = (((a - lo) / width).floor() as isize).clamp(0, bins as isize - 1) as usize;
        counts[k] += 1.0;
    }
    let dn = eig.len() as f64;
    let heights: Vec<f64> = counts.iter().map(|c| c / (dn * width)).collect();
    let edges_x: Vec<f64> = (0..=bins).map(|i| lo + width * i as f64).collect();
    let mut hist = Table::new(&["bin_lo", "bin_hi", "density"]);
    for i in 0..bins {
        hist.push(vec![edges_x[i], edges_x[i + 1], heights[i]]);
    }
    let a_edges: Vec<f64> = th.ssr_edges_t.iter().flat_map(|&(l, h)| [a_of_t(l), a_of_t(h)]).collect();
    let mut series = vec![
        Series { label: Some(format!("eigenvalues of Â, one simulation (d = {}, n = {})", r.d, r.n)), color: 0, style: Style::Histogram, x: edges_x, y: heights, y2: vec![] },
        line(Some("theory density (10)".into()), 1, th.table.column("a"), th.table.column("ssr_density")),
        Series { label: Some("bulk edges (exact)".into()), color: 7, style: Style::VLines, x: a_edges, y: vec![], y2: vec![] },
    ];
    // alpha < 1: a noise atom of weight w > alpha leaves a point mass w - alpha (eigenvalues b lam)
    if !th.ssr_point_masses.is_empty() {
        let masses: Vec<String> = th.ssr_point_masses.iter().map(|&(t, w)| format!("{w:.3} at a = {:.3}", a_of_t(t))).collect();
        let xs = th.ssr_point_masses.iter().map(|&(t, _)| a_of_t(t)).collect();
        series.push(Series { label: Some(format!("point mass {} (theory)", masses.join(", "))), color: 4, style: Style::VLines, x: xs, y: vec![], y2: vec![] });
    }
    if let Some(a) = rep.ssr_outlier {
        series.push(Series { label: Some(format!("outlier a* = {a:.4} (theory)")), color: 3, style: Style::VLines, x: vec![a], y: vec![], y2: vec![] });
    }
    series.push(Series { label: Some("top eigenvalue (simulation)".into()), color: 3, style: Style::Markers, x: vec![top], y: vec![0.0], y2: vec![] });
    let title = spec.title.clone().unwrap_or_else(|| format!("Spectrum of Â: {}, spike θ = {theta}, α = {alpha}, λ = {lambda}", pop.label));
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![Panel { title: "histogram against the limiting density".into(), x_label: "eigenvalue a of Â".into(), y_label: "density".into(), series, ..Default::default() }],
            width: 1000,
            height: 640,
        },
        tables: vec![("theory".into(), th.table), ("histogram".into(), hist)],
    })
}

/// Theory reports along a theta grid, and simulations at the simulated thetas.
fn theta_sweep(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<(Population, f64, f64, Vec<SpikeReport>, Vec<SimErrors>, Vec<f64>)> {
    let pop = model.build()?;
    let alpha = one_of(&spec.alpha, "alpha", name)?;
    let lambda = one_of(&spec.lambda, "lambda", name)?;
    let thetas = parse_grid("theta", spec.theta.as_deref().ok_or_else(|| Error::input(format!("{name}: missing key 'theta'")))?)?;
    let sim = sim_of(spec, name)?;
    let sim_thetas = parse_grid("simulation.points", &sim.points)?;
    let ctx = SpikeContext::new(&pop, alpha, lambda)?;
    let sup = support(spec, &pop, name)?;
    let reps = thetas.iter().map(|&theta| ctx.report(&Spike { theta, support: sup })).collect::<Result<Vec<_>>>()?;
    let progress = Progress::new(format!("{name}: simulation trials"), sim.trials * sim_thetas.len(), quiet);
    let cfg = SimConfig { d: sim.d, trials: sim.trials, seed: sim.seed };
    let mut sims = Vec::new();
    for &theta in &sim_thetas {
        sims.push(simulate(&pop, &[Spike { theta, support: sup }], true, alpha, &[lambda], cfg, &progress)?.remove(0));
    }
    Ok((pop, alpha, lambda, reps, sims, sim_thetas))
}

/// Top eigenvalue of A-hat and of S against theta: outlier or edge, thresholds, simulation.
pub fn top_eigenvalue(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<Rendered> {
    let (pop, alpha, lambda, reps, sims, st) = theta_sweep(spec, model, name, quiet)?;
    let th: Vec<f64> = reps.iter().map(|r| r.theta).collect();
    let mut theory = Table::new(&["theta", "ssr_top", "pca_top", "ssr_edge", "pca_edge", "ssr_threshold", "pca_threshold"]);
    for r in &reps {
        theory.push(vec![r.theta, r.ssr_outlier.unwrap_or(r.ssr_edge), r.pca_outlier.unwrap_or(r.pca_edge), r.ssr_edge, r.pca_edge, r.ssr_threshold, r.pca_threshold]);
    }
    let mut simt = Table::new(&["theta", "d", "ssr_top", "ssr_top_se", "pca_top", "pca_top_se"]);
    for (s, &theta) in sims.iter().zip(&st) {
        let sp = s.spectrum.as_ref().expect("spectral simulation");
        simt.push(vec![theta, s.d as f64, sp.ssr_top_eigenvalue.mean, sp.ssr_top_eigenvalue.se, sp.pca_top_eigenvalue.mean, sp.pca_top_eigenvalue.se]);
    }
    let d = sims.first().map(|s| s.d).unwrap_or(0);
    let r0 = &reps[0];
    let panel = |top: &str, se: &str, edge: f64, thr: f64, what: &str, ylab: &str| Panel {
        title: format!("{what}: threshold θc = {thr:.4}"),
        x_label: "spike strength θ".into(),
        y_label: ylab.into(),
        series: vec![
            line(Some("theory: outlier (11), edge below θc".into()), 0, th.clone(), theory.column(top)),
            marker_series(Some(format!("simulation d = {d} (± s.e.)")), 1, simt.column("theta"), simt.column(top), simt.column(se)),
            Series { label: Some(format!("bulk edge {edge:.4}")), color: 7, style: Style::HLine, x: vec![], y: vec![edge], y2: vec![] },
            Series { label: Some("BBP threshold (12)".into()), color: 3, style: Style::VLines, x: vec![thr], y: vec![], y2: vec![] },
        ],
        ..Default::default()
    };
    let title = spec.title.clone().unwrap_or_else(|| format!("Top eigenvalue against θ: {}, α = {alpha}, λ = {lambda}", pop.label));
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![
                panel("ssr_top", "ssr_top_se", r0.ssr_edge, r0.ssr_threshold, "SSR (top eigenvalue of Â)", "top eigenvalue of Â"),
                panel("pca_top", "pca_top_se", r0.pca_edge, r0.pca_threshold, "PCA (top eigenvalue of S)", "top eigenvalue of S"),
            ],
            width: 1400,
            height: 600,
        },
        tables: vec![("theory".into(), theory), ("simulation".into(), simt)],
    })
}

/// Squared overlaps against theta: SSR (right and left eigenvectors of A-hat), PCA, oracle PCA.
pub fn overlaps(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<Rendered> {
    let (pop, alpha, lambda, reps, sims, st) = theta_sweep(spec, model, name, quiet)?;
    let th: Vec<f64> = reps.iter().map(|r| r.theta).collect();
    let keys = ["ssr_overlap", "ssr_left_overlap", "pca_overlap", "oracle_whitened_pca_overlap"];
    let labels = ["SSR, right eigenvector of Â (13b)", "SSR, left eigenvector of Â (13b)", "PCA (13)", "oracle-whitened PCA"];
    let mut theory = Table::new(&["theta", keys[0], keys[1], keys[2], keys[3]]);
    for r in &reps {
        theory.push(vec![r.theta, r.ssr_overlap, r.ssr_left_overlap, r.pca_overlap, r.oracle_whitened_pca_overlap]);
    }
    let mut cols = vec!["theta".to_string(), "d".to_string()];
    for k in keys {
        cols.push(k.to_string());
        cols.push(format!("{k}_se"));
    }
    let mut simt = Table { columns: cols, rows: Vec::new() };
    for (s, &theta) in sims.iter().zip(&st) {
        let o = &s.spectrum.as_ref().expect("spectral simulation").spikes[0];
        let stats = [&o.ssr_overlap, &o.ssr_left_overlap, &o.pca_overlap, &o.oracle_whitened_pca_overlap];
        let mut row = vec![theta, s.d as f64];
        for st in stats {
            row.push(st.mean);
            row.push(st.se);
        }
        simt.push(row);
    }
    let d = sims.first().map(|s| s.d).unwrap_or(0);
    let mut series = Vec::new();
    for (i, (k, lab)) in keys.iter().zip(labels).enumerate() {
        series.push(line(Some(lab.into()), i, th.clone(), theory.column(k)));
        series.push(marker_series(None, i, simt.column("theta"), simt.column(k), simt.column(&format!("{k}_se"))));
    }
    series.push(sim_legend(d));
    let r0 = &reps[0];
    for (color, what, x) in [(0, "SSR", r0.ssr_threshold), (2, "PCA", r0.pca_threshold), (3, "oracle", r0.oracle_whitened_pca_threshold)] {
        series.push(Series { label: Some(format!("{what} threshold {x:.3}")), color, style: Style::VLines, x: vec![x], y: vec![], y2: vec![] });
    }
    let title = spec.title.clone().unwrap_or_else(|| format!("Squared overlaps with the spike: {}, α = {alpha}, λ = {lambda}", pop.label));
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![Panel { title: "top eigenvector vs spike direction".into(), x_label: "spike strength θ".into(), y_label: "squared overlap".into(), y_range: Some((0.0, 1.0)), series, ..Default::default() }],
            width: 1000,
            height: 660,
        },
        tables: vec![("theory".into(), theory), ("simulation".into(), simt)],
    })
}

/// Phase diagram in (alpha, theta): SSR and PCA thresholds, region where only SSR detects.
pub fn phase_diagram(spec: &FigureSpec, model: &ModelSpec, name: &str, _quiet: bool) -> Result<Rendered> {
    let pop = model.build()?;
    let alphas = parse_grid("alpha", spec.alpha.as_deref().ok_or_else(|| Error::input(format!("{name}: missing key 'alpha'")))?)?;
    let lambda = one_of(&spec.lambda, "lambda", name)?;
    let spike = Spike { theta: 1.0, support: support(spec, &pop, name)? };
    let mut t = Table::new(&["alpha", "ssr_threshold", "pca_threshold", "oracle_whitened_pca_threshold"]);
    for &a in &alphas {
        let r = SpikeContext::new(&pop, a, lambda)?.report(&spike)?;
        t.push(vec![a, r.ssr_threshold, r.pca_threshold, r.oracle_whitened_pca_threshold]);
    }
    let (x, s, p, o) = (t.column("alpha"), t.column("ssr_threshold"), t.column("pca_threshold"), t.column("oracle_whitened_pca_threshold"));
    let series = vec![
        Series { label: Some("SSR detects, PCA does not".into()), color: 2, style: Style::Band, x: x.clone(), y: s.clone(), y2: p.clone() },
        line(Some("SSR threshold".into()), 0, x.clone(), s),
        line(Some("PCA threshold".into()), 1, x.clone(), p),
        Series { label: Some("oracle-whitened PCA threshold".into()), color: 4, style: Style::Dashed, x, y: o, y2: vec![] },
    ];
    let title = spec.title.clone().unwrap_or_else(|| format!("Detection phase diagram: {}, λ = {lambda}", pop.label));
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![Panel { title: "a spike is detected above its threshold curve".into(), x_label: "α = n/d".into(), y_label: "spike strength θ".into(), x_log: true, y_log: true, series, ..Default::default() }],
            width: 1000,
            height: 660,
        },
        tables: vec![("theory".into(), t)],
    })
}

/// SSR/PCA threshold ratio against the spread s of two noise variances {1/s, s}
/// (weights 1/2; s = 1 is isotropic noise, where both thresholds coincide).
pub fn threshold_ratio(spec: &FigureSpec, _model: &ModelSpec, name: &str, _quiet: bool) -> Result<Rendered> {
    let spreads = parse_grid("spread", spec.spread.as_deref().ok_or_else(|| Error::input(format!("{name}: missing key 'spread'")))?)?;
    let alphas = parse_grid("alpha", spec.alpha.as_deref().ok_or_else(|| Error::input(format!("{name}: missing key 'alpha'")))?)?;
    let lambda = one_of(&spec.lambda, "lambda", name)?;
    if spreads.iter().any(|&s| s < 1.0) {
        return Err(Error::input(format!("{name}: spread values must be >= 1")));
    }
    let mut t = Table::new(&["alpha", "spread", "ssr_threshold", "pca_threshold", "ratio", "oracle_ratio"]);
    let mut series = Vec::new();
    for (i, &a) in alphas.iter().enumerate() {
        let mut ys = Vec::new();
        let mut yo = Vec::new();
        for &s in &spreads {
            let pop = Population::atoms(&[1.0 / s, s], &[0.5, 0.5])?;
            let r = SpikeContext::new(&pop, a, lambda)?.report(&Spike { theta: 1.0, support: Support::All })?;
            let ratio = r.ssr_threshold / r.pca_threshold;
            let oracle = r.oracle_whitened_pca_threshold / r.pca_threshold;
            t.push(vec![a, s, r.ssr_threshold, r.pca_threshold, ratio, oracle]);
            ys.push(ratio);
            yo.push(oracle);
        }
        series.push(line(Some(format!("SSR / PCA, α = {a}")), i, spreads.clone(), ys));
        series.push(Series { label: Some(format!("oracle / PCA, α = {a}")), color: i, style: Style::Dashed, x: spreads.clone(), y: yo, y2: vec![] });
    }
    series.push(Series { label: Some("isotropic noise: ratio 1".into()), color: 7, style: Style::Markers, x: vec![1.0], y: vec![1.0], y2: vec![] });
    let title = spec.title.clone().unwrap_or_else(|| format!("Threshold ratio against noise spread: variances {{1/s, s}}, λ = {lambda}"));
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![Panel { title: "below 1: SSR detects weaker spikes than PCA".into(), x_label: "noise spread s (variances 1/s and s)".into(), y_label: "threshold ratio".into(), x_log: true, series, ..Default::default() }],
            width: 1000,
            height: 660,
        },
        tables: vec![("theory".into(), t)],
    })
}
