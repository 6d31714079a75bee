//! Command-line interface: parses flags into specs, runs them, prints text / JSON / CSV.
use crate::error::{Error, Result};
use crate::progress::Progress;
use crate::shard::Shard;
use crate::simulation::{merge_runs, run_trials_masked, summarize_run, SimConfig, SimErrors, TrialRun};
use crate::solver::{errors_sweep, Errors};
use crate::spec::{parse_grid, ModelSpec};
use crate::table::{write_text, Table};
use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "mssr", version, about = "Exact theory and simulation of masked self-supervised regression (SSR)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// How Σ is described (one of these; default isotropic noise 1:1).
#[derive(Args, Debug, Clone, Default)]
pub struct ModelArgs {
    /// Diagonal noise atoms VAR:WEIGHT,... (weights sum to 1), e.g. 0.5:0.5,2:0.5
    #[arg(long, value_name = "VAR:WEIGHT,...", allow_hyphen_values = true)]
    noise: Option<String>,
    /// Stationary AR(1)/Toeplitz correlation Σ_ij = RHO^|i-j| (d -> infinity limit)
    #[arg(long, value_name = "RHO", allow_negative_numbers = true)]
    ar1: Option<f64>,
    /// Dense covariance matrix, CSV without header
    #[arg(long, value_name = "FILE")]
    cov: Option<PathBuf>,
    /// Real data set, CSV with header: centered, constant columns dropped, scaled to tr(Σ)/d = 1
    #[arg(long, value_name = "FILE")]
    data: Option<PathBuf>,
    /// Columns of --data to drop (e.g. labels)
    #[arg(long, value_name = "NAME,...", value_delimiter = ',')]
    drop_columns: Vec<String>,
    /// Spike THETA (delocalized) or THETA@J (uniform over noise atom J, 0-based); repeat for several
    #[arg(long, value_name = "THETA[@J]", allow_hyphen_values = true)]
    spike: Vec<String>,
}

impl ModelArgs {
    /// Refuses --spike on a command whose d -> infinity result a finite-rank spike does not change.
    fn without_spike(&self, what: &str) -> Result<&Self> {
        if self.spike.is_empty() {
            Ok(self)
        } else {
            Err(Error::input(format!(
                "--spike does not change {what} (a rank-one spike moves them by O(1/d)); `mssr spikes` gives its outlier, threshold and overlaps, `mssr simulate --spike` simulates it"
            )))
        }
    }

    fn spec(&self) -> ModelSpec {
        ModelSpec {
            noise: self.noise.clone(),
            ar1: self.ar1,
            cov: self.cov.clone(),
            data: self.data.clone(),
            drop_columns: self.drop_columns.clone(),
            spike: self.spike.clone(),
        }
    }
}

