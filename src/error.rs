//! The crate-wide error type. Every module has its own `thiserror` enum; all of them convert
//! into [`Error`] so that callers who do not care which layer failed can use `?` throughout.

/// Any error this crate returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A network, node or allocation request was refused.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
}

/// `Result` with the crate-wide [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
