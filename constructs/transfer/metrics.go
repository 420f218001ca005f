package transfer

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
)

// Authentication failures are not a metric of AWS/Transfer (which has
// BytesIn, BytesOut, FilesIn, FilesOut and the workflow counts): the
// server writes one JSON entry with "activity-type": "AUTH_FAILURE" to its
// structured log (LogGroup) per refused login, and a metric filter on the
// log group counts them.
const (
	// MetricNamespace is the namespace of the metrics biolake makes from
	// the server's logs.
	MetricNamespace = "biolake/Transfer"
	// MetricAuthenticationFailures is the metric the filter publishes.
	MetricAuthenticationFailures = "AuthenticationFailures"
	// AuthFailurePattern selects the refused logins in the structured log.
	AuthFailurePattern = `{ $.activity-type = "AUTH_FAILURE" }`
)

// newAuthenticationFailuresFilter counts the refused logins of the
// structured log.
func (s *Server) newAuthenticationFailuresFilter() {
	s.authFailures = awslogs.NewMetricFilter(s, jsii.String("AuthenticationFailuresFilter"), &awslogs.MetricFilterProps{
		LogGroup:        s.LogGroup,
		FilterPattern:   awslogs.FilterPattern_Literal(jsii.String(AuthFailurePattern)),
		MetricNamespace: jsii.String(MetricNamespace),
		MetricName:      jsii.String(MetricAuthenticationFailures),
		MetricValue:     jsii.String("1"),
	})
}

// MetricAuthenticationFailures is the number of refused logins: a wrong
// password or key, an unknown user, or a partner the identity provider did
// not admit (biolake/Transfer AuthenticationFailures, a metric filter on
// LogGroup for "activity-type" AUTH_FAILURE; no dimensions, so biolake
// servers in one account and region share it). A few are normal; many
// from one address are a guessing attack (the log entries have the source
// IP). Default: Sum over alarm.Period (five minutes).
func (s *Server) MetricAuthenticationFailures(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return s.authFailures.Metric(alarm.Options(opts, alarm.Sum))
}

// MetricIdentityProviderErrors is the number of invocations of the
// identity provider that ended in an error, as opposed to a refused login
// (AWS/Lambda Errors, dimension FunctionName): partners cannot log in.
// Default: Sum over alarm.Period.
func (s *Server) MetricIdentityProviderErrors(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return s.IdentityProvider.MetricErrors(alarm.Options(opts, alarm.Sum))
}

// MetricIdentityProviderThrottles is the number of invocations of the
// identity provider that were throttled (AWS/Lambda Throttles): logins
// beyond its reserved concurrency fail. Default: Sum over alarm.Period.
func (s *Server) MetricIdentityProviderThrottles(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	return s.IdentityProvider.MetricThrottles(alarm.Options(opts, alarm.Sum))
}
