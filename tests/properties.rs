//! Property-based tests (issue #5) of the input readers and the model constructors: the grid
//! and atom parsers, `Population::{atoms, ar1, dense}`, the numeric CSV and data set readers,
//! `Spike::parse`, `Shard::parse` and `FigureSpec::parse`.
//!
//! Two kinds of properties: arbitrary text never panics and is refused with an input error
//! (`Error::Input`, exit code 2 in the CLI); generated valid input gives back exactly what
//! was written, and the models satisfy their invariants (weights sum to 1, mean of the
//! eigenvalues = tr(Σ)/d, Bayes error in (0, tr(Σ)/d]).
//!
//! The case counts are moderate (the whole file runs in a few seconds in release mode);
//! `PROPTEST_CASES=N cargo test --release --test properties` runs N cases per property.
//! The fuzz targets in fuzz/ cover the same readers with coverage guidance (README "Fuzzing").
use faer::Mat;
use masked_ssr::data::{parse_numeric_csv, Dataset};
use masked_ssr::figures::{FigureSpec, Kind, BUILTIN_SPECS};
use masked_ssr::model::Population;
use masked_ssr::shard::Shard;
use masked_ssr::spec::{parse_atoms, parse_grid, ModelSpec};
use masked_ssr::spikes::{Spike, Support};
use masked_ssr::Error;
use proptest::prelude::*;
use proptest::test_runner::Config;

/// `cases` cases per property, unless PROPTEST_CASES is set.
fn config(cases: u32) -> Config {
    let mut c = Config { failure_persistence: None, ..Config::default() };
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    c
}

fn is_input<T: std::fmt::Debug>(r: &Result<T, Error>) -> bool {
    matches!(r, Err(Error::Input(_)))
}

/// Arbitrary text: any Unicode, or strings over the alphabet the parsers care about
/// (so that the interesting branches are reached).
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[-+0-9eE.:,/@ a-z]{0,40}",
        "[-0-9.:]{0,12}:[0-9]{0,25}(:log|:lin|:x)?",
        "([-0-9.e]{1,8}(:[-0-9./]{1,8})?,?){0,5}",
    ]
}

/// Any finite f64: moderate values, or any normal / subnormal / zero of either sign.
fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        -1e3..1e3f64,
        prop::num::f64::NORMAL | prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ]
}

/// A positive finite f64, log-uniform over [1e-300, 1e300] or moderate.
fn positive_f64() -> impl Strategy<Value = f64> {
    prop_oneof![(-300.0..300.0f64).prop_map(|e| 10f64.powf(e)), 1e-3..1e3f64]
}

/// Writes a float so that it reads back to the same value: `{}`, `{:e}` or `{:?}`.
fn fmt_f64(x: f64, style: u8) -> String {
    match style % 3 {
        0 => format!("{x}"),
        1 => format!("{x:e}"),
        _ => format!("{x:?}"),
    }
}

fn same_bits(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.to_bits() == y.to_bits())
}

// ---------------------------------------------------------------------------------------------
// spec::parse_grid

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn grid_never_panics_and_refuses_with_input_errors(s in text()) {
        let r = parse_grid("g", &s);
        prop_assert!(r.is_ok() || is_input(&r), "{s:?}: {r:?}");
        if let Ok(v) = r {
            prop_assert!(!v.is_empty());
            prop_assert!(v.iter().all(|x| x.is_finite()), "{s:?} -> {v:?}");
        }
    }

    #[test]
    fn linear_range_has_n_monotone_points_and_exact_ends(
        a in finite_f64(), b in finite_f64(), n in 1usize..300, style in 0u8..3, lin in any::<bool>(),
    ) {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        let s = format!("{}:{}:{n}{}", fmt_f64(a, style), fmt_f64(b, style), if lin { ":lin" } else { "" });
        let g = parse_grid("g", &s).unwrap();
        check_range(&g, a, b, n, &s)?;
        if n > 1 && (b - a).is_finite() {
            // evenly spaced, to rounding
            let tol = 4.0 * f64::EPSILON * a.abs().max(b.abs());
            for (i, &x) in g.iter().enumerate() {
                let want = a + (b - a) * (i as f64 / (n - 1) as f64);
                prop_assert!((x - want).abs() <= tol, "{s}: point {i} = {x}, want {want}");
            }
        }
    }

    #[test]
    fn log_range_has_n_monotone_points_and_exact_ends(
        a in positive_f64(), b in positive_f64(), n in 1usize..300, style in 0u8..3,
    ) {
        let (a, b) = if a <= b { (a, b) } else { (b, a) };
        let s = format!("{}:{}:{n}:log", fmt_f64(a, style), fmt_f64(b, style));
        let g = parse_grid("g", &s).unwrap();
        check_range(&g, a, b, n, &s)?;
        prop_assert!(g.iter().all(|&x| x > 0.0), "{s}: {g:?}");
        if n > 1 {
            // evenly spaced in log scale: ln x_i = ln a + t_i (ln b - ln a), to rounding
            let tol = 1e-12 * a.ln().abs().max(b.ln().abs()).max(1.0);
            for (i, &x) in g.iter().enumerate() {
                let want = a.ln() + (b.ln() - a.ln()) * (i as f64 / (n - 1) as f64);
                prop_assert!((x.ln() - want).abs() <= tol, "{s}: point {i} = {x}, ln {} vs {want}", x.ln());
            }
        }
    }

    #[test]
    fn backwards_or_empty_ranges_are_input_errors(a in finite_f64(), b in finite_f64(), log in any::<bool>()) {
        prop_assume!(a != b);
        let (lo, hi) = if a < b { (a, b) } else { (b, a) };
        let scale = if log { ":log" } else { "" };
        let r = parse_grid("g", &format!("{hi}:{lo}:5{scale}"));
        prop_assert!(is_input(&r), "{r:?}");
        let r = parse_grid("g", &format!("{lo}:{hi}:0{scale}"));
        prop_assert!(is_input(&r), "{r:?}");
        if log && lo <= 0.0 {
            let r = parse_grid("g", &format!("{lo}:{hi}:3:log"));
            prop_assert!(is_input(&r), "{r:?}");
        }
    }

    #[test]
    fn lists_round_trip(v in prop::collection::vec(finite_f64(), 1..20), style in 0u8..3, spaced in any::<bool>()) {
        let sep = if spaced { " , " } else { "," };
        let s = v.iter().map(|&x| fmt_f64(x, style)).collect::<Vec<_>>().join(sep);
        let g = parse_grid("g", &s).unwrap();
        prop_assert!(same_bits(&g, &v), "{s}: {g:?} vs {v:?}");
    }

    #[test]
    fn non_finite_grid_values_are_input_errors(v in prop::collection::vec(finite_f64(), 0..5), bad in 0usize..6, at in 0usize..5) {
        let bad = ["NaN", "inf", "-inf", "1e400", "x", ""][bad];
        let mut parts: Vec<String> = v.iter().map(|x| x.to_string()).collect();
        parts.insert(at.min(parts.len()), bad.to_string());
        let s = parts.join(",");
        let r = parse_grid("g", &s);
        prop_assert!(is_input(&r), "{s:?}: {r:?}");
    }
}

