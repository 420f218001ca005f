// Package diagram draws the architecture picture of one environment from its
// synthesized cloud assembly (cdk.out): one Graphviz cluster per stack, the
// resources folded into the components a reader knows (the raw bucket, the
// DataSync tasks, the Batch queues, a workflow), each coloured by the
// capability of the README it belongs to, and the data's way through them.
// A capability the environment does not configure is still drawn, dashed,
// with the config field that turns it on, so the picture always shows all
// eight. `make diagram` renders docs/architecture.png from the dev app with
// cmd/biolake-diagram and Graphviz `dot`.
//
// Resources are grouped by construct path (the aws:cdk:path metadata): the
// construct under the stack names the component (DataSync, Transfer,
// Batch, Workflow<name>, ...), and within the data lake and the event glue
// the construct below it (Raw, Partner, Ingest, Verify, ...). Supporting
// resources (IAM roles and policies, log groups, queues, keys, alarms,
// rules, security groups, custom-resource providers) are folded into their
// component and counted in the stack's total, not drawn.
package diagram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/biolake/biolake/internal/assembly"
)

// Capability is one row of the README's capability table.
type Capability struct {
	N     int
	Name  string
	Stack string // the stack it lives in (short name)
}

// Capabilities are the eight capabilities of the README, in order.
var Capabilities = []Capability{
	{1, "On-prem file server synced to S3 by DataSync", "Ingest"},
	{2, "Private transfer path: VPC endpoints, optional VPN / Direct Connect", "Network"},
	{3, "On-prem researchers read S3 over NFS/SMB via S3 File Gateway", "Ingest"},
	{4, "Partner CROs upload over SFTP/FTPS with AWS Transfer Family", "Ingest"},
	{5, "Instrument data as Standard-IA, lifecycle to Glacier tiers, access analysis", "DataLake"},
	{6, "FSx for Lustre linked to S3 for HPC", "Compute"},
	{7, "Step Functions + AWS Batch workflows, CPU and GPU", "Compute"},
	{8, "SageMaker AI and Athena/Glue SQL over the catalog", "Analytics"},
}

// Node is one box of the picture.
type Node struct {
	ID         string
	Title      string
	Detail     string // what it holds, e.g. "4 JobQueue · 2 JobDefinition"
	Capability int    // 1 to 8; 0 for the cross-cutting parts
	Stack      string // full stack name; "" for people and places outside AWS
	Resources  int    // resources folded into the node
	// Placeholder marks a component the environment does not configure;
	// Detail then says which config field turns it on.
	Placeholder bool
	External    bool
}

// Edge is one step of the data's way.
type Edge struct {
	From, To, Label string
}

// StackBox is one cluster.
type StackBox struct {
	Name      string
	Resources int
}

// Graph is the picture of one environment.
type Graph struct {
	Env    string
	Stacks []StackBox // sorted by name
	Nodes  []*Node    // sorted by stack, then id
	Edges  []Edge     // in flow order
	byID   map[string]*Node
}

// Node returns the node with id, or nil.
func (g *Graph) Node(id string) *Node { return g.byID[id] }

// Present returns the capabilities the environment deploys (a node of the
// capability that is not a placeholder), sorted.
func (g *Graph) Present() []int {
	seen := map[int]bool{}
	for _, n := range g.Nodes {
		if n.Capability > 0 && !n.Placeholder && !n.External {
			seen[n.Capability] = true
		}
	}
	var out []int
	for c := range seen {
		out = append(out, c)
	}
	sort.Ints(out)
	return out
}

// component is what a resource belongs to.
type component struct {
	id, title string
	cap       int
}

