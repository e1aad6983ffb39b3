package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// scriptedSink answers each webhook request with the next scripted
// status and body, and records what it got.
type scriptedSink struct {
	mu      sync.Mutex
	answers []struct {
		code int
		body string
	}
	got []*http.Request
}

func (h *scriptedSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.got = append(h.got, r)
	code, body := 200, "ok"
	if len(h.answers) > 0 {
		code, body = h.answers[0].code, h.answers[0].body
		h.answers = h.answers[1:]
	}
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

func (h *scriptedSink) script(code int, body string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.answers = append(h.answers, struct {
		code int
		body string
	}{code, body})
}

func (h *scriptedSink) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.got)
}

// TestWebhookDeliveryLog: a delivery that fails is logged with its
// attempt (status code, error, duration, the start of the answer with
// the echoed signing secret and bearer token redacted, the next retry);
// redelivery from the API sends it at once through the server's guarded
// client (allowed to reach the loopback receiver by --outbound-allow,
// as an admin would), succeeds, and is logged as attempt 2, a
// redelivery; the portal page and Nexus page show both attempts; tenant
// B sees none of A's deliveries, a read key cannot redeliver and a bad
// filter is a 400 naming the field.
func TestWebhookDeliveryLog(t *testing.T) {
	sink := &scriptedSink{}
	srv := httptest.NewServer(sink)
	defer srv.Close()
	e := newTenantEnv(t, "--outbound-allow", srv.Listener.Addr().String())
	owner := map[string]string{"psid": e.A.Cookie}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	secret, err := e.Server.Webhooks.Subscribe(ctx, &app.WebhookSubscription{URL: srv.URL + "/crm", Events: []string{"person.created"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Server.Webhooks.Tick(ctx); err != nil { // the fixtures' events
		t.Fatal(err)
	}
	sink.mu.Lock()
	sink.got = nil
	sink.mu.Unlock()

	// The receiver fails and echoes what it got, credentials included.
	sink.script(503, `{"error":"busy","echo":"`+secret+`","auth":"Bearer ogt_abcdefghijklmnop","password":"hunter2"}`)
	p := &app.Person{FirstName: "Log", LastName: "Test", Emails: []string{"log@alpha.test"}}
	if err := e.Server.CRM.CreatePerson(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Server.Webhooks.Tick(ctx); err != nil {
		t.Fatal(err)
	}
	if n := sink.count(); n != 1 {
		t.Fatalf("receiver got %d requests, want 1", n)
	}

	// The log through the API: the newest delivery is this one.
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/webhooks/deliveries?event=person.created&limit=50", Bearer: e.A.KeyRead})
	var list struct {
		Data []struct {
			ID             int64   `json:"id"`
			URL            string  `json:"url"`
			Status         string  `json:"status"`
			LastStatusCode int     `json:"last_status_code"`
			NextAttemptAt  *string `json:"next_attempt_at"`
			TenantID       int64   `json:"tenant_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &list); st != 200 || err != nil {
		t.Fatalf("list: %d %v %s", st, err, body)
	}
	var id int64
	for _, d := range list.Data {
		if d.TenantID != e.A.T.ID {
			t.Fatalf("A's log lists tenant %d's delivery %d", d.TenantID, d.ID)
		}
		if d.URL == srv.URL+"/crm" {
			if d.Status != "pending" || d.LastStatusCode != 503 || d.NextAttemptAt == nil {
				t.Fatalf("failed delivery in the list: %+v", d)
			}
			id = d.ID
		}
	}
	if id == 0 {
		t.Fatalf("the failed delivery is not listed: %s", body)
	}
	type attempt struct {
		Attempt       int     `json:"attempt"`
		Redelivery    bool    `json:"redelivery"`
		StatusCode    int     `json:"status_code"`
		Error         string  `json:"error"`
		Response      string  `json:"response"`
		Outcome       string  `json:"outcome"`
		DurationMS    int64   `json:"duration_ms"`
		NextAttemptAt *string `json:"next_attempt_at"`
	}
	var one struct {
		Data struct {
			Status  string          `json:"status"`
			Payload json.RawMessage `json:"payload"`
			Log     []attempt       `json:"log"`
		} `json:"data"`
	}
	path := "/api/v1/webhooks/deliveries/" + strconv.FormatInt(id, 10)
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Bearer: e.A.KeyRead})
	if err := json.Unmarshal([]byte(body), &one); st != 200 || err != nil || len(one.Data.Log) != 1 {
		t.Fatalf("delivery: %d %v %s", st, err, body)
	}
	first := one.Data.Log[0]
	if first.Attempt != 1 || first.Redelivery || first.StatusCode != 503 || first.Outcome != "retry" || first.NextAttemptAt == nil ||
		!strings.Contains(first.Error, "503") || !strings.Contains(first.Response, `"error":"busy"`) || first.DurationMS < 0 {
		t.Fatalf("first attempt: %+v", first)
	}
	for _, leaked := range []string{secret, "ogt_abcdefghijklmnop", "hunter2"} {
		if strings.Contains(body, leaked) {
			t.Fatalf("the log shows %q: %s", leaked, first.Response)
		}
	}
	if !strings.Contains(string(one.Data.Payload), `"record_id":`+jsonInt(p.ID)) {
		t.Fatalf("payload: %s", one.Data.Payload)
	}

	// Bad input: a named 400; a read key cannot redeliver; B cannot see
	// or redeliver A's delivery (and the receiver hears nothing of it).
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/webhooks/deliveries?status=lost", Bearer: e.A.KeyRead}); st != 400 || !strings.Contains(body, `"field":"status"`) {
		t.Fatalf("bad status: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/webhooks/deliveries?tenant=1", Bearer: e.A.KeyRead}); st != 400 || !strings.Contains(body, `"field":"tenant"`) {
		t.Fatalf("tenant on the portal: %d %s", st, body)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path + "/redeliver", Bearer: e.A.KeyRead}); st != 403 {
		t.Fatalf("read key redelivers: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path + "/redeliver", Bearer: e.B.KeyWrite}); st != 404 {
		t.Fatalf("B redelivers A's: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Bearer: e.B.KeyRead}); st != 404 {
		t.Fatalf("B reads A's: %d", st)
	}
	if n := sink.count(); n != 1 {
		t.Fatalf("receiver got %d requests after refused redeliveries", n)
	}

	// Redelivery: sent now, signed, succeeds, logged as attempt 2.
	sink.script(200, `{"received":true}`)
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path + "/redeliver", Bearer: e.A.KeyWrite})
	var re struct {
		Data     attempt `json:"data"`
		Delivery struct {
			Status      string  `json:"status"`
			DeliveredAt *string `json:"delivered_at"`
		} `json:"delivery"`
	}
	if err := json.Unmarshal([]byte(body), &re); st != 200 || err != nil {
		t.Fatalf("redeliver: %d %v %s", st, err, body)
	}
	if re.Data.Attempt != 2 || !re.Data.Redelivery || re.Data.StatusCode != 200 || re.Data.Outcome != "succeeded" || re.Data.Response != `{"received":true}` ||
		re.Delivery.Status != "succeeded" || re.Delivery.DeliveredAt == nil {
		t.Fatalf("redelivery: %s", body)
	}
	sink.mu.Lock()
	if len(sink.got) != 2 {
		sink.mu.Unlock()
		t.Fatalf("receiver got %d requests, want 2", len(sink.got))
	}
	r := sink.got[1]
	sink.mu.Unlock()
	if r.Header.Get("X-Webhook-Delivery") != strconv.FormatInt(id, 10) || !strings.HasPrefix(r.Header.Get("X-Webhook-Signature"), "t=") {
		t.Fatalf("redelivered request headers: %v", r.Header)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Bearer: e.A.KeyRead})
	one.Data.Log = nil
	if err := json.Unmarshal([]byte(body), &one); st != 200 || err != nil || len(one.Data.Log) != 2 || one.Data.Log[1].Outcome != "succeeded" || one.Data.Status != "succeeded" {
		t.Fatalf("after redelivery: %d %s", st, body)
	}

	// The pages: the portal's owner sees both attempts; a member may not;
	// Nexus shows it among every tenant's, and ?tenant= narrows it.
	st, page, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/developers/webhooks/" + strconv.FormatInt(id, 10), Cookies: owner})
	if st != 200 || strings.Count(page, "<tr><td>") < 2 || !strings.Contains(page, "sent again") || !strings.Contains(page, "503") || strings.Contains(page, secret) {
		t.Fatalf("portal delivery page: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/developers/webhooks", Cookies: map[string]string{"psid": e.portalSession(e.A.Member)}}); st != 403 {
		t.Fatalf("member: %d", st)
	}
	st, page, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/developers/webhooks?status=succeeded", Cookies: owner})
	if st != 200 || !strings.Contains(page, `href="/developers/webhooks/`+strconv.FormatInt(id, 10)+`"`) || strings.Contains(page, "127.0.0.1:9") {
		t.Fatalf("portal log: %d", st)
	}
	if !strings.Contains(page, "kept for 30 days (at most the newest 100,000)") {
		t.Errorf("the log does not say how long it keeps deliveries")
	}
	// Pages of one: the newest, then through "Older deliveries" the one
	// before it, with the filter kept.
	st, page, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/developers/webhooks?limit=1&event=person.created", Cookies: owner})
	older := regexp.MustCompile(`href="/developers/webhooks\?([^"]+)">Older deliveries`).FindStringSubmatch(page)
	firstRows := regexp.MustCompile(`<tr><td><a href="/developers/webhooks/(\d+)">`).FindAllStringSubmatch(page, -1)
	if st != 200 || older == nil || len(firstRows) != 1 || !strings.Contains(older[1], "event=person.created") {
		t.Fatalf("first page of one: %d, %d rows, older link %v", st, len(firstRows), older)
	}
	_, page, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/developers/webhooks?" + strings.ReplaceAll(older[1], "&amp;", "&"), Cookies: owner})
	nextRows := regexp.MustCompile(`<tr><td><a href="/developers/webhooks/(\d+)">`).FindAllStringSubmatch(page, -1)
	firstID, _ := strconv.ParseInt(firstRows[0][1], 10, 64)
	if len(nextRows) != 1 || func() bool { n, _ := strconv.ParseInt(nextRows[0][1], 10, 64); return n >= firstID }() {
		t.Fatalf("second page: %v after %v", nextRows, firstRows)
	}
	st, page, _ = e.admin("GET", "/developers/webhooks", nil)
	if st != 200 || !strings.Contains(page, e.A.T.Name) || !strings.Contains(page, e.B.T.Name) {
		t.Fatalf("nexus log: %d", st)
	}
	st, page, _ = e.admin("GET", "/developers/webhooks?tenant="+strconv.FormatInt(e.B.T.ID, 10), nil)
	rows := regexp.MustCompile(`<tr><td><a href="/developers/webhooks/(\d+)">`).FindAllStringSubmatch(page, -1)
	if st != 200 || len(rows) == 0 || strings.Contains(page, `href="/developers/webhooks/`+strconv.FormatInt(id, 10)+`"`) {
		t.Fatalf("nexus log of B: %d, %d rows", st, len(rows))
	}
	// The admin sends B's delivery again from Nexus: the guard still
	// refuses B's 127.0.0.1:9, and the flash says so.
	st, _, resp := e.admin("POST", "/developers/webhooks/"+rows[0][1]+"/redeliver", nil)
	if st != 303 || !strings.Contains(flashOf(t, resp), "refused 127.0.0.1:9") {
		t.Fatalf("nexus redeliver: %d", st)
	}
}
