//! masked-ssr: random-matrix theory of masked self-supervised regression.
//!
//! Data flows one way: spec -> model -> theory / simulation -> table -> figure.
pub mod error;
pub mod model;
pub mod rootfind;
pub mod solver;

pub use error::{Error, Result};
