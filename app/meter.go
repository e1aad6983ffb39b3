package app

import "context"

// Meter counts what background work did, for the metrics exporter
// (Prometheus on /metrics). The services call it after recording an
// outcome; a nil Meter counts nothing. Label values are fixed small sets
// (step types, statuses), never user input.
type Meter interface {
	// RunFinished counts a workflow run that ended (succeeded or failed).
	RunFinished(status string)
	// StepFinished counts one attempt of a workflow step: outcome is
	// "succeeded", "retry" (failed, tried again later) or "failed" (the
	// run fails).
	StepFinished(stepType, outcome string)
	// WebhookDelivered counts one outgoing webhook attempt: "succeeded",
	// "retry" or "failed" (given up after the last attempt).
	WebhookDelivered(outcome string)
	// MessageSent counts one email, SMS or call handed to its provider:
	// channel "email", "sms" or "call"; outcome "sent" or "failed".
	MessageSent(channel, outcome string)
}

// QueueDepths reports how much work waits to go out (the outboxes): runs
// queued, running or waiting, and webhook deliveries pending, by queue
// name ("workflow_runs", "webhook_deliveries").
type QueueDepths interface {
	QueueDepths(ctx context.Context) (map[string]int, error)
}

// Message outcomes for Meter.MessageSent.
const (
	SendSent   = "sent"
	SendFailed = "failed"
)

// sendOutcome is the MessageSent outcome of err.
func sendOutcome(err error) string {
	if err != nil {
		return SendFailed
	}
	return SendSent
}

// MeterSend counts a send's outcome in m (nil: nothing) and returns err.
func MeterSend(m Meter, channel string, err error) error {
	if m != nil {
		m.MessageSent(channel, sendOutcome(err))
	}
	return err
}
