//! `mssr validate --quick`: the whole battery runs, agrees, and reports every family of checks.
//! (The verdict rules themselves are unit-tested in src/validate.rs, including a series with a
//! constant offset that must fail.)
use std::collections::BTreeMap;
use std::process::Command;

fn mssr() -> Command {
    Command::new(env!("CARGO_BIN_EXE_mssr"))
}

#[test]
fn quick_battery_passes_and_reports_every_family() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("validate.csv");
    let out = mssr().args(["validate", "--quick", "--json", "-q", "--csv"]).arg(&csv).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rows: Vec<serde_json::Value> = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("JSON: {e}\n{stdout}\n{stderr}"));
    let failed: Vec<String> = rows
        .iter()
        .filter(|r| r["verdict"] == "FAIL")
        .map(|r| format!("{} / {}: z = {}", r["group"], r["quantity"], r["z"]))
        .collect();
    assert!(out.status.success(), "exit {:?}, failed checks: {failed:#?}\n{stderr}", out.status.code());
    assert!(failed.is_empty());
    assert!(stderr.is_empty(), "--quiet leaves stderr empty: {stderr}");

    // every family is there, each with judged rows
    let mut families: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rows {
        let group = r["group"].as_str().unwrap();
        let verdict = r["verdict"].as_str().unwrap();
        assert!(["PASS", "FAIL", "INFO"].contains(&verdict), "{verdict}");
        if verdict != "INFO" {
            *families.entry(group.split_whitespace().next().unwrap().to_string()).or_default() += 1;
            assert!(r["z"].as_f64().unwrap().is_finite(), "{r}");
            assert!(r["estimate_se"].as_f64().unwrap() > 0.0, "{r}");
        }
        let sims = r["sims"].as_array().unwrap();
        assert_eq!(sims.iter().map(|p| p["d"].as_u64().unwrap()).collect::<Vec<_>>(), vec![100, 400], "{r}");
        assert!(r["theory"].as_f64().unwrap().is_finite());
    }
    for family in ["errors", "edge", "above", "below", "threshold"] {
        assert!(families.get(family).copied().unwrap_or(0) >= 3, "family {family} missing: {families:?}");
    }
    // thresholds checked for both methods, errors on four models
    // and masking (issue 6): loss (15) at three ratios, A_p's edge, outlier, overlaps and threshold
    for needle in [
        "threshold H SSR",
        "threshold H PCA",
        "errors isotropic",
        "errors AR(1)",
        "errors H",
        "errors 3-atom",
        "masked loss H",
        "masked loss AR(1)",
        "edge H p=0.5",
        "above H p=0.5",
        "threshold H p=0.5 SSR",
        "above H p=0.75",
        "below H p=0.75",
    ] {
        assert!(rows.iter().any(|r| r["group"].as_str().unwrap().starts_with(needle)), "no rows for {needle}");
    }

    // three shards merged give the single run's output byte for byte (in any file order)
    let mut files = Vec::new();
    for i in 1..=3 {
        let o = mssr().args(["validate", "--quick", "-q", "--shard", &format!("{i}/3")]).output().unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let f = dir.path().join(format!("v{i}.json"));
        std::fs::write(&f, &o.stdout).unwrap();
        files.push(f);
    }
    let merged_csv = dir.path().join("merged.csv");
    let merged = mssr().args(["merge", "--json", "-q", "--csv"]).arg(&merged_csv).args(files.iter().rev()).output().unwrap();
    assert!(merged.status.success(), "{}", String::from_utf8_lossy(&merged.stderr));
    assert!(merged.stdout == out.stdout, "merged shards differ from the single run");
    assert_eq!(std::fs::read(&merged_csv).unwrap(), std::fs::read(&csv).unwrap());
    let partial = mssr().args(["merge", "-q"]).args(&files[..2]).output().unwrap();
    assert_eq!(partial.status.code(), Some(2), "a missing shard must be refused");

    // the CSV holds the same rows
    let text = std::fs::read_to_string(&csv).unwrap();
    let mut lines = text.lines();
    let head = lines.next().unwrap();
    assert!(head.starts_with("group,quantity,rule,exponent,theory,d100_trials,d100_mean,d100_se,d400_trials"), "{head}");
    assert!(head.ends_with("estimate,estimate_se,z,gap_at_largest_d,verdict"), "{head}");
    assert_eq!(lines.count(), rows.len());
}

#[test]
fn missing_csv_directory_fails_before_simulating() {
    let out = mssr().args(["validate", "--quick", "--csv", "/nonexistent-dir/v.csv"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}
