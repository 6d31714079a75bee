//! `mssr bench`: the built-in benchmark harness (issue #4, measurement side).
//!
//! Speed targets are measured here, never asserted in tests. Every benchmark is warmed up and
//! then repeated; we report the median and the minimum wall time and the repetition count.
//! No criterion dependency (it would slow CI's builds). The comparison against numpy lives in
//! `benches/compare.sh` (side by side, alternating runs).
//!
//! Groups:
//! * `theory`: error sweeps (atoms, AR(1), dense at several d), density grid, edges, phase diagram;
//! * `simulation`: one Monte Carlo trial (errors only) against d, and a 20-lambda sweep;
//! * `phases`: the steps of one trial, timed one by one, to show where its time goes.
use crate::error::{Error, Result};
use crate::model::Population;
use crate::progress::Progress;
use crate::simulation::{resolvent, simulate, ssr_errors, trial_rng, SigmaAtD, SimConfig};
use crate::simspectrum::spectral_trial;
use crate::solver::errors_sweep;
use crate::spectral::{density_grid, Problem};
use crate::spikes::{right_edge, spike_theory, Spike, Support};
use clap::Args;
use faer::linalg::matmul::matmul;
use faer::linalg::solvers::DenseSolveCore;
use faer::{Accum, Mat, Par, Side};
use serde::Serialize;
use std::hint::black_box;
use std::time::{Duration, Instant};

/// Options of `mssr bench`.
#[derive(Args, Debug, Clone, Default)]
pub struct BenchArgs {
    /// Smaller run: simulation up to d = 2000, sweep and phases at d = 1000, fewer repetitions
    #[arg(long)]
    pub quick: bool,
    #[command(flatten)]
    pub out: crate::cli::OutArgs,
    /// Run only these groups: theory, simulation, phases (comma-separated)
    #[arg(long, value_name = "GROUP,...", value_delimiter = ',')]
    pub only: Vec<String>,
    /// Before each benchmark, wait up to SECONDS for other processes to use < 15 % of the machine
    #[arg(long, value_name = "SECONDS", default_value_t = 0)]
    pub wait_quiet: u64,
}

/// One measured benchmark: wall-clock milliseconds over `reps` timed repetitions.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    pub group: &'static str,
    pub name: String,
    pub parameter: String,
    pub median_ms: f64,
    pub min_ms: f64,
    pub reps: usize,
    /// Target from issue #4 (median below it), where the issue sets one.
    pub target_ms: Option<f64>,
    pub met: Option<bool>,
    /// Share of the machine (all cores, %) used by other processes while this ran (Linux).
    pub others_pct: Option<f64>,
}

/// A least-squares exponent p of time ∝ d^p on log-log axes.
#[derive(Debug, Clone, Serialize)]
pub struct Fit {
    pub what: String,
    pub d: Vec<usize>,
    pub exponent: f64,
}

/// How often to run a benchmark: `warmup` untimed runs, then timed runs until `budget` is
/// spent, at least `min_reps` and at most `max_reps` of them.
#[derive(Debug, Clone, Copy)]
struct Plan {
    warmup: usize,
    min_reps: usize,
    max_reps: usize,
    budget: Duration,
}

impl Plan {
    /// Milliseconds-scale work (theory): many repetitions.
    fn fast(quick: bool) -> Self {
        Plan { warmup: 3, min_reps: 5, max_reps: 1000, budget: Duration::from_millis(if quick { 300 } else { 1000 }) }
    }
    /// Seconds-scale work (simulation, eigendecompositions): a few repetitions.
    fn slow(quick: bool) -> Self {
        Plan { warmup: 1, min_reps: if quick { 3 } else { 5 }, max_reps: 20, budget: Duration::from_secs(if quick { 3 } else { 10 }) }
    }
}

/// Times `f` under `plan`; returns (median ms, min ms, repetitions).
fn time<T>(plan: Plan, mut f: impl FnMut() -> Result<T>) -> Result<(f64, f64, usize)> {
    for _ in 0..plan.warmup {
        black_box(f()?);
    }
    let mut ms = Vec::new();
    let start = Instant::now();
    while ms.len() < plan.max_reps && (ms.len() < plan.min_reps || start.elapsed() < plan.budget) {
        let t0 = Instant::now();
        black_box(f()?);
        ms.push(t0.elapsed().as_secs_f64() * 1e3);
    }
    ms.sort_by(f64::total_cmp);
    let k = ms.len();
    let median = if k % 2 == 1 { ms[k / 2] } else { 0.5 * (ms[k / 2 - 1] + ms[k / 2]) };
    Ok((median, ms[0], k))
}

