//! Rendering a [`Plan`] as the equivalent `ip`, `bridge` and `nft` commands, for dry runs and
//! support bundles. AEAD keys print as `0x<redacted>` unless secrets are asked for explicitly.
//! This module only formats; it never runs a command.

use std::fmt::{self, Write};

use super::plan::{LinkChange, Op, Plan};
use super::state::{
    FdbEntry, FdbTable, Link, LinkKey, LinkKind, Netns, NftTableKey, XfrmPolicy, XfrmPolicyKey,
    XfrmSelector, XfrmState, XfrmStateKey,
};

/// A plan (or one operation) formatted as commands; see [`Plan::display_with_secrets`].
pub struct PlanDisplay<'a> {
    ops: &'a [Op],
    secrets: bool,
}

impl Plan {
    /// The commands with AEAD keys in clear. Only for an operator who asked for them: the
    /// output can decrypt the overlay's traffic.
    pub fn display_with_secrets(&self) -> PlanDisplay<'_> {
        PlanDisplay {
            ops: &self.ops,
            secrets: true,
        }
    }
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        PlanDisplay {
            ops: &self.ops,
            secrets: false,
        }
        .fmt(f)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_op(f, self, false)
    }
}

impl fmt::Display for PlanDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for op in self.ops {
            write_op(f, op, self.secrets)?;
            f.write_char('\n')?;
        }
        Ok(())
    }
}

/// `ip` with `-n NS` for a named namespace.
fn ip(ns: &Netns) -> String {
    match ns {
        Netns::Host => "ip".into(),
        Netns::Named(n) => format!("ip -n {n}"),
    }
}

fn bridge(ns: &Netns) -> String {
    match ns {
        Netns::Host => "bridge".into(),
        Netns::Named(n) => format!("bridge -n {n}"),
    }
}

fn nft(ns: &Netns) -> String {
    match ns {
        Netns::Host => "nft".into(),
        Netns::Named(n) => format!("ip netns exec {n} nft"),
    }
}

/// ` mtu N address MAC` for the attributes `ip link add` sets.
fn created_attrs(link: &Link) -> String {
    let mut s = String::new();
    if let Some(mtu) = link.mtu {
        let _ = write!(s, " mtu {mtu}");
    }
    if let Some(mac) = link.mac {
        let _ = write!(s, " address {mac}");
    }
    s
}

fn write_add_link(
    f: &mut fmt::Formatter<'_>,
    key: &LinkKey,
    link: &Link,
    staging_name: Option<&str>,
    peer: Option<&Link>,
) -> fmt::Result {
    let attrs = created_attrs(link);
    match &link.kind {
        LinkKind::Bridge => write!(
            f,
            "{} link add {}{attrs} type bridge",
            ip(&key.netns),
            key.name
        ),
        LinkKind::Dummy => write!(
            f,
            "{} link add {}{attrs} type dummy",
            ip(&key.netns),
            key.name
        ),
        LinkKind::Veth { peer: pkey } => {
            write!(
                f,
                "{} link add {}{attrs} type veth peer name {}",
                ip(&key.netns),
                key.name,
                pkey.name
            )?;
            if let Some(p) = peer {
                f.write_str(&created_attrs(p))?;
            }
            if pkey.netns != key.netns {
                match &pkey.netns {
                    Netns::Named(n) => write!(f, " netns {n}")?,
                    // iproute2 names the initial namespace by its init process.
                    Netns::Host => f.write_str(" netns 1")?,
                }
            }
            Ok(())
        }
        LinkKind::Vxlan(v) => {
            let create_ns = if staging_name.is_some() {
                &Netns::Host
            } else {
                &key.netns
            };
            let name = staging_name.unwrap_or(&key.name);
            write!(
                f,
                "{} link add {name}{attrs} type vxlan id {} dstport {}",
                ip(create_ns),
                v.vni,
                v.port
            )?;
            if v.ipv6_underlay {
                f.write_str(" group6 ::")?;
            }
            if let Some(local) = v.local {
                write!(f, " local {local}")?;
            }
            for (on, word) in [
                (v.proxy, "proxy"),
                (v.l2miss, "l2miss"),
                (v.l3miss, "l3miss"),
            ] {
                if on {
                    write!(f, " {word}")?;
                }
            }
            f.write_str(if v.learning {
                " learning"
            } else {
                " nolearning"
            })?;
            write!(f, " ttl {}", v.ttl)?;
            if let (Some(staged), Netns::Named(ns)) = (staging_name, &key.netns) {
                write!(f, "\nip link set {staged} netns {ns}")?;
                write!(f, "\nip -n {ns} link set {staged} name {}", key.name)?;
            }
            Ok(())
        }
    }
}

