//! Fuzz target: the CSV readers (README "Fuzzing").
//!
//! Any text through `parse_numeric_csv` (with and without a header), `Dataset::parse` and
//! the covariance reader; whatever parses as a square matrix goes through
//! `Population::dense`, and a parsed data set's covariance must be a valid model.
//! Nothing may panic, and every refusal must be an input error (or, for the
//! eigendecomposition, a numerical one).
#![no_main]
use libfuzzer_sys::fuzz_target;
use masked_ssr::data::{parse_covariance, parse_numeric_csv, Dataset};
use masked_ssr::model::Population;
use masked_ssr::Error;

fn check_population(pop: &Population, what: &str) {
    let wsum: f64 = pop.weight.iter().sum();
    assert!((wsum - 1.0).abs() < 1e-9, "{what}: weights sum to {wsum}");
    assert!(pop.eig.iter().all(|l| l.is_finite() && *l >= 0.0), "{what}: eigenvalues {:?}", pop.eig);
    let mean = pop.mean_of(&pop.eig);
    let bayes = pop.bayes_error();
    assert!(mean > 0.0 && mean.is_finite(), "{what}: mean eigenvalue {mean}");
    assert!((0.0..=mean * (1.0 + 1e-9)).contains(&bayes), "{what}: Bayes error {bayes}, mean eigenvalue {mean}");
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for header in [false, true] {
        match parse_numeric_csv(text, header, "fuzz.csv") {
            Ok(csv) => {
                let w = csv.rows[0].len();
                assert!(csv.rows.iter().all(|r| r.len() == w && r.iter().all(|x| x.is_finite())));
                assert_eq!(csv.header.map(|h| h.len()), header.then_some(w));
            }
            Err(e) => assert!(matches!(e, Error::Input(_)), "{e:?}"),
        }
    }
    match parse_covariance(text, "fuzz.csv") {
        Ok(cov) => match Population::dense(cov, "fuzz".into()) {
            Ok(pop) => check_population(&pop, "covariance"),
            Err(e) => assert!(matches!(e, Error::Input(_) | Error::Numerical(_)), "{e:?}"),
        },
        Err(e) => assert!(matches!(e, Error::Input(_)), "{e:?}"),
    }
    match Dataset::parse(text, &[], "fuzz.csv") {
        Ok(ds) => {
            let (n, d) = (ds.x.nrows(), ds.x.ncols());
            assert!(n >= 2 && d >= 2 && ds.columns.len() == d);
            let pop = Population::dense(ds.covariance(), "data".into()).expect("a data set's covariance is a valid model");
            check_population(&pop, "data set");
            let mean = pop.mean_of(&pop.eig);
            assert!((mean - 1.0).abs() < 1e-9, "data set not scaled to tr/d = 1: {mean}");
        }
        Err(e) => assert!(matches!(e, Error::Input(_)), "{e:?}"),
    }
});
