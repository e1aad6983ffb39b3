package cli

import (
	"orengen/app/inbox"
	"orengen/store"
)

// wireInbox builds Conversations: the inbox service on its store and
// the CRM, texting through the tenant's Twilio account, in Twilio's
// webhooks (texts and delivery reports) and in the server's pages.
func (a *App) wireInbox() {
	a.Inbox = &inbox.Service{
		Store:     store.NewInboxStore(a.DB),
		Telephony: a.Integrations.Telephony,
		People:    a.CRM,
		Tenants:   a.Tenants.Store,
		Chat:      a.Agents,
		Logger:    a.Logger,
	}
	a.Automations.Inbox = a.Inbox
	a.Server.Inbox = a.Inbox
}
