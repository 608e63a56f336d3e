# DeepEverest: `make demo` runs the whole demo on a fresh machine, `make test` runs every test.
# Both install what they need (idempotently) first.

DATA           ?= ./data
INDEX_URL      ?= http://127.0.0.1:50051
QUERY_URL      ?= http://127.0.0.1:50052
INDEX_HTTP_URL ?= http://127.0.0.1:8081
QUERY_HTTP_URL ?= http://127.0.0.1:8080
CONFIG         ?= Release
DOTNET         ?= dotnet
export DOTNET_CLI_TELEMETRY_OPTOUT=1
export DOTNET_NOLOGO=1

.PHONY: all setup build test demo serve bench clean format images chart-docs test-images

all: build

# System packages: the Fashion-MNIST dataset (Debian). Torch is only needed to retrain the demo
# model (tools/train_demo_model.py), so it is not installed here.
setup:
	@tools/setup.sh

build: setup
	$(DOTNET) build DeepEverest.sln -c $(CONFIG) -v minimal -nologo

test: setup
	$(DOTNET) build DeepEverest.sln -c $(CONFIG) -v minimal -nologo
	$(DOTNET) format DeepEverest.sln --verify-no-changes -v quiet
	$(DOTNET) test DeepEverest.sln -c $(CONFIG) --no-build -v minimal -nologo --logger "console;verbosity=normal" --filter "Category!=Images"
	# The kernels' scalar fallbacks, as on a CPU without SIMD.
	DOTNET_EnableHWIntrinsic=0 $(DOTNET) test tests/DeepEverest.Kernels.Tests -c $(CONFIG) --no-build -v minimal -nologo
	# Benchmark smoke run: every strategy must return the same exact answers (speed is not checked).
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench paper --quick
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench kernels --quick
	tools/helm-lint.sh

demo: build
	DATA=$(DATA) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/demo.sh

serve: build
	DATA=$(DATA) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/serve.sh

bench: build
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench kernels
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench paper

format:
	$(DOTNET) format DeepEverest.sln

# Both service images (Containerfile), built offline with podman on a local Debian base.
images:
	tools/images.sh

# The images run under podman as the rendered chart describes them: import, build, query over
# native gRPC, gRPC-Web and JSON, /metrics, clean SIGTERM (minutes; not part of make test).
test-images: setup images
	$(DOTNET) build tests/DeepEverest.Deploy.Tests -c $(CONFIG) -v minimal -nologo
	$(DOTNET) test tests/DeepEverest.Deploy.Tests -c $(CONFIG) --no-build -v minimal -nologo --logger "console;verbosity=normal" --filter "Category=Images"

# Regenerates the values table of helm/deepeverest/README.md from values.yaml's comments.
chart-docs:
	$(DOTNET) run --project tools/ChartDocs -c $(CONFIG) -v quiet -- helm/deepeverest

clean:
	$(DOTNET) clean DeepEverest.sln -v quiet
	rm -rf $(DATA)
