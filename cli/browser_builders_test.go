package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"orengen/app"
)

// dragTo drags the element matching from onto the element matching to
// with real mouse events (press, moves, release), as a person does: when
// the target is out of view it holds the pointer at the board's edge,
// which scrolls the board, and goes on once the target is in view.
func dragTo(from, to string) chromedp.ActionFunc {
	return func(ctx context.Context) error {
		var a, b []float64
		box := `(function(s){var r=document.querySelector(s).getBoundingClientRect();return [r.left+r.width/2,r.top+Math.min(r.height/2,20),window.innerWidth]})`
		if err := chromedp.Evaluate(box+`(`+jsString(from)+`)`, &a).Do(ctx); err != nil {
			return err
		}
		if err := input.DispatchMouseEvent(input.MousePressed, a[0], a[1]).WithButton(input.Left).WithButtons(1).WithClickCount(1).Do(ctx); err != nil {
			return err
		}
		x, y := a[0], a[1]
		for i := 0; i < 200; i++ {
			if err := chromedp.Evaluate(box+`(`+jsString(to)+`)`, &b).Do(ctx); err != nil {
				return err
			}
			tx := min(max(b[0], 5), b[2]-5) // in view, or at the window's edge
			if x == b[0] && y == b[1] {
				break
			}
			dx, dy := tx-x, b[1]-y
			if d := max(abs(dx), abs(dy)); d > 40 {
				dx, dy = dx*40/d, dy*40/d
			}
			x, y = x+dx, y+dy
			if err := input.DispatchMouseEvent(input.MouseMoved, x, y).WithButton(input.Left).WithButtons(1).Do(ctx); err != nil {
				return err
			}
			time.Sleep(15 * time.Millisecond)
		}
		return input.DispatchMouseEvent(input.MouseReleased, x, y).WithButton(input.Left).WithButtons(0).WithClickCount(1).Do(ctx)
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func jsString(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// TestBrowser_KanbanDragToWon: a client's owner drags a deal to Won with
// the mouse, gives the reason in the dialog, and the board updates in
// place (the card in Won, the counts and totals changed) and after a
// reload; then moves another by keyboard only with the card's form.
func TestBrowser_KanbanDragToWon(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Drag Roofing"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "dana@drag.test")
	tctx := app.NewContextWithTenant(bg, tn)
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Dana", "kanban drag password"); err != nil {
		t.Fatal(err)
	}
	deals := []*app.Deal{{Name: "Roof for the Lees", Amount: 1250000, Currency: "USD"}, {Name: "Gutters", Amount: 300000, Currency: "USD"}}
	for _, d := range deals {
		if err := sv.CRM.Deals.CreateDeal(tctx, d); err != nil {
			t.Fatal(err)
		}
	}
	ps, err := sv.CRM.Stages.Pipelines(tctx)
	if err != nil {
		t.Fatal(err)
	}
	won, lost := ps[0].StageByRef("Won"), ps[0].StageByRef("Lost")
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	wonSel := `.kanban-col[data-stage="` + itoa64(won.ID) + `"]`
	card := `.kanban-card[data-deal="` + itoa64(deals[0].ID) + `"]`
	var count, totals, live string
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", "dana@drag.test", "kanban drag password"),
		chromedp.WaitVisible("main.content", chromedp.ByQuery),
		chromedp.Navigate(base+"/crm/pipeline"),
		chromedp.WaitVisible(card, chromedp.ByQuery),
		dragTo(card+" .mono", wonSel+" h2"),
		chromedp.WaitVisible(".kanban-dialog textarea", chromedp.ByQuery),
		chromedp.SendKeys(".kanban-dialog textarea", "Signed on site", chromedp.ByQuery),
		chromedp.Click(`.kanban-dialog button[value="ok"]`, chromedp.ByQuery),
		chromedp.WaitVisible(wonSel+" "+card, chromedp.ByQuery),
		chromedp.Poll(`document.querySelector('`+wonSel+` .kanban-count').textContent === "1"`, nil, chromedp.WithPollingTimeout(10*time.Second)),
		chromedp.Text(wonSel+" .kanban-count", &count, chromedp.ByQuery),
		chromedp.Text(wonSel+" .kanban-totals", &totals, chromedp.ByQuery),
		chromedp.Text("#kanban-live", &live, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "kanban-won")
	if count != "1" || !strings.Contains(totals, "12,500.00 USD") || !strings.Contains(live, "moved to Won") {
		t.Fatalf("after the drag: count %q totals %q live %q", count, totals, live)
	}
	// Keyboard only: focus the other card's stage select, choose Lost,
	// type the reason, press Enter on Move.
	other := `.kanban-card[data-deal="` + itoa64(deals[1].ID) + `"]`
	lostSel := `.kanban-col[data-stage="` + itoa64(lost.ID) + `"]`
	if err := chromedp.Run(ctx,
		chromedp.Focus(other+" select", chromedp.ByQuery),
		chromedp.SetValue(other+" select", itoa64(lost.ID), chromedp.ByQuery),
		chromedp.SendKeys(other+" input[name=reason]", "Chose a cheaper quote", chromedp.ByQuery),
		chromedp.Focus(other+" button", chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(lostSel+" "+other, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	// After a reload the board is the same.
	if err := chromedp.Run(ctx, chromedp.Reload(), chromedp.WaitVisible(wonSel+" "+card, chromedp.ByQuery), chromedp.WaitVisible(lostSel+" "+other, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	// And in the database.
	m2 := openApp(t, dir)
	defer m2.Close()
	for i, want := range []*app.Stage{won, lost} {
		got, err := m2.CRM.Deals.FindDeal(tctx, deals[i].ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Stage != want.Name {
			t.Errorf("deal %q in stage %q, want %q", deals[i].Name, got.Stage, want.Name)
		}
	}
}

// TestBrowser_WorkflowBuilder: a client's owner builds a workflow on the
// canvas, never seeing JSON: with the mouse, a contact step, an if/else
// whose Yes branch tags the contact; the builder refuses to save with the
// tag empty and marks that step; with the tag set it saves. Then, with
// the keyboard only, a wait step is added after the branches; undo takes
// it away and redo brings it back. A test run shows each step's result
// on the canvas.
func TestBrowser_WorkflowBuilder(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Builder Roofing"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "bea@builder.test")
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Bea", "workflow builder password"); err != nil {
		t.Fatal(err)
	}
	m.Close()
	addr, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	pick := func(search string) chromedp.Tasks {
		return chromedp.Tasks{
			chromedp.WaitVisible(".wf-picker input[type=search]", chromedp.ByQuery),
			chromedp.SendKeys(".wf-picker input[type=search]", search, chromedp.ByQuery),
			chromedp.Click(".wf-picker .wf-pick", chromedp.ByQuery),
			chromedp.WaitNotVisible(".wf-picker", chromedp.ByQuery),
		}
	}
	var nodes int
	var invalidText, lanes string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			t.Logf("page exception: %s %v", e.ExceptionDetails.Text, e.ExceptionDetails.Exception.Description)
		}
	})
	step, cancelStep := context.WithTimeout(ctx, 15*time.Second)
	defer cancelStep()
	if err := chromedp.Run(step,
		loginTasks(base+"/login", "bea@builder.test", "workflow builder password"),
		chromedp.WaitVisible("main.content", chromedp.ByQuery),
		chromedp.Navigate(base+"/automations/workflows/new"),
		chromedp.WaitVisible(".wf-canvas", chromedp.ByQuery),
		chromedp.SetValue("#name", "Tag engaged leads", chromedp.ByID),
		// The starting definition has a contact step: add the if after it.
		chromedp.Click(`.wf-canvas > .wf-plus:last-child button`, chromedp.ByQuery),
		pick("if"),
		chromedp.WaitVisible(`.wf-node[data-step="if"]`, chromedp.ByQuery),
		// Yes branch: the lane's "+".
		chromedp.Click(`.wf-lane[aria-label^="Yes"] .wf-plus button`, chromedp.ByQuery),
		pick("tag"),
		chromedp.WaitVisible(`.wf-node[data-step="tag"]`, chromedp.ByQuery),
		// Save with the tag empty: refused on that step.
		chromedp.Click(`form:has(#definition) > p > button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.wf-node.invalid[data-step="tag"]`, chromedp.ByQuery),
		chromedp.Text(`.wf-node.invalid[data-step="tag"] .field-error`, &invalidText, chromedp.ByQuery),
		chromedp.SendKeys(`.wf-panel #wf-f-tag`, "engaged", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll(".wf-canvas .wf-node[data-step]").length`, &nodes),
		chromedp.Text(".wf-branches", &lanes, chromedp.ByQuery),
	); err != nil {
		var html string
		chromedp.Run(ctx, chromedp.OuterHTML(".wf-builder", &html, chromedp.ByQuery))
		screenshot(t, ctx, "builder-fail")
		t.Fatalf("%v\n%.3000s", err, html)
	}
	screenshot(t, ctx, "builder-mouse")
	if !strings.Contains(invalidText, "required") || nodes != 3 || !strings.Contains(lanes, "Yes") || !strings.Contains(lanes, "No") || !strings.Contains(lanes, "ends the run") {
		t.Fatalf("builder: invalid %q, %d nodes, lanes %q", invalidText, nodes, lanes)
	}
	// Keyboard only: focus the "+" at the end of the Yes branch, Enter,
	// type, Enter.
	var afterAdd, afterUndo, afterRedo int
	count := `document.querySelectorAll(".wf-canvas .wf-node[data-step]").length`
	if err := chromedp.Run(ctx,
		chromedp.Focus(`.wf-lane[aria-label^="Yes"] > .wf-plus:last-child button`, chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(".wf-picker input[type=search]", chromedp.ByQuery),
		chromedp.SendKeys(".wf-picker input[type=search]", "wait", chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		chromedp.WaitVisible(`.wf-node[data-step="wait"]`, chromedp.ByQuery),
		chromedp.SendKeys(`.wf-panel #wf-f-wait`, "1m", chromedp.ByQuery),
		chromedp.Evaluate(count, &afterAdd),
		// Undo twice (the typed wait, then the step), redo twice.
		chromedp.Focus(`[data-act="undo"]`, chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		chromedp.KeyEvent("\r"),
		chromedp.Evaluate(count, &afterUndo),
		chromedp.Focus(`[data-act="redo"]`, chromedp.ByQuery),
		chromedp.KeyEvent("\r"),
		chromedp.KeyEvent("\r"),
		chromedp.Evaluate(count, &afterRedo),
	); err != nil {
		t.Fatal(err)
	}
	if afterAdd != 4 || afterUndo != 3 || afterRedo != 4 {
		t.Fatalf("keyboard add %d, undo %d, redo %d", afterAdd, afterUndo, afterRedo)
	}
	// Save, open it again: the canvas is drawn from what was stored.
	var saved string
	if err := chromedp.Run(ctx,
		chromedp.Click(`form:has(#definition) > p > button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(".alert.ok", chromedp.ByQuery),
		chromedp.Click(`//a[normalize-space(text())="Tag engaged leads"]`, chromedp.BySearch),
		chromedp.WaitVisible(`.wf-node[data-step="wait"]`, chromedp.ByQuery),
		chromedp.Value("#definition", &saved, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"type": "if"`, `"tag": "engaged"`, `"wait": "1m"`, `"else": "end"`} {
		if !strings.Contains(saved, want) {
			t.Fatalf("saved definition lacks %s:\n%s", want, saved)
		}
	}
	// Test run: the results appear on the canvas, step by step.
	var result string
	if err := chromedp.Run(ctx,
		chromedp.Evaluate(`window.confirm = function () { return true }; true`, nil),
		chromedp.Submit(`form[action$="/run"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.wf-node[data-step="contact"] .wf-result`, chromedp.ByQuery),
		chromedp.Text(`.wf-node[data-step="contact"] .wf-result`, &result, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "builder-run")
	if !strings.HasPrefix(result, "Test run: ") {
		t.Fatalf("run result on the canvas: %q", result)
	}
}
