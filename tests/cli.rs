//! The `mssr` binary as a user runs it: JSON keys, CSV output, determinism, bad input.
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mssr(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mssr")).args(args).output().expect("run mssr")
}

fn tmpdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("mssr-cli-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn json(out: &Output) -> serde_json::Value {
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("valid JSON on stdout")
}

#[test]
fn errors_json_has_the_documented_keys() {
    let v = json(&mssr(&["errors", "--alpha", "2", "--lambda", "0.1", "--ar1", "0.8", "--json"]));
    for k in ["alpha", "lambda", "delta", "train_error", "gen_error", "bayes_error", "residual", "iterations"] {
        assert!(v.get(k).is_some_and(|x| x.is_number()), "missing key {k} in {v}");
    }
    assert!(v["residual"].as_f64().unwrap() < 1e-10);
    assert!((v["gen_error"].as_f64().unwrap() - 0.29823).abs() < 1e-5);
}

#[test]
fn sweep_gives_one_row_per_point_and_csv() {
    let dir = tmpdir("sweep");
    let csv = dir.join("sweep.csv");
    let v = json(&mssr(&["errors", "--alpha", "0.2:5:7", "--lambda", "0.1,1", "--json", "--csv", csv.to_str().unwrap()]));
    assert_eq!(v.as_array().unwrap().len(), 14);
    let text = std::fs::read_to_string(&csv).unwrap();
    assert_eq!(text.lines().count(), 15);
    assert!(text.starts_with("alpha,lambda,mask_ratio,delta,train_error,gen_error,bayes_error"), "{text}");
}

#[test]
fn simulate_json_is_mean_and_se_and_deterministic() {
    let args = ["simulate", "--d", "60", "--alpha", "2", "--lambda", "0.1", "--trials", "3", "--seed", "5", "--noise", "0.5:0.5,2:0.5", "--json", "-q"];
    let a = mssr(&args);
    let v = json(&a);
    for k in ["delta", "train_error", "gen_error", "bayes_error"] {
        assert!(v[k]["mean"].is_number() && v[k]["se"].is_number(), "key {k}: {v}");
    }
    for k in ["alpha", "lambda", "d", "n", "trials", "seed"] {
        assert!(v[k].is_number(), "key {k}");
    }
    assert_eq!(a.stdout, mssr(&args).stdout, "same seed must give identical output");
    let mut other = args;
    other[10] = "6";
    assert_ne!(a.stdout, mssr(&other).stdout, "another seed should give other numbers");
}

