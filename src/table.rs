//! Result tables: named columns of numbers, written as CSV or JSON, atomically.
use crate::error::{Error, Result};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A rectangular table of numbers with named columns (NaN stands for "no value").
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<Vec<f64>>,
}

impl Table {
    pub fn new(columns: &[&str]) -> Self {
        Table { columns: columns.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }
    pub fn push(&mut self, row: Vec<f64>) {
        assert_eq!(row.len(), self.columns.len(), "row length must match the columns");
        self.rows.push(row);
    }
    /// Index of a column by name.
    pub fn col(&self, name: &str) -> usize {
        self.columns.iter().position(|c| c == name).unwrap_or_else(|| panic!("no column {name}"))
    }
    /// The values of one column.
    pub fn column(&self, name: &str) -> Vec<f64> {
        let i = self.col(name);
        self.rows.iter().map(|r| r[i]).collect()
    }
    /// CSV text: header line, then one line per row; missing values are empty cells.
    pub fn to_csv(&self) -> String {
        let mut s = self.columns.join(",");
        s.push('\n');
        for r in &self.rows {
            let cells: Vec<String> = r.iter().map(|x| fmt_num(*x)).collect();
            s.push_str(&cells.join(","));
            s.push('\n');
        }
        s
    }
    /// JSON array of objects, one per row; missing values are null.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Array(
            self.rows
                .iter()
                .map(|r| {
                    let mut m = serde_json::Map::new();
                    for (c, x) in self.columns.iter().zip(r) {
                        m.insert(c.clone(), num(*x));
                    }
                    serde_json::Value::Object(m)
                })
                .collect(),
        )
    }
}

/// A number as JSON, NaN as null.
pub fn num(x: f64) -> serde_json::Value {
    serde_json::Number::from_f64(x).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)
}

/// Shortest round-trip decimal, empty for NaN.
pub fn fmt_num(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        format!("{x}")
    }
}

/// Checks that `dir` is a directory that outputs can go into, before any work is done.
pub fn check_out_dir(dir: &Path) -> Result<()> {
    let why = if dir.is_dir() {
        return Ok(());
    } else if dir.exists() {
        "not a directory"
    } else {
        "output directory does not exist"
    };
    Err(Error::Io { path: dir.display().to_string(), source: std::io::Error::new(std::io::ErrorKind::NotFound, why) })
}

/// Creates the output directory `dir` (and its parents) when it does not exist yet, as `--out` promises.
pub fn make_out_dir(dir: &Path) -> Result<()> {
    if !dir.is_dir() {
        if dir.exists() {
            return check_out_dir(dir);
        }
        std::fs::create_dir_all(dir).map_err(|e| Error::Io { path: dir.display().to_string(), source: e })?;
    }
    Ok(())
}

/// The directory a file at `path` is written into ("." for a bare file name).
pub fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Writes a file atomically: `fill` writes into a temporary file in the same directory,
/// which is renamed onto `path` only when `fill` succeeds (no partial output ever).
pub fn write_atomic(path: &Path, fill: impl FnOnce(&Path) -> Result<()>) -> Result<()> {
    let io = |e: std::io::Error| Error::Io { path: path.display().to_string(), source: e };
    let dir = dir_of(path);
    check_out_dir(&dir)?;
    let name = path.file_name().map(|s| s.to_string_lossy().to_string()).unwrap_or_default();
    let ext = path.extension().map(|e| format!(".{}", e.to_string_lossy())).unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp{ext}", std::process::id()));
    let res = fill(&tmp);
    if let Err(e) = res {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::fs::rename(&tmp, path).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        io(e)
    })
}

/// Writes text atomically.
pub fn write_text(path: &Path, text: &str) -> Result<()> {
    write_atomic(path, |tmp| {
        let mut f = std::fs::File::create(tmp).map_err(|e| Error::Io { path: path.display().to_string(), source: e })?;
        f.write_all(text.as_bytes()).map_err(|e| Error::Io { path: path.display().to_string(), source: e })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_json_roundtrip_values() {
        let mut t = Table::new(&["a", "b"]);
        t.push(vec![1.5, f64::NAN]);
        assert_eq!(t.to_csv(), "a,b\n1.5,\n");
        assert_eq!(t.to_json().to_string(), r#"[{"a":1.5,"b":null}]"#);
    }

    #[test]
    fn failed_write_leaves_nothing() {
        let dir = std::env::temp_dir().join(format!("mssr-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.csv");
        let r = write_atomic(&path, |tmp| {
            std::fs::write(tmp, "partial").unwrap();
            Err(Error::input("boom"))
        });
        assert!(r.is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        write_text(&path, "ok\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "ok\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
