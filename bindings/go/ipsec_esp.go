package overlaynet

/*
#include "overlaynet.h"
*/
import "C"

import (
	"net/netip"
	"unsafe"
)

// ESPHeadroom is the room an ESP packet needs before the payload (SPI, sequence, IV).
const ESPHeadroom = 16

// SAConfig describes one SA: the cluster key (16 or 32 bytes, copied into zeroizing native
// memory), its tag, the advertise addresses of the traffic's source and destination, and the
// SPI (BuildSPI(Src, Dst, Tag) for Docker's).
type SAConfig struct {
	Key      []byte
	Tag      uint32
	Src, Dst netip.Addr
	SPI      uint32
}

type saNewFn func(C.uint32_t, *C.uint8_t, C.size_t, C.uint32_t, *C.uint8_t, C.size_t,
	*C.uint8_t, C.size_t, C.uint32_t) C.overlaynet_result

func newSA(profile Encryption, cfg SAConfig, f saNewFn) error {
	kp, kn := cBytes(cfg.Key)
	sp, sn := cString(cfg.Src.String())
	dp, dn := cString(cfg.Dst.String())
	return call(func() C.overlaynet_result {
		return f(C.uint32_t(profile), kp, kn, C.uint32_t(cfg.Tag), sp, sn, dp, dn, C.uint32_t(cfg.SPI))
	})
}

// OutboundSA is a transmit SA: it seals packets in place. Close wipes its key.
type OutboundSA struct {
	h handle[*C.overlaynet_esp_outbound]
}

// NewOutboundSA creates a transmit SA with profile's parameters (EncryptionDockerCompatible
// or EncryptionHardened). The first packet gets sequence number 1.
func NewOutboundSA(profile Encryption, cfg SAConfig) (*OutboundSA, error) {
	var p *C.overlaynet_esp_outbound
	err := newSA(profile, cfg, func(pr C.uint32_t, k *C.uint8_t, kn C.size_t, tag C.uint32_t,
		s *C.uint8_t, sn C.size_t, d *C.uint8_t, dn C.size_t, spi C.uint32_t) C.overlaynet_result {
		return C.overlaynet_esp_outbound_new(pr, k, kn, tag, s, sn, d, dn, spi, &p)
	})
	if err != nil {
		return nil, err
	}
	sa := &OutboundSA{}
	own(sa, &sa.h, p, func(p *C.overlaynet_esp_outbound) { C.overlaynet_esp_outbound_free(p) })
	return sa, nil
}

// Close wipes and frees the SA; safe to call twice.
func (sa *OutboundSA) Close() error { sa.h.close(); return nil }

// SealedLen is the buffer size Seal needs for payloadLen bytes with an icvLen-byte ICV.
func SealedLen(payloadLen, icvLen int) (int, error) {
	if payloadLen < 0 || icvLen < 0 {
		return 0, &Error{Code: ErrInvalidLength, Message: "lengths must not be negative"}
	}
	var n C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_esp_sealed_len(C.size_t(payloadLen), C.size_t(icvLen), &n)
	})
	return int(n), err
}

// Seal turns the payloadLen bytes at buf[ESPHeadroom:] into the ESP packet buf[:n] in place,
// carrying protocol nextHeader. A too-small buf fails with ErrBufferTooSmall and is left
// untouched.
func (sa *OutboundSA) Seal(buf []byte, payloadLen int, nextHeader uint8) (int, error) {
	if payloadLen < 0 {
		return 0, &Error{Code: ErrInvalidLength, Message: "payload length must not be negative"}
	}
	bp, bn := cBytes(buf)
	var n C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_esp_outbound_seal(sa.h.ptr, bp, bn, C.size_t(payloadLen), C.uint8_t(nextHeader), &n)
	})
	if err != nil {
		return 0, err
	}
	return int(n), nil
}

// OutboundStatus is a transmit SA's state.
type OutboundStatus struct {
	SPI          uint32
	LastSequence uint64
	ICVLen       int
}

// Status returns the SPI, the last sequence number sent and the ICV length.
func (sa *OutboundSA) Status() (OutboundStatus, error) {
	var s C.overlaynet_esp_outbound_status
	if err := call(func() C.overlaynet_result { return C.overlaynet_esp_outbound_info(sa.h.ptr, &s) }); err != nil {
		return OutboundStatus{}, err
	}
	return OutboundStatus{SPI: uint32(s.spi), LastSequence: uint64(s.last_sequence), ICVLen: int(s.icv_len)}, nil
}

