//! `overlaynet_plan` and `overlaynet_reconcile_report`: what a host would change in a kernel
//! (a dry run, as `ip`/`bridge`/`nft` commands or JSON), applying it, and one reconcile round
//! (observe, plan, apply) with the outcome of every operation.

use super::boundary::{
    Failure, free_handle, guard, guard_value, handle_mut, handle_ref, into_handle, out_buf,
    out_param,
};
use super::host::overlaynet_host;
use super::kernel::overlaynet_kernel;
use super::result::overlaynet_result;
use crate::kernel::{Plan, ReconcileReport};

/// An opaque plan: the ordered operations that turn an observed kernel state into a host's
/// desired state.
#[allow(non_camel_case_types)]
pub struct overlaynet_plan {
    plan: Plan,
}

/// An opaque report of an applied plan: the plan and the outcome of each operation.
#[allow(non_camel_case_types)]
pub struct overlaynet_reconcile_report {
    report: ReconcileReport,
}

/// The counts of a report (`overlaynet_reconcile_report_summary`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_reconcile_summary {
    /// Operations in the plan.
    pub operations: usize,
    /// Operations the kernel accepted.
    pub done: usize,
    /// Operations the kernel refused (each left the kernel as it was).
    pub failed: usize,
    /// Operations not attempted because one they depend on failed.
    pub skipped: usize,
    /// The kernel already matched the desired state (the plan was empty).
    pub in_sync: bool,
    /// Every operation was done, so the kernel now matches (barring concurrent changes).
    pub success: bool,
}

/// One refused operation of a report (`overlaynet_reconcile_report_failure`).
#[allow(non_camel_case_types)]
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct overlaynet_op_failure {
    /// The operation's index in the plan (and line in the report text).
    pub op_index: usize,
    /// The kernel's errno (named so because `errno` is a macro in C).
    pub errno_value: i32,
}

fn new_report(report: ReconcileReport) -> *mut overlaynet_reconcile_report {
    into_handle(overlaynet_reconcile_report { report })
}

// ---- plans --------------------------------------------------------------------------------

/// Observes `kernel` within `host`'s scope and stores the plan that would bring it to the
/// host's desired state in a new `*out_plan` (a dry run: nothing is applied); free it with
/// `overlaynet_plan_free`. Fails with the kernel's error when it cannot be observed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_plan(
    host: *const overlaynet_host,
    kernel: *mut overlaynet_kernel,
    out_plan: *mut *mut overlaynet_plan,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, k, out) = unsafe {
            (
                handle_ref(host, "host")?,
                handle_mut(kernel, "kernel")?,
                out_param(out_plan, "out_plan")?,
            )
        };
        let observed = k.within(h.host.scope(), |k| k.observe())?;
        out.write(into_handle(overlaynet_plan {
            plan: h.host.plan(&observed),
        }));
        Ok(())
    })
}

/// Frees a plan. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_plan_free(plan: *mut overlaynet_plan) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(plan) });
}

/// Stores the number of operations in `*out_len` (0: the kernel already matches).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_plan_len(
    plan: *const overlaynet_plan,
    out_len: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (p, out) = unsafe { (handle_ref(plan, "plan")?, out_param(out_len, "out_len")?) };
        out.write(p.plan.len());
        Ok(())
    })
}

/// Copies the plan as the equivalent `ip`, `bridge` and `nft` commands, one operation per
/// line (AEAD keys redacted), into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_plan_text(
    plan: *const overlaynet_plan,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (p, out) = unsafe { (handle_ref(plan, "plan")?, out_buf(buf, len, out_n)?) };
        out.write(p.plan.to_string().as_bytes())
    })
}

/// Copies the plan as JSON (`{"ops": [...]}`, AEAD keys redacted) into `buf`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_plan_json(
    plan: *const overlaynet_plan,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (p, out) = unsafe { (handle_ref(plan, "plan")?, out_buf(buf, len, out_n)?) };
        out.write(p.plan.to_json().as_bytes())
    })
}

/// Applies `plan` to `kernel` in order and stores the outcome of every operation in a new
/// `*out_report`; free it with `overlaynet_reconcile_report_free`. Refused operations are
/// reported, not returned as a failure: operations that depend on them are skipped, the rest
/// still run.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_kernel_apply(
    kernel: *mut overlaynet_kernel,
    plan: *const overlaynet_plan,
    out_report: *mut *mut overlaynet_reconcile_report,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (k, p, out) = unsafe {
            (
                handle_mut(kernel, "kernel")?,
                handle_ref(plan, "plan")?,
                out_param(out_report, "out_report")?,
            )
        };
        let apply = k.kernel().apply(&p.plan);
        out.write(new_report(ReconcileReport {
            plan: p.plan.clone(),
            apply,
        }));
        Ok(())
    })
}

// ---- reconcile ----------------------------------------------------------------------------

