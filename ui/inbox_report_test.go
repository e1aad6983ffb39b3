package ui_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app/inbox"
)

// TestInbox_Reports: tenant A has two texts, one answered from the
// thread page and closed; B has one. A's reports page shows A's figures
// with its charts (server-rendered SVG) and tables, B's page B's; the
// API gives the same as JSON to A's key, refuses ?tenant= from a tenant
// key and a bad date naming the field; Nexus sees every tenant or one.
func TestInbox_Reports(t *testing.T) {
	e := newTenantEnv(t)
	e.inboxTwilio()
	ctx := context.Background()
	a := map[string]string{"psid": e.A.Cookie}
	for i, from := range []string{"+15125550171", "+15125550172"} {
		if err := e.App.Inbox.InboundSMS(ctx, e.A.T.ID, map[string]string{"From": from, "To": "+15125550100", "Body": "Gutters?", "MessageSid": "SMrep" + strconv.Itoa(i)}, true, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.App.Inbox.InboundSMS(ctx, e.B.T.ID, map[string]string{"From": "+15125550173", "To": "+15125550178", "Body": "Teeth?", "MessageSid": "SMrepB"}, true, false); err != nil {
		t.Fatal(err)
	}
	cs, err := e.App.Stores.Inbox.FindConversations(ctx, inbox.Filter{TenantID: e.A.T.ID, Status: "all", Limit: 1})
	if err != nil || len(cs) != 1 {
		t.Fatalf("A's thread: %v %v", cs, err)
	}
	id := strconv.FormatInt(cs[0].ID, 10)
	for path, f := range map[string]url.Values{"/reply": {"text": {"Yes, Thursday."}}, "/assign": {"assignee": {"me"}}} {
		if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/" + id + path, Form: f, Cookies: a, CSRF: true}); st != 303 {
			t.Fatalf("%s: %d", path, st)
		}
	}
	if st, _, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/inbox/" + id + "/status", Form: url.Values{"status": {"closed"}}, Cookies: a, CSRF: true}); st != 303 {
		t.Fatalf("close: %d", st)
	}

	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/reports", Cookies: a})
	if st != 200 || !strings.Contains(body, `<strong id="report-conversations">2</strong>`) || !strings.Contains(body, "1 answered") || !strings.Contains(body, "1 closed") {
		t.Fatalf("A's report: %d %.3000s", st, body)
	}
	for _, want := range []string{`id="chart-channels"`, `id="chart-hours"`, `<svg class="chart-svg"`, `<th scope="row">sms</th><td>2</td><td>1</td>`, `<th scope="row">` + e.A.Owner.Email + `</th><td>1</td>`, `<th scope="row">Unassigned</th><td>1</td>`} {
		if !strings.Contains(body, want) {
			t.Fatalf("A's report lacks %s: %.4000s", want, body)
		}
	}
	if _, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox", Cookies: a}); !strings.Contains(body, `href="/inbox/reports"`) {
		t.Fatal("the inbox does not link its reports")
	}
	if _, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/reports", Cookies: map[string]string{"psid": e.B.Cookie}}); !strings.Contains(body, `<strong id="report-conversations">1</strong>`) {
		t.Fatalf("B's report: %.2000s", body)
	}
	if st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/inbox/reports?from=2027-02-01&to=2027-01-01", Cookies: a}); st != 400 || !strings.Contains(body, "from must be on or before to.") {
		t.Fatalf("bad period: %d", st)
	}

	// The API.
	var out struct {
		Data inbox.Report `json:"data"`
	}
	st, raw, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/api/v1/inbox-reports", Bearer: e.A.KeyRead})
	if st != 200 || json.Unmarshal([]byte(raw), &out) != nil {
		t.Fatalf("api: %d %s", st, raw)
	}
	if r := out.Data; r.TenantID != e.A.T.ID || r.Totals.Conversations != 2 || r.Totals.Responded != 1 || r.Totals.Resolved != 1 || r.Totals.MedianFirstResponse == nil || len(r.Hours) != 24 || len(r.Channels) != len(inbox.Channels) {
		t.Fatalf("api report: %s", raw)
	}
	if !strings.Contains(raw, `"median_first_response_seconds":`) || !strings.Contains(raw, `"median_resolution_seconds":`) {
		t.Fatalf("api field names: %s", raw)
	}
	for path, field := range map[string]string{"/api/v1/inbox-reports?tenant=" + strconv.FormatInt(e.B.T.ID, 10): "tenant", "/api/v1/inbox-reports?from=last-week": "from"} {
		if st, raw, _ := e.do(treq{Host: "portal", Method: "GET", Path: path, Bearer: e.A.KeyRead}); st != 400 || !strings.Contains(raw, `"field":"`+field+`"`) {
			t.Fatalf("%s: %d %s", path, st, raw)
		}
	}
	for q, want := range map[string]int{"": 3, "?tenant=" + strconv.FormatInt(e.B.T.ID, 10): 1} {
		st, raw, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/api/v1/inbox-reports" + q, Bearer: e.AdminKeyRead})
		if st != 200 || json.Unmarshal([]byte(raw), &out) != nil || out.Data.Totals.Conversations != want {
			t.Fatalf("nexus api %q: %d %s", q, st, raw)
		}
	}
	admin := map[string]string{"orengen_session": e.AdminCookie}
	if _, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/inbox/reports", Cookies: admin}); !strings.Contains(body, `<strong id="report-conversations">3</strong>`) || !strings.Contains(body, "every tenant") {
		t.Fatalf("nexus report: %.2000s", body)
	}
	if _, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/inbox/reports?tenant=" + strconv.FormatInt(e.A.T.ID, 10), Cookies: admin}); !strings.Contains(body, `<strong id="report-conversations">2</strong>`) {
		t.Fatalf("nexus report of A: %.2000s", body)
	}
}
