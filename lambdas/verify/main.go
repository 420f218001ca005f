// Command verify is the verify Lambda, both Lambda steps of the verify Step
// Functions flow (logic in internal/verify):
//
//   - VerifyRun: input the RunCompleted detail ($.detail of the EventBridge
//     event; "action" absent or "verify"); output {"run","verifyId",
//     "manifestVersionId","summary","results","large"}.
//   - FinalizeRun: input {"action":"finalize","run":<VerifyRun output>,
//     "large":[<Map results>]}; publishes RunIngested (once per run) or
//     IntegrityFailed events, copies verified partner data to the accepted
//     prefix, exports the catalog as Parquet; output a summary.
//
// Errors carry an errorType Step Functions can match: ErrInvalidRequest,
// ErrUnsupportedInput, ErrManifest, ErrS3, ErrTooManyLargeObjects,
// ErrRunNotFound, ErrRunState, ErrExport, ErrStore, ErrConflict, ErrPublish,
// ErrMalformedEvent, ErrInvalidEvent, ErrUnsupportedVersion.
//
// Environment:
//
//	CATALOG_TABLE        DynamoDB catalog table name (required)
//	EVENT_BUS_NAME       EventBridge bus name or ARN (default: the default bus)
//	QUARANTINE_PREFIX    partner data landing prefix (default "quarantine/")
//	ACCEPTED_PREFIX      where verified partner data is copied (default "accepted/")
//	MAX_STREAM_BYTES     larger objects go to the Batch verifier (default 2147483648)
//	STREAM_BUDGET_BYTES  bytes one VerifyRun streams at most (default 68719476736)
//	VERIFY_CONCURRENCY   objects checked at once (default 16)
//	STREAM_CONCURRENCY   objects streamed and hashed at once (default 2)
//	CATALOG_BUCKET       bucket of the Parquet catalog export ("" : no export)
//	CATALOG_PREFIX       key prefix of the export (default "catalog/")
//	LOG_LEVEL            debug, info, warn or error (default info)
//	BIOLAKE_INIT_ONLY    "1": build everything, then exit before lambda.Start
//	                     (cold-start measurements)
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/biolake/biolake/internal/bus"
	"github.com/biolake/biolake/internal/catalog"
	"github.com/biolake/biolake/internal/catalogexport"
	"github.com/biolake/biolake/internal/lambdamain"
	"github.com/biolake/biolake/internal/verify"
)

type settings struct {
	Table             string
	BusName           string
	Quarantine        string
	Accepted          string
	Concurrency       int
	StreamConcurrency int
	MaxStreamBytes    int64
	StreamBudget      int64
	CatalogBucket     string
	CatalogPrefix     string
	Level             slog.Level
}

func loadSettings(getenv func(string) string) (settings, error) {
	s := settings{
		Table:         strings.TrimSpace(getenv("CATALOG_TABLE")),
		BusName:       strings.TrimSpace(getenv("EVENT_BUS_NAME")),
		Quarantine:    getenv("QUARANTINE_PREFIX"),
		Accepted:      getenv("ACCEPTED_PREFIX"),
		CatalogBucket: strings.TrimSpace(getenv("CATALOG_BUCKET")),
		CatalogPrefix: getenv("CATALOG_PREFIX"),
	}
	if s.Table == "" {
		return s, fmt.Errorf("CATALOG_TABLE is not set")
	}
	for name, p := range map[string]string{"QUARANTINE_PREFIX": s.Quarantine, "ACCEPTED_PREFIX": s.Accepted, "CATALOG_PREFIX": s.CatalogPrefix} {
		if p != "" && (!strings.HasSuffix(p, "/") || strings.HasPrefix(p, "/")) {
			return s, fmt.Errorf("%s %q: want a relative prefix ending in \"/\"", name, p)
		}
	}
	q, a := s.Quarantine, s.Accepted
	if q == "" {
		q = "quarantine/"
	}
	if a == "" {
		a = "accepted/"
	}
	if strings.HasPrefix(q, a) || strings.HasPrefix(a, q) {
		return s, fmt.Errorf("QUARANTINE_PREFIX %q and ACCEPTED_PREFIX %q overlap", q, a)
	}
	level, err := lambdamain.LogLevel(getenv)
	if err != nil {
		return s, err
	}
	s.Level = level
	var conc, sconc int64
	for _, v := range []struct {
		name string
		dst  *int64
		min  int64
	}{
		{"VERIFY_CONCURRENCY", &conc, 1}, {"STREAM_CONCURRENCY", &sconc, 1},
		{"MAX_STREAM_BYTES", &s.MaxStreamBytes, 1}, {"STREAM_BUDGET_BYTES", &s.StreamBudget, 1},
	} {
		raw := strings.TrimSpace(getenv(v.name))
		if raw == "" {
			continue
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n < v.min || (v.dst == &conc || v.dst == &sconc) && n > 1024 {
			return s, fmt.Errorf("%s %q: want an integer >= %d", v.name, raw, v.min)
		}
		*v.dst = n
	}
	s.Concurrency, s.StreamConcurrency = int(conc), int(sconc)
	return s, nil
}

func main() {
	s, err := loadSettings(os.Getenv)
	logger, cfg := lambdamain.Init(s.Level, err)
	s3c := s3.NewFromConfig(cfg)
	store := catalog.NewDynamo(dynamodb.NewFromConfig(cfg), s.Table)
	v := &verify.Verifier{
		S3:                s3c,
		Store:             store,
		Publisher:         &bus.EventBridge{Client: eventbridge.NewFromConfig(cfg), BusName: s.BusName},
		Logger:            logger,
		QuarantinePrefix:  s.Quarantine,
		AcceptedPrefix:    s.Accepted,
		Concurrency:       s.Concurrency,
		StreamConcurrency: s.StreamConcurrency,
		MaxStreamBytes:    s.MaxStreamBytes,
		StreamBudget:      s.StreamBudget,
	}
	if s.CatalogBucket != "" {
		v.Exporter = &catalogexport.Exporter{Store: store, S3: s3c, Bucket: s.CatalogBucket, Prefix: s.CatalogPrefix}
	}
	lambdamain.Start(v.Handle)
}
