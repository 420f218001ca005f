#!/usr/bin/env bash
# The delivery pipeline's build commands, in one place (docs/PIPELINE.md).
# Every CodeBuild step of the pipeline runs this script with a subcommand
# (pipelines.SynthCommands, pipelines.DiffCommands; a test checks that the
# synthesized buildspecs call exactly these, and runs `check` here):
#
#   install      the toolchain the image lacks: Go 1.26 (the pinned
#                toolchain, fetched by the image's Go from proxy.golang.org
#                and verified against the checksum database sum.golang.org),
#                cfn-lint and moto (pinned, from PyPI), the npm tools
#                (package-lock.json, which also brings Node 22)
#   check        fails unless every tool `make test` needs is there, at the
#                pinned version; installs nothing
#   test         the README's test command the way CI runs it (.ci/run,
#                which runs make test)
#   synth        the pipeline app into cdk.out (make synth ENV=pipeline)
#   install-cli  only the pinned CDK CLI (npm ci)
#   diff STAGE   cdk diff of STAGE's stacks (from cdk.out) against the
#                deployed ones, into diff/STAGE.txt, published to the topic
#                $DIFF_TOPIC_ARN when it is set
set -euo pipefail
cd "$(dirname "$0")/.."

# Pinned versions: Go as in go.mod's toolchain, Python tools as the test
# machine runs them. Node 22 and the CDK CLI are pinned in package.json.
GO_TOOLCHAIN=go1.26.8
CFN_LINT_VERSION=1.51.0
MOTO_VERSION=5.2.1
NODE_MAJOR=22

# The image's Go (any release since 1.21) runs the pinned toolchain: with
# GOTOOLCHAIN set, the go command downloads it as a module and checks it
# against the checksum database before running it.
export GOTOOLCHAIN=$GO_TOOLCHAIN
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20

fail() { echo "pipeline-build: $*" >&2; exit 1; }

install() {
  command -v go >/dev/null || fail "no go on PATH: the image must provide a Go release (1.21 or later) to fetch $GO_TOOLCHAIN"
  go version
  python3 -m pip install --no-input --disable-pip-version-check "cfn-lint==$CFN_LINT_VERSION" "moto[server]==$MOTO_VERSION"
  npm ci --no-audit --no-fund
  go mod download
}

check() {
  local v
  v=$(go version) || fail "go is missing"
  [[ $v == "go version $GO_TOOLCHAIN "* ]] || fail "want $GO_TOOLCHAIN, have: $v"
  command -v node >/dev/null || fail "node is missing"
  v=$(node --version)
  [[ ${v#v} =~ ^(2[0-9]|[3-9][0-9])\. ]] || fail "want Node 20 or later for the CDK CLI and jsii, have $v"
  [[ -x node_modules/.bin/node ]] || fail "node_modules/.bin/node (Node $NODE_MAJOR, from package-lock.json) is missing: npm ci"
  v=$(node_modules/.bin/node --version)
  [[ $v == "v$NODE_MAJOR."* ]] || fail "want Node $NODE_MAJOR in node_modules/.bin/node, have $v"
  v=$(cfn-lint --version 2>&1) || fail "cfn-lint is missing"
  [[ $v == "cfn-lint $CFN_LINT_VERSION" ]] || fail "want cfn-lint $CFN_LINT_VERSION, have: $v"
  command -v moto_server >/dev/null || fail "moto_server is missing (pip install 'moto[server]==$MOTO_VERSION')"
  v=$(python3 -c 'import importlib.metadata as m; print(m.version("moto"))') || fail "moto is missing"
  [[ $v == "$MOTO_VERSION" ]] || fail "want moto $MOTO_VERSION, have $v"
  local want
  want=$(node -e 'console.log(require("./package.json").devDependencies["aws-cdk"])')
  v=$(node_modules/.bin/cdk --version 2>/dev/null) || fail "the CDK CLI is missing: npm ci"
  [[ $v == "$want "* ]] || fail "want CDK CLI $want, have $v"
  echo "pipeline-build: go $GO_TOOLCHAIN, node $(node --version) and $(node_modules/.bin/node --version), cfn-lint $CFN_LINT_VERSION, moto $MOTO_VERSION, cdk $want"
}

diff_stage() {
  local stage=${1:?diff needs a stage name}
  [[ -d cdk.out ]] || fail "no cdk.out: the synth step's output is the diff step's input"
  mkdir -p diff
  # --no-change-set: read the deployed templates only (the CDK bootstrap
  # lookup role of the stage's account), never create a change set.
  node_modules/.bin/cdk diff --app cdk.out --no-change-set "$stage/*" 2>&1 | tee "diff/$stage.txt"
  if [[ -n ${DIFF_TOPIC_ARN:-} ]]; then
    local pipeline=${CODEBUILD_INITIATOR#codepipeline/}
    {
      echo "cdk diff of $stage, for approval in pipeline ${pipeline:-?} (build ${CODEBUILD_BUILD_ID:-?})."
      echo "Approve or reject: https://console.aws.amazon.com/codesuite/codepipeline/pipelines/${pipeline}/view?region=${AWS_REGION:-}"
      echo
      # An SNS message holds at most 256 KB; the whole diff is in the build log and the diff/ artifact.
      head -c 200000 "diff/$stage.txt"
    } > "diff/$stage.message.txt"
    aws sns publish --topic-arn "$DIFF_TOPIC_ARN" --subject "biolake: approve $stage?" --message "file://diff/$stage.message.txt" >/dev/null
  fi
}

case "${1:-}" in
  install) install ;;
  check) check ;;
  test) bash .ci/run ;;
  synth) make synth ENV=pipeline ;;
  install-cli) npm ci --no-audit --no-fund ;;
  diff) diff_stage "${2:-}" ;;
  *) fail "usage: $0 install|check|test|synth|install-cli|diff STAGE" ;;
esac
