//! Batching on the real kernel: a run of neighbour, FDB and route operations goes out
//! together, and each refusal comes back on its own operation — with the errno, and with the
//! kernel's extended-ACK text when it gave one — while the others succeed.

mod common;

use common::{Netns, require_root_and_tools};
use overlaynet::kernel::linux::{LinuxConfig, LinuxKernel};
use overlaynet::kernel::{
    Errno, FdbEntry, FdbTable, Kernel, KernelError, KernelState, Link, LinkKey, LinkKind,
    NamePattern, Neigh, NeighKey, Netns as Ns, Op, OpOutcome, Plan, Route, RouteKey, Scope,
    reconcile,
};
use overlaynet::wire::MacAddr;

#[test]
fn each_refusal_in_a_batch_lands_on_its_operation() {
    if !require_root_and_tools(&["ip"]) {
        return;
    }
    let ov = format!("1-bt{}", std::process::id());
    struct Cleanup(String);
    impl Drop for Cleanup {
        fn drop(&mut self) {
            let _ = std::process::Command::new("ip")
                .args(["netns", "del", &self.0])
                .stderr(std::process::Stdio::null())
                .status();
        }
    }
    let _cleanup = Cleanup(ov.clone());
    let _host = Netns::new("bth");
    let mut scope = Scope::docker();
    scope.netns = vec![NamePattern::Exact(ov.clone())];
    let mut k =
        LinuxKernel::new(LinuxConfig::new(scope.clone()).with_host_netns(_host.name.clone()));
    let n = Ns::named(ov.clone());
    let mut st = KernelState::new();
    st.namespaces.insert(ov.clone());
    st.links.insert(
        LinkKey::new(n.clone(), "br0"),
        Link::new(LinkKind::Bridge).up(),
    );
    let r = reconcile(&st, &scope, &mut k).unwrap();
    assert!(r.is_success(), "{:?}", r.apply);

    let neigh = |last: u8| Op::AddNeigh {
        key: NeighKey::new(n.clone(), "br0", format!("10.0.0.{last}").parse().unwrap()),
        neigh: Neigh {
            lladdr: MacAddr([2, 0, 0, 0, 0, last]),
        },
    };
    let plan = Plan {
        ops: vec![
            neigh(1),
            neigh(1), // the same entry again: EEXIST
            Op::AddFdb {
                entry: FdbEntry {
                    netns: n.clone(),
                    link: "nosuch0".into(),
                    mac: MacAddr([2, 0, 0, 0, 0, 9]),
                    dst: None,
                    table: FdbTable::SelfDev,
                },
            },
            // A gateway that is not on any connected network.
            Op::AddRoute {
                key: RouteKey::new(n.clone(), "10.9.0.0/16".parse().unwrap()),
                route: Route {
                    dev: "br0".into(),
                    via: Some("192.0.2.1".parse().unwrap()),
                },
            },
            neigh(2),
        ],
    };
    let report = k.apply(&plan);
    let o = &report.outcomes;
    assert_eq!(o[0], OpOutcome::Done);
    assert!(
        matches!(&o[1], OpOutcome::Failed(KernelError::Exists { .. })),
        "{:?}",
        o[1]
    );
    assert!(
        matches!(&o[2], OpOutcome::Failed(KernelError::NoDevice { device, .. }) if device == "nosuch0"),
        "{:?}",
        o[2]
    );
    // ENETUNREACH with the kernel's own explanation.
    match &o[3] {
        OpOutcome::Failed(KernelError::Refused { errno, message, .. }) => {
            assert_eq!(*errno, Errno(101));
            assert_eq!(message, "Nexthop has invalid gateway");
        }
        other => panic!("route via an unreachable gateway: {other:?}"),
    }
    assert_eq!(o[4], OpOutcome::Done);
    let seen = k.observe().unwrap();
    assert_eq!(seen.neighs.len(), 2);
}
