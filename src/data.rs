//! Reading user files: dense covariance matrices and real data sets (CSV).
use crate::error::{Error, Result};
use faer::Mat;
use std::path::Path;

/// A numeric CSV: optional header names and rows of finite numbers, all of one length.
#[derive(Debug, Clone)]
pub struct NumericCsv {
    pub header: Option<Vec<String>>,
    pub rows: Vec<Vec<f64>>,
}

/// Reads a CSV of numbers. With `header = true` the first line holds column names.
/// Errors name the file, line and column of the first bad cell, and reject ragged rows.
pub fn read_numeric_csv(path: &Path, header: bool) -> Result<NumericCsv> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: name.clone(), source: e })?;
    parse_numeric_csv(&text, header, &name)
}

/// Parses CSV text of numbers (see `read_numeric_csv`); `name` is used in messages.
pub fn parse_numeric_csv(text: &str, header: bool, name: &str) -> Result<NumericCsv> {
    let mut rdr = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
    let mut head = None;
    let mut rows: Vec<Vec<f64>> = Vec::new();
    let mut width = None;
    let mut empty_row = None;
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 1;
        let rec = rec.map_err(|e| Error::input(format!("{name}: line {line}: malformed CSV ({e})")))?;
        if rec.iter().all(|c| c.is_empty()) {
            // blank lines and rows of empty cells after the data (spreadsheet exports end with
            // ",,") are skipped; a row of empty cells between data rows is missing data
            if rec.len() > 1 {
                empty_row.get_or_insert(line);
            }
            continue;
        }
        if let Some(e) = empty_row.take() {
            if !rows.is_empty() || head.is_some() {
                return Err(Error::input(format!("{name}: line {e}: a row of empty cells between data rows (missing values are not supported)")));
            }
        }
        if let Some(w) = width {
            if rec.len() != w {
                return Err(Error::input(format!("{name}: line {line} has {} cells, expected {w} (ragged rows)", rec.len())));
            }
        } else {
            width = Some(rec.len());
        }
        if header && head.is_none() {
            let names: Vec<String> = rec.iter().map(|s| s.to_string()).collect();
            if let Some((j, dup)) = names.iter().enumerate().find(|(j, n)| names[..*j].contains(n)) {
                return Err(Error::input(format!("{name}: line {line}: column {} repeats the header name '{dup}' (names must be unique)", j + 1)));
            }
            head = Some(names);
            continue;
        }
        let mut row = Vec::with_capacity(rec.len());
        for (j, cell) in rec.iter().enumerate() {
            let x: f64 = cell.parse().map_err(|_| {
                Error::input(format!("{name}: line {line}, column {}: '{cell}' is not a number", j + 1))
            })?;
            if !x.is_finite() {
                return Err(Error::input(format!("{name}: line {line}, column {}: value {cell} is not finite", j + 1)));
            }
            row.push(x);
        }
        rows.push(row);
    }
    if rows.is_empty() {
        return Err(Error::input(format!("{name}: no data rows")));
    }
    Ok(NumericCsv { header: head, rows })
}

/// Reads a dense covariance matrix (square CSV of numbers, no header).
pub fn read_covariance(path: &Path) -> Result<Mat<f64>> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: name.clone(), source: e })?;
    parse_covariance(&text, &name)
}

/// Parses a dense covariance matrix from CSV text (see `read_covariance`).
pub fn parse_covariance(text: &str, name: &str) -> Result<Mat<f64>> {
    let csv = parse_numeric_csv(text, false, name)?;
    let d = csv.rows.len();
    if csv.rows[0].len() != d {
        return Err(Error::input(format!(
            "{name}: a covariance must be square, got {d} rows of {} columns",
            csv.rows[0].len()
        )));
    }
    Ok(Mat::from_fn(d, d, |i, j| csv.rows[i][j]))
}

/// A real data set prepared as in theory/README.md section "Real data": centered, constant
/// columns dropped, scaled by one common factor so that tr(Σ)/d = 1.
#[derive(Debug, Clone)]
pub struct Dataset {
    pub columns: Vec<String>,
    /// N x d, centered and scaled.
    pub x: Mat<f64>,
    /// Columns dropped because they were constant.
    pub constant_dropped: usize,
}