/// One reconcile round of `host` against `kernel`: observes it within the host's scope,
/// plans, applies, and stores the report in a new `*out_report`; free it with
/// `overlaynet_reconcile_report_free`. Run it again to retry what failed and to repair drift.
/// Fails (applying nothing) only when the kernel cannot be observed
/// (`OVERLAYNET_RESULT_KERNEL`, errno from `overlaynet_last_error_errno`) or the desired state
/// is one Linux cannot hold.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_host_reconcile(
    host: *const overlaynet_host,
    kernel: *mut overlaynet_kernel,
    out_report: *mut *mut overlaynet_reconcile_report,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (h, k, out) = unsafe {
            (
                handle_ref(host, "host")?,
                handle_mut(kernel, "kernel")?,
                out_param(out_report, "out_report")?,
            )
        };
        let report = k.within(h.host.scope(), |k| h.host.reconcile(k))?;
        out.write(new_report(report));
        Ok(())
    })
}

/// Frees a report. NULL is a no-op.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_reconcile_report_free(
    report: *mut overlaynet_reconcile_report,
) {
    // SAFETY: NULL or a live handle the caller gives up (module contract).
    guard_value((), || unsafe { free_handle(report) });
}

/// Stores the report's counts in `*out_summary`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_reconcile_report_summary(
    report: *const overlaynet_reconcile_report,
    out_summary: *mut overlaynet_reconcile_summary,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_ref(report, "report")?,
                out_param(out_summary, "out_summary")?,
            )
        };
        let r = &r.report;
        out.write(overlaynet_reconcile_summary {
            operations: r.plan.len(),
            done: r.apply.done(),
            failed: r.apply.failures().count(),
            skipped: r.apply.skipped(),
            in_sync: r.was_in_sync(),
            success: r.is_success(),
        });
        Ok(())
    })
}

/// Copies the report as text into `buf`: one line per operation with its index, its outcome
/// (`done`, `FAILED` with the kernel's answer, `skipped` naming the failed operation) and the
/// command; empty when the kernel was in sync.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_reconcile_report_text(
    report: *const overlaynet_reconcile_report,
    buf: *mut u8,
    len: usize,
    out_n: *mut usize,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe { (handle_ref(report, "report")?, out_buf(buf, len, out_n)?) };
        out.write(r.report.to_string().as_bytes())
    })
}

