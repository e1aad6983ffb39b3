package inbox

import (
	"time"

	"orengen/app"
	"orengen/app/inbox"
)

func init() {
	fr, res := 300.0, 5400.0
	f := inbox.Figures{Conversations: 3, Responded: 2, Resolved: 1, MedianFirstResponse: &fr, MedianResolution: &res}
	r := &inbox.Report{TenantID: 2, From: "2026-11-06", To: "2026-12-05", Timezone: "America/Chicago", Start: time.Date(2026, 11, 6, 6, 0, 0, 0, time.UTC),
		Totals: f, Channels: []inbox.ChannelFigures{{Channel: "sms", Figures: f}, {Channel: "email"}}, Hours: make([]int, 24),
		Assignees: []inbox.AssigneeFigures{{Assignee: "user:a@b.test", Figures: f}, {Assignee: ""}}}
	r.Hours[9] = 3
	for _, host := range []string{"portal", "nexus"} {
		nexus := host == "nexus"
		pageData[host+"/inbox_reports"] = func() any {
			return &reportPage{Nexus: nexus, TenantList: []*app.Tenant{{ID: 2, Name: "Acme"}}, Tenant: "2", From: r.From, To: r.To, Report: r, Charts: reportCharts(r), Error: "e"}
		}
	}
}
