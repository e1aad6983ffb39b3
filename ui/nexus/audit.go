package nexus

import (
	"net/url"
	"orengen/ui/web"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// registerAuditRoutes serves System > Audit log and System > Outbox.
func (s *Handler) registerAuditRoutes(r fiber.Router) {
	r.Get("/audit", s.handleAudit)
	r.Get("/outbox", s.handleOutbox)
	r.Get("/outbox/:id", s.handleOutboxMessage)
}

type auditPage struct {
	web.Layout
	Entries []*app.AuditEntry
	Total   int
	Action  string
	Actor   string
	Tenant  string
	Since   string
	Until   string
	Page    int
	Prev    string
	Next    string
	Tenants []*app.Tenant
	Error   string
}

const auditPageSize = 100

func (s *Handler) handleAudit(c *fiber.Ctx) error {
	p := &auditPage{Action: utils.CopyString(c.Query("action")), Actor: utils.CopyString(c.Query("actor")), Tenant: utils.CopyString(c.Query("tenant")),
		Since: utils.CopyString(c.Query("since")), Until: utils.CopyString(c.Query("until"))}
	f := app.AuditFilter{Action: p.Action, Actor: p.Actor, Limit: auditPageSize}
	var err error
	if p.Page, err = web.AtoiDefault(c.Query("page"), 1); err != nil || p.Page < 1 {
		p.Page = 1
	}
	f.Offset = (p.Page - 1) * auditPageSize
	if p.Tenant != "" {
		if id, err := strconv.ParseInt(p.Tenant, 10, 64); err == nil {
			f.TenantID = &id
		} else {
			p.Error = "Tenant filter must be a tenant."
		}
	}
	for _, d := range []struct {
		v   string
		dst **time.Time
		add time.Duration
	}{{p.Since, &f.Since, 0}, {p.Until, &f.Until, 24 * time.Hour}} {
		if d.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", d.v)
		if err != nil {
			p.Error = "Dates must look like 2026-01-31."
			continue
		}
		t = t.Add(d.add)
		*d.dst = &t
	}
	if p.Entries, p.Total, err = s.Audit.Find(c.UserContext(), f); err != nil {
		return err
	}
	if p.Tenants, err = s.Tenants.ListTenants(c.UserContext()); err != nil {
		return err
	}
	q := url.Values{"action": {p.Action}, "actor": {p.Actor}, "tenant": {p.Tenant}, "since": {p.Since}, "until": {p.Until}}
	if p.Page > 1 {
		q.Set("page", strconv.Itoa(p.Page-1))
		p.Prev = "/audit?" + q.Encode()
	}
	if f.Offset+len(p.Entries) < p.Total {
		q.Set("page", strconv.Itoa(p.Page+1))
		p.Next = "/audit?" + q.Encode()
	}
	p.Layout = s.Layout(c, web.HostNexus, "Audit log")
	return s.Render(c, "nexus/audit", p)
}

type outboxPage struct {
	web.Layout
	Messages []*app.OutboxMessage
	Total    int
	Message  *app.OutboxMessage
}

func (s *Handler) handleOutbox(c *fiber.Ctx) error {
	msgs, total, err := s.Outbox.Find(c.UserContext(), 200)
	if err != nil {
		return err
	}
	p := &outboxPage{Messages: msgs, Total: total}
	p.Layout = s.Layout(c, web.HostNexus, "Outbox")
	return s.Render(c, "nexus/outbox", p)
}

func (s *Handler) handleOutboxMessage(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	m, err := s.Outbox.FindByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	p := &outboxPage{Message: m}
	p.Layout = s.Layout(c, web.HostNexus, "Outbox: "+m.Subject)
	return s.Render(c, "nexus/outbox", p)
}