fn check_range(g: &[f64], a: f64, b: f64, n: usize, s: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(g.len(), n, "{}", s);
    prop_assert!(g.iter().all(|x| x.is_finite()), "{s}: {g:?}");
    prop_assert!(g[0] == a, "{s}: first point {} != start {a}", g[0]);
    if n > 1 {
        prop_assert!(g[n - 1] == b, "{s}: last point {} != stop {b}", g[n - 1]);
    }
    prop_assert!(g.windows(2).all(|w| w[0] <= w[1]), "{s}: not monotone {g:?}");
    prop_assert!(g.iter().all(|&x| a <= x && x <= b), "{s}: outside [{a}, {b}]");
    Ok(())
}

#[test]
fn huge_range_counts_are_input_errors_not_aborts() {
    // Regression (fuzz/property): a count of 2^61 points asked for a 2^64-byte vector
    // ("capacity overflow" panic), 10^12 points aborted the process on allocation.
    for s in ["0:1:2305843009213693952", "0:1:18446744073709551615", "0:1:1000000000000", "1:2:100000000:log"] {
        let r = parse_grid("g", s);
        assert!(is_input(&r), "{s}: {r:?}");
        assert!(r.unwrap_err().to_string().contains("at most"), "{s}");
    }
    assert_eq!(parse_grid("g", "0:1:1000").unwrap().len(), 1000);
}

#[test]
fn full_width_range_stays_finite() {
    // Regression: b - a overflowed to inf, so the first point was 0 * inf = NaN.
    let g = parse_grid("g", "-1.7976931348623157e308:1.7976931348623157e308:5").unwrap();
    let want = [-f64::MAX, -f64::MAX / 2.0, 0.0, f64::MAX / 2.0, f64::MAX];
    assert!(g.iter().zip(&want).all(|(x, w)| (x - w).abs() <= 1e-15 * f64::MAX), "{g:?}");
    assert_eq!((g[0], g[2], g[4]), (-f64::MAX, 0.0, f64::MAX));
}

#[test]
fn range_ends_are_exact() {
    // Regression: a + 1 * (b - a) != b (0.1:0.7) and exp(ln a) != a in log ranges.
    let g = parse_grid("g", "0.1:0.7:4").unwrap();
    assert_eq!((g[0], g[3]), (0.1, 0.7));
    let g = parse_grid("g", "0.3:7:9:log").unwrap();
    assert_eq!((g[0], g[8]), (0.3, 7.0));
}

// ---------------------------------------------------------------------------------------------
// spec::parse_atoms + ModelSpec::build, Population::atoms

fn noise(s: &str) -> ModelSpec {
    ModelSpec { noise: Some(s.to_string()), ..Default::default() }
}

/// Variances (log-uniform in [1e-6, 1e6]) and positive weights summing to 1 to rounding.
fn atoms() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (1usize..8).prop_flat_map(|k| {
        (
            prop::collection::vec((-6.0..6.0f64).prop_map(|e| 10f64.powf(e)), k),
            prop::collection::vec(0.01..1.0f64, k),
        )
            .prop_map(|(psi, raw)| {
                let total: f64 = raw.iter().sum();
                (psi, raw.iter().map(|x| x / total).collect())
            })
    })
}

fn atoms_string(psi: &[f64], w: &[f64], style: u8) -> String {
    psi.iter().zip(w).map(|(p, w)| format!("{}:{}", fmt_f64(*p, style), fmt_f64(*w, style))).collect::<Vec<_>>().join(",")
}

fn check_population(pop: &Population, trace_over_d: f64, what: &str) -> Result<(), TestCaseError> {
    check_population_maybe_singular(pop, trace_over_d, what, false)
}