/// Stores failure `index` (0-based, below the summary's `failed`, in plan order) in
/// `*out_failure`: which operation the kernel refused and its errno.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn overlaynet_reconcile_report_failure(
    report: *const overlaynet_reconcile_report,
    index: usize,
    out_failure: *mut overlaynet_op_failure,
) -> overlaynet_result {
    guard(|| {
        // SAFETY: forwarded from the module contract.
        let (r, out) = unsafe {
            (
                handle_ref(report, "report")?,
                out_param(out_failure, "out_failure")?,
            )
        };
        let apply = &r.report.apply;
        let (op_index, error) = apply.failures().nth(index).ok_or_else(|| {
            Failure::with(
                overlaynet_result::IndexOutOfRange,
                format_args!(
                    "failure index {index} is out of range: the report has {} failures",
                    apply.failures().count()
                ),
            )
        })?;
        out.write(overlaynet_op_failure {
            op_index,
            errno_value: error.errno().0,
        });
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ffi::boundary::last_errno;
    use crate::ffi::host::overlaynet_host_free;
    use crate::ffi::host::tests::{join, new_host, request};
    use crate::ffi::kernel::{
        overlaynet_kernel_free, overlaynet_kernel_sim_fail_nth, overlaynet_kernel_sim_fail_observe,
        overlaynet_kernel_sim_new,
    };
    use std::ptr::null_mut;

    fn sim(host: *const overlaynet_host) -> *mut overlaynet_kernel {
        let mut kernel = null_mut();
        // SAFETY: live handle and local.
        let rc = unsafe { overlaynet_kernel_sim_new(host, &mut kernel) };
        assert_eq!(rc, overlaynet_result::Ok);
        kernel
    }

    fn reconcile(
        host: *const overlaynet_host,
        kernel: *mut overlaynet_kernel,
    ) -> (
        overlaynet_reconcile_summary,
        String,
        Vec<overlaynet_op_failure>,
    ) {
        let mut report = null_mut();
        let mut summary = std::mem::MaybeUninit::uninit();
        let mut n = 0;
        // SAFETY: live handles and locals; buffers sized by a length query.
        unsafe {
            assert_eq!(
                overlaynet_host_reconcile(host, kernel, &mut report),
                overlaynet_result::Ok
            );
            assert_eq!(
                overlaynet_reconcile_report_summary(report, summary.as_mut_ptr()),
                overlaynet_result::Ok
            );
            overlaynet_reconcile_report_text(report, null_mut(), 0, &mut n);
            let mut text = vec![0u8; n];
            overlaynet_reconcile_report_text(report, text.as_mut_ptr(), n, &mut n);
            let summary = summary.assume_init();
            let failures = (0..summary.failed)
                .map(|i| {
                    let mut f = overlaynet_op_failure {
                        op_index: 0,
                        errno_value: 0,
                    };
                    assert_eq!(
                        overlaynet_reconcile_report_failure(report, i, &mut f),
                        overlaynet_result::Ok
                    );
                    f
                })
                .collect();
            let mut f = overlaynet_op_failure {
                op_index: 7,
                errno_value: 7,
            };
            assert_eq!(
                overlaynet_reconcile_report_failure(report, summary.failed, &mut f),
                overlaynet_result::IndexOutOfRange
            );
            overlaynet_reconcile_report_free(report);
            (summary, String::from_utf8(text).unwrap(), failures)
        }
    }

    #[test]
    fn plan_apply_and_reconcile_through_handles() {
        let host = new_host("192.0.2.1");
        let kernel = sim(host);
        assert_eq!(
            join(host, &request("ep1", "10.10.1.5/24", "ctr1")).0,
            overlaynet_result::Ok
        );

        // A dry run: the plan as text and JSON, then applied, with one injected failure.
        let mut plan = null_mut();
        let (mut len, mut n) = (0, 0);
        // SAFETY: live handles and locals.
        unsafe {
            assert_eq!(
                overlaynet_host_plan(host, kernel, &mut plan),
                overlaynet_result::Ok
            );
            overlaynet_plan_len(plan, &mut len);
            overlaynet_plan_text(plan, null_mut(), 0, &mut n);
            let mut text = vec![0u8; n];
            overlaynet_plan_text(plan, text.as_mut_ptr(), n, &mut n);
            let text = String::from_utf8(text).unwrap();
            // A staged VXLAN device prints as three commands, so lines >= operations.
            assert!(text.lines().count() >= len && len > 0, "{text}");
            assert!(
                text.starts_with("ip netns add 1-k3jd8s0a2b\nip netns add ctr1\n"),
                "{text}"
            );
            overlaynet_plan_json(plan, null_mut(), 0, &mut n);
            let mut json = vec![0u8; n];
            overlaynet_plan_json(plan, json.as_mut_ptr(), n, &mut n);
            let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
            assert_eq!(json["ops"].as_array().map(Vec::len), Some(len));

            assert_eq!(
                overlaynet_kernel_sim_fail_nth(kernel, 0, 12),
                overlaynet_result::Ok
            );
            let mut report = null_mut();
            assert_eq!(
                overlaynet_kernel_apply(kernel, plan, &mut report),
                overlaynet_result::Ok
            );
            let mut summary = std::mem::MaybeUninit::uninit();
            overlaynet_reconcile_report_summary(report, summary.as_mut_ptr());
            let summary = summary.assume_init();
            assert_eq!(
                (
                    summary.operations,
                    summary.failed,
                    summary.in_sync,
                    summary.success
                ),
                (len, 1, false, false)
            );
            assert_eq!(summary.done + summary.skipped + 1, len);
            overlaynet_reconcile_report_free(report);
            overlaynet_plan_free(plan);
        }

        // Reconcile finishes the job, then finds nothing to do.
        let (summary, text, failures) = reconcile(host, kernel);
        assert!(
            summary.success && !summary.in_sync && failures.is_empty(),
            "{text}"
        );
        assert!(
            text.lines()
                .all(|l| l.contains(" done ") || l.starts_with("    ")),
            "{text}"
        );
        let (summary, text, _) = reconcile(host, kernel);
        assert!(summary.in_sync && summary.success && text.is_empty());

        // An operation the kernel refuses is reported with its errno, not as a failed call.
        assert_eq!(
            join(host, &request("ep2", "10.10.1.6/24", "ctr2")).0,
            overlaynet_result::Ok
        );
        // SAFETY: live handle.
        unsafe { overlaynet_kernel_sim_fail_nth(kernel, 0, 16) };
        let (summary, text, failures) = reconcile(host, kernel);
        assert_eq!(summary.failed, 1, "{text}");
        assert_eq!(failures[0].errno_value, 16);
        assert!(text.contains("FAILED") && text.contains("EBUSY"), "{text}");
        assert!(reconcile(host, kernel).0.success);

        // An observation that fails fails the call with the kernel's errno.
        let mut report = null_mut();
        // SAFETY: live handles and locals.
        unsafe {
            overlaynet_kernel_sim_fail_observe(kernel, 1);
            assert_eq!(
                overlaynet_host_reconcile(host, kernel, &mut report),
                overlaynet_result::Kernel
            );
            assert!(report.is_null());
            assert_eq!(last_errno(), 1);
            assert_eq!(
                overlaynet_host_reconcile(host, kernel, &mut report),
                overlaynet_result::Ok
            );
            overlaynet_reconcile_report_free(report);
            overlaynet_kernel_free(kernel);
            overlaynet_host_free(host);
        }
    }
}
