package batch

import (
	"fmt"
	"github.com/biolake/biolake/constructs/validation"
	"sort"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/jsii-runtime-go"

	"github.com/biolake/biolake/constructs/internal/nag"
	"github.com/biolake/biolake/constructs/lustre"
	"github.com/biolake/biolake/constructs/network"
)

// Lustre client settings of the EC2 hosts.
const (
	// LustreMountOptions are the mount options of every Lustre mount:
	// relatime (as FSx documents) and flock (tools such as samtools and
	// Nextflow lock files).
	LustreMountOptions = "relatime,flock"
	// MounterInterval is how often the hosts of a per-run attachment look
	// for new file systems. A workflow waits longer than this between a
	// file system becoming AVAILABLE and the jobs that use it.
	MounterInterval = 15 // seconds
	// mounterPath is the hosts' per-run mount script.
	mounterPath = "/usr/local/sbin/biolake-fsx-mounter"
)

// AttachLustre gives the EC2 compute environments FSx for Lustre:
//
//   - every EC2 host installs the Lustre client (the distribution's
//     lustre-client package, from the Amazon Linux repositories, which the
//     network reaches through its S3 gateway endpoint);
//   - with a persistent file system (lustre.ModePersistent), the hosts mount
//     it at LustrePath at boot, before the ECS agent starts jobs;
//   - with per-run file systems (lustre.ModePerRun), a systemd timer on the
//     hosts mounts every AVAILABLE file system in the VPC tagged
//     lustre.ManagedByTag=lustre.WorkflowTagValue at LustrePath/<id>
//     within MounterInterval seconds, and lazily unmounts those that are
//     gone (deleted by their workflow); the hosts' instance roles may call
//     fsx:DescribeFileSystems for that and nothing else new;
//   - the jobs' security group may reach the file system's security group
//     on the Lustre ports (the file system admits them when it was created
//     with this queue's SecurityGroup as its ClientSecurityGroup).
//
// Jobs opt in with JobProps.Lustre. Call it once, before AddJob, on a queue
// with EC2 environments; it panics otherwise.
func (q *Queue) AttachLustre(l *lustre.Lustre) {
	switch {
	case l == nil:
		panic(validation.New(*q.Node().Path(), "AttachLustre(l)", validation.Raw("nil"), "a *lustre.Lustre"))
	case q.Lustre != nil:
		panic(&validation.Error{Path: *q.Node().Path(), Field: "AttachLustre(l)", Value: validation.Render(*l.Node().Path()),
			Problem: fmt.Sprintf("a second file system (%q is attached)", *q.Lustre.Node().Path()), Accepted: "one file system attachment per queue"})
	case len(q.ec2Envs) == 0:
		panic(&validation.Error{Path: *q.Node().Path(), Field: "AttachLustre(l)", Value: validation.Render(*l.Node().Path()),
			Problem: "the queue has no EC2 compute environments and Fargate cannot mount Lustre", Accepted: "a queue with Props.Environments of kind cpu-spot, cpu-ondemand or gpu"})
	}
	q.Lustre = l
	// The hosts' boot script looks the file systems up (aws fsx).
	q.props.Network.Require(q, network.EndpointFSx)
	for _, port := range []awsec2.Port{
		awsec2.Port_Tcp(jsii.Number(lustre.PortLNet)),
		awsec2.Port_TcpRange(jsii.Number(lustre.PortRangeFirst), jsii.Number(lustre.PortRangeLast)),
	} {
		q.SecurityGroup.AddEgressRule(l.SecurityGroup, port, jsii.String("Lustre client to the FSx for Lustre file systems"), jsii.Bool(false))
	}
	names := make([]string, 0, len(q.scripts))
	for n := range q.scripts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		script := q.scripts[n]
		addCommands(script, lustreClientCommands())
		if l.Mode() == lustre.ModePerRun {
			addCommands(script, perRunMounterCommands(*q.props.Network.Vpc().VpcId()))
			role := q.ec2Envs[n].InstanceRole()
			role.AddToPrincipalPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
				Sid:       jsii.String("FindRunFileSystems"),
				Actions:   jsii.Strings("fsx:DescribeFileSystems"),
				Resources: jsii.Strings("*"),
			}))
			nag.SuppressDeferred(role, nag.Rule{
				ID: "AwsSolutions-IAM5",
				Reason: "fsx:DescribeFileSystems has no resource-level permissions; the Batch hosts use it to find the per-run Lustre file systems " +
					"of their VPC (tagged " + lustre.ManagedByTag + "=" + lustre.WorkflowTagValue + ") and mount them.",
				AppliesToRegex: []string{`/^Resource::\*$/`},
			})
			nag.SuppressDeferred(role, nag.InAllPacks("The Batch host role's inline policy holds one statement, fsx:DescribeFileSystems for the per-run Lustre mounter; "+
				"it lives and dies with the role.", "HIPAA.Security-IAMNoInlinePolicy", "NIST.800.53.R5-IAMNoInlinePolicy")...)
			continue
		}
		addCommands(script, persistentMountCommands(l.DNSName(), l.MountName()))
	}
}