/// As `check_population`; a singular Σ (`singular_ok`) may have Bayes error 0.
fn check_population_maybe_singular(pop: &Population, trace_over_d: f64, what: &str, singular_ok: bool) -> Result<(), TestCaseError> {
    let wsum: f64 = pop.weight.iter().sum();
    prop_assert!((wsum - 1.0).abs() < 1e-12, "{what}: weights sum to {wsum}");
    prop_assert!(pop.weight.iter().all(|&w| w > 0.0 && w.is_finite()), "{what}: weights {:?}", pop.weight);
    prop_assert!(pop.eig.iter().all(|&l| l >= 0.0 && l.is_finite()), "{what}: eigenvalues {:?}", pop.eig);
    let mean = pop.mean_of(&pop.eig);
    prop_assert!((mean - trace_over_d).abs() <= 1e-10 * trace_over_d, "{what}: mean eigenvalue {mean} vs tr/d {trace_over_d}");
    let bayes = pop.bayes_error();
    let positive = bayes > 0.0 || (singular_ok && bayes == 0.0);
    prop_assert!(positive && bayes <= trace_over_d * (1.0 + 1e-12), "{what}: Bayes error {bayes} not in (0, {trace_over_d}]");
    Ok(())
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn atoms_never_panic_and_refuse_with_input_errors(s in text()) {
        let _ = parse_atoms(&s);
        let r = noise(&s).build();
        prop_assert!(r.is_ok() || is_input(&r), "{s:?}: {r:?}");
        if let Ok(pop) = r {
            let wsum: f64 = pop.weight.iter().sum();
            prop_assert!((wsum - 1.0).abs() <= 1e-9, "{s:?}: weights sum to {wsum}");
            prop_assert!(pop.eig.iter().all(|&p| p > 0.0 && p.is_finite()), "{s:?}: {:?}", pop.eig);
        }
    }

    #[test]
    fn valid_atoms_build_a_population_with_the_variances_as_eigenvalues((psi, w) in atoms(), style in 0u8..3) {
        let s = atoms_string(&psi, &w, style);
        let (p2, w2) = parse_atoms(&s).unwrap();
        prop_assert!(same_bits(&p2, &psi) && same_bits(&w2, &w), "{s}");
        let pop = noise(&s).build().unwrap();
        prop_assert!(same_bits(&pop.eig, &psi), "{s}: eig {:?}", pop.eig);
        prop_assert!(same_bits(&pop.weight, &w), "{s}: weights {:?}", pop.weight);
        let mean_var: f64 = psi.iter().zip(&w).map(|(p, w)| p * w).sum();
        check_population(&pop, mean_var, &s)?;
        // diagonal Σ: the conditional variance of a coordinate is its variance
        prop_assert!((pop.bayes_error() - mean_var).abs() <= 1e-12 * mean_var);
        // the same through the constructor
        let direct = Population::atoms(&psi, &w).unwrap();
        prop_assert!(same_bits(&direct.eig, &pop.eig) && same_bits(&direct.weight, &pop.weight));
    }

    #[test]
    fn equal_weights_as_fractions((psi, _) in atoms()) {
        let k = psi.len();
        let s = psi.iter().map(|p| format!("{p}:1/{k}")).collect::<Vec<_>>().join(",");
        let pop = noise(&s).build().unwrap();
        prop_assert!(pop.weight.iter().all(|&w| w == 1.0 / k as f64));
        // a lone variance means weight 1
        let one = noise(&format!("{}", psi[0])).build().unwrap();
        prop_assert!(one.eig == vec![psi[0]] && one.weight == vec![1.0]);
    }

    #[test]
    fn bad_variances_are_input_errors((psi, w) in atoms(), at in any::<prop::sample::Index>(), bad in 0usize..7, neg in positive_f64()) {
        let mut parts: Vec<String> = psi.iter().zip(&w).map(|(p, w)| format!("{p}:{w}")).collect();
        let j = at.index(parts.len());
        let v = match bad {
            0 => format!("{}", -neg),
            1 => "0".into(),
            2 => "-0".into(),
            3 => "NaN".into(),
            4 => "inf".into(),
            5 => "1e999".into(),
            _ => "one".into(),
        };
        parts[j] = format!("{v}:{}", w[j]);
        let s = parts.join(",");
        let r = noise(&s).build();
        prop_assert!(is_input(&r), "{s}: {r:?}");
        let mut p2 = psi.clone();
        if let Ok(x) = v.parse::<f64>() {
            p2[j] = x;
            prop_assert!(is_input(&Population::atoms(&p2, &w)), "{p2:?}");
        }
    }

    #[test]
    fn weights_not_summing_to_one_are_input_errors((psi, w) in atoms(), factor in prop_oneof![0.0..0.999999f64, 1.000001..10.0f64]) {
        let w2: Vec<f64> = w.iter().map(|x| x * factor).collect();
        let s = atoms_string(&psi, &w2, 0);
        let r = noise(&s).build();
        prop_assert!(is_input(&r), "{s}: {r:?}");
        prop_assert!(is_input(&Population::atoms(&psi, &w2)));
        // negative or zero weights, even when the sum is 1
        if psi.len() >= 2 {
            let mut w3 = w.clone();
            w3[0] = if factor < 1.0 { 0.0 } else { -w[0] };
            w3[1] = w[1] + w[0] - w3[0];
            prop_assert!(is_input(&Population::atoms(&psi, &w3)), "{w3:?}");
        }
    }

    #[test]
    fn mismatched_or_empty_atoms_are_input_errors((psi, w) in atoms()) {
        prop_assert!(is_input(&Population::atoms(&psi, &w[1..])));
        prop_assert!(is_input(&Population::atoms(&[], &[])));
    }

    #[test]
    fn only_one_model_source(rho in -0.9..0.9f64) {
        let spec = ModelSpec { noise: Some("1:1".into()), ar1: Some(rho), ..Default::default() };
        prop_assert!(is_input(&spec.build()));
        let spec = ModelSpec { drop_columns: vec!["label".into()], ..Default::default() };
        prop_assert!(is_input(&spec.build()));
    }
}

// ---------------------------------------------------------------------------------------------
// Population::ar1

/// |rho| < 1: uniform, or 1 - 10^-k close to the edge, either sign.
fn rho() -> impl Strategy<Value = f64> {
    prop_oneof![
        -0.999..0.999f64,
        (1.0..15.0f64, any::<bool>()).prop_map(|(k, neg)| (1.0 - 10f64.powf(-k)) * if neg { -1.0 } else { 1.0 }),
        prop::num::f64::SUBNORMAL | prop::num::f64::ZERO,
    ]
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn ar1_spectral_measure_has_unit_mean_and_the_known_bayes_error(rho in rho()) {
        let pop = Population::ar1(rho).unwrap();
        prop_assert!(pop.eig.iter().all(|&l| l > 0.0), "rho {rho}: eigenvalues {:?}", pop.eig);
        // unit variance: tr(Σ)/d = 1
        check_population(&pop, 1.0, &format!("rho {rho}"))?;
        // 1/(Σ^{-1})_kk = (1-rho²)/(1+rho²) in the interior of the Toeplitz matrix
        let want = (1.0 - rho) * (1.0 + rho) / (1.0 + rho * rho);
        let bayes = pop.bayes_error();
        prop_assert!((bayes - want).abs() <= 1e-8 * want, "rho {rho}: Bayes error {bayes} vs {want}");
        // the spectral measure depends on |rho| only
        let mirror = Population::ar1(-rho).unwrap();
        prop_assert!(same_bits(&mirror.eig, &pop.eig));
    }

    #[test]
    fn ar1_outside_the_unit_interval_is_an_input_error(
        rho in prop_oneof![
            (1.0..1e300f64),
            Just(1.0), Just(f64::INFINITY), Just(f64::NAN),
            prop::num::f64::POSITIVE | prop::num::f64::INFINITE | prop::num::f64::QUIET_NAN,
        ],
        neg in any::<bool>(),
    ) {
        let rho = if neg { -rho } else { rho };
        prop_assume!(rho.is_nan() || rho.abs() >= 1.0);
        prop_assert!(is_input(&Population::ar1(rho)), "rho {rho}");
        let spec = ModelSpec { ar1: Some(rho), ..Default::default() };
        prop_assert!(is_input(&spec.build()), "rho {rho}");
    }
}