// InboundSA is a receive SA with its replay window and reject counters. Close wipes its key.
type InboundSA struct {
	h handle[*C.overlaynet_esp_inbound]
}

// NewInboundSA creates a receive SA for traffic cfg.Src -> cfg.Dst (remote to us).
func NewInboundSA(profile Encryption, cfg SAConfig) (*InboundSA, error) {
	var p *C.overlaynet_esp_inbound
	err := newSA(profile, cfg, func(pr C.uint32_t, k *C.uint8_t, kn C.size_t, tag C.uint32_t,
		s *C.uint8_t, sn C.size_t, d *C.uint8_t, dn C.size_t, spi C.uint32_t) C.overlaynet_result {
		return C.overlaynet_esp_inbound_new(pr, k, kn, tag, s, sn, d, dn, spi, &p)
	})
	if err != nil {
		return nil, err
	}
	sa := &InboundSA{}
	own(sa, &sa.h, p, func(p *C.overlaynet_esp_inbound) { C.overlaynet_esp_inbound_free(p) })
	return sa, nil
}

// Close wipes and frees the SA; safe to call twice.
func (sa *InboundSA) Close() error { sa.h.close(); return nil }

// ESPVerdict is why Open rejected a packet. It implements error, so
// errors.Is(err, overlaynet.ESPReplayed) tests for one reason.
type ESPVerdict uint32

// The verdicts; Open never returns ESPAccepted as an error.
const (
	ESPAccepted   ESPVerdict = 0
	ESPTruncated  ESPVerdict = 1
	ESPUnknownSPI ESPVerdict = 2
	ESPReplayed   ESPVerdict = 3
	ESPTooOld     ESPVerdict = 4
	ESPBadICV     ESPVerdict = 5
	ESPBadPadding ESPVerdict = 6
)

var verdictText = [...]string{"accepted", "truncated", "unknown SPI", "replayed", "too old", "integrity check failed", "bad padding"}

// Error describes the verdict.
func (v ESPVerdict) Error() string {
	if int(v) < len(verdictText) {
		return "ESP packet " + verdictText[v]
	}
	return "ESP packet rejected"
}

// ESPRejectError is a rejected packet: the verdict (errors.Is matches it), the SPI on the wire
// and the sequence number where known.
type ESPRejectError struct {
	Verdict  ESPVerdict
	SPI      uint32
	Sequence uint64
}

// Error describes the rejection.
func (e *ESPRejectError) Error() string { return e.Verdict.Error() }

// Unwrap returns the verdict.
func (e *ESPRejectError) Unwrap() error { return e.Verdict }

// Opened is an accepted packet: Inner is a sub-slice of the buffer given to Open.
type Opened struct {
	Inner      []byte
	NextHeader uint8
	Sequence   uint64
	SPI        uint32
}

// Open verifies and decrypts the ESP packet in place. A rejected packet returns an
// *ESPRejectError and is counted (Counters); the replay window only advances for authentic
// packets.
func (sa *InboundSA) Open(packet []byte) (Opened, error) {
	pp, pn := cBytes(packet)
	var o C.overlaynet_esp_opened
	// Argument failures change nothing, so call's retry-on-failure is safe; a rejection is a
	// successful call with a verdict and is never repeated.
	if err := call(func() C.overlaynet_result { return C.overlaynet_esp_inbound_open(sa.h.ptr, pp, pn, &o) }); err != nil {
		return Opened{}, err
	}
	if v := ESPVerdict(o.verdict); v != ESPAccepted {
		return Opened{}, &ESPRejectError{Verdict: v, SPI: uint32(o.spi), Sequence: uint64(o.sequence)}
	}
	off, n := int(o.inner_offset), int(o.inner_len)
	return Opened{Inner: packet[off : off+n : off+n], NextHeader: uint8(o.next_header), Sequence: uint64(o.sequence), SPI: uint32(o.spi)}, nil
}

// ESPCounters are a receive SA's accepted packets and rejections per reason.
type ESPCounters struct {
	Accepted, Truncated, UnknownSPI, Replayed, TooOld, BadICV, BadPadding uint64
}