/// Output options shared by every command that prints numbers.
#[derive(Args, Debug, Clone, Default)]
pub struct OutArgs {
    /// Print JSON instead of a text table
    #[arg(long)]
    pub json: bool,
    /// Also write the rows as CSV to FILE
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// No progress messages on stderr
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Theory: training / generalization error of SSR (eqs. (4)-(7)); with --mask-ratio the test loss (15)
    Errors {
        /// Sample ratio n/d: a value, a list a,b,c or a range start:stop:count[:log]
        #[arg(long, allow_hyphen_values = true)]
        alpha: String,
        /// Ridge penalty: a value, list or range (lambda0 of eq. (14) with --mask-ratio)
        #[arg(long, allow_hyphen_values = true)]
        lambda: String,
        /// Masking ratio p in [0, 1): mask each coordinate with probability p (BERT ~0.15, MAE ~0.75);
        /// a value, list or range. Default: one-at-a-time SSR
        #[arg(long, allow_hyphen_values = true, value_name = "P")]
        mask_ratio: Option<String>,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Monte Carlo at finite d: Gaussian samples, A-hat by eq. (1), errors (2)-(3) exactly
    Simulate {
        /// Dimension d [default: 500; --cov and --data have their own, and a different --d is refused]
        #[arg(long)]
        d: Option<usize>,
        /// Sample ratio n/d: a value, list or range
        #[arg(long, allow_hyphen_values = true)]
        alpha: String,
        /// Ridge penalty: a value, list or range (all on the same samples)
        #[arg(long, allow_hyphen_values = true)]
        lambda: String,
        /// Independent trials (run in parallel)
        #[arg(long, default_value_t = 10)]
        trials: usize,
        /// Random seed (same seed -> same numbers)
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Also the spectral side (on by default with --spike): top eigenvalues and overlaps
        #[arg(long)]
        spectrum: bool,
        /// Masking ratio p in [0, 1), one value: the test loss (15) of A_p, and with --spectrum/--spike its spectrum; default one-at-a-time SSR
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true, value_name = "P", value_parser = one_number)]
        mask_ratio: f64,
        /// Run only shard I of N (trials t with t mod N = I-1) and print its raw trials as JSON,
        /// for `mssr merge`
        #[arg(long, value_name = "I/N")]
        shard: Option<String>,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Theory: eigenvalue density and exact bulk edges of A-hat (SSR) and of S (PCA), eqs. (8)-(10)
    Spectrum {
        /// Sample ratio n/d, one value
        #[arg(long, allow_hyphen_values = true, value_parser = one_number)]
        alpha: f64,
        /// Ridge penalty (lambda0 with --mask-ratio), one value
        #[arg(long, allow_hyphen_values = true, value_parser = one_number)]
        lambda: f64,
        /// Grid points of each density
        #[arg(long, default_value_t = 400)]
        points: usize,
        /// Masking ratio p in [0, 1), one value: the spectrum of A_p (eq. (14), theory (S10)); default one-at-a-time SSR
        #[arg(long, default_value_t = 0.0, allow_negative_numbers = true, value_name = "P", value_parser = one_number)]
        mask_ratio: f64,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Theory: BBP thresholds, outliers and overlaps of spikes for SSR, PCA and oracle-whitened PCA
    Spikes {
        /// Sample ratio n/d: a value, list or range
        #[arg(long, allow_hyphen_values = true)]
        alpha: String,
        /// Ridge penalty: a value, list or range
        #[arg(long, allow_hyphen_values = true)]
        lambda: String,
        /// Masking ratio p in [0, 1), a value, list or range: the SSR columns describe A_p (eq. (14), theory (S10));
        /// PCA is unchanged; default one-at-a-time SSR
        #[arg(long, default_value = "0", allow_hyphen_values = true, value_name = "P")]
        mask_ratio: String,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Learning curve of a real data set: theory from its covariance vs SSR on subsamples
    LearningCurve(crate::figures::LearningCurveArgs),
    /// Render every figure of the gallery from the specs in plots/
    Figures(crate::figures::FiguresArgs),
    /// Render one figure from a spec file (TOML)
    Figure(crate::figures::FigureArgs),
    /// Theory against simulation for errors, edges, outliers, thresholds and overlaps
    Validate(crate::validate::ValidateArgs),
    /// Theory: the masking ratio and ridge minimizing the test loss (15), beside the best one-at-a-time SSR
    ///
    /// p is searched in [0, 0.95] (as p -> 1 the masking ridge dominates, A_p -> 0 and the loss tends to
    /// tr(Σ)/d, that of predicting 0), lambda0 in --lambda-range; an optimum at p = 0.95 or at an end of
    /// --lambda-range is reported on stderr (p = 0 is a result, not a range artifact: masking one coordinate at a
    /// time is best there). Where p = 0 is singular (--lambda 0 with alpha <= 1 or a singular Σ) p starts at 0.001.
    /// Columns: p_opt and loss_p_opt at --lambda; joint_* over (p, lambda0); ssr_loss at --lambda with p = 0
    /// (empty where singular); ssr_lambda_opt and ssr_loss_opt for p = 0 with the best ridge
    Optimal {
        /// Sample ratio n/d: a value, list or range
        #[arg(long, allow_hyphen_values = true)]
        alpha: String,
        /// lambda0 at which the 1-D optimum over p is taken
        #[arg(long, default_value_t = 0.1, allow_negative_numbers = true, value_parser = one_number)]
        lambda: f64,
        /// Search range of the ridge, lo:hi (log scale)
        #[arg(long, default_value = "1e-4:100")]
        lambda_range: String,
        #[command(flatten)]
        model: ModelArgs,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Combine the JSON of `simulate --shard I/N` or `validate --shard I/N` runs into what a single run prints
    Merge {
        /// Shard files written by `mssr simulate --shard I/N ... > FILE` or `mssr validate --shard I/N ... > FILE`
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[command(flatten)]
        out: OutArgs,
    },
    /// Benchmarks: theory and simulation timings (median, min, repetitions) against the README's performance targets
    Bench(crate::bench::BenchArgs),
}

/// Runs the CLI on `args`; returns the process exit code (2 for bad input).
pub fn run(args: Vec<OsString>) -> i32 {
    // a fixed split of dense linear algebra: bit-identical results whatever the thread count
    faer::set_global_parallelism(faer::Par::rayon(crate::resources::LINALG_PARTS));
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            if code == 2 {
                // one line: clap's message up to its usage block (a missing argument is named
                // on the lines after the first), joined
                let msg = e.to_string();
                let problem: Vec<&str> = msg.lines().take_while(|l| !l.starts_with("Usage:")).map(str::trim).filter(|l| !l.is_empty() && !l.starts_with("For more information") && !l.starts_with("tip:")).collect();
                let problem = if problem.is_empty() { "invalid arguments".to_string() } else { problem.join(" ") };
                eprintln!("{problem} (see mssr --help)");
            } else {
                let _ = e.print();
            }
            return code;
        }
    };
    match dispatch(cli.command) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("mssr: {}", e.to_string().replace('\n', " "));
            if e.is_input() {
                2
            } else {
                1
            }
        }
    }
}

