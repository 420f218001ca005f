package ml

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// Querier is what the domain needs of an Athena workgroup: a grant that
// lets a role query through it. *analytics.Analytics implements it.
type Querier interface {
	GrantQuery(grantee awsiam.IGrantable) awsiam.Grant
}

// FeatureType is the type of a feature of a feature group.
type FeatureType string

// Feature types SageMaker Feature Store accepts.
const (
	Integral   FeatureType = "Integral"
	Fractional FeatureType = "Fractional"
	String     FeatureType = "String"
)

// Feature is one feature (column) of a feature group.
type Feature struct {
	// Name: letters, digits, '-' and '_', starting and ending with a
	// letter or digit, at most 64. Required; no default.
	Name string
	// Type: Integral, Fractional or String. Required; no default.
	Type FeatureType
}

// FeatureGroup is a SageMaker Feature Store feature group whose offline
// store lies in the lake, under the ML prefix of the results bucket.
type FeatureGroup struct {
	// Name of the feature group: letters, digits, '-' and '_', starting
	// and ending with a letter or digit, at most 64. Required; no default.
	Name string
	// RecordIdentifier names the feature that identifies a record.
	// Required; no default.
	RecordIdentifier string
	// EventTime names the feature that holds a record's event time (a
	// Fractional or String feature). Required; no default.
	EventTime string
	// Features of the group, without duplicates; they include
	// RecordIdentifier and EventTime. Required; no default.
	Features []Feature
	// OnlineStore adds an online store (low-latency reads of the latest
	// record), encrypted with Props.Key. It bills for storage and requests
	// only. Default: false (offline store only).
	OnlineStore bool
}

// Props configures a Domain.
type Props struct {
	// Network places the domain: its private subnets (VpcOnly; public
	// subnets are refused) and the interface endpoints Studio calls.
	// Required; no default.
	Network network.INetwork
	// Lake holds the curated and results buckets: the execution role reads
	// both and writes only under MLPrefix of the results bucket. Required;
	// no default.
	Lake datalake.ILake
	// Key encrypts the domain's home file system (EFS), its apps' storage
	// volumes (EBS) and the feature group's online store. Its key policy
	// must let this account's IAM policies grant its use (the account
	// statement of a default key policy). Default: nil, and the construct
	// creates a key with rotation on.
	Key awskms.IKey
	// DomainName of the SageMaker domain: letters, digits and '-', starting
	// and ending with a letter or digit, at most 63. Default: the construct
	// path with '-' for other characters.
	DomainName string
	// UserProfiles are the names of the domain's user profiles (one per
	// scientist), without duplicates: letters, digits and '-', starting
	// and ending with a letter or digit, at most 63. Default: none (profiles
	// are added later).
	UserProfiles []string
	// IdleTimeoutMinutes shuts a JupyterLab or Code Editor app down after
	// this long idle, 60 to 525600 (what SageMaker accepts); users may
	// choose a shorter time, never a longer one. Default: 60.
	IdleTimeoutMinutes int
	// MLPrefix is the only prefix of the results bucket the execution role
	// writes under (and the feature group's offline store lies in). A key
	// prefix, never "". Default: "ml/".
	MLPrefix string
	// ModelPackageGroupName names the model registry's group: letters,
	// digits and '-', starting and ending with a letter or digit, at most
	// 63. Default: DomainName + "-models" (cut to 63).
	ModelPackageGroupName string
	// Query, when set, lets the execution role (and so every user profile)
	// query through an Athena workgroup (analytics.GrantQuery), and
	// requires the Athena endpoint. Default: nil (no Athena).
	Query Querier
	// FeatureGroup, when set, creates a feature group whose offline store
	// lies under MLPrefix + "feature-store/" of the results bucket,
	// encrypted with that bucket's key (no Glue table is created).
	// Default: nil (none).
	FeatureGroup *FeatureGroup
}

// Defaults and limits.
const (
	DefaultIdleTimeoutMinutes = 60
	// MinIdleTimeoutMinutes and MaxIdleTimeoutMinutes are the range
	// AWS::SageMaker::Domain IdleSettings accepts.
	MinIdleTimeoutMinutes = 60
	MaxIdleTimeoutMinutes = 525600
	DefaultMLPrefix       = "ml/"
	// FeatureStorePrefix is where, under the ML prefix, the offline store
	// lies.
	FeatureStorePrefix = "feature-store/"
)

