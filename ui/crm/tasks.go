package crm

import (
	"fmt"
	"net/url"
	fedui "orengen/ui/federal"
	"orengen/ui/web"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// Nexus > CRM > Tasks: every tenant's tasks (open by default), read-only,
// each with a link to what it is about: a person, company or deal, or a
// pursued notice or grant in the Federal pages.

type crmTasksPage struct {
	web.Layout
	Rows        []crmTaskRow
	Tenants     []*app.Tenant
	Tenant      string // the tenant filter ("": every tenant)
	Done        bool   // done tasks instead of open ones
	NextURL     string
	TenantNames map[int64]string
}

type crmTaskRow struct {
	*app.Task
	Link  string // "" when the record cannot be opened from here
	About string // what the task is linked to
}

// recordSeg maps record types to their URL segments (crmKinds reversed).
var recordSeg = func() map[string]string {
	m := map[string]string{}
	for _, k := range app.RecordKinds {
		m[k.Type] = k.Plural
	}
	return m
}()

func (s *Handler) handleNexusCRMTasks(c *fiber.Ctx) error {
	ctx := c.UserContext()
	tenants, err := s.Tenants.ListTenants(ctx)
	if err != nil {
		return err
	}
	p := &crmTasksPage{Tenants: tenants, Tenant: utils.CopyString(c.Query("tenant")), Done: c.Query("done") == "1", TenantNames: map[int64]string{}}
	for _, t := range tenants {
		p.TenantNames[t.ID] = t.BrandName()
	}
	ctx = app.NewContextAcrossTenants(ctx)
	if p.Tenant != "" {
		t, err := s.Tenants.TenantByRef(ctx, p.Tenant)
		if err != nil {
			return app.FieldErrorf("tenant", "Unknown tenant.")
		}
		ctx = app.NewContextWithTenant(ctx, t)
	}
	f := app.TaskFilter{Done: &p.Done, ListOptions: app.ListOptions{Limit: 100, Cursor: utils.CopyString(c.Query("cursor"))}}
	ts, next, err := s.CRM.FindTasks(ctx, f)
	if err != nil {
		return err
	}
	if next != "" {
		q := url.Values{"cursor": {next}}
		if p.Tenant != "" {
			q.Set("tenant", p.Tenant)
		}
		if p.Done {
			q.Set("done", "1")
		}
		p.NextURL = "/crm/tasks?" + q.Encode()
	}
	// Pursuits open in the Federal pages of the tenant they work for.
	fedTID := int64(0)
	if s.Federal != nil {
		if err := s.FederalPages.LoadFedTenant(c); err != nil {
			return err
		}
		fedTID = fedui.FedTenant(c)
	}
	want := map[string][]int64{}
	for _, t := range ts {
		if (t.RecordType == app.RecordPursuit || t.RecordType == app.RecordGrantPursuit) && t.TenantID == fedTID {
			want[t.RecordType] = append(want[t.RecordType], t.RecordID)
		}
	}
	keys := map[string]map[int64]string{}
	for typ, ids := range want {
		if keys[typ], err = s.Federal.PursuitKeys(fedui.FedContext(c), typ == app.RecordGrantPursuit, ids); err != nil {
			return err
		}
	}
	for _, t := range ts {
		row := crmTaskRow{Task: t}
		switch t.RecordType {
		case "":
		case app.RecordPursuit, app.RecordGrantPursuit:
			row.About = "Pursued notice"
			if t.RecordType == app.RecordGrantPursuit {
				row.About = "Pursued grant"
			}
			if key, ok := keys[t.RecordType][t.RecordID]; ok {
				row.Link = fedui.NoticeURL(key)
				if t.RecordType == app.RecordGrantPursuit {
					row.Link = fedui.GrantURL(key)
				}
			} else {
				row.About += " (switch Settings › Federal to this tenant to open it)"
			}
		default:
			row.About = fmt.Sprintf("%s %d", t.RecordType, t.RecordID)
			row.Link = fmt.Sprintf("/crm/%s/%d", recordSeg[t.RecordType], t.RecordID)
		}
		p.Rows = append(p.Rows, row)
	}
	p.Layout = s.Layout(c, web.HostNexus, "Tasks")
	return s.Render(c, "nexus/crm_tasks", p)
}