/// Runs a bad command: exit code 2, one line on stderr, no panic, and no output file left.
fn refuses<S: AsRef<str> + std::fmt::Debug>(args: &[S], needle: &str, out_file: Option<&Path>) {
    let args: Vec<&str> = args.iter().map(|s| s.as_ref()).collect();
    let o = mssr(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: exit {:?}, stderr {err}", o.status.code());
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: not one line: {err}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    assert!(err.to_lowercase().contains(&needle.to_lowercase()), "{args:?}: '{err}' should mention '{needle}'");
    if let Some(p) = out_file {
        assert!(!p.exists(), "{args:?} left {}", p.display());
    }
}

#[test]
fn bad_input_is_one_line_exit_2_and_writes_nothing() {
    let dir = tmpdir("bad");
    let out = dir.join("out.csv");
    let o = out.to_str().unwrap();
    let e = |extra: &[&str]| -> Vec<String> {
        ["errors", "--csv", o].iter().chain(extra).map(|s| s.to_string()).collect()
    };
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--noise", "-1:1"]), "variance", Some(&out));
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--noise", "nan:1"]), "variance", Some(&out));
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--noise", "1:0.5,2:0.4"]), "sum to 1", Some(&out));
    refuses(&e(&["--alpha", "0", "--lambda", "0.1"]), "alpha", Some(&out));
    refuses(&e(&["--alpha", "-1", "--lambda", "0.1"]), "alpha", Some(&out));
    refuses(&e(&["--alpha", "2", "--lambda", "-0.1"]), "lambda", Some(&out));
    refuses(&e(&["--alpha", "0.5", "--lambda", "0"]), "alpha > 1", Some(&out));
    refuses(&e(&["--alpha", "2", "--lambda", "abc"]), "not a number", Some(&out));
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--ar1", "1"]), "rho", Some(&out));
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--ar1", "0.5", "--noise", "1:1"]), "only one", Some(&out));
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--bogus"]), "bogus", Some(&out));

    let ragged = dir.join("ragged.csv");
    std::fs::write(&ragged, "1,0\n0\n").unwrap();
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--cov", ragged.to_str().unwrap()]), "ragged", Some(&out));
    let text = dir.join("text.csv");
    std::fs::write(&text, "1,0\n0,one\n").unwrap();
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--cov", text.to_str().unwrap()]), "not a number", Some(&out));
    let non_psd = dir.join("nonpsd.csv");
    std::fs::write(&non_psd, "1,2\n2,1\n").unwrap();
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--cov", non_psd.to_str().unwrap()]), "positive semi-definite", Some(&out));
    let asym = dir.join("asym.csv");
    std::fs::write(&asym, "1,0.5\n0,1\n").unwrap();
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--cov", asym.to_str().unwrap()]), "asym.csv: covariance is not symmetric", Some(&out));
    let empty = dir.join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--cov", empty.to_str().unwrap()]), "no data rows", Some(&out));
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--cov", "/nonexistent/cov.csv"]), "nonexistent", Some(&out));
    let data = dir.join("data.csv");
    std::fs::write(&data, "a,b,label\n1,2,0\n3,x,1\n").unwrap();
    refuses(&e(&["--alpha", "2", "--lambda", "0.1", "--data", data.to_str().unwrap()]), "line 3", Some(&out));

    refuses(&["simulate", "--d", "50", "--alpha", "2", "--lambda", "-1", "--csv", o], "lambda", Some(&out));
    refuses(&["simulate", "--d", "5000000", "--alpha", "2", "--lambda", "0.1"], "GiB", None);
    refuses(&["errors", "--alpha", "2", "--lambda", "0.1", "--csv", "/nonexistent-dir/x.csv"], "does not exist", None);
    refuses(&["learning-curve", "--out", &format!("{}/sub", asym.display()), "--trials", "2"], "not a directory", None);
    // a missing required argument is named
    refuses(&["errors", "--alpha", "2"], "--lambda", None);
    refuses(&["errors", "--alpha", "2", "--lambda", "1e12"], "1e8 tr(Σ)/d", None);
    // a --csv path whose parent is a file says so
    refuses(&["errors", "--alpha", "2", "--lambda", "0.1", "--csv", &format!("{}/x.csv", asym.display())], "asym.csv: not a directory", None);
    assert_eq!(std::fs::read_dir(&dir).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with('.')).count(), 0);
}

#[test]
fn bad_figure_spec_is_refused() {
    let dir = tmpdir("spec");
    let spec = dir.join("bad.toml");
    std::fs::write(&spec, "kind = \"errors-vs-alpha\"\nalpha = \"1:2:3\"\nlambda = \"0.1\"\nbogus = 1\n").unwrap();
    refuses(&["figure", spec.to_str().unwrap(), "--out", dir.to_str().unwrap()], "bogus", Some(&dir.join("bad.png")));
    std::fs::write(&spec, "kind = \"errors-vs-alpha\"\nalpha = \"1:2:3\"\nlambda = \"-0.1\"\n[simulation]\npoints = \"1\"\n").unwrap();
    refuses(&["figure", spec.to_str().unwrap(), "--out", dir.to_str().unwrap()], "lambda", Some(&dir.join("bad.png")));
    // a masking ratio on a kind that does not read it is refused, not ignored
    std::fs::write(&spec, "kind = \"phase-diagram\"\nalpha = \"1:2:3\"\nlambda = \"0.1\"\nmask_ratio = \"0.5\"\n").unwrap();
    refuses(&["figure", spec.to_str().unwrap(), "--out", dir.to_str().unwrap()], "mask_ratio", Some(&dir.join("bad.png")));
    // a spike on a noise atom the model does not have is the user's error (it was a numerical failure)
    std::fs::write(&spec, "kind = \"phase-diagram\"\nalpha = \"1:2:3\"\nlambda = \"0.1\"\nspike_atom = 5\n[model]\nnoise = \"0.5:0.5,2:0.5\"\n").unwrap();
    refuses(&["figure", spec.to_str().unwrap(), "--out", dir.to_str().unwrap()], "spike_atom = 5 is out of range", Some(&dir.join("bad.png")));
}

