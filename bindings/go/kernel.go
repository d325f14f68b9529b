package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"syscall"
)

// Kernel is a kernel a Host plans against and applies to: the in-memory simulator
// (NewSimKernel) or, on Linux, the netlink backend (NewLinuxKernel). A Kernel serves one
// Host: the Host's calls give it the host's current scope, so it observes (and the simulator
// drifts) exactly what that host owns. Close releases it.
type Kernel struct {
	h handle[*C.overlaynet_kernel]
}

func newKernel(p *C.overlaynet_kernel) *Kernel {
	k := &Kernel{}
	own(k, &k.h, p, func(p *C.overlaynet_kernel) { C.overlaynet_kernel_free(p) })
	return k
}

// NewSimKernel creates an empty simulated host (only its host namespace) scoped like host.
// It performs no I/O; the container namespaces the host's endpoints need are created by the
// first reconcile.
func NewSimKernel(host *Host) (*Kernel, error) {
	var p *C.overlaynet_kernel
	err := call(func() C.overlaynet_result { return C.overlaynet_kernel_sim_new(host.h.ptr, &p) })
	runtime.KeepAlive(host)
	if err != nil {
		return nil, err
	}
	return newKernel(p), nil
}

// LinuxKernelConfig says where the Linux backend finds its namespaces.
type LinuxKernelConfig struct {
	// HostNetns names the namespace in NetnsDir that plays the host (underlay, VXLAN
	// creation, XFRM, nftables); "" is the process's own namespace.
	HostNetns string
	// NetnsDir is the absolute path of the directory of named namespace files; "" is
	// /run/netns, where `ip netns` keeps them. Sandboxes are created there, and every
	// Docker-style sandbox name in it counts as ours.
	NetnsDir string
}

// NewLinuxKernel creates the Linux netlink backend. Nothing is opened until first used, so
// a missing namespace or missing privileges show up as ErrKernel on the first Plan or
// Reconcile. ErrUnsupported on other operating systems.
func NewLinuxKernel(cfg LinuxKernelConfig) (*Kernel, error) {
	hp, hn := cString(cfg.HostNetns)
	dp, dn := cString(cfg.NetnsDir)
	var p *C.overlaynet_kernel
	if err := call(func() C.overlaynet_result { return C.overlaynet_kernel_linux_new(hp, hn, dp, dn, &p) }); err != nil {
		return nil, err
	}
	return newKernel(p), nil
}

// Close releases the kernel handle (a simulated host disappears; a real kernel keeps its
// state); safe to call twice.
func (k *Kernel) Close() error { k.h.close(); return nil }

// Apply applies plan in order and reports every operation's outcome. Refused operations are
// in the report, not the error: operations that depend on them are skipped, the rest run.
func (k *Kernel) Apply(plan *Plan) (ReconcileReport, error) {
	var p *C.overlaynet_reconcile_report
	err := call(func() C.overlaynet_result { return C.overlaynet_kernel_apply(k.h.ptr, plan.h.ptr, &p) })
	runtime.KeepAlive(k)
	runtime.KeepAlive(plan)
	if err != nil {
		return ReconcileReport{}, err
	}
	return reportFromC(p)
}

// SimFailNth makes the n-th operation the simulator executes from now (0 = the next) fail
// with errno and change nothing. ErrUnsupported on a real kernel.
func (k *Kernel) SimFailNth(n uint64, errno syscall.Errno) error {
	err := call(func() C.overlaynet_result {
		return C.overlaynet_kernel_sim_fail_nth(k.h.ptr, C.uint64_t(n), C.int32_t(errno))
	})
	runtime.KeepAlive(k)
	return err
}

// SimFailObserve makes the simulator's next observation fail with errno: the Plan, Reconcile
// or Explain that meets it fails with ErrKernel and uses the fault up. ErrUnsupported on a
// real kernel.
func (k *Kernel) SimFailObserve(errno syscall.Errno) error {
	err := call(func() C.overlaynet_result { return C.overlaynet_kernel_sim_fail_observe(k.h.ptr, C.int32_t(errno)) })
	runtime.KeepAlive(k)
	return err
}

// SimDrift deletes or alters count (at most 4096) random objects that are ours, as an
// operator might, reproducibly from seed, and returns how many changes it made (fewer when
// nothing is left). ErrUnsupported on a real kernel.
func (k *Kernel) SimDrift(seed uint64, count int) (int, error) {
	if count < 0 {
		return 0, &Error{Code: ErrInvalidInput, Message: "drift count must not be negative"}
	}
	var changed C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_kernel_sim_drift(k.h.ptr, C.uint64_t(seed), C.size_t(count), &changed)
	})
	runtime.KeepAlive(k)
	return int(changed), err
}

// SimStateJSON returns everything on the simulated host, ours and foreign, as JSON (maps as
// lists of [key, value] pairs, AEAD keys redacted). ErrUnsupported on a real kernel.
func (k *Kernel) SimStateJSON() ([]byte, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_kernel_sim_state_json(k.h.ptr, b, l, out)
	})
	runtime.KeepAlive(k)
	return []byte(s), err
}

// Plan is what a Host would change in a Kernel: a dry run to print, or to Apply. Close
// releases it.
type Plan struct {
	h handle[*C.overlaynet_plan]
}

