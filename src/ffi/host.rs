//! `overlaynet_host`: the host engine of one node over the C ABI — networks, local endpoints
//! (join/leave), the PeerRecords it publishes (`overlaynet_host_records`), peer gossip,
//! docker_gwbridge, IPsec keys, and its desired kernel state as JSON. The calls that also
//! need a kernel (plan, reconcile, explain) are in `plan` and `explain`.
//!
//! Every refused request leaves the engine unchanged (the engine's own guarantee; arguments
//! are converted before it is called).

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_bytes, in_enum, in_str,
    into_handle, out_buf, out_param,
};
use super::convert::parse_ipv4_net;
use super::gwbridge::overlaynet_gwbridge_network;
use super::ipsec::{overlaynet_key_update, overlaynet_keyring};
use super::network_state::overlaynet_network_state;
use super::node::overlaynet_node_config;
use super::peer::{overlaynet_peer_event_outcome, overlaynet_peer_record};
use super::result::overlaynet_result;
use crate::host::{DEFAULT_GW_IFNAME, DataPathMode, ExternalAccess, Host, JoinRequest};
use crate::peer::PeerEvent;
use crate::wire::MacAddr;

/// An opaque host engine: the networks, endpoints, peers, docker_gwbridge and keys of one
/// node, and the kernel state they need.
#[allow(non_camel_case_types)]
pub struct overlaynet_host {
    pub(crate) host: Host,
}

/// How closely the data path follows Docker where Docker is weak (values of `uint32_t mode`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_data_path_mode {
    /// The default: no VXLAN learning or miss notifications (every remote MAC has a static
    /// FDB entry), MTU counting the real underlay header and the ESP profile.
    Hardened = 0,
    /// Docker's choices: learning and miss notifications on, moby's `maxMTU`.
    DockerCompatible = 1,
}

fn data_path_mode(value: u32) -> Result<DataPathMode, Failure> {
    in_enum(value, "mode", |v| match v {
        0 => Some(DataPathMode::Hardened),
        1 => Some(DataPathMode::DockerCompatible),
        _ => None,
    })
}

/// A container joining an overlay network on this host. Strings are `(ptr, len)` UTF-8 like
/// every string argument; a zero-initialised struct plus the three required strings is a
/// request with Docker's defaults.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct overlaynet_join_request {
    /// The endpoint id, the NetworkDB key of its PeerRecord (required).
    pub endpoint_id: *const u8,
    /// Length of `endpoint_id` in bytes.
    pub endpoint_id_len: usize,
    /// The endpoint's IPv4 address with its subnet's prefix length, e.g. "10.0.1.5/24"
    /// (required).
    pub address: *const u8,
    /// Length of `address` in bytes.
    pub address_len: usize,
    /// The name of the container's network namespace, which the runtime created (required).
    pub container_netns: *const u8,
    /// Length of `container_netns` in bytes.
    pub container_netns_len: usize,
    /// The interface name inside the container; empty for "eth0".
    pub ifname: *const u8,
    /// Length of `ifname` in bytes.
    pub ifname_len: usize,
    /// Whether `mac` is the endpoint's MAC; when false, Docker's 02:42 + the IPv4 octets.
    pub has_mac: bool,
    /// The endpoint's MAC when `has_mac` is set.
    pub mac: [u8; 6],
    /// docker_gwbridge access: the container's address on the bridge subnet with its prefix
    /// length, e.g. "172.18.0.5/16"; empty for no external access.
    pub external_address: *const u8,
    /// Length of `external_address` in bytes.
    pub external_address_len: usize,
    /// The interface name for docker_gwbridge access; empty for "eth1". Must be empty when
    /// `external_address` is.
    pub external_ifname: *const u8,
    /// Length of `external_ifname` in bytes.
    pub external_ifname_len: usize,
}

