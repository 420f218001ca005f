package ml

import (
	"slices"
	"strings"
)

// InstanceUse is what an instance type runs: SageMaker offers different
// instance types to training jobs, processing jobs and endpoints.
type InstanceUse int

// Uses of an instance type.
const (
	UseTraining InstanceUse = iota
	UseProcessing
	UseHosting
)

func (u InstanceUse) String() string {
	switch u {
	case UseTraining:
		return "training jobs"
	case UseProcessing:
		return "processing jobs"
	case UseHosting:
		return "real-time endpoints"
	}
	return "an unknown use"
}

func (u InstanceUse) types() []string {
	switch u {
	case UseTraining:
		return trainingInstanceTypes
	case UseProcessing:
		return processingInstanceTypes
	case UseHosting:
		return hostingInstanceTypes
	}
	return nil
}

// InstanceFamilies returns the instance families ("ml.g5", ...) SageMaker
// offers for use, sorted.
func InstanceFamilies(use InstanceUse) []string {
	var fams []string
	for _, t := range use.types() {
		if f, _, ok := splitInstanceType(t); ok && !slices.Contains(fams, f) {
			fams = append(fams, f)
		}
	}
	slices.Sort(fams)
	return fams
}

// CheckInstanceType returns "" when SageMaker offers instance type t for
// use, and otherwise what would be accepted: the form ml.<family>.<size>,
// the families offered for that use when t's family is unknown, or the
// family's sizes when only the size is. The lists are SageMaker's API model
// (scripts/sagemaker-instances.py); a region may offer fewer.
func CheckInstanceType(use InstanceUse, t string) string {
	types := use.types()
	if slices.Contains(types, t) {
		return ""
	}
	fam, _, ok := splitInstanceType(t)
	if !ok {
		return "a SageMaker instance type ml.<family>.<size>, such as ml.m5.xlarge"
	}
	var sizes []string
	for _, u := range types {
		if f, _, _ := splitInstanceType(u); f == fam {
			sizes = append(sizes, u)
		}
	}
	if len(sizes) == 0 {
		return "an instance type of a family SageMaker offers for " + use.String() + " (" + fam + " is not one): " + strings.Join(InstanceFamilies(use), ", ")
	}
	return "a size of " + fam + " SageMaker offers for " + use.String() + ": " + strings.Join(sizes, ", ")
}

// splitInstanceType splits "ml.g5.xlarge" into "ml.g5" and "xlarge".
func splitInstanceType(t string) (family, size string, ok bool) {
	parts := strings.Split(t, ".")
	if len(parts) != 3 || parts[0] != "ml" || parts[1] == "" || parts[2] == "" {
		return "", "", false
	}
	return "ml." + parts[1], parts[2], true
}
