//! `overlaynet_kernel`: the kernel a host plans against and applies to — the in-memory
//! simulator with fault and drift injection, or (on Linux) the netlink backend — and the
//! Linux capability probe.
//!
//! A kernel handle serves one host: the host calls (`overlaynet_host_plan`, `_reconcile`,
//! `_explain`) give it the host's current scope before observing, so it observes (and the
//! simulator drifts) exactly what that host owns.

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, in_str, into_handle, out_buf,
    out_param,
};
use super::host::overlaynet_host;
use super::result::overlaynet_result;
use crate::kernel::sim::SimKernel;
use crate::kernel::{Errno, Kernel, KernelError, Scope};

#[cfg(target_os = "linux")]
use crate::kernel::linux::{self, LinuxConfig, LinuxKernel, NetnsDir};

/// An opaque kernel backend: the simulator or the Linux netlink backend.
#[allow(non_camel_case_types)]
pub struct overlaynet_kernel {
    backend: Backend,
}

enum Backend {
    Sim(SimKernel),
    #[cfg(target_os = "linux")]
    Linux(LinuxKernel),
}

impl overlaynet_kernel {
    /// The backend as a [`Kernel`].
    pub(crate) fn kernel(&mut self) -> &mut dyn Kernel {
        match &mut self.backend {
            Backend::Sim(sim) => sim,
            #[cfg(target_os = "linux")]
            Backend::Linux(linux) => linux,
        }
    }

    /// Runs `f` on the backend scoped to `scope` (the host's scope now: it grows as endpoints
    /// join). When `f` fails, the previous scope is put back, so the handle is as it was.
    pub(crate) fn within<T>(
        &mut self,
        scope: &Scope,
        f: impl FnOnce(&mut dyn Kernel) -> Result<T, KernelError>,
    ) -> Result<T, KernelError> {
        let previous = self.replace_scope(scope.clone());
        let result = f(self.kernel());
        if result.is_err() {
            self.replace_scope(previous);
        }
        result
    }

    fn replace_scope(&mut self, scope: Scope) -> Scope {
        match &mut self.backend {
            Backend::Sim(sim) => sim.replace_scope(scope),
            #[cfg(target_os = "linux")]
            Backend::Linux(linux) => linux.replace_scope(scope),
        }
    }

    fn sim(&mut self) -> Result<&mut SimKernel, Failure> {
        match &mut self.backend {
            Backend::Sim(sim) => Ok(sim),
            #[cfg(target_os = "linux")]
            Backend::Linux(_) => Err(not_the_simulator()),
        }
    }

    fn sim_ref(&self) -> Result<&SimKernel, Failure> {
        match &self.backend {
            Backend::Sim(sim) => Ok(sim),
            #[cfg(target_os = "linux")]
            Backend::Linux(_) => Err(not_the_simulator()),
        }
    }
}

#[cfg(target_os = "linux")]
fn not_the_simulator() -> Failure {
    Failure::new(
        overlaynet_result::Unsupported,
        "kernel is the Linux backend: fault and drift injection need the simulator",
    )
}

/// Drift injections per call are capped: each one scans the simulated host.
const MAX_DRIFT: usize = 4096;

fn errno_in(errno: i32) -> Result<Errno, Failure> {
    if (1..=4095).contains(&errno) {
        Ok(Errno(errno))
    } else {
        Err(Failure::with(
            overlaynet_result::InvalidInput,
            format_args!("errno {errno} is not a Linux error number (1..=4095)"),
        ))
    }
}

// ---- the simulator ------------------------------------------------------------------------

/// Creates an empty simulated host (only its host namespace, nothing in it) in
/// `*out_kernel`, scoped like `host`; free it with `overlaynet_kernel_free`. It performs no
/// I/O. Container namespaces the host's endpoints need are created by the first reconcile.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_kernel_sim_new(
    host: *const overlaynet_host,
    out_kernel: *mut *mut overlaynet_kernel,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, out) = unsafe {
            (
                handle_ref(host, "host")?,
                out_param(out_kernel, "out_kernel")?,
            )
        };
        out.write(into_handle(overlaynet_kernel {
            backend: Backend::Sim(SimKernel::new(h.host.scope().clone())),
        }));
        Ok(())
    })
}

