// Command ingest is the ingest Lambda: SQS batches of S3 "Object Created"
// events, successful DataSync task executions and sweep schedules in;
// catalog records, data-class tags on data objects, and
// DatasetReceived/RunCompleted events out. The logic is in internal/ingest;
// this file only wires it.
//
// Environment:
//
//	CATALOG_TABLE            DynamoDB catalog table name (required)
//	RUN_RULES                JSON array of run rules, see runs.ParseRules (required), e.g.
//	                         [{"prefix":"runs/","profile":"novaseq-x","manifest":"manifest.sha256","channel":"datasync"}]
//	EVENT_BUS_NAME           EventBridge bus name or ARN (default: the default bus)
//	LOG_LEVEL                debug, info, warn or error (default info)
//	BATCH_CONCURRENCY        records of a batch handled at once (default 8)
//	MANIFEST_MAX_LINE_BYTES  longest manifest line accepted (default 16384)
//	DATA_CLASSES             JSON object of data class to key suffixes, e.g.
//	                         {"fastq":[".fastq.gz",".fq.gz"],"alignment":[".bam",".cram"]}
//	                         (default: the built-in classes, see internal/dataclass;
//	                         {} tags nothing)
//	BIOLAKE_INIT_ONLY        "1": build everything, then exit before lambda.Start
//	                         (cold-start measurements)
//
// IAM: dynamodb:TransactWriteItems/UpdateItem/GetItem/Query/DeleteItem on
// the table (the transaction's Put and Update need dynamodb:PutItem and
// dynamodb:UpdateItem; Query and DeleteItem serve the pending runs),
// s3:GetObject and s3:GetObjectVersion (manifests, and HeadObject of
// ambiguous keys), s3:ListBucket (so a missing key is a 404),
// s3:PutObjectTagging and s3:PutObjectVersionTagging (data-class tags),
// datasync:DescribeTaskExecution/DescribeTask/DescribeLocationS3 (where a
// rule relies on DataSync evidence), events:PutEvents on the bus.
//
// The SQS event source mapping must enable ReportBatchItemFailures.
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/datasync"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/dataclass"
	"github.com/biolake/biolake/internal/ingest"
	"github.com/biolake/biolake/internal/lambdamain"
	"github.com/biolake/biolake/internal/runs"
)

// settings is the handler's configuration from the environment.
type settings struct {
	Table        string
	Resolver     *runs.Resolver
	BusName      string
	Level        slog.Level
	Concurrency  int
	ManifestLine int
	Classes      dataclass.Classes
}

func loadSettings(getenv func(string) string) (settings, error) {
	var s settings
	s.Table = strings.TrimSpace(getenv("CATALOG_TABLE"))
	if s.Table == "" {
		return s, fmt.Errorf("CATALOG_TABLE is not set")
	}
	rules := getenv("RUN_RULES")
	if strings.TrimSpace(rules) == "" {
		return s, fmt.Errorf("RUN_RULES is not set")
	}
	r, err := runs.ParseRules([]byte(rules))
	if err != nil {
		return s, fmt.Errorf("RUN_RULES: %w", err)
	}
	s.Resolver = r
	s.BusName = strings.TrimSpace(getenv("EVENT_BUS_NAME"))
	classes, err := dataclass.Parse([]byte(getenv("DATA_CLASSES")))
	if err != nil {
		return s, fmt.Errorf("DATA_CLASSES: %w", err)
	}
	s.Classes = classes
	level, err := lambdamain.LogLevel(getenv)
	if err != nil {
		return s, err
	}
	s.Level = level
	for _, v := range []struct {
		name string
		dst  *int
	}{{"BATCH_CONCURRENCY", &s.Concurrency}, {"MANIFEST_MAX_LINE_BYTES", &s.ManifestLine}} {
		if raw := getenv(v.name); raw != "" {
			n, err := strconv.Atoi(raw)
			if err != nil || n < 1 {
				return s, fmt.Errorf("%s %q: want a positive integer", v.name, raw)
			}
			*v.dst = n
		}
	}
	return s, nil
}

func main() {
	s, err := loadSettings(os.Getenv)
	logger, cfg := lambdamain.Init(s.Level, err)
	s3c := s3.NewFromConfig(cfg)
	h := &ingest.Handler{
		Store:                catalog.NewDynamo(dynamodb.NewFromConfig(cfg), s.Table),
		Resolver:             s.Resolver,
		Publisher:            &bus.EventBridge{Client: eventbridge.NewFromConfig(cfg), BusName: s.BusName},
		S3:                   s3c,
		DataSync:             datasync.NewFromConfig(cfg),
		Tagger:               s3c,
		Classes:              s.Classes,
		Logger:               logger,
		Concurrency:          s.Concurrency,
		ManifestMaxLineBytes: s.ManifestLine,
	}
	lambdamain.Start(h.Handle)
}