// folded are the supporting resource types: counted, not drawn.
func folded(typ string) bool {
	if strings.HasPrefix(typ, "AWS::IAM::") || strings.HasPrefix(typ, "AWS::Logs::") ||
		strings.HasPrefix(typ, "AWS::KMS::") || strings.HasPrefix(typ, "AWS::SQS::") ||
		strings.HasPrefix(typ, "Custom::") || strings.HasSuffix(typ, "Policy") {
		return true
	}
	switch typ {
	case "AWS::Lambda::EventSourceMapping", "AWS::Lambda::Permission",
		"AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress",
		"AWS::EC2::LaunchTemplate", "AWS::EC2::Route", "AWS::EC2::RouteTable",
		"AWS::EC2::SubnetRouteTableAssociation", "AWS::EC2::EIP", "AWS::EC2::InternetGateway",
		"AWS::EC2::VPCGatewayAttachment", "AWS::Events::Rule", "AWS::CloudWatch::Alarm",
		"AWS::SNS::Topic", "AWS::SSM::Parameter", "AWS::Backup::BackupSelection",
		"AWS::CDK::Metadata", "AWS::Events::Archive":
		return true
	}
	return false
}

// lakeBuckets name the data lake's buckets by construct id.
var lakeBuckets = map[string]component{
	"Raw":           {"raw", "raw bucket\n(instrument runs)", 5},
	"Partner":       {"partner", "partner bucket\n(quarantine)", 5},
	"Shared":        {"shared", "shared bucket", 5},
	"Curated":       {"curated", "curated bucket", 5},
	"Results":       {"results", "results bucket", 5},
	"Analytics":     {"lakeanalytics", "analytics buckets\n(catalog export, Athena results)", 8},
	"AthenaResults": {"lakeanalytics", "analytics buckets\n(catalog export, Athena results)", 8},
	"Backup":        {"backup", "AWS Backup vault and plan", 5},
}

// glueParts name the event glue's parts by the prefix of their construct id.
var glueParts = []struct {
	prefix string
	c      component
}{
	{"Bus", component{"bus", "EventBridge bus\n(S3 and biolake events)", 0}},
	{"Catalog", component{"catalog", "catalog table\n(DynamoDB)", 0}},
	{"ObjectCreated", component{"ingest", "ingest\n(Lambda)", 0}},
	{"Ingest", component{"ingest", "ingest\n(Lambda)", 0}},
	{"RunCompleted", component{"verify", "verify\n(Lambda, Batch Fargate)", 0}},
	{"Verify", component{"verify", "verify\n(Lambda, Batch Fargate)", 0}},
	{"Restore", component{"restore", "restore archived data\n(Lambda)", 0}},
	{"Samples", component{"samples", "sample sheets\n(Lambda)", 0}},
}