impl overlaynet_join_request {
    /// The request as the engine takes it.
    ///
    /// # Safety
    /// Each `(ptr, len)` pair must follow the module contract for string arguments.
    unsafe fn to_request(self) -> Result<JoinRequest, Failure> {
        // SAFETY: forwarded from this function's contract.
        let (eid, address, netns, ifname, external, external_ifname) = unsafe {
            (
                in_str(self.endpoint_id, self.endpoint_id_len, "endpoint_id")?,
                in_str(self.address, self.address_len, "address")?,
                in_str(
                    self.container_netns,
                    self.container_netns_len,
                    "container_netns",
                )?,
                in_str(self.ifname, self.ifname_len, "ifname")?,
                in_str(
                    self.external_address,
                    self.external_address_len,
                    "external_address",
                )?,
                in_str(
                    self.external_ifname,
                    self.external_ifname_len,
                    "external_ifname",
                )?,
            )
        };
        let mut request = JoinRequest::new(eid, parse_ipv4_net(address, "address")?, netns);
        if !ifname.is_empty() {
            request = request.ifname(ifname);
        }
        if self.has_mac {
            request = request.mac(MacAddr(self.mac));
        }
        if !external.is_empty() {
            request.external = Some(ExternalAccess {
                address: parse_ipv4_net(external, "external_address")?,
                ifname: if external_ifname.is_empty() {
                    DEFAULT_GW_IFNAME
                } else {
                    external_ifname
                }
                .into(),
            });
        } else if !external_ifname.is_empty() {
            return Err(Failure::new(
                overlaynet_result::InvalidInput,
                "external_ifname is set but external_address is empty",
            ));
        }
        Ok(request)
    }
}

/// What a peer gossip event says happened to a PeerRecord (values of `uint32_t event_type`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_peer_event_type {
    /// The record appeared.
    Create = 1,
    /// The record changed from `prev` (or a delete and a create were coalesced).
    Update = 2,
    /// The record was deleted.
    Delete = 3,
}

/// An opaque snapshot of the PeerRecords a host publishes for one network, by endpoint id,
/// from `overlaynet_host_local_records`.
#[allow(non_camel_case_types)]
pub struct overlaynet_host_records {
    records: Vec<(String, Vec<u8>)>,
}

// ---- the engine ---------------------------------------------------------------------------

/// Creates the engine of node `node` in data-path mode `mode` (`overlaynet_data_path_mode`)
/// in `*out_host`, with no networks; free it with `overlaynet_host_free`. The node is copied.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_new(
    node: *const overlaynet_node_config,
    mode: u32,
    out_host: *mut *mut overlaynet_host,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (node, out) = unsafe { (handle_ref(node, "node")?, out_param(out_host, "out_host")?) };
        let host = Host::with_mode(node.node.clone(), data_path_mode(mode)?);
        out.write(into_handle(overlaynet_host { host }));
        Ok(())
    })
}

/// Frees a host engine (nothing happens to any kernel). NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_free(host: *mut overlaynet_host) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(host) });
}

/// Creates network `id` (Docker's network id: lowercase letters and digits) from the
/// cluster's `network` snapshot. Nothing is created in a kernel until the first local
/// endpoint joins.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_create_network(
    host: *mut overlaynet_host,
    id: *const u8,
    id_len: usize,
    network: *const overlaynet_network_state,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, id, network) = unsafe {
            (
                handle_mut(host, "host")?,
                in_str(id, id_len, "id")?,
                handle_ref(network, "network")?,
            )
        };
        Ok(h.host.create_network(id, &network.state)?)
    })
}

/// Deletes network `id` and, at the next reconcile, everything it has in the kernel; refused
/// (`OVERLAYNET_RESULT_REFUSED`) while local endpoints are joined.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_delete_network(
    host: *mut overlaynet_host,
    id: *const u8,
    id_len: usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, id) = unsafe { (handle_mut(host, "host")?, in_str(id, id_len, "id")?) };
        Ok(h.host.delete_network(id)?)
    })
}

/// Joins a local endpoint to network `network` (moby's `Join`): the first join creates the
/// network's sandbox. Stores the PeerRecord this host must publish in `*out_record` (encode
/// it with `overlaynet_peer_record_encode`, or read the bytes from
/// `overlaynet_host_local_records`).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_join(
    host: *mut overlaynet_host,
    network: *const u8,
    network_len: usize,
    request: *const overlaynet_join_request,
    out_record: *mut overlaynet_peer_record,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, network, request, out) = unsafe {
            (
                handle_mut(host, "host")?,
                in_str(network, network_len, "network")?,
                handle_ref(request, "request")?,
                out_param(out_record, "out_record")?,
            )
        };
        // SAFETY: the request's strings follow the module contract.
        let request = unsafe { request.to_request() }?;
        let record = h.host.join(network, &request)?;
        out.write((&record).into());
        Ok(())
    })
}

