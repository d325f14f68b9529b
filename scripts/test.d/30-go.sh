#!/usr/bin/env bash
# The Go bindings: vet, then the tests and runnable examples under the race detector, linked
# against the static library.
set -euo pipefail
cd "$(dirname "$0")/../.."
make --no-print-directory staticlib >/dev/null
cd bindings/go
export CGO_ENABLED=1
go vet ./...
go test -race -count=1 ./...
