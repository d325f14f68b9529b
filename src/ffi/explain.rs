//! `overlaynet_explanation`: why a local endpoint can (or cannot) reach an address, hop by
//! hop (endpoint, peer table, neighbour, FDB, VTEP, IPsec, MTU), against what a kernel holds
//! now.

use super::boundary::{
    free_handle, guard, guard_value, handle_mut, handle_ref, in_str, into_handle, out_buf,
    out_param,
};
use super::convert::parse_ip;
use super::host::overlaynet_host;
use super::kernel::overlaynet_kernel;
use super::result::overlaynet_result;
use crate::host::{Explanation, Verdict};

/// An opaque explanation: the hops walked, ending at the first problem if there is one.
#[allow(non_camel_case_types)]
pub struct overlaynet_explanation {
    explanation: Explanation,
}

/// The verdict on a path or a hop (values written to `uint32_t *out_verdict`).
#[allow(non_camel_case_types)]
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum overlaynet_verdict {
    /// In place.
    Ok = 0,
    /// Something the hop needs is absent.
    Missing = 1,
    /// The hop exists but disagrees with the desired state or with another hop.
    Inconsistent = 2,
}

impl From<Verdict> for overlaynet_verdict {
    fn from(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Ok => Self::Ok,
            Verdict::Missing => Self::Missing,
            Verdict::Inconsistent => Self::Inconsistent,
        }
    }
}

/// Observes `kernel` within `host`'s scope and walks the path a frame from local endpoint
/// `from` of network `network` to address `to` (an IP address: a remote endpoint is known
/// here by the address in its PeerRecord) would take; stores the walk in a new
/// `*out_explanation` (free it with `overlaynet_explanation_free`). Read-only. Fails when the
/// network or the local endpoint does not exist (`OVERLAYNET_RESULT_NOT_FOUND`) or the kernel
/// cannot be observed.
#[unsafe(no_mangle)]
#[allow(clippy::too_many_arguments)]
pub unsafe extern "C" fn overlaynet_host_explain(
    host: *const overlaynet_host,
    kernel: *mut overlaynet_kernel,
    network: *const u8,
    network_len: usize,
    from: *const u8,
    from_len: usize,
    to: *const u8,
    to_len: usize,
    out_explanation: *mut *mut overlaynet_explanation,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, k, network, from, to, out) = unsafe {
            (
                handle_ref(host, "host")?,
                handle_mut(kernel, "kernel")?,
                in_str(network, network_len, "network")?,
                in_str(from, from_len, "from")?,
                in_str(to, to_len, "to")?,
                out_param(out_explanation, "out_explanation")?,
            )
        };
        let to = parse_ip(to, "to")?;
        // Checked before observing, so an unknown endpoint costs no kernel dump.
        h.host.explain(network, from, to, &Default::default())?;
        let observed = k.within(h.host.scope(), |k| k.observe())?;
        let explanation = h.host.explain(network, from, to, &observed)?;
        out.write(into_handle(overlaynet_explanation { explanation }));
        Ok(())
    })
}

/// Frees an explanation. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_explanation_free(explanation: *mut overlaynet_explanation) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(explanation) });
}

/// Stores the verdict on the whole path in `*out_verdict` (an `overlaynet_verdict`):
/// `OVERLAYNET_VERDICT_OK` when every hop is in place, else the verdict of the first broken
/// hop.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_explanation_verdict(
    explanation: *const overlaynet_explanation,
    out_verdict: *mut u32,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (e, out) = unsafe {
            (
                handle_ref(explanation, "explanation")?,
                out_param(out_verdict, "out_verdict")?,
            )
        };
        let verdict = e
            .explanation
            .first_problem()
            .map_or(Verdict::Ok, |hop| hop.verdict);
        out.write(overlaynet_verdict::from(verdict) as u32);
        Ok(())
    })
}

/// Copies the walk as text, one hop per line (step, `ok`/`MISSING`/`INCONSISTENT`, what was
/// found), into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_explanation_text(
    explanation: *const overlaynet_explanation,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (e, out) = unsafe {
            (
                handle_ref(explanation, "explanation")?,
                out_buf(buf, len, out_n)?,
            )
        };
        out.write(e.explanation.to_string().as_bytes())
    })
}

/// Copies the walk as JSON (`{"hops": [{"step", "verdict", "detail"}, ...]}`, verdicts
/// `ok`, `missing`, `inconsistent`) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_explanation_json(
    explanation: *const overlaynet_explanation,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (e, out) = unsafe {
            (
                handle_ref(explanation, "explanation")?,
                out_buf(buf, len, out_n)?,
            )
        };
        out.write(e.explanation.to_json().as_bytes())
    })
}