// classify returns the component of a resource at path (split on "/":
// stage, stack, construct, ...) of type typ in stack short name stack.
func classify(stack string, seg []string, typ string) (component, bool) {
	top, second := "", ""
	if len(seg) > 2 {
		top = seg[2]
	}
	if len(seg) > 3 {
		second = seg[3]
	}
	if top == "CDKMetadata" || strings.Contains(top, "CustomResourceProvider") {
		return component{}, false
	}
	switch {
	case strings.HasPrefix(typ, "AWS::DataSync::"):
		return component{"datasync", "DataSync\n(agent, tasks)", 1}, true
	case typ == "AWS::EC2::VPCEndpoint":
		return component{"endpoints", "VPC endpoints", 2}, true
	case typ == "AWS::EC2::VPNGateway" || typ == "AWS::EC2::VPNConnection" || typ == "AWS::EC2::CustomerGateway" ||
		typ == "AWS::EC2::TransitGatewayAttachment" || strings.HasPrefix(typ, "AWS::DirectConnect::"):
		return component{"vpn", "VPN / Direct Connect", 2}, true
	case strings.HasPrefix(typ, "AWS::StorageGateway::"):
		return component{"filegateway", "S3 File Gateway\n(NFS/SMB shares)", 3}, true
	case strings.HasPrefix(typ, "AWS::Transfer::"):
		return component{"transfer", "Transfer Family\n(SFTP, Go identity provider)", 4}, true
	case strings.HasPrefix(typ, "AWS::FSx::"):
		return component{"lustre", "FSx for Lustre", 6}, true
	case strings.HasPrefix(typ, "AWS::SageMaker::"):
		return component{"sagemaker", "SageMaker", 8}, true
	case strings.HasPrefix(typ, "AWS::Glue::") || strings.HasPrefix(typ, "AWS::Athena::"):
		return component{"athena", "Athena + Glue\n(tables, workgroup, named queries)", 8}, true
	case typ == "AWS::CloudTrail::Trail":
		return component{"trail", "CloudTrail\n(trail and its bucket)", 0}, true
	}
	if strings.HasSuffix(stack, "Replica") {
		return component{"replica", "replica buckets\n(second region)", 5}, true
	}
	switch {
	case top == "DataSync":
		return component{"datasync", "DataSync\n(agent, tasks)", 1}, true
	case top == "FileGateway":
		return component{"filegateway", "S3 File Gateway\n(NFS/SMB shares)", 3}, true
	case top == "Transfer":
		return component{"transfer", "Transfer Family\n(SFTP, Go identity provider)", 4}, true
	case top == "Lustre":
		return component{"lustre", "FSx for Lustre", 6}, true
	case top == "Batch" || top == "Nextflow":
		return component{"batch", "AWS Batch\n(CPU, GPU, Fargate queues)", 7}, true
	case strings.HasPrefix(top, "Workflow") && len(top) > len("Workflow"):
		name := strings.TrimPrefix(top, "Workflow")
		return component{"workflow-" + name, "workflow " + name + "\n(Step Functions)", 7}, true
	case top == "Network":
		return component{"vpc", "VPC\n(subnets, NAT, flow logs)", 0}, true
	case top == "Trail":
		return component{"trail", "CloudTrail\n(trail and its bucket)", 0}, true
	case top == "LogsKey" || top == "AccessLogs":
		return component{"security", "logs key and\naccess-log bucket", 0}, true
	case top == "DataLake":
		if c, ok := lakeBuckets[second]; ok {
			return c, true
		}
		return component{"lake", "data lake keys", 5}, true
	case top == "EventGlue":
		for _, p := range glueParts {
			if strings.HasPrefix(second, p.prefix) {
				return p.c, true
			}
		}
		return component{"glue", "event glue\n(alarm topic, dead letters)", 0}, true
	case top == "Analytics":
		return component{"athena", "Athena + Glue\n(tables, workgroup, named queries)", 8}, true
	case top == "":
		return component{}, false
	}
	// A construct the picture does not know yet: its own box.
	return component{"x-" + stack + "-" + top, top, 0}, true
}

// placeholders are the components drawn dashed when an environment lacks
// them, with the config field (in environments/<env>.yaml) that adds them.
var placeholders = []struct {
	c     component
	stack string
	hint  string
}{
	{component{"datasync", "DataSync", 1}, "Ingest", "dataSync.sources"},
	{component{"endpoints", "VPC endpoints", 2}, "Network", "network.interfaceEndpoints"},
	{component{"filegateway", "S3 File Gateway", 3}, "Ingest", "fileGateway"},
	{component{"transfer", "Transfer Family SFTP", 4}, "Ingest", "transfer.partners"},
	{component{"raw", "raw bucket", 5}, "DataLake", "dataLake"},
	{component{"lustre", "FSx for Lustre", 6}, "Compute", "compute.lustre.mode"},
	{component{"batch", "AWS Batch", 7}, "Compute", "compute.workflows"},
	{component{"athena", "Athena + Glue", 8}, "Analytics", "analytics"},
	{component{"sagemaker", "SageMaker", 8}, "Analytics", ""},
}

// flow is the data's way; an edge is drawn when both ends are in the
// picture (dashed when one is a placeholder).
var flow = []Edge{
	{"instrument", "datasync", "NFS/SMB"},
	{"datasync", "raw", "runs/"},
	{"cro", "transfer", "SFTP"},
	{"transfer", "partner", "uploads"},
	{"researchers", "filegateway", "NFS/SMB"},
	{"filegateway", "shared", ""},
	{"raw", "bus", "S3 events"},
	{"partner", "bus", "S3 events"},
	{"shared", "bus", "S3 events"},
	{"bus", "ingest", ""},
	{"ingest", "catalog", "records"},
	{"ingest", "verify", "run complete"},
	{"verify", "workflow", "RunIngested"},
	{"workflow", "restore", "archived inputs"},
	{"workflow", "samples", "sample sheet"},
	{"workflow", "batch", "jobs"},
	{"workflow", "lustre", ""},
	{"raw", "lustre", "linked"},
	{"lustre", "batch", "/fsx"},
	{"batch", "results", "outputs"},
	{"workflow", "catalog", "results"},
	{"catalog", "lakeanalytics", "Parquet export"},
	{"lakeanalytics", "athena", ""},
	{"athena", "scientists", "SQL"},
	{"curated", "sagemaker", ""},
	{"sagemaker", "scientists", ""},
}

