//! Thin, safe wrappers over operating-system calls that the in-memory modules need and that
//! do no I/O. Each wrapper is the one place its `unsafe` lives.

pub(crate) mod hugepages;
