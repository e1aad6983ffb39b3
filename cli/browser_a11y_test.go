package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/internal/realtest"
)

// axeSource reads axe-core (Deque's accessibility engine, from the npm
// registry: .ci/run unpacks axe-core's package and sets ORENGEN_AXE to
// its axe.min.js).
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("ORENGEN_AXE")
	if path == "" {
		realtest.Missing(t, "axe-core: set ORENGEN_AXE to axe.min.js (npm pack axe-core@4.11.0; .ci/run does this)")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return string(b)
}

// axeViolation is one rule axe found broken, with where.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	Targets []string `json:"targets"`
}

// axeRun runs axe-core on the page shown and returns its violations of
// serious or critical impact.
func axeRun(src string, out *[]axeViolation) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var defined bool
		if err := chromedp.Evaluate(`typeof window.axe === "object"`, &defined).Do(ctx); err != nil {
			return err
		}
		if !defined {
			// Runtime.evaluate is not subject to the page's CSP.
			if err := chromedp.Evaluate(src+";true", &defined).Do(ctx); err != nil {
				return fmt.Errorf("load axe-core: %w", err)
			}
		}
		js := `axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
			.filter(v => v.impact === "serious" || v.impact === "critical")
			.map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " (" + ((n.any[0] || n.all[0] || n.none[0] || {}).message || "") + ")")})))`
		return chromedp.Evaluate(js, out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }).Do(ctx)
	})
}

// TestBrowser_Accessibility runs axe-core on the pages issue #15 names (the
// login page, the dashboard, the CRM list, the kanban and the workflow
// builder), in Nexus and in a client's portal: no violation of serious or
// critical impact (contrast, names of controls, landmarks, labels...).
func TestBrowser_Accessibility(t *testing.T) {
	src := axeSource(t)
	ctx := newBrowserFor(t, 150*time.Second)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Axe Roofing"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "ann@axe.test")
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Ann", "accessibility portal password"); err != nil {
		t.Fatal(err)
	}
	tctx := app.NewContextWithTenant(bg, tn)
	if err := sv.CRM.Deals.CreateDeal(tctx, &app.Deal{Name: "Roof for the Lees", Amount: 1250000, Currency: "USD"}); err != nil {
		t.Fatal(err)
	}
	if err := sv.CRM.People.CreatePerson(tctx, &app.Person{FirstName: "Lee", LastName: "Park", Emails: []string{"lee@axe.test"}, Source: "test"}); err != nil {
		t.Fatal(err)
	}
	mustNexusOwner(t, sv, "ops@axe.test", "accessibility nexus password")
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	port := addr[strings.LastIndex(addr, ":")+1:]
	nexus, portal := "http://nexus.localhost:"+port, "http://app.localhost:"+port
	var failures []string
	check := func(name string, pre chromedp.Action, url, ready string) {
		t.Helper()
		var vs []axeViolation
		tasks := chromedp.Tasks{}
		if pre != nil {
			tasks = append(tasks, pre)
		}
		if url != "" {
			tasks = append(tasks, chromedp.Navigate(url))
		}
		tasks = append(tasks, waitLoaded(ready, chromedp.ByQuery), axeRun(src, &vs))
		if err := chromedp.Run(ctx, tasks); err != nil {
			screenshot(t, ctx, "a11y-"+name)
			t.Fatalf("%s: %v", name, err)
		}
		for _, v := range vs {
			failures = append(failures, fmt.Sprintf("%s: %s (%s): %s at %s", name, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", ")))
		}
	}
	check("nexus login", nil, nexus+"/login", "#email")
	check("nexus dashboard", loginTasks(nexus+"/login", "ops@axe.test", "accessibility nexus password"), "", "main.content h1")
	check("nexus CRM list", nil, nexus+"/crm/people", "main.content table")
	check("nexus kanban", nil, nexus+"/crm/pipeline", "main.content .kanban")
	check("nexus workflow builder", nil, nexus+"/automations/new", ".wf-canvas li")
	check("portal login", nil, portal+"/login", "#email")
	check("portal dashboard", loginTasks(portal+"/login", "ann@axe.test", "accessibility portal password"), "", "main.content h1")
	check("portal CRM list", nil, portal+"/crm/deals", "main.content table")
	check("portal kanban", nil, portal+"/crm/pipeline", "main.content .kanban-card")
	check("portal workflow builder", nil, portal+"/automations/workflows/new", ".wf-canvas li")
	if len(failures) > 0 {
		t.Fatalf("%d serious or critical accessibility violations:\n%s", len(failures), strings.Join(failures, "\n"))
	}
}