// lustreClientCommands install the Lustre client on an Amazon Linux 2023
// host.
func lustreClientCommands() []string {
	return []string{
		"# FSx for Lustre client",
		"rpm -q lustre-client || dnf install -y lustre-client",
		"modprobe lustre",
		"mkdir -p " + LustrePath,
	}
}

// persistentMountCommands mount a standing file system at LustrePath, now
// and at every boot.
func persistentMountCommands(dnsName, mountName string) []string {
	entry := fmt.Sprintf("%s@tcp:/%s %s lustre defaults,noatime,_netdev,x-systemd.automount,x-systemd.requires=network.service,%s 0 0",
		dnsName, mountName, LustrePath, LustreMountOptions)
	return []string{
		"grep -q ' " + LustrePath + " lustre ' /etc/fstab || echo '" + entry + "' >> /etc/fstab",
		"mountpoint -q " + LustrePath + " || mount " + LustrePath,
	}
}

// perRunMounterCommands install the per-run mounter: a script that mounts
// the tagged, AVAILABLE Lustre file systems of the VPC, run once now and
// then by a systemd timer.
func perRunMounterCommands(vpcID string) []string {
	query := fmt.Sprintf("FileSystems[?Lifecycle=='AVAILABLE' && FileSystemType=='LUSTRE' && VpcId=='%s' && Tags[?Key=='%s' && Value=='%s']].[FileSystemId,DNSName,LustreConfiguration.MountName]",
		vpcID, lustre.ManagedByTag, lustre.WorkflowTagValue)
	script := []string{
		"#!/bin/bash",
		"# Mounts the per-run FSx for Lustre file systems of this VPC at " + LustrePath + "/<id>; unmounts those deleted.",
		"set -euo pipefail",
		"imds=http://169.254.169.254/latest",
		`token=$(curl -sf -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' "$imds/api/token")`,
		`region=$(curl -sf -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/placement/region")`,
		// A failed describe stops the script here (set -e): nothing is
		// unmounted on an API error.
		`list=$(aws fsx describe-file-systems --region "$region" --output text --query "` + query + `")`,
		`live=" "`,
		`while read -r id dns mnt; do`,
		`  [ -n "$id" ] || continue`,
		`  live="$live$id "`,
		`  dir=` + LustrePath + `/$id`,
		`  mountpoint -q "$dir" && continue`,
		`  mkdir -p "$dir"`,
		`  mount -t lustre -o ` + LustreMountOptions + ` "$dns@tcp:/$mnt" "$dir" || echo "biolake-fsx-mounter: mount of $id failed; retrying next run" >&2`,
		`done <<< "$list"`,
		`for dir in ` + LustrePath + `/fs-*; do`,
		`  [ -d "$dir" ] || continue`,
		`  id=${dir##*/}`,
		`  case "$live" in *" $id "*) continue ;; esac`,
		`  if mountpoint -q "$dir"; then umount -l "$dir"; fi`,
		`  rmdir "$dir" || true`,
		`done`,
	}
	service := []string{
		"[Unit]",
		"Description=biolake: mount per-run FSx for Lustre file systems",
		"Wants=network-online.target",
		"After=network-online.target",
		"Before=ecs.service",
		"[Service]",
		"Type=oneshot",
		"ExecStart=" + mounterPath,
	}
	timer := []string{
		"[Unit]",
		"Description=biolake: look for per-run FSx for Lustre file systems",
		"[Timer]",
		"OnBootSec=5",
		fmt.Sprintf("OnUnitActiveSec=%d", MounterInterval),
		"AccuracySec=1",
		"[Install]",
		"WantedBy=timers.target",
	}
	return []string{
		"rpm -q awscli-2 || dnf install -y awscli-2",
		heredoc(mounterPath, script),
		"chmod 0755 " + mounterPath,
		heredoc("/etc/systemd/system/biolake-fsx-mounter.service", service),
		heredoc("/etc/systemd/system/biolake-fsx-mounter.timer", timer),
		"systemctl daemon-reload",
		mounterPath + " || true",
		"systemctl enable --now biolake-fsx-mounter.timer",
	}
}

// heredoc writes lines to path with a quoted here-document (no expansion).
func heredoc(path string, lines []string) string {
	return "cat > " + path + " <<'BIOLAKE_EOF'\n" + strings.Join(lines, "\n") + "\nBIOLAKE_EOF"
}

func addCommands(script awsec2.UserData, cmds []string) {
	for _, c := range cmds {
		script.AddCommands(jsii.String(c))
	}
}
