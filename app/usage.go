package app

import "context"

// UsageMeter records a tenant's billable use in the billing ledger
// (app/billing implements it). The integrations wrap each tenant's
// senders with it, so every text, call and email handed to a provider is
// metered wherever it is sent from (workflows, Conversations, agents);
// the Twilio webhook hands it status callbacks, which carry a call's
// minutes and a message's final state. A nil UsageMeter meters nothing.
type UsageMeter interface {
	// TwilioStatus records the usage a verified Twilio status callback
	// reports (once per MessageSid or CallSid, however often Twilio
	// retries it).
	TwilioStatus(ctx context.Context, tenantID int64, params map[string]string) error
	// Telephony returns t metering the texts it sends for tenantID (and
	// refusing them when the tenant's wallet is empty and its plan says
	// usage stops then).
	Telephony(tenantID int64, t Telephony) Telephony
	// Mailer returns m metering the emails it sends for tenantID.
	Mailer(tenantID int64, m Mailer) Mailer
}