#[test]
fn spectrum_and_spikes_json() {
    let v = json(&mssr(&["spectrum", "--alpha", "2", "--lambda", "0.1", "--noise", "0.5:0.5,2:0.5", "--points", "50", "--json"]));
    let e = v["ssr_edges"].as_array().unwrap();
    assert_eq!(e.len(), 1);
    assert!((e[0][1].as_f64().unwrap() - 0.770658).abs() < 1e-6);
    assert!((v["pca_edges"][0][1].as_f64().unwrap() - 4.649975).abs() < 1e-6);
    assert_eq!(v["grid"].as_array().unwrap().len(), 50);
    let v = json(&mssr(&["spikes", "--alpha", "2", "--lambda", "0.1", "--noise", "0.5:0.5,2:0.5", "--spike", "0.5,2", "--spike", "2@1", "--json"]));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 3);
    for k in ["theta", "ssr_threshold", "pca_threshold", "ssr_outlier", "pca_outlier", "ssr_whitened_overlap", "ssr_overlap", "ssr_left_overlap", "pca_overlap", "oracle_whitened_pca_threshold", "oracle_whitened_pca_outlier", "oracle_whitened_pca_overlap"] {
        assert!(rows[1].get(k).is_some(), "missing {k}");
    }
    assert!(rows[0]["ssr_outlier"].is_null(), "theta 0.5 is below SSR's threshold 0.6546");
    // the same key as the table and CSV: null on all coordinates, the atom index otherwise
    assert!(rows[1]["spike_atom"].is_null() && rows[2]["spike_atom"] == 1, "{:?}", rows[2]["spike_atom"]);
    assert!((rows[1]["ssr_overlap"].as_f64().unwrap() - 0.6666).abs() < 1e-4);
    // a grid of masking ratios: one row per p, PCA unchanged, A_p's threshold as validated (p = 0.5: 0.6655)
    let v = json(&mssr(&["spikes", "--alpha", "2", "--lambda", "0.1", "--noise", "0.5:0.5,2:0.5", "--spike", "2", "--mask-ratio", "0,0.5,0.75", "--json"]));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.iter().map(|r| r["mask_ratio"].as_f64().unwrap()).collect::<Vec<_>>(), vec![0.0, 0.5, 0.75]);
    assert!((rows[0]["ssr_threshold"].as_f64().unwrap() - 0.6546).abs() < 1e-4);
    assert!((rows[1]["ssr_threshold"].as_f64().unwrap() - 0.6655).abs() < 1e-4);
    assert!(rows.iter().all(|r| r["pca_threshold"] == rows[0]["pca_threshold"]));
    // the CSV says where each spike sits: blank for a delocalized spike, the atom index otherwise
    let dir = tmpdir("spikes-csv");
    let csv = dir.join("spikes.csv");
    json(&mssr(&["spikes", "--alpha", "2", "--lambda", "0.1", "--noise", "0.5:0.5,2:0.5", "--spike", "2", "--spike", "2@1", "--json", "--csv", csv.to_str().unwrap()]));
    let text = std::fs::read_to_string(&csv).unwrap();
    let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split(',').collect()).collect();
    let k = lines[0].iter().position(|&c| c == "spike_atom").expect("spike_atom column");
    assert_eq!((lines[1][k], lines[2][k]), ("", "1"), "{text}");
    assert_ne!(lines[1][lines[0].iter().position(|&c| c == "ssr_threshold").unwrap()], lines[2][lines[0].iter().position(|&c| c == "ssr_threshold").unwrap()]);
}

#[test]
fn spike_on_a_command_it_does_not_change_is_refused() {
    refuses(&["errors", "--alpha", "2", "--lambda", "0.1", "--spike", "2"], "--spike does not change the errors", None);
    refuses(&["optimal", "--alpha", "2", "--spike", "2"], "--spike does not change the test loss", None);
    refuses(&["spectrum", "--alpha", "2", "--lambda", "0.1", "--spike", "2"], "--spike does not change the bulk", None);
}