fn dispatch(cmd: Command) -> Result<()> {
    match cmd {
        Command::Errors { alpha, lambda, mask_ratio, model, out } => {
            let pop = model.without_spike("the errors")?.spec().build()?;
            let points = grid_points(&parse_grid("--alpha", &alpha)?, &parse_grid("--lambda", &lambda)?);
            let rows = match mask_ratio {
                None => errors_sweep(&pop, &points)?,
                Some(ps) => {
                    let ps = parse_grid("--mask-ratio", &ps)?;
                    let mut rows = Vec::new();
                    for &(a, l) in &points {
                        for &p in &ps {
                            rows.push(crate::solver::errors_masked(&pop, a, l, p, None)?);
                        }
                    }
                    rows
                }
            };
            emit_errors(&rows, &out)
        }
        Command::Simulate { d, alpha, lambda, trials, seed, spectrum, mask_ratio, shard, model, out } => {
            let spec = model.spec();
            let pop = spec.build()?;
            let spikes = spec.spikes(&pop)?;
            let alphas = parse_grid("--alpha", &alpha)?;
            let lambdas = parse_grid("--lambda", &lambda)?;
            let d = match (d, pop.fixed_dim()) {
                (Some(d), Some(own)) if d != own => {
                    return Err(Error::input(format!("--d {d}: this covariance has its own dimension d = {own} (leave --d out)")));
                }
                (d, own) => d.or(own).unwrap_or(500),
            };
            let cfg = SimConfig { d, trials, seed };
            let shard = match &shard {
                Some(s) => Shard::parse(s)?,
                None => Shard::ALL,
            };
            let owned = (0..trials).filter(|&t| shard.owns(t)).count();
            let progress = Progress::new("simulate: trials", owned * alphas.len(), out.quiet);
            let mut runs = Vec::new();
            for &a in &alphas {
                runs.push(run_trials_masked(&pop, &spikes, spectrum, a, &lambdas, mask_ratio, cfg, shard, &progress)?);
            }
            if !shard.is_all() {
                if out.csv.is_some() {
                    return Err(Error::input("--csv goes on `mssr merge`; a shard prints its raw trials as JSON"));
                }
                println!("{}", serde_json::to_string(&ShardFile { shard, runs }).expect("serializable"));
                return Ok(());
            }
            let rows = runs.iter().map(summarize_run).collect::<Result<Vec<_>>>()?.concat();
            emit_sim(&rows, &out)
        }
        Command::Optimal { alpha, lambda, lambda_range, model, out } => {
            let pop = model.without_spike("the test loss or its optimum")?.spec().build()?;
            let alphas = parse_grid("--alpha", &alpha)?;
            let (lo, hi) = match lambda_range.split_once(':') {
                Some((a, b)) => (crate::spec::parse_num("--lambda-range", a)?, crate::spec::parse_num("--lambda-range", b)?),
                None => return Err(Error::input(format!("--lambda-range '{lambda_range}': expected lo:hi"))),
            };
            let mut t = Table::new(&[
                "alpha", "lambda", "p_opt", "loss_p_opt", "joint_p_opt", "joint_lambda_opt", "joint_loss", "ssr_loss", "ssr_lambda_opt",
                "ssr_loss_opt",
            ]);
            let progress = crate::progress::Progress::new("optimal: alpha values", alphas.len(), out.quiet);
            for &a in &alphas {
                let (p1, l1) = crate::optimize::optimal_mask_ratio(&pop, a, lambda)?;
                let (pj, lj, lossj) = crate::optimize::optimal_mask_and_ridge(&pop, a, lo, hi)?;
                let ssr = crate::optimize::ssr_loss_beside_masking(&pop, a, lambda)?;
                let (ls, gs) = crate::optimize::optimal_lambda(&pop, a, lo, hi)?;
                let warn = |what: &str, x: f64| {
                    if !out.quiet {
                        eprintln!("optimal: at alpha = {a} the {what} = {x:.6} is at the end of its search range: the loss still decreases there");
                    }
                };
                if p1 >= crate::optimize::P_MAX {
                    warn("best p", p1);
                }
                let p_lo = crate::optimize::mask_ratio_range(&pop, a, lambda).0;
                if p_lo > 0.0 && p1 <= p_lo && !out.quiet {
                    eprintln!("optimal: at alpha = {a} the best p = {p1} is the lower end of its search range (p = 0 is singular at this lambda): the loss falls toward its limit p -> 0+");
                }
                if pj >= crate::optimize::P_MAX {
                    warn("joint best p", pj);
                }
                if crate::optimize::at_range_end(lj.ln(), lo.ln(), hi.ln()) {
                    warn("joint best lambda", lj);
                }
                if crate::optimize::at_range_end(ls.ln(), lo.ln(), hi.ln()) {
                    warn("best SSR lambda", ls);
                }
                t.push(vec![a, lambda, p1, l1, pj, lj, lossj, ssr, ls, gs]);
                progress.tick();
            }
            if let Some(path) = &out.csv {
                write_text(path, &t.to_csv())?;
            }
            if out.json {
                let v = t.to_json();
                let rows = v.as_array().cloned().unwrap_or_default();
                print_json(rows);
            } else {
                print_text(&t);
            }
            Ok(())
        }
        Command::Merge { files, out } => {
            let (mut runs, mut checks) = (Vec::new(), Vec::new());
            for f in &files {
                let text = std::fs::read_to_string(f).map_err(|e| Error::Io { path: f.display().to_string(), source: e })?;
                let not_shard = || Error::input(format!("{}: not a shard file of `mssr simulate --shard` or `mssr validate --shard`", f.display()));
                let value: serde_json::Value = serde_json::from_str(&text).map_err(|_| not_shard())?;
                let broken = |e: serde_json::Error| Error::input(format!("{}: damaged shard file: {e}", f.display()));
                if value.get("runs").is_some() {
                    runs.extend(serde_json::from_value::<ShardFile>(value).map_err(broken)?.runs);
                } else if value.get("units").is_some() {
                    checks.push(serde_json::from_value::<crate::validate::ValidateShard>(value).map_err(broken)?);
                } else {
                    return Err(not_shard());
                }
            }
            match (runs.is_empty(), checks.is_empty()) {
                (false, true) => {
                    let rows = merge_runs(runs)?.iter().map(summarize_run).collect::<Result<Vec<_>>>()?.concat();
                    emit_sim(&rows, &out)
                }
                (true, false) => {
                    let (quick, all) = crate::validate::merge_shards(checks)?;
                    let plan = if quick { crate::validate::Plan::quick() } else { crate::validate::Plan::full() };
                    crate::validate::report(&all, &plan, out.json, &out.csv, out.quiet)
                }
                _ => Err(Error::input("merge: give shards of one command (simulate or validate), not both")),
            }
        }
        Command::Spectrum { alpha, lambda, points, mask_ratio, model, out } => {
            crate::report::spectrum_cmd(&model.without_spike("the bulk density or its edges")?.spec(), alpha, lambda, mask_ratio, points, &out.csv, out.json)
        }
        Command::Spikes { alpha, lambda, mask_ratio, model, out } => {
            let spec = model.spec();
            let pop = spec.build()?;
            let spikes = spec.spike_grid(&pop)?;
            if spikes.is_empty() {
                return Err(crate::error::Error::input("give at least one --spike THETA[@J]"));
            }
            let points = grid_points(&parse_grid("--alpha", &alpha)?, &parse_grid("--lambda", &lambda)?);
            crate::report::spikes_cmd(&pop, &spikes, &points, &parse_grid("--mask-ratio", &mask_ratio)?, &out.csv, out.json)
        }
        Command::LearningCurve(a) => crate::figures::learning_curve_cmd(&a),
        Command::Figures(a) => crate::figures::figures_cmd(&a),
        Command::Figure(a) => crate::figures::figure_cmd(&a),
        Command::Validate(a) => crate::validate::validate_cmd(&a),
        Command::Bench(a) => crate::bench::bench_cmd(&a),
    }
}

