package nexus

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/ui/web"
)

// missionControl charts the business across every tenant over the
// requested range (?from, ?to), plus replication lag and backup age.
func (s *Handler) missionControl(c *fiber.Ctx) (*web.DashView, error) {
	now := time.Now()
	r, err := web.DashRangeFrom(c, now)
	if err != nil {
		return nil, err
	}
	d, err := s.Dashboard.MissionControl(c.UserContext(), r)
	if err != nil {
		return nil, err
	}
	links := web.DashLinks{Leads: "/leads", Pipeline: "/crm/pipeline", Deals: "/crm/deals", Runs: "/automations/runs", Usage: "/tenants"}
	if s.Federal != nil {
		links.Federal = "/federal/pipeline"
	}
	v := web.NewDashView(d, links, now)
	v.DeadlineLink = "/federal/opportunities/%s"
	if s.Backups != nil {
		v.Charts = append(v.Charts, backupChart(s.Backups.Overview(c.UserContext()), now))
	}
	return v, nil
}

// backupChart shows each database's replication lag on each replica,
// with the age of its last sync in the table.
func backupChart(o *app.BackupOverview, now time.Time) web.Chart {
	ch := web.Chart{ID: "chart-backups", Title: "Replication lag and backup age", Link: "/backups", LinkLabel: "Backups",
		Series: []web.ChartSeries{{Name: "Lag (s)"}, {Name: "Last sync (age, s)"}},
		Format: func(v float64) string { return fmt.Sprintf("%.1f s", v) }}
	ch.Empty = "No replica has reported yet."
	if o != nil && o.Problem != "" {
		ch.Empty = "Replication state unknown: " + o.Problem
	}
	if o != nil {
		for _, db := range o.Databases {
			for _, rp := range db.Replicas {
				ch.Categories = append(ch.Categories, db.Name+" → "+rp.Name)
				// A replica with nothing to ship has no lag: draw a hairline.
				ch.Series[0].Values = append(ch.Series[0].Values, max(rp.Lag.Seconds(), 0.001))
				age := -1.0
				if !rp.LastSyncAt.IsZero() {
					age = now.Sub(rp.LastSyncAt).Seconds()
				}
				ch.Series[1].Values = append(ch.Series[1].Values, age)
			}
		}
	}
	ch.Description = "How far each database's replica is behind, and how long ago it last synced."
	return ch
}
