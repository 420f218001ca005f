package verify

import (
	"log/slog"
	"time"
)

// Namespace and names of the metrics the verify handler publishes in
// CloudWatch embedded metric format (EMF): a log line that is a JSON object
// with an "_aws" member becomes metric values when CloudWatch Logs ingests
// it, with no API call and no extra permission
// (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html).
// They have no dimension. The dashboard of constructs/observability reads
// them; they are written with the "run ingested" line, at level info.
const (
	MetricNamespace       = "biolake/Verify"
	MetricVerifiedBytes   = "VerifiedBytes"
	MetricVerifiedObjects = "VerifiedObjects"
)

// emfAttrs returns the slog attributes that make a JSON log line an EMF
// record of one verified run of objects objects and bytes bytes, stamped
// at now.
func emfAttrs(now time.Time, objects, bytes int64) []any {
	return []any{
		slog.Any("_aws", map[string]any{
			"Timestamp": now.UnixMilli(),
			"CloudWatchMetrics": []any{map[string]any{
				"Namespace":  MetricNamespace,
				"Dimensions": []any{[]string{}},
				"Metrics": []any{
					map[string]any{"Name": MetricVerifiedBytes, "Unit": "Bytes"},
					map[string]any{"Name": MetricVerifiedObjects, "Unit": "Count"},
				},
			}},
		}),
		slog.Int64(MetricVerifiedBytes, bytes),
		slog.Int64(MetricVerifiedObjects, objects),
	}
}
