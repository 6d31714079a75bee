//! Fuzz target: the figure spec reader and the spec strings (README "Fuzzing").
//!
//! Any text through `FigureSpec::parse`; for a parsed spec, the model without file paths
//! (`ModelSpec::build`, its spikes), every grid string (`parse_grid`) and every spike
//! (`Spike::parse`). The raw text also goes through the flag parsers (`parse_grid`,
//! `parse_atoms`, `Spike::parse`, `Shard::parse`). Nothing may panic, and every refusal
//! must be an input error.
#![no_main]
use libfuzzer_sys::fuzz_target;
use masked_ssr::figures::FigureSpec;
use masked_ssr::shard::Shard;
use masked_ssr::spec::{parse_atoms, parse_grid, ModelSpec};
use masked_ssr::spikes::Spike;
use masked_ssr::{Error, Result};

fn input_or_ok<T>(r: Result<T>, what: &str) -> Option<T> {
    match r {
        Ok(x) => Some(x),
        Err(e) => {
            assert!(matches!(e, Error::Input(_)), "{what}: {e:?}");
            None
        }
    }
}

fn grid(what: &str, s: &str) {
    if let Some(g) = input_or_ok(parse_grid(what, s), what) {
        assert!(!g.is_empty() && g.iter().all(|x| x.is_finite()), "{what} {s:?}: {g:?}");
    }
}

fn model(m: &ModelSpec) {
    if m.cov.is_some() || m.data.is_some() {
        return; // file paths: not read here
    }
    if let Some(pop) = input_or_ok(m.build(), "model") {
        let wsum: f64 = pop.weight.iter().sum();
        assert!((wsum - 1.0).abs() < 1e-9, "weights sum to {wsum}");
        assert!(pop.eig.iter().all(|l| l.is_finite() && *l > 0.0), "eigenvalues {:?}", pop.eig);
        // (0 only where 1/variance overflows, e.g. a subnormal noise variance)
        let bayes = pop.bayes_error();
        assert!(bayes >= 0.0 && bayes <= pop.mean_of(&pop.eig) * (1.0 + 1e-9), "Bayes error {bayes}");
        input_or_ok(m.spikes(&pop), "spikes");
        input_or_ok(m.spike_grid(&pop), "spike grid");
        for s in &m.spike {
            input_or_ok(Spike::parse(s, pop.eig.len()), "spike");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Some(spec) = input_or_ok(FigureSpec::parse(text, "fuzz.toml"), "spec") {
        model(&spec.model);
        for g in [&spec.alpha, &spec.lambda, &spec.n, &spec.theta, &spec.spread].into_iter().flatten() {
            grid("grid", g);
        }
        if let Some(sim) = &spec.simulation {
            grid("simulation.points", &sim.points);
        }
    }
    // the same readers as command-line flags
    grid("flag", text);
    let _ = parse_atoms(text);
    model(&ModelSpec { noise: Some(text.to_string()), ..Default::default() });
    input_or_ok(Spike::parse(text, 3), "spike flag");
    input_or_ok(Shard::parse(text), "shard flag");
});
