package lustre

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscloudwatch"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/alarm"
)

// FreeStoragePeriod is the default period of MetricFreeStorage: the minute
// at which FSx publishes the metric, so that its Sum (over every storage
// target) is the file system's free bytes and not several samples added
// up.
const FreeStoragePeriod = 60 // seconds

// MetricFreeStorage is the storage capacity of the standing file system
// still free, in bytes (AWS/FSx FreeDataStorageCapacity, dimension
// FileSystemId): its Sum is the free bytes of the whole file system, its
// Minimum those of the fullest storage target, which fills first. Default:
// Sum over FreeStoragePeriod. Nil with ModePerRun, whose file systems are
// made by each workflow run.
func (l *Lustre) MetricFreeStorage(opts *awscloudwatch.MetricOptions) awscloudwatch.Metric {
	if l.FileSystem == nil {
		return nil
	}
	o := awscloudwatch.MetricOptions{}
	if opts != nil {
		o = *opts
	}
	if o.Period == nil {
		o.Period = awscdk.Duration_Seconds(jsii.Number(FreeStoragePeriod))
	}
	return alarm.Metric("AWS/FSx", "FreeDataStorageCapacity", map[string]*string{"FileSystemId": l.FileSystem.Ref()}, &o, alarm.Sum)
}
