//! `KernelError`: what a kernel (real or simulated) answered when an operation failed, in
//! errno terms, always naming the object concerned.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::state::ObjectId;

/// A Linux errno value, with names for the ones the kernel layer meets.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Errno(pub i32);

impl Errno {
    /// Operation not permitted.
    pub const EPERM: Errno = Errno(1);
    /// No such file or directory (missing netns, neighbour, FDB entry, policy, table).
    pub const ENOENT: Errno = Errno(2);
    /// No such process (missing route or XFRM state).
    pub const ESRCH: Errno = Errno(3);
    /// Out of memory.
    pub const ENOMEM: Errno = Errno(12);
    /// Device or resource busy.
    pub const EBUSY: Errno = Errno(16);
    /// File exists.
    pub const EEXIST: Errno = Errno(17);
    /// No such device (missing link).
    pub const ENODEV: Errno = Errno(19);
    /// Invalid argument.
    pub const EINVAL: Errno = Errno(22);
    /// Operation not supported.
    pub const EOPNOTSUPP: Errno = Errno(95);
    /// Cannot assign requested address (missing address).
    pub const EADDRNOTAVAIL: Errno = Errno(99);
    /// Network is down (route on a link that is down).
    pub const ENETDOWN: Errno = Errno(100);

    /// The symbolic name, when known.
    pub fn name(self) -> Option<&'static str> {
        Some(match self {
            Errno::EPERM => "EPERM",
            Errno::ENOENT => "ENOENT",
            Errno::ESRCH => "ESRCH",
            Errno::ENOMEM => "ENOMEM",
            Errno::EBUSY => "EBUSY",
            Errno::EEXIST => "EEXIST",
            Errno::ENODEV => "ENODEV",
            Errno::EINVAL => "EINVAL",
            Errno::EOPNOTSUPP => "EOPNOTSUPP",
            Errno::EADDRNOTAVAIL => "EADDRNOTAVAIL",
            Errno::ENETDOWN => "ENETDOWN",
            _ => return None,
        })
    }
}

impl fmt::Display for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "errno {}", self.0),
        }
    }
}

impl fmt::Debug for Errno {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Errno({self})")
    }
}

/// Why a kernel operation, a dump, or a desired state was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[non_exhaustive]
pub enum KernelError {
    /// The object already exists (EEXIST).
    #[error("{object}: already exists (EEXIST)")]
    Exists {
        /// The object that was being created.
        object: ObjectId,
    },
    /// The object does not exist (ENOENT, ESRCH or EADDRNOTAVAIL, depending on the kind).
    #[error("{object}: does not exist ({errno})")]
    NotFound {
        /// The object that was looked up.
        object: ObjectId,
        /// The errno Linux uses for this kind of object.
        errno: Errno,
    },
    /// A link the operation refers to does not exist (ENODEV).
    #[error("{object}: no such device {device} (ENODEV)")]
    NoDevice {
        /// The object the operation was about.
        object: ObjectId,
        /// The missing link's name (in the object's namespace).
        device: String,
    },
    /// The operation is not valid for the object (EINVAL), or a desired state is not one
    /// Linux can hold.
    #[error("{object}: invalid: {reason}")]
    Invalid {
        /// The object concerned.
        object: ObjectId,
        /// What is wrong.
        reason: String,
    },
    /// A route's link is down (ENETDOWN).
    #[error("{object}: link {device} is down (ENETDOWN)")]
    NetDown {
        /// The route.
        object: ObjectId,
        /// The name of the link that is down.
        device: String,
    },
    /// Any other errno from the kernel (or injected by a test).
    #[error("{object}: {errno}")]
    Os {
        /// The object concerned.
        object: ObjectId,
        /// The errno.
        errno: Errno,
    },
    /// Reading the kernel's state failed.
    #[error("dumping kernel state failed: {errno}")]
    Observe {
        /// The errno of the failed dump.
        errno: Errno,
    },
    /// A plan or state in JSON could not be read.
    #[error("cannot read {what} from JSON: {reason}")]
    Decode {
        /// What was being read (`plan` or `kernel state`).
        what: String,
        /// The JSON parser's message, with line and column.
        reason: String,
    },
}

impl KernelError {
    /// The errno this error corresponds to.
    pub fn errno(&self) -> Errno {
        match self {
            KernelError::Exists { .. } => Errno::EEXIST,
            KernelError::NotFound { errno, .. } | KernelError::Os { errno, .. } => *errno,
            KernelError::Observe { errno } => *errno,
            KernelError::NoDevice { .. } => Errno::ENODEV,
            KernelError::Invalid { .. } | KernelError::Decode { .. } => Errno::EINVAL,
            KernelError::NetDown { .. } => Errno::ENETDOWN,
        }
    }

    /// The error a kernel reports for `errno` on `object`, as the most specific variant.
    pub fn from_errno(object: ObjectId, errno: Errno) -> KernelError {
        match errno {
            Errno::EEXIST => KernelError::Exists { object },
            Errno::ENOENT | Errno::ESRCH | Errno::EADDRNOTAVAIL => {
                KernelError::NotFound { object, errno }
            }
            _ => KernelError::Os { object, errno },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernel::state::Netns;

    #[test]
    fn errno_maps_to_the_most_specific_variant() {
        let object = ObjectId::Netns(Netns::named("1-k3jd8s0a2b"));
        let e = KernelError::from_errno(object.clone(), Errno::EEXIST);
        assert_eq!(
            e,
            KernelError::Exists {
                object: object.clone()
            }
        );
        assert_eq!(e.to_string(), "netns 1-k3jd8s0a2b: already exists (EEXIST)");
        let e = KernelError::from_errno(object.clone(), Errno::ESRCH);
        assert_eq!(e.errno(), Errno::ESRCH);
        assert!(matches!(e, KernelError::NotFound { .. }));
        let e = KernelError::from_errno(object, Errno(133));
        assert_eq!(e.to_string(), "netns 1-k3jd8s0a2b: errno 133");
    }
}
