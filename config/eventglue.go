package config

import (
	"fmt"
	"time"

	"github.com/biolake/biolake/constructs/datalake"
	"github.com/biolake/biolake/constructs/eventglue"
)

// EventGlue settings: how runs are recognised, and the handlers that
// record, verify and restore them.
type EventGlue struct {
	// RunRules say which prefixes of which bucket hold runs, of which
	// instrument profile. Default: one rule per dataSync source (or raw
	// "runs/" as NovaSeq X without DataSync), and partner "quarantine/" as
	// generic datasets with a manifest (eventglue.DefaultRunRules).
	RunRules []RunRule `yaml:"runRules"`
	// ReservedConcurrency of each handler. Default: ingest 20, verify 10, restore 5.
	ReservedConcurrency Concurrency `yaml:"reservedConcurrency"`
	// MapConcurrency is how many large objects are verified at once by
	// AWS Batch. Default: 10.
	MapConcurrency int `yaml:"mapConcurrency"`
	// ArchiveRetentionDays of the event bus archive (for replay). Default: 365.
	ArchiveRetentionDays int `yaml:"archiveRetentionDays"`
	// RestoreTier for archived inputs: Bulk or Standard. Default: Bulk.
	RestoreTier string `yaml:"restoreTier"`
	// RestoreDays a restored copy stays readable, 1 to 365. Default: 7.
	RestoreDays int `yaml:"restoreDays"`
	// AlarmEmail subscribes an address to the alarm topic. Default: none.
	AlarmEmail string `yaml:"alarmEmail"`
	// LogLevel of the handlers: debug, info, warn or error. Default: info.
	LogLevel string `yaml:"logLevel"`
	// StartWorkflowsOnSettled lets the workflows start on runs verified
	// only by a settle window (RunIngested verifiedBy "settled": no
	// manifest, no DataSync evidence, nothing compared). Default: false:
	// workflows start on runs verified by their manifest or by DataSync.
	StartWorkflowsOnSettled bool `yaml:"startWorkflowsOnSettled"`
}

// Concurrency per handler; 0 keeps the default.
type Concurrency struct {
	Ingest  int `yaml:"ingest"`
	Verify  int `yaml:"verify"`
	Restore int `yaml:"restore"`
}

// RunRule is one prefix of runs.
type RunRule struct {
	// Bucket: raw, partner, shared, curated or results. Required.
	Bucket string `yaml:"bucket"`
	// Prefix whose first path segment is a run folder, ending in "/". Required.
	Prefix string `yaml:"prefix"`
	// Profile: novaseq-x, novaseq-6000, nextseq, miseq or generic. Required.
	Profile string `yaml:"profile"`
	// Markers that announce a complete run (generic profile). Default: the profile's.
	Markers []string `yaml:"markers"`
	// Manifest file name inside the run folder: it verifies the run.
	// Default: none (a run is then complete only on DataSync's verified
	// task execution, for channel datasync, or on a settle window).
	Manifest string `yaml:"manifest"`
	// Channel: datasync, transfer or filegateway. Required.
	Channel string `yaml:"channel"`
	// Partnered: keys are <prefix><partner>/<dataset>/... Default: false.
	Partnered bool `yaml:"partnered"`
	// SettleAfter opts a rule without a manifest on the transfer or
	// filegateway channel in to settle windows (a Go duration, "6h"): a
	// run whose markers and data have arrived is complete once no new
	// object arrived for this long, with nothing compared (RunIngested
	// verifiedBy "settled"; workflows start on it only with
	// startWorkflowsOnSettled). 5m to 720h. Default: none.
	SettleAfter string `yaml:"settleAfter"`
}

// Props returns the event glue's props for this environment (without the
// constructs it is wired to: data lake, network, logs key).
func (g *EventGlue) Props(e *Environment) *eventglue.Props {
	p := &eventglue.Props{
		LogRetentionDays:     e.Logs.RetentionDays,
		LogLevel:             g.LogLevel,
		DeletionProtection:   e.Tier == TierProduction,
		ArchiveRetentionDays: g.ArchiveRetentionDays,
		ReservedConcurrency: eventglue.ReservedConcurrency{
			Ingest: g.ReservedConcurrency.Ingest, Verify: g.ReservedConcurrency.Verify, Restore: g.ReservedConcurrency.Restore,
		},
		MapConcurrency: g.MapConcurrency,
		RestoreTier:    eventglue.RestoreTier(g.RestoreTier),
		RestoreDays:    g.RestoreDays,
		AlarmEmail:     g.AlarmEmail,
	}
	if len(g.RunRules) == 0 && e.DataSync.Enabled() {
		// The DataSync sources say where instrument runs land; partner
		// uploads keep the default rule.
		p.RunRules = e.DataSync.Props(e).RunRules()
		for _, r := range eventglue.DefaultRunRules() {
			if r.Bucket != datalake.BucketRaw {
				p.RunRules = append(p.RunRules, r)
			}
		}
	}
	for _, r := range g.RunRules {
		settle, _ := time.ParseDuration(r.SettleAfter) // validate reports a bad one
		p.RunRules = append(p.RunRules, eventglue.RunRule{
			Bucket: datalake.BucketName(r.Bucket), Prefix: r.Prefix, Profile: r.Profile, Markers: r.Markers,
			Manifest: r.Manifest, Channel: eventglue.Channel(r.Channel), Partnered: r.Partnered, SettleAfter: settle,
		})
	}
	return p
}

func (g *EventGlue) validate(e *Environment) error {
	settles := false
	for i, r := range g.RunRules {
		if r.SettleAfter == "" {
			continue
		}
		if _, err := time.ParseDuration(r.SettleAfter); err != nil {
			return e.fail(fmt.Sprintf("eventGlue.runRules[%d].settleAfter", i), r.SettleAfter, "is not a duration; accepted: a Go duration such as 30m or 6h")
		}
		settles = true
	}
	if g.StartWorkflowsOnSettled && !settles {
		return e.fail("eventGlue.startWorkflowsOnSettled", "true",
			"is set but no run rule has settleAfter, so no run is ever verified by settling; set settleAfter on a rule without a manifest, or remove the setting")
	}
	if err := g.Props(e).ValidateSettings(); err != nil {
		// The construct names its Props fields; eventGlue's YAML fields are
		// the same names in lowerCamelCase.
		return &FieldError{File: e.File, Path: "eventGlue", Msg: err.Error()}
	}
	return nil
}