#[test]
fn bad_spectral_input_is_refused() {
    let base = ["spikes", "--alpha", "2", "--lambda", "0.1", "--noise", "0.5:0.5,2:0.5"];
    let with = |extra: &[&str]| base.iter().chain(extra).map(|s| s.to_string()).collect::<Vec<_>>();
    refuses(&with(&["--spike", "0"]), "theta must be positive", None);
    refuses(&with(&["--spike", "-1"]), "theta must be positive", None);
    refuses(&with(&["--spike", "2@5"]), "out of range", None);
    refuses(&with(&["--spike", "3:1:4"]), "backwards", None);
    refuses(&with(&[]), "--spike", None);
    refuses(&with(&["--spike", "1", "--mask-ratio", "0.5,1"]), "--mask-ratio", None);
    refuses(&["spikes", "--alpha", "2", "--lambda", "0.1", "--ar1", "0.5", "--spike", "1"], "diagonal noise", None);
    refuses(&["spectrum", "--alpha", "2", "--lambda", "0.1", "--points", "1"], "points", None);
    refuses(&["spectrum", "--alpha", "0.5", "--lambda", "0"], "alpha > 1", None);
    // options of one value say so when given a list
    refuses(&["spectrum", "--alpha", "2,3", "--lambda", "0.1"], "one number, not a list", None);
    refuses(&["simulate", "--d", "20", "--alpha", "2", "--lambda", "0.1", "--mask-ratio", "0,0.5"], "one number, not a list", None);
}

/// Runs `base` once and as three shards, merges the shards (in reverse order) and checks the
/// merged JSON and CSV equal the single run's byte for byte; returns the shard files.
fn merged_shards_equal_one_run(tag: &str, base: &[&str]) -> Vec<std::path::PathBuf> {
    let dir = tmpdir(tag);
    let single_csv = dir.join("single.csv");
    let mut one: Vec<&str> = base.to_vec();
    one.extend(["--json", "--csv", single_csv.to_str().unwrap()]);
    let single = mssr(&one);
    assert!(single.status.success(), "{}", String::from_utf8_lossy(&single.stderr));
    let mut files = Vec::new();
    for i in 1..=3 {
        let mut args: Vec<String> = base.iter().map(|s| s.to_string()).collect();
        args.extend(["--shard".to_string(), format!("{i}/3")]);
        let o = Command::new(env!("CARGO_BIN_EXE_mssr")).args(&args).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let f = dir.join(format!("s{i}.json"));
        std::fs::write(&f, &o.stdout).unwrap();
        files.push(f);
    }
    let merged_csv = dir.join("merged.csv");
    let mut margs: Vec<String> = vec!["merge".into()];
    // any order of the shard files gives the same result
    for f in files.iter().rev() {
        margs.push(f.to_str().unwrap().into());
    }
    margs.extend(["--json".into(), "--csv".into(), merged_csv.to_str().unwrap().into(), "-q".into()]);
    let merged = Command::new(env!("CARGO_BIN_EXE_mssr")).args(&margs).output().unwrap();
    assert!(merged.status.success(), "{tag}: {}", String::from_utf8_lossy(&merged.stderr));
    assert_eq!(String::from_utf8_lossy(&single.stdout), String::from_utf8_lossy(&merged.stdout));
    assert_eq!(std::fs::read(&single_csv).unwrap(), std::fs::read(&merged_csv).unwrap());
    files
}