#[test]
fn ar1_near_one_keeps_positive_eigenvalues() {
    // Regression: 1 - 2 rho cos(w) + rho² cancels catastrophically near w = 0 when rho -> 1,
    // giving wrong (even negative or infinite) eigenvalues; the stable form is
    // (1 - rho)² + 4 rho sin²(w/2), with 1 - rho² = (1 - rho)(1 + rho).
    for rho in [0.9999999, 1.0 - 1e-12, 1.0 - 1e-15, -(1.0 - 1e-15), 0.9999999999999999] {
        let p = Population::ar1(rho).unwrap();
        assert!(p.eig.iter().all(|&l| l > 0.0 && l.is_finite()), "rho {rho}");
        let mean = p.mean_of(&p.eig);
        assert!((mean - 1.0).abs() < 1e-10, "rho {rho}: mean {mean}");
    }
}

// ---------------------------------------------------------------------------------------------
// Population::dense

/// A symmetric positive definite d x d matrix B B^T + eps I, with B d x k.
fn spd() -> impl Strategy<Value = Mat<f64>> {
    (1usize..10, 1usize..10, 0.01..1.0f64, 0.0..3.0f64)
        .prop_flat_map(|(d, k, eps, log_scale)| {
            (prop::collection::vec(-3.0..3.0f64, d * k), Just((d, k, eps, 10f64.powf(log_scale - 1.5))))
        })
        .prop_map(|(b, (d, k, eps, scale))| {
            Mat::from_fn(d, d, |i, j| {
                let s: f64 = (0..k).map(|l| b[i * k + l] * b[j * k + l]).sum();
                scale * (s + if i == j { eps } else { 0.0 })
            })
        })
}

/// Inverse by Gauss-Jordan with partial pivoting (small, well-conditioned matrices only).
fn inverse(a: &Mat<f64>) -> Vec<Vec<f64>> {
    let d = a.nrows();
    let mut m: Vec<Vec<f64>> = (0..d).map(|i| (0..2 * d).map(|j| if j < d { a[(i, j)] } else if j - d == i { 1.0 } else { 0.0 }).collect()).collect();
    for c in 0..d {
        let p = (c..d).max_by(|&x, &y| m[x][c].abs().total_cmp(&m[y][c].abs())).unwrap();
        m.swap(c, p);
        let piv = m[c][c];
        for x in m[c].iter_mut() {
            *x /= piv;
        }
        for r in 0..d {
            if r != c {
                let f = m[r][c];
                let row_c = m[c].clone();
                for (x, y) in m[r].iter_mut().zip(&row_c) {
                    *x -= f * y;
                }
            }
        }
    }
    m.into_iter().map(|row| row[d..].to_vec()).collect()
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn dense_spectral_measure_and_bayes_error(cov in spd()) {
        let d = cov.nrows();
        let trace: f64 = (0..d).map(|i| cov[(i, i)]).sum();
        let pop = Population::dense(cov.clone(), "t".into()).unwrap();
        prop_assert_eq!(pop.eig.len(), d);
        prop_assert!(pop.weight.iter().all(|&w| w == 1.0 / d as f64));
        check_population(&pop, trace / d as f64, "dense")?;
        // Bayes error = (1/d) sum_k 1 / (Σ^{-1})_kk
        let inv = inverse(&cov);
        let want: f64 = (0..d).map(|k| 1.0 / inv[k][k]).sum::<f64>() / d as f64;
        let bayes = pop.bayes_error();
        prop_assert!((bayes - want).abs() <= 1e-8 * want, "Bayes error {bayes} vs {want}");
        prop_assert_eq!(pop.fixed_dim(), Some(d));
    }

    #[test]
    fn dense_refuses_non_psd_non_symmetric_and_non_finite(cov in spd(), at in any::<(prop::sample::Index, prop::sample::Index)>(), bad in 0usize..3) {
        let d = cov.nrows();
        let neg = Mat::from_fn(d, d, |i, j| -cov[(i, j)]);
        prop_assert!(is_input(&Population::dense(neg, "t".into())), "negative definite accepted");
        let (i, j) = (at.0.index(d), at.1.index(d));
        let mut m = cov.clone();
        m[(i, j)] = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY][bad];
        prop_assert!(is_input(&Population::dense(m, "t".into())), "non-finite entry accepted");
        if i != j {
            let mut m = cov.clone();
            m[(i, j)] += 1.0 + m[(i, j)].abs();
            prop_assert!(is_input(&Population::dense(m, "t".into())), "non-symmetric accepted");
        }
        prop_assert!(is_input(&Population::dense(Mat::from_fn(d, d + 1, |_, _| 1.0), "t".into())));
    }
}

#[test]
fn dense_singular_bayes_error_is_the_regularized_limit() {
    // Regression: for a singular Σ, U_kj² = 0 times 1/0 = inf made the Bayes error NaN.
    // Σ = diag(4, 0): coordinate 0 keeps variance 4, coordinate 1 is known (0): mean 2,
    // the limit of Σ + εI.
    let p = Population::dense(Mat::from_fn(2, 2, |i, j| if i == 0 && j == 0 { 4.0 } else { 0.0 }), "t".into()).unwrap();
    assert_eq!(p.bayes_error(), 2.0);
    // rank 1: every coordinate determined by the others
    let p = Population::dense(Mat::from_fn(3, 3, |_, _| 1.0), "t".into()).unwrap();
    let b = p.bayes_error();
    assert!((0.0..1e-12).contains(&b), "{b}");
}

#[test]
fn dense_with_huge_entries_is_refused_or_finite() {
    // Regression (fuzz/csv): [[1, 2], [1e208, -1e308]] is symmetric to 1e-8 of its scale, but
    // the eigendecomposition overflowed: eigenvalues [-?, inf] passed the PSD test and the
    // model had an infinite eigenvalue. Its eigenvalues are about -1e308 and 1e108.
    let cov = masked_ssr::data::parse_covariance("\"1\",2\n1e208,-1e308\n", "t").unwrap();
    let r = Population::dense(cov, "t".into());
    assert!(is_input(&r), "{r:?}");
    assert!(r.unwrap_err().to_string().contains("not positive semi-definite"));
    // PSD with entries near the largest float: eigenvalues 2e308 overflow
    let big = Mat::from_fn(2, 2, |_, _| 1e308);
    assert!(is_input(&Population::dense(big, "t".into())));
    // ... and below it, or near the smallest, the model is the scaled one
    for s in [1e300, 1e-300, 1e-310] {
        let c = Mat::from_fn(2, 2, |i, j| if i == j { 2.0 * s } else { s });
        let p = Population::dense(c, "t".into()).unwrap();
        let mut e = p.eig.clone();
        e.sort_by(f64::total_cmp);
        assert!((e[0] / s - 1.0).abs() < 1e-12 && (e[1] / s - 3.0).abs() < 1e-12, "{s}: {e:?}");
    }
}

