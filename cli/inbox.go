package cli

import (
	"context"
	"fmt"

	"orengen/app"
	"orengen/app/inbox"
	"orengen/imap"
	"orengen/store"
)

// wireInbox builds Conversations: the inbox service on its store and
// the CRM, texting through the tenant's Twilio account, email over the
// tenant's IMAP mailbox (dialled through the outbound guard: a tenant's
// host may not be a private address) and SMTP, in Twilio's webhooks
// (texts and delivery reports) and in the server's pages.
func (a *App) wireInbox() {
	st := store.NewInboxStore(a.DB)
	a.Inbox = &inbox.Service{
		Store:     st,
		Telephony: a.Integrations.Telephony,
		People:    a.CRM,
		Tenants:   a.Tenants.Store,
		Chat:      a.Agents,
		Logger:    a.Logger,
		// Round robin and @mentions: the tenant's team, mentions emailed
		// with a link to the thread in the tenant's portal.
		Team: func(ctx context.Context, tenantID int64) ([]*app.User, error) {
			return a.Users.ListUsers(app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID}))
		},
		Notify: a.Mailer,
		ThreadURL: func(ctx context.Context, tenantID, convID int64) string {
			return a.Users.PortalURL(ctx, &app.Tenant{ID: tenantID}) + fmt.Sprintf("/inbox/%d", convID)
		},
		Mail: &inbox.Mail{
			Mailboxes: st,
			Fetcher:   &imap.Fetcher{Dial: a.Outbound.DialContext},
			Password: func(ctx context.Context, tenantID int64) (string, error) {
				return a.Integrations.Secret(ctx, tenantID, inbox.SecretIMAPPassword), nil
			},
			SetPassword: func(ctx context.Context, tenantID int64, password string) error {
				return a.Vault.Put(ctx, app.TenantScope(tenantID), inbox.SecretIMAPPassword, password)
			},
			Mailer: a.Integrations.Mailer,
		},
	}
	a.Automations.Inbox = a.Inbox
	a.Engine.Inbox = a.Inbox // the Conversations workflow steps
	a.Server.Inbox = a.Inbox
}