impl Dataset {
    /// Loads a CSV with a header, dropping the named columns (e.g. labels).
    pub fn load(path: &Path, drop_columns: &[String]) -> Result<Self> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| Error::Io { path: name.clone(), source: e })?;
        Self::parse(&text, drop_columns, &name)
    }

    /// Parses CSV text with a header (see `load`); `name` is used in messages.
    pub fn parse(text: &str, drop_columns: &[String], name: &str) -> Result<Self> {
        let csv = parse_numeric_csv(text, true, name)?;
        let header = csv.header.clone().unwrap_or_default();
        for c in drop_columns {
            if !header.iter().any(|h| h == c) {
                return Err(Error::input(format!("{name}: no column named '{c}' to drop")));
            }
        }
        let keep: Vec<usize> = (0..header.len()).filter(|&j| !drop_columns.contains(&header[j])).collect();
        Self::from_rows(keep.iter().map(|&j| header[j].clone()).collect(), &csv.rows, &keep, name)
    }

    fn from_rows(names: Vec<String>, rows: &[Vec<f64>], keep: &[usize], name: &str) -> Result<Self> {
        let big_n = rows.len();
        if big_n < 2 {
            return Err(Error::input(format!("{name}: need at least 2 data rows, got {big_n}")));
        }
        // Each column is first divided by its largest |value| m_j, so that nothing below
        // overflows or underflows and the constant-column test does not depend on the unit.
        let mut cols = Vec::new();
        let mut col_scale = Vec::new();
        let mut columns = Vec::new();
        let mut dropped = 0;
        for (&j, nm) in keep.iter().zip(names) {
            let m = rows.iter().map(|r| r[j].abs()).fold(0.0, f64::max);
            let v: Vec<f64> = rows.iter().map(|r| r[j] / m).collect();
            let mean = v.iter().sum::<f64>() / big_n as f64;
            let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / big_n as f64;
            // constant up to relative rounding (an all-zero column has m = 0); |v| <= 1 otherwise
            if m == 0.0 || var <= 1e-12 * mean * mean {
                dropped += 1;
                continue;
            }
            cols.push(v.into_iter().map(|x| x - mean).collect::<Vec<f64>>());
            col_scale.push(m);
            columns.push(nm);
        }
        if cols.len() < 2 {
            return Err(Error::input(format!("{name}: fewer than 2 non-constant columns")));
        }
        // one common factor: column j is multiplied by r_j = m_j / max_k m_k and by s
        let top = col_scale.iter().cloned().fold(0.0, f64::max);
        let r: Vec<f64> = col_scale.iter().map(|m| m / top).collect();
        let d = cols.len();
        let mean_var = cols.iter().zip(&r).map(|(c, r)| r * r * c.iter().map(|x| x * x).sum::<f64>()).sum::<f64>()
            / (big_n * d) as f64;
        let s = 1.0 / mean_var.sqrt();
        let x = Mat::from_fn(big_n, d, |i, j| cols[j][i] * (r[j] * s));
        Ok(Dataset { columns, x, constant_dropped: dropped })
    }

    /// Covariance X^T X / N of the prepared data.
    pub fn covariance(&self) -> Mat<f64> {
        let n = self.x.nrows() as f64;
        let mut c = Mat::<f64>::zeros(self.x.ncols(), self.x.ncols());
        faer::linalg::matmul::matmul(&mut c, faer::Accum::Replace, self.x.transpose(), &self.x, 1.0 / n, faer::Par::Seq);
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_text_ragged_and_empty() {
        let e = parse_numeric_csv("1,2\n3,x\n", false, "f").unwrap_err().to_string();
        assert!(e.contains("line 2, column 2") && e.contains("'x'"), "{e}");
        let e = parse_numeric_csv("1,2\n3\n", false, "f").unwrap_err().to_string();
        assert!(e.contains("ragged"), "{e}");
        assert!(parse_numeric_csv("", false, "f").is_err());
        assert!(parse_numeric_csv("a,b\n", true, "f").is_err());
        let e = parse_numeric_csv("a,b,a\n1,2,3\n", true, "f").unwrap_err().to_string();
        assert!(e.contains("column 3 repeats the header name 'a'"), "{e}");
        assert!(parse_numeric_csv("a,b,a\n1,2,3\n", false, "f").unwrap_err().to_string().contains("not a number"));
        assert!(parse_numeric_csv("1,NaN\n", false, "f").is_err());
        // a row of empty cells between data rows is missing data (it used to be skipped); at the
        // end (spreadsheet exports) it is skipped, as are blank lines
        let e = parse_numeric_csv("1,2\n,\n3,4\n", false, "f").unwrap_err().to_string();
        assert!(e.contains("line 2") && e.contains("empty"), "{e}");
        let e = parse_numeric_csv("a,b\n1,2\n , \n3,4\n", true, "f").unwrap_err().to_string();
        assert!(e.contains("line 3") && e.contains("empty"), "{e}");
        assert_eq!(parse_numeric_csv("1,2\n\n   \n3,4\n", false, "f").unwrap().rows.len(), 2);
        assert_eq!(parse_numeric_csv("2,0.5\r\n0.5,1\r\n,\r\n,\r\n", false, "f").unwrap().rows, vec![vec![2.0, 0.5], vec![0.5, 1.0]]);
    }

    #[test]
    fn dataset_is_centered_scaled_and_drops_constants() {
        let rows = vec![vec![1.0, 5.0, 0.0, 9.0], vec![3.0, 5.0, 2.0, 9.0], vec![2.0, 5.0, 7.0, 9.0]];
        let names = vec!["a".into(), "c".into(), "e".into()];
        let ds = Dataset::from_rows(names, &rows, &[0, 1, 2], "t").unwrap();
        assert_eq!(ds.columns, vec!["a", "e"]);
        assert_eq!(ds.constant_dropped, 1);
        let c = ds.covariance();
        assert!(((c[(0, 0)] + c[(1, 1)]) / 2.0 - 1.0).abs() < 1e-12);
        let colsum: f64 = (0..3).map(|i| ds.x[(i, 0)]).sum();
        assert!(colsum.abs() < 1e-12);
    }
}