#[test]
fn dense_refuses_empty() {
    assert!(is_input(&Population::dense(Mat::zeros(0, 0), "t".into())));
    assert!(is_input(&Population::dense(Mat::zeros(3, 3), "t".into())));
}

// ---------------------------------------------------------------------------------------------
// data::parse_numeric_csv and data::Dataset::parse

/// Rows x columns of finite numbers.
fn table(min_rows: usize, max_rows: usize, max_cols: usize) -> impl Strategy<Value = Vec<Vec<f64>>> {
    (min_rows..max_rows, 1usize..max_cols)
        .prop_flat_map(|(r, c)| prop::collection::vec(prop::collection::vec(finite_f64(), c), r))
}

/// Writes rows as CSV: number style, spaces around cells, CRLF, trailing newline, blank lines.
fn write_csv(header: Option<&[String]>, rows: &[Vec<f64>], style: u8, pad: bool, crlf: bool, trailing: bool) -> String {
    let nl = if crlf { "\r\n" } else { "\n" };
    let cell = |s: String| if pad { format!(" {s}\t") } else { s };
    let mut lines: Vec<String> = Vec::new();
    if let Some(h) = header {
        lines.push(h.iter().map(|s| cell(s.clone())).collect::<Vec<_>>().join(","));
    }
    for (i, r) in rows.iter().enumerate() {
        lines.push(r.iter().map(|&x| cell(fmt_f64(x, style.wrapping_add(i as u8)))).collect::<Vec<_>>().join(","));
        if pad && i == 0 {
            lines.push(String::new()); // a blank line is skipped
        }
    }
    let mut s = lines.join(nl);
    if trailing {
        s.push_str(nl);
    }
    s
}

fn names(c: usize) -> Vec<String> {
    (0..c).map(|j| format!("col{j}")).collect()
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn csv_never_panics_and_refuses_with_input_errors(s in prop_oneof![text(), "([-0-9.e, \"a-z]{0,12}(\n|\r\n)){0,8}"], header in any::<bool>()) {
        let r = parse_numeric_csv(&s, header, "f");
        prop_assert!(r.is_ok() || is_input(&r), "{s:?}: {r:?}");
        if let Ok(csv) = r {
            prop_assert!(!csv.rows.is_empty());
            let w = csv.rows[0].len();
            prop_assert!(csv.rows.iter().all(|r| r.len() == w && r.iter().all(|x| x.is_finite())));
            prop_assert_eq!(csv.header.is_some(), header);
            if let Some(h) = &csv.header {
                prop_assert_eq!(h.len(), w);
            }
        }
        let r = Dataset::parse(&s, &[], "f");
        prop_assert!(r.is_ok() || is_input(&r), "{s:?}: {r:?}");
    }

    #[test]
    fn csv_round_trips(rows in table(1, 12, 7), style in 0u8..3, pad in any::<bool>(), crlf in any::<bool>(), trailing in any::<bool>(), header in any::<bool>()) {
        let h = names(rows[0].len());
        let text = write_csv(header.then_some(&h[..]), &rows, style, pad, crlf, trailing);
        let csv = parse_numeric_csv(&text, header, "f").unwrap();
        prop_assert_eq!(csv.rows.len(), rows.len());
        for (got, want) in csv.rows.iter().zip(&rows) {
            prop_assert!(same_bits(got, want), "{text:?}: {got:?} vs {want:?}");
        }
        prop_assert_eq!(csv.header, header.then_some(h));
    }

    #[test]
    fn ragged_rows_are_input_errors_saying_ragged(rows in table(2, 8, 6), at in any::<prop::sample::Index>(), longer in any::<bool>(), header in any::<bool>()) {
        let c = rows[0].len();
        let mut text_rows: Vec<String> = rows.iter().map(|r| r.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",")).collect();
        // the ragged row: any data row after the first line of the file
        let j = if header { at.index(rows.len()) } else { 1 + at.index(rows.len() - 1) };
        let longer = longer || c == 1; // one cell less than 1 is a blank line
        text_rows[j] = if longer { format!("{},7", text_rows[j]) } else { rows[j][..c - 1].iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",") };
        if header {
            text_rows.insert(0, names(c).join(","));
        }
        let text = text_rows.join("\n");
        let e = parse_numeric_csv(&text, header, "f").unwrap_err();
        prop_assert!(matches!(e, Error::Input(_)), "{e:?}");
        prop_assert!(e.to_string().contains("ragged"), "{text:?}: {e}");
        if header {
            let e = Dataset::parse(&text, &[], "f").unwrap_err();
            prop_assert!(e.to_string().contains("ragged"), "{e}");
        }
    }

    #[test]
    fn bad_cells_are_input_errors_naming_line_and_column(rows in table(1, 6, 5), at in any::<(prop::sample::Index, prop::sample::Index)>(), bad in 0usize..5) {
        let (i, j) = (at.0.index(rows.len()), at.1.index(rows[0].len()));
        let bad = ["x", "NaN", "inf", "1e999", "1..2"][bad];
        let mut cells: Vec<Vec<String>> = rows.iter().map(|r| r.iter().map(|x| x.to_string()).collect()).collect();
        cells[i][j] = bad.to_string();
        let text = cells.iter().map(|r| r.join(",")).collect::<Vec<_>>().join("\n");
        let e = parse_numeric_csv(&text, false, "f").unwrap_err();
        prop_assert!(matches!(e, Error::Input(_)));
        let msg = e.to_string();
        prop_assert!(msg.contains(&format!("line {}, column {}", i + 1, j + 1)), "{msg}");
    }
}

