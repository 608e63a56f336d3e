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

.PHONY: all setup build test demo serve bench clean format clients-setup python-client test-clients clients-check client-picture

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
	$(DOTNET) test DeepEverest.sln -c $(CONFIG) --no-build -v minimal -nologo --logger "console;verbosity=normal"
	# The kernels' scalar fallbacks, as on a CPU without SIMD.
	DOTNET_EnableHWIntrinsic=0 $(DOTNET) test tests/DeepEverest.Kernels.Tests -c $(CONFIG) --no-build -v minimal -nologo
	# Benchmark smoke run: every strategy must return the same exact answers (speed is not checked).
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench paper --quick
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench kernels --quick
	tools/helm-lint.sh
	$(MAKE) --no-print-directory clients-check

# Python and Node clients (clients/): Debian packages and npm modules, the Python client's code
# generated from protos/, and their tests against real services (clients/testing/services.py).
clients-setup:
	@tools/setup-clients.sh

python-client: clients-setup
	$(PYTHON) clients/python/build_protos.py

clients-check: python-client
	$(PYTHON) -m pytest -q -p no:cacheprovider clients/python/tests
	cd clients/node && node --test test/client.test.js

test-clients: build clients-check

# The README's picture of the Python example (docs/images/python-similar-grid.png).
client-picture: build python-client
	$(PYTHON) clients/python/examples/regenerate_picture.py

demo: build
	DATA=$(DATA) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/demo.sh

serve: build
	DATA=$(DATA) INDEX_URL=$(INDEX_URL) QUERY_URL=$(QUERY_URL) INDEX_HTTP_URL=$(INDEX_HTTP_URL) QUERY_HTTP_URL=$(QUERY_HTTP_URL) CONFIG=$(CONFIG) tools/serve.sh

bench: build
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench kernels
	$(DOTNET) src/Cli/bin/$(CONFIG)/net10.0/deepeverest.dll bench paper

format:
	$(DOTNET) format DeepEverest.sln

clean:
	$(DOTNET) clean DeepEverest.sln -v quiet
	rm -rf $(DATA)
