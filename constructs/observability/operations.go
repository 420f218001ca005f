package observability

import (
	"net/mail"
	"net/url"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatchactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/secure"
	"github.com/biolake/biolake/constructs/validation"
)

// Props configure the operations topic.
type Props struct {
	// Key encrypts the topic; an imported key's policy must let CloudWatch
	// alarms (cloudwatch.amazonaws.com) call kms:Decrypt and
	// kms:GenerateDataKey* for this account's topics, as secure.ServiceSNS
	// does, since CDK cannot edit an imported key's policy. Default: nil,
	// and the construct creates a key with rotation on.
	Key awskms.IKey
	// Emails are subscribed to the topic; each address must confirm the
	// subscription from the mail AWS sends. Default: none.
	Emails []string
	// Webhooks are HTTPS URLs subscribed to the topic (a chat tool's
	// incoming webhook behind a relay, an incident tool's SNS endpoint).
	// SNS posts a SubscriptionConfirmation the endpoint must confirm.
	// Default: none.
	Webhooks []string
	// Slack channels the topic posts to through AWS Chatbot (free; the
	// workspace is authorized once in the Chatbot console). Default: none.
	Slack []SlackChannel
	// Teams channels the topic posts to through AWS Chatbot. Default:
	// none.
	Teams []TeamsChannel
}

// Validate checks p without building anything and returns every problem
// found, joined. New panics with the same errors. nil props are valid.
func (p *Props) Validate() error {
	if p == nil {
		return nil
	}
	var errs []error
	bad := validation.Collector("", &errs)
	seen := map[string]bool{}
	for _, e := range p.Emails {
		if !ValidEmail(e) {
			bad("Emails", e, "a plain e-mail address such as ops@example.org")
		} else if seen[strings.ToLower(e)] {
			bad("Emails", e, "each address once")
		}
		seen[strings.ToLower(e)] = true
	}
	for _, w := range p.Webhooks {
		if !ValidWebhook(w) {
			bad("Webhooks", w, "an https:// URL with a host, such as https://hooks.example.org/sns")
		} else if seen[w] {
			bad("Webhooks", w, "each URL once")
		}
		seen[w] = true
	}
	validateChat(p.Slack, p.Teams, bad)
	return validation.Join("", errs...)
}

// ValidEmail reports whether e is a plain address (no display name) with a
// dotted domain.
func ValidEmail(e string) bool {
	a, err := mail.ParseAddress(e)
	return err == nil && a.Address == e && a.Name == "" && strings.Contains(e[strings.LastIndex(e, "@")+1:], ".")
}

// ValidWebhook reports whether w is an https URL with a host and no user
// information (credentials belong in the receiving tool, not in the
// template).
func ValidWebhook(w string) bool {
	u, err := url.Parse(w)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil && u.Fragment == "" && !strings.ContainsAny(w, " \t\n")
}

// Operations is an environment's operations topic: every alarm of the
// platform notifies it (RouteAlarms), and the people and tools on call
// subscribe to it.
type Operations struct {
	constructs.Construct
	// Topic is the KMS-encrypted, TLS-only operations topic.
	Topic awssns.Topic
	// Key encrypts Topic.
	Key awskms.IKey
	// Chat are the AWS Chatbot channel configurations (Slack, then Teams),
	// each an awschatbot.CfnSlackChannelConfiguration or
	// CfnMicrosoftTeamsChannelConfiguration; none without Props.Slack or
	// Props.Teams.
	Chat []awscdk.CfnResource
	// ChatRole is the role the channels use (read-only CloudWatch); nil
	// without channels.
	ChatRole awsiam.IRole
}

// New creates the operations topic, its key (unless Props.Key) and the
// subscriptions. It panics, naming the construct path, when props are
// invalid.
func New(scope constructs.Construct, id string, props *Props) *Operations {
	validation.Check(validation.PathOf(scope, id), props.Validate())
	p := Props{}
	if props != nil {
		p = *props
	}
	o := &Operations{}
	constructs.NewConstruct_Override(o, scope, jsii.String(id))
	path := *o.Node().Path()
	o.Key = p.Key
	if o.Key == nil {
		o.Key = secure.NewKey(o, "Key", &secure.KeyProps{
			Description: "biolake operations " + path + ": alarm topic",
			Services:    []secure.Service{secure.ServiceSNS},
		})
	}
	o.Topic = awssns.NewTopic(o, jsii.String("Topic"), &awssns.TopicProps{
		DisplayName: jsii.String("biolake operations"),
		MasterKey:   o.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	secure.AllowAlarms(o.Topic)
	for _, e := range p.Emails {
		o.Topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(e), nil))
	}
	for _, w := range p.Webhooks {
		o.Topic.AddSubscription(awssnssubscriptions.NewUrlSubscription(jsii.String(w), &awssnssubscriptions.UrlSubscriptionProps{
			Protocol: awssns.SubscriptionProtocol_HTTPS,
		}))
	}
	o.addChat(p.Slack, p.Teams)
	return o
}

// RouteAlarms makes every CloudWatch alarm under scope (an App, a Stage, a
// stack or a construct) notify o.Topic; see RouteAlarms.
func (o *Operations) RouteAlarms(scope constructs.IConstruct) { RouteAlarms(scope, o.Topic) }

// RouteAlarms adds topic as an ALARM and an OK action to every CloudWatch
// alarm (awscloudwatch.Alarm and CompositeAlarm) under scope that does not
// notify it yet, including alarms created after the call: an aspect of
// mutating priority does it at synth, before the cdk-nag packs look at the
// alarms. Alarms in a stack of another region than topic's are left alone
// (an alarm can only notify a topic of its own region). A topic of another
// stack becomes a cross-stack reference, so topic's stack must not depend
// on the alarms' stacks.
func RouteAlarms(scope constructs.IConstruct, topic awssns.ITopic) {
	awscdk.Aspects_Of(scope).Add(&router{topic: topic}, &awscdk.AspectOptions{Priority: awscdk.AspectPriority_MUTATING()})
}

type router struct {
	topic awssns.ITopic
}

// Visit implements awscdk.IAspect.
func (r *router) Visit(node constructs.IConstruct) {
	type routable interface {
		AlarmActionArns() *[]*string
		OkActionArns() *[]*string
		AddAlarmAction(actions ...awscloudwatch.IAlarmAction)
		AddOkAction(actions ...awscloudwatch.IAlarmAction)
	}
	var a routable
	switch n := node.(type) {
	case awscloudwatch.Alarm:
		a = n
	case awscloudwatch.CompositeAlarm:
		a = n
	default:
		return
	}
	if *awscdk.Stack_Of(node).Region() != *awscdk.Stack_Of(r.topic).Region() {
		return
	}
	arn := *r.topic.TopicArn()
	action := awscloudwatchactions.NewSnsAction(r.topic)
	if !contains(a.AlarmActionArns(), arn) {
		a.AddAlarmAction(action)
	}
	if !contains(a.OkActionArns(), arn) {
		a.AddOkAction(action)
	}
}

func contains(list *[]*string, s string) bool {
	if list == nil {
		return false
	}
	for _, v := range *list {
		if v != nil && *v == s {
			return true
		}
	}
	return false
}

// Notifies reports whether alarm a notifies topic on ALARM (as routed by
// RouteAlarms or created with it).
func Notifies(a awscloudwatch.Alarm, topic awssns.ITopic) bool {
	return contains(a.AlarmActionArns(), *topic.TopicArn())
}
