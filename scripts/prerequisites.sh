#!/usr/bin/env bash
# What `make examples` and `make test` need beyond a rustup toolchain, installed when missing:
#   scripts/prerequisites.sh wasm        the wasm32-wasip1 target and binaryen's wasm-opt
#   scripts/prerequisites.sh playground  also wasm32-unknown-unknown, Node.js, npm, Chromium
# As root with apt-get, missing Debian packages are installed; otherwise one line says what to
# install, and the step fails (a build without them would not be the one CI makes).
# wasm-bindgen-cli and the npm packages come from `make playground-tools`.
set -euo pipefail

what="${1:-wasm}"
targets=(wasm32-wasip1)
pkgs=()
command -v wasm-opt >/dev/null 2>&1 || pkgs+=(binaryen)
if [ "$what" = playground ]; then
  targets+=(wasm32-unknown-unknown)
  command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
  command -v npm >/dev/null 2>&1 || pkgs+=(npm)
  [ -x /usr/bin/chromium ] || pkgs+=(chromium)
fi

if command -v rustup >/dev/null 2>&1; then
  installed="$(rustup target list --installed)"
  for t in "${targets[@]}"; do
    grep -qx "$t" <<<"$installed" || rustup target add "$t"
  done
elif ! rustc --print target-list >/dev/null 2>&1; then
  echo "prerequisites: no Rust toolchain: install rustup (https://rustup.rs), then run this again" >&2
  exit 1
fi

[ ${#pkgs[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "prerequisites: installing ${pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
else
  echo "prerequisites: missing ${pkgs[*]}: install them (Debian/Ubuntu: sudo apt-get install ${pkgs[*]}), then run this again" >&2
  exit 1
fi
