package overlaynet

import "testing"

// Call overhead: a bare cgo call, the C ABI called directly through cgo, and the idiomatic
// wrapper. Compare them in one run: go test -run '^$' -bench . -count 5

func BenchmarkCgoEmptyCall(b *testing.B) {
	for b.Loop() {
		benchNoop()
	}
}

func BenchmarkCgoEffectiveMTU(b *testing.B) {
	for b.Loop() {
		if benchRawEffectiveMTU(9000) != 8896 {
			b.Fatal("unexpected MTU")
		}
	}
}

func BenchmarkWrapperEffectiveMTU(b *testing.B) {
	for b.Loop() {
		mtu, err := EffectiveMTU(9000, EncryptionHardened, IPv6)
		if err != nil || mtu != 8896 {
			b.Fatal(mtu, err)
		}
	}
}

func BenchmarkWrapperVNIAllocateRelease(b *testing.B) {
	a, err := NewVNIAllocator()
	if err != nil {
		b.Fatal(err)
	}
	defer a.Close()
	for b.Loop() {
		vni, err := a.Allocate()
		if err != nil {
			b.Fatal(err)
		}
		if err := a.Release(vni); err != nil {
			b.Fatal(err)
		}
	}
}

// The failure path: the call is repeated on a locked OS thread to read its message.
func BenchmarkWrapperFailure(b *testing.B) {
	for b.Loop() {
		if _, err := EffectiveMTU(9000, Encryption(7), IPv6); err == nil {
			b.Fatal("accepted an undefined encryption")
		}
	}
}