/// Leaves local endpoint `eid` of network `network`; the last leave removes the sandbox.
/// Stores the PeerRecord this host must withdraw in `*out_record`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_leave(
    host: *mut overlaynet_host,
    network: *const u8,
    network_len: usize,
    eid: *const u8,
    eid_len: usize,
    out_record: *mut overlaynet_peer_record,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, network, eid, out) = unsafe {
            (
                handle_mut(host, "host")?,
                in_str(network, network_len, "network")?,
                in_str(eid, eid_len, "eid")?,
                out_param(out_record, "out_record")?,
            )
        };
        let record = h.host.leave(network, eid)?;
        out.write((&record).into());
        Ok(())
    })
}

/// Applies a NetworkDB event of network `network`'s `overlay_peer_table` for key `eid`
/// (moby's `EventNotify`). `event_type` is an `overlaynet_peer_event_type`; `record` holds
/// PeerRecord protobuf bytes: the new record of a create or update, the deleted record of a
/// delete. `prev` is the previous record of an update and must be `(NULL, 0)` otherwise.
/// Records carrying this host's VTEP are ignored (local endpoints come from join/leave), so
/// the event's originating node is not needed. Stores what the peer table did in
/// `*out_outcome` and the number of kernel objects whose desired state changed (0 while the
/// network has no sandbox) in `*out_touched`.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn overlaynet_host_apply_peer_event(
    host: *mut overlaynet_host,
    network: *const u8,
    network_len: usize,
    eid: *const u8,
    eid_len: usize,
    event_type: u32,
    record: *const u8,
    record_len: usize,
    prev: *const u8,
    prev_len: usize,
    out_outcome: *mut overlaynet_peer_event_outcome,
    out_touched: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, network, eid, record, prev, out, touched) = unsafe {
            (
                handle_mut(host, "host")?,
                in_str(network, network_len, "network")?,
                in_str(eid, eid_len, "eid")?,
                in_bytes(record, record_len, "record")?,
                in_bytes(prev, prev_len, "prev")?,
                out_param(out_outcome, "out_outcome")?,
                out_param(out_touched, "out_touched")?,
            )
        };
        use overlaynet_peer_event_type as T;
        let event_type = in_enum(event_type, "event_type", |v| match v {
            1 => Some(T::Create),
            2 => Some(T::Update),
            3 => Some(T::Delete),
            _ => None,
        })?;
        if event_type != T::Update && !prev.is_empty() {
            return Err(Failure::new(
                overlaynet_result::InvalidInput,
                "prev is only read for an update: pass (NULL, 0) with a create or a delete",
            ));
        }
        let event = match event_type {
            T::Create => PeerEvent::from_gossip(eid, None, Some(record)),
            T::Update => PeerEvent::from_gossip(eid, Some(prev), Some(record)),
            T::Delete => PeerEvent::from_gossip(eid, Some(record), None),
        }?;
        let update = h.host.apply_peer_event(network, &event)?;
        out.write(update.outcome.into());
        touched.write(update.touched.len());
        Ok(())
    })
}

/// Configures the docker_gwbridge network used for external access (copied); refused while
/// endpoints are attached to it.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_set_gwbridge(
    host: *mut overlaynet_host,
    gwbridge: *const overlaynet_gwbridge_network,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, gw) = unsafe { (handle_mut(host, "host")?, handle_ref(gwbridge, "gwbridge")?) };
        Ok(h.host.set_gwbridge(&gw.network)?)
    })
}

/// Sets the IPsec keyring (moby's `setKeys`; the keys are copied into the engine, which wipes
/// them when freed). SAs to every remote host of an encrypted network move to the new keys.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_set_keys(
    host: *mut overlaynet_host,
    ring: *const overlaynet_keyring,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, ring) = unsafe { (handle_mut(host, "host")?, handle_ref(ring, "ring")?) };
        h.host.set_keys(ring.ring.clone());
        Ok(())
    })
}

/// Applies a key rotation (moby's `updateKeys`); refused (`OVERLAYNET_RESULT_REFUSED`) before
/// `overlaynet_host_set_keys`. The next plan installs new SAs before it switches the policy
/// and deletes retired SAs last.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_update_keys(
    host: *mut overlaynet_host,
    update: *const overlaynet_key_update,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, update) = unsafe { (handle_mut(host, "host")?, handle_ref(update, "update")?) };
        Ok(h.host.update_keys(&update.update)?)
    })
}

