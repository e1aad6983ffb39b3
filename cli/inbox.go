package cli

import (
	"context"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/agents"
	"orengen/app/inbox"
	"orengen/imap"
	"orengen/smtpd"
	"orengen/store"
)

// wireInbox builds Conversations: the inbox service on its store and
// the CRM, texting through the tenant's Twilio account, email over the
// tenant's IMAP mailbox (dialled through the outbound guard: a tenant's
// host may not be a private address) and SMTP, in Twilio's webhooks
// (texts and delivery reports) and in the server's pages.
func (a *App) wireInbox() {
	st := store.NewInboxStore(a.DB)
	a.Stores.Inbox = st
	a.Inbox = inbox.NewService(st, a.CRM.People)
	a.Inbox.Telephony = a.Integrations.Telephony
	// The MMS media and call recordings at Twilio: fetching them is not
	// metered, so the unmetered client.
	a.Inbox.TwilioFiles = func(ctx context.Context, tenantID int64) (inbox.TwilioFiles, error) {
		acct := a.Integrations.Twilio(ctx, tenantID)
		if !acct.Complete() {
			return nil, errors.New("twilio is not configured")
		}
		return a.newTwilio(ctx, tenantID, acct)
	}
	a.Inbox.Tenants = a.Stores.Tenants
	a.Inbox.Chat = a.Agents
	a.Inbox.Logger = a.Logger
	// Round robin and @mentions: the tenant's team, mentions emailed
	// with a link to the thread in the tenant's portal.
	a.Inbox.Team = func(ctx context.Context, tenantID int64) ([]*app.User, error) {
		return a.Users.ListUsers(app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID}))
	}
	a.Inbox.Notify = a.Mailer
	a.Inbox.ThreadURL = func(ctx context.Context, tenantID, convID int64) string {
		return a.Users.PortalURL(ctx, &app.Tenant{ID: tenantID}) + fmt.Sprintf("/inbox/%d", convID)
	}
	// Broadcasts to saved views, with signed unsubscribe links on the
	// tenant's portal host under a key of the tenant's in the vault.
	a.Inbox.Broadcasts = st
	a.Inbox.Audience = a.CRMService
	a.Inbox.PortalURL = func(ctx context.Context, tenantID int64) string {
		return a.Users.PortalURL(ctx, &app.Tenant{ID: tenantID})
	}
	a.Inbox.SigningKey = a.unsubscribeKey
	a.Inbox.Quiet = st
	fetcher := &imap.Fetcher{Dial: a.Outbound.DialContext}
	a.Inbox.Mail = &inbox.Mail{
		Mailboxes: st,
		Fetcher:   fetcher,
		Watcher:   fetcher, // IMAP IDLE where the server offers it
		Password: func(ctx context.Context, tenantID int64) (string, error) {
			return a.Integrations.Secret(ctx, tenantID, inbox.SecretIMAPPassword), nil
		},
		SetPassword: func(ctx context.Context, tenantID int64, password string) error {
			return a.Vault.Put(ctx, app.TenantScope(tenantID), inbox.SecretIMAPPassword, password)
		},
		Mailer: a.Integrations.Mailer,
		// inbox+TOKEN@DOMAIN through the listener serve starts with
		// --inbound-smtp-addr (ListenInboundSMTP).
		Inbound:       st,
		InboundDomain: a.Config.Domain,
		Parse:         imap.Parse,
	}
	// Web chats are threads too: Agent Studio's turns are mirrored, and
	// a person takes a chat over from the inbox (Chat above).
	a.Agents.OnTurns = func(ctx context.Context, c *agents.Conversation, turns []*agents.Turn) {
		ch := inbox.ChatTurns{TenantID: c.TenantID, ConversationID: c.ID, AgentName: c.AgentName, PersonID: c.PersonID, Visitor: c.Visitor}
		for _, t := range turns {
			ch.Turns = append(ch.Turns, inbox.ChatTurn{ID: t.ID, Role: t.Role, Text: t.Content, Author: t.Author})
		}
		a.Inbox.MirrorChat(ctx, ch)
	}
	a.Automations.Inbox = a.Inbox
	a.Engine.Inbox = a.Inbox // the Conversations workflow steps
	a.Engine.QuietHours = a.Inbox.QuietUntil
	a.Server.Inbox = a.Inbox
}

// ListenInboundSMTP opens the inbound mail listener when
// --inbound-smtp-addr is set (nil otherwise): recipients are the
// tenants' enabled inbox+TOKEN@DOMAIN addresses only, so it relays
// nothing. A storage failure answers 451 and the sender retries.
func (a *App) ListenInboundSMTP() (*smtpd.Server, error) {
	if a.Config.InboundSMTPAddr == "" {
		return nil, nil
	}
	srv := &smtpd.Server{Addr: a.Config.InboundSMTPAddr, Domain: a.Config.Domain, Logger: a.Logger,
		Accept: func(ctx context.Context, rcpt string) error {
			_, err := a.Inbox.AcceptInbound(ctx, rcpt)
			return smtpRejection(err)
		},
		Deliver: func(ctx context.Context, rcpt, from string, raw []byte) error {
			return smtpRejection(a.Inbox.DeliverInbound(ctx, rcpt, from, raw))
		},
	}
	addr, err := srv.Listen()
	if err != nil {
		return nil, fmt.Errorf("--inbound-smtp-addr %s: %w (is another program using the port?)", a.Config.InboundSMTPAddr, err)
	}
	a.Inbox.Mail.InboundListen = addr.String()
	return srv, nil
}

// smtpRejection turns the inbox's refusals into SMTP answers; other
// errors stay (451: try later).
func smtpRejection(err error) error {
	switch app.ErrorCode(err) {
	case "":
		return err
	case app.ENOTFOUND:
		return &smtpd.Rejection{Code: 550, Enhanced: [3]int{5, 1, 1}, Message: app.ErrorMessage(err)}
	case app.ECONFLICT:
		return &smtpd.Rejection{Code: 554, Enhanced: [3]int{5, 4, 6}, Message: app.ErrorMessage(err)}
	case app.EINVALID:
		return &smtpd.Rejection{Code: 554, Enhanced: [3]int{5, 6, 0}, Message: app.ErrorMessage(err)}
	}
	return err
}

// unsubscribeKey returns the tenant's key that signs unsubscribe links,
// made (32 random bytes, in the vault) on first use.
func (a *App) unsubscribeKey(ctx context.Context, tenantID int64) ([]byte, error) {
	scope := app.TenantScope(tenantID)
	k, err := a.Vault.Get(ctx, scope, inbox.SecretUnsubscribeKey)
	if app.ErrorCode(err) == app.ENOTFOUND {
		k = app.RandomToken(32)
		err = a.Vault.Put(ctx, scope, inbox.SecretUnsubscribeKey, k)
	}
	if err != nil {
		return nil, err
	}
	return []byte(k), nil
}
