package ml_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/internal/cdktest"
	"github.com/biolake/biolake/constructs/ml"
	"github.com/biolake/biolake/constructs/network"
	"github.com/biolake/biolake/constructs/validation"
)

// TestBadInput: each bad input stops New with a validation error naming
// the construct, the field, the bad value and what is accepted. One stack
// holds the networks and lakes; each case builds the domain under its own
// id (never synthesized).
func TestBadInput(t *testing.T) {
	var (
		stack         awscdk.Stack
		net           *network.Network
		publicOnly    network.INetwork
		lake          *datalake.DataLake
		noResultsLake datalake.ILake
	)
	msg, _ := cdktest.Catch(func() {
		_, stack = cdktest.NewStack("Bad")
		net = network.New(stack, "Network", nil)
		lake = datalake.New(stack, "DataLake", &datalake.Props{DisableBackup: true})
		// A VPC whose only subnets are public: what a domain must refuse.
		vpc := awsec2.Vpc_FromVpcAttributes(stack, jsii.String("PublicVpc"), &awsec2.VpcAttributes{
			VpcId:                     jsii.String("vpc-0123456789abcdef0"),
			AvailabilityZones:         jsii.Strings("eu-west-1a", "eu-west-1b"),
			PublicSubnetIds:           jsii.Strings("subnet-0aaaaaaaaaaaaaaa1", "subnet-0aaaaaaaaaaaaaaa2"),
			PublicSubnetRouteTableIds: jsii.Strings("rtb-0aaaaaaaaaaaaaaa1", "rtb-0aaaaaaaaaaaaaaa2"),
		})
		publicOnly = network.FromVpc(stack, "PublicNetwork", &network.FromVpcProps{
			Vpc: vpc, Subnets: *vpc.PublicSubnets(), Egress: true, CreateMissingEndpoints: true,
		})
		curated := awss3.Bucket_FromBucketName(stack, jsii.String("OnlyCurated"), jsii.String("lab-curated"))
		noResultsLake = datalake.FromBuckets(stack, "PartLake", &datalake.FromBucketsProps{
			Buckets: map[datalake.BucketName]datalake.BucketRef{datalake.BucketCurated: {Bucket: curated}},
		})
	})
	if msg != "" {
		t.Fatal(msg)
	}
	good := func() *ml.Props {
		return &ml.Props{Network: net, Lake: lake, UserProfiles: []string{"jdoe"}, FeatureGroup: features()}
	}
	cases := []struct {
		name   string
		change func(p *ml.Props)
		field  string
		want   string
	}{
		{"user profile with a space", func(p *ml.Props) { p.UserProfiles = []string{"j doe"} }, "Props.UserProfiles[0]", "a user profile name: letters, digits and '-'"},
		{"user profile ending in -", func(p *ml.Props) { p.UserProfiles = []string{"jdoe", "lab-"} }, "Props.UserProfiles[1]", "starting and ending with a letter or digit"},
		{"user profile too long", func(p *ml.Props) { p.UserProfiles = []string{strings.Repeat("a", 64)} }, "Props.UserProfiles[0]", "at most 63"},
		{"user profile twice", func(p *ml.Props) { p.UserProfiles = []string{"jdoe", "JDoe"} }, "Props.UserProfiles[1]", "not listed before"},
		{"idle timeout below SageMaker's minimum", func(p *ml.Props) { p.IdleTimeoutMinutes = 59 }, "Props.IdleTimeoutMinutes", "60 to 525600 minutes"},
		{"idle timeout above a year", func(p *ml.Props) { p.IdleTimeoutMinutes = 525601 }, "Props.IdleTimeoutMinutes", "60 to 525600 minutes"},
		{"idle timeout negative", func(p *ml.Props) { p.IdleTimeoutMinutes = -1 }, "Props.IdleTimeoutMinutes", "60 to 525600 minutes"},
		{"network without private subnets", func(p *ml.Props) { p.Network = publicOnly }, "Props.Network", "a network with private subnets"},
		{"no network", func(p *ml.Props) { p.Network = nil }, "Props.Network", "private subnets hold the domain"},
		{"no lake", func(p *ml.Props) { p.Lake = nil }, "Props.Lake", "curated and results buckets"},
		{"lake without a results bucket", func(p *ml.Props) { p.Lake = noResultsLake }, "Props.Lake", `the "results" bucket`},
		{"ML prefix escaping", func(p *ml.Props) { p.MLPrefix = "../raw/" }, "Props.MLPrefix", "a key prefix inside the results bucket"},
		{"domain name", func(p *ml.Props) { p.DomainName = "lab_domain" }, "Props.DomainName", "letters, digits and '-'"},
		{"registry name", func(p *ml.Props) { p.ModelPackageGroupName = "models!" }, "Props.ModelPackageGroupName", "letters, digits and '-'"},
		{"feature type", func(p *ml.Props) { p.FeatureGroup.Features[2].Type = "Float" }, "Props.FeatureGroup.Features[2].Type", "Integral, Fractional or String"},
		{"integral event time", func(p *ml.Props) { p.FeatureGroup.EventTime = "read_count" }, "Props.FeatureGroup.EventTime", "a Fractional or String feature"},
		{"unknown record identifier", func(p *ml.Props) { p.FeatureGroup.RecordIdentifier = "sample" }, "Props.FeatureGroup.RecordIdentifier", "one of FeatureGroup.Features"},
		{"feature group name", func(p *ml.Props) { p.FeatureGroup.Name = "-qc" }, "Props.FeatureGroup.Name", "letters, digits, '-' and '_'"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := good()
			c.change(p)
			id := fmt.Sprintf("Case%d", i)
			err := cdktest.CatchValidation(t, func() { ml.New(stack, id, p) })
			cdktest.HasField(t, err, "Bad/"+id, c.field)
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
	t.Run("nil props", func(t *testing.T) {
		err := cdktest.CatchValidation(t, func() { ml.New(stack, "NilProps", nil) })
		cdktest.HasField(t, err, "Bad/NilProps", "Props")
	})
	t.Run("the good props are accepted", func(t *testing.T) {
		if msg, panicked := cdktest.Catch(func() { ml.New(stack, "Good", good()) }); panicked {
			t.Fatal(msg)
		}
	})
	t.Run("open Studio as an unknown profile", func(t *testing.T) {
		var d *ml.Domain
		if msg, panicked := cdktest.Catch(func() { d = ml.New(stack, "Open", good()) }); panicked {
			t.Fatal(msg)
		}
		role := awsiam.NewRole(stack, jsii.String("Someone"), &awsiam.RoleProps{AssumedBy: awsiam.NewAccountRootPrincipal()})
		err := cdktest.CatchValidation(t, func() { d.GrantOpenStudio(role, "alice") })
		var ve *validation.Error
		if es := cdktest.ValidationErrors(t, err, "Bad/Open"); len(es) == 1 {
			ve = es[0]
		}
		if ve == nil || ve.Field != "GrantOpenStudio(profile)" || !strings.Contains(err.Error(), "jdoe") {
			t.Errorf("error %v, want GrantOpenStudio(profile) naming the profiles", err)
		}
	})
	t.Run("settings alone", func(t *testing.T) {
		p := &ml.Props{IdleTimeoutMinutes: 30, UserProfiles: []string{"ok", "not ok"}}
		err := p.ValidateSettings()
		es := cdktest.ValidationErrors(t, err, "")
		if len(es) != 2 {
			t.Errorf("ValidateSettings found %d problems, want 2: %v", len(es), err)
		}
	})
}