/// Copies everything this host should have in the kernel, as JSON (maps as lists of
/// `[key, value]` pairs, AEAD keys redacted), into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_desired_state_json(
    host: *const overlaynet_host,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, out) = unsafe { (handle_ref(host, "host")?, out_buf(buf, len, out_n)?) };
        out.write(h.host.desired_state().to_json().as_bytes())
    })
}

// ---- published records --------------------------------------------------------------------

/// Stores a snapshot of the PeerRecords of network `network`'s local endpoints (what this
/// host publishes), in endpoint id order, in a new `*out_records`; free it with
/// `overlaynet_host_records_free`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_local_records(
    host: *const overlaynet_host,
    network: *const u8,
    network_len: usize,
    out_records: *mut *mut overlaynet_host_records,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, network, out) = unsafe {
            (
                handle_ref(host, "host")?,
                in_str(network, network_len, "network")?,
                out_param(out_records, "out_records")?,
            )
        };
        let records = h
            .host
            .local_records(network)?
            .into_iter()
            .map(|(eid, record)| (eid, record.encode()))
            .collect();
        out.write(into_handle(overlaynet_host_records { records }));
        Ok(())
    })
}

/// Frees a record snapshot. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_records_free(records: *mut overlaynet_host_records) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(records) });
}

/// Stores the number of records in the snapshot in `*out_count`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_records_count(
    records: *const overlaynet_host_records,
    out_count: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_ref(records, "records")?,
                out_param(out_count, "out_count")?,
            )
        };
        out.write(r.records.len());
        Ok(())
    })
}

fn record_at(
    records: &overlaynet_host_records,
    index: usize,
) -> Result<&(String, Vec<u8>), Failure> {
    records.records.get(index).ok_or_else(|| {
        Failure::with(
            overlaynet_result::IndexOutOfRange,
            format_args!(
                "record index {index} is out of range: the snapshot has {} records",
                records.records.len()
            ),
        )
    })
}

/// Copies the endpoint id (the NetworkDB key) of record `index` into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_records_eid(
    records: *const overlaynet_host_records,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe { (handle_ref(records, "records")?, out_buf(buf, len, out_n)?) };
        out.write(record_at(r, index)?.0.as_bytes())
    })
}