/// Frees a kernel handle (a simulated host disappears; a real kernel keeps its state). NULL
/// is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_kernel_free(kernel: *mut overlaynet_kernel) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(kernel) });
}

/// Simulator only: makes the `n`-th operation the simulator executes from now (0 = the
/// next) fail with errno `errno_value` (1..=4095) and change nothing. Operations skipped because an
/// earlier one failed do not count. `OVERLAYNET_RESULT_UNSUPPORTED` on a real kernel.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_kernel_sim_fail_nth(
    kernel: *mut overlaynet_kernel,
    n: u64,
    errno_value: i32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let k = unsafe { handle_mut(kernel, "kernel") }?;
        let errno = errno_in(errno_value)?;
        k.sim()?.fail_nth(n, errno);
        Ok(())
    })
}

/// Simulator only: makes the next observation fail with errno `errno_value` (1..=4095); the plan,
/// reconcile or explain call that meets it fails with `OVERLAYNET_RESULT_KERNEL`, changes
/// nothing else, and uses up the fault. `OVERLAYNET_RESULT_UNSUPPORTED` on a real kernel.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_kernel_sim_fail_observe(
    kernel: *mut overlaynet_kernel,
    errno_value: i32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let k = unsafe { handle_mut(kernel, "kernel") }?;
        let errno = errno_in(errno_value)?;
        k.sim()?.fail_observe(errno);
        Ok(())
    })
}

/// Simulator only: deletes or alters `count` (at most 4096) random objects that are ours,
/// as an operator might, reproducibly from `seed`; `*out_changed` gets how many changes were
/// made (fewer when there is nothing left to delete). `OVERLAYNET_RESULT_UNSUPPORTED` on a
/// real kernel.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_kernel_sim_drift(
    kernel: *mut overlaynet_kernel,
    seed: u64,
    count: usize,
    out_changed: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (k, out) = unsafe {
            (
                handle_mut(kernel, "kernel")?,
                out_param(out_changed, "out_changed")?,
            )
        };
        let sim = k.sim()?;
        if count > MAX_DRIFT {
            return Err(Failure::with(
                overlaynet_result::InvalidInput,
                format_args!("drift count {count} is above the limit of {MAX_DRIFT}"),
            ));
        }
        out.write(sim.drift(seed, count).len());
        Ok(())
    })
}

/// Simulator only: copies everything on the simulated host, ours and foreign, as JSON (maps
/// as lists of `[key, value]` pairs, AEAD keys redacted) into `buf`.
/// `OVERLAYNET_RESULT_UNSUPPORTED` on a real kernel.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_kernel_sim_state_json(
    kernel: *const overlaynet_kernel,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (k, out) = unsafe { (handle_ref(kernel, "kernel")?, out_buf(buf, len, out_n)?) };
        out.write(k.sim_ref()?.state().to_json().as_bytes())
    })
}

// ---- Linux --------------------------------------------------------------------------------

#[cfg(not(target_os = "linux"))]
fn unsupported() -> Failure {
    Failure::new(
        overlaynet_result::Unsupported,
        "the Linux kernel backend is only available on Linux",
    )
}

/// Checks the Linux backend's arguments on every operating system, so bad input is
/// `OVERLAYNET_RESULT_INVALID_INPUT` everywhere: `dir` empty or an absolute path, `host_netns`
/// empty or a namespace file name.
fn check_netns_args(host_netns: &str, dir: &str) -> Result<(), Failure> {
    if !dir.is_empty() && (!dir.starts_with('/') || dir.contains('\0')) {
        return Err(Failure::with(
            overlaynet_result::InvalidInput,
            format_args!("netns_dir {dir:?} is not an absolute path"),
        ));
    }
    if !host_netns.is_empty() && !crate::kernel::valid_netns_name(host_netns) {
        return Err(Failure::with(
            overlaynet_result::InvalidInput,
            format_args!("invalid host_netns {host_netns:?}: not a namespace file name"),
        ));
    }
    Ok(())
}