fn write_selector(f: &mut fmt::Formatter<'_>, sel: &XfrmSelector) -> fmt::Result {
    write!(f, "src {} dst {}", sel.src, sel.dst)?;
    if let Some(p) = sel.proto {
        match p {
            17 => f.write_str(" proto udp")?,
            6 => f.write_str(" proto tcp")?,
            other => write!(f, " proto {other}")?,
        }
    }
    if let Some(port) = sel.dport {
        write!(f, " dport {port}")?;
    }
    Ok(())
}

fn write_policy_key(f: &mut fmt::Formatter<'_>, key: &XfrmPolicyKey) -> fmt::Result {
    write_selector(f, &key.selector)?;
    write!(f, " dir {}", key.dir)?;
    if let Some(m) = key.mark {
        write!(f, " mark 0x{:x} mask 0x{:x}", m.value, m.mask)?;
    }
    Ok(())
}

fn write_policy(
    f: &mut fmt::Formatter<'_>,
    verb: &str,
    key: &XfrmPolicyKey,
    p: &XfrmPolicy,
) -> fmt::Result {
    write!(f, "ip xfrm policy {verb} ")?;
    write_policy_key(f, key)?;
    for t in &p.templates {
        write!(
            f,
            " tmpl src {} dst {} proto {} spi 0x{:08x} reqid {} mode transport",
            t.src, t.dst, t.proto, t.spi, t.reqid
        )?;
    }
    Ok(())
}

fn write_state_key(f: &mut fmt::Formatter<'_>, key: &XfrmStateKey) -> fmt::Result {
    write!(
        f,
        "src {} dst {} proto {} spi 0x{:08x}",
        key.src, key.dst, key.proto, key.spi
    )
}

fn write_add_state(
    f: &mut fmt::Formatter<'_>,
    key: &XfrmStateKey,
    s: &XfrmState,
    secrets: bool,
) -> fmt::Result {
    f.write_str("ip xfrm state add ")?;
    write_state_key(f, key)?;
    let key_text = if secrets {
        s.aead_key.to_hex()
    } else {
        "0x<redacted>".into()
    };
    write!(
        f,
        " reqid {} mode transport aead '{}' {key_text} {}",
        s.reqid, s.aead_name, s.icv_bits
    )?;
    if s.replay_window != 0 {
        write!(f, " replay-window {}", s.replay_window)?;
    }
    if s.esn {
        f.write_str(" flag esn")?;
    }
    Ok(())
}

fn write_fdb(f: &mut fmt::Formatter<'_>, verb: &str, e: &FdbEntry) -> fmt::Result {
    write!(
        f,
        "{} fdb {verb} {} dev {}",
        bridge(&e.netns),
        e.mac,
        e.link
    )?;
    if let Some(dst) = e.dst {
        write!(f, " dst {dst}")?;
    }
    f.write_str(match e.table {
        FdbTable::SelfDev => " self",
        FdbTable::Master => " master",
    })?;
    if verb == "add" {
        f.write_str(" permanent")?;
    }
    Ok(())
}

