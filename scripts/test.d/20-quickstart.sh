#!/usr/bin/env bash
# The quickstart is the main job: it must run, stay short, repair the drift it injects, and
# print valid JSON plans with --json.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=$(cargo run -q --example quickstart)
lines=$(printf '%s\n' "$out" | wc -l)
[ "$lines" -le 80 ] || { echo "quickstart prints $lines lines (limit 80)" >&2; exit 1; }
for want in "first broken hop 'fdb'" "explain again: all hops ok" "next reconcile: 0 operations"; do
  printf '%s\n' "$out" | grep -qF "$want" || { echo "quickstart output lacks: $want" >&2; printf '%s\n' "$out" >&2; exit 1; }
done
json=$(cargo run -q --example quickstart -- --json)
printf '%s\n' "$json" | grep -q '"ops": \[' || { echo "quickstart --json printed no plan" >&2; exit 1; }
echo "quickstart ok ($lines lines)"
