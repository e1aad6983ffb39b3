package ui_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app/billing"
)

// TestBilling_PlanModules: the admin makes a plan without courses in
// Nexus (the plan form's module checkboxes). Client A, on no plan yet,
// sees Courses; once on the plan, its portal navigation has no Courses
// entry and the course pages, the members' area and the courses API
// answer 403 naming the module, while B (on no plan) and Nexus keep them.
// When the plan is changed through the API to include courses again, A
// gets them back. An unknown module in the API is a 400 naming the field.
func TestBilling_PlanModules(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	admin := map[string]string{"orengen_session": e.AdminCookie}
	a := strconv.FormatInt(e.A.T.ID, 10)
	portal := func(cookie, path string) (int, string) {
		st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: path, Cookies: map[string]string{"psid": cookie}})
		return st, body
	}
	api := func(key, path string) (int, string) {
		st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: path, Bearer: key})
		return st, body
	}
	const nav = `href="/courses"`
	sees := func(who string, cookie, key string, want bool) {
		t.Helper()
		_, home := portal(cookie, "/")
		st, page := portal(cookie, "/courses")
		ast, _ := api(key, "/api/v1/courses")
		lst, _ := portal("", "/learn?tenant="+a)
		if who == "B" {
			lst = 200 // the members' area of B is not looked at
		}
		if want {
			if !strings.Contains(home, nav) || st != 200 || ast != 200 || lst != 200 {
				t.Fatalf("%s should see courses: nav %v, page %d, API %d, members' area %d", who, strings.Contains(home, nav), st, ast, lst)
			}
			return
		}
		if strings.Contains(home, nav) || !strings.Contains(home, `href="/crm/people"`) {
			t.Fatalf("%s's navigation still offers Courses (or lost the CRM): %.3000s", who, home)
		}
		const msg = "Your plan does not include Courses &amp; community"
		if st != 403 || !strings.Contains(page, msg) {
			t.Fatalf("%s's course page: %d %.2000s", who, st, page)
		}
		if ast, body := api(key, "/api/v1/courses"); ast != 403 || !strings.Contains(body, `does not include Courses \u0026 community`) {
			t.Fatalf("%s's courses API: %d %s", who, ast, body)
		}
		if lst != 403 {
			t.Fatalf("%s's members' area: %d", who, lst)
		}
	}
	sees("A", e.A.Cookie, e.A.KeyRead, true)

	// The plan, from the Nexus form: every module checked but courses.
	plan := url.Values{"name": {"No courses"}, "interval": {"month"}, "price": {"29"}, "markup_pct": {"20"}, "active": {"1"}}
	for _, m := range billing.Modules {
		if m.Key != "courses" {
			plan.Set("module_"+m.Key, "1")
		}
	}
	st, _, _ := e.do(treq{Host: "nexus", Method: "POST", Path: "/billing/plans", Form: plan, CSRF: true, Cookies: admin})
	if st != 303 {
		t.Fatalf("create plan: %d", st)
	}
	ps, err := e.App.Billing.Plans(ctx)
	if err != nil || len(ps) != 1 || !slices.Equal(ps[0].ModulesOff, []string{"courses"}) {
		t.Fatalf("plan saved as %+v %v", ps, err)
	}
	pid := strconv.FormatInt(ps[0].ID, 10)
	_, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/billing/plans/" + pid, Cookies: admin})
	if !strings.Contains(body, `name="module_agents" value="1" checked`) || strings.Contains(body, `name="module_courses" value="1" checked`) ||
		!strings.Contains(body, `name="module_courses"`) || !strings.Contains(body, "A client on no plan sees every module") {
		t.Fatalf("plan form: %.4000s", body)
	}
	if st, _, _ := e.do(treq{Host: "nexus", Method: "POST", Path: "/billing/tenants/" + a + "/plan", Form: url.Values{"plan_id": {pid}}, CSRF: true, Cookies: admin}); st != 303 {
		t.Fatalf("assign: %d", st)
	}
	sees("A", e.A.Cookie, e.A.KeyRead, false)
	sees("B", e.B.Cookie, e.B.KeyRead, true) // on no plan: everything
	if st, body, _ := e.do(treq{Host: "nexus", Method: "GET", Path: "/api/v1/courses?tenant=" + a, Bearer: e.AdminKeyRead}); st != 200 {
		t.Fatalf("Nexus is gated: %d %s", st, body)
	}
	// Other modules stay: the plan only switched courses off.
	if st, _ := api(e.A.KeyRead, "/api/v1/tables"); st != 200 {
		t.Fatalf("sheets API of A: %d", st)
	}

	// Bad input: an unknown module names the field and changes nothing.
	put := func(js string) (int, string) {
		st, body, _ := e.do(treq{Host: "nexus", Method: "PUT", Path: "/api/v1/billing/plans/" + pid, Bearer: e.AdminKeyW, JSON: js})
		return st, body
	}
	if st, body := put(`{"name":"No courses","interval":"month","price_micros":29000000,"modules":["agents","teleport"]}`); st != 400 || !strings.Contains(body, `"field":"modules"`) || !strings.Contains(body, "teleport") {
		t.Fatalf("unknown module: %d %s", st, body)
	}
	if st, body := put(`{"name":"No courses","interval":"month","price_micros":29000000,"modules":"courses"}`); st != 400 || !strings.Contains(body, "modules") {
		t.Fatalf("modules as a string: %d %s", st, body)
	}
	sees("A", e.A.Cookie, e.A.KeyRead, false)
	// The plan changes: courses are in again (and federal out, which the API shows).
	st, body = put(`{"name":"No courses","interval":"month","price_micros":29000000,"modules":["agents","inbox","courses","sites","calendar","wiki","sheets","creators","brand"]}`)
	if st != 200 || !strings.Contains(body, `"modules":["agents","inbox","courses","sites","calendar","wiki","sheets","creators","brand"]`) {
		t.Fatalf("plan change: %d %s", st, body)
	}
	sees("A", e.A.Cookie, e.A.KeyRead, true)
	if st, _ := portal(e.A.Cookie, "/federal"); st != 403 {
		t.Fatalf("federal after the change: %d", st)
	}
}

