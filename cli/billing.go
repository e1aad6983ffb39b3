package cli

import (
	"context"
	"time"

	"orengen/app/billing"
	"orengen/invoicepdf"
	"orengen/store"
)

// wireBilling builds billing (issue #23) and hooks its usage ledger into
// the senders every module uses (each tenant's Twilio client and mailer)
// and into Twilio's status callbacks, which carry call minutes. AI tokens
// are recorded by the agents' store in the transaction of each turn.
func (a *App) wireBilling() {
	a.Billing = &billing.Service{Store: store.NewBillingStore(a.DB), Logger: a.Logger,
		RenderPDF: func(inv *billing.Invoice, b billing.Brand, client string) ([]byte, error) {
			return invoicepdf.Render(inv, b, client, false)
		}}
	a.Integrations.Usage = a.Billing
	a.Automations.Usage = a.Billing
	a.Server.Billing = a.Billing
}

// billingInterval is how often serve looks for ended periods to invoice.
const billingInterval = time.Hour

// runBilling invoices every subscription whose period ended (month-end,
// year-end), at start and then every billingInterval, until ctx ends. A
// restart resumes: what is due is read from the subscriptions.
func (a *App) runBilling(ctx context.Context) {
	t := time.NewTicker(billingInterval)
	defer t.Stop()
	for {
		if n, err := a.Billing.CloseDuePeriods(ctx, time.Now()); err != nil {
			a.Logger.Error("billing: invoice ended periods", "err", err)
		} else if n > 0 {
			a.Logger.Info("billing: invoices issued", "invoices", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