#[test]
fn three_merged_shards_equal_one_run() {
    let base = ["simulate", "--d", "60", "--alpha", "1,2", "--lambda", "0.1,1", "--trials", "7", "--seed", "3", "--noise", "0.5:0.5,2:0.5", "--spike", "2", "-q"];
    let files = merged_shards_equal_one_run("shards", &base);
    // a missing shard is refused
    refuses(&["merge", files[0].to_str().unwrap(), files[1].to_str().unwrap()], "missing", None);
    refuses(&["simulate", "--d", "20", "--alpha", "2", "--lambda", "0.1", "--shard", "4/3"], "--shard", None);
    // a damaged shard file says what is wrong with it
    let damaged = files[0].with_file_name("damaged.json");
    std::fs::write(&damaged, r#"{"shard": {"index": 0, "count": 1}, "runs": [1]}"#).unwrap();
    refuses(&["merge", damaged.to_str().unwrap()], "damaged shard file", None);
    // a shard of another command (another alpha, no spike) is refused, not merged into ragged rows
    let other = Command::new(env!("CARGO_BIN_EXE_mssr"))
        .args(["simulate", "--d", "60", "--alpha", "3", "--lambda", "0.1,1", "--trials", "7", "--seed", "3", "--noise", "0.5:0.5,2:0.5", "-q", "--shard", "1/2"])
        .output()
        .unwrap();
    let other_file = files[0].with_file_name("other.json");
    std::fs::write(&other_file, &other.stdout).unwrap();
    for order in [[&files[0], &other_file], [&other_file, &files[0]]] {
        refuses(&["merge", order[0].to_str().unwrap(), order[1].to_str().unwrap()], "different runs", None);
    }
}

#[test]
fn masked_shards_merge_like_unmasked_ones() {
    // A_p has no training error (NaN, written null in the shard files), and with one trial per
    // shard no standard error either: both must survive the round trip through merge
    let masked = ["simulate", "--d", "60", "--alpha", "2", "--lambda", "0.1", "--mask-ratio", "0.5", "--trials", "5", "--seed", "4", "--noise", "0.5:0.5,2:0.5", "--spike", "2", "-q"];
    merged_shards_equal_one_run("masked-shards", &masked);
    let one_trial = ["simulate", "--d", "40", "--alpha", "2", "--lambda", "0.1", "--mask-ratio", "0.15", "--trials", "1", "--seed", "4", "-q"];
    merged_shards_equal_one_run("one-trial-shards", &one_trial);
}

#[test]
fn same_seed_is_byte_identical_with_one_or_two_threads() {
    let dir = tmpdir("threads");
    let mut outs = Vec::new();
    for threads in ["1", "2"] {
        for (tag, trials) in [("single", "1"), ("multi", "3")] {
            let csv = dir.join(format!("{tag}-{threads}.csv"));
            let o = Command::new(env!("CARGO_BIN_EXE_mssr"))
                .env("RAYON_NUM_THREADS", threads)
                .args(["simulate", "--d", "700", "--alpha", "1.5", "--lambda", "0.1,1", "--noise", "0.5:0.5,2:0.5", "--spike", "2"])
                .args(["--trials", trials, "--seed", "9", "--json", "-q", "--csv", csv.to_str().unwrap()])
                .output()
                .unwrap();
            assert!(o.status.success());
            outs.push((tag, threads, o.stdout, std::fs::read(&csv).unwrap()));
        }
    }
    for tag in ["single", "multi"] {
        let v: Vec<_> = outs.iter().filter(|o| o.0 == tag).collect();
        assert!(v[0].2 == v[1].2, "{tag}: JSON differs between 1 and 2 threads:\n{}\n{}", String::from_utf8_lossy(&v[0].2), String::from_utf8_lossy(&v[1].2));
        assert!(v[0].3 == v[1].3, "{tag}: CSV differs between 1 and 2 threads");
    }
}

#[test]
fn masking_ratio_commands() {
    let v = json(&mssr(&["errors", "--alpha", "1.5", "--lambda", "0.1", "--ar1", "0.7", "--mask-ratio", "0,0.5", "--json"]));
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["mask_ratio"].as_f64(), Some(0.5));
    assert!(rows[1]["train_error"].is_null(), "no training error is defined for p > 0");
    assert!(rows[1]["gen_error"].as_f64().unwrap() > rows[0]["gen_error"].as_f64().unwrap(), "p = 0.5 is worse than SSR here");
    let v = json(&mssr(&["optimal", "--alpha", "0.5", "--ar1", "0.7", "--json"]));
    let p = v["p_opt"].as_f64().unwrap();
    assert!(p > 0.05 && p < 0.4, "a moderate masking ratio is optimal at alpha = 0.5: {p}");
    assert!(v["loss_p_opt"].as_f64().unwrap() < v["ssr_loss"].as_f64().unwrap());
    let v = json(&mssr(&["simulate", "--d", "80", "--alpha", "1.5", "--lambda", "0.1", "--ar1", "0.7", "--mask-ratio", "0.5", "--trials", "2", "--json", "-q"]));
    assert_eq!(v["mask_ratio"].as_f64(), Some(0.5));
    for bad in ["1", "-0.1", "1.5", "nan"] {
        refuses(&["errors", "--alpha", "2", "--lambda", "0.1", "--mask-ratio", bad], "mask-ratio", None);
    }
    refuses(&["errors", "--alpha", "0.5", "--lambda", "0", "--mask-ratio", "0"], "alpha > 1", None);
    refuses(&["errors", "--alpha", "2", "--lambda", "0.1", "--mask-ratio", "0.3", "--cov", "/nonexistent.csv"], "nonexistent", None);
}