/// The namespace directory (checked by [`check_netns_args`]; empty is `/run/netns`).
#[cfg(target_os = "linux")]
fn netns_dir(dir: &str) -> NetnsDir {
    if dir.is_empty() {
        NetnsDir::default()
    } else {
        NetnsDir::new(dir)
    }
}

#[cfg(target_os = "linux")]
fn linux_backend(host_netns: &str, dir: &str) -> Result<Backend, Failure> {
    check_netns_args(host_netns, dir)?;
    let mut config = LinuxConfig::new(Scope::docker()).with_netns_dir(netns_dir(dir));
    if !host_netns.is_empty() {
        config = config.with_host_netns(host_netns);
    }
    Ok(Backend::Linux(LinuxKernel::new(config)))
}

#[cfg(not(target_os = "linux"))]
fn linux_backend(host_netns: &str, dir: &str) -> Result<Backend, Failure> {
    check_netns_args(host_netns, dir)?;
    Err(unsupported())
}

/// Creates the Linux netlink backend in `*out_kernel`; free it with `overlaynet_kernel_free`.
/// `netns_dir` is the directory of named namespace files (empty: "/run/netns", where
/// `ip netns` keeps them; otherwise an absolute path). `host_netns` names the namespace in
/// that directory that plays the host (underlay, VXLAN creation, XFRM, nftables); empty: the
/// process's own. Nothing is opened until first used, so a missing namespace or missing
/// privileges show up as `OVERLAYNET_RESULT_KERNEL` on the first plan or reconcile.
/// `OVERLAYNET_RESULT_UNSUPPORTED` on other operating systems.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_kernel_linux_new(
    host_netns: *const u8,
    host_netns_len: usize,
    netns_dir: *const u8,
    netns_dir_len: usize,
    out_kernel: *mut *mut overlaynet_kernel,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (host_netns, dir, out) = unsafe {
            (
                in_str(host_netns, host_netns_len, "host_netns")?,
                in_str(netns_dir, netns_dir_len, "netns_dir")?,
                out_param(out_kernel, "out_kernel")?,
            )
        };
        let backend = linux_backend(host_netns, dir)?;
        out.write(into_handle(overlaynet_kernel { backend }));
        Ok(())
    })
}

/// What the running Linux kernel can do for overlaynet (`overlaynet_linux_probe`).
///
/// A struct of booleans rather than JSON: callers branch on these values (refuse encrypted
/// networks without `encryption`), the compiler checks the field names and the header pins the
/// layout, and no JSON parser is needed. Why a feature is missing (errno and the kernel's
/// message) is text for people: `overlaynet_linux_probe_notes`.
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct overlaynet_linux_capabilities {
    /// Linux bridges can be created.
    pub bridge: bool,
    /// VXLAN devices can be created.
    pub vxlan: bool,
    /// veth pairs can be created.
    pub veth: bool,
    /// XFRM netlink is there and takes policies.
    pub xfrm_policy: bool,
    /// ESP states can be installed at all.
    pub esp: bool,
    /// ESP states with `rfc4106(gcm(aes))`, Docker's transform, can be installed.
    pub esp_gcm_aes: bool,
    /// nftables works, including a NAT chain.
    pub nft_nat: bool,
    /// IPv6 is enabled in new namespaces.
    pub ipv6: bool,
    /// Overlay encryption as Docker does it can work (XFRM policies, ESP, gcm(aes)); when
    /// false, encrypted networks must be refused.
    pub encryption: bool,
}

#[cfg(target_os = "linux")]
fn probe(dir: &str) -> Result<linux::Capabilities, Failure> {
    check_netns_args("", dir)?;
    Ok(linux::probe(&netns_dir(dir))?)
}

#[cfg(not(target_os = "linux"))]
fn probe(dir: &str) -> Result<std::convert::Infallible, Failure> {
    check_netns_args("", dir)?;
    Err(unsupported())
}

