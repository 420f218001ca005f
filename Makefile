# biolake: build, synthesize, test and deploy. `make help` lists the targets.
SHELL := /bin/bash
ENV ?= dev
CDK := node_modules/.bin/cdk
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20

.PHONY: consumer help pipeline synth cost cost-diff diagram graphviz test vet unit gates diff deploy bench tools clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(CDK): package.json package-lock.json
	@# A node_modules that links to another checkout (a git worktree) is left
	@# alone: npm ci would empty the checkout it points to.
	@if [ -L node_modules ]; then echo "node_modules links to $$(readlink node_modules); not reinstalling"; else npm ci --no-audit --no-fund; fi
	@touch $(CDK)

tools: $(CDK) ## install the pinned CDK CLI (npm ci)

synth: $(CDK) ## synthesize ENV (default dev) into cdk.out and print a summary; needs no AWS account
	rm -rf cdk.out
	$(CDK) synth --context env=$(ENV) --quiet
	@echo "templates of $(ENV):"
	@go run ./cmd/biolake-summary cdk.out

pipeline: ## synthesize the delivery pipeline of environments/pipeline.yaml into cdk.out (make synth ENV=pipeline); needs no AWS account
	$(MAKE) synth ENV=pipeline

cost: synth ## itemized fixed monthly and per-run cost of ENV (MD=FILE also writes Markdown; SAMPLES, INPUT_GB size the run)
	go run ./cmd/biolake-cost -dir cdk.out -env $(ENV) $(if $(MD),-markdown $(MD)) $(if $(SAMPLES),-samples $(SAMPLES)) $(if $(INPUT_GB),-input-gb $(INPUT_GB))

cost-diff: synth ## what the working tree adds a month to ENV against the cloud assembly in BASE (MD=FILE for a CI comment)
	@test -n "$(BASE)" || { echo "cost-diff: set BASE to the cloud assembly (cdk.out) of the version to compare with"; exit 2; }
	go run ./cmd/biolake-cost -dir cdk.out -env $(ENV) -base $(BASE) $(if $(MD),-markdown $(MD))

# The picture of dev is docs/architecture.png; of another environment
# docs/architecture-ENV.png.
DIAGRAM := $(if $(filter dev,$(ENV)),docs/architecture,docs/architecture-$(ENV))

graphviz:
	@command -v dot >/dev/null || { echo "diagram: Graphviz 'dot' is not installed: apt-get install graphviz (Debian, Ubuntu), dnf install graphviz (Fedora), brew install graphviz (macOS)"; exit 2; }

diagram: graphviz synth ## draw ENV's architecture from cdk.out into docs/architecture.png (needs Graphviz dot)
	go run ./cmd/biolake-diagram -dir cdk.out -env $(ENV) -o $(DIAGRAM).dot
	dot -Tpng $(DIAGRAM).dot -o $(DIAGRAM).png
	@echo "wrote $(DIAGRAM).dot and $(DIAGRAM).png"

vet: ## go vet and gofmt
	go vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: vet $(CDK) ## vet, all tests and all gates (snapshots, cdk-nag, cfn-lint, validation)
	bash scripts/test.sh

consumer: $(CDK) ## build, test and synthesize examples/consumer (an app of its own importing the constructs) with cdk-nag
	bash scripts/consumer.sh

diff: $(CDK) ## cdk diff of ENV against the deployed stacks (needs AWS credentials)
	$(CDK) diff --context env=$(ENV) '$(ENV)/*'

deploy: $(CDK) ## deploy every stack of ENV (needs AWS credentials; bootstrap the account first)
	$(CDK) deploy --context env=$(ENV) --require-approval broadening '$(ENV)/*'

bench: $(CDK) ## synth timings per environment and of an empty app, warm test time, benchmarks
	bash scripts/bench.sh

clean: ## remove build output
	rm -rf cdk.out build