// Counters returns the SA's counters.
func (sa *InboundSA) Counters() (ESPCounters, error) {
	var c C.overlaynet_esp_counters
	if err := call(func() C.overlaynet_result { return C.overlaynet_esp_inbound_counters(sa.h.ptr, &c) }); err != nil {
		return ESPCounters{}, err
	}
	return ESPCounters{
		Accepted: uint64(c.accepted), Truncated: uint64(c.truncated), UnknownSPI: uint64(c.unknown_spi),
		Replayed: uint64(c.replayed), TooOld: uint64(c.too_old), BadICV: uint64(c.bad_icv), BadPadding: uint64(c.bad_padding),
	}, nil
}

// GossipVersion is memberlist's encryption version byte.
type GossipVersion uint32

// The versions: 0 pads with PKCS#7, 1 (what Docker sends) does not.
const (
	GossipV0 GossipVersion = 0
	GossipV1 GossipVersion = 1
)

// GossipEncryptedLen is memberlist's encryptedLength for n plaintext bytes.
func GossipEncryptedLen(version GossipVersion, n int) (int, error) {
	if n < 0 {
		return 0, &Error{Code: ErrInvalidLength, Message: "length must not be negative"}
	}
	var out C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_gossip_encrypted_len(C.uint32_t(version), C.size_t(n), &out)
	})
	return int(out), err
}

// EncryptGossip seals msg with the ring's primary key as memberlist's encryptPayload, with a
// fresh random nonce; aad is memberlist's label (nil as Docker).
func (r *Keyring) EncryptGossip(version GossipVersion, msg, aad []byte) ([]byte, error) {
	size, err := GossipEncryptedLen(version, len(msg))
	if err != nil {
		return nil, err
	}
	mp, mn := cBytes(msg)
	ap, an := cBytes(aad)
	out := make([]byte, size)
	var n C.size_t
	err = call(func() C.overlaynet_result {
		return C.overlaynet_gossip_encrypt(r.h.ptr, C.uint32_t(version), mp, mn, ap, an,
			(*C.uint8_t)(unsafe.Pointer(&out[0])), C.size_t(len(out)), &n)
	})
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// DecryptGossip opens msg by trying every key of the ring (memberlist's decryptPayload and
// its error texts).
func (r *Keyring) DecryptGossip(msg, aad []byte) ([]byte, error) {
	mp, mn := cBytes(msg)
	ap, an := cBytes(aad)
	out := make([]byte, len(msg)+1) // the plaintext is always shorter than the message
	var n C.size_t
	err := call(func() C.overlaynet_result {
		return C.overlaynet_gossip_decrypt(r.h.ptr, mp, mn, ap, an, (*C.uint8_t)(unsafe.Pointer(&out[0])), C.size_t(len(out)), &n)
	})
	if err != nil {
		return nil, err
	}
	return out[:n], nil
}

// Compile-time checks that the Go constants equal the header's values.
const (
	_ = uint(ESPHeadroom - C.OVERLAYNET_ESP_HEADROOM)
	_ = uint(C.OVERLAYNET_ESP_HEADROOM - ESPHeadroom)
	_ = uint(ESPAccepted - C.OVERLAYNET_ESP_VERDICT_ACCEPTED)
	_ = uint(C.OVERLAYNET_ESP_VERDICT_ACCEPTED - ESPAccepted)
	_ = uint(ESPTruncated - C.OVERLAYNET_ESP_VERDICT_TRUNCATED)
	_ = uint(C.OVERLAYNET_ESP_VERDICT_TRUNCATED - ESPTruncated)
	_ = uint(ESPUnknownSPI - C.OVERLAYNET_ESP_VERDICT_UNKNOWN_SPI)
	_ = uint(C.OVERLAYNET_ESP_VERDICT_UNKNOWN_SPI - ESPUnknownSPI)
	_ = uint(ESPReplayed - C.OVERLAYNET_ESP_VERDICT_REPLAYED)
	_ = uint(C.OVERLAYNET_ESP_VERDICT_REPLAYED - ESPReplayed)
	_ = uint(ESPTooOld - C.OVERLAYNET_ESP_VERDICT_TOO_OLD)
	_ = uint(C.OVERLAYNET_ESP_VERDICT_TOO_OLD - ESPTooOld)
	_ = uint(ESPBadICV - C.OVERLAYNET_ESP_VERDICT_BAD_ICV)
	_ = uint(C.OVERLAYNET_ESP_VERDICT_BAD_ICV - ESPBadICV)
	_ = uint(ESPBadPadding - C.OVERLAYNET_ESP_VERDICT_BAD_PADDING)
	_ = uint(C.OVERLAYNET_ESP_VERDICT_BAD_PADDING - ESPBadPadding)
)