/// Collects measurements, reporting each on stderr as it finishes.
struct Bench {
    rows: Vec<Measurement>,
    quick: bool,
    progress: bool,
    /// Wait up to this long before each benchmark for the machine to be quiet.
    wait_quiet: Duration,
}

impl Bench {
    /// Times one benchmark. With `wait_quiet`, a measurement during which other processes used
    /// more than `QUIET_PCT` of the machine is repeated (3 attempts at most, the last one kept).
    fn run<T>(&mut self, group: &'static str, name: &str, parameter: String, target_ms: Option<f64>, plan: Plan, mut f: impl FnMut() -> Result<T>) -> Result<f64> {
        let attempts = if self.wait_quiet.is_zero() { 1 } else { 3 };
        let (mut median_ms, mut min_ms, mut reps, mut others_pct) = (0.0, 0.0, 0, None);
        for _ in 0..attempts {
            self.wait_for_quiet();
            let before = CpuTicks::now();
            (median_ms, min_ms, reps) = time(plan, &mut f)?;
            others_pct = before.zip(CpuTicks::now()).map(|(a, b)| a.others_pct(&b));
            if others_pct.is_none_or(|p| p <= QUIET_PCT) {
                break;
            }
        }
        if self.progress {
            let others = others_pct.map(|p| format!(", other processes {p:.0} %")).unwrap_or_default();
            eprintln!("bench: {group} / {name} [{parameter}]: median {median_ms:.3} ms over {reps} reps{others}");
        }
        let met = target_ms.map(|t| median_ms < t);
        self.rows.push(Measurement { group, name: name.into(), parameter, median_ms, min_ms, reps, target_ms, met, others_pct });
        Ok(median_ms)
    }

    /// Sleeps (up to `wait_quiet`) while other processes use more than `QUIET_PCT` of the machine.
    fn wait_for_quiet(&self) {
        let deadline = Instant::now() + self.wait_quiet;
        while Instant::now() < deadline {
            let Some(a) = CpuTicks::now() else { return };
            std::thread::sleep(Duration::from_millis(500));
            let Some(b) = CpuTicks::now() else { return };
            if a.others_pct(&b) <= QUIET_PCT {
                return;
            }
        }
    }
}

/// Above this share of the machine used by other processes, a measurement is flagged.
const QUIET_PCT: f64 = 15.0;

/// CPU time counters (clock ticks): the whole machine's busy and total time, and this process's.
#[derive(Debug, Clone, Copy)]
struct CpuTicks {
    busy: u64,
    total: u64,
    own: u64,
}

impl CpuTicks {
    /// Reads /proc/stat and /proc/self/stat; None where they do not exist.
    fn now() -> Option<Self> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let cpu: Vec<u64> = stat.lines().next()?.split_whitespace().skip(1).filter_map(|x| x.parse().ok()).collect();
        let total: u64 = cpu.iter().take(8).sum();
        let idle = cpu.get(3)? + cpu.get(4)?; // idle + iowait
        let me = std::fs::read_to_string("/proc/self/stat").ok()?;
        let fields: Vec<u64> = me.rsplit_once(')')?.1.split_whitespace().skip(11).take(2).filter_map(|x| x.parse().ok()).collect();
        Some(CpuTicks { busy: total - idle, total, own: fields.iter().sum() })
    }

    /// Share (%) of all cores used by other processes between `self` and `later`.
    fn others_pct(&self, later: &CpuTicks) -> f64 {
        let total = later.total.saturating_sub(self.total).max(1) as f64;
        let others = later.busy.saturating_sub(self.busy).saturating_sub(later.own.saturating_sub(self.own));
        100.0 * others as f64 / total
    }
}

/// Ridge and sample ratio used throughout (the gallery's defaults).
const LAMBDA: f64 = 0.1;
const ALPHA: f64 = 2.0;

/// The 3-atom noise model of the theory benchmarks: variances 0.25, 1, 4 (weights 0.3, 0.4, 0.3).
fn three_atoms() -> Population {
    Population::atoms(&[0.25, 1.0, 4.0], &[0.3, 0.4, 0.3]).expect("valid model")
}

