package secure

import "github.com/aws/aws-cdk-go/awscdk/v2/awssqs"

// DeadLetterRedrive is the RedriveAllowPolicy of every dead-letter queue the
// platform creates: allowAll, which marks the queue as a dead-letter queue.
// AWS Control Tower's proactive control CT.SQS.PR.1 accepts a queue without
// a dead-letter queue of its own only when its RedriveAllowPolicy is
// allowAll or byQueue
// (https://docs.aws.amazon.com/controltower/latest/controlreference/ct-sqs-pr-1.html).
//
// byQueue, naming the source queues, is not possible here:
//   - a dead-letter queue that EventBridge (a rule target's dead-letter
//     queue) or Lambda (the on-failure destination of asynchronous
//     invocations) writes to has no source queue, and byQueue needs one to
//     ten (denyAll, the tightest setting, is read by the control as "not a
//     dead-letter queue" and then asks for a dead-letter queue of its own);
//   - for a queue's own dead-letter queue, the source queue's RedrivePolicy
//     already names the dead-letter queue's ARN, and CloudFormation has no
//     separate resource for the allow policy, so naming the source queue
//     back is a dependency cycle. Breaking it needs fixed queue names, and
//     renaming an existing queue replaces it, losing the messages in it.
//
// allowAll is what SQS does for a queue without the policy
// (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html),
// so it widens nothing: it only lets a queue of the same account and region
// name this one as its dead-letter queue. Who may send to the queue stays
// decided by its queue policy and its key.
func DeadLetterRedrive() *awssqs.RedriveAllowPolicy {
	return &awssqs.RedriveAllowPolicy{RedrivePermission: awssqs.RedrivePermission_ALLOW_ALL}
}
