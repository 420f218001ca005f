package sfnlocal

import (
	"encoding/json"
	"fmt"
)

// Responses shaped like those of the real APIs, as the Step Functions
// integrations hand them to the state (field names as in the API
// references; the SDK integrations keep the API's PascalCase).

// Account, Region and Partition of the mocked responses' ARNs.
const (
	Account   = "123456789012"
	Region    = "us-east-1"
	Partition = "aws"
)

// LambdaInvoke is the result of arn:aws:states:::lambda:invoke (the
// Invoke API's response, Payload decoded).
func LambdaInvoke(payload any) Answer {
	return Result(map[string]any{
		"ExecutedVersion": "$LATEST",
		"Payload":         payload,
		"StatusCode":      200,
		"SdkHttpMetadata": map[string]any{"HttpStatusCode": 200},
	})
}

// BatchJob is the result of arn:aws:states:::batch:submitJob.sync: the job
// as DescribeJobs returns it, SUCCEEDED.
func BatchJob(name string) Answer {
	return Result(batchJob(name, "SUCCEEDED", "Essential container in task exited", 0))
}

// BatchJobFailed is the error of a .sync Batch job that ran and failed:
// States.TaskFailed with the DescribeJobs job as its cause.
func BatchJobFailed(name string, exitCode int) Answer {
	cause, _ := json.Marshal(batchJob(name, "FAILED", "Essential container in task exited", exitCode))
	return Fail("States.TaskFailed", string(cause))
}

func batchJob(name, status, reason string, exitCode int) map[string]any {
	id := "5f8ad6c0-4d8e-4b7e-9a51-" + fmt.Sprintf("%012d", len(name))
	return map[string]any{
		"JobArn":        fmt.Sprintf("arn:%s:batch:%s:%s:job/%s", Partition, Region, Account, id),
		"JobId":         id,
		"JobName":       name,
		"JobQueue":      fmt.Sprintf("arn:%s:batch:%s:%s:job-queue/Default", Partition, Region, Account),
		"JobDefinition": fmt.Sprintf("arn:%s:batch:%s:%s:job-definition/%s:1", Partition, Region, Account, name),
		"Status":        status,
		"StatusReason":  reason,
		"Attempts": []any{map[string]any{
			"Container":    map[string]any{"ExitCode": exitCode, "LogStreamName": name + "/default/" + id},
			"StartedAt":    1767225600000,
			"StoppedAt":    1767229200000,
			"StatusReason": reason,
		}},
		"Container":  map[string]any{"ExitCode": exitCode, "LogStreamName": name + "/default/" + id},
		"CreatedAt":  1767225000000,
		"StartedAt":  1767225600000,
		"StoppedAt":  1767229200000,
		"DependsOn":  []any{},
		"Parameters": map[string]any{},
	}
}

// SNSPublish is the result of arn:aws:states:::sns:publish.
func SNSPublish() Answer {
	return Result(map[string]any{"MessageId": "9b1c3f3e-5d1c-5c0e-8a3f-3e1f2c1d0a9b", "SdkHttpMetadata": map[string]any{"HttpStatusCode": 200}})
}

// PutEvents is the result of arn:aws:states:::events:putEvents.
func PutEvents() Answer {
	return Result(map[string]any{"Entries": []any{map[string]any{"EventId": "11710aed-b79e-4468-a20b-bb3c0c3b4860"}}, "FailedEntryCount": 0})
}

// DynamoPutItem is the result of arn:aws:states:::dynamodb:putItem.
func DynamoPutItem() Answer {
	return Result(map[string]any{"SdkHttpMetadata": map[string]any{"HttpStatusCode": 200}})
}

// FileSystem is an FSx for Lustre file system description (CreateFileSystem's
// FileSystem, an item of DescribeFileSystems' FileSystems).
func FileSystem(id, lifecycle string) map[string]any {
	return map[string]any{
		"FileSystemId":    id,
		"FileSystemType":  "LUSTRE",
		"Lifecycle":       lifecycle,
		"StorageCapacity": 1200,
		"StorageType":     "SSD",
		"ResourceARN":     FileSystemARN(id),
		"DNSName":         id + ".fsx." + Region + ".amazonaws.com",
		"LustreConfiguration": map[string]any{
			"DeploymentType": "SCRATCH_2",
			"MountName":      "abcdefgh",
		},
	}
}

// FileSystemARN is the ARN of file system id.
func FileSystemARN(id string) string {
	return fmt.Sprintf("arn:%s:fsx:%s:%s:file-system/%s", Partition, Region, Account, id)
}

// CreateFileSystem is the result of aws-sdk:fsx:createFileSystem.
func CreateFileSystem(id string) Answer {
	return Result(map[string]any{"FileSystem": FileSystem(id, "CREATING")})
}

