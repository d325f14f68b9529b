//! The crate-wide error type. Every module has its own `thiserror` enum; all of them convert
//! into [`Error`] so that callers who do not care which layer failed can use `?` throughout.

/// Any error this crate returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Port publishing: port specs, allocation, mesh rules.
    #[error(transparent)]
    Publish(#[from] crate::publish::PublishError),
    /// A peer-table or PeerRecord error.
    #[error(transparent)]
    Peer(#[from] crate::peer::PeerError),
    /// IPsec keys, rotation, ESP or gossip encryption.
    #[error(transparent)]
    Ipsec(#[from] crate::ipsec::IpsecError),
    /// A packet could not be parsed, built or decapsulated.
    #[error(transparent)]
    Wire(#[from] crate::wire::WireError),
    /// A network, node or allocation request was refused.
    #[error(transparent)]
    Model(#[from] crate::model::ModelError),
    /// A kernel operation, dump or desired state was refused.
    #[error(transparent)]
    Kernel(#[from] crate::kernel::KernelError),
    /// The Linux backend failed outside a single kernel operation.
    #[cfg(target_os = "linux")]
    #[error(transparent)]
    Linux(#[from] crate::kernel::linux::LinuxError),
    /// The host engine refused a request.
    #[error(transparent)]
    Host(#[from] crate::host::HostError),
}

/// `Result` with the crate-wide [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
