package cli

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"orengen/app"
)

// TestBrowser_WikiTreeDrag: pages are dragged in the wiki's page tree
// with the mouse, as a person does it: Chromium starts a real drag from a
// press and a move on the page's entry (the CDP intercepts it only to
// hand the drag's data to the drop point, as Puppeteer does), and
// wiki.js turns the drop into the tree's move form. Dropping "Pricing" on
// the top third of "Handbook" puts it first; dropping "Refunds" on the
// middle of "Handbook" moves it inside. The database holds the new tree,
// and the page shows it after its reload.
func TestBrowser_WikiTreeDrag(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Wiki Tree"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "tia@tree.test")
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Tia", "wiki tree password"); err != nil {
		t.Fatal(err)
	}
	tctx := app.NewContextWithTenant(bg, tn)
	sp, err := sv.Wiki.Space(tctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]int64{}
	for _, title := range []string{"Handbook", "Refunds", "Pricing"} {
		p, err := sv.Wiki.CreatePage(tctx, sp.ID, 0, title, title+" text.")
		if err != nil {
			t.Fatal(err)
		}
		ids[title] = p.ID
	}
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", "tia@tree.test", "wiki tree password"),
		chromedp.WaitVisible("aside.side", chromedp.ByQuery),
		chromedp.Navigate(base+"/knowledge/p/handbook"),
		chromedp.WaitVisible(".wiki-tree li[data-page]", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if got := treeOrder(t, ctx); got != "Handbook Refunds Pricing" {
		t.Fatalf("tree before: %q", got)
	}
	dragPage(t, ctx, ids["Pricing"], ids["Handbook"], 0.15)
	waitTree(t, ctx, "Pricing Handbook Refunds")
	dragPage(t, ctx, ids["Refunds"], ids["Handbook"], 0.5)
	waitTree(t, ctx, "Pricing Handbook >Refunds")
	screenshot(t, ctx, "wiki-tree-drag")

	a := openApp(t, dir)
	defer a.Close()
	tree, err := a.Wiki.Tree(tctx, sp.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range tree {
		got = append(got, fmt.Sprintf("%s(parent %d, %d)", p.Title, p.ParentID, p.Position))
	}
	want := fmt.Sprintf("Pricing(parent 0, 0) Handbook(parent 0, 1) Refunds(parent %d, 0)", ids["Handbook"])
	if strings.Join(got, " ") != want {
		t.Fatalf("stored tree: %s, want %s", strings.Join(got, " "), want)
	}
}

// treeOrder is the tree as the page shows it: titles in order (without
// a parent's ▾), ">" for each level of depth.
func treeOrder(t *testing.T, ctx context.Context) string {
	t.Helper()
	var s string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll(".wiki-tree li[data-page]")).map(function (li) {
		var d = (li.className.match(/depth-(\d+)/) || [0, "0"])[1];
		return ">".repeat(Number(d)) + li.querySelector("a").textContent.replace(/[▾▸]/g, "").trim();
	}).join(" ")`, &s)); err != nil {
		t.Fatal(err)
	}
	return s
}

func waitTree(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(10 * time.Second); got != want; time.Sleep(200 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("tree after the drag: %q, want %q", got, want)
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		chromedp.Run(rctx, chromedp.WaitVisible(".wiki-tree li[data-page]", chromedp.ByQuery))
		cancel()
		got = treeOrder(t, ctx)
	}
}

// dragPage drags page from's entry with the mouse and drops it on page
// to's entry at frac of its height (under 1/3: before it, the middle:
// inside, over 2/3: after).
func dragPage(t *testing.T, ctx context.Context, from, to int64, frac float64) {
	t.Helper()
	point := func(id int64, frac float64) (x, y float64) {
		var r []float64
		js := fmt.Sprintf(`(function () { var li = document.querySelector('.wiki-tree li[data-page="%d"]'); var a = li.querySelector("a").getBoundingClientRect(), r = li.getBoundingClientRect(); return [a.left + 5, r.top + r.height * %g]; })()`, id, frac)
		if err := chromedp.Run(ctx, chromedp.Evaluate(js, &r)); err != nil || len(r) != 2 {
			t.Fatalf("entry of page %d: %v %v", id, r, err)
		}
		return r[0], r[1]
	}
	fx, fy := point(from, 0.5)
	tx, ty := point(to, frac)
	dragged := make(chan *input.DragData, 1)
	lctx, stop := context.WithCancel(ctx)
	defer stop()
	chromedp.ListenTarget(lctx, func(ev any) {
		if e, ok := ev.(*input.EventDragIntercepted); ok {
			select {
			case dragged <- e.Data:
			default:
			}
		}
	})
	if err := chromedp.Run(ctx,
		input.SetInterceptDrags(true),
		input.DispatchMouseEvent(input.MouseMoved, fx, fy),
		input.DispatchMouseEvent(input.MousePressed, fx, fy).WithButton(input.Left).WithButtons(1).WithClickCount(1),
		input.DispatchMouseEvent(input.MouseMoved, fx+20, fy+5).WithButton(input.Left).WithButtons(1),
		input.DispatchMouseEvent(input.MouseMoved, tx, ty).WithButton(input.Left).WithButtons(1),
	); err != nil {
		t.Fatal(err)
	}
	var data *input.DragData
	select {
	case data = <-dragged:
	case <-time.After(5 * time.Second):
		t.Fatal("the browser started no drag from the page's entry")
	}
	if err := chromedp.Run(ctx,
		input.DispatchDragEvent(input.DragEnter, tx, ty, data),
		input.DispatchDragEvent(input.DragOver, tx, ty, data),
		input.DispatchDragEvent(input.Drop, tx, ty, data),
		input.DispatchMouseEvent(input.MouseReleased, tx, ty).WithButton(input.Left).WithClickCount(1),
		input.SetInterceptDrags(false),
	); err != nil {
		t.Fatal(err)
	}
}
