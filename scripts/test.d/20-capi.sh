#!/usr/bin/env bash
# The C ABI: the committed header is current and documented, compiles as C99 and C++, and the
# C example and the C misuse test build against the static library, run, and run clean under
# valgrind (no leaks, no memory errors).
set -euo pipefail
cd "$(dirname "$0")/../.."

./scripts/ensure-tools.sh cbindgen
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "--- header is current (cbindgen $(cbindgen --version | cut -d' ' -f2))"
cbindgen --quiet --config cbindgen.toml --output "$work/overlaynet.h" src/ffi/mod.rs
if ! diff -u include/overlaynet.h "$work/overlaynet.h"; then
  echo "include/overlaynet.h is stale: run \`make header\` and commit it" >&2; exit 1
fi

echo "--- every function in the header has a doc comment"
awk '
  /^[a-z].*[ *]overlaynet_[a-z0-9_]+\(/ {
    if (prev !~ /\*\/$/) { print FILENAME ":" NR ": undocumented: " $0; bad = 1 }
    count++
  }
  { prev = $0 }
  END { if (count == 0) { print "no functions found in the header"; bad = 1 } ; exit bad }
' include/overlaynet.h

echo "--- the misuse tests (tests/c/misuse*.c) call every function of the header"
missing=$(grep -o 'overlaynet_[a-z0-9_]*(' include/overlaynet.h | tr -d '(' | sort -u | while read -r fn; do
  grep -qE "$fn[(,]" tests/c/misuse*.c || echo "$fn"
done)
if [ -n "$missing" ]; then
  echo "no tests/c/misuse*.c exercises: $missing" >&2; exit 1
fi

echo "--- header compiles as C99 and as C++"
printf '#include "overlaynet.h"\nint main(void) { return 0; }\n' > "$work/h.c"
cc -std=c99 -Wall -Wextra -Werror -pedantic -fsyntax-only -Iinclude "$work/h.c"
c++ -std=c++11 -Wall -Wextra -Werror -pedantic -fsyntax-only -Iinclude -x c++ "$work/h.c"

echo "--- static library"
make --no-print-directory staticlib >/dev/null 2>"$work/build.log" || { cat "$work/build.log"; exit 1; }

programs=(examples/c/*.c tests/c/misuse*.c)
for src in "${programs[@]}"; do
  bin="$work/$(basename "$src" .c)"
  cc -std=c99 -Wall -Wextra -Werror -pedantic -g -Iinclude "$src" target/release/liboverlaynet.a \
    -lm -ldl -lpthread -o "$bin"
  echo "--- run $src"
  "$bin" > "$bin.out"
  tail -3 "$bin.out"
  echo "--- valgrind $src"
  valgrind -q --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=1 \
    "$bin" > /dev/null
done
