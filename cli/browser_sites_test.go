package cli

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/app/calendar"
	"orengen/app/sites"
)

// TestBrowser_SiteBuilder: a tenant owner builds a page of three blocks in
// the editor (the home page's hero, an added text block and an added
// form block), publishes it, sees it on the tenant's domain, fills its
// form as a visitor, which takes them to the funnel's next step (a
// thank-you page made from its template), and finds the lead in the CRM
// and the conversion and the funnel in the site's analytics.
func TestBrowser_SiteBuilder(t *testing.T) {
	ctx := newBrowserFor(t, 3*time.Minute)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Acme Roofing"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "owner@acme-roofing.test")
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Ann", "site builder password"); err != nil {
		t.Fatal(err)
	}
	tctx := app.NewContextWithTenant(bg, tn)
	if err := m.Domains.AddTenantDomain(bg, tn.ID, "acme-roofing.localhost"); err != nil {
		t.Fatal(err)
	}
	form := &app.Form{Name: "Roof quote", Fields: []app.FormField{{Name: "name", Label: "Your name", Type: app.FieldText, Required: true},
		{Name: "email", Label: "Email", Type: app.FieldEmail, Required: true}}}
	if err := m.Forms.SaveForm(tctx, form); err != nil {
		t.Fatal(err)
	}
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	port := addr[strings.LastIndex(addr, ":")+1:]
	portal := "http://app.localhost:" + port
	live := "http://acme-roofing.localhost:" + port
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "site-builder-failed")
		}
	}()
	var siteURL string
	if err := chromedp.Run(ctx, retryGone(
		loginTasks(portal+"/login", "owner@acme-roofing.test", "site builder password"),
		waitLoaded("aside.side", chromedp.ByQuery),
		chromedp.Click(`a[href="/sites"]`, chromedp.ByQuery),
		waitLoaded("#name", chromedp.ByID),
		chromedp.SendKeys("#name", "Acme roofs", chromedp.ByID),
		chromedp.SetValue("#domain", "acme-roofing.localhost", chromedp.ByID),
		chromedp.Submit("#name", chromedp.ByID),
		waitLoaded("#p_title", chromedp.ByID),
		chromedp.Location(&siteURL),
		// The home page, made with a hero block.
		chromedp.Click(`table a[href*="/pages/"]`, chromedp.ByQuery),
		waitLoaded("#page-form", chromedp.ByID),
		// Add a text block, then a form block.
		chromedp.SetValue("#add-type", "text", chromedp.ByID),
		chromedp.Click(`button[name=add]`, chromedp.ByQuery),
		waitLoaded("#b1_text", chromedp.ByID),
		chromedp.SetValue("#add-type", "form", chromedp.ByID),
		chromedp.Click(`button[name=add]`, chromedp.ByQuery),
		waitLoaded("#b2_form_id", chromedp.ByID),
	)); err != nil {
		t.Fatal(err)
	}
	// Fill the blocks' side panels (opened: a block with a heading shows
	// folded), as typing would: with input events for the preview.
	var preview, filled string
	fill := `(function (v) {
		document.querySelectorAll("details").forEach(function (d) { d.open = true });
		var out = [];
		Object.keys(v).forEach(function (id) {
			var el = document.getElementById(id);
			el.value = v[id];
			el.dispatchEvent(new Event("input", {bubbles: true}));
			out.push(id + "=" + el.value);
		});
		return out.join(";");
	})({"b0_heading": "Roofs fixed in a day", "b1_text": "Free **inspection** this month.", "b2_heading": "Get a quote", "b2_form_id": "` + itoa64(form.ID) + `"})`
	if err := chromedp.Run(ctx, chromedp.Evaluate(fill, &filled)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(filled, "b2_form_id="+itoa64(form.ID)) || !strings.Contains(filled, "b0_heading=Roofs") {
		t.Fatalf("fields: %q", filled)
	}
	// The live preview beside the editor follows the unsaved edits.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(preview, "Roofs fixed in a day") || !strings.Contains(preview, "inspection"); time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("preview: %.300s", preview)
		}
		chromedp.Run(ctx, chromedp.Evaluate(`(document.getElementById("preview").contentDocument || {body: {innerText: ""}}).body.innerText`, &preview))
	}
	if err := chromedp.Run(ctx,
		chromedp.Click(`button[name=publish]`, chromedp.ByQuery),
		waitLoaded(`.alert.ok`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	// A thank-you page from its template, and a funnel from the landing
	// page to it (the form then leads there), published from the site page.
	if err := chromedp.Run(ctx,
		chromedp.Click(`.crumbs a:nth-of-type(2)`, chromedp.ByQuery),
		waitLoaded("#p_title", chromedp.ByID),
		chromedp.SendKeys("#p_title", "Thanks", chromedp.ByID),
		chromedp.SendKeys("#p_slug", "thank-you", chromedp.ByID),
		chromedp.SetValue("#p_template", "thank-you", chromedp.ByID),
		chromedp.Submit("#p_title", chromedp.ByID),
		waitLoaded("#page-form", chromedp.ByID),
		chromedp.Click(`.crumbs a:nth-of-type(2)`, chromedp.ByQuery),
		waitLoaded("#funnels", chromedp.ByID),
		chromedp.SetValue("#funnels", "Quote | /, /thank-you", chromedp.ByID),
		chromedp.Submit("#funnels", chromedp.ByID),
		waitLoaded(`.alert.ok`, chromedp.ByQuery),
		waitText("Site settings saved"),
		chromedp.Click(`form[action$="/publish"] button`, chromedp.ByQuery),
		waitText("Published revision 2"),
	); err != nil {
		t.Fatal(err)
	}
	// A visitor on the tenant's domain.
	var h1, strong, sent string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(live+"/"),
		chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.Text("h1", &h1, chromedp.ByQuery),
		chromedp.Text("main strong", &strong, chromedp.ByQuery),
		chromedp.SendKeys(`input[name=name]`, "Vera Visitor", chromedp.ByQuery),
		chromedp.SendKeys(`input[name=email]`, "vera@visitor.test", chromedp.ByQuery),
		chromedp.Submit(`input[name=email]`, chromedp.ByQuery),
		// The funnel's next step.
		waitText("Thank you: you are in"),
		chromedp.Text(`h1`, &sent, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if h1 != "Roofs fixed in a day" || strong != "inspection" || !strings.Contains(sent, "Thank you") {
		t.Fatalf("live page: h1 %q strong %q next step %q", h1, strong, sent)
	}
	// The lead is in the CRM, and the conversion in the analytics.
	var people, stats string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(portal+"/crm/people"),
		chromedp.WaitVisible("main", chromedp.ByQuery),
		chromedp.Text("main", &people, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(people, "vera@visitor.test") && !strings.Contains(people, "Vera") {
		t.Fatalf("CRM people: %.500s", people)
	}
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(stats, "1 conversions"); time.Sleep(300 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("analytics: %q", stats)
		}
		chromedp.Run(ctx, chromedp.Navigate(siteURL+"/analytics"), chromedp.WaitVisible(".stats", chromedp.ByQuery), chromedp.Text(".stats", &stats, chromedp.ByQuery))
	}
	// The funnel's chart and table: one visitor converted on the landing
	// page and reached the thank-you step.
	var funnel string
	if err := chromedp.Run(ctx, chromedp.Text("main", &funnel, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(funnel, "Quote") || !regexp.MustCompile(`/\s+1\s+1\s+100`).MatchString(funnel) || !regexp.MustCompile(`/thank-you\s+1\s`).MatchString(funnel) {
		t.Fatalf("funnel on the analytics page: %.1500s", funnel)
	}
	screenshot(t, ctx, "site-builder-analytics")
}

// waitText waits until the page's text includes s, across navigations.
func waitText(s string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			var ok bool
			if err := chromedp.Evaluate(`!!document.body && document.body.innerText.includes(`+strconv.Quote(s)+`)`, &ok).Do(ctx); err == nil && ok {
				return nil
			}
		}
		return fmt.Errorf("no %q on the page", s)
	})
}

// TestBrowser_SiteTemplatesAccessibility runs axe-core on published pages
// made from the builder's templates (a whole service-business site, and
// the landing, webinar, lead-magnet and thank-you pages): no violation of
// serious or critical impact.
func TestBrowser_SiteTemplatesAccessibility(t *testing.T) {
	src := axeSource(t)
	ctx := newBrowserFor(t, 150*time.Second)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Axe Plumbing"}
	m, _, _ := setupTenantInvite(t, dir, tn, "", "owner@axe-plumbing.test")
	tctx := app.NewContextWithTenant(bg, tn)
	if err := m.Domains.AddTenantDomain(bg, tn.ID, "axe-plumbing.localhost"); err != nil {
		t.Fatal(err)
	}
	site := &sites.Site{Name: "Axe Plumbing", Domain: "axe-plumbing.localhost"}
	if _, err := m.Sites.CreateSiteFromTemplate(tctx, site, "service-business", sites.TemplateInput{}); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"landing", "webinar", "lead-magnet", "thank-you"} {
		if _, err := m.Sites.CreatePageFromTemplate(tctx, site.ID, k, k, "", sites.TemplateInput{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.Sites.Publish(tctx, site.ID, ""); err != nil {
		t.Fatal(err)
	}
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	live := "http://axe-plumbing.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	var failures []string
	for _, path := range []string{"/", "/about", "/services", "/contact", "/landing", "/webinar", "/lead-magnet", "/thank-you"} {
		var vs []axeViolation
		if err := chromedp.Run(ctx, chromedp.Navigate(live+path), waitLoaded("main h1, main h2", chromedp.ByQuery), axeRun(src, &vs)); err != nil {
			screenshot(t, ctx, "a11y-site"+strings.ReplaceAll(path, "/", "-"))
			t.Fatalf("%s: %v", path, err)
		}
		for _, v := range vs {
			failures = append(failures, fmt.Sprintf("%s: %s (%s): %s at %s", path, v.ID, v.Impact, v.Help, strings.Join(v.Targets, ", ")))
		}
	}
	if len(failures) > 0 {
		t.Fatalf("%d serious or critical accessibility violations:\n%s", len(failures), strings.Join(failures, "\n"))
	}
}

// TestBrowser_FunnelBooking: on a funnel's booking step, a visitor books
// a time inside the page's booking block (a frame) and the whole page
// goes on to the funnel's next step.
func TestBrowser_FunnelBooking(t *testing.T) {
	ctx := newBrowserFor(t, 2*time.Minute)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Book Roofing"}
	m, _, _ := setupTenantInvite(t, dir, tn, "", "owner@book-roofing.test")
	tctx := app.NewContextWithTenant(bg, tn)
	if err := m.Domains.AddTenantDomain(bg, tn.ID, "book-roofing.localhost"); err != nil {
		t.Fatal(err)
	}
	var all calendar.Availability
	for d := range all.Weekly {
		all.Weekly[d] = []calendar.Span{{Start: 0, End: 1440}}
	}
	cal := &calendar.Calendar{Name: "Roof desk", OwnerKind: calendar.OwnerTenant, TimeZone: "UTC", Availability: all}
	if err := m.Calendar.CreateCalendar(tctx, cal); err != nil {
		t.Fatal(err)
	}
	et := &calendar.EventType{Title: "Roof call", Slug: "roof-call", Durations: []int{30}, MinNotice: 60, Hosts: []int64{cal.ID}, Enabled: true}
	if err := m.Calendar.SaveEventType(tctx, et); err != nil {
		t.Fatal(err)
	}
	site := &sites.Site{Name: "Book Roofing", Domain: "book-roofing.localhost"}
	if _, err := m.Sites.CreateSiteFromTemplate(tctx, site, "funnel", sites.TemplateInput{EventType: "roof-call"}); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sites.CreatePageFromTemplate(tctx, site.ID, "thank-you", "welcome", "Welcome aboard", sites.TemplateInput{}); err != nil {
		t.Fatal(err)
	}
	site.Settings.Funnels = []sites.Funnel{{Name: "Call", Steps: []string{"", "thank-you", "book-a-call", "welcome"}}}
	if err := m.Sites.UpdateSite(tctx, site); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Sites.Publish(tctx, site.ID, ""); err != nil {
		t.Fatal(err)
	}
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	live := "http://book-roofing.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "funnel-booking-failed")
		}
	}()
	const inFrame = `(function () { var f = document.querySelector('iframe.booking'); return f && f.contentDocument; })()`
	if err := chromedp.Run(ctx, chromedp.Navigate(live+"/book-a-call"), waitLoaded("iframe.booking", chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for ready := false; !ready; {
		if time.Now().After(deadline) {
			t.Fatal("the booking frame shows no free time")
		}
		time.Sleep(200 * time.Millisecond)
		chromedp.Run(ctx, chromedp.Evaluate(`(function () { var d = `+inFrame+`; return !!(d && d.getElementById("bookform") && d.querySelector('input[name="start"]')); })()`, &ready))
	}
	// The visitor picks the first time, gives a name and email, and books.
	var ok bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(`(function () { var d = `+inFrame+`; var f = d.getElementById("bookform");
		d.querySelector('input[name="start"]').checked = true;
		f.querySelector('[name="name"]').value = "Framed Visitor";
		f.querySelector('[name="email"]').value = "framed@example.com";
		f.requestSubmit(); return true; })()`, &ok)); err != nil || !ok {
		t.Fatalf("booking in the frame: %v", err)
	}
	var where string
	for time.Now().Before(deadline) {
		chromedp.Run(ctx, chromedp.Location(&where))
		if strings.HasSuffix(where, "/welcome") {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if !strings.HasSuffix(where, "/welcome") {
		t.Fatalf("after booking the page is %s, want the funnel's next step /welcome", where)
	}
	var heading string
	if err := chromedp.Run(ctx, waitLoaded("main h1", chromedp.ByQuery), chromedp.Text("main h1", &heading, chromedp.ByQuery)); err != nil || heading == "" {
		t.Fatalf("next step's page: %v %q", err, heading)
	}
}