/// What `simulate --shard I/N` prints: the shard and its raw trials, one run per alpha.
#[derive(serde::Serialize, serde::Deserialize)]
struct ShardFile {
    shard: Shard,
    runs: Vec<TrialRun>,
}

/// Parses an option that takes one number; a list or range gets a message saying so.
fn one_number(s: &str) -> std::result::Result<f64, String> {
    if s.contains(',') || s.contains(':') {
        return Err("this option takes one number, not a list or range".into());
    }
    s.trim().parse::<f64>().map_err(|e| format!("{e}"))
}

/// All (alpha, lambda) pairs, lambda fastest.
fn grid_points(alphas: &[f64], lambdas: &[f64]) -> Vec<(f64, f64)> {
    alphas.iter().flat_map(|&a| lambdas.iter().map(move |&l| (a, l))).collect()
}

/// Prints a single JSON object for one row, an array for several.
pub fn print_json(mut values: Vec<serde_json::Value>) {
    let v = if values.len() == 1 { values.pop().unwrap() } else { serde_json::Value::Array(values) };
    println!("{}", serde_json::to_string_pretty(&v).expect("serializable"));
}

/// Writes the table as CSV (with --csv), then prints the rows as JSON (with --json) or as text.
fn emit<R: serde::Serialize>(t: &Table, rows: &[R], out: &OutArgs) -> Result<()> {
    if let Some(path) = &out.csv {
        write_text(path, &t.to_csv())?;
    }
    if out.json {
        print_json(rows.iter().map(|r| serde_json::to_value(r).expect("serializable")).collect());
    } else {
        print_text(t);
    }
    Ok(())
}