// Close releases the plan; safe to call twice.
func (p *Plan) Close() error { p.h.close(); return nil }

// Len returns the number of operations (0: the kernel already matches).
func (p *Plan) Len() (int, error) {
	var n C.size_t
	err := call(func() C.overlaynet_result { return C.overlaynet_plan_len(p.h.ptr, &n) })
	runtime.KeepAlive(p)
	return int(n), err
}

// Text returns the plan as the equivalent ip, bridge and nft commands (AEAD keys redacted).
func (p *Plan) Text() (string, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_plan_text(p.h.ptr, b, l, out)
	})
	runtime.KeepAlive(p)
	return s, err
}

// JSON returns the plan as JSON ({"ops": [...]}, AEAD keys redacted).
func (p *Plan) JSON() ([]byte, error) {
	s, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_plan_json(p.h.ptr, b, l, out)
	})
	runtime.KeepAlive(p)
	return []byte(s), err
}

// OpFailure is one operation the kernel refused: its index in the plan and the errno.
type OpFailure struct {
	Op    int
	Errno syscall.Errno
}

// ReconcileReport is what applying a plan did.
type ReconcileReport struct {
	// Operations in the plan, and how many were done, refused and skipped (not attempted
	// because one they depend on was refused).
	Operations, Done, Failed, Skipped int
	// InSync: the kernel already matched (the plan was empty).
	InSync bool
	// Success: every operation was done.
	Success bool
	// Failures are the refused operations, in plan order.
	Failures []OpFailure
	// Text has one entry per operation: index, outcome and command.
	Text string
}

// reportFromC copies a native report into Go and frees it.
func reportFromC(p *C.overlaynet_reconcile_report) (ReconcileReport, error) {
	defer C.overlaynet_reconcile_report_free(p)
	var s C.overlaynet_reconcile_summary
	if err := call(func() C.overlaynet_result { return C.overlaynet_reconcile_report_summary(p, &s) }); err != nil {
		return ReconcileReport{}, err
	}
	r := ReconcileReport{
		Operations: int(s.operations),
		Done:       int(s.done),
		Failed:     int(s.failed),
		Skipped:    int(s.skipped),
		InSync:     bool(s.in_sync),
		Success:    bool(s.success),
	}
	for i := C.size_t(0); i < s.failed; i++ {
		var f C.overlaynet_op_failure
		if err := call(func() C.overlaynet_result { return C.overlaynet_reconcile_report_failure(p, i, &f) }); err != nil {
			return ReconcileReport{}, err
		}
		r.Failures = append(r.Failures, OpFailure{Op: int(f.op_index), Errno: syscall.Errno(f.errno_value)})
	}
	text, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_reconcile_report_text(p, b, l, out)
	})
	if err != nil {
		return ReconcileReport{}, err
	}
	r.Text = text
	return r, nil
}

// LinuxCapabilities is what the running Linux kernel can do for overlaynet.
type LinuxCapabilities struct {
	Bridge, VXLAN, Veth bool
	// XFRMPolicy, ESP and ESPGCMAES: XFRM netlink takes policies, ESP states can be
	// installed, and with rfc4106(gcm(aes)), Docker's transform.
	XFRMPolicy, ESP, ESPGCMAES bool
	NftNAT, IPv6               bool
	// Encryption: overlay encryption as Docker does it can work; refuse encrypted networks
	// when false.
	Encryption bool
	// Notes say why each missing feature is missing (errno and the kernel's message).
	Notes []string
}

// ProbeLinux probes the running kernel by trying each feature in a scratch namespace in
// netnsDir ("" is /run/netns), deleted afterwards. Needs root (ErrKernel with EPERM
// otherwise); ErrUnsupported on other operating systems.
func ProbeLinux(netnsDir string) (LinuxCapabilities, error) {
	dp, dn := cString(netnsDir)
	var c C.overlaynet_linux_capabilities
	if err := callOnce(func() C.overlaynet_result { return C.overlaynet_linux_probe(dp, dn, &c) }); err != nil {
		return LinuxCapabilities{}, err
	}
	caps := LinuxCapabilities{
		Bridge: bool(c.bridge), VXLAN: bool(c.vxlan), Veth: bool(c.veth),
		XFRMPolicy: bool(c.xfrm_policy), ESP: bool(c.esp), ESPGCMAES: bool(c.esp_gcm_aes),
		NftNAT: bool(c.nft_nat), IPv6: bool(c.ipv6), Encryption: bool(c.encryption),
	}
	complete := caps.Bridge && caps.VXLAN && caps.Veth && caps.XFRMPolicy && caps.ESP &&
		caps.ESPGCMAES && caps.NftNAT && caps.IPv6
	if complete {
		return caps, nil
	}
	// The reasons come from a second probe (the C ABI keeps booleans and text apart).
	notes, err := readString(func(b *C.uint8_t, l C.size_t, out *C.size_t) C.overlaynet_result {
		return C.overlaynet_linux_probe_notes(dp, dn, b, l, out)
	})
	if err != nil {
		return LinuxCapabilities{}, err
	}
	caps.Notes = strings.Split(strings.TrimSuffix(notes, "\n"), "\n")
	return caps, nil
}
