// Package datasync provides biolake's on-premises transfer path, steps 1
// and 2 of the AWS reference architecture "Life Sciences Data Collection,
// Storage, and Processing": a DataSync agent next to the instruments syncs
// each lab's or instrument's file share (NFS or SMB) into the data lake's
// raw bucket on a schedule, over the network's DataSync interface endpoint.
//
//	ds := datasync.New(stack, "DataSync", &datasync.Props{
//		Network:       net,
//		Lake:          lake,
//		ActivationKey: datasync.ActivationKeyParameter, // given at deploy time
//		AgentCIDR:     "192.168.10.0/24",
//		Sources: []datasync.Source{{
//			Name: "novaseq1", Protocol: datasync.NFS, Server: "nas01.lab.example.com",
//			Subdirectory: "/novaseq1/output", Profile: "novaseq-x", Subfolder: "novaseq1",
//		}},
//		Bus: glue.Bus,
//	})
//	// eventglue.Props.RunRules: ds.RunRules() plus the partner rule.
//
// # Agent
//
// Either Props.AgentArn names an agent that is already activated, or the
// construct activates one (AWS::DataSync::Agent) with Props.ActivationKey:
// a key given in props, or ActivationKeyParameter for a stack parameter
// filled at deploy time (not secret, so not NoEcho, but single-use: a new
// key replaces the agent). When the network has a DataSync interface
// endpoint (always in the isolated profile, which has no other path) the
// agent uses private link: VpcEndpointId, one private subnet for the task
// network interfaces, and TaskSecurityGroup. Following DataSync's network
// requirements for VPC service endpoints, the agent's on-premises network
// (Props.AgentCIDR) is let in on TCP 443 and 1024-1064 (and 22 for the AWS
// Support channel with Props.SupportChannel), both by TaskSecurityGroup and
// by ingress rules the construct adds to the network's endpoint security
// group.
//
// # Sources, locations and tasks
//
// Each Source gets an NFS or SMB location, an S3 location and a task. The
// SMB password is read from Secrets Manager by CloudFormation through a
// dynamic reference ({{resolve:secretsmanager:ARN:SecretString:password}});
// it is never in props or the template. The S3 location writes STANDARD_IA
// objects to the raw bucket under RunsPrefix ("runs/") plus the source's
// Subfolder, through a bucket access role of its own (trusting DataSync of
// this account and region only) with the S3 actions DataSync documents:
// bucket-level ones on the raw bucket (DataSync lists and checks the bucket
// itself), object-level ones under the source's prefix only, and the data
// key through S3 only.
//
// Every first-level folder of a source is one run folder, so the
// destination prefix is the run prefix of the event glue: RunRules returns
// one eventglue.RunRule per source (raw bucket, prefix, profile, channel
// datasync). Prefixes of two sources must not overlap. With one source and
// no Subfolder the prefix is runs/, which the glue's default rule watches
// (with the novaseq-x profile).
//
// A task runs on its schedule (cron or rate, at most hourly, DataSync's
// limit), transfers only changed files, verifies what it transferred
// (ONLY_FILES_TRANSFERRED), never deletes in S3 what vanished on premises
// (PreserveDeletedFiles PRESERVE; the raw bucket is versioned and locked
// besides), overwrites per Source.Overwrite, honours the bandwidth limit and
// filters, leaves object tags alone (ObjectTags NONE: file systems have
// none, and the ingest handler's tags stay), and logs each transferred file
// (LogLevel TRANSFER) to a KMS-encrypted log group, which DataSync may
// write through a CloudWatch Logs resource policy limited to this account's
// tasks.
//
// Task reports go to the data lake's analytics bucket under ReportPrefix
// ("datasync/task-reports/<source>/"), written by a role that may only put
// objects there (and use the analytics key through S3). The access-log
// bucket is not used: it is SSE-S3 and reserved for S3 server access logs.
//
// # Events
//
// With Props.Bus, a rule on the default bus forwards "DataSync Task
// Execution State Change" events of these tasks (resources matched by the
// prefix <task ARN>/execution/) to the platform bus, with a role of its own
// and a KMS-encrypted dead-letter queue.
//
// # Metrics
//
// MetricTaskExecutionsFailed counts the tasks' executions that ended in
// ERROR: AWS/DataSync publishes what an execution moved, not whether it
// failed, so TaskFailedRule (no target) matches the "DataSync Task
// Execution State Change" events with State ERROR on the default bus, and
// the metric is its AWS/Events MatchedEvents. See docs/METRICS.md.
package datasync
