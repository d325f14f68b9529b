# The two commands a newcomer needs are in README.md:
#   cargo run --example quickstart      # the main job
#   make test                           # installs what it needs, runs every test
.PHONY: test staticlib header

test:
	./scripts/test-all.sh

# The static library for C and Go users: target/release/liboverlaynet.a
staticlib:
	cargo rustc --release --lib --features capi --crate-type staticlib

# Regenerate include/overlaynet.h with the pinned cbindgen.
header:
	./scripts/ensure-tools.sh cbindgen
	# Parse only the C ABI module: the domain modules' public constants and enums are not C API.
	cbindgen --quiet --config cbindgen.toml --output include/overlaynet.h src/ffi/mod.rs
