package cli

import (
	"orengen/app/billing"
	"orengen/store"
)

// wireBilling builds billing (issue #23) and hooks its usage ledger into
// the senders every module uses (each tenant's Twilio client and mailer)
// and into Twilio's status callbacks, which carry call minutes. AI tokens
// are recorded by the agents' store in the transaction of each turn.
func (a *App) wireBilling() {
	a.Billing = &billing.Service{Store: store.NewBillingStore(a.DB), Logger: a.Logger}
	a.Integrations.Usage = a.Billing
	a.Automations.Usage = a.Billing
	a.Server.Billing = a.Billing
}
