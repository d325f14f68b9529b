//! Port publishing: Docker's two port grammars (`docker run -p`, `docker service create -p`),
//! the cluster's ingress port allocator, endpoint-spec validation and service name resolution,
//! and the routing-mesh rules as data and as nftables text (the mesh without IPVS).
//!
//! This module takes plain inputs (addresses, prefixes, ports) and never touches the kernel:
//! it returns values and `nft` scripts for the caller to apply.

mod allocator;
mod endpoint;
mod error;
mod golang;
mod port;
pub mod rules;
mod run_spec;
mod service_spec;

pub use allocator::{DYNAMIC_PORT_END, DYNAMIC_PORT_START, PortAllocator};
pub use endpoint::{EndpointMode, ServiceResolver, validate_endpoint_spec};
pub use error::PublishError;
pub use golang::NumErrorKind;
pub use port::{PortConfig, PortRange, Protocol, PublishMode};
pub use run_spec::{RunPortMapping, parse_run_port};
pub use service_spec::{is_long_syntax, parse_service_port};
