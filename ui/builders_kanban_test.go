package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// TestCRM_KanbanMove: a drag posts the card's form as JSON and gets every
// column's count and totals; won and lost take a reason (lost requires
// one) written on the deal's timeline; in Nexus the admin works the house
// pipeline, and a client's pipeline with the move audited.
func TestCRM_KanbanMove(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	actx := app.NewContextWithTenant(ctx, e.A.T)
	cookie := map[string]string{"psid": e.A.Cookie}
	ps, err := e.Server.CRM.Pipelines(actx)
	if err != nil {
		t.Fatal(err)
	}
	pl := ps[0]
	won, lost, first := pl.StageByRef("Won"), pl.StageByRef("Lost"), pl.Stages[0]
	// A second deal in the first stage, so totals move by a known amount.
	extra := &app.Deal{Name: "Second deal", Amount: 25000, Currency: "USD"}
	if err := e.Server.CRM.CreateDeal(actx, extra); err != nil {
		t.Fatal(err)
	}
	type moveAnswer struct {
		Deal struct {
			StageID int64 `json:"stage_id"`
		} `json:"deal"`
		Columns []struct {
			StageID int64    `json:"stage_id"`
			Count   int      `json:"count"`
			Totals  []string `json:"totals"`
		} `json:"columns"`
		Error any // a string from the move handler, an object from the error handler
		Field string
	}
	move := func(host string, cookies map[string]string, path string, form url.Values) (int, moveAnswer) {
		t.Helper()
		st, body, _ := e.do(treq{Host: host, Method: "POST", Path: path, Form: form, Cookies: cookies, CSRF: true, Header: map[string]string{"Accept": "application/json"}})
		var m moveAnswer
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatalf("%s: not JSON (%d): %.200s", path, st, body)
		}
		return st, m
	}
	path := fmt.Sprintf("/crm/deals/%d/move", extra.ID)

	// Lost without a reason is refused, naming the field; nothing moves.
	st, m := move(ui.HostPortal, cookie, path, url.Values{"stage": {fmt.Sprint(lost.ID)}})
	if st != 400 || m.Field != "reason" {
		t.Fatalf("lost without a reason: %d %+v", st, m)
	}
	if d, _ := e.Server.CRM.FindDeal(actx, extra.ID); d.StageID != first.ID {
		t.Fatalf("moved anyway: %d", d.StageID)
	}
	// Won with a reason: the answer carries the board's new totals.
	st, m = move(ui.HostPortal, cookie, path, url.Values{"stage": {fmt.Sprint(won.ID)}, "reason": {"Signed after the demo"}})
	if st != 200 || m.Deal.StageID != won.ID {
		t.Fatalf("won: %d %+v", st, m)
	}
	var wonCol string
	for _, c := range m.Columns {
		if c.StageID == won.ID {
			wonCol = fmt.Sprint(c.Count, c.Totals)
		}
	}
	if wonCol != "1 [250.00 USD]" {
		t.Fatalf("won column after the move: %q (columns %+v)", wonCol, m.Columns)
	}
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: fmt.Sprintf("/crm/deals/%d", extra.ID), Cookies: cookie})
	if st != 200 || !strings.Contains(body, "Won: Signed after the demo") {
		t.Fatalf("the reason is not on the deal's timeline: %d", st)
	}
	// The card's form posts normally without JavaScript, and the board
	// it returns to is editable with the reason field.
	st, _, resp := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: url.Values{"stage": {fmt.Sprint(lost.ID)}, "reason": {"Went quiet"}}, Cookies: cookie, CSRF: true})
	if st != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/crm/pipeline?pipeline=") {
		t.Fatalf("form move: %d %s", st, resp.Header.Get("Location"))
	}
	_, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/crm/pipeline", Cookies: cookie})
	if !strings.Contains(body, "data-kanban") || !strings.Contains(body, `name="reason"`) || !strings.Contains(body, `data-outcome="lost"`) {
		t.Fatal("the portal board lacks the drag hook, the reason field or the outcome of its stages")
	}

	// Nexus: the house pipeline is editable with the same handler.
	admin := map[string]string{"orengen_session": e.AdminCookie}
	hctx := app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID})
	house := &app.Deal{Name: "Agency retainer", Amount: 990000, Currency: "USD"}
	if err := e.Server.CRM.CreateDeal(hctx, house); err != nil {
		t.Fatal(err)
	}
	hps, _ := e.Server.CRM.Pipelines(hctx)
	hwon := hps[0].StageByRef("Won")
	_, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/crm/pipeline?tenant=1", Cookies: admin})
	if !strings.Contains(body, fmt.Sprintf(`action="/crm/deals/%d/move?tenant=1"`, house.ID)) || !strings.Contains(body, "data-kanban") {
		t.Fatal("Nexus's house board has no move form")
	}
	st, m = move(ui.HostNexus, admin, fmt.Sprintf("/crm/deals/%d/move?tenant=1", house.ID), url.Values{"stage": {fmt.Sprint(hwon.ID)}})
	if st != 200 || m.Deal.StageID != hwon.ID {
		t.Fatalf("nexus house move: %d %+v", st, m)
	}
	// Without ?tenant the house tenant is meant: a client's deal is not found there.
	if st, _ := move(ui.HostNexus, admin, fmt.Sprintf("/crm/deals/%d/move", e.B.CRM.Deal.ID), url.Values{"stage": {"Won"}}); st != 404 {
		t.Fatalf("a client's deal moved as the house's: %d", st)
	}
	// A client's deal in its own tenant: moved, and audited.
	bps, _ := e.Server.CRM.Pipelines(app.NewContextWithTenant(ctx, e.B.T))
	st, _ = move(ui.HostNexus, admin, fmt.Sprintf("/crm/deals/%d/move?tenant=%d", e.B.CRM.Deal.ID, e.B.T.ID), url.Values{"stage": {fmt.Sprint(bps[0].StageByRef("Won").ID)}})
	if st != 200 {
		t.Fatalf("nexus move in tenant B: %d", st)
	}
	_, body, _ = e.admin("GET", "/audit", nil)
	if !strings.Contains(body, "crm.admin_write") || !strings.Contains(body, e.B.T.Name) {
		t.Error("the admin's move in a client's CRM is not in the audit log")
	}
	// Staff's move in the house tenant is not audited as a client write.
	if strings.Count(body, "crm.admin_write") != 1 {
		t.Errorf("audit rows: %d, want 1 (the client's move only)", strings.Count(body, "crm.admin_write"))
	}
}