/// A data set: N >= 2 rows of d >= 1 columns, some constant, varied scales.
fn data_table() -> impl Strategy<Value = Vec<Vec<f64>>> {
    (2usize..14, 1usize..6).prop_flat_map(|(n, d)| {
        (
            prop::collection::vec(prop::collection::vec(-100.0..100.0f64, d), n),
            prop::collection::vec((-30i32..30, any::<bool>()), d),
        )
            .prop_map(|(mut rows, cols)| {
                for (j, &(e, constant)) in cols.iter().enumerate() {
                    let c0 = rows[0][j];
                    for r in rows.iter_mut() {
                        r[j] = if constant { c0 } else { r[j] } * 10f64.powi(e);
                    }
                }
                rows
            })
    })
}

/// The prepared data set of `rows` (columns named by `names`): finite, each kept column the
/// centered input column times one common factor, tr(Σ)/d = 1.
fn check_dataset(ds: &Dataset, rows: &[Vec<f64>], names: &[String]) -> Result<(), TestCaseError> {
    let (n, d) = (rows.len(), ds.x.ncols());
    prop_assert_eq!(ds.x.nrows(), n);
    prop_assert_eq!(ds.columns.len(), d);
    prop_assert!(d >= 2);
    let mut factor = None;
    for (j, name) in ds.columns.iter().enumerate() {
        let col: Vec<f64> = (0..n).map(|i| ds.x[(i, j)]).collect();
        prop_assert!(col.iter().all(|x| x.is_finite()), "column {name}: {col:?}");
        let k = names.iter().position(|h| h == name).unwrap();
        let raw: Vec<f64> = rows.iter().map(|r| r[k]).collect();
        let mean = raw.iter().sum::<f64>() / n as f64;
        let centered: Vec<f64> = raw.iter().map(|x| x - mean).collect();
        let top = raw.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        // x = centered * c with one c for all columns, to the rounding of centering (~ eps * top)
        let norm2 = centered.iter().map(|x| x * x).sum::<f64>();
        let c = col.iter().zip(&centered).map(|(x, y)| x * y).sum::<f64>() / norm2;
        let tol = 16.0 * n as f64 * f64::EPSILON * top * c.abs();
        for (x, y) in col.iter().zip(&centered) {
            prop_assert!((x - y * c).abs() <= tol, "column {name}: {col:?} is not a multiple of {centered:?}");
        }
        prop_assert!(col.iter().sum::<f64>().abs() <= tol, "column {name} not centered: {col:?}");
        let f = *factor.get_or_insert(c);
        prop_assert!((c - f).abs() <= 1e-9 * f.abs(), "columns scaled differently: {c} vs {f}");
    }
    let cov = ds.covariance();
    let tr: f64 = (0..d).map(|j| cov[(j, j)]).sum();
    prop_assert!((tr / d as f64 - 1.0).abs() < 1e-12, "tr/d = {}", tr / d as f64);
    Ok(())
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn datasets_are_centered_and_scaled_or_refused(rows in data_table(), drop in any::<prop::sample::Index>(), dropping in any::<bool>()) {
        let c = rows[0].len();
        let h = names(c);
        let text = write_csv(Some(&h), &rows, 0, false, false, true);
        let drop_cols: Vec<String> = if dropping { vec![h[drop.index(c)].clone()] } else { vec![] };
        match Dataset::parse(&text, &drop_cols, "f") {
            Ok(ds) => {
                check_dataset(&ds, &rows, &h)?;
                for name in &ds.columns {
                    prop_assert!(h.contains(name) && !drop_cols.contains(name));
                }
                prop_assert_eq!(ds.columns.len() + ds.constant_dropped + drop_cols.len(), c);
                // the data set is a usable covariance model
                // (singular when the centered rows span fewer than d dimensions, e.g. N <= d)
                let pop = Population::dense(ds.covariance(), "data".into()).unwrap();
                check_population_maybe_singular(&pop, 1.0, "data", true)?;
            }
            Err(e) => {
                prop_assert!(matches!(e, Error::Input(_)), "{e:?}");
                prop_assert!(e.to_string().contains("fewer than 2 non-constant columns"), "{e}");
            }
        }
    }

    #[test]
    fn datasets_do_not_depend_on_the_unit_of_the_data(rows in data_table(), k in -120i32..120) {
        // a common factor 2^k is exact: the prepared data set (scaled to tr Σ / d = 1) is the same
        let h = names(rows[0].len());
        let factor = 2f64.powi(k);
        let scaled: Vec<Vec<f64>> = rows.iter().map(|r| r.iter().map(|x| x * factor).collect()).collect();
        let a = Dataset::parse(&write_csv(Some(&h), &rows, 0, false, false, false), &[], "a");
        let b = Dataset::parse(&write_csv(Some(&h), &scaled, 1, false, false, false), &[], "b");
        match (a, b) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(&a.columns, &b.columns);
                prop_assert_eq!(a.constant_dropped, b.constant_dropped);
                for i in 0..a.x.nrows() {
                    for j in 0..a.x.ncols() {
                        prop_assert!((a.x[(i, j)] - b.x[(i, j)]).abs() <= 1e-12 * a.x[(i, j)].abs().max(1.0), "x[{i},{j}]: {} vs {}", a.x[(i, j)], b.x[(i, j)]);
                    }
                }
            }
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "factor 2^{k}: {:?} vs {:?}", a.map(|d| d.columns), b.map(|d| d.columns)),
        }
    }

    #[test]
    fn unknown_drop_columns_are_input_errors(rows in data_table()) {
        let h = names(rows[0].len());
        let text = write_csv(Some(&h), &rows, 0, false, false, true);
        let r = Dataset::parse(&text, &["no such column".to_string()], "f");
        prop_assert!(is_input(&r));
        prop_assert!(r.unwrap_err().to_string().contains("no column named"));
    }
}

#[test]
fn dataset_keeps_small_unit_columns() {
    // Regression: the constant-column test was absolute (variance <= 1e-12 (1 + mean²)), so a
    // column measured in small units (here values ~1e-7) was dropped as constant.
    let text = "a,b,c\n1e-7,1,5\n2e-7,3,5\n4e-7,2,5\n";
    let ds = Dataset::parse(text, &[], "t").unwrap();
    assert_eq!(ds.columns, vec!["a", "b"]);
    assert_eq!(ds.constant_dropped, 1);
}