#[test]
fn simulate_csv_carries_the_spectral_side() {
    // with --spike the CSV has the top eigenvalues and every spike's overlaps, equal to the JSON
    let dir = tmpdir("simcsv");
    let csv = dir.join("s.csv");
    let args = ["simulate", "--d", "80", "--alpha", "2", "--lambda", "0.1,0.5", "--noise", "0.5:0.5,2:0.5", "--spike", "2", "--spike", "1@0", "--trials", "2", "-q"];
    let v = json(&mssr(&[&args[..], &["--json", "--csv", csv.to_str().unwrap()]].concat()));
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    let rows: Vec<Vec<f64>> = lines.map(|l| l.split(',').map(|x| x.parse().unwrap()).collect()).collect();
    assert_eq!(rows.len(), 2);
    let col = |name: &str| head.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name} in {head:?}"));
    for (i, r) in v.as_array().unwrap().iter().enumerate() {
        assert_eq!(rows[i][col("ssr_top_eigenvalue")], r["ssr_top_eigenvalue"]["mean"].as_f64().unwrap());
        assert_eq!(rows[i][col("pca_bulk_top_eigenvalue_se")], r["pca_bulk_top_eigenvalue"]["se"].as_f64().unwrap());
        assert_eq!(rows[i][col("spike1_theta")], 1.0);
        assert_eq!(rows[i][col("spike1_ssr_left_overlap")], r["spikes"][1]["ssr_left_overlap"]["mean"].as_f64().unwrap());
    }
}

#[test]
fn out_directories_are_created_and_singular_cov_simulates_its_own_bayes_error() {
    let dir = tmpdir("outdir");
    let spec = dir.join("s.toml");
    std::fs::write(&spec, "kind = \"errors-vs-alpha\"\nalpha = \"1:2:3\"\nlambda = \"0.1\"\n[simulation]\nd = 20\ntrials = 2\npoints = \"2\"\n").unwrap();
    let out = dir.join("new/nested");
    let o = mssr(&["figure", spec.to_str().unwrap(), "--out", out.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.join("s.png").is_file() && out.join("s_theory.csv").is_file());
    // Σ = diag(1, 0): the second coordinate is always 0 (Bayes error 0), the first is independent (1)
    let cov = dir.join("singular.csv");
    std::fs::write(&cov, "1,0\n0,0\n").unwrap();
    let th = json(&mssr(&["errors", "--alpha", "2", "--lambda", "0.1", "--cov", cov.to_str().unwrap(), "--json"]));
    let sim = json(&mssr(&["simulate", "--alpha", "2", "--lambda", "0.1", "--cov", cov.to_str().unwrap(), "--trials", "2", "--json", "-q"]));
    assert_eq!(th["bayes_error"].as_f64(), Some(0.5));
    assert_eq!(sim["bayes_error"]["mean"].as_f64(), Some(0.5));
    // the covariance fixes d: the same --d is accepted, another one refused instead of ignored
    let c = cov.to_str().unwrap();
    let same = mssr(&["simulate", "--alpha", "2", "--lambda", "0.1", "--cov", c, "--d", "2", "--trials", "2", "--json", "-q"]);
    assert_eq!(json(&same)["d"].as_u64(), Some(2), "{}", String::from_utf8_lossy(&same.stderr));
    refuses(&["simulate", "--alpha", "2", "--lambda", "0.1", "--cov", c, "--d", "500"], "own dimension d = 2", None);
}
