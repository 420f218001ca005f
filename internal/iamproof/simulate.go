package iamproof

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

//go:embed simulate.cjs
var simulateJS []byte

// Request is one action on one resource by one principal.
type Request struct {
	Principal *Principal
	// Call is what makes the request, for reports: the API call with its
	// target ("s3.GetObject raw/run-1/manifest.json") or the integration.
	Call string
	// Action is the IAM action ("s3:GetObject").
	Action string
	// Resource is the resolved ARN, or "*" for an action without
	// resource-level permissions.
	Resource string
	// Context holds the request's context keys (s3:prefix, kms:ViaService,
	// kms:EncryptionContext:aws:s3:arn, aws:SourceArn, ...). Evaluate adds
	// the global keys AWS sets for the principal.
	Context map[string][]string
	// ResourcePolicy, when set, is used instead of the one Evaluate finds
	// for Resource.
	ResourcePolicy *Policy
}

// String names the request in reports.
func (r Request) String() string {
	res := r.Resource
	if r.Principal != nil && r.Principal.env != nil {
		res = r.Principal.env.Label(res)
	}
	return fmt.Sprintf("%s: %s needs %s on %s", r.Principal.Label, r.Call, r.Action, res)
}

// Decision is the simulator's answer to one request.
type Decision struct {
	Request
	// Result is "Allowed", "ImplicitlyDenied" or "ExplicitlyDenied".
	Result string
	// Denials say which policies did not allow, or denied, the request.
	Denials []Denial
	// Grants are the statements that allowed it.
	Grants []Grant
	// ResourcePolicyName names the resource policy evaluated ("" if none).
	ResourcePolicyName string
}

// Allowed reports whether the request is allowed.
func (d Decision) Allowed() bool { return d.Result == "Allowed" }

// String reads, for a denial: "<principal>: <call> needs <action> on
// <resource>: ImplicitlyDenied: no statement of the identity policies (A, B)
// allows it; ...".
func (d Decision) String() string {
	if d.Allowed() {
		return d.Request.String() + ": allowed"
	}
	var why []string
	for _, dn := range d.Denials {
		why = append(why, d.explain(dn))
	}
	return d.Request.String() + ": " + d.Result + ": " + strings.Join(why, "; ")
}

func (d Decision) explain(dn Denial) string {
	switch {
	case dn.Type == "identity" && dn.Kind == "Implicit":
		var names []string
		for _, p := range d.Principal.Policies {
			names = append(names, p.Name)
		}
		if len(names) == 0 {
			return "the principal has no identity policy"
		}
		return "no statement of the identity policies (" + strings.Join(names, ", ") + ") allows it"
	case dn.Type == "resource" && dn.Kind == "Implicit":
		if d.ResourcePolicyName == "" {
			return "the resource has no resource policy to allow it"
		}
		return "no statement of the resource policy " + d.ResourcePolicyName + " allows it"
	case dn.Kind == "Explicit":
		where := dn.Policy
		if dn.Type == "resource" {
			where = d.ResourcePolicyName
		}
		sid := ""
		if dn.Sid != "" {
			sid = " (" + dn.Sid + ")"
		}
		return fmt.Sprintf("statement %d%s of the %s policy %s denies it", dn.Index, sid, dn.Type, where)
	}
	return fmt.Sprintf("%s %s denial by %s", dn.Kind, dn.Type, dn.Policy)
}

// Denial is one reason for a denial, as the simulator gives it.
type Denial struct {
	// Type is the kind of policy: "identity", "resource", ...
	Type string `json:"type"`
	// Kind is "Implicit" (nothing allowed it) or "Explicit" (a Deny).
	Kind   string `json:"denial"`
	Policy string `json:"policy,omitempty"`
	Sid    string `json:"sid,omitempty"`
	Index  int    `json:"index,omitempty"`
}

// Grant is one statement that allowed a request.
type Grant struct {
	// Type is "identity" or "resource".
	Type string `json:"type"`
	// Policy names the identity policy (Policy.Name).
	Policy string `json:"policy,omitempty"`
	// Index is the statement's 1-based position in its policy.
	Index int `json:"index"`
	// Resources are the statement's resource patterns that matched.
	Resources []string `json:"resources,omitempty"`
}

