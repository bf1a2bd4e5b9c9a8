//! Errors of the ISAC models: bad configurations are named with their numbers.

/// Result type of this crate.
pub type Result<T, E = IsacError> = std::result::Result<T, E>;

/// What went wrong, with the offending values.
#[derive(Debug, thiserror::Error)]
pub enum IsacError {
    /// An argument or configuration value is out of range or inconsistent.
    #[error("invalid {name}: {message}")]
    InvalidInput {
        /// The parameter.
        name: &'static str,
        /// Why, with the numbers.
        message: String,
    },
    /// A matrix that must have full rank and has not: a square RIS codebook (e.g. the
    /// 1-bit DFT codebook, whose rows t and M − t coincide), or the code dictionary of
    /// identical IRS configurations in multi-target sensing.
    #[error("the {what} is rank-deficient: rank {rank} of {size}{advice}")]
    RankDeficient {
        /// Which matrix.
        what: String,
        /// Its numerical rank.
        rank: usize,
        /// Its size.
        size: usize,
        /// What to do instead (empty, or starting with "; ").
        advice: &'static str,
    },
    /// An explicit matrix would exceed the memory budget the caller set.
    #[error("the {what} needs {needed} bytes, above the budget of {budget} bytes")]
    MemoryBudget {
        /// Which allocation.
        what: String,
        /// Bytes it needs.
        needed: u128,
        /// Bytes allowed.
        budget: u128,
    },
    /// The ray tracer refused a scene or its options.
    #[cfg(feature = "trace")]
    #[error(transparent)]
    Trace(#[from] rftwin_trace::TraceError),
}

pub(crate) fn invalid(name: &'static str, message: impl Into<String>) -> IsacError {
    IsacError::InvalidInput { name, message: message.into() }
}
