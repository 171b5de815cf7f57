#!/usr/bin/env bash
# Regenerates crates/promop-core/tests/fixtures/yaml-emitter.json: the cases
# in cases.go printed by the real gopkg.in/yaml.v2 v2.4.0 (needs Go; the Rust
# test that reads the fixture does not).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../crates/promop-core/tests/fixtures/yaml-emitter.json"
cd "$here"
go run . fixture > "$out.tmp"
mv "$out.tmp" "$out"
echo "wrote $(grep -c '"input"' "$out") cases to $out"