// Report is the outcome of Evaluate.
type Report struct {
	Decisions []Decision
	// Checked is the number of requests evaluated.
	Checked int
}

// Denied returns the decisions that did not allow their request.
func (r *Report) Denied() []Decision {
	var out []Decision
	for _, d := range r.Decisions {
		if !d.Allowed() {
			out = append(out, d)
		}
	}
	return out
}

// Evaluate evaluates the requests in one simulator run. A request whose
// resource belongs to the principal's environment is evaluated with that
// resource's policy (see Env.ResourcePolicy) unless it carries its own. It
// fails when the simulator cannot run or rejects a request (an unknown
// action, a resource ARN of the wrong type for the action, a malformed
// policy), naming the request.
func Evaluate(reqs []Request) (*Report, error) {
	type identityRef struct {
		Name string `json:"name"`
		Ref  string `json:"ref"`
	}
	type simReq struct {
		Principal      string              `json:"principal"`
		Action         string              `json:"action"`
		Resource       string              `json:"resource"`
		Account        string              `json:"account"`
		Context        map[string][]string `json:"context"`
		Identity       []identityRef       `json:"identity"`
		ResourcePolicy string              `json:"resourcePolicy,omitempty"`
	}
	policies := map[string]map[string]any{}
	refOf := map[string]string{}
	intern := func(doc map[string]any) (string, error) {
		doc = encodeEncryptionContext(doc)
		b, err := json.Marshal(doc)
		if err != nil {
			return "", err
		}
		if id, ok := refOf[string(b)]; ok {
			return id, nil
		}
		id := fmt.Sprintf("p%d", len(refOf))
		refOf[string(b)] = id
		policies[id] = doc
		return id, nil
	}
	resPolicies := make([]*Policy, len(reqs))
	in := struct {
		Policies map[string]map[string]any `json:"policies"`
		Requests []simReq                  `json:"requests"`
	}{Policies: policies}
	for i, r := range reqs {
		if r.Principal == nil || r.Action == "" || r.Resource == "" {
			return nil, fmt.Errorf("iamproof: request %d (%s) needs a principal, an action and a resource", i, r.Call)
		}
		sr := simReq{Principal: r.Principal.ARN, Action: r.Action, Resource: r.Resource, Account: r.Principal.Account,
			Context: encodeContextKeys(globalContext(r))}
		env := r.Principal.env
		if owner := env.ByARN(r.Resource); owner != nil {
			sr.Account = owner.Account()
		} else if acct := arnAccount(r.Resource); acct != "" {
			sr.Account = acct
		}
		for _, p := range r.Principal.Policies {
			id, err := intern(p.Document)
			if err != nil {
				return nil, err
			}
			sr.Identity = append(sr.Identity, identityRef{Name: p.Name, Ref: id})
		}
		rp := r.ResourcePolicy
		if rp == nil && r.Resource != "*" {
			var err error
			if rp, err = env.ResourcePolicy(r.Resource); err != nil {
				return nil, fmt.Errorf("iamproof: %s: %w", r, err)
			}
		}
		if rp != nil {
			id, err := intern(rp.Document)
			if err != nil {
				return nil, err
			}
			sr.ResourcePolicy = id
			resPolicies[i] = rp
		}
		in.Requests = append(in.Requests, sr)
	}
	var out struct {
		Results []struct {
			Result             string   `json:"result"`
			Error              string   `json:"error"`
			Denials            []Denial `json:"denials"`
			Grants             []Grant  `json:"grants"`
			IgnoredContextKeys []string `json:"ignoredContextKeys"`
		} `json:"results"`
	}
	if err := runNode(in, &out); err != nil {
		return nil, err
	}
	if len(out.Results) != len(reqs) {
		return nil, fmt.Errorf("iamproof: the simulator answered %d of %d requests", len(out.Results), len(reqs))
	}
	rep := &Report{Checked: len(reqs)}
	var errs []error
	for i, res := range out.Results {
		if res.Result == "Error" {
			errs = append(errs, fmt.Errorf("%s: the simulator rejected the request: %s", reqs[i], res.Error))
			continue
		}
		d := Decision{Request: reqs[i], Result: res.Result, Denials: res.Denials, Grants: res.Grants}
		if resPolicies[i] != nil {
			d.ResourcePolicyName = resPolicies[i].Name
		}
		rep.Decisions = append(rep.Decisions, d)
	}
	if len(errs) > 0 {
		return rep, fmt.Errorf("iamproof: %w", errors.Join(errs...))
	}
	return rep, nil
}

