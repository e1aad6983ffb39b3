package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/app/platform"
	"orengen/httpx"
	"orengen/invoicepdf"
	"orengen/store"
	"orengen/stripe"
)

// wireBilling builds billing (issue #23) and hooks its usage ledger into
// the senders every module uses (each tenant's Twilio client and mailer)
// and into Twilio's status callbacks, which carry call minutes. AI tokens
// are recorded by the agents' store in the transaction of each turn.
// Payments go through the agency's Stripe account: its keys are read
// from the vault on each call, its base URL is --stripe-api-url or the
// admin's setting (Integrations > Stripe).
func (a *App) wireBilling() {
	a.Stores.Billing = store.NewBillingStore(a.DB)
	a.Billing = billing.NewService(a.Stores.Billing)
	a.Billing.Logger = a.Logger
	a.Billing.RenderPDF = func(inv *billing.Invoice, b billing.Brand, client string) ([]byte, error) {
		return invoicepdf.Render(inv, b, client, false)
	}
	a.Integrations.Usage = a.Billing
	a.Automations.Usage = a.Billing
	a.Server.Billing = a.Billing

	// The agency's Stripe keys are read by the server for the agency's
	// own account, also while serving a client's request (its card page):
	// without the request's principal, whom the vault keeps out of the
	// global scope. Nothing of them reaches the client.
	secret := func(name string) func(ctx context.Context) (string, error) {
		return func(ctx context.Context) (string, error) {
			return a.Vault.GetOr(app.WithoutValues(ctx), app.GlobalScope, name, "")
		}
	}
	a.Stripe = &stripe.Client{APIURL: func(ctx context.Context) string { return a.Providers.Current(ctx).StripeAPIURL },
		Key: secret(app.SecretStripeKey), WebhookSecret: secret(app.SecretStripeWebhook),
		HTTP: a.outboundClient(httpx.Options{Timeout: 30 * time.Second}, a.Config.StripeAPIURL)}
	a.Stores.Payments = store.NewBillingPaymentStore(a.DB)
	a.Payments = billing.NewPayments(a.Stores.Payments)
	a.Payments.Billing, a.Payments.Gateway, a.Payments.Logger = a.Billing, a.Stripe, a.Logger
	a.Server.Payments = a.Payments
	a.Billing.AfterDebit = a.Payments.AfterDebit // wallet auto-recharge
	a.Billing.Notify = a.billingNotify
	a.Billing.BrandOf = func(ctx context.Context, tenantID int64) (billing.Brand, string, error) {
		ctx = app.WithoutValues(ctx)
		house, err := a.Tenants.TenantByID(ctx, app.HouseTenantID)
		if err != nil {
			return billing.Brand{}, "", err
		}
		t, err := a.Tenants.TenantByID(ctx, tenantID)
		if err != nil {
			return billing.Brand{}, "", err
		}
		return billing.Brand{Name: house.BrandName(), Color: house.PrimaryColor, SupportEmail: house.SupportEmail}, t.BrandName(), nil
	}
}

// billingNotify emails a client's owners from the agency (invoices,
// dunning), with a link to the billing page of its portal.
func (a *App) billingNotify(ctx context.Context, tenantID int64, subject, text string, att []app.Attachment) error {
	ctx = app.WithoutValues(ctx)
	t, err := a.Tenants.TenantByID(ctx, tenantID)
	if err != nil {
		return err
	}
	users, err := a.Users.Users.FindTenantUsers(app.NewContextWithTenant(ctx, t))
	if err != nil {
		return err
	}
	text += "\n\nBilling: " + a.Users.PortalURL(ctx, t) + "/billing\n"
	sent := 0
	for _, u := range users {
		if u.Role != app.UserRoleOwner || u.Email == "" {
			continue
		}
		if err := a.Mailer.Send(ctx, &app.Message{To: u.Email, Subject: subject, Text: text, Attachments: att}); err != nil {
			return err
		}
		sent++
	}
	if sent == 0 {
		return fmt.Errorf("tenant %d has no owner to email", tenantID)
	}
	return nil
}