var externals = []*Node{
	{ID: "instrument", Title: "lab instruments\n(file servers)", Capability: 1, External: true},
	{ID: "cro", Title: "partner CROs", Capability: 4, External: true},
	{ID: "researchers", Title: "on-prem researchers", Capability: 3, External: true},
	{ID: "scientists", Title: "scientists and analysts", Capability: 8, External: true},
}

// Build draws environment env of assembly a.
func Build(a *assembly.Assembly, env string) (*Graph, error) {
	stacks, ok := a.Stacks[env]
	if !ok || len(stacks) == 0 {
		return nil, fmt.Errorf("diagram: the assembly in %s has no environment %q (it has %v)", a.Dir, env, a.Stages)
	}
	g := &Graph{Env: env, byID: map[string]*Node{}}
	types := map[string]map[string]int{} // node id -> short type -> count
	perRunLustre := ""                   // the stack of a workflow that creates its own FSx for Lustre
	for _, st := range stacks {
		short := strings.TrimPrefix(st.Name, env+"-")
		res := st.Resources("")
		for id, r := range res {
			if r["Type"] == "AWS::CDK::Metadata" {
				delete(res, id) // only the CLI's synth writes it
			}
		}
		g.Stacks = append(g.Stacks, StackBox{Name: st.Name, Resources: len(res)})
		ids := make([]string, 0, len(res))
		for id := range res {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			r := res[id]
			typ, _ := r["Type"].(string)
			path := st.Paths[id]
			if md, ok := r["Metadata"].(map[string]any); ok && path == "" {
				path, _ = md["aws:cdk:path"].(string)
			}
			c, ok := classify(short, strings.Split(path, "/"), typ)
			if !ok {
				continue
			}
			if typ == "AWS::StepFunctions::StateMachine" && createsLustre(r) {
				perRunLustre = st.Name
			}
			n := g.byID[c.id]
			if n == nil {
				n = &Node{ID: c.id, Title: c.title, Capability: c.cap, Stack: st.Name}
				g.byID[c.id] = n
				types[c.id] = map[string]int{}
			}
			n.Resources++
			if !folded(typ) {
				types[c.id][typ[strings.LastIndex(typ, ":")+1:]]++
			}
			if typ == "AWS::S3::Bucket" {
				if tiers := transitions(r); tiers != "" && !strings.Contains(n.Detail, tiers) {
					n.Detail = joinNonEmpty("\n", n.Detail, tiers)
				}
			}
		}
	}
	// Drop nodes made only of supporting resources.
	for id, n := range g.byID {
		counts := types[id]
		if len(counts) == 0 {
			delete(g.byID, id)
			continue
		}
		names := make([]string, 0, len(counts))
		for t := range counts {
			names = append(names, t)
		}
		sort.Strings(names)
		var parts []string
		for _, t := range names {
			if counts[t] == 1 {
				parts = append(parts, t)
			} else {
				parts = append(parts, fmt.Sprintf("%d %s", counts[t], t))
			}
		}
		if len(parts) == 1 && parts[0] == "Bucket" {
			continue // the title says so
		}
		n.Detail = joinNonEmpty("\n", wrap(strings.Join(parts, " · "), 40), n.Detail)
	}
	if g.byID["lustre"] == nil && perRunLustre != "" {
		g.byID["lustre"] = &Node{ID: "lustre", Title: "FSx for Lustre, per run", Capability: 6, Stack: perRunLustre,
			Detail: "created, linked to S3, exported\nand deleted by each workflow run"}
	}
	stackNames := map[string]bool{}
	for _, s := range g.Stacks {
		stackNames[s.Name] = true
	}
	for _, p := range placeholders {
		if g.byID[p.c.id] != nil {
			continue
		}
		hint := "not built yet"
		if p.hint != "" {
			hint = fmt.Sprintf("not in %s: set %s\nin environments/%s.yaml", env, p.hint, env)
		}
		stack := env + "-" + p.stack
		if !stackNames[stack] {
			stack = ""
		}
		g.byID[p.c.id] = &Node{ID: p.c.id, Title: p.c.title, Detail: hint, Capability: p.c.cap, Stack: stack, Placeholder: true}
	}
	for _, e := range externals {
		n := *e
		g.byID[n.ID] = &n
	}
	for _, n := range g.byID {
		g.Nodes = append(g.Nodes, n)
	}
	sort.Slice(g.Nodes, func(i, j int) bool {
		if g.Nodes[i].Stack != g.Nodes[j].Stack {
			return g.Nodes[i].Stack < g.Nodes[j].Stack
		}
		return g.Nodes[i].ID < g.Nodes[j].ID
	})
	var workflows []string
	for _, n := range g.Nodes {
		if strings.HasPrefix(n.ID, "workflow-") {
			workflows = append(workflows, n.ID)
		}
	}
	if len(workflows) == 0 {
		workflows = []string{"workflow"}
		if g.byID["workflow"] == nil {
			n := &Node{ID: "workflow", Title: "workflow (Step Functions)", Capability: 7, Placeholder: true,
				Detail: fmt.Sprintf("not in %s: set compute.workflows\nin environments/%s.yaml", env, env)}
			if stackNames[env+"-Compute"] {
				n.Stack = env + "-Compute"
			}
			g.byID["workflow"] = n
			g.Nodes = append(g.Nodes, n)
		}
	}
	for _, e := range flow {
		froms, tos := []string{e.From}, []string{e.To}
		if e.From == "workflow" {
			froms = workflows
		}
		if e.To == "workflow" {
			tos = workflows
		}
		for _, f := range froms {
			for _, t := range tos {
				if g.byID[f] != nil && g.byID[t] != nil {
					g.Edges = append(g.Edges, Edge{f, t, e.Label})
				}
			}
		}
	}
	return g, nil
}

