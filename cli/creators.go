package cli

import (
	"context"
	"time"

	"orengen/app"
	"orengen/app/creators"
	"orengen/store"
)

// CreatorReminderInterval is how often the usage-rights reminders are
// looked for.
const CreatorReminderInterval = time.Hour

// wireCreators builds creator (UGC) management (issue #22): private
// links signed with a key derived from the master key; usage-rights
// reminders mailed to the tenant's owners (the agency's owner for the
// house tenant) through the tenant's mailer, else the appliance's.
func (a *App) wireCreators(tokenKey []byte) {
	a.Stores.Creators = store.NewCreatorStore(a.DB)
	a.Creators = creators.NewService(a.Stores.Creators)
	a.Creators.Audit = a.Audit
	a.Creators.TokenKey = tokenKey
	a.Creators.Logger = a.Logger
	a.Creators.Mailer = func(ctx context.Context, tenantID int64) (app.Mailer, error) {
		if m, err := a.Integrations.Mailer(ctx, tenantID); err == nil {
			return m, nil
		}
		return a.Mailer, nil
	}
	a.Creators.Owners = func(ctx context.Context, tenantID int64) ([]string, error) {
		ctx = app.WithoutValues(ctx)
		t, err := a.Tenants.TenantByID(ctx, tenantID)
		if err != nil {
			return nil, err
		}
		users, err := a.Users.Users.FindTenantUsers(app.NewContextWithTenant(ctx, t))
		if err != nil {
			return nil, err
		}
		var out []string
		for _, u := range users {
			if u.Role == app.UserRoleOwner && u.Email != "" {
				out = append(out, u.Email)
			}
		}
		if len(out) == 0 && tenantID == app.HouseTenantID {
			if e := a.Auth.OwnerEmail(ctx); e != "" {
				out = append(out, e)
			}
		}
		return out, nil
	}
	a.Server.Creators = a.Creators
}

// runCreators sends the usage-rights reminders until ctx ends.
func (a *App) runCreators(ctx context.Context) {
	app.Every(ctx, CreatorReminderInterval, func(ctx context.Context) { a.Creators.RemindUsage(ctx) })
}