// globalContext adds the keys AWS sets on every request of the principal to
// the request's own.
func globalContext(r Request) map[string][]string {
	ctx := map[string][]string{}
	p := r.Principal
	ctx["aws:SecureTransport"] = []string{"true"}
	ctx["aws:PrincipalAccount"] = []string{p.Account}
	if p.IsService() {
		ctx["aws:PrincipalServiceName"] = []string{p.ARN}
		ctx["aws:PrincipalIsAWSService"] = []string{"true"}
	} else {
		ctx["aws:PrincipalArn"] = []string{p.ARN}
		ctx["aws:PrincipalType"] = []string{"AssumedRole"}
		ctx["aws:PrincipalIsAWSService"] = []string{"false"}
	}
	if len(p.env.Stacks) > 0 {
		ctx["aws:RequestedRegion"] = []string{stackRegion(p.env.Stacks[0])}
	}
	for k, v := range r.Context {
		ctx[k] = v
	}
	return ctx
}

// encryptionContextAlias is the name kms:EncryptionContext:<key> takes in
// what the simulator is given. The simulator (iam-simulate 0.1.173) keeps
// only the request's context keys an action lists, and matches a
// templated key such as kms:EncryptionContext:${EncryptionContextKey} only
// up to a "/": it ignores every kms:EncryptionContext:<key>, so a key
// policy conditioned on the encryption context (CloudWatch Logs, CloudTrail,
// EventBridge, SNS, S3 with Bucket Keys) would deny every request. Written
// as the global aws:RequestTag/<name> in the policies and the requests
// alike, the key is kept and compared with the same condition operators.
const encryptionContextAlias = "aws:RequestTag/"

func isEncryptionContextKey(k string) bool {
	return strings.HasPrefix(strings.ToLower(k), "kms:encryptioncontext:")
}

// encodeContextKeys renames the request's kms:EncryptionContext:<key> keys
// (encryptionContextAlias).
func encodeContextKeys(ctx map[string][]string) map[string][]string {
	out := make(map[string][]string, len(ctx))
	for k, v := range ctx {
		if isEncryptionContextKey(k) {
			k = encryptionContextAlias + k
		}
		out[k] = v
	}
	return out
}

// encodeEncryptionContext returns doc with the kms:EncryptionContext:<key>
// condition keys of its statements renamed as encodeContextKeys does; doc
// itself is not changed.
func encodeEncryptionContext(doc map[string]any) map[string]any {
	stmts, ok := doc["Statement"]
	if !ok {
		return doc
	}
	list, isList := stmts.([]any)
	if !isList {
		list = []any{stmts}
	}
	changed := false
	out := make([]any, len(list))
	for i, st := range list {
		out[i] = st
		m, ok := st.(map[string]any)
		if !ok {
			continue
		}
		cond, ok := m["Condition"].(map[string]any)
		if !ok {
			continue
		}
		newCond := map[string]any{}
		renamed := false
		for op, kv := range cond {
			keys, ok := kv.(map[string]any)
			if !ok {
				newCond[op] = kv
				continue
			}
			nk := map[string]any{}
			for k, v := range keys {
				if isEncryptionContextKey(k) {
					k, renamed = encryptionContextAlias+k, true
				}
				nk[k] = v
			}
			newCond[op] = nk
		}
		if renamed {
			cp := map[string]any{}
			for k, v := range m {
				cp[k] = v
			}
			cp["Condition"] = newCond
			out[i], changed = cp, true
		}
	}
	if !changed {
		return doc
	}
	cp := map[string]any{}
	for k, v := range doc {
		cp[k] = v
	}
	cp["Statement"] = out
	return cp
}

func arnAccount(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 {
		return parts[4]
	}
	return ""
}