// Where ML operations keep their data, each under the ML prefix of the
// results bucket.
const (
	// CodePrefix holds the processing and evaluation scripts jobs run.
	CodePrefix = "code/"
	// FeaturesPrefix holds the features a processing job writes and
	// training reads.
	FeaturesPrefix = "features/"
	// ModelsPrefix holds the model artifacts training jobs write and
	// endpoints load.
	ModelsPrefix = "models/"
	// EvaluationPrefix holds the evaluation reports of pipeline runs.
	EvaluationPrefix = "evaluation/"
	// LabelingPrefix holds labeling jobs' input manifests and data and
	// their output.
	LabelingPrefix = "labeling/"
	// DataCapturePrefix holds the requests and responses endpoints
	// capture.
	DataCapturePrefix = "data-capture/"
)

// Registry is a model registry's group: where a pipeline registers models
// and whose approvals a deployment follows. *Domain implements it.
type Registry interface {
	ModelPackageGroupName() string
	ModelPackageGroupArn() string
}

// Endpoints are the interface endpoints Studio in VpcOnly mode calls from
// the network: the SageMaker API (also CreatePresignedDomainUrl) and
// runtime, Studio itself (for browsers inside the network), STS (the
// SageMaker Python SDK asks who it is) and CloudWatch Logs (the SDK reads
// jobs' logs). Athena joins them with Props.Query.
var Endpoints = []network.Endpoint{
	network.EndpointSageMakerAPI, network.EndpointSageMakerRuntime, network.EndpointSageMakerStudio,
	network.EndpointSTS, network.EndpointLogs,
}

var (
	// nameRE is SageMaker's pattern for domain, user profile and model
	// package group names.
	nameRE = regexp.MustCompile(`^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$`)
	// featureRE is Feature Store's pattern for feature group and feature
	// names.
	featureRE = regexp.MustCompile(`^[a-zA-Z0-9]([-_]*[a-zA-Z0-9]){0,63}$`)
)

// resolved are the props with defaults applied.
type resolved struct {
	Props
	subnets *awsec2.SelectedSubnets
}

// ValidateSettings checks every setting but Network and Lake (a config
// layer checks an environment file with it before any construct exists)
// and returns every problem, joined.
func (p *Props) ValidateSettings() error {
	if p == nil {
		return validation.New("", "Props", validation.Raw("nil"), "props with Network and Lake set")
	}
	var errs []error
	bad := validation.Collector("", &errs)
	if p.DomainName != "" && !nameRE.MatchString(p.DomainName) {
		bad("DomainName", p.DomainName, "letters, digits and '-', starting and ending with a letter or digit, at most 63")
	}
	seen := map[string]bool{}
	for i, u := range p.UserProfiles {
		f := fmt.Sprintf("UserProfiles[%d]", i)
		switch {
		case !nameRE.MatchString(u):
			bad(f, u, "a user profile name: letters, digits and '-', starting and ending with a letter or digit, at most 63 (such as \"jdoe\" or \"lab-1\")")
		case seen[strings.ToLower(camel(u))]:
			bad(f, u, "a name not listed before (names are compared ignoring case and '-')")
		}
		seen[strings.ToLower(camel(u))] = true
	}
	if t := p.IdleTimeoutMinutes; t != 0 && (t < MinIdleTimeoutMinutes || t > MaxIdleTimeoutMinutes) {
		bad("IdleTimeoutMinutes", t, "%d to %d minutes (what SageMaker accepts), or 0 for %d", MinIdleTimeoutMinutes, MaxIdleTimeoutMinutes, DefaultIdleTimeoutMinutes)
	}
	if p.MLPrefix != "" {
		if _, err := datalake.NormalizePrefix(p.MLPrefix); err != nil || strings.Contains(p.MLPrefix, "://") {
			bad("MLPrefix", p.MLPrefix, "a key prefix inside the results bucket, such as %q: no leading \"/\", no \"..\", \"*\", \"?\" or \"s3://\"", DefaultMLPrefix)
		}
	}
	if p.ModelPackageGroupName != "" && !nameRE.MatchString(p.ModelPackageGroupName) {
		bad("ModelPackageGroupName", p.ModelPackageGroupName, "letters, digits and '-', starting and ending with a letter or digit, at most 63")
	}
	if fg := p.FeatureGroup; fg != nil {
		if !featureRE.MatchString(fg.Name) {
			bad("FeatureGroup.Name", fg.Name, "letters, digits, '-' and '_', starting and ending with a letter or digit, at most 64")
		}
		names := map[string]FeatureType{}
		if len(fg.Features) == 0 {
			bad("FeatureGroup.Features", validation.Raw("[]"), "at least the record identifier and event time features")
		}
		for i, f := range fg.Features {
			field := fmt.Sprintf("FeatureGroup.Features[%d]", i)
			if !featureRE.MatchString(f.Name) {
				bad(field+".Name", f.Name, "letters, digits, '-' and '_', starting and ending with a letter or digit, at most 64")
			} else if _, dup := names[strings.ToLower(f.Name)]; dup {
				bad(field+".Name", f.Name, "a name not listed before (names are compared case-insensitively)")
			}
			if !slices.Contains([]FeatureType{Integral, Fractional, String}, f.Type) {
				bad(field+".Type", string(f.Type), "Integral, Fractional or String")
			}
			names[strings.ToLower(f.Name)] = f.Type
		}
		if len(fg.Features) > 0 {
			if _, ok := names[strings.ToLower(fg.RecordIdentifier)]; !ok {
				bad("FeatureGroup.RecordIdentifier", fg.RecordIdentifier, "the name of one of FeatureGroup.Features")
			}
			switch t, ok := names[strings.ToLower(fg.EventTime)]; {
			case !ok:
				bad("FeatureGroup.EventTime", fg.EventTime, "the name of one of FeatureGroup.Features")
			case t == Integral:
				bad("FeatureGroup.EventTime", fg.EventTime, "a Fractional or String feature (Feature Store refuses an Integral event time)")
			}
		}
	}
	return validation.Join("", errs...)
}