/// Copies record `index` as PeerRecord protobuf bytes (moby's `proto.Marshal`, the NetworkDB
/// value) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_records_bytes(
    records: *const overlaynet_host_records,
    index: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe { (handle_ref(records, "records")?, out_buf(buf, len, out_n)?) };
        out.write(&record_at(r, index)?.1)
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ffi::boundary::with_last_error;
    use crate::model::{Cluster, NodeConfig, OverlayNetwork};
    use crate::peer::PeerRecord;
    use std::ptr::{null, null_mut};

    pub(crate) const NET: &str = "k3jd8s0a2bq9x";

    /// Host `vtep` with network `NET` (10.10.1.0/24) created.
    pub(crate) fn new_host(vtep: &str) -> *mut overlaynet_host {
        let mut cluster = Cluster::default();
        let app = OverlayNetwork::builder("app")
            .subnet("10.10.1.0/24".parse().unwrap())
            .build()
            .unwrap();
        let state = overlaynet_network_state {
            state: cluster.create_overlay(app).unwrap().clone(),
        };
        let node = overlaynet_node_config {
            node: NodeConfig::builder(format!("node-{vtep}"), vtep.parse().unwrap())
                .build()
                .unwrap(),
        };
        let mut host = null_mut();
        // SAFETY: live locals and static strings.
        unsafe {
            assert_eq!(
                overlaynet_host_new(&node, 0, &mut host),
                overlaynet_result::Ok
            );
            assert_eq!(
                overlaynet_host_create_network(host, NET.as_ptr(), NET.len(), &state),
                overlaynet_result::Ok
            );
        }
        host
    }

    /// A join request with Docker's defaults over static strings.
    pub(crate) fn request(
        eid: &'static str,
        address: &'static str,
        netns: &'static str,
    ) -> overlaynet_join_request {
        overlaynet_join_request {
            endpoint_id: eid.as_ptr(),
            endpoint_id_len: eid.len(),
            address: address.as_ptr(),
            address_len: address.len(),
            container_netns: netns.as_ptr(),
            container_netns_len: netns.len(),
            ifname: null(),
            ifname_len: 0,
            has_mac: false,
            mac: [0; 6],
            external_address: null(),
            external_address_len: 0,
            external_ifname: null(),
            external_ifname_len: 0,
        }
    }

    /// Joins and returns the result code and the record written (or the sentinel).
    pub(crate) fn join(
        host: *mut overlaynet_host,
        req: &overlaynet_join_request,
    ) -> (overlaynet_result, overlaynet_peer_record) {
        let mut record = overlaynet_peer_record {
            endpoint_prefix_len: 99,
            ..Default::default()
        };
        // SAFETY: live handle and locals.
        let rc = unsafe { overlaynet_host_join(host, NET.as_ptr(), NET.len(), req, &mut record) };
        (rc, record)
    }

    #[test]
    fn join_request_defaults_and_checks() {
        let mut req = request("ep1", "10.10.1.5/24", "ctr1");
        // SAFETY: static strings.
        let r = unsafe { req.to_request() }.unwrap();
        assert_eq!(
            r,
            JoinRequest::new("ep1", "10.10.1.5/24".parse().unwrap(), "ctr1")
        );
        req.has_mac = true;
        req.mac = [2, 0, 0, 0, 0, 9];
        req.external_address = b"172.18.0.5/16".as_ptr();
        req.external_address_len = 13;
        // SAFETY: static strings.
        let r = unsafe { req.to_request() }.unwrap();
        assert_eq!(r.mac, Some(MacAddr([2, 0, 0, 0, 0, 9])));
        let x = r.external.unwrap();
        assert_eq!(
            (x.address.to_string(), x.ifname.as_str()),
            ("172.18.0.5/16".into(), "eth1")
        );

        let mut bad = request("ep1", "10.10.1.5/24", "ctr1");
        bad.external_ifname = b"eth9".as_ptr();
        bad.external_ifname_len = 4;
        // SAFETY: static strings.
        let err = unsafe { bad.to_request() }.unwrap_err();
        assert_eq!(err.code, overlaynet_result::InvalidInput);
        let v6 = request("ep1", "fd00::5/64", "ctr1");
        // SAFETY: static strings.
        let err = unsafe { v6.to_request() }.unwrap_err();
        assert_eq!(err.code, overlaynet_result::InvalidInput);
        assert!(
            err.message.starts_with("invalid address \"fd00::5/64\""),
            "{}",
            err.message
        );
        let mut null_eid = request("ep1", "10.10.1.5/24", "ctr1");
        null_eid.endpoint_id = null();
        // SAFETY: a NULL with a length is checked, never read.
        let err = unsafe { null_eid.to_request() }.unwrap_err();
        assert_eq!(err.message, "endpoint_id must not be NULL");
    }

    #[test]
    fn join_publishes_a_record_and_refusals_change_nothing() {
        let host = new_host("192.0.2.1");
        let req = request("ep1", "10.10.1.5/24", "ctr1");
        let (rc, record) = join(host, &req);
        assert_eq!(rc, overlaynet_result::Ok);
        let want = PeerRecord {
            endpoint_ip: "10.10.1.5/24".parse().unwrap(),
            endpoint_mac: MacAddr([2, 0x42, 10, 10, 1, 5]),
            tunnel_endpoint_ip: "192.0.2.1".parse().unwrap(),
        };
        assert_eq!(record, overlaynet_peer_record::from(&want));

        // The same endpoint again: a conflict, nothing written, the engine unchanged.
        let before = desired_json(host);
        let (rc, record) = join(host, &req);
        assert_eq!(
            (rc, record.endpoint_prefix_len),
            (overlaynet_result::Conflict, 99)
        );
        assert!(with_last_error(
            |m| m == "endpoint ep1 already exists in network k3jd8s0a2bq9x"
        ));
        let (rc, _) = join(host, &request("ep2", "10.10.9.5/24", "ctr2"));
        assert_eq!(rc, overlaynet_result::InvalidInput);
        assert_eq!(desired_json(host), before);

        // The published records, as protobuf bytes.
        let mut records = null_mut();
        let (mut count, mut n) = (0, 0);
        let mut buf = [0u8; 96];
        // SAFETY: live handles and locals.
        unsafe {
            assert_eq!(
                overlaynet_host_local_records(host, NET.as_ptr(), NET.len(), &mut records),
                overlaynet_result::Ok
            );
            overlaynet_host_records_count(records, &mut count);
            assert_eq!(count, 1);
            assert_eq!(
                overlaynet_host_records_eid(records, 0, buf.as_mut_ptr(), buf.len(), &mut n),
                overlaynet_result::Ok
            );
            assert_eq!(&buf[..n], b"ep1");
            assert_eq!(
                overlaynet_host_records_bytes(records, 0, buf.as_mut_ptr(), buf.len(), &mut n),
                overlaynet_result::Ok
            );
            assert_eq!(PeerRecord::decode(&buf[..n]).unwrap(), want);
            assert_eq!(
                overlaynet_host_records_bytes(records, 1, buf.as_mut_ptr(), buf.len(), &mut n),
                overlaynet_result::IndexOutOfRange
            );
            overlaynet_host_records_free(records);
        }

        // Leave: the withdrawn record comes back; an unknown endpoint is not found.
        let mut gone = overlaynet_peer_record::default();
        // SAFETY: live handle and locals.
        unsafe {
            assert_eq!(
                overlaynet_host_leave(host, NET.as_ptr(), NET.len(), b"ep9".as_ptr(), 3, &mut gone),
                overlaynet_result::NotFound
            );
            assert_eq!(
                overlaynet_host_delete_network(host, NET.as_ptr(), NET.len()),
                overlaynet_result::Refused
            );
            assert_eq!(
                overlaynet_host_leave(host, NET.as_ptr(), NET.len(), b"ep1".as_ptr(), 3, &mut gone),
                overlaynet_result::Ok
            );
            assert_eq!(
                overlaynet_host_delete_network(host, NET.as_ptr(), NET.len()),
                overlaynet_result::Ok
            );
            overlaynet_host_free(host);
        }
        assert_eq!(gone, overlaynet_peer_record::from(&want));
    }

    fn desired_json(host: *const overlaynet_host) -> String {
        let mut n = 0;
        // SAFETY: a size query, then a buffer of that size.
        unsafe {
            overlaynet_host_desired_state_json(host, null_mut(), 0, &mut n);
            let mut buf = vec![0u8; n];
            assert_eq!(
                overlaynet_host_desired_state_json(host, buf.as_mut_ptr(), n, &mut n),
                overlaynet_result::Ok
            );
            String::from_utf8(buf).unwrap()
        }
    }

    #[test]
    fn peer_events_are_typed_and_checked() {
        let host = new_host("192.0.2.1");
        let remote = PeerRecord {
            endpoint_ip: "10.10.1.9/24".parse().unwrap(),
            endpoint_mac: MacAddr([2, 0x42, 10, 10, 1, 9]),
            tunnel_endpoint_ip: "192.0.2.2".parse().unwrap(),
        }
        .encode();
        let event = |ty: u32, record: &[u8], prev: &[u8]| {
            let mut outcome = overlaynet_peer_event_outcome {
                kind: 77,
                removed: 77,
                added: 77,
            };
            let mut touched = 77;
            // SAFETY: live handle and locals.
            let rc = unsafe {
                overlaynet_host_apply_peer_event(
                    host,
                    NET.as_ptr(),
                    NET.len(),
                    b"ep9".as_ptr(),
                    3,
                    ty,
                    record.as_ptr(),
                    record.len(),
                    if prev.is_empty() {
                        null()
                    } else {
                        prev.as_ptr()
                    },
                    prev.len(),
                    &mut outcome,
                    &mut touched,
                )
            };
            (rc, outcome.kind, outcome.added, outcome.removed, touched)
        };
        assert_eq!(event(9, &remote, &[]).0, overlaynet_result::InvalidEnum);
        assert_eq!(
            event(1, &remote, &remote).0,
            overlaynet_result::InvalidInput
        );
        assert_eq!(event(1, b"\xff", &[]).0, overlaynet_result::InvalidInput);
        assert!(with_last_error(
            |m| m.starts_with("failed to unmarshal peer record")
        ));
        // No sandbox yet (no local endpoint), so no kernel object changes.
        assert_eq!(event(1, &remote, &[]), (overlaynet_result::Ok, 2, 1, 0, 0));
        assert_eq!(
            event(2, &remote, &remote),
            (overlaynet_result::Ok, 1, 0, 0, 0)
        );
        let (rc, _) = join(host, &request("ep1", "10.10.1.5/24", "ctr1"));
        assert_eq!(rc, overlaynet_result::Ok);
        // With a sandbox, the delete touches the neighbour and FDB entries.
        assert_eq!(event(3, &remote, &[]), (overlaynet_result::Ok, 2, 0, 1, 2));
        // SAFETY: given up.
        unsafe { overlaynet_host_free(host) };
    }
}