// createsLustre says whether a state machine creates an FSx file system
// (a workflow with per-run Lustre): its definition calls fsx:createFileSystem.
func createsLustre(r map[string]any) bool {
	raw, err := json.Marshal(r["Properties"])
	return err == nil && bytes.Contains(raw, []byte("fsx:createFileSystem"))
}

// transitions lists the storage classes a bucket's lifecycle rules move
// current objects to, in the order they first appear: "IA → GLACIER_IR".
func transitions(r map[string]any) string {
	props, _ := r["Properties"].(map[string]any)
	lc, _ := props["LifecycleConfiguration"].(map[string]any)
	rules, _ := lc["Rules"].([]any)
	var out []string
	seen := map[string]bool{}
	for _, rule := range rules {
		m, _ := rule.(map[string]any)
		ts, _ := m["Transitions"].([]any)
		for _, t := range ts {
			tm, _ := t.(map[string]any)
			if sc, _ := tm["StorageClass"].(string); sc != "" && !seen[sc] {
				seen[sc] = true
				out = append(out, sc)
			}
		}
	}
	if len(out) == 0 {
		return ""
	}
	return "lifecycle to " + wrap(strings.Join(out, ", "), 40)
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}

// wrap breaks s into lines of at most width runes at spaces.
func wrap(s string, width int) string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = w
			continue
		}
		line = joinNonEmpty(" ", line, w)
	}
	if line != "" {
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n")
}

// colours of capabilities 1 to 8 (index 0: cross-cutting).
var colours = []string{"#e8e8e8", "#a6cee3", "#b2df8a", "#fdbf6f", "#fb9a99", "#cab2d6", "#ffff99", "#8dd3c7", "#fccde5"}