#[test]
fn dataset_with_huge_values_stays_finite() {
    // Regression: sums of squares overflowed: values near 1e308 gave a NaN data set (and a
    // column 1e200, 2e200, 4e200 was dropped as constant because mean² = inf).
    let text = "a,b,c\n1e308,1,1e200\n-1e308,3,2e200\n1.5e308,2,4e200\n";
    let ds = Dataset::parse(text, &[], "t").unwrap();
    assert_eq!(ds.columns, vec!["a", "b", "c"]);
    let n = ds.x.nrows();
    assert!((0..n).all(|i| (0..3).all(|j| ds.x[(i, j)].is_finite())));
    assert!(Population::dense(ds.covariance(), "t".into()).is_ok());
}

// ---------------------------------------------------------------------------------------------
// spikes::Spike::parse, shard::Shard::parse

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn spike_never_panics_and_refuses_with_input_errors(s in text(), n_atoms in 0usize..6) {
        let r = Spike::parse(&s, n_atoms);
        prop_assert!(r.is_ok() || is_input(&r), "{s:?}: {r:?}");
        if let Ok(sp) = r {
            prop_assert!(sp.theta > 0.0 && sp.theta.is_finite());
            if let Support::Atom(j) = sp.support {
                prop_assert!(j < n_atoms);
            }
        }
    }

    #[test]
    fn spikes_round_trip(theta in positive_f64(), j in 0usize..8, n_atoms in 0usize..8, style in 0u8..3) {
        let t = fmt_f64(theta, style);
        prop_assert_eq!(Spike::parse(&t, n_atoms).unwrap(), Spike { theta, support: Support::All });
        let r = Spike::parse(&format!("{t}@{j}"), n_atoms);
        if j < n_atoms {
            prop_assert_eq!(r.unwrap(), Spike { theta, support: Support::Atom(j) });
        } else {
            prop_assert!(is_input(&r));
        }
        let negative = format!("-{t}");
        prop_assert!(is_input(&Spike::parse(&negative, n_atoms)), "{}", negative);
        prop_assert!(is_input(&Spike::parse("0", n_atoms)));
    }

    #[test]
    fn shard_never_panics_and_refuses_with_input_errors(s in prop_oneof![text(), "[0-9 ]{0,22}/[0-9 ]{0,22}"]) {
        let r = Shard::parse(&s);
        prop_assert!(r.is_ok() || is_input(&r), "{s:?}: {r:?}");
        if let Ok(sh) = r {
            prop_assert!(sh.index < sh.count);
        }
    }

    #[test]
    fn shards_round_trip_and_partition(n in 1usize..40, big in any::<usize>(), k in 0usize..1000) {
        let shards: Vec<Shard> = (1..=n).map(|i| Shard::parse(&format!("{i}/{n}")).unwrap()).collect();
        for (i, s) in shards.iter().enumerate() {
            prop_assert_eq!(*s, Shard { index: i, count: n });
        }
        prop_assert_eq!(shards.iter().filter(|s| s.owns(k)).count(), 1);
        prop_assert_eq!(shards.iter().filter(|s| s.owns(big)).count(), 1);
        for bad in [format!("{}/{n}", n + 1), format!("0/{n}"), format!("{n}/0"), format!("{n}")] {
            prop_assert!(is_input(&Shard::parse(&bad)), "{}", bad);
        }
        if big > 0 {
            prop_assert_eq!(Shard::parse(&format!("{big}/{big}")).unwrap(), Shard { index: big - 1, count: big });
        }
    }
}

// ---------------------------------------------------------------------------------------------
// figures::FigureSpec::parse

const KINDS: &[(&str, Kind)] = &[
    ("errors-vs-alpha", Kind::ErrorsVsAlpha),
    ("errors-vs-lambda", Kind::ErrorsVsLambda),
    ("learning-curve", Kind::LearningCurve),
    ("spectrum-histogram", Kind::SpectrumHistogram),
    ("top-eigenvalue", Kind::TopEigenvalue),
    ("overlaps", Kind::Overlaps),
    ("phase-diagram", Kind::PhaseDiagram),
    ("threshold-ratio", Kind::ThresholdRatio),
    ("loss-vs-mask-ratio", Kind::LossVsMaskRatio),
    ("optimal-mask-ratio", Kind::OptimalMaskRatio),
    ("detection-vs-mask-ratio", Kind::DetectionVsMaskRatio),
];

/// A TOML value: string (grid-ish or not), number, bool, array, inline table, or garbage.
fn toml_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        "[-0-9.:,@e]{0,16}".prop_map(|s| format!("\"{s}\"")),
        "[ -~]{0,12}".prop_map(|s| format!("{s:?}")),
        any::<i64>().prop_map(|x| x.to_string()),
        finite_f64().prop_map(|x| format!("{x:?}")),
        Just("nan".to_string()),
        Just("-inf".to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        "[-+0-9a-z.:\\[\\]{}=\"' ]{0,12}",
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            prop::collection::vec(("[a-z-]{1,6}", inner), 0..3)
                .prop_map(|v| format!("{{ {} }}", v.iter().map(|(k, x)| format!("{k} = {x}")).collect::<Vec<_>>().join(", "))),
        ]
    })
}

/// TOML-ish figure specs: known and unknown keys, tables, values of any type.
fn toml_spec() -> impl Strategy<Value = String> {
    let key = prop::sample::select(vec![
        "kind", "title", "alpha", "lambda", "y_max", "y_log", "n", "theta", "spike_atom", "spread", "bins",
        "noise", "ar1", "cov", "data", "drop-columns", "spike", "d", "trials", "seed", "points", "bogus",
    ]);
    let line = prop_oneof![
        4 => (key, toml_value()).prop_map(|(k, v)| format!("{k} = {v}")),
        1 => prop::sample::select(vec!["[model]", "[simulation]", "[other]", "[[model]]", "[model.x]"]).prop_map(String::from),
        1 => prop::sample::select(KINDS.iter().map(|k| k.0).collect::<Vec<_>>()).prop_map(|k| format!("kind = \"{k}\"")),
        1 => "[ -~]{0,20}",
    ];
    prop_oneof![prop::collection::vec(line, 0..12).prop_map(|v| v.join("\n")), any::<String>()]
}

