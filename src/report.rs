//! The `spectrum` and `spikes` commands: theory tables for the spectral side.
use crate::cli::{print_json, print_text};
use crate::error::{Error, Result};
use crate::model::Population;
use crate::spec::ModelSpec;
use crate::spectral::{a_of_t, density_grid, Problem};
use crate::spikes::{Spike, SpikeContext};
use crate::table::{num, write_text, Table};
use serde_json::json;
use std::path::PathBuf;

/// Theory of the bulk at one (alpha, lambda): edges of A-hat (a-scale) and S, and both densities.
pub struct SpectrumTheory {
    /// SSR bulk intervals in T's scale.
    pub ssr_edges_t: Vec<(f64, f64)>,
    pub pca_edges: Vec<(f64, f64)>,
    pub ssr_point_masses: Vec<(f64, f64)>,
    pub pca_point_masses: Vec<(f64, f64)>,
    /// Columns a, ssr_density (A-hat's density in a), s, pca_density.
    pub table: Table,
    pub max_residual: f64,
    pub max_iterations: usize,
}

/// A grid of `points` covering the intervals with a margin of 8% of their span.
fn grid_over(iv: &[(f64, f64)], points: usize, floor: Option<f64>) -> Vec<f64> {
    let lo = iv.iter().map(|x| x.0).fold(f64::INFINITY, f64::min);
    let hi = iv.iter().map(|x| x.1).fold(f64::NEG_INFINITY, f64::max);
    let m = 0.08 * (hi - lo).max(1e-9);
    let (mut a, b) = (lo - m, hi + m);
    if let Some(f) = floor {
        a = a.max(f);
    }
    (0..points).map(|i| a + (b - a) * (i as f64 + 0.5) / points as f64).collect()
}

/// Computes `SpectrumTheory` (eqs. (8)-(10)) with `points` grid points per density.
pub fn spectrum_theory(pop: &Population, alpha: f64, lambda: f64, points: usize) -> Result<SpectrumTheory> {
    spectrum_theory_masked(pop, alpha, lambda, 0.0, points)
}

/// `spectrum_theory` for masking ratio p (A_p's eigenvalues a = (1 - 1/t)/(1-p)).
pub fn spectrum_theory_masked(pop: &Population, alpha: f64, lambda: f64, p: f64, points: usize) -> Result<SpectrumTheory> {
    if points < 2 {
        return Err(Error::input("--points must be at least 2"));
    }
    let ssr = Problem::masked(pop, alpha, lambda, p)?;
    let pca = Problem::pca(pop, alpha)?;
    let coarse = 800;
    let se: Vec<(f64, f64)> = ssr.edges(coarse)?.iter().map(|(l, h)| (l.t, h.t)).collect();
    let pe: Vec<(f64, f64)> = pca.edges(coarse)?.iter().map(|(l, h)| (l.t, h.t)).collect();
    let a_iv: Vec<(f64, f64)> = se.iter().map(|&(l, h)| (ssr.a_of(l), ssr.a_of(h))).collect();
    let a_grid = grid_over(&a_iv, points, None);
    let s_grid = grid_over(&pe, points, Some(0.0));
    let t_grid: Vec<f64> = a_grid.iter().map(|&a| ssr.t_of(a)).collect();
    let sd = density_grid(&ssr, &t_grid)?;
    let pd = density_grid(&pca, &s_grid)?;
    let mut table = Table::new(&["a", "ssr_density", "s", "pca_density"]);
    let (mut res, mut its) = (0.0f64, 0usize);
    for i in 0..points {
        let a = a_grid[i];
        // rho_A(a) = rho_T(t(a)) dt/da, t = 1/(1 - (1-p) a)  (eq. (10))
        let keep = 1.0 - p;
        table.push(vec![a, sd[i].1 * keep / (1.0 - keep * a).powi(2), s_grid[i], pd[i].1]);
        res = res.max(sd[i].2).max(pd[i].2);
        its = its.max(sd[i].3).max(pd[i].3);
    }
    Ok(SpectrumTheory {
        ssr_edges_t: se,
        pca_edges: pe,
        ssr_point_masses: ssr.point_masses(),
        pca_point_masses: pca.point_masses(),
        table,
        max_residual: res,
        max_iterations: its,
    })
}

