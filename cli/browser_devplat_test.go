package cli

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
)

// TestBrowser_WebhookDeliveryLog: a client's webhook endpoint (a loopback
// receiver the server may reach through --outbound-allow) answers 503;
// serve's worker sends the event and the owner sees, under API &
// developer tools > Webhook deliveries, the delivery with its failed
// attempt: the status code and the start of the answer. The receiver is
// fixed, the owner presses "Send again" on the delivery's page, and a
// succeeded attempt (a redelivery) shows on the page and is in the
// database.
func TestBrowser_WebhookDeliveryLog(t *testing.T) {
	ctx := newBrowserFor(t, 90*time.Second)
	var healthy atomic.Bool
	var hits atomic.Int32
	sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte(`{"error":"receiver busy, try later"}`))
			return
		}
		w.Write([]byte(`{"ok":true}`))
	}))
	defer sink.Close()
	allow := []string{"--outbound-allow", sink.Listener.Addr().String()}

	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Hook Electric"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "hana@electric.test")
	m.Close()
	sv = openApp(t, dir, allow...) // the subscription's URL is checked against the allow-list
	tctx := app.NewContextWithTenant(bg, tn)
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Hana", "webhook log password"); err != nil {
		t.Fatal(err)
	}
	if _, err := sv.Webhooks.Subscribe(tctx, &app.WebhookSubscription{URL: sink.URL + "/orengen", Events: []string{"person.created"}}); err != nil {
		t.Fatal(err)
	}
	if err := sv.CRM.People.CreatePerson(tctx, &app.Person{FirstName: "Otto", LastName: "Ohm", Emails: []string{"otto@ohm.test"}}); err != nil {
		t.Fatal(err)
	}
	sv.Close()

	addr, _, _ := MustRunMain(t, dir, allow...)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	waitFor(t, "the worker's first attempt", 15*time.Second, func() bool { return hits.Load() > 0 })
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "webhooklog-failed")
		}
	}()

	// The log lists the delivery as not delivered, with the 503.
	var row string
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", "hana@electric.test", "webhook log password"),
		waitLoaded("aside.side", chromedp.ByQuery),
		chromedp.Navigate(base+"/developers/webhooks?event=person.created"),
		waitLoaded("#deliveries tbody tr", chromedp.ByQuery),
		chromedp.Text("#deliveries tbody tr", &row, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "webhooklog-list")
	if !strings.Contains(row, sink.URL+"/orengen") || !strings.Contains(row, "503") || strings.Contains(row, "delivered") {
		t.Fatalf("delivery row %q: want the receiver's URL and its 503, not delivered", row)
	}

	// The delivery's page: attempt 1 with its status code and the answer.
	var first, status string
	if err := chromedp.Run(ctx,
		chromedp.Click("#deliveries tbody tr a", chromedp.ByQuery),
		waitLoaded("#attempts tbody tr", chromedp.ByQuery),
		chromedp.Text("#attempts tbody tr", &first, chromedp.ByQuery),
		chromedp.Text("#delivery-status", &status, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(strings.TrimSpace(first), "1") || !strings.Contains(first, "503") || !strings.Contains(first, "retry") || !strings.Contains(first, "receiver busy, try later") {
		t.Fatalf("first attempt row %q: want attempt 1, 503, retry and the answer's start", first)
	}
	if strings.Contains(status, "delivered") {
		t.Fatalf("status %q before the receiver works", status)
	}
	var path string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`location.pathname`, &path)); err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(path, "/developers/webhooks/")

	// The receiver works again; Send again delivers at once.
	healthy.Store(true)
	var flash string
	var rows []string
	if err := chromedp.Run(ctx,
		chromedp.Click(`form[action$="/redeliver"] button`, chromedp.ByQuery),
		waitLoaded(".alert.ok", chromedp.ByQuery),
		chromedp.Text(".alert.ok", &flash, chromedp.ByQuery),
		chromedp.Text("#delivery-status", &status, chromedp.ByID),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#attempts tbody tr")).map(r => r.textContent)`, &rows),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "webhooklog-redelivered")
	if !strings.Contains(flash, "Delivered: the receiver answered 200") || !strings.Contains(status, "delivered") {
		t.Fatalf("after Send again: flash %q, status %q", flash, status)
	}
	var shown bool
	for _, r := range rows {
		if strings.Contains(r, "sent again") && strings.Contains(r, "200") && strings.Contains(r, "delivered") {
			shown = true
		}
	}
	if !shown {
		t.Fatalf("no succeeded redelivery among the attempts shown: %q", rows)
	}

	// The database holds the same: a failed first attempt with its 503,
	// and a succeeded redelivery with its 200, on this delivery.
	db := openDataDB(t, dir)
	var firstCode, okCode int
	var firstOutcome string
	if err := db.ReadDB().QueryRowContext(bg, `SELECT status_code, outcome FROM webhook_attempts WHERE delivery_id = ? AND attempt = 1`, id).Scan(&firstCode, &firstOutcome); err != nil {
		t.Fatalf("attempt 1 of delivery %s: %v", id, err)
	}
	if firstCode != 503 || firstOutcome != "retry" {
		t.Fatalf("attempt 1 in the database: %d %s", firstCode, firstOutcome)
	}
	if err := db.ReadDB().QueryRowContext(bg, `SELECT status_code FROM webhook_attempts WHERE delivery_id = ? AND redelivery = 1 AND outcome = 'succeeded'`, id).Scan(&okCode); err != nil || okCode != 200 {
		t.Fatalf("succeeded redelivery of delivery %s in the database: %d %v", id, okCode, err)
	}
	var dstatus string
	if err := db.ReadDB().QueryRowContext(bg, `SELECT status FROM webhook_deliveries WHERE id = ?`, id).Scan(&dstatus); err != nil || dstatus != "succeeded" {
		t.Fatalf("delivery %s status %q %v", id, dstatus, err)
	}
}

