package config

import (
	"github.com/biolake/biolake/constructs/ml"
)

// ML settings: the SageMaker AI domain (VpcOnly) in the Analytics stack. A
// domain, its profiles, the model registry and an offline-only feature
// group bill nothing while idle: Studio apps bill while they run (idle
// shutdown stops them), the home file system (EFS) per GB stored; in a
// network with interface endpoints, the SageMaker API, runtime and Studio
// endpoints (with STS, Logs and Athena) bill per zone (docs/COSTS.md).
type ML struct {
	// Enabled creates the domain. Default: false.
	Enabled bool `yaml:"enabled"`
	// IdleTimeoutMinutes shuts JupyterLab and Code Editor apps down after
	// this long idle, 60 to 525600. Default: 60.
	IdleTimeoutMinutes int `yaml:"idleTimeoutMinutes"`
	// UserProfiles are the scientists' profile names: letters, digits and
	// '-', starting and ending with a letter or digit, at most 63.
	// Default: none.
	UserProfiles []string `yaml:"userProfiles"`
	// FeatureGroup, when set, creates a feature group whose offline store
	// lies under ml/feature-store/ of the results bucket. Default: none.
	FeatureGroup *MLFeatureGroup `yaml:"featureGroup"`
	// Pipeline, when set, creates the model-building pipeline
	// (config/mlpipeline.go). Default: none.
	Pipeline *MLPipeline `yaml:"pipeline"`
	// Deployment deploys approved model versions to an endpoint.
	// Default: none.
	Deployment *MLDeployment `yaml:"deployment"`
	// Labeling, when set, creates a Ground Truth private workforce and
	// its work teams (see MLLabeling). Default: none.
	Labeling *MLLabeling `yaml:"labeling"`
}

// MLFeatureGroup is a feature group.
type MLFeatureGroup struct {
	// Name of the feature group. Required.
	Name string `yaml:"name"`
	// RecordIdentifier names the feature that identifies a record. Required.
	RecordIdentifier string `yaml:"recordIdentifier"`
	// EventTime names the feature with a record's event time (Fractional
	// or String). Required.
	EventTime string `yaml:"eventTime"`
	// Features of the group, including the two above. Required.
	Features []MLFeature `yaml:"features"`
	// OnlineStore adds an online store (KMS-encrypted). Default: false.
	OnlineStore bool `yaml:"onlineStore"`
}

// MLFeature is one feature of a feature group.
type MLFeature struct {
	// Name of the feature. Required.
	Name string `yaml:"name"`
	// Type: Integral, Fractional or String. Required.
	Type string `yaml:"type"`
}

// Props returns the ML construct's props (without the network, the lake
// and the workgroup, which the stack wires): domain biolake-<env>, model
// registry biolake-<env>-models.
func (m *ML) Props(e *Environment) *ml.Props {
	p := &ml.Props{
		DomainName:            "biolake-" + e.Name,
		ModelPackageGroupName: "biolake-" + e.Name + "-models",
		UserProfiles:          m.UserProfiles,
		IdleTimeoutMinutes:    m.IdleTimeoutMinutes,
	}
	if fg := m.FeatureGroup; fg != nil {
		p.FeatureGroup = &ml.FeatureGroup{Name: fg.Name, RecordIdentifier: fg.RecordIdentifier, EventTime: fg.EventTime, OnlineStore: fg.OnlineStore}
		for _, f := range fg.Features {
			p.FeatureGroup.Features = append(p.FeatureGroup.Features, ml.Feature{Name: f.Name, Type: ml.FeatureType(f.Type)})
		}
	}
	return p
}

func (m *ML) validate(e *Environment) error {
	if err := m.validateDeployment(e); err != nil {
		return err
	}
	if err := m.validateLabeling(e); err != nil {
		return err
	}
	if !m.Enabled {
		if m.IdleTimeoutMinutes != 0 || len(m.UserProfiles) > 0 || m.FeatureGroup != nil || m.Pipeline != nil {
			return e.fail("ml.enabled", "false", "is false, so no domain is created; set it to true or remove the other ml settings")
		}
		return nil
	}
	if err := m.Props(e).ValidateSettings(); err != nil {
		return &FieldError{File: e.File, Path: "ml", Msg: err.Error()}
	}
	if m.Pipeline != nil {
		return m.Pipeline.validate(e)
	}
	return nil
}
