//! `mssr validate`: theory against simulation, quantity by quantity, with finite-size-aware verdicts.
use crate::error::Result;
use clap::Args;

/// `mssr validate`
#[derive(Args, Debug, Clone)]
pub struct ValidateArgs {
    /// Smaller sizes and fewer trials (about a minute)
    #[arg(long)]
    pub quick: bool,
}

/// Runs the battery; Err when a quantity disagrees.
pub fn validate_cmd(_a: &ValidateArgs) -> Result<()> {
    Err(crate::error::Error::Numerical("validate: not implemented yet".into()))
}