// TestBilling_DailyMeterShown: the daily meter's storage and active
// contacts reach the client's Billing page (with what they mean) and its
// invoice's lines, priced like the other usage.
func TestBilling_DailyMeterShown(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	p := &billing.Plan{Name: "Metered", Interval: billing.Month, PriceMicros: 10_000_000, MarkupPct: 100, Active: true}
	if err := e.App.Billing.CreatePlan(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Billing.Assign(ctx, e.A.T.ID, p.ID); err != nil {
		t.Fatal(err)
	}
	// $0.50 an active contact (invoices round lines to cents).
	if err := e.App.Billing.SavePrice(ctx, &billing.Price{Category: billing.Contacts, UnitMicros: 500_000, Per: 1}); err != nil {
		t.Fatal(err)
	}
	// A's CRM fixtures were made today: its people are active today.
	if _, err := e.App.Billing.MeterDay(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	tot := e.billingTotals(e.A.T.ID)[billing.Contacts]
	if tot.Quantity == 0 || tot.Events != 1 {
		t.Fatalf("A's active contacts: %+v", tot)
	}
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/billing", Cookies: map[string]string{"psid": e.A.Cookie}})
	for _, want := range []string{"Storage (MB-days)", "<td>Active contacts</td><td>" + strconv.FormatInt(tot.Quantity, 10) + "</td>", "each counts once per calendar month"} {
		if st != 200 || !strings.Contains(body, want) {
			t.Fatalf("A's billing page lacks %q: %d %.5000s", want, st, body)
		}
	}
	// The day's meter readings are taken at its end: close the period
	// after it.
	e.App.Billing.Now = func() time.Time { return time.Now().AddDate(0, 0, 1) }
	defer func() { e.App.Billing.Now = nil }()
	inv, err := e.App.Billing.CloseNow(ctx, e.A.T.ID)
	if err != nil {
		t.Fatal(err)
	}
	var line *billing.InvoiceLine
	for _, l := range inv.Lines {
		if l.Category == billing.Contacts {
			line = l
		}
	}
	// The price table's $0.50 a contact, doubled by the markup.
	want := tot.Quantity * 500_000 * 2
	if line == nil || line.Quantity != tot.Quantity || line.AmountMicros != want {
		for _, l := range inv.Lines {
			t.Logf("line %+v", *l)
		}
		t.Fatalf("invoice lines: want active contacts %d at %d micros", tot.Quantity, want)
	}
}
