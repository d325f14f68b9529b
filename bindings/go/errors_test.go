package overlaynet

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"
)

func TestVersionIsSet(t *testing.T) {
	if v := Version(); v == "" || strings.ContainsAny(v, " \n") {
		t.Fatalf("Version() = %q", v)
	}
}

func TestCodesDescribeThemselves(t *testing.T) {
	codes := []Code{ErrNullParameter, ErrInvalidUTF8, ErrInvalidLength, ErrBufferTooSmall, ErrPanic,
		ErrInvalidEnum, ErrIndexOutOfRange, ErrInvalidInput, ErrConflict, ErrNotFound, ErrExhausted, ErrRefused,
		ErrKernel, ErrUnsupported}
	seen := map[string]Code{}
	for _, c := range codes {
		msg := c.Error()
		if !strings.HasPrefix(msg, "overlaynet: ") || strings.Contains(msg, "unknown") {
			t.Errorf("code %d: %q", c, msg)
		}
		if other, dup := seen[msg]; dup {
			t.Errorf("codes %d and %d share %q", c, other, msg)
		}
		seen[msg] = c
	}
}

func TestErrorWrapsCode(t *testing.T) {
	var err error = &Error{Code: ErrConflict, Message: "network with name x already exists"}
	if !errors.Is(err, ErrConflict) || errors.Is(err, ErrNotFound) {
		t.Fatal("errors.Is does not see the code")
	}
	var e *Error
	if !errors.As(err, &e) || e.Message != "network with name x already exists" {
		t.Fatalf("errors.As: %v", e)
	}
	if err.Error() != "overlaynet: network with name x already exists" {
		t.Fatalf("Error() = %q", err.Error())
	}
	err = &Error{Code: ErrConflict, Message: "link eth0: already exists (EEXIST)", Errno: syscall.EEXIST}
	if !errors.Is(err, ErrConflict) || !errors.Is(err, syscall.EEXIST) || !errors.Is(err, fs.ErrExist) ||
		errors.Is(err, syscall.ENOENT) {
		t.Fatal("errors.Is does not see the code and the errno")
	}
}