/// `count` log-spaced points from `lo` to `hi`.
fn log_grid(lo: f64, hi: f64, count: usize) -> Vec<f64> {
    (0..count).map(|i| lo * (hi / lo).powf(i as f64 / (count - 1) as f64)).collect()
}

/// Least-squares slope of ln(time) against ln(d).
fn loglog_slope(d: &[usize], ms: &[f64]) -> f64 {
    let x: Vec<f64> = d.iter().map(|&d| (d as f64).ln()).collect();
    let y: Vec<f64> = ms.iter().map(|t| t.ln()).collect();
    let (mx, my) = (x.iter().sum::<f64>() / x.len() as f64, y.iter().sum::<f64>() / y.len() as f64);
    let sxy: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let sxx: f64 = x.iter().map(|a| (a - mx) * (a - mx)).sum();
    sxy / sxx
}

// ---------------------------------------------------------------------------------------------
// theory

/// 200-point alpha sweep of the errors (`solver::errors_sweep`) for the 3-atom model, AR(1)
/// rho = 0.8 (neither has a d: both are d -> infinity limits) and dense Toeplitz covariances
/// at finite d (whose setup, one eigendecomposition, is timed separately).
fn theory_errors(b: &mut Bench, dense_d: &[usize]) -> Result<Fit> {
    let points: Vec<(f64, f64)> = log_grid(0.2, 5.0, 200).into_iter().map(|a| (a, LAMBDA)).collect();
    let fast = Plan::fast(b.quick);
    let atoms = three_atoms();
    b.run("theory", "errors sweep, 3 atoms", "200 alphas; no d (d -> inf limit)".into(), Some(1.0), fast, || errors_sweep(&atoms, &points))?;
    let ar1 = Population::ar1(0.8)?;
    let nodes = ar1.eig.len();
    b.run("theory", "errors sweep, AR(1) rho=0.8", format!("200 alphas; no d ({nodes} quadrature nodes)"), None, fast, || errors_sweep(&ar1, &points))?;
    let mut ms = Vec::new();
    for &d in dense_d {
        let cov = Mat::from_fn(d, d, |i, j| 0.8f64.powi((i as i32 - j as i32).abs()));
        let plan = if d >= 1000 { Plan::slow(b.quick) } else { fast };
        b.run("theory", "dense setup (eigendecomposition)", format!("d = {d}"), None, plan, || Population::dense(cov.clone(), "toeplitz".into()))?;
        let pop = Population::dense(cov, "toeplitz".into())?;
        ms.push(b.run("theory", "errors sweep, dense Toeplitz", format!("200 alphas; d = {d}"), None, plan, || errors_sweep(&pop, &points))?);
    }
    Ok(Fit { what: "theory: dense errors sweep".into(), d: dense_d.to_vec(), exponent: loglog_slope(dense_d, &ms) })
}

/// A-hat's density on 2000 points over the bulk (`spectral::density_grid`) for the 3-atom
/// model, and separately the exact edge solve (`Problem::edges`, 800 coarse points as in
/// `mssr spectrum`) that locates the bulk.
fn theory_density(b: &mut Bench) -> Result<()> {
    let p = Problem::ssr(&three_atoms(), ALPHA, LAMBDA)?;
    let coarse = 800;
    let iv = p.edges(coarse)?;
    let (lo, hi) = (iv.first().expect("a bulk").0.t, iv.last().expect("a bulk").1.t);
    let ts: Vec<f64> = (0..2000).map(|i| lo + (hi - lo) * (i as f64 + 0.5) / 2000.0).collect();
    let fast = Plan::fast(b.quick);
    b.run("theory", "density of A-hat, 3 atoms", format!("2000 points over [{lo:.3}, {hi:.3}] (T scale)"), Some(20.0), fast, || density_grid(&p, &ts))?;
    b.run("theory", "bulk edges, 3 atoms", format!("{} interval(s), {coarse} coarse points", iv.len()), None, fast, || p.edges(coarse))?;
    Ok(())
}