/// Probes the running kernel by trying each feature in a scratch namespace
/// `ovlprobe-<pid>` in `netns_dir` (empty: "/run/netns"), deleted afterwards, and stores the
/// result in `*out_caps`. Needs root (`OVERLAYNET_RESULT_KERNEL` with errno EPERM otherwise);
/// `OVERLAYNET_RESULT_UNSUPPORTED` on other operating systems.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_linux_probe(
    netns_dir: *const u8,
    netns_dir_len: usize,
    out_caps: *mut overlaynet_linux_capabilities,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (dir, out) = unsafe {
            (
                in_str(netns_dir, netns_dir_len, "netns_dir")?,
                out_param(out_caps, "out_caps")?,
            )
        };
        #[cfg(target_os = "linux")]
        {
            let caps = probe(dir)?;
            out.write(overlaynet_linux_capabilities {
                bridge: caps.bridge,
                vxlan: caps.vxlan,
                veth: caps.veth,
                xfrm_policy: caps.xfrm_policy,
                esp: caps.esp,
                esp_gcm_aes: caps.esp_gcm_aes,
                nft_nat: caps.nft_nat,
                ipv6: caps.ipv6,
                encryption: caps.encryption(),
            });
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = out;
            match probe(dir)? {}
        }
    })
}

/// Probes like `overlaynet_linux_probe` (again: each call probes) and copies why each
/// missing feature is missing, one line per feature with the errno and the kernel's
/// message, into `buf`; empty when everything is supported.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_linux_probe_notes(
    netns_dir: *const u8,
    netns_dir_len: usize,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (dir, out) = unsafe {
            (
                in_str(netns_dir, netns_dir_len, "netns_dir")?,
                out_buf(buf, len, out_n)?,
            )
        };
        #[cfg(target_os = "linux")]
        {
            let notes: String = probe(dir)?
                .notes
                .iter()
                .map(|note| format!("{note}\n"))
                .collect();
            out.write(notes.as_bytes())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = out;
            match probe(dir)? {}
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errno_arguments_are_checked() {
        assert_eq!(errno_in(17), Ok(Errno::EEXIST));
        for bad in [0, -1, 4096] {
            let err = errno_in(bad).unwrap_err();
            assert_eq!(err.code, overlaynet_result::InvalidInput);
        }
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_backend_arguments_are_checked_and_sim_calls_refused() {
        use std::ptr::null_mut;
        let new = |ns: &str, dir: &str| {
            let mut kernel = null_mut();
            // SAFETY: live locals.
            let rc = unsafe {
                overlaynet_kernel_linux_new(
                    ns.as_ptr(),
                    ns.len(),
                    dir.as_ptr(),
                    dir.len(),
                    &mut kernel,
                )
            };
            (rc, kernel)
        };
        assert_eq!(new("a/b", "").0, overlaynet_result::InvalidInput);
        assert_eq!(new("", "run/netns").0, overlaynet_result::InvalidInput);
        let (rc, kernel) = new("h1", "/run/netns");
        assert_eq!(rc, overlaynet_result::Ok);
        let mut n = 0;
        // SAFETY: live handle and locals; then given up.
        unsafe {
            assert_eq!(
                overlaynet_kernel_sim_fail_nth(kernel, 0, 12),
                overlaynet_result::Unsupported
            );
            assert_eq!(
                overlaynet_kernel_sim_drift(kernel, 1, 1, &mut n),
                overlaynet_result::Unsupported
            );
            assert_eq!(
                overlaynet_kernel_sim_state_json(kernel, null_mut(), 0, &mut n),
                overlaynet_result::Unsupported
            );
            overlaynet_kernel_free(kernel);
        }
    }

    #[test]
    fn drift_is_capped() {
        let mut k = overlaynet_kernel {
            backend: Backend::Sim(SimKernel::new(Scope::docker())),
        };
        let mut n = 7;
        // SAFETY: live locals.
        unsafe {
            assert_eq!(
                overlaynet_kernel_sim_drift(&mut k, 1, MAX_DRIFT + 1, &mut n),
                overlaynet_result::InvalidInput
            );
            assert_eq!(n, 7);
            assert_eq!(
                overlaynet_kernel_sim_drift(&mut k, 1, 3, &mut n),
                overlaynet_result::Ok
            );
        }
        assert_eq!(n, 0, "an empty host has nothing to drift");
    }
}