/// Everything downstream of a parsed spec that reads user strings: the model (without
/// files), its spikes and every grid. Each is Ok or an input error, never a panic.
fn exercise_spec(spec: &FigureSpec) -> Result<(), TestCaseError> {
    let m = &spec.model;
    if m.cov.is_none() && m.data.is_none() {
        let r = m.build();
        prop_assert!(r.is_ok() || is_input(&r), "{m:?}: {r:?}");
        if let Ok(pop) = r {
            let r = m.spikes(&pop);
            prop_assert!(r.is_ok() || is_input(&r), "{r:?}");
            let r = m.spike_grid(&pop);
            prop_assert!(r.is_ok() || is_input(&r), "{r:?}");
        }
    }
    let grids = [&spec.alpha, &spec.lambda, &spec.n, &spec.theta, &spec.spread];
    let points = spec.simulation.as_ref().map(|s| s.points.clone());
    for g in grids.into_iter().chain([&points]).flatten() {
        let r = parse_grid("g", g);
        prop_assert!(r.is_ok() || is_input(&r), "{g:?}: {r:?}");
    }
    for s in &m.spike {
        let r = Spike::parse(s, 3);
        prop_assert!(r.is_ok() || is_input(&r), "{s:?}: {r:?}");
    }
    Ok(())
}

proptest! {
    #![proptest_config(config(2048))]

    #[test]
    fn figure_specs_never_panic(text in toml_spec()) {
        let r = FigureSpec::parse(&text, "spec.toml");
        prop_assert!(r.is_ok() || is_input(&r), "{text:?}: {r:?}");
        match r {
            Ok(spec) => exercise_spec(&spec)?,
            Err(e) => prop_assert!(e.to_string().contains("spec.toml: "), "{e}"),
        }
    }

    #[test]
    fn valid_figure_specs_parse_to_their_fields(
        kind in prop::sample::select(KINDS.to_vec()),
        alpha in prop_oneof![
            "[0-9]{1,2}(\\.[0-9]{1,3})?(,[0-9]{1,2}){0,3}",
            (0.01..10.0f64, 10.0..50.0f64, 1usize..200, any::<bool>())
                .prop_map(|(a, b, n, log)| format!("{a}:{b}:{n}{}", if log { ":log" } else { "" })),
        ],
        lambda in prop::collection::vec(positive_f64(), 1..4),
        (psi, w) in atoms(),
        spikes in prop::collection::vec(positive_f64(), 0..3),
        d in any::<usize>(), trials in 0usize..100, seed in any::<u64>(),
        y_log in any::<bool>(),
    ) {
        let lambda = lambda.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(",");
        let noise = atoms_string(&psi, &w, 0);
        let spike = spikes.iter().map(|t| format!("\"{t}@0\"")).collect::<Vec<_>>().join(", ");
        let d_toml = d.min(i64::MAX as usize);
        let seed_toml = seed.min(i64::MAX as u64);
        let text = format!(
            "# a figure\nkind = \"{}\"\nalpha = \"{alpha}\"\nlambda = \"{lambda}\"\ny_log = {y_log}\n\n[model]\nnoise = \"{noise}\"\nspike = [{spike}]\n\n[simulation]\nd = {d_toml}\ntrials = {trials}\nseed = {seed_toml}\npoints = \"{alpha}\"\n",
            kind.0
        );
        let spec = FigureSpec::parse(&text, "t").unwrap();
        prop_assert_eq!(spec.kind, kind.1);
        prop_assert_eq!(spec.alpha.as_deref(), Some(alpha.as_str()));
        prop_assert_eq!(spec.lambda.as_deref(), Some(lambda.as_str()));
        prop_assert_eq!(spec.y_log, y_log);
        prop_assert_eq!(spec.model.noise.as_deref(), Some(noise.as_str()));
        prop_assert_eq!(spec.model.spike.len(), spikes.len());
        let sim = spec.simulation.as_ref().unwrap();
        prop_assert_eq!((sim.d, sim.trials, sim.seed), (d_toml, trials, seed_toml));
        prop_assert_eq!(&sim.points, &alpha);
        let pop = spec.model.build().unwrap();
        prop_assert!(same_bits(&pop.eig, &psi));
        let sp = spec.model.spikes(&pop).unwrap();
        prop_assert!(same_bits(&sp.iter().map(|s| s.theta).collect::<Vec<_>>(), &spikes));
        prop_assert!(parse_grid("alpha", &alpha).is_ok());
        exercise_spec(&spec)?;
        // unknown keys and a missing kind are refused
        let unknown_key = format!("{text}\nbogus = 1\n");
        prop_assert!(is_input(&FigureSpec::parse(&unknown_key, "t")), "{}", unknown_key);
        let no_kind = text.replace(&format!("kind = \"{}\"", kind.0), "");
        prop_assert!(is_input(&FigureSpec::parse(&no_kind, "t")), "{}", no_kind);
    }
}

#[test]
fn builtin_specs_parse() {
    for (name, text) in BUILTIN_SPECS {
        let spec = FigureSpec::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        exercise_spec(&spec).unwrap();
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// The two-stage eigenvalue solver agrees with faer's one-stage one on arbitrary symmetric
    /// matrices: any size around the band width, entries of any sign, zeros (rank-deficient
    /// panels, whose rounding noise goes subnormal), and any scale from 1e-300 to 1e300 (the
    /// reference is faer's on the unscaled matrix, scaled: faer loses accuracy at the extremes).
    #[test]
    fn two_stage_eigenvalues_match_faer(
        n in 1usize..(3 * masked_ssr::symeig::BAND + 5),
        entries in prop::collection::vec(prop_oneof![3 => -1.0f64..1.0, 1 => Just(0.0)], 1..2000),
        scale_exp in -300i32..=300,
    ) {
        let scale = 10f64.powi(scale_exp);
        let unit = Mat::from_fn(n, n, |i, j| entries[(i.max(j) * (i.max(j) + 1) / 2 + i.min(j)) % entries.len()]);
        let reference: Vec<f64> = unit.self_adjoint_eigenvalues(faer::Side::Lower).unwrap().iter().map(|x| x * scale).collect();
        let mut a = Mat::from_fn(n, n, |i, j| scale * unit[(i, j)]);
        let ours = masked_ssr::symeig::eigenvalues_lower(&mut a, faer::Par::Seq).unwrap();
        let norm = reference.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        prop_assert_eq!(ours.len(), n);
        for (x, y) in ours.iter().zip(&reference) {
            prop_assert!((x - y).abs() <= 1e-13 * norm * (n as f64).sqrt() + f64::MIN_POSITIVE, "n = {n}: {x:e} vs {y:e} (norm {norm:e})");
        }
    }
}
