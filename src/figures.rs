//! Figure specs (TOML files in plots/) -> tables (theory + simulation) -> PNG + CSV.
//!
//! Kinds: `errors-vs-alpha`, `errors-vs-lambda`, `learning-curve`. Each spec names the model,
//! the theory grid and the simulation sizes; see plots/README.md.
use crate::data::Dataset;
use crate::figspectral;
use crate::error::{Error, Result};
use crate::optimize::optimal_lambda_masked;
use crate::plotting::{render, Figure, Panel, Series, Style};
use crate::progress::Progress;
use crate::realdata::{digits, learning_curve};
use crate::simulation::{simulate_errors_masked, SimConfig};
use crate::solver::{errors_sweep, errors_sweep_masked};
use crate::spec::{parse_grid, ModelSpec};
use crate::table::{make_out_dir, write_text, Table};
use clap::Args;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The gallery shipped with the binary: (file name, spec text) of plots/*.toml.
pub const BUILTIN_SPECS: &[(&str, &str)] = &[
    ("errors_isotropic.toml", include_str!("../plots/errors_isotropic.toml")),
    ("errors_ar1.toml", include_str!("../plots/errors_ar1.toml")),
    ("gen_vs_lambda.toml", include_str!("../plots/gen_vs_lambda.toml")),
    ("learning_curve_digits.toml", include_str!("../plots/learning_curve_digits.toml")),
    ("spectrum_histogram.toml", include_str!("../plots/spectrum_histogram.toml")),
    ("top_eigenvalue.toml", include_str!("../plots/top_eigenvalue.toml")),
    ("overlaps.toml", include_str!("../plots/overlaps.toml")),
    ("phase_diagram.toml", include_str!("../plots/phase_diagram.toml")),
    ("threshold_ratio.toml", include_str!("../plots/threshold_ratio.toml")),
    ("mask_ratio_loss.toml", include_str!("../plots/mask_ratio_loss.toml")),
    ("mask_ratio_optimal.toml", include_str!("../plots/mask_ratio_optimal.toml")),
    ("mask_ratio_detection.toml", include_str!("../plots/mask_ratio_detection.toml")),
    ("masked_errors_ar1.toml", include_str!("../plots/masked_errors_ar1.toml")),
];

/// What a figure shows.
#[derive(Debug, Clone, Copy, Deserialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// E_gen and E_train against alpha, one curve per lambda, Bayes limit, simulation markers.
    ErrorsVsAlpha,
    /// E_gen against lambda at fixed alphas, optimal lambda marked, simulation markers.
    ErrorsVsLambda,
    /// Real data: theory learning curve vs SSR on subsamples scored on held-out rows.
    LearningCurve,
    /// Histogram of A-hat's eigenvalues (one simulation) against the theory density.
    SpectrumHistogram,
    /// Top eigenvalue of A-hat and of S against theta.
    TopEigenvalue,
    /// Squared overlaps against theta: SSR right/left, PCA, oracle-whitened PCA.
    Overlaps,
    /// (alpha, theta) phase diagram of SSR and PCA thresholds.
    PhaseDiagram,
    /// SSR/PCA threshold ratio against the spread of the noise variances.
    ThresholdRatio,
    /// Test loss (15) against the masking ratio p, several alpha, simulation markers.
    LossVsMaskRatio,
    /// The optimal masking ratio against alpha.
    OptimalMaskRatio,
    /// SSR/PCA threshold ratio and spike recovery against the masking ratio p.
    DetectionVsMaskRatio,
}

/// Simulation sizes of a figure.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSpec {
    /// Dimension d (ignored for dense models, which have their own).
    #[serde(default = "default_d")]
    pub d: usize,
    #[serde(default = "default_trials")]
    pub trials: usize,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Grid of the simulated points (alpha for errors-vs-alpha, lambda for errors-vs-lambda).
    #[serde(default)]
    pub points: String,
}

fn default_d() -> usize {
    300
}
fn default_trials() -> usize {
    4
}
fn default_seed() -> u64 {
    1
}

/// One figure spec (a TOML file).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FigureSpec {
    pub kind: Kind,
    /// Title; a default naming the model and parameters is used when absent.
    pub title: Option<String>,
    #[serde(default)]
    pub model: ModelSpec,
    /// Theory grid of alpha (a value, list or range); for errors-vs-lambda the fixed alphas.
    pub alpha: Option<String>,
    /// Lambdas: list of curves (errors-vs-alpha), theory grid (errors-vs-lambda), value (learning-curve).
    pub lambda: Option<String>,
    /// Upper limit of the error axis (clips the interpolation peak near alpha = 1).
    pub y_max: Option<f64>,
    /// Logarithmic error axis.
    #[serde(default)]
    pub y_log: bool,
    /// Subsample sizes n (learning-curve).
    pub n: Option<String>,
    /// Spike strengths (grid) for the spectral figures.
    pub theta: Option<String>,
    /// Put the spike on one noise atom's coordinates (0-based) instead of all coordinates.
    pub spike_atom: Option<usize>,
    /// Spreads s of the noise variances {1/s, s} (threshold-ratio).
    pub spread: Option<String>,
    /// Histogram bins (spectrum-histogram).
    pub bins: Option<usize>,
    /// Masking ratio p: a grid for the masking figures, one value for the errors kinds (default 0: one-at-a-time SSR).
    pub mask_ratio: Option<String>,
    pub simulation: Option<SimSpec>,
}

impl FigureSpec {
    /// Parses a spec from TOML text; `name` is used in error messages.
    pub fn parse(text: &str, name: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::input(format!("{name}: {}", e.to_string().replace('\n', " "))))
    }

    fn need<'a>(&self, v: &'a Option<String>, key: &str, name: &str) -> Result<&'a str> {
        v.as_deref().ok_or_else(|| Error::input(format!("{name}: missing key '{key}'")))
    }
}

/// The computed content of a figure: the picture and the tables behind it.
pub struct Rendered {
    pub figure: Figure,
    pub tables: Vec<(String, Table)>,
}

/// Computes a figure from its spec (theory and simulation), without writing anything.
/// `base` resolves relative file paths in the spec.
pub fn build(spec: &FigureSpec, name: &str, base: &Path, quiet: bool) -> Result<Rendered> {
    // the kinds that read masking ratios: a grid (loss-vs-mask-ratio, detection-vs-mask-ratio)
    // or one value (the errors kinds); optimal-mask-ratio searches p itself
    let reads_p = matches!(spec.kind, Kind::LossVsMaskRatio | Kind::DetectionVsMaskRatio | Kind::ErrorsVsAlpha | Kind::ErrorsVsLambda);
    if spec.mask_ratio.is_some() && !reads_p {
        return Err(Error::input(format!(
            "{name}: 'mask_ratio' is read by the kinds errors-vs-alpha, errors-vs-lambda, loss-vs-mask-ratio and detection-vs-mask-ratio only, not by this kind"
        )));
    }
    let mut model = spec.model.clone();
    for p in [&mut model.cov, &mut model.data].into_iter().flatten() {
        if p.is_relative() {
            *p = base.join(&*p);
        }
    }
    match spec.kind {
        Kind::ErrorsVsAlpha => errors_vs_alpha(spec, &model, name, quiet),
        Kind::ErrorsVsLambda => errors_vs_lambda(spec, &model, name, quiet),
        Kind::LearningCurve => learning_curve_figure(spec, &model, name, quiet),
        Kind::SpectrumHistogram => figspectral::histogram(spec, &model, name, quiet),
        Kind::TopEigenvalue => figspectral::top_eigenvalue(spec, &model, name, quiet),
        Kind::Overlaps => figspectral::overlaps(spec, &model, name, quiet),
        Kind::PhaseDiagram => figspectral::phase_diagram(spec, &model, name, quiet),
        Kind::ThresholdRatio => figspectral::threshold_ratio(spec, &model, name, quiet),
        Kind::LossVsMaskRatio => crate::figmasking::loss_vs_mask_ratio(spec, &model, name, quiet),
        Kind::OptimalMaskRatio => crate::figmasking::optimal_mask_ratio_figure(spec, &model, name, quiet),
        Kind::DetectionVsMaskRatio => crate::figmasking::detection_vs_mask_ratio(spec, &model, name, quiet),
    }
}

/// The spec's [simulation] table, required.
pub(crate) fn sim_of<'a>(spec: &'a FigureSpec, name: &str) -> Result<&'a SimSpec> {
    spec.simulation.as_ref().ok_or_else(|| Error::input(format!("{name}: missing [simulation] table")))
}

/// A required grid key of the spec (a value, list or range).
pub(crate) fn grid_of(value: &Option<String>, key: &str, name: &str) -> Result<Vec<f64>> {
    parse_grid(key, value.as_deref().ok_or_else(|| Error::input(format!("{name}: missing key '{key}'")))?)
}

/// A required key of the spec that takes exactly one value.
pub(crate) fn one_of(value: &Option<String>, key: &str, name: &str) -> Result<f64> {
    match grid_of(value, key, name)?.as_slice() {
        [x] => Ok(*x),
        v => Err(Error::input(format!("{name}: '{key}' takes one value here, got {}", v.len()))),
    }
}

/// Where the spec puts its spike: one noise atom's block (checked against the model), or all coordinates.
pub(crate) fn support_of(spec: &FigureSpec, pop: &crate::model::Population, name: &str) -> Result<crate::spikes::Support> {
    match spec.spike_atom {
        None => Ok(crate::spikes::Support::All),
        Some(j) if j < pop.eig.len() => Ok(crate::spikes::Support::Atom(j)),
        Some(j) => Err(Error::input(format!("{name}: spike_atom = {j} is out of range (the model has {} noise atoms, 0-based)", pop.eig.len()))),
    }
}

fn errors_vs_alpha(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<Rendered> {
    let pop = model.build()?;
    let alphas = parse_grid("alpha", spec.need(&spec.alpha, "alpha", name)?)?;
    let lambdas = parse_grid("lambda", spec.need(&spec.lambda, "lambda", name)?)?;
    let sim = sim_of(spec, name)?;
    let sim_alphas = parse_grid("simulation.points", &sim.points)?;
    let p = mask_ratio_of(spec, name)?;
    let mut theory = Table::new(&["lambda", "alpha", "mask_ratio", "train_error", "gen_error", "bayes_error"]);
    for &l in &lambdas {
        let pts: Vec<(f64, f64)> = alphas.iter().map(|&a| (a, l)).collect();
        for e in errors_sweep_masked(&pop, &pts, p)? {
            theory.push(vec![l, e.alpha, p, e.train_error, e.gen_error, e.bayes_error]);
        }
    }
    let progress = Progress::new(format!("{name}: simulation trials"), sim.trials * sim_alphas.len(), quiet);
    let cfg = SimConfig { d: sim.d, trials: sim.trials, seed: sim.seed };
    let mut simt = Table::new(&["lambda", "alpha", "mask_ratio", "d", "train_error", "train_se", "gen_error", "gen_se"]);
    let mut d_used = sim.d;
    for &a in &sim_alphas {
        for r in simulate_errors_masked(&pop, a, &lambdas, p, cfg, &progress)? {
            d_used = r.d;
            simt.push(vec![r.lambda, a, p, r.d as f64, r.train_error.mean, r.train_error.se, r.gen_error.mean, r.gen_error.se]);
        }
    }
    let bayes = pop.bayes_error();
    let panel = |key: &str, se: &str, ylab: &str, title: &str, is_gen: bool| {
        let with_bayes = is_gen;
        let mut series = Vec::new();
        for (i, &l) in lambdas.iter().enumerate() {
            let rows: Vec<&Vec<f64>> = theory.rows.iter().filter(|r| r[0] == l).collect();
            let k = theory.col(key);
            let lam = if p == 0.0 { "λ" } else { "λ0" };
            series.push(line(Some(format!("theory {lam} = {l}")), i, rows.iter().map(|r| r[1]).collect(), rows.iter().map(|r| r[k]).collect()));
            let srows: Vec<&Vec<f64>> = simt.rows.iter().filter(|r| r[0] == l).collect();
            let (k, ks) = (simt.col(key), simt.col(se));
            series.push(marker_series(None, i, srows.iter().map(|r| r[1]).collect(), srows.iter().map(|r| r[k]).collect(), srows.iter().map(|r| r[ks]).collect()));
        }
        series.push(sim_legend(d_used));
        if with_bayes {
            series.push(bayes_line(bayes, p));
        }
        Panel {
            title: title.into(),
            x_label: "α = n/d".into(),
            y_label: ylab.into(),
            y_log: spec.y_log,
            // y_max clips the interpolation peak of E_gen; the training error stays below it
            y_range: if is_gen { spec.y_max.map(|m| (if spec.y_log { 1e-2 } else { 0.0 }, m)) } else { None },
            series,
            ..Default::default()
        }
    };
    // A_p has no training error of eq. (7): with masking the figure is the test loss (15) alone
    let (title, panels, width) = if p == 0.0 {
        let title = spec.title.clone().unwrap_or_else(|| format!("SSR errors, {}", pop.label));
        let panels = vec![
            panel("gen_error", "gen_se", "E_gen", "generalization error", true),
            panel("train_error", "train_se", "E_train", "training error", false),
        ];
        (title, panels, 1400)
    } else {
        let title = spec.title.clone().unwrap_or_else(|| format!("Masked prediction, masking ratio p = {p}: test loss, {}", pop.label));
        (title, vec![panel("gen_error", "gen_se", "test loss L_p", "test loss per masked coordinate (15)", true)], 1000)
    };
    Ok(Rendered {
        figure: Figure { title, panels, width, height: 600 },
        tables: vec![("theory".into(), theory), ("simulation".into(), simt)],
    })
}

/// The spec's masking ratio for the errors kinds: one value in [0, 1), 0 (one-at-a-time SSR) when absent.
fn mask_ratio_of(spec: &FigureSpec, name: &str) -> Result<f64> {
    match &spec.mask_ratio {
        None => Ok(0.0),
        Some(_) => one_of(&spec.mask_ratio, "mask_ratio", name),
    }
}

/// The Bayes error of predicting a coordinate from all the others: the floor of E_gen, and with
/// masking (p > 0, fewer coordinates seen) a lower bound of the test loss.
fn bayes_line(bayes: f64, p: f64) -> Series {
    let label = if p == 0.0 { format!("Bayes limit {bayes:.3}") } else { format!("Bayes limit of p → 0: {bayes:.3} (a lower bound)") };
    Series { label: Some(label), color: 7, style: Style::HLine, x: vec![], y: vec![bayes], y2: vec![] }
}

/// A solid theory line.
pub fn line(label: Option<String>, color: usize, x: Vec<f64>, y: Vec<f64>) -> Series {
    Series { label, color, style: Style::Line, x, y, y2: vec![] }
}

/// The one legend entry for the simulation markers of several curves, each drawn in its
/// curve's colour: a grey marker with no data of its own.
pub fn sim_legend(d: usize) -> Series {
    Series { label: Some(format!("simulation d = {d} (± s.e.), colour of its curve")), color: 7, style: Style::ErrorBars, x: vec![], y: vec![], y2: vec![] }
}

/// Simulation markers with error bars (half-width = one standard error).
pub fn marker_series(label: Option<String>, color: usize, x: Vec<f64>, y: Vec<f64>, se: Vec<f64>) -> Series {
    Series { label, color, style: Style::ErrorBars, x, y, y2: se }
}

fn errors_vs_lambda(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<Rendered> {
    let pop = model.build()?;
    let alphas = parse_grid("alpha", spec.need(&spec.alpha, "alpha", name)?)?;
    let lambdas = parse_grid("lambda", spec.need(&spec.lambda, "lambda", name)?)?;
    let sim = sim_of(spec, name)?;
    let sim_lambdas = parse_grid("simulation.points", &sim.points)?;
    let (lo, hi) = (lambdas[0], *lambdas.last().expect("non-empty"));
    let p = mask_ratio_of(spec, name)?;
    let mut theory = Table::new(&["alpha", "lambda", "mask_ratio", "gen_error", "train_error"]);
    let mut optimum = Table::new(&["alpha", "mask_ratio", "lambda_opt", "gen_error_opt"]);
    let mut simt = Table::new(&["alpha", "lambda", "mask_ratio", "d", "gen_error", "gen_se"]);
    let progress = Progress::new(format!("{name}: simulation trials"), sim.trials * alphas.len(), quiet);
    let cfg = SimConfig { d: sim.d, trials: sim.trials, seed: sim.seed };
    let mut series = Vec::new();
    let mut d_used = sim.d;
    for (i, &a) in alphas.iter().enumerate() {
        let pts: Vec<(f64, f64)> = lambdas.iter().map(|&l| (a, l)).collect();
        let rows = errors_sweep_masked(&pop, &pts, p)?;
        for e in &rows {
            theory.push(vec![a, e.lambda, p, e.gen_error, e.train_error]);
        }
        let (lopt, gopt) = optimal_lambda_masked(&pop, a, p, lo, hi)?;
        optimum.push(vec![a, p, lopt, gopt]);
        let sims = simulate_errors_masked(&pop, a, &sim_lambdas, p, cfg, &progress)?;
        for r in &sims {
            d_used = r.d;
            simt.push(vec![a, r.lambda, p, r.d as f64, r.gen_error.mean, r.gen_error.se]);
        }
        series.push(line(Some(format!("theory α = {a}")), i, lambdas.clone(), rows.iter().map(|e| e.gen_error).collect()));
        series.push(marker_series(None, i, sims.iter().map(|r| r.lambda).collect(), sims.iter().map(|r| r.gen_error.mean).collect(), sims.iter().map(|r| r.gen_error.se).collect()));
        let star = if p == 0.0 { "λ*" } else { "λ0*" };
        series.push(Series { label: Some(format!("optimal {star} = {lopt:.3}")), color: i, style: Style::VLines, x: vec![lopt], y: vec![], y2: vec![] });
    }
    series.push(sim_legend(d_used));
    let bayes = pop.bayes_error();
    series.push(bayes_line(bayes, p));
    let (title, panel_title, x_label, y_label) = if p == 0.0 {
        (format!("SSR generalization error against λ, {}", pop.label), "E_gen(λ); dashed: optimal λ (argmin, Brent)", "ridge penalty λ", "E_gen")
    } else {
        (
            format!("Masked prediction, masking ratio p = {p}: test loss against λ0, {}", pop.label),
            "test loss (15); dashed: optimal λ0 (argmin, Brent)",
            "ridge penalty λ0",
            "test loss L_p",
        )
    };
    Ok(Rendered {
        figure: Figure {
            title: spec.title.clone().unwrap_or(title),
            panels: vec![Panel {
                title: panel_title.into(),
                x_label: x_label.into(),
                y_label: y_label.into(),
                x_log: true,
                y_log: spec.y_log,
                y_range: spec.y_max.map(|m| (0.0, m)),
                series,
                ..Default::default()
            }],
            width: 900,
            height: 640,
        },
        tables: vec![("theory".into(), theory), ("optimum".into(), optimum), ("simulation".into(), simt)],
    })
}

fn learning_curve_figure(spec: &FigureSpec, model: &ModelSpec, name: &str, quiet: bool) -> Result<Rendered> {
    let (ds, label) = match &model.data {
        Some(p) => (Dataset::load(p, &model.drop_columns)?, p.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default()),
        None => (digits()?, "8x8 digits".to_string()),
    };
    let lambda = parse_grid("lambda", spec.lambda.as_deref().unwrap_or("0.1"))?[0];
    let ns: Vec<usize> = parse_grid("n", spec.need(&spec.n, "n", name)?)?.iter().map(|x| x.round() as usize).collect();
    let sim = sim_of(spec, name)?;
    let progress = Progress::new(format!("{name}: subsample fits"), sim.trials * ns.len(), quiet);
    let t = learning_curve(&ds, &ns, lambda, sim.trials, sim.seed, &progress)?;
    let d = ds.x.ncols();
    let (a, ex, se) = (t.column("alpha"), t.column("experiment_gen_error"), t.column("experiment_se"));
    // the theory line on a fine log grid spanning the subsample sizes
    let pop = crate::model::Population::dense(ds.covariance(), label.clone())?;
    let (a0, a1) = (a.iter().cloned().fold(f64::INFINITY, f64::min), a.iter().cloned().fold(0.0, f64::max));
    let fine: Vec<f64> = (0..80).map(|i| (a0.ln() + (a1.ln() - a0.ln()) * i as f64 / 79.0).exp()).collect();
    let curve = errors_sweep(&pop, &fine.iter().map(|&x| (x, lambda)).collect::<Vec<_>>())?;
    let mut theory = Table::new(&["alpha", "n", "lambda", "gen_error", "train_error"]);
    for e in &curve {
        theory.push(vec![e.alpha, e.alpha * d as f64, lambda, e.gen_error, e.train_error]);
    }
    let th = theory.column("gen_error");
    let bayes = t.column("bayes_error")[0];
    let title = spec.title.clone().unwrap_or_else(|| {
        format!("Learning curve, {label} (d = {d}, N = {}), λ = {lambda}", ds.x.nrows())
    });
    let series = vec![
        line(Some("theory (Σ = covariance of the full data set)".into()), 0, fine, th),
        Series {
            label: Some(format!("SSR on subsamples, held-out error ({} trials, ± s.e.)", sim.trials)),
            color: 1,
            style: Style::ErrorBars,
            x: a,
            y: ex,
            y2: se,
        },
        Series { label: Some(format!("Bayes limit {bayes:.3}")), color: 7, style: Style::HLine, x: vec![], y: vec![bayes], y2: vec![] },
    ];
    Ok(Rendered {
        figure: Figure {
            title,
            panels: vec![Panel {
                title: "gap: finite d and Σ estimated from the same data".into(),
                x_label: "α = n/d".into(),
                y_label: "E_gen (per coordinate)".into(),
                x_log: true,
                series,
                ..Default::default()
            }],
            width: 900,
            height: 640,
        },
        tables: vec![("experiment".into(), t), ("theory".into(), theory)],
    })
}

/// Writes `<out>/<name>.png` and one `<out>/<name>_<table>.csv` per table (atomically); unless
/// `quiet`, says on stderr which points a fixed axis range leaves out of the PNG (the CSVs have them).
pub fn write(r: &Rendered, out: &Path, name: &str, quiet: bool) -> Result<Vec<PathBuf>> {
    if !quiet {
        for w in crate::plotting::off_scale_points(&r.figure)? {
            eprintln!("{name}: {w} (they are in the CSV)");
        }
    }
    let mut written = Vec::new();
    for (suffix, t) in &r.tables {
        let p = out.join(format!("{name}_{suffix}.csv"));
        write_text(&p, &t.to_csv())?;
        written.push(p);
    }
    let png = out.join(format!("{name}.png"));
    render(&r.figure, &png)?;
    written.push(png);
    Ok(written)
}

/// `mssr figures`
#[derive(Args, Debug, Clone)]
pub struct FiguresArgs {
    /// Output directory (created if missing)
    #[arg(long, default_value = "plots")]
    out: PathBuf,
    /// Render the specs in this directory (*.toml) instead of the built-in gallery
    #[arg(long)]
    specs: Option<PathBuf>,
    /// No progress messages
    #[arg(long, short)]
    quiet: bool,
    /// Render only shard I of N of the gallery (figures k with k mod N = I-1); the shards'
    /// outputs together are the whole gallery
    #[arg(long, value_name = "I/N")]
    shard: Option<String>,
}

/// `mssr figure SPEC`
#[derive(Args, Debug, Clone)]
pub struct FigureArgs {
    /// Figure spec (TOML)
    spec: PathBuf,
    /// Output directory (created if missing)
    #[arg(long, default_value = "plots")]
    out: PathBuf,
    #[arg(long, short)]
    quiet: bool,
}

/// `mssr learning-curve`
#[derive(Args, Debug, Clone)]
pub struct LearningCurveArgs {
    /// Data set CSV with header (default: built-in 8x8 digits)
    #[arg(long)]
    data: Option<PathBuf>,
    /// Columns to drop (default for the built-in digits: label)
    #[arg(long, value_delimiter = ',')]
    drop_columns: Vec<String>,
    #[arg(long, default_value_t = 0.1, allow_negative_numbers = true)]
    lambda: f64,
    /// Subsample sizes n: list or range start:stop:count[:log]
    #[arg(long, default_value = "40:600:8:log")]
    n: String,
    #[arg(long, default_value_t = 20)]
    trials: usize,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory (created if missing) for learning_curve.png, learning_curve_theory.csv and learning_curve_experiment.csv
    #[arg(long, default_value = "plots")]
    out: PathBuf,
    /// Print the table as JSON
    #[arg(long)]
    json: bool,
    #[arg(long, short)]
    quiet: bool,
}

/// Runs `mssr learning-curve`.
pub fn learning_curve_cmd(a: &LearningCurveArgs) -> Result<()> {
    make_out_dir(&a.out)?;
    crate::error::finite("lambda", a.lambda)?;
    if a.lambda < 0.0 {
        return Err(Error::input(format!("lambda must be non-negative, got {}", a.lambda)));
    }
    let spec = FigureSpec {
        kind: Kind::LearningCurve,
        title: None,
        model: ModelSpec { data: a.data.clone(), drop_columns: a.drop_columns.clone(), ..Default::default() },
        alpha: None,
        lambda: Some(a.lambda.to_string()),
        y_max: None,
        y_log: false,
        n: Some(a.n.clone()),
        theta: None,
        spike_atom: None,
        spread: None,
        bins: None,
        mask_ratio: None,
        simulation: Some(SimSpec { d: 0, trials: a.trials, seed: a.seed, points: String::new() }),
    };
    let r = build(&spec, "learning_curve", Path::new("."), a.quiet)?;
    let files = write(&r, &a.out, "learning_curve", a.quiet)?;
    let t = &r.tables[0].1;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&t.to_json()).expect("serializable"));
    } else {
        crate::cli::print_text(t);
    }
    if !a.quiet {
        for f in files {
            eprintln!("wrote {}", f.display());
        }
    }
    Ok(())
}

/// Renders one spec file into `out`.
pub fn figure_cmd(a: &FigureArgs) -> Result<()> {
    make_out_dir(&a.out)?;
    let text = std::fs::read_to_string(&a.spec).map_err(|e| Error::Io { path: a.spec.display().to_string(), source: e })?;
    let name = a.spec.file_stem().map(|s| s.to_string_lossy().to_string()).unwrap_or_else(|| "figure".into());
    let spec = FigureSpec::parse(&text, &a.spec.display().to_string())?;
    let base = a.spec.parent().map(Path::to_path_buf).unwrap_or_default();
    let r = build(&spec, &name, &base, a.quiet)?;
    for f in write(&r, &a.out, &name, a.quiet)? {
        if !a.quiet {
            eprintln!("wrote {}", f.display());
        }
    }
    Ok(())
}

/// Renders the whole gallery (built-in specs, or the *.toml of `--specs`).
pub fn figures_cmd(a: &FiguresArgs) -> Result<()> {
    make_out_dir(&a.out)?;
    let specs: Vec<(String, String, PathBuf)> = match &a.specs {
        None => BUILTIN_SPECS.iter().map(|(n, t)| (n.to_string(), t.to_string(), PathBuf::from("plots"))).collect(),
        Some(dir) => {
            let mut v = Vec::new();
            let rd = std::fs::read_dir(dir).map_err(|e| Error::Io { path: dir.display().to_string(), source: e })?;
            for entry in rd.flatten() {
                let p = entry.path();
                if p.extension().is_some_and(|e| e == "toml") {
                    let t = std::fs::read_to_string(&p).map_err(|e| Error::Io { path: p.display().to_string(), source: e })?;
                    v.push((p.file_name().unwrap().to_string_lossy().to_string(), t, dir.clone()));
                }
            }
            v.sort();
            if v.is_empty() {
                return Err(Error::input(format!("{}: no *.toml figure specs", dir.display())));
            }
            v
        }
    };
    // parse every spec before computing anything: a typo fails fast
    let parsed: Vec<(String, FigureSpec, PathBuf)> = specs
        .into_iter()
        .map(|(file, text, base)| {
            let spec = FigureSpec::parse(&text, &file)?;
            Ok((file.trim_end_matches(".toml").to_string(), spec, base))
        })
        .collect::<Result<_>>()?;
    let shard = match &a.shard {
        Some(s) => crate::shard::Shard::parse(s)?,
        None => crate::shard::Shard::ALL,
    };
    let total = parsed.len();
    for (i, (name, spec, base)) in parsed.iter().enumerate().filter(|(i, _)| shard.owns(*i)) {
        let t0 = std::time::Instant::now();
        if !a.quiet {
            eprintln!("[{}/{total}] {name} ...", i + 1);
        }
        let r = build(spec, name, base, a.quiet)?;
        let files = write(&r, &a.out, name, a.quiet)?;
        if !a.quiet {
            eprintln!("[{}/{total}] {name}: {} files in {:.1} s", i + 1, files.len(), t0.elapsed().as_secs_f64());
        }
    }
    Ok(())
}