// DescribeFileSystems is the result of aws-sdk:fsx:describeFileSystems for
// one file system.
func DescribeFileSystems(id, lifecycle string) Answer {
	return Result(map[string]any{"FileSystems": []any{FileSystem(id, lifecycle)}})
}

// FileSystemNotFound is DescribeFileSystems' error once a file system is
// deleted.
func FileSystemNotFound(id string) Answer {
	return Fail("FSx.FileSystemNotFoundException", "File system '"+id+"' does not exist. (Service: FSx, Status Code: 400)")
}

// CreateDataRepositoryAssociation is the result of
// aws-sdk:fsx:createDataRepositoryAssociation.
func CreateDataRepositoryAssociation(id, fileSystemID, path string) Answer {
	return Result(map[string]any{"Association": association(id, fileSystemID, path, "CREATING")})
}

func association(id, fileSystemID, path, lifecycle string) map[string]any {
	return map[string]any{
		"AssociationId":  id,
		"FileSystemId":   fileSystemID,
		"FileSystemPath": path,
		"Lifecycle":      lifecycle,
		"ResourceARN":    fmt.Sprintf("arn:%s:fsx:%s:%s:association/%s/%s", Partition, Region, Account, fileSystemID, id),
	}
}

// DescribeDataRepositoryAssociations is the result of
// aws-sdk:fsx:describeDataRepositoryAssociations for associations ids, each
// in lifecycle.
func DescribeDataRepositoryAssociations(fileSystemID string, ids []string, lifecycles []string) Answer {
	var out []any
	for i, id := range ids {
		out = append(out, association(id, fileSystemID, fmt.Sprintf("/link%d", i), lifecycles[i]))
	}
	return Result(map[string]any{"Associations": out})
}

// CreateDataRepositoryTask is the result of
// aws-sdk:fsx:createDataRepositoryTask.
func CreateDataRepositoryTask(id, fileSystemID string) Answer {
	return Result(map[string]any{"DataRepositoryTask": dataRepositoryTask(id, fileSystemID, "PENDING")})
}

func dataRepositoryTask(id, fileSystemID, lifecycle string) map[string]any {
	return map[string]any{
		"TaskId":       id,
		"FileSystemId": fileSystemID,
		"Lifecycle":    lifecycle,
		"Type":         "EXPORT_TO_REPOSITORY",
		"ResourceARN":  fmt.Sprintf("arn:%s:fsx:%s:%s:task/%s", Partition, Region, Account, id),
		"Paths":        []any{"results"},
	}
}

// DescribeDataRepositoryTasks is the result of
// aws-sdk:fsx:describeDataRepositoryTasks for one task.
func DescribeDataRepositoryTasks(id, fileSystemID, lifecycle string) Answer {
	return Result(map[string]any{"DataRepositoryTasks": []any{dataRepositoryTask(id, fileSystemID, lifecycle)}})
}

// DeleteFileSystem is the result of aws-sdk:fsx:deleteFileSystem.
func DeleteFileSystem(id string) Answer {
	return Result(map[string]any{"FileSystemId": id, "Lifecycle": "DELETING", "LustreResponse": map[string]any{}})
}

// StartExecution is the result of aws-sdk:sfn:startExecution.
func StartExecution(stateMachineARN, name string) Answer {
	return Result(map[string]any{"ExecutionArn": ExecutionARN(stateMachineARN, name), "StartDate": "2026-12-01T12:00:00.000Z"})
}

// ExecutionARN is the ARN of execution name of a state machine.
func ExecutionARN(stateMachineARN, name string) string {
	const marker = ":stateMachine:"
	for i := 0; i+len(marker) <= len(stateMachineARN); i++ {
		if stateMachineARN[i:i+len(marker)] == marker {
			return stateMachineARN[:i] + ":execution:" + stateMachineARN[i+len(marker):] + ":" + name
		}
	}
	return fmt.Sprintf("arn:%s:states:%s:%s:execution:%s:%s", Partition, Region, Account, stateMachineARN, name)
}

// GetResources is the result of aws-sdk:resourcegroupstaggingapi:getResources
// listing arns with tags.
func GetResources(tags map[string]string, arns ...string) Answer {
	var list []any
	for _, a := range arns {
		var t []any
		for k, v := range tags {
			t = append(t, map[string]any{"Key": k, "Value": v})
		}
		list = append(list, map[string]any{"ResourceARN": a, "Tags": t})
	}
	if list == nil {
		list = []any{}
	}
	return Result(map[string]any{"PaginationToken": "", "ResourceTagMappingList": list})
}