/// Runs `mssr spectrum`.
#[allow(clippy::too_many_arguments)]
pub fn spectrum_cmd(spec: &ModelSpec, alpha: f64, lambda: f64, p: f64, points: usize, csv: &Option<PathBuf>, as_json: bool) -> Result<()> {
    let pop = spec.build()?;
    let th = spectrum_theory_masked(&pop, alpha, lambda, p, points)?;
    let keep = 1.0 - p;
    let a_of = |t: f64| a_of_t(t) / keep;
    if let Some(p) = csv {
        write_text(p, &th.table.to_csv())?;
    }
    let pairs = |v: &[(f64, f64)]| v.iter().map(|&(a, b)| json!([a, b])).collect::<Vec<_>>();
    let a_edges: Vec<(f64, f64)> = th.ssr_edges_t.iter().map(|&(l, h)| (a_of(l), a_of(h))).collect();
    let ssr_masses: Vec<(f64, f64)> = th.ssr_point_masses.iter().map(|&(t, m)| (a_of(t), m)).collect();
    let v = json!({
        "alpha": alpha,
        "lambda": lambda,
        "mask_ratio": p,
        "model": pop.label,
        "ssr_edges": pairs(&a_edges),
        "ssr_edges_t": pairs(&th.ssr_edges_t),
        "pca_edges": pairs(&th.pca_edges),
        "ssr_point_masses": pairs(&ssr_masses),
        "pca_point_masses": pairs(&th.pca_point_masses),
        "max_residual": num(th.max_residual),
        "max_iterations": th.max_iterations,
        "grid": th.table.to_json(),
    });
    if as_json {
        print_json(vec![v]);
    } else {
        if p > 0.0 {
            println!("model: {}, alpha = {alpha}, lambda0 = {lambda}, masking ratio p = {p} (A-hat below is A_p)", pop.label);
        } else {
            println!("model: {}, alpha = {alpha}, lambda = {lambda}", pop.label);
        }
        for (i, (l, h)) in a_edges.iter().enumerate() {
            println!("A-hat bulk interval {i}: [{l:.10}, {h:.10}]   (T: [{:.10}, {:.10}])", th.ssr_edges_t[i].0, th.ssr_edges_t[i].1);
        }
        for (i, (l, h)) in th.pca_edges.iter().enumerate() {
            println!("S bulk interval {i}:     [{l:.10}, {h:.10}]");
        }
        for (a, m) in &ssr_masses {
            println!("A-hat point mass {m:.6} at a = {a:.10}");
        }
        for (s, m) in &th.pca_point_masses {
            println!("S point mass {m:.6} at s = {s:.10}");
        }
        println!("density grid: {} points per method (max residual {:.1e}); --json or --csv for the values", points, th.max_residual);
    }
    Ok(())
}

/// The spikes table: one row per (alpha, lambda, spike).
pub fn spikes_table(pop: &Population, spikes: &[Spike], points: &[(f64, f64)]) -> Result<(Table, Vec<serde_json::Value>)> {
    spikes_table_masked(pop, spikes, points, &[0.0])
}

/// `spikes_table` for each masking ratio p of `ps` (the SSR columns describe A_p, theory (S10)).
pub fn spikes_table_masked(pop: &Population, spikes: &[Spike], points: &[(f64, f64)], ps: &[f64]) -> Result<(Table, Vec<serde_json::Value>)> {
    let cols = [
        "alpha", "lambda", "theta", "spike_atom", "ssr_threshold", "pca_threshold", "ssr_outlier", "pca_outlier", "ssr_edge", "pca_edge",
        "ssr_whitened_overlap", "ssr_overlap", "ssr_left_overlap", "pca_overlap", "oracle_whitened_pca_threshold",
        "oracle_whitened_pca_outlier", "oracle_whitened_pca_overlap", "mask_ratio",
    ];
    let mut t = Table::new(&cols);
    let mut js = Vec::new();
    for (&(alpha, lambda), &p) in points.iter().flat_map(|pt| ps.iter().map(move |p| (pt, p))) {
        let ctx = SpikeContext::masked(pop, alpha, lambda, p)?;
        for sp in spikes {
            let r = ctx.report(sp)?;
            let o = |x: Option<f64>| x.unwrap_or(f64::NAN);
            t.push(vec![
                alpha, lambda, r.theta, atom_of(sp), r.ssr_threshold, r.pca_threshold, o(r.ssr_outlier), o(r.pca_outlier), r.ssr_edge, r.pca_edge,
                r.ssr_whitened_overlap, r.ssr_overlap, r.ssr_left_overlap, r.pca_overlap, r.oracle_whitened_pca_threshold,
                o(r.oracle_whitened_pca_outlier), r.oracle_whitened_pca_overlap, p,
            ]);
            let mut v = serde_json::to_value(&r).expect("serializable");
            v["alpha"] = json!(alpha);
            v["lambda"] = json!(lambda);
            v["mask_ratio"] = json!(p);
            js.push(v);
        }
    }
    Ok((t, js))
}

/// The spike's noise atom (0-based), or NaN (blank in CSV, "-" in text) for a delocalized spike.
fn atom_of(sp: &Spike) -> f64 {
    match sp.support {
        crate::spikes::Support::Atom(j) => j as f64,
        crate::spikes::Support::All => f64::NAN,
    }
}

/// Runs `mssr spikes`.
pub fn spikes_cmd(pop: &Population, spikes: &[Spike], points: &[(f64, f64)], ps: &[f64], csv: &Option<PathBuf>, as_json: bool) -> Result<()> {
    for &(a, l) in points {
        for &p in ps {
            crate::solver::solve_masked(pop, a, l, p)?;
        }
    }
    let (t, js) = spikes_table_masked(pop, spikes, points, ps)?;
    if let Some(p) = csv {
        write_text(p, &t.to_csv())?;
    }
    if as_json {
        print_json(js);
    } else {
        print_text(&t);
    }
    Ok(())
}