// validate checks p at path and returns it with defaults, or the
// validation errors.
func validate(path string, p *Props) (*resolved, error) {
	if p == nil {
		return nil, validation.New(path, "Props", validation.Raw("nil"), "props with Network and Lake set")
	}
	var errs []error
	if err := p.ValidateSettings(); err != nil {
		errs = append(errs, err)
	}
	bad := validation.Collector("", &errs)
	r := &resolved{Props: *p}
	r.UserProfiles = slices.Clone(p.UserProfiles)
	if p.Network == nil {
		bad("Network", validation.Raw("nil"), "the network.INetwork whose private subnets hold the domain")
	} else {
		r.subnets = privateSubnets(p.Network)
		if r.subnets == nil {
			bad("Network", validation.Raw(*p.Network.Node().Path()), "a network with private subnets: a VpcOnly domain runs its apps in private subnets only, and this network's workload subnets are missing or public")
		}
	}
	if p.Lake == nil {
		bad("Lake", validation.Raw("nil"), "the datalake.ILake whose curated and results buckets the execution role reads")
	} else if err := datalake.RequireBuckets("", "Props.Lake", p.Lake, datalake.BucketCurated, datalake.BucketResults); err != nil {
		errs = append(errs, err)
	}
	if len(errs) > 0 {
		return nil, validation.Join(path, errs...)
	}
	if r.IdleTimeoutMinutes == 0 {
		r.IdleTimeoutMinutes = DefaultIdleTimeoutMinutes
	}
	if r.MLPrefix == "" {
		r.MLPrefix = DefaultMLPrefix
	}
	r.MLPrefix, _ = datalake.NormalizePrefix(r.MLPrefix)
	if r.DomainName == "" {
		r.DomainName = shortName(path)
	}
	if r.ModelPackageGroupName == "" {
		r.ModelPackageGroupName = shortName(r.DomainName + "-models")
	}
	return r, nil
}

// shortName makes a SageMaker name of s: runs of other characters become
// one '-', and it is cut to 63 without a trailing '-'.
func shortName(s string) string {
	n := strings.Trim(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(s, "-"), "-")
	if len(n) > 63 {
		n = strings.TrimRight(n[:63], "-")
	}
	return n
}

// privateSubnets returns the network's workload subnets, or nil when there
// are none or one of them is a public subnet of the VPC.
func privateSubnets(n network.INetwork) (sel *awsec2.SelectedSubnets) {
	defer func() {
		if recover() != nil {
			sel = nil // the selection names a subnet type the VPC lacks
		}
	}()
	vpc := n.Vpc()
	if vpc == nil {
		return nil
	}
	s := vpc.SelectSubnets(n.PrivateSubnets())
	if s == nil || s.SubnetIds == nil || len(*s.SubnetIds) == 0 {
		return nil
	}
	public := map[string]bool{}
	if ps := vpc.PublicSubnets(); ps != nil {
		for _, sn := range *ps {
			public[*sn.SubnetId()] = true
		}
	}
	for _, id := range *s.SubnetIds {
		if public[*id] {
			return nil
		}
	}
	return s
}
