//! nftables through the `nft` binary: a table is replaced whole in one `nft -f -` transaction
//! (create, delete, re-create with the new body: atomic, as Kubernetes' kube-proxy does), and
//! read back with `nft list table`. Only the table named in the operation is touched.
//!
//! Why the binary and not a native nf_tables netlink encoder: the table body is nft's own
//! language (sets, maps, `@th` payload expressions, NAT statements); compiling it to netlink
//! expressions means re-implementing libnftables' parser and evaluator. `nft -f -` gives the
//! same single atomic batch the kernel sees from libnftables, and `nft list` prints the
//! canonical text the vocabulary compares.

use std::fs::File;
use std::io::Write;
use std::process::{Command, Stdio};

use super::error::LinuxError;
use super::netns::run_in;
use crate::kernel::NftFamily;

/// Runs `nft ARGS` with `stdin` in namespace `ns` (`None`: the caller's), returning stdout.
fn nft(ns: Option<&File>, label: &str, args: &[&str], stdin: &str) -> Result<String, LinuxError> {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    let input = stdin.to_owned();
    let run = move || -> Result<std::process::Output, std::io::Error> {
        let mut child = Command::new("nft")
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let Some(mut w) = child.stdin.take() {
            w.write_all(input.as_bytes())?;
        }
        child.wait_with_output()
    };
    let err = |detail: String| LinuxError::Nft {
        netns: label.into(),
        detail,
    };
    let out = match ns {
        None => run(),
        Some(f) => run_in(f, run).and_then(|r| r),
    }
    .map_err(|e| err(format!("cannot run nft: {e}")))?;
    if !out.status.success() {
        return Err(err(String::from_utf8_lossy(&out.stderr).trim().to_owned()));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The script that creates or atomically replaces table `family name` with `body`.
pub fn replace_script(family: NftFamily, name: &str, body: &str) -> String {
    format!(
        "table {family} {name}\ndelete table {family} {name}\ntable {family} {name} {{\n{body}\n}}\n"
    )
}

/// Creates or atomically replaces the table.
pub fn set_table(
    ns: Option<&File>,
    label: &str,
    family: NftFamily,
    name: &str,
    body: &str,
) -> Result<(), LinuxError> {
    nft(ns, label, &["-f", "-"], &replace_script(family, name, body)).map(drop)
}

/// Deletes the table.
pub fn delete_table(
    ns: Option<&File>,
    label: &str,
    family: NftFamily,
    name: &str,
) -> Result<(), LinuxError> {
    let script = format!("delete table {family} {name}\n");
    nft(ns, label, &["-f", "-"], &script).map(drop)
}

/// The tables named `name` in the namespace and their bodies, as `nft list table` prints them.
pub fn list_tables(
    ns: Option<&File>,
    label: &str,
    name: &str,
) -> Result<Vec<(NftFamily, String)>, LinuxError> {
    let tables = nft(ns, label, &["list", "tables"], "")?;
    let mut out = Vec::new();
    for line in tables.lines() {
        let mut words = line.split_whitespace();
        let (Some("table"), Some(fam), Some(n)) = (words.next(), words.next(), words.next()) else {
            continue;
        };
        let family = match fam {
            "ip" => NftFamily::Ip,
            "ip6" => NftFamily::Ip6,
            "inet" => NftFamily::Inet,
            _ => continue,
        };
        if n != name {
            continue;
        }
        let text = nft(ns, label, &["list", "table", fam, n], "")?;
        out.push((family, body_of(&text)));
    }
    Ok(out)
}

/// The lines between `table F N {` and the closing `}` of `nft list table` output.
pub fn body_of(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("table "))
        .map_or(0, |i| i + 1);
    let end = lines.iter().rposition(|l| *l == "}").unwrap_or(lines.len());
    lines
        .get(start..end)
        .map(|l| l.join("\n"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_is_the_text_inside_the_table() {
        let text = "table inet overlaynet {\n\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t}\n}\n";
        assert_eq!(
            body_of(text),
            "\tchain c {\n\t\ttype filter hook input priority filter; policy accept;\n\t}"
        );
        assert_eq!(
            replace_script(NftFamily::Inet, "overlaynet", "\tchain c {\n\t}"),
            "table inet overlaynet\ndelete table inet overlaynet\ntable inet overlaynet {\n\tchain c {\n\t}\n}\n"
        );
    }
}
