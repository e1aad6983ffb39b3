package platform

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"orengen/app"
)

// Tool is one open-source tool the agency runs for itself or a client
// (n8n, Mautic, Grafana, a WordPress plugin): what it is, where it is
// deployed and when its next update is due. The register is the agency's
// own (Nexus only).
type Tool struct {
	ID       int64
	Name     string
	Version  string
	Licence  string // SPDX expression, like "Apache-2.0" or "AGPL-3.0-only"
	URL      string // its home page or repository
	Deployed string // where it runs: a host, a URL, "Acme's VPS"
	// TenantID is the client it runs for (0: the agency's own use);
	// TenantName is filled when reading.
	TenantID   int64
	TenantName string
	// UpdateDue is the day its next update (or review) is due (nil: none
	// planned).
	UpdateDue *time.Time
	Notes     string
	// RemindedFor is the due date the last reminder was made for, and
	// ReminderTaskID that reminder's task in the house tenant's CRM.
	RemindedFor    *time.Time
	ReminderTaskID int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// ToolReminderLead is how long before its update is due a tool gets its
// reminder.
const ToolReminderLead = 7 * 24 * time.Hour

// ToolReminderInterval is how often serve looks for due tools.
const ToolReminderInterval = time.Hour

// Validate trims and checks the tool. Returns EINVALID naming the field.
func (t *Tool) Validate() error {
	for _, f := range []*string{&t.Name, &t.Version, &t.Licence, &t.URL, &t.Deployed, &t.Notes} {
		*f = strings.TrimSpace(*f)
	}
	switch {
	case t.Name == "":
		return app.FieldErrorf("name", "Name the tool, like n8n or Grafana.")
	case len(t.Name) > 200:
		return app.FieldErrorf("name", "The name must be at most 200 characters.")
	case len(t.Version) > 100:
		return app.FieldErrorf("version", "The version must be at most 100 characters.")
	case len(t.Licence) > 100:
		return app.FieldErrorf("licence", "The licence must be at most 100 characters (an SPDX expression, like Apache-2.0).")
	case len(t.Deployed) > 500:
		return app.FieldErrorf("deployed", "Where it is deployed must be at most 500 characters.")
	case len(t.Notes) > 5000:
		return app.FieldErrorf("notes", "Notes must be at most 5000 characters.")
	case t.TenantID < 0:
		return app.FieldErrorf("tenant_id", "Unknown client.")
	}
	if t.URL != "" {
		u, err := url.Parse(t.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(t.URL) > 2000 {
			return app.FieldErrorf("url", "Enter an http:// or https:// URL, like https://github.com/n8n-io/n8n.")
		}
	}
	if t.UpdateDue != nil {
		d := t.UpdateDue.UTC().Truncate(24 * time.Hour)
		t.UpdateDue = &d
	}
	return nil
}

// Status is "overdue" (the due day has passed), "due" (within
// ToolReminderLead), "ok", or "" when no update is planned.
func (t *Tool) Status(now time.Time) string {
	if t.UpdateDue == nil {
		return ""
	}
	today := now.UTC().Truncate(24 * time.Hour)
	switch {
	case t.UpdateDue.Before(today):
		return "overdue"
	case t.UpdateDue.Sub(today) <= ToolReminderLead:
		return "due"
	}
	return "ok"
}

// ReminderTitle is the reminder task's title.
func (t *Tool) ReminderTitle() string {
	s := "Update " + t.Name
	if t.Version != "" {
		s += " (now " + t.Version + ")"
	}
	if t.Deployed != "" {
		s += " at " + t.Deployed
	}
	if t.TenantName != "" {
		s += " for " + t.TenantName
	}
	return s + ": due " + t.UpdateDue.Format("2006-01-02")
}

// ToolStore persists the register. Its callers are admins (Nexus, admin
// API keys); the register belongs to no tenant.
type ToolStore interface {
	FindTools(ctx context.Context) ([]*Tool, error)
	// FindTool returns ENOTFOUND.
	FindTool(ctx context.Context, id int64) (*Tool, error)
	// CreateTool returns EINVALID for an unknown client.
	CreateTool(ctx context.Context, t *Tool) error
	// UpdateTool replaces the tool's fields. ENOTFOUND, EINVALID.
	UpdateTool(ctx context.Context, t *Tool) error
	// DeleteTool returns ENOTFOUND.
	DeleteTool(ctx context.Context, id int64) error
	// RemindTools makes, for each tool whose update is due by until and
	// that has no reminder for that due date yet, a task in the house
	// tenant's CRM (due that day, titled by title) and records it, one
	// transaction per tool. Returns the tools reminded.
	RemindTools(ctx context.Context, until time.Time, title func(*Tool) string) ([]*Tool, error)
}

// Tools is the register's service. Its store is unexported so that
// callers go through the service (make one with NewTools).
type Tools struct {
	store  ToolStore
	Now    func() time.Time
	Logger *slog.Logger
}

// NewTools returns the register's service over st; set the optional
// fields (Now, Logger) on the result.
func NewTools(st ToolStore) *Tools { return &Tools{store: st} }

func (s *Tools) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// List returns every tool, the soonest update first.
func (s *Tools) List(ctx context.Context) ([]*Tool, error) { return s.store.FindTools(ctx) }

// Get returns one tool. ENOTFOUND.
func (s *Tools) Get(ctx context.Context, id int64) (*Tool, error) { return s.store.FindTool(ctx, id) }

// Create validates and stores a tool, and reminds at once if its update
// is already due. Returns EINVALID.
func (s *Tools) Create(ctx context.Context, t *Tool) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := s.store.CreateTool(ctx, t); err != nil {
		return err
	}
	_, err := s.Remind(ctx)
	return err
}

// Update validates and replaces a tool (a new due date gets its own
// reminder). Returns ENOTFOUND or EINVALID.
func (s *Tools) Update(ctx context.Context, t *Tool) error {
	if err := t.Validate(); err != nil {
		return err
	}
	if err := s.store.UpdateTool(ctx, t); err != nil {
		return err
	}
	_, err := s.Remind(ctx)
	return err
}

// Delete removes a tool (its reminder tasks stay in the CRM). ENOTFOUND.
func (s *Tools) Delete(ctx context.Context, id int64) error { return s.store.DeleteTool(ctx, id) }

// Remind makes the reminders that are due now: one CRM task in the house
// tenant per tool and due date, ToolReminderLead before the day.
func (s *Tools) Remind(ctx context.Context) ([]*Tool, error) {
	ts, err := s.store.RemindTools(ctx, s.now().UTC().Truncate(24*time.Hour).Add(ToolReminderLead), (*Tool).ReminderTitle)
	if err != nil {
		return nil, fmt.Errorf("tool reminders: %w", err)
	}
	return ts, nil
}

// Run makes reminders every interval until ctx is done.
func (s *Tools) Run(ctx context.Context, interval time.Duration) {
	app.Every(ctx, interval, func(ctx context.Context) {
		if ts, err := s.Remind(ctx); err != nil && ctx.Err() == nil {
			s.log().Error("foss tools", "err", err)
		} else if len(ts) > 0 {
			s.log().Info("foss tools: reminders made", "tools", len(ts))
		}
	})
}

func (s *Tools) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}