// ActionInfo is an action's entry in the Service Authorization Reference.
type ActionInfo struct {
	// Action is the canonical name ("s3:GetObject").
	Action      string `json:"action"`
	AccessLevel string `json:"accessLevel"`
	// ResourceTypes are the resource types the action applies to.
	ResourceTypes []struct {
		Name     string `json:"name"`
		Required bool   `json:"required"`
	} `json:"resourceTypes"`
	ConditionKeys []string `json:"conditionKeys"`
	// DependentActions must also be allowed for the action to succeed.
	DependentActions []string `json:"dependentActions"`
	// WildcardOnly is true for an action without resource-level
	// permissions (its resource is "*").
	WildcardOnly bool   `json:"wildcardOnly"`
	Error        string `json:"error,omitempty"`
}

var (
	infoMu    sync.Mutex
	infoCache = map[string]ActionInfo{}
	expCache  = map[string][]string{}
)

// Describe returns the Service Authorization Reference entry of each action.
// It fails on an action the reference does not list.
func Describe(actions []string) (map[string]ActionInfo, error) {
	infoMu.Lock()
	defer infoMu.Unlock()
	var missing []string
	for _, a := range actions {
		if _, ok := infoCache[a]; !ok {
			missing = append(missing, a)
		}
	}
	if len(missing) > 0 {
		var out struct {
			Described map[string]ActionInfo `json:"described"`
		}
		if err := runNode(map[string]any{"describe": missing}, &out); err != nil {
			return nil, err
		}
		for k, v := range out.Described {
			infoCache[k] = v
		}
	}
	res := map[string]ActionInfo{}
	var errs []string
	for _, a := range actions {
		info := infoCache[a]
		if info.Error != "" {
			errs = append(errs, a+": "+info.Error)
			continue
		}
		res[a] = info
	}
	if len(errs) > 0 {
		return res, fmt.Errorf("iamproof: %s", strings.Join(errs, "; "))
	}
	return res, nil
}

// Expand returns the actions each pattern ("s3:GetObject*", "kms:Decrypt")
// covers, from the Service Authorization Reference, sorted. The pattern "*"
// and a pattern of an unknown service are errors.
func Expand(patterns []string) (map[string][]string, error) {
	infoMu.Lock()
	defer infoMu.Unlock()
	var missing []string
	for _, p := range patterns {
		if _, ok := expCache[p]; !ok {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		var out struct {
			Expanded map[string]struct {
				Actions []string `json:"actions"`
				Error   string   `json:"error"`
			} `json:"expanded"`
		}
		if err := runNode(map[string]any{"expand": missing}, &out); err != nil {
			return nil, err
		}
		var errs []string
		for k, v := range out.Expanded {
			if v.Error != "" {
				errs = append(errs, k+": "+v.Error)
				continue
			}
			sort.Strings(v.Actions)
			expCache[k] = v.Actions
		}
		if len(errs) > 0 {
			sort.Strings(errs)
			return nil, fmt.Errorf("iamproof: %s", strings.Join(errs, "; "))
		}
	}
	res := map[string][]string{}
	for _, p := range patterns {
		res[p] = expCache[p]
	}
	return res, nil
}

// ModuleRoot returns the directory of the biolake module (the first parent
// of the working directory with a go.mod), where node_modules is.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("iamproof: no go.mod above the working directory")
		}
		dir = parent
	}
}

// runNode runs simulate.cjs with in as JSON and decodes its answer into out.
func runNode(in any, out any) error {
	root, err := ModuleRoot()
	if err != nil {
		return err
	}
	node := filepath.Join(root, "node_modules", ".bin", "node")
	for _, need := range []string{node, filepath.Join(root, "node_modules", "@cloud-copilot", "iam-simulate"), filepath.Join(root, "node_modules", "@cloud-copilot", "iam-data")} {
		if _, err := os.Stat(need); err != nil {
			return fmt.Errorf("iamproof: %s is missing: install the pinned npm tools with `make tools` (npm ci), which package.json lists", need)
		}
	}
	script, err := os.CreateTemp("", "iamproof-*.cjs")
	if err != nil {
		return err
	}
	defer os.Remove(script.Name())
	if _, err := script.Write(simulateJS); err != nil {
		script.Close()
		return err
	}
	script.Close()
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	cmd := exec.Command(node, script.Name(), root)
	cmd.Stdin = bytes.NewReader(body)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("iamproof: the simulator failed: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
		return fmt.Errorf("iamproof: the simulator's answer is not JSON: %w", err)
	}
	return nil
}
