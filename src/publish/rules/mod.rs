//! The routing mesh without IPVS, as nftables rules in one private table `inet overlaynet`
//! per network namespace (IPv4 and IPv6 in one table; Docker's mesh is IPv4-only).
//!
//! Roles, each a part of [`MeshRules`]:
//! - **host**: a published ingress port is DNATed to the ingress sandbox's docker_gwbridge
//!   address (port kept), locally originated traffic too, plus Docker's filter accepts and the
//!   masquerade of local sources leaving through docker_gwbridge (moby `initIngressConfiguration`);
//! - **ingress / LB sandbox**: each published port and VIP jumps (verdict map) to the service's
//!   chain `svc-<fwmark>`, which DNATs to `numgen random mod N` over the task addresses, and
//!   load-balanced connections are SNATed to the sandbox's address on the overlay;
//! - **task container**: published → target port redirect with Docker's accept/drop filter
//!   (moby `addRedirectRules`);
//! - **host mode**: host port → container address and target port.
//!
//! Why `numgen random` and not consistent hashing: conntrack pins every connection to the
//! backend chosen for its first packet, so the choice only has to be uniform and stateless;
//! random is that, it is what kube-proxy's nftables mode ships, and it needs no per-backend
//! chains. A hash (`jhash ip saddr . th sport mod N`) would only add stickiness that
//! conntrack already provides, while reshuffling the same way on a backend change. Removing
//! a backend leaves its established flows in conntrack, which gives the graceful drain IPVS
//! needs weight 0 for; flushing UDP conntrack entries of a removed backend is the caller's job.
//!
//! Updates are incremental: everything that changes with services lives in named sets and
//! maps or in the per-service chain, so a change is a few `add element` / `delete element`
//! commands or one chain flush-and-refill, independent of the number of services. The base
//! chains depend only on the [`IngressGateway`]; changing it is a full load. Each
//! [`Transaction`] is applied with one `nft -f`, which is atomic.
//!
//! Nothing here runs `nft`; callers apply the scripts (the Linux kernel backend will).

mod model;
mod nft;

pub use model::{HostPort, IngressGateway, LoadBalancer, MeshRules, TaskRedirects};
pub use nft::{TABLE, Transaction};

#[cfg(test)]
mod tests;
