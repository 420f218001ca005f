package test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/internal/iamproof"
)

// The Batch jobs' part of the permission proof: each workflow step's job
// role against the contract of docs/WORKFLOWS.md ("The job's role may read
// the buckets the step lists and write only under workflows/<workflow>/ of
// the results bucket"), and the Nextflow task role against docs/NEXTFLOW.md
// (read the data buckets, write only under nextflow/), both ways: what the
// contract allows is allowed, a write elsewhere and a read of a bucket the
// step does not list are denied. And no state machine may submit a job
// definition its own Tasks do not name.

// jobCase is one job role with its contract.
type jobCase struct {
	label  string
	role   *iamproof.Principal
	reads  []datalake.BucketName
	writes string // prefix of the results bucket
}

// bucketID is the logical id (without CDK's hash) of a data bucket.
func bucketID(b datalake.BucketName) string {
	return "DataLake" + strings.ToUpper(string(b[:1])) + string(b[1:])
}

// jobRequests returns the allowed and the denied requests of c.
func jobRequests(t *testing.T, e *iamproof.Env, c jobCase) (allow, deny []iamproof.Request) {
	t.Helper()
	key, err := e.ARN("DataLakeDataKey")
	if err != nil {
		t.Fatal(err)
	}
	bucket := func(b datalake.BucketName) string {
		arn, err := e.ARN(bucketID(b))
		if err != nil {
			t.Fatal(err)
		}
		return arn
	}
	keyRes, err := e.Lookup("DataLakeDataKey")
	if err != nil {
		t.Fatal(err)
	}
	region := keyRes.Region()
	viaS3 := func(b string) map[string][]string {
		return map[string][]string{"kms:ViaService": {"s3." + region + ".amazonaws.com"}, "kms:EncryptionContext:aws:s3:arn": {b}}
	}
	req := func(call, action, resource string, ctx map[string][]string) iamproof.Request {
		return iamproof.Request{Principal: c.role, Call: c.label + " " + call, Action: action, Resource: resource, Context: ctx}
	}
	read := map[datalake.BucketName]bool{}
	for _, b := range c.reads {
		read[b] = true
		arn := bucket(b)
		allow = append(allow,
			req("reads s3://"+string(b)+"/runs/r1/", "s3:ListBucket", arn, map[string][]string{"s3:prefix": {"runs/r1/"}}),
			req("reads an input", "s3:GetObject", arn+"/runs/r1/sample1.fastq.gz", nil),
			req("decrypts an input", "kms:Decrypt", key, viaS3(arn)))
	}
	results := bucket(datalake.BucketResults)
	allow = append(allow,
		req("writes its results", "s3:PutObject", results+"/"+c.writes+"r1/sample1/out.bam", nil),
		req("encrypts its results", "kms:GenerateDataKey", key, viaS3(results)))
	deny = append(deny,
		req("writes outside "+c.writes, "s3:PutObject", results+"/elsewhere/r1/out.bam", nil))
	for _, b := range datalake.DataBucketNames() {
		if !read[b] {
			deny = append(deny, req("reads a bucket it does not list", "s3:GetObject", bucket(b)+"/runs/r1/sample1.fastq.gz", nil))
		}
	}
	return allow, deny
}

func TestBatchJobPermissions(t *testing.T) {
	s := synthAll(t)
	total := 0
	for _, env := range s.Envs {
		e := proofEnv(t, s, env)
		cfg := environment(t, env)
		var cases []jobCase
		for _, w := range cfg.Compute.Workflows {
			for _, st := range w.Steps {
				role, err := e.JobRole("Batch" + w.Name + st.Name + "Definition")
				if err != nil {
					t.Fatalf("%s: workflow %s step %s: %v", env, w.Name, st.Name, err)
				}
				reads := datalake.DataBucketNames()
				if len(st.Reads) > 0 {
					reads = nil
					for _, r := range st.Reads {
						reads = append(reads, datalake.BucketName(r))
					}
				}
				cases = append(cases, jobCase{label: "step " + w.Name + "/" + st.Name, role: role, reads: reads, writes: "workflows/" + w.Name + "/"})
			}
		}
		if cfg.Compute.Nextflow.Enabled {
			role, err := e.Role("NextflowTaskRole")
			if err != nil {
				t.Fatalf("%s: %v", env, err)
			}
			cases = append(cases, jobCase{label: "Nextflow tasks", role: role, reads: datalake.DataBucketNames(), writes: "nextflow/"})
		}
		var allow, deny []iamproof.Request
		for _, c := range cases {
			a, d := jobRequests(t, e, c)
			allow, deny = append(allow, a...), append(deny, d...)
		}
		// No state machine submits a job definition its Tasks do not name
		// (the Nextflow head job's role may register definitions and pass
		// roles).
		for _, sm := range e.Resources("AWS::StepFunctions::StateMachine") {
			role, err := e.StateMachineRole(strings.TrimPrefix(sm.Stack.Name, env+"-") + "/" + sm.ID)
			if err != nil {
				t.Fatal(err)
			}
			def, err := e.Resolve(sm.Stack, sm.Properties["DefinitionString"])
			if err != nil {
				t.Fatal(err)
			}
			for _, jd := range e.Resources("AWS::Batch::JobDefinition") {
				if !strings.Contains(fmt.Sprint(def), jd.Ref) {
					deny = append(deny, iamproof.Request{Principal: role, Call: sm.ID + " submits a job definition it does not use (" + jd.ID + ")",
						Action: "batch:SubmitJob", Resource: jd.Ref})
				}
			}
		}
		rep, err := iamproof.Evaluate(append(append([]iamproof.Request{}, allow...), deny...))
		if err != nil {
			t.Fatalf("%s: %v", env, err)
		}
		for i, d := range rep.Decisions {
			if want := i < len(allow); d.Allowed() != want {
				if want {
					t.Errorf("%s: %s", env, d)
				} else {
					t.Errorf("%s: %s is allowed, and the contract says it must not be", env, d.Request)
				}
			}
		}
		t.Logf("%s: %d job roles, %d requests checked (%d to allow, %d to deny)", env, len(cases), rep.Checked, len(allow), len(deny))
		total += rep.Checked
	}
	t.Logf("Batch jobs: %d requests checked in %d environments", total, len(s.Envs))
}