// WriteDOT writes the picture as Graphviz DOT. The output depends only on
// the assembly: the same input gives the same bytes.
func (g *Graph) WriteDOT(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "// biolake architecture of environment %s, generated by cmd/biolake-diagram from cdk.out; do not edit.\n", g.Env)
	fmt.Fprintf(&b, "digraph biolake {\n")
	fmt.Fprintf(&b, "  graph [rankdir=LR, fontname=\"Helvetica\", fontsize=12, nodesep=0.25, ranksep=0.5, newrank=true, label=%s, labelloc=t, fontsize=18];\n",
		quote(fmt.Sprintf("biolake, environment %s (make diagram)", g.Env)))
	b.WriteString("  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#555555\"];\n")
	byStack := map[string][]*Node{}
	for _, n := range g.Nodes {
		byStack[n.Stack] = append(byStack[n.Stack], n)
	}
	for i, s := range g.Stacks {
		fmt.Fprintf(&b, "  subgraph cluster_%d {\n", i)
		fmt.Fprintf(&b, "    label=%s; style=\"rounded\"; color=\"#777777\"; fontsize=12;\n", quote(fmt.Sprintf("stack %s (%d resources)", s.Name, s.Resources)))
		for _, n := range byStack[s.Name] {
			writeNode(&b, "    ", n)
		}
		b.WriteString("  }\n")
	}
	var outside []*Node
	for _, n := range byStack[""] {
		if !n.External {
			outside = append(outside, n)
		}
	}
	if len(outside) > 0 {
		fmt.Fprintf(&b, "  subgraph cluster_absent {\n    label=%s; style=\"dashed,rounded\"; color=\"#999999\";\n", quote("not in "+g.Env))
		for _, n := range outside {
			writeNode(&b, "    ", n)
		}
		b.WriteString("  }\n")
	}
	for _, n := range byStack[""] {
		if n.External {
			writeNode(&b, "  ", n)
		}
	}
	for _, e := range g.Edges {
		attrs := []string{}
		if e.Label != "" {
			attrs = append(attrs, "label="+quote(e.Label))
		}
		if g.byID[e.From].Placeholder || g.byID[e.To].Placeholder {
			attrs = append(attrs, "style=dashed", "color=\"#aaaaaa\"")
		}
		fmt.Fprintf(&b, "  %s -> %s", quote(e.From), quote(e.To))
		if len(attrs) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(attrs, ", "))
		}
		b.WriteString(";\n")
	}
	b.WriteString(g.legend())
	b.WriteString("}\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func writeNode(b *strings.Builder, indent string, n *Node) {
	title := n.Title
	if n.Capability > 0 && !n.External {
		title = fmt.Sprintf("%d · %s", n.Capability, title)
	}
	label := joinNonEmpty("\n", title, n.Detail)
	attrs := []string{"label=" + quote(label), "fillcolor=" + quote(colours[n.Capability])}
	switch {
	case n.Placeholder:
		attrs = append(attrs, "style=\"rounded,dashed\"", "color=\"#999999\"", "fontcolor=\"#666666\"")
	case n.External:
		attrs = append(attrs, "shape=ellipse", "style=filled", "fillcolor=\"#ffffff\"")
	}
	fmt.Fprintf(b, "%s%s [%s];\n", indent, quote(n.ID), strings.Join(attrs, ", "))
}

// legend is a table of the eight capabilities: colour, name, and whether
// this environment deploys it.
func (g *Graph) legend() string {
	present := map[int]bool{}
	for _, c := range g.Present() {
		present[c] = true
	}
	var b strings.Builder
	b.WriteString("  legend [shape=plaintext, style=\"\", label=<<table border=\"0\" cellborder=\"1\" cellspacing=\"0\" cellpadding=\"3\">")
	b.WriteString("<tr><td colspan=\"3\"><b>capabilities (README)</b></td></tr>")
	for _, c := range Capabilities {
		state := "in " + g.Env
		if !present[c.N] {
			state = "not in " + g.Env
		}
		fmt.Fprintf(&b, "<tr><td bgcolor=\"%s\">%d</td><td align=\"left\">%s</td><td>%s</td></tr>", colours[c.N], c.N, html(c.Name), html(state))
	}
	fmt.Fprintf(&b, "<tr><td bgcolor=\"%s\"> </td><td align=\"left\">cross-cutting: keys, VPC, event glue, audit</td><td></td></tr>", colours[0])
	b.WriteString("</table>>];\n")
	return b.String()
}

func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	return `"` + r.Replace(s) + `"`
}

func html(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
