package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"orengen/app"
)

// TestBrowser_Dashboard: a client's owner signs in and the portal home
// draws its charts with the tenant's data: bars for the leads of each
// source and for the open pipeline stage, each SVG with its accessible
// title, a data table, and a link to the list behind the chart.
func TestBrowser_Dashboard(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Chart Roofing"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "cara@roofing.test")
	tctx := app.NewContextWithTenant(bg, tn)
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Cara", "dashboard chart password"); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*app.Deal{{Name: "Roof for the Lees", Amount: 1250000, Currency: "USD"}, {Name: "Gutters", Amount: 300000, Currency: "USD"}} {
		if err := sv.CRM.Deals.CreateDeal(tctx, d); err != nil {
			t.Fatal(err)
		}
	}
	for i, src := range []string{"website", "website", "referral"} {
		l := &app.Lead{FirstName: "Lead", LastName: string(rune('A' + i)), Email: "lead" + string(rune('a'+i)) + "@x.test", Source: src}
		if err := sv.Server.Leads.CreateTenantLead(tctx, l); err != nil {
			t.Fatal(err)
		}
	}
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	var leadBars, pipeBars int
	var leadTitle, pipeTitle, pipeLink, leadTable string
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", "cara@roofing.test", "dashboard chart password"),
		chromedp.WaitVisible("#chart-leads svg", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#chart-leads svg rect.bar").length`, &leadBars),
		chromedp.Evaluate(`document.querySelectorAll("#chart-pipeline svg rect.bar").length`, &pipeBars),
		chromedp.Evaluate(`document.querySelector("#chart-leads svg > title").textContent`, &leadTitle),
		chromedp.Evaluate(`document.querySelector("#chart-pipeline svg > title").textContent`, &pipeTitle),
		chromedp.Evaluate(`document.querySelector("#chart-pipeline .chart-link a").getAttribute("href")`, &pipeLink),
		chromedp.Evaluate(`document.querySelector("#chart-leads table").textContent`, &leadTable),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "dashboard")
	// Today's bar has two sources stacked: website and referral.
	if leadBars != 2 || leadTitle != "Leads per day by source" || !strings.Contains(leadTable, "website") || !strings.Contains(leadTable, "referral") {
		t.Errorf("leads chart: %d bars, title %q, table %q", leadBars, leadTitle, leadTable)
	}
	// Both deals sit in the first stage: one bar, 15,500 USD.
	if pipeBars != 1 || pipeTitle != "Pipeline value by stage" || pipeLink != "/crm/pipeline" {
		t.Errorf("pipeline chart: %d bars, title %q, link %q", pipeBars, pipeTitle, pipeLink)
	}
	var pipeText string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelector("#chart-pipeline svg").textContent`, &pipeText)); err != nil || !strings.Contains(pipeText, "15,500") {
		t.Errorf("pipeline value: %q %v", pipeText, err)
	}
}
