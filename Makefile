# claimgate: a Kubernetes gateway for LLM APIs with JWT authentication and claim
# authorization. `make help` lists the targets.

SHELL := /usr/bin/env bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

K8S_VERSION ?= v1.37.2
GATEWAY_API_VERSION ?= v1.6.3
TOOLS := go tool -modfile=$(CURDIR)/hack/tools/go.mod
CONTROLLER_GEN := $(TOOLS) controller-gen
KUBEBUILDER_ASSETS := $(CURDIR)/bin/k8s/$(K8S_VERSION)
# A package may take long on a loaded machine with a cold build cache (the end-to-end
# and benchmark smoke packages build binaries and start API servers): 30 minutes, not
# go test's 10, before a package counts as hung.
GO_TEST_FLAGS ?= -count=1 -timeout 30m
export KUBEBUILDER_ASSETS

##@ General

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"; printf "Usage: make <target>\n"} \
		/^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2 } \
		/^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) }' $(MAKEFILE_LIST)

##@ Development

.PHONY: generate
generate: protoc-plugins ## Generate deepcopy code and the snapshot contract's Go code.
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths=./api/...
	PATH="$(CURDIR)/bin/tools:$$PATH" $(TOOLS) buf generate api/snapshot/v1 --template hack/buf.gen.yaml

.PHONY: manifests
manifests: ## Generate CRDs and RBAC into config/ and the Helm chart.
	$(CONTROLLER_GEN) crd:allowDangerousTypes=true paths=./api/... output:crd:artifacts:config=config/crd
	$(CONTROLLER_GEN) rbac:roleName=claimgate-controller paths=./controllers/... output:rbac:artifacts:config=config/rbac
	mkdir -p charts/claimgate/crds
	rm -f charts/claimgate/crds/*.yaml
	cp config/crd/*.yaml charts/claimgate/crds/
	mkdir -p charts/claimgate/files
	cp config/rbac/role.yaml charts/claimgate/files/role.yaml

.PHONY: verify
verify: generate manifests ## Fail when generated code, manifests or go.mod files are stale.
	@if [ -n "$$(git status --porcelain -- api config charts)" ]; then \
		echo "generated files are stale; run 'make generate manifests' and commit:"; \
		git status --porcelain -- api config charts; git diff --stat -- api config charts; exit 1; fi
	@go mod tidy -diff || { echo "go.mod is not tidy; run 'go mod tidy' and commit"; exit 1; }
	@cd hack/tools && go mod tidy -diff || { echo "hack/tools/go.mod is not tidy; run 'cd hack/tools && go mod tidy' and commit"; exit 1; }

.PHONY: fmt
fmt: ## Format the code (gofumpt, goimports).
	$(TOOLS) golangci-lint fmt ./...

.PHONY: lint
lint: ## Run golangci-lint.
	$(TOOLS) golangci-lint run --allow-parallel-runners ./...

##@ Test

.PHONY: test
test: k8s tools redis ## Run every test: unit, golden, envtest, feature and end-to-end.
	go test $(GO_TEST_FLAGS) ./...

.PHONY: test-race
test-race: k8s redis ## Run the controller's and the proxy's tests under the race detector.
	go test -race $(GO_TEST_FLAGS) ./controllers/... ./dataplane/...

.PHONY: bench
bench: build k8s redis ## Run the side-by-side benchmark (direct, claimgate, HAProxy; rate limit in Redis; control plane); report in test/bench/results/.
	go run ./test/bench/cmd/bench -bin bin -out test/bench/results $(BENCH_FLAGS)

.PHONY: bench-smoke
bench-smoke: build k8s redis ## Run every benchmark scenario briefly with tiny sizes: proves the harness, times nothing.
	go run ./test/bench/cmd/bench -smoke -bin bin -out test/bench/results $(BENCH_FLAGS)

.PHONY: bench-go
bench-go: ## Run the Go micro-benchmarks of the request path and the compiler.
	go test -run='^$$' -bench=. -benchmem ./dataplane/... ./controllers/...

##@ Run

.PHONY: build
build: ## Build the controller, the proxy and the claimgate CLI into bin/.
	CGO_ENABLED=0 go build -trimpath -o bin/ ./cmd/controller ./cmd/proxy ./cmd/claimgate

.PHONY: demo
DEMO_FLAGS ?=

demo: build k8s redis ## Run the tutorial locally in the foreground; Ctrl-C stops everything (DEMO_FLAGS="--proxies 2 --redis").
	bin/claimgate demo run --dir .demo --bin bin $(DEMO_FLAGS)

.PHONY: demo-up
demo-up: build k8s redis ## Run the tutorial in the background; returns once the Gateway is Programmed (DEMO_FLAGS="--proxies 2 --redis").
	bin/claimgate demo up --dir .demo --bin bin $(DEMO_FLAGS)

.PHONY: demo-down
demo-down: ## Stop what demo-up started.
	@if [ -x bin/claimgate ]; then bin/claimgate demo down --dir .demo; else echo "no demo is running"; fi

##@ Tools

.PHONY: k8s
k8s: ## Build kube-apiserver and etcd into bin/k8s/ (cached).
	K8S_VERSION=$(K8S_VERSION) hack/build-k8s.sh >/dev/null

.PHONY: redis
redis: ## Install redis-server from Debian's packages into bin/redis/ (cached; shared-counter tests run it).
	hack/install-redis.sh >/dev/null

.PHONY: tools
tools: ## Build helm into bin/tools/ (the chart and end-to-end tests run it).
	@mkdir -p bin/tools
	GOBIN=$(CURDIR)/bin/tools go install -modfile=$(CURDIR)/hack/tools/go.mod helm.sh/helm/v3/cmd/helm

.PHONY: protoc-plugins
protoc-plugins: ## Build the pinned protoc-gen-go and protoc-gen-go-grpc into bin/tools/ (buf runs them).
	@mkdir -p bin/tools
	@GOBIN=$(CURDIR)/bin/tools go install -modfile=$(CURDIR)/hack/tools/go.mod \
		google.golang.org/protobuf/cmd/protoc-gen-go google.golang.org/grpc/cmd/protoc-gen-go-grpc
