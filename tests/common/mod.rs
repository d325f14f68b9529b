//! Helpers shared by integration tests: the rule for tests that need root or an external tool.
//!
//! When the `CI` environment variable is set such a test must run, so a missing requirement is
//! a loud failure. Elsewhere the test prints what it needs and returns early.
#![allow(dead_code)]

use std::process::Command;

/// True when running under CI, where nothing may skip.
pub fn in_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| !v.is_empty())
}

/// Call at the top of a test that needs `what`. Returns `false` (and prints why) when the test
/// should skip; panics under CI instead of skipping.
pub fn require(available: bool, what: &str) -> bool {
    if available {
        return true;
    }
    if in_ci() {
        panic!("this test needs {what}, and CI is set, so it may not skip");
    }
    eprintln!("SKIPPED: this test needs {what} (set CI=1 to make this a failure)");
    false
}

/// Whether the process runs as root (needed for network namespaces).
pub fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether `tool` is on PATH.
pub fn has_tool(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool} >/dev/null 2>&1")])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Root plus every tool in `tools`; see [`require`].
pub fn require_root_and_tools(tools: &[&str]) -> bool {
    if !require(is_root(), "root (network namespaces)") {
        return false;
    }
    tools
        .iter()
        .all(|t| require(has_tool(t), &format!("the `{t}` tool")))
}

/// Run a shell command, panicking with its output when it fails.
pub fn sh(cmd: &str) -> String {
    let out = Command::new("sh")
        .args(["-c", cmd])
        .output()
        .expect("spawn sh");
    assert!(
        out.status.success(),
        "command failed: {cmd}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A network namespace that is deleted on drop. Names are made unique per process and test so
/// tests can run in parallel.
pub struct Netns {
    /// The namespace name as `ip netns` knows it.
    pub name: String,
}

impl Netns {
    /// Create `ovn-<tag>-<pid>` (kept under 15 chars where possible) with `lo` up.
    pub fn new(tag: &str) -> Netns {
        let name = format!("ovn{}-{}", tag, std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).status();
        sh(&format!("ip netns add {name}"));
        sh(&format!("ip -n {name} link set lo up"));
        Netns { name }
    }

    /// Run a shell command inside the namespace.
    pub fn sh(&self, cmd: &str) -> String {
        sh(&format!(
            "ip netns exec {} sh -c '{}'",
            self.name,
            cmd.replace('\'', "'\\''")
        ))
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .status();
    }
}
