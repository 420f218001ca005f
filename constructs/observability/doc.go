// Package observability gives a biolake environment one place where
// operations hear about trouble: an operations topic (KMS-encrypted,
// TLS-only, with e-mail and HTTPS subscriptions) that every CloudWatch alarm
// of the environment notifies, the alarms the constructs do not create
// themselves (built on their MetricX methods), and a dashboard that follows
// a run from arrival to results.
//
// The constructs stay unaware of it: RouteAlarms adds the topic to every
// alarm under a scope at synth, so an alarm any construct creates (with its
// own topic or none) reaches operations too. Put the topic in a stack that
// comes before the stacks whose alarms notify it, and the dashboard in a
// stack after every stack it reads.
//
//	ops := observability.New(opsStack, "Operations", &observability.Props{Emails: []string{"oncall@example.org"}})
//	a := observability.NewAlarms("prod", ops.Topic, nil)
//	a.DataSync(sync)
//	a.Functions(stage)
//	ops.RouteAlarms(stage)
//
// What each alarm means and how to answer it: docs/OPERATIONS.md; the
// metrics and the dashboard's widgets: docs/METRICS.md.
package observability
