//! Errors of the library: bad input, non-convergence, I/O.
use thiserror::Error;

/// Everything that can go wrong in masked-ssr.
#[derive(Debug, Error)]
pub enum Error {
    /// The user asked for something outside the model's domain (exit code 2 in the CLI).
    #[error("invalid input: {0}")]
    Input(String),
    /// An iterative solve did not reach its tolerance.
    #[error("no convergence in {what} at {at}: residual {residual:.3e} after {iterations} iterations")]
    NoConvergence { what: &'static str, at: String, residual: f64, iterations: usize },
    /// A numerical failure that is not the user's fault (e.g. a factorization failed).
    #[error("numerical failure in {0}")]
    Numerical(String),
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl Error {
    /// Shorthand for an input error.
    pub fn input(msg: impl Into<String>) -> Self {
        Error::Input(msg.into())
    }
    /// True when the error is the user's input (CLI exit code 2).
    pub fn is_input(&self) -> bool {
        matches!(self, Error::Input(_) | Error::Io { .. })
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// Rejects NaN / infinite values with a message naming the parameter.
pub fn finite(name: &str, x: f64) -> Result<f64> {
    if x.is_finite() {
        Ok(x)
    } else {
        Err(Error::input(format!("{name} must be a finite number, got {x}")))
    }
}