// TestBrowser_FOSSTools: in Nexus > Infrastructure > Open-source tools
// we run, the owner adds a tool whose update is due in three days and one
// due in three months; both are listed, only the first is flagged as due
// and has its reminder task.
func TestBrowser_FOSSTools(t *testing.T) {
	ctx := newBrowserFor(t, 90*time.Second)
	dir := t.TempDir()
	a := openApp(t, dir)
	mustNexusOwner(t, a, "ops@example.com", "foss tools browser password")
	a.Close()

	addr, _, _ := MustRunMain(t, dir)
	nexus := "http://nexus.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "fosstools-failed")
		}
	}()
	soon := time.Now().UTC().AddDate(0, 0, 3).Format(time.DateOnly)
	later := time.Now().UTC().AddDate(0, 3, 0).Format(time.DateOnly)
	add := func(name, version, licence, due string) chromedp.Tasks {
		return chromedp.Tasks{
			chromedp.Navigate(nexus + "/foss/tools"),
			waitLoaded("#tool-name", chromedp.ByID),
			chromedp.SendKeys("#tool-name", name, chromedp.ByID),
			chromedp.SendKeys("#tool-version", version, chromedp.ByID),
			chromedp.SendKeys("#tool-licence", licence, chromedp.ByID),
			chromedp.SendKeys("#tool-deployed", "automations.client.test", chromedp.ByID),
			chromedp.SetValue("#tool-due", due, chromedp.ByID),
			chromedp.Submit("#tool-name", chromedp.ByID),
			waitLoaded(`#tools a[href^="/foss/tools/"]`, chromedp.ByQuery),
		}
	}
	var rows []string
	if err := chromedp.Run(ctx,
		loginTasks(nexus+"/login", "ops@example.com", "foss tools browser password"),
		waitLoaded("main.content h1", chromedp.ByQuery),
		add("n8n", "1.70.1", "Sustainable-Use-1.0", soon),
		add("Uptime Kuma", "1.23.16", "MIT", later),
		chromedp.Navigate(nexus+"/foss/tools"),
		waitLoaded("#tools tbody tr", chromedp.ByQuery),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#tools tbody tr")).map(r => r.textContent)`, &rows),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "fosstools")
	var n8n, kuma string
	for _, r := range rows {
		switch {
		case strings.Contains(r, "n8n"):
			n8n = r
		case strings.Contains(r, "Uptime Kuma"):
			kuma = r
		}
	}
	if !strings.Contains(n8n, "1.70.1") || !strings.Contains(n8n, soon) || !strings.Contains(n8n, "due") || !strings.Contains(n8n, "task made") {
		t.Errorf("n8n row %q: want its version, due date %s, the due flag and its reminder task", n8n, soon)
	}
	if !strings.Contains(kuma, later) || strings.Contains(kuma, "due") || strings.Contains(kuma, "task made") {
		t.Errorf("Uptime Kuma row %q: due %s is months off, so no flag and no task", kuma, later)
	}
	var due int
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.querySelectorAll("#tools .pill.warn, #tools .pill.bad").length`, &due)); err != nil || due != 1 {
		t.Errorf("%d tools flagged, want 1 (%v)", due, err)
	}

	// The reminder is a task in the house CRM, shown under CRM > Tasks.
	var tasks string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(nexus+"/crm/tasks"),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Text("main.content", &tasks, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tasks, "n8n") || strings.Contains(tasks, "Uptime Kuma") {
		t.Errorf("CRM tasks: want the n8n reminder only:\n%.600s", tasks)
	}
}
