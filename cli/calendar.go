package cli

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/caldav"
	"orengen/httpx"
	"orengen/store"
	"orengen/ui"
)

// wireCalendar builds the universal calendar: the service (booking links
// signed with a key derived from the master key), its notifier (emails
// through the tenant's mailer, else the appliance's; workflow triggers)
// and the server's booking pages and API.
func (a *App) wireCalendar(tokenKey []byte) {
	cs := store.NewCalendarStore(a.DB)
	a.Stores.Calendar = cs
	a.Calendar = calendar.NewService(cs)
	a.Calendar.Logger, a.Calendar.TokenKey = a.Logger, tokenKey
	users := store.NewUserStore(a.DB)
	a.CalendarNotifier = &calendar.Notifier{Service: a.Calendar, Notices: cs, ICS: caldav.ICS{},
		Mailer: func(ctx context.Context, tenantID int64) (app.Mailer, error) {
			if m, err := a.Integrations.Mailer(ctx, tenantID); err == nil {
				return m, nil
			}
			return a.Mailer, nil
		},
		Host: func(ctx context.Context, c *calendar.Calendar) (calendar.Contact, error) {
			switch c.OwnerKind {
			case calendar.OwnerUser:
				u, err := users.FindUserByID(ctx, c.OwnerID)
				if err != nil || u.TenantID != c.TenantID {
					return calendar.Contact{}, nil
				}
				return calendar.Contact{Name: c.Name, Email: u.Email}, nil
			case calendar.OwnerAdmin:
				ad, err := a.Auth.Admins.FindAdminByID(ctx, c.OwnerID)
				if err != nil {
					return calendar.Contact{}, nil
				}
				return calendar.Contact{Name: c.Name, Email: ad.Email}, nil
			}
			t, err := a.Tenants.TenantByID(ctx, c.TenantID)
			if err != nil || t.SupportEmail == "" {
				if c.TenantID == app.HouseTenantID {
					return calendar.Contact{Name: c.Name, Email: a.Auth.OwnerEmail(ctx)}, nil
				}
				return calendar.Contact{}, nil
			}
			return calendar.Contact{Name: c.Name, Email: t.SupportEmail}, nil
		},
		Brand: func(ctx context.Context, tenantID int64) string {
			if t, err := a.Tenants.TenantByID(ctx, tenantID); err == nil {
				return t.BrandName()
			}
			return "Bookings"
		},
		ManageURL: func(ctx context.Context, tenantID int64, token string) string {
			return a.bookingBase(ctx, tenantID) + "/booking/" + token
		},
		HostPage: func(ctx context.Context, tenantID int64) string {
			if tenantID == app.HouseTenantID {
				return a.Server.URL(ui.HostNexus) + "/calendar/bookings"
			}
			return a.bookingBase(ctx, tenantID) + "/calendar/bookings"
		},
		Trigger: func(ctx context.Context, tenantID int64, trigger string, payload []byte) (int, error) {
			return a.Automations.Trigger(ctx, tenantID, trigger, payload)
		},
	}
	a.Server.Calendar = a.Calendar
	a.Calendar.ICS = caldav.ICS{}
	// Every tenant-configured server is dialled through the guarded client.
	dav := &caldav.Client{HTTP: a.outboundClient(httpx.Options{Timeout: 60 * time.Second})}
	a.CalendarSync = calendar.NewSyncer(a.Calendar, cs)
	a.CalendarSync.DAV, a.CalendarSync.Feeds, a.CalendarSync.Vault, a.CalendarSync.Logger = dav, dav, a.Vault, a.Logger
	a.Server.CalendarSync = a.CalendarSync
}

// seedFreeAudit gives the house tenant the "Free audit" meeting the
// seeded marketing site's "Book a free audit" links to, while it has no
// calendar (calendar.FreeAudit): a fresh install books from its first
// start, and the owner's own calendars are never touched.
func (a *App) seedFreeAudit(ctx context.Context) error {
	house := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	seeded, err := a.Calendar.SeedFreeAudit(house)
	if err != nil {
		return fmt.Errorf("seed the free audit meeting: %w", err)
	}
	if seeded {
		a.Logger.Info("seeded the house calendar \"Team\" and its \"Free audit\" meeting (/book/free-audit); change the hours in Nexus > Calendar")
	}
	return nil
}

// runCalendar sends booking notices and syncs calendars until ctx ends.
func (a *App) runCalendar(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); a.CalendarNotifier.Run(ctx, 0) }()
	go func() { defer wg.Done(); a.CalendarSync.Run(ctx, 0) }()
	wg.Wait()
}

// bookingBase is where a tenant's booking pages live: the marketing site
// for the house tenant, else the tenant's custom domain, else app.DOMAIN.
func (a *App) bookingBase(ctx context.Context, tenantID int64) string {
	if tenantID == app.HouseTenantID {
		return a.Server.URL(ui.HostSite)
	}
	if ds, err := a.Domains.DomainsByTenant(ctx, tenantID); err == nil && len(ds) > 0 {
		return a.Server.TenantURL(ds[0])
	}
	return a.Server.URL(ui.HostPortal)
}

// wireAgentBooker lets Agent Studio's tools book on the calendar (tenants
// without an event type keep the requested-time tasks).
func (a *App) wireAgentBooker() {
	if a.Agents == nil {
		return
	}
	a.Agents.Booker = &calendar.Booker{Service: a.Calendar,
		Person: func(ctx context.Context, tenantID, id int64) (string, string, string, error) {
			p, err := a.CRM.People.FindPerson(app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID}), id)
			if err != nil {
				return "", "", "", err
			}
			name := strings.TrimSpace(p.FirstName + " " + p.LastName)
			if name == "" {
				name = "Guest"
			}
			email, phone := "", ""
			if len(p.Emails) > 0 {
				email = p.Emails[0]
			}
			if len(p.Phones) > 0 {
				phone = p.Phones[0]
			}
			return name, email, phone, nil
		}}
}
