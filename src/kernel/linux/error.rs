//! `LinuxError`, what the Linux backend itself can fail with (sockets, namespace files, the
//! `nft` binary, malformed replies), and the mapping of a netlink refusal onto the kernel
//! vocabulary's [`KernelError`] for one object.

use std::io;

use super::socket::Nack;
use crate::kernel::{Errno, KernelError, ObjectId};

/// A failure of the Linux backend outside a single kernel operation.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LinuxError {
    /// A socket or file operation failed.
    #[error("netlink I/O failed: {0}")]
    Io(#[source] io::Error),
    /// A reply from the kernel could not be parsed.
    #[error("malformed netlink reply at byte {offset}: {reason}")]
    Malformed {
        /// Offset of the bad message in the datagram.
        offset: usize,
        /// What was wrong.
        reason: String,
    },
    /// A namespace could not be created, opened, entered or removed.
    #[error("network namespace {name}: {action} failed: {source}")]
    Netns {
        /// The namespace name.
        name: String,
        /// What was being done (`create`, `open`, `enter`, `mount`, `delete`).
        action: &'static str,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The `nft` binary failed or printed something unexpected.
    #[error("nft in {netns}: {detail}")]
    Nft {
        /// The namespace `nft` ran in.
        netns: String,
        /// Its error output, or why it could not run.
        detail: String,
    },
    /// A dump was refused by the kernel.
    #[error("dumping {what} failed: errno {errno}{}", message.as_deref().map(|m| format!(": {m}")).unwrap_or_default())]
    Dump {
        /// What was being dumped.
        what: &'static str,
        /// The errno.
        errno: i32,
        /// The kernel's extended-ACK text.
        message: Option<String>,
    },
}

impl LinuxError {
    /// The errno closest to this failure, for [`KernelError::Observe`].
    pub fn errno(&self) -> Errno {
        match self {
            LinuxError::Io(e) | LinuxError::Netns { source: e, .. } => {
                Errno(e.raw_os_error().unwrap_or(Errno::EINVAL.0))
            }
            LinuxError::Dump { errno, .. } => Errno(*errno),
            LinuxError::Malformed { .. } | LinuxError::Nft { .. } => Errno::EINVAL,
        }
    }

    /// This failure as the error of the operation on `object`.
    pub fn for_object(&self, object: ObjectId) -> KernelError {
        KernelError::Refused {
            object,
            errno: self.errno(),
            message: self.to_string(),
        }
    }
}

/// The kernel's refusal of a request about `object`, as the most specific [`KernelError`]:
/// "exists" and "not found" errnos become their own variants, anything else keeps the
/// extended-ACK text when the kernel gave one.
pub(crate) fn nack_error(object: ObjectId, nack: Nack) -> KernelError {
    let errno = Errno(nack.errno);
    match (errno, nack.message) {
        (Errno::EEXIST | Errno::ENOENT | Errno::ESRCH | Errno::EADDRNOTAVAIL, _) | (_, None) => {
            KernelError::from_errno(object, errno)
        }
        (_, Some(message)) => KernelError::Refused {
            object,
            errno,
            message,
        },
    }
}
