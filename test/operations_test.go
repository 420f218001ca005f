package test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
)

// operationsDoc is the operations guide whose commands must exist.
const operationsDoc = "../docs/OPERATIONS.md"

// docTools are the commands other than make, go, biolake-*, aws and the CDK
// CLI that the guide may use: standard tools of a POSIX shell and OpenSSH.
var docTools = map[string]bool{
	"cd": true, "rm": true, "mkdir": true, "echo": true, "grep": true, "date": true,
	"git": true, "npm": true, "sftp": true, "sha256sum": true, "ssh-keygen": true,
	"for": true, "done": true,
}

// shellCommands splits shell text into simple commands (word lists):
// separators | & ; ( ) and newlines end one, $( ... ) holds nested ones,
// quotes group words and are removed, a # that starts a word begins a
// comment, a backslash at a line's end continues it.
func shellCommands(text string) [][]string {
	var cmds [][]string
	var parse func(i int, nested bool) int
	parse = func(i int, nested bool) int {
		var words []string
		var word strings.Builder
		inWord := false
		flushWord := func() {
			if inWord {
				words = append(words, word.String())
				word.Reset()
				inWord = false
			}
		}
		flushCmd := func() {
			flushWord()
			if len(words) > 0 {
				cmds = append(cmds, words)
				words = nil
			}
		}
		var quote byte
		for i < len(text) {
			c := text[i]
			switch {
			case quote == '\'':
				if c == '\'' {
					quote = 0
				} else {
					word.WriteByte(c)
				}
			case c == '$' && i+1 < len(text) && text[i+1] == '(':
				// A nested command: its words are checked on their own;
				// here it stands for one word.
				i = parse(i+2, true)
				word.WriteString("$(...)")
				inWord = true
				continue
			case quote == '"':
				if c == '"' {
					quote = 0
				} else {
					word.WriteByte(c)
				}
			case c == '\'' || c == '"':
				quote = c
				inWord = true
			case c == '\\' && i+1 < len(text) && text[i+1] == '\n':
				i++
			case c == '#' && !inWord:
				for i < len(text) && text[i] != '\n' {
					i++
				}
				continue
			case c == ' ' || c == '\t':
				flushWord()
			case c == ')' && nested:
				flushCmd()
				return i + 1
			case c == '\n' || c == ';' || c == '|' || c == '&' || c == '(' || c == ')':
				flushCmd()
			default:
				word.WriteByte(c)
				inWord = true
			}
			i++
		}
		flushCmd()
		return i
	}
	parse(0, false)
	// Leading variable assignments and shell keywords are not commands.
	var out [][]string
	for _, w := range cmds {
		for len(w) > 0 && (regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`).MatchString(w[0]) || w[0] == "do" || w[0] == "then") {
			w = w[1:]
		}
		if len(w) > 0 {
			out = append(out, w)
		}
	}
	return out
}

// docCommands returns the commands of the guide's sh code blocks, and of its
// inline code spans that start with a command this test checks.
func docCommands(t *testing.T, doc string) [][]string {
	t.Helper()
	var cmds [][]string
	block := regexp.MustCompile("(?ms)^\\s*```sh\\n(.*?)^\\s*```")
	for _, m := range block.FindAllStringSubmatch(doc, -1) {
		cmds = append(cmds, shellCommands(m[1])...)
	}
	prose := block.ReplaceAllString(doc, "")
	prose = regexp.MustCompile("(?ms)^\\s*```.*?^\\s*```").ReplaceAllString(prose, "") // yaml, json
	for _, m := range regexp.MustCompile("`([^`\n]+)`").FindAllStringSubmatch(prose, -1) {
		span := m[1]
		if regexp.MustCompile(`^(make |go run |go test |aws |npx cdk [a-z-]|biolake-[a-z]+ -)`).MatchString(span) {
			cmds = append(cmds, shellCommands(span)...)
		}
	}
	return cmds
}

// makeTargets lists the Makefile's targets.
func makeTargets(t *testing.T) map[string]bool {
	t.Helper()
	raw, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	targets := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^([a-z][a-z-]*):`).FindAllStringSubmatch(string(raw), -1) {
		targets[m[1]] = true
	}
	return targets
}

// toolFlags lists the flags a command under cmd/ defines.
func toolFlags(t *testing.T, tool string) (map[string]bool, bool) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "cmd", tool, "main.go"))
	if err != nil {
		return nil, false
	}
	flags := map[string]bool{"h": true, "help": true}
	for _, m := range regexp.MustCompile(`\.(?:String|Bool|Int|Int64|Float64|Duration|Uint)(?:Var)?\((?:&?[A-Za-z.]+, )?"([a-z0-9-]+)"`).FindAllStringSubmatch(string(raw), -1) {
		flags[m[1]] = true
	}
	return flags, true
}

// awsCheck runs the AWS CLI's service models (botocore, which the CLI and
// moto_server both install) over the guide's aws commands: each service,
// operation and option must exist. It prints one problem a line.
const awsCheck = `
import json, sys
import botocore.session
from botocore import xform_name
s = botocore.session.get_session()
alias = {"s3api": "s3"}
globl = {"query", "output", "region", "profile", "endpoint-url", "no-paginate", "max-items",
         "starting-token", "page-size", "cli-input-json", "generate-cli-skeleton", "debug", "no-verify-ssl"}
for svc, op, opts in json.load(sys.stdin):
    name = alias.get(svc, svc)
    try:
        model = s.get_service_model(name)
    except Exception:
        print("aws %s: no such service" % svc); continue
    ops = {xform_name(o, "-"): o for o in model.operation_names}
    if op not in ops:
        print("aws %s %s: no such operation" % (svc, op)); continue
    shape = model.operation_model(ops[op]).input_shape
    members = {xform_name(m, "-") for m in (shape.members if shape else {})}
    for o in opts:
        if o not in members and o not in globl and not (o.startswith("no-") and o[3:] in members):
            print("aws %s %s: no option --%s" % (svc, op, o))
`

// TestOperationsCommands keeps docs/OPERATIONS.md true: every make target
// it runs is in the Makefile, every biolake tool is under cmd/ with the
// flags it uses, every aws command is a real service, operation and
// option, every CDK CLI subcommand and option exists, and nothing else
// is run but a few standard tools.
func TestOperationsCommands(t *testing.T) {
	raw, err := os.ReadFile(operationsDoc)
	if err != nil {
		t.Fatal(err)
	}
	cmds := docCommands(t, string(raw))
	if len(cmds) < 20 {
		t.Fatalf("found only %d commands in %s: is the parser broken?", len(cmds), operationsDoc)
	}
	targets := makeTargets(t)
	var awsCmds [][]any
	cdkSubs := map[string][]string{}
	seen := map[string]int{}
	tool := func(name string, args []string, where string) {
		flags, ok := toolFlags(t, name)
		if !ok {
			t.Errorf("%s: no tool cmd/%s", where, name)
			return
		}
		for _, a := range args {
			if f, ok := strings.CutPrefix(a, "-"); ok && f != "" {
				f, _, _ = strings.Cut(strings.TrimPrefix(f, "-"), "=")
				if !flags[f] {
					t.Errorf("%s: cmd/%s has no flag -%s", where, name, f)
				}
			}
		}
	}
	for _, c := range cmds {
		where := strings.Join(c, " ")
		seen[c[0]]++
		switch {
		case c[0] == "make":
			for _, a := range c[1:] {
				if !strings.Contains(a, "=") && !strings.HasPrefix(a, "-") && !targets[a] {
					t.Errorf("%s: the Makefile has no target %q", where, a)
				}
			}
		case c[0] == "go":
			if len(c) < 2 {
				t.Errorf("%s: go without a subcommand", where)
				continue
			}
			switch c[1] {
			case "run":
				if len(c) < 3 || !strings.HasPrefix(c[2], "./cmd/") {
					t.Errorf("%s: go run of something other than a tool under ./cmd/", where)
					continue
				}
				tool(strings.TrimPrefix(c[2], "./cmd/"), c[3:], where)
			case "get", "mod", "test", "version", "build":
			default:
				t.Errorf("%s: go %s is not a command this guide uses", where, c[1])
			}
		case strings.HasPrefix(c[0], "biolake-"):
			tool(c[0], c[1:], where)
		case c[0] == "aws":
			words, opts := []string{}, []string{}
			for _, a := range c[1:] {
				if o, ok := strings.CutPrefix(a, "--"); ok {
					opts = append(opts, o)
				} else if len(opts) == 0 {
					words = append(words, a)
				}
			}
			if len(words) < 2 {
				t.Errorf("%s: aws needs a service and an operation", where)
				continue
			}
			awsCmds = append(awsCmds, []any{words[0], words[1], opts})
		case c[0] == "npx" || c[0] == "node_modules/.bin/cdk":
			args := c[1:]
			if c[0] == "npx" {
				if len(args) == 0 || args[0] != "cdk" {
					t.Errorf("%s: npx runs only the pinned cdk", where)
					continue
				}
				args = args[1:]
			}
			if len(args) == 0 {
				t.Errorf("%s: cdk without a subcommand", where)
				continue
			}
			cdkSubs[args[0]] = append(cdkSubs[args[0]], args[1:]...)
		case docTools[c[0]]:
		default:
			t.Errorf("%s: %q is not a command this guide may use (make, go run ./cmd/..., aws, npx cdk, or a standard tool in docTools)", where, c[0])
		}
	}
	t.Logf("%s: %d commands: %v", operationsDoc, len(cmds), seen)

	// aws: the service models the CLI itself uses.
	if len(awsCmds) > 0 {
		if err := exec.Command("python3", "-c", "import botocore").Run(); err != nil {
			if os.Getenv("CI") == "true" || os.Getenv("BIOLAKE_REQUIRE_MOTO") == "1" {
				t.Fatalf("python3 with botocore (installed with moto_server and the aws CLI) is needed to check the aws commands: %v", err)
			}
			t.Logf("python3 with botocore is not installed: the %d aws commands are not checked", len(awsCmds))
		} else {
			in, _ := json.Marshal(awsCmds)
			cmd := exec.Command("python3", "-c", awsCheck)
			cmd.Stdin = strings.NewReader(string(in))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("aws check: %v\n%s", err, out)
			}
			for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
				if line != "" {
					t.Error(line)
				}
			}
		}
	}

	// cdk: the pinned CLI's own help.
	cdk := filepath.Join("..", "node_modules", ".bin", "cdk")
	if _, err := os.Stat(cdk); err != nil {
		t.Logf("no %s (make tools installs it): the cdk commands are not checked", cdk)
		return
	}
	subs := make([]string, 0, len(cdkSubs))
	for s := range cdkSubs {
		subs = append(subs, s)
	}
	sort.Strings(subs)
	// One CLI start per subcommand, at once: each costs seconds of Node.
	helps := make([][]byte, len(subs))
	errs := make([]error, len(subs))
	var wg sync.WaitGroup
	for i, sub := range subs {
		if sub == "--version" {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			helps[i], errs[i] = exec.Command(cdk, sub, "--help").CombinedOutput()
		}()
	}
	wg.Wait()
	for i, sub := range subs {
		if sub == "--version" {
			continue
		}
		out, err := helps[i], errs[i]
		if err != nil || !strings.Contains(string(out), "cdk "+sub) {
			t.Errorf("cdk %s: not a subcommand of the pinned CDK CLI (%v)", sub, err)
			continue
		}
		for _, a := range cdkSubs[sub] {
			if o, ok := strings.CutPrefix(a, "--"); ok {
				o, _, _ = strings.Cut(o, "=")
				if !strings.Contains(string(out), "--"+o) {
					t.Errorf("cdk %s: no option --%s", sub, o)
				}
			}
		}
	}
}

// TestShellCommands checks the splitter the guide's test relies on.
func TestShellCommands(t *testing.T) {
	got := shellCommands(`ENV=prod
SM=$(aws cloudformation describe-stacks --stack-name $ENV-Compute --query "Stacks[0].Outputs[?OutputKey=='X'].OutputValue" --output text)
aws dynamodb get-item --key '{"pk":{"S":"RUN#a"}}' --projection-expression "#s, v"   # a comment
for k in $KEYS; do aws kms get-key-rotation-status --key-id "$k"; done
(cd dir && sha256sum a > m) | make synth \
  ENV=$ENV
aws stepfunctions start-execution --name "rerun-$(date +%Y%m%d)" --input file://rerun.json`)
	want := [][]string{
		{"aws", "cloudformation", "describe-stacks", "--stack-name", "$ENV-Compute", "--query", "Stacks[0].Outputs[?OutputKey=='X'].OutputValue", "--output", "text"},
		{"aws", "dynamodb", "get-item", "--key", `{"pk":{"S":"RUN#a"}}`, "--projection-expression", "#s, v"},
		{"for", "k", "in", "$KEYS"},
		{"aws", "kms", "get-key-rotation-status", "--key-id", "$k"},
		{"done"},
		{"cd", "dir"},
		{"sha256sum", "a", ">", "m"},
		{"make", "synth", "ENV=$ENV"},
		{"date", "+%Y%m%d"},
		{"aws", "stepfunctions", "start-execution", "--name", "rerun-$(...)", "--input", "file://rerun.json"},
	}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Errorf("shellCommands:\n got %q\nwant %q", got, want)
	}
}
