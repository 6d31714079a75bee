//! masked-ssr: random-matrix theory of masked self-supervised regression.
//!
//! Data flows one way: spec -> model -> theory / simulation -> table -> figure.
pub mod bench;
pub mod data;
pub mod error;
pub mod figmasking;
pub mod figspectral;
pub mod figures;
pub mod cli;
pub mod masked_dense;
pub mod model;
pub mod optimize;
pub mod plotting;
pub mod progress;
pub mod realdata;
pub mod resources;
pub mod report;
pub mod rootfind;
pub mod shard;
pub mod simspectrum;
pub mod simulation;
pub mod solver;
pub mod spikes;
pub mod symeig;
pub mod spec;
pub mod spectral;
pub mod table;
pub mod validate;

pub use error::{Error, Result};