// stripeIntegration is Stripe's entry in the integrations hub: the
// agency's account (secret key and webhook secret in the vault), its base
// URL, and a connection test that lists one customer (nothing created or
// charged).
func (a *App) stripeIntegration() *platform.Integration {
	cfg := a.Config
	return &platform.Integration{Key: "stripe", Name: "Stripe (payments)", Page: "/vault",
		About: "Clients' cards and invoice payments: Checkout saves a card, issued invoices are charged to it. Point the account's webhook at " +
			a.Server.URL("site") + "/webhooks/stripe (events checkout.session.completed, payment_intent.succeeded, payment_intent.payment_failed).",
		Secrets: []platform.SecretSpec{{Vault: app.SecretStripeKey}, {Vault: app.SecretStripeWebhook}},
		Settings: func(ctx context.Context, _ int64) [][2]string {
			return [][2]string{{"API", a.Providers.Current(ctx).StripeAPIURL}, {"Webhook", a.Server.URL("site") + "/webhooks/stripe"}}
		},
		Fields: func(ctx context.Context) []platform.Field {
			p, _ := a.Providers.Stored(ctx)
			return []platform.Field{{Name: "base_url", Label: "API base URL", Value: p.StripeAPIURL,
				Help: "Stripe's API or a compatible one. Empty: " + cfg.StripeAPIURL + " (--stripe-api-url)."}}
		},
		Save: a.saveProviders(map[string]string{"base_url": "stripe_api_url"}),
		Test: func(ctx context.Context, _ int64) (string, error) {
			mode, err := a.Stripe.Ping(ctx)
			if err != nil {
				return "", errors.New(app.ErrorMessage(err))
			}
			return fmt.Sprintf("Stripe accepted the %s-mode secret key (listed one customer; nothing created or charged).", mode), nil
		}}
}

// billingInterval is how often serve looks for ended periods to invoice.
const billingInterval = time.Hour

// runBilling invoices every subscription whose period ended (month-end,
// year-end), charges the new invoices to the clients' saved cards and
// runs dunning, at
// start and then every billingInterval, until ctx ends. A restart
// resumes: what is due is read from the subscriptions and invoices.
func (a *App) runBilling(ctx context.Context) {
	app.Every(ctx, billingInterval, func(ctx context.Context) {
		// Storage and active contacts of yesterday (UTC), once per tenant.
		if n, err := a.Billing.MeterDay(ctx, time.Now().AddDate(0, 0, -1)); err != nil {
			a.Logger.Error("billing: daily meter", "err", err)
		} else if n > 0 {
			a.Logger.Info("billing: storage and active contacts metered", "tenants", n)
		}
		if n, err := a.Billing.CloseDuePeriods(ctx, time.Now()); err != nil {
			a.Logger.Error("billing: invoice ended periods", "err", err)
		} else if n > 0 {
			a.Logger.Info("billing: invoices issued", "invoices", n)
		}
		if n, err := a.Payments.ChargeIssued(ctx); err != nil {
			a.Logger.Error("billing: charge invoices", "err", err)
		} else if n > 0 {
			a.Logger.Info("billing: invoices charged", "payments", n)
		}
		// Recharges whose processor event never came: asked.
		if n, err := a.Payments.SettleRecharges(ctx); err != nil {
			a.Logger.Error("billing: settle recharges", "err", err)
		} else if n > 0 {
			a.Logger.Info("billing: recharges settled", "recharges", n)
		}
		// Dunning: retries of failed charges, emails, suspensions.
		if n, err := a.Payments.RunDunning(ctx, time.Now()); err != nil {
			a.Logger.Error("billing: dunning", "err", err)
		} else if n > 0 {
			a.Logger.Info("billing: dunning retries", "payments", n)
		}
	})
}