fn write_nft_table(f: &mut fmt::Formatter<'_>, key: &NftTableKey, body: &str) -> fmt::Result {
    let (fam, name) = (key.family, &key.name);
    // Declaring, deleting and re-declaring the table in one transaction replaces it
    // atomically whether or not it existed.
    writeln!(f, "{} -f - <<'EOF'", nft(&key.netns))?;
    writeln!(
        f,
        "table {fam} {name}\ndelete table {fam} {name}\ntable {fam} {name} {{"
    )?;
    for line in body.lines() {
        writeln!(f, "\t{line}")?;
    }
    f.write_str("}\nEOF")
}

fn write_op(f: &mut fmt::Formatter<'_>, op: &Op, secrets: bool) -> fmt::Result {
    match op {
        Op::AddNetns { name } => write!(f, "ip netns add {name}"),
        Op::DelNetns { name } => write!(f, "ip netns del {name}"),
        Op::AddLink {
            key,
            link,
            staging_name,
            peer,
        } => write_add_link(f, key, link, staging_name.as_deref(), peer.as_ref()),
        Op::DelLink { key } => write!(f, "{} link del {}", ip(&key.netns), key.name),
        Op::SetLink { key, change } => {
            write!(f, "{} link set {} ", ip(&key.netns), key.name)?;
            match change {
                LinkChange::Mtu(m) => write!(f, "mtu {m}"),
                LinkChange::Mac(m) => write!(f, "address {m}"),
                LinkChange::Master(Some(m)) => write!(f, "master {m}"),
                LinkChange::Master(None) => f.write_str("nomaster"),
                LinkChange::Up(true) => f.write_str("up"),
                LinkChange::Up(false) => f.write_str("down"),
            }
        }
        Op::AddAddr { addr } => write!(
            f,
            "{} addr add {} dev {}",
            ip(&addr.netns),
            addr.prefix,
            addr.link
        ),
        Op::DelAddr { addr } => write!(
            f,
            "{} addr del {} dev {}",
            ip(&addr.netns),
            addr.prefix,
            addr.link
        ),
        Op::AddRoute { key, route } | Op::ReplaceRoute { key, route } => {
            let verb = if matches!(op, Op::AddRoute { .. }) {
                "add"
            } else {
                "replace"
            };
            write!(f, "{} route {verb} {}", ip(&key.netns), key.dst)?;
            if let Some(via) = route.via {
                write!(f, " via {via}")?;
            }
            write!(f, " dev {}", route.dev)
        }
        Op::DelRoute { key } => write!(f, "{} route del {}", ip(&key.netns), key.dst),
        Op::AddNeigh { key, neigh } | Op::ReplaceNeigh { key, neigh } => {
            let verb = if matches!(op, Op::AddNeigh { .. }) {
                "add"
            } else {
                "replace"
            };
            write!(
                f,
                "{} neigh {verb} {} lladdr {} dev {} nud permanent",
                ip(&key.netns),
                key.ip,
                neigh.lladdr,
                key.link
            )
        }
        Op::DelNeigh { key } => write!(
            f,
            "{} neigh del {} dev {}",
            ip(&key.netns),
            key.ip,
            key.link
        ),
        Op::AddFdb { entry } => write_fdb(f, "add", entry),
        Op::DelFdb { entry } => write_fdb(f, "del", entry),
        Op::AddXfrmState { key, state } => write_add_state(f, key, state, secrets),
        Op::DelXfrmState { key } => {
            f.write_str("ip xfrm state del ")?;
            write_state_key(f, key)
        }
        Op::AddXfrmPolicy { key, policy } => write_policy(f, "add", key, policy),
        Op::UpdateXfrmPolicy { key, policy } => write_policy(f, "update", key, policy),
        Op::DelXfrmPolicy { key } => {
            f.write_str("ip xfrm policy del ")?;
            write_policy_key(f, key)
        }
        Op::SetNftTable { key, table } => write_nft_table(f, key, &table.body),
        Op::DelNftTable { key } => write!(
            f,
            "{} delete table {} {}",
            nft(&key.netns),
            key.family,
            key.name
        ),
    }
}