/// SSR and PCA thresholds over `alphas` (`spikes::right_edge` + the threshold formula of
/// `spikes::spike_theory`), then every (alpha, theta) cell classified:
/// 0 neither detects, 1 SSR only, 2 PCA only, 3 both.
fn phase_diagram(pop: &Population, alphas: &[f64], thetas: &[f64]) -> Result<Vec<u8>> {
    // a spike far below any threshold: spike_theory then returns the threshold and stops
    // (no outlier, no overlap), so only the threshold formula is evaluated
    let probe = Spike { theta: f64::MIN_POSITIVE, support: Support::All };
    let mut grid = Vec::with_capacity(alphas.len() * thetas.len());
    for &a in alphas {
        let ssr = Problem::ssr(pop, a, LAMBDA)?;
        let pca = Problem::pca(pop, a)?;
        let ssr_th = spike_theory(&ssr, &probe, &right_edge(&ssr)?)?.threshold;
        let pca_th = spike_theory(&pca, &probe, &right_edge(&pca)?)?.threshold;
        grid.extend(thetas.iter().map(|&th| (th > ssr_th) as u8 + 2 * (th > pca_th) as u8));
    }
    Ok(grid)
}

fn theory_phase_diagram(b: &mut Bench) -> Result<()> {
    let pop = three_atoms();
    let (alphas, thetas) = (log_grid(0.3, 30.0, 100), log_grid(0.05, 20.0, 100));
    let plan = Plan { warmup: 1, ..Plan::fast(b.quick) };
    b.run("theory", "phase diagram SSR vs PCA, 3 atoms", "100 x 100 (alpha, theta)".into(), Some(1000.0), plan, || phase_diagram(&pop, &alphas, &thetas))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// simulation

/// One `simulate` call: isotropic Σ, n = 2d, errors only, one trial, all `lambdas` on the same sample.
fn one_trial(d: usize, lambdas: &[f64]) -> Result<()> {
    let cfg = SimConfig { d, trials: 1, seed: 1 };
    simulate(&Population::isotropic(), &[], false, ALPHA, lambdas, cfg, &Progress::silent()).map(black_box).map(|_| ())
}

/// One trial against d (and the fitted exponent), then the 20-lambda sweep on one sample.
fn simulation(b: &mut Bench, ds: &[usize], sweep_d: usize) -> Result<Fit> {
    let plan = Plan::slow(b.quick);
    let mut ms = Vec::new();
    for &d in ds {
        ms.push(b.run("simulation", "one trial, errors only, isotropic", format!("d = {d}, n = {}, 1 lambda", 2 * d), None, plan, || one_trial(d, &[LAMBDA]))?);
    }
    let lambdas = log_grid(0.01, 1.0, 20);
    b.run("simulation", "20-lambda sweep, one trial", format!("d = {sweep_d}, n = {}, 20 lambdas", 2 * sweep_d), None, plan, || one_trial(sweep_d, &lambdas))?;
    Ok(Fit { what: "simulation: one trial (errors only)".into(), d: ds.to_vec(), exponent: loglog_slope(ds, &ms) })
}

/// The steps of one trial at dimension d, each timed alone, with the parallelism `simulate`
/// gives a single trial (faer on all threads): sampling, S = X^T X / n, Cholesky + inverse,
/// the library's resolvent and error routines, and the spectral side's eigendecompositions.
fn phases(b: &mut Bench, d: usize) -> Result<()> {
    let plan = Plan::slow(b.quick);
    let n = 2 * d;
    let par = Par::rayon(0);
    let sigma = SigmaAtD::new(&Population::isotropic(), d)?;
    let p = format!("d = {d}, n = {n}");
    b.run("phases", "sample X (n x d)", p.clone(), None, plan, || Ok(sigma.sample(n, &mut trial_rng(1, 0))))?;
    let x = sigma.sample(n, &mut trial_rng(1, 0));
    let gram = || {
        let mut s = Mat::<f64>::zeros(d, d);
        matmul(&mut s, Accum::Replace, x.transpose(), &x, 1.0 / n as f64, par);
        s
    };
    b.run("phases", "S = X^T X / n (faer matmul)", p.clone(), None, plan, || Ok(gram()))?;
    let k = {
        let s = gram();
        Mat::from_fn(d, d, |i, j| s[(i, j)] + if i == j { LAMBDA } else { 0.0 })
    };
    b.run("phases", "Cholesky of S + lambda I", p.clone(), None, plan, || k.llt(Side::Lower).map_err(|_| Error::Numerical("singular".into())))?;
    let llt = k.llt(Side::Lower).map_err(|_| Error::Numerical("singular".into()))?;
    b.run("phases", "inverse from Cholesky", p.clone(), None, plan, || Ok(llt.inverse()))?;
    b.run("phases", "simulation::resolvent (all three)", p.clone(), None, plan, || resolvent(x.as_ref(), LAMBDA, par))?;
    let r = resolvent(x.as_ref(), LAMBDA, par)?;
    b.run("phases", "SigmaAtD::r_sigma_r_diag (E_gen)", p.clone(), None, plan, || Ok(sigma.r_sigma_r_diag(r.as_ref())))?;
    b.run("phases", "simulation::ssr_errors (resolvent + E_train + E_gen)", p.clone(), None, plan, || ssr_errors(x.as_ref(), LAMBDA, &sigma, par))?;
    b.run("phases", "simspectrum::spectral_trial (--spectrum)", p.clone(), None, plan, || spectral_trial(x.as_ref(), LAMBDA, &sigma, par))?;
    let evd_err = |e: faer::linalg::evd::EvdError| Error::Numerical(format!("{e:?}"));
    b.run("phases", "one d x d eigendecomposition, vectors", format!("d = {d}"), None, plan, || k.self_adjoint_eigen(Side::Lower).map_err(evd_err))?;
    b.run("phases", "one d x d eigendecomposition, values only", format!("d = {d}"), None, plan, || k.self_adjoint_eigenvalues(Side::Lower).map_err(evd_err))?;
    // the spectral sweep's kernel: faer's one-stage values-only solve against the two-stage one,
    // alone and two side by side (as the sweep's two workers run them)
    let faer_seq = || -> Result<Vec<f64>> {
        use faer::linalg::evd::{self_adjoint_evd, self_adjoint_evd_scratch, ComputeEigenvectors};
        let mut mem = faer::dyn_stack::MemBuffer::new(self_adjoint_evd_scratch::<f64>(d, ComputeEigenvectors::No, Par::Seq, Default::default()));
        let mut s = faer::diag::Diag::<f64>::zeros(d);
        self_adjoint_evd(k.as_ref(), s.as_mut(), None, Par::Seq, faer::dyn_stack::MemStack::new(&mut mem), Default::default()).map_err(evd_err)?;
        Ok((0..d).map(|i| s.column_vector()[i]).collect())
    };
    let two_stage = || crate::symeig::eigenvalues_lower(&mut k.clone(), Par::Seq);
    let pair = |f: &(dyn Fn() -> Result<Vec<f64>> + Sync)| {
        let (x, y) = rayon::join(f, f);
        Ok((x?, y?))
    };
    let pd = format!("d = {d}, one thread each");
    b.run("phases", "eigenvalues only: faer one-stage", pd.clone(), None, plan, faer_seq)?;
    b.run("phases", "eigenvalues only: symeig two-stage", pd.clone(), None, plan, two_stage)?;
    b.run("phases", "eigenvalues only: faer one-stage, 2 side by side", pd.clone(), None, plan, || pair(&faer_seq))?;
    b.run("phases", "eigenvalues only: symeig two-stage, 2 side by side", pd, None, plan, || pair(&two_stage))?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// command

/// Runs `mssr bench`.
pub fn bench_cmd(a: &BenchArgs) -> Result<()> {
    let mut b = Bench { rows: Vec::new(), quick: a.quick, progress: !a.out.quiet, wait_quiet: Duration::from_secs(a.wait_quiet) };
    let (sim_d, sweep_d, dense_d): (&[usize], usize, &[usize]) =
        if a.quick { (&[500, 1000, 2000], 1000, &[100, 400, 1600]) } else { (&[500, 1000, 2000, 4000], 2000, &[100, 400, 1600]) };
    const GROUPS: [&str; 3] = ["theory", "simulation", "phases"];
    if let Some(g) = a.only.iter().find(|g| !GROUPS.contains(&g.as_str())) {
        return Err(Error::input(format!("--only: unknown group '{g}' (theory, simulation, phases)")));
    }
    let want = |g: &str| a.only.is_empty() || a.only.iter().any(|x| x == g);
    let mut fits = Vec::new();
    if want("theory") {
        fits.push(theory_errors(&mut b, dense_d)?);
        theory_density(&mut b)?;
        theory_phase_diagram(&mut b)?;
    }
    if want("simulation") {
        fits.insert(0, simulation(&mut b, sim_d, sweep_d)?);
    }
    if want("phases") {
        phases(&mut b, sweep_d)?;
    }
    if let Some(path) = &a.out.csv {
        crate::table::write_text(path, &to_csv(&b.rows)?)?;
    }
    if a.out.json {
        let v = serde_json::json!({
            "threads": rayon::current_num_threads(),
            "quick": a.quick,
            "results": b.rows,
            "fits": fits,
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("serializable"));
    } else {
        print_report(&b.rows, &fits);
    }
    Ok(())
}

fn to_csv(rows: &[Measurement]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.serialize(r).map_err(|e| Error::Numerical(format!("csv: {e}")))?;
    }
    let bytes = w.into_inner().map_err(|e| Error::Numerical(format!("csv: {e}")))?;
    Ok(String::from_utf8(bytes).expect("utf-8"))
}

fn print_report(rows: &[Measurement], fits: &[Fit]) {
    let header = ["group", "benchmark", "parameter", "median ms", "min ms", "reps", "target", "met?", "others %"];
    let cells: Vec<[String; 9]> = rows
        .iter()
        .map(|r| {
            [
                r.group.to_string(),
                r.name.clone(),
                r.parameter.clone(),
                fmt_ms(r.median_ms),
                fmt_ms(r.min_ms),
                r.reps.to_string(),
                r.target_ms.map(|t| format!("< {} ms", t)).unwrap_or_else(|| "-".into()),
                r.met.map(|m| if m { "yes" } else { "NO" }.to_string()).unwrap_or_else(|| "-".into()),
                r.others_pct.map(|p| format!("{p:.0}{}", if p > QUIET_PCT { " !" } else { "" })).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let width: Vec<usize> = (0..9).map(|j| cells.iter().map(|c| c[j].len()).chain([header[j].len()]).max().unwrap_or(0)).collect();
    let line = |c: Vec<&str>| {
        c.iter()
            .enumerate()
            .map(|(j, s)| if (3..6).contains(&j) || j == 8 { format!("{s:>w$}", w = width[j]) } else { format!("{s:<w$}", w = width[j]) })
            .collect::<Vec<_>>()
            .join("  ")
    };
    println!("{}", line(header.to_vec()));
    for c in &cells {
        println!("{}", line(c.iter().map(|s| s.as_str()).collect()));
    }
    println!();
    for f in fits {
        println!("{}: time ∝ d^{:.2} (least squares on log-log over d = {:?})", f.what, f.exponent, f.d);
    }
    let noisy = rows.iter().filter(|r| r.others_pct.is_some_and(|p| p > QUIET_PCT)).count();
    if noisy > 0 {
        println!("WARNING: {noisy} benchmark(s) marked ! ran while other processes used > {QUIET_PCT} % of the machine (try --wait-quiet 600)");
    }
    println!("threads: {}; atom and AR(1) theory have no d (d -> infinity limits); ratios against numpy: benches/compare.sh", rayon::current_num_threads());
}

fn fmt_ms(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loglog_slope_recovers_a_power_law() {
        let d = [500, 1000, 2000, 4000];
        let ms: Vec<f64> = d.iter().map(|&d| 3e-6 * (d as f64).powf(2.7)).collect();
        assert!((loglog_slope(&d, &ms) - 2.7).abs() < 1e-12);
    }

    #[test]
    fn timing_respects_the_plan() {
        let plan = Plan { warmup: 2, min_reps: 3, max_reps: 7, budget: Duration::from_millis(1) };
        let mut calls = 0;
        let (median, min, reps) = time(plan, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert!((3..=7).contains(&reps) && calls == reps + 2);
        assert!(min <= median);
    }

    #[test]
    fn phase_diagram_classifies_against_both_thresholds() {
        // model H at alpha = 2, lambda = 0.1: SSR threshold 0.6546, PCA threshold 1.4345 (spikes tests)
        let pop = Population::atoms(&[0.5, 2.0], &[0.5, 0.5]).unwrap();
        let grid = phase_diagram(&pop, &[2.0], &[0.5, 1.0, 2.0]).unwrap();
        assert_eq!(grid, vec![0, 1, 3]);
    }
}