fn emit_errors(rows: &[Errors], out: &OutArgs) -> Result<()> {
    let mut t = Table::new(&["alpha", "lambda", "mask_ratio", "delta", "train_error", "gen_error", "bayes_error", "residual", "iterations"]);
    for r in rows {
        t.push(vec![r.alpha, r.lambda, r.mask_ratio, r.delta, r.train_error, r.gen_error, r.bayes_error, r.residual, r.iterations as f64]);
    }
    emit(&t, rows, out)
}

fn emit_sim(rows: &[SimErrors], out: &OutArgs) -> Result<()> {
    let mut t = Table::new(&[
        "alpha", "lambda", "mask_ratio", "d", "n", "trials", "delta", "delta_se", "train_error", "train_error_se", "gen_error",
        "gen_error_se", "bayes_error",
    ]);
    for r in rows {
        t.push(vec![
            r.alpha,
            r.lambda,
            r.mask_ratio,
            r.d as f64,
            r.n as f64,
            r.trials as f64,
            r.delta.mean,
            r.delta.se,
            r.train_error.mean,
            r.train_error.se,
            r.gen_error.mean,
            r.gen_error.se,
            r.bayes_error.mean,
        ]);
    }
    // the CSV also carries the spectral side (mean and s.e. of every statistic, per spike)
    let csv_table = match rows.first().and_then(|r| r.spectrum.as_ref()) {
        Some(first) => {
            let mut cols: Vec<String> = t.columns.clone();
            for (c, _) in first.tops() {
                cols.extend([c.to_string(), format!("{c}_se")]);
            }
            for (k, o) in first.spikes.iter().enumerate() {
                cols.push(format!("spike{k}_theta"));
                for (c, _) in o.stats() {
                    cols.extend([format!("spike{k}_{c}"), format!("spike{k}_{c}_se")]);
                }
            }
            let mut wide = Table::new(&cols.iter().map(String::as_str).collect::<Vec<_>>());
            for (r, base) in rows.iter().zip(&t.rows) {
                let sp = r.spectrum.as_ref().ok_or_else(|| Error::input("rows with and without the spectral side cannot share one CSV"))?;
                let mut v = base.clone();
                for (_, st) in sp.tops() {
                    v.extend([st.mean, st.se]);
                }
                for o in &sp.spikes {
                    v.push(o.theta);
                    for (_, st) in o.stats() {
                        v.extend([st.mean, st.se]);
                    }
                }
                wide.push(v);
            }
            Some(wide)
        }
        None => None,
    };
    if let (Some(path), Some(wide)) = (&out.csv, &csv_table) {
        write_text(path, &wide.to_csv())?;
        let no_csv = OutArgs { csv: None, ..out.clone() };
        emit(&t, rows, &no_csv)?;
    } else {
        emit(&t, rows, out)?;
    }
    if !out.json {
        for r in rows.iter().filter(|r| r.spectrum.is_some()) {
            println!("spectral side at alpha = {}, lambda = {}, mask ratio = {}:", r.alpha, r.lambda, r.mask_ratio);
            println!("{}", serde_json::to_string_pretty(&r.spectrum).expect("serializable"));
        }
    }
    Ok(())
}

/// Aligned text table on stdout.
pub fn print_text(t: &Table) {
    let cells: Vec<Vec<String>> =
        t.rows.iter().map(|r| r.iter().map(|&x| fmt_cell(x)).collect()).collect();
    let width: Vec<usize> = (0..t.columns.len())
        .map(|j| cells.iter().map(|r| r[j].len()).chain([t.columns[j].len()]).max().unwrap_or(0))
        .collect();
    let line = |v: Vec<&str>| v.iter().zip(&width).map(|(s, w)| format!("{s:>w$}")).collect::<Vec<_>>().join("  ");
    println!("{}", line(t.columns.iter().map(|s| s.as_str()).collect()));
    for r in &cells {
        println!("{}", line(r.iter().map(|s| s.as_str()).collect()));
    }
}


/// A table cell for humans: integers plain, tiny or huge numbers in scientific notation.
fn fmt_cell(x: f64) -> String {
    if x.is_nan() {
        "-".into()
    } else if x.fract() == 0.0 && x.abs() < 1e12 {
        format!("{x:.0}")
    } else if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e6) {
        format!("{x:.3e}")
    } else {
        format!("{x:.6}")
    }
}
