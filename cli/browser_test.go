package cli

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/internal/realtest"
	"orengen/store"
)

// newBrowser starts headless Chromium (Debian's package, installed by
// .ci/run). It skips only when no Chromium binary exists on the machine.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	return newBrowserFor(t, 60*time.Second)
}

// newBrowserFor is newBrowser for a test that needs longer than a minute
// in all (several pages built and checked, on a loaded machine).
func newBrowserFor(t *testing.T, limit time.Duration) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		for _, p := range []string{"chromium", "chromium-browser", "google-chrome"} {
			if lp, err := exec.LookPath(p); err == nil {
				path = lp
				break
			}
		}
	}
	if path == "" {
		realtest.Missing(t, "chromium not installed: apt-get install -y chromium (.ci/run does this)")
	}
	// Chromium's helpers may still write to their profile for a moment
	// after the browser is stopped; remove it with retries, last.
	profile, err := os.MkdirTemp("", "orengen-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for i := 0; i < 50 && os.RemoveAll(profile) != nil; i++ {
			time.Sleep(100 * time.Millisecond)
		}
	})
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, limit)
	t.Cleanup(cancel3)
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// screenshot saves a PNG for people to look at when ORENGEN_SCREENSHOTS is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	dir := os.Getenv("ORENGEN_SCREENSHOTS")
	if dir == "" {
		return
	}
	var buf []byte
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&buf, 100)); err == nil {
		os.WriteFile(dir+"/"+name+".png", buf, 0o644)
	}
}

func TestBrowser_SiteAndNexusLogin(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	addr, stdout, _ := MustRunMain(t, filepath.Join(dir, "data"), "--backup-dir", filepath.Join(dir, "backups"))
	port := addr[strings.LastIndex(addr, ":")+1:]
	site := "http://localhost:" + port
	nexus := "http://nexus.localhost:" + port

	// Marketing home renders with its hero, navigation and lead form.
	var title, h1 string
	var navLinks int
	if err := chromedp.Run(ctx,
		chromedp.Navigate(site+"/"),
		chromedp.WaitVisible("h1", chromedp.ByQuery),
		chromedp.Title(&title),
		chromedp.Text("h1", &h1, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("nav.main a").length`, &navLinks),
		chromedp.WaitVisible("#lead-form", chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "home")
	if !strings.Contains(title, "OrenGen") || !strings.Contains(h1, "Every lead answered") || navLinks < 5 {
		t.Fatalf("home: title %q h1 %q nav %d", title, h1, navLinks)
	}
	// A visitor fills in the lead form; the contact is later seen in Nexus.
	var thanks string
	if err := chromedp.Run(ctx,
		chromedp.SendKeys("#first_name", "Dana", chromedp.ByID),
		chromedp.SendKeys("#last_name", "Visitor", chromedp.ByID),
		chromedp.SendKeys("#email", "dana.visitor@example.com", chromedp.ByID),
		chromedp.SendKeys("#phone", "+1 512 555 0177", chromedp.ByID),
		chromedp.Submit("#first_name", chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	// The old page stays until the post's answer arrives: wait for the new one.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(thanks, "Thank you"); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("after the lead form: %q", thanks)
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		chromedp.Run(rctx, chromedp.Text("h1", &thanks, chromedp.ByQuery))
		cancel()
	}

	// First owner through the setup link printed at start.
	m := regexp.MustCompile(`/setup\?token=\S+`).FindString(stdout.String())
	if m == "" {
		t.Fatal("no setup link")
	}
	var msg string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(nexus+m),
		chromedp.WaitVisible("#password", chromedp.ByID),
		chromedp.SendKeys("#email", "owner@example.com", chromedp.ByID),
		chromedp.SendKeys("#password", "browser test password", chromedp.ByID),
		chromedp.SendKeys("#confirm", "browser test password", chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible(".alert.ok", chromedp.ByQuery),
		chromedp.Text(".alert.ok", &msg, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg, "Password set for owner@example.com") {
		t.Fatalf("setup message %q", msg)
	}
	// Setting the password signed the owner in: the dashboard with its
	// first-run checklist, then sign out to try the login page.
	var checklist, leadItem, clientBefore, clientAfter, pillBefore, pillAfter string
	item := func(key string, class *string) chromedp.Action {
		return chromedp.AttributeValue(`li[data-check="`+key+`"]`, "class", class, nil, chromedp.ByQuery)
	}
	if err := chromedp.Run(ctx,
		chromedp.WaitVisible(".checklist", chromedp.ByQuery),
		chromedp.Text(".checklist", &checklist, chromedp.ByQuery),
		item("lead_form", &leadItem), item("client", &clientBefore),
		chromedp.Text("#checklist-h .pill", &pillBefore, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(checklist, "Getting started") || !strings.Contains(checklist, "Test the lead form") {
		t.Fatalf("no first-run checklist after setup:\n%s", checklist)
	}
	// The visitor's lead already made "Test the lead form" done; the
	// first client, added on the Tenants page, turns its item green.
	if leadItem != "check-done" || clientBefore != "check-not_set_up" {
		t.Fatalf("checklist before: lead form %q, client %q", leadItem, clientBefore)
	}
	if err := chromedp.Run(ctx,
		chromedp.Navigate(nexus+"/tenants"),
		chromedp.WaitVisible(`form[action="/tenants"] #name`, chromedp.ByQuery),
		chromedp.SendKeys(`form[action="/tenants"] #name`, "First Client", chromedp.ByQuery),
		chromedp.Submit(`form[action="/tenants"] #name`, chromedp.ByQuery),
		chromedp.WaitVisible(`//h1[contains(., "First Client")]`, chromedp.BySearch), // its page
		chromedp.Navigate(nexus+"/"),
		chromedp.WaitVisible(".checklist", chromedp.ByQuery),
		item("client", &clientAfter),
		chromedp.Text("#checklist-h .pill", &pillAfter, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "checklist")
	var before, after, total int
	fmt.Sscanf(pillBefore, "%d of %d done", &before, &total)
	fmt.Sscanf(pillAfter, "%d of %d done", &after, &total)
	if clientAfter != "check-done" || after != before+1 || total == 0 {
		t.Fatalf("checklist after the first client: client %q, %q then %q", clientAfter, pillBefore, pillAfter)
	}
	if err := chromedp.Run(ctx,
		chromedp.Click(`form[action="/logout"] button`, chromedp.ByQuery),
		chromedp.WaitVisible("#email", chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}

	// A wrong password is refused with a clear message.
	var errText string
	if err := chromedp.Run(ctx,
		loginTasks(nexus+"/login", "owner@example.com", "not the password"),
		chromedp.WaitVisible("#login-error", chromedp.ByID),
		chromedp.Text("#login-error", &errText, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "login-wrong")
	if errText != "Wrong email or password." {
		t.Fatalf("wrong-password message %q", errText)
	}

	// The right password opens the dashboard.
	var heading, who string
	if err := chromedp.Run(ctx,
		loginTasks(nexus+"/login", "owner@example.com", "browser test password"),
		chromedp.WaitVisible("main.content h1", chromedp.ByQuery),
		chromedp.Text("main.content h1", &heading, chromedp.ByQuery),
		chromedp.Text(".topbar", &who, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "dashboard")
	if heading != "Mission Control" || !strings.Contains(who, "owner@example.com") {
		t.Fatalf("after login: %q / %q", heading, who)
	}
	var leads string
	if err := chromedp.Run(ctx, chromedp.Navigate(nexus+"/leads"), chromedp.WaitVisible("main.content", chromedp.ByQuery),
		chromedp.Text("main.content", &leads, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(leads, "dana.visitor@example.com") || !strings.Contains(leads, "Dana Visitor") {
		t.Fatalf("the visitor's lead is not in Nexus:\n%s", leads)
	}
	// The rep sees the visitor in the CRM too, with the form in the timeline.
	var people, record string
	if err := chromedp.Run(ctx, chromedp.Navigate(nexus+"/crm/people"), chromedp.WaitVisible("main.content", chromedp.ByQuery),
		chromedp.Text("main.content", &people, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(people, "Dana Visitor") {
		t.Fatalf("the visitor is not a CRM person:\n%s", people)
	}
	if err := chromedp.Run(ctx, chromedp.Click(`//a[normalize-space(text())="Dana Visitor"]`, chromedp.BySearch), chromedp.WaitVisible("main.content h1", chromedp.ByQuery),
		chromedp.Text("main.content", &record, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "crm-visitor")
	// The seeded workflow in the editor: the steps as they run, with the
	// if step's branches.
	var steps string
	if err := chromedp.Run(ctx, chromedp.Navigate(nexus+"/automations/1/edit"), chromedp.WaitVisible("ol.steps", chromedp.ByQuery),
		chromedp.Text("ol.steps", &steps, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "workflow-editor")
	if !strings.Contains(steps, "has-phone") || !strings.Contains(steps, "yes → notify") || !strings.Contains(steps, "call") {
		t.Fatalf("the editor's step picture:\n%s", steps)
	}
	if !strings.Contains(record, "dana.visitor@example.com") || !strings.Contains(record, "Form website submitted") {
		t.Fatalf("the visitor's CRM record lacks the email or the form entry:\n%s", record)
	}

	// Infrastructure > Backups shows the live replicator, and a restore
	// drill run from the page (a real child process) reports its result.
	var text string
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(text, "in sync"); time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("Backups page never showed a replica in sync:\n%s", text)
		}
		if err := chromedp.Run(ctx, chromedp.Navigate(nexus+"/backups"), chromedp.WaitVisible("main.content h1", chromedp.ByQuery),
			chromedp.Text("main.content", &text, chromedp.ByQuery)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chromedp.Run(ctx, chromedp.Submit(`form[action="/backups/drill"]`, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); !strings.Contains(text, "integrity ok"); time.Sleep(500 * time.Millisecond) {
		if time.Now().After(deadline) || strings.Contains(text, "failed") {
			t.Fatalf("restore drill did not succeed:\n%s", text)
		}
		// The page reloads itself (Refresh header) while the drill runs;
		// a read during a reload fails and is simply tried again.
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		chromedp.Run(rctx, chromedp.Text("main.content", &text, chromedp.ByQuery))
		cancel()
	}
	screenshot(t, ctx, "backups")
	// Infrastructure > Domains lists the four hosts.
	if err := chromedp.Run(ctx, chromedp.Navigate(nexus+"/domains"), chromedp.WaitVisible("main.content h1", chromedp.ByQuery),
		chromedp.Text("main.content", &text, chromedp.ByQuery)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "domains")
	for _, h := range []string{"app.localhost", "nexus.localhost", "www.localhost"} {
		if !strings.Contains(text, h) {
			t.Errorf("Domains page lacks %s", h)
		}
	}
}

// TestBrowser_TenantWhiteLabel: a tenant user on the tenant's own domain
// accepts an invitation, signs in and sees only the tenant's brand: its
// name and colour, never the agency's name, logo or links.
func TestBrowser_TenantWhiteLabel(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	// Set the tenant up through the services, before serve starts.
	tn := &app.Tenant{Name: "Alpha Plumbing", PrimaryColor: "#1d4ed8", AccentColor: "#0f766e", SupportEmail: "help@alpha-plumbing.test"}
	m, _, tok := setupTenantInvite(t, dir, tn, "alpha-plumbing.localhost", "ann@alpha-plumbing.test")
	m.Close()

	addr, _, _ := MustRunMain(t, dir)
	base := "http://alpha-plumbing.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	var msg string
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "tenant-failed")
		}
	}()
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/invite?token="+tok),
		chromedp.WaitVisible("#password", chromedp.ByID),
		chromedp.SendKeys("#password", "tenant browser password", chromedp.ByID),
		chromedp.SendKeys("#confirm", "tenant browser password", chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("#email", chromedp.ByID),
		chromedp.Text("body", &msg, chromedp.ByQuery),
		chromedp.SendKeys("#email", "ann@alpha-plumbing.test", chromedp.ByID),
		chromedp.SendKeys("#password", "tenant browser password", chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("aside.side", chromedp.ByQuery),
	); err != nil {
		t.Fatalf("%v (page: %.300s)", err, msg)
	}
	screenshot(t, ctx, "tenant-portal")
	// Every page the user can reach from the navigation carries only the
	// tenant's brand.
	var links []string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`Array.from(document.querySelectorAll("aside.side a")).map(a => a.href)`, &links)); err != nil {
		t.Fatal(err)
	}
	if len(links) < 2 {
		t.Fatalf("navigation links: %v", links)
	}
	for _, link := range links {
		var html, title, brand string
		if err := chromedp.Run(ctx,
			chromedp.Navigate(link),
			chromedp.WaitVisible("main", chromedp.ByQuery),
			chromedp.OuterHTML("html", &html, chromedp.ByQuery),
			chromedp.Title(&title),
			chromedp.Evaluate(`getComputedStyle(document.documentElement).getPropertyValue("--brand").trim()`, &brand),
		); err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		if !strings.Contains(title, "Alpha Plumbing") || !strings.Contains(html, "Alpha Plumbing") {
			t.Errorf("%s: tenant name missing (title %q)", link, title)
		}
		if strings.EqualFold(brand, "#1d4ed8") == false {
			t.Errorf("%s: --brand = %q, want the tenant's #1d4ed8", link, brand)
		}
		for _, leak := range []string{"OrenGen", "orengen", "logo.", "Nexus", "nexus."} {
			if strings.Contains(html, leak) {
				t.Errorf("%s: page shows the agency's %q", link, leak)
			}
		}
	}
}

// setupTenantInvite creates a tenant (with a custom domain if given) in
// the data dir and invites an owner; it returns the open stores (close
// them before serve starts), the services and the invitation's token.
func setupTenantInvite(t *testing.T, dir string, tn *app.Tenant, domain, email string) (*App, *App, string) {
	t.Helper()
	sv := openApp(t, dir)
	m := sv
	if err := sv.Tenants.CreateTenant(context.Background(), tn, domain); err != nil {
		t.Fatal(err)
	}
	actx := app.NewContextWithTenant(app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1, Role: app.RoleOwner}), tn)
	if _, err := sv.Users.Invite(actx, email, "", app.UserRoleOwner); err != nil {
		t.Fatal(err)
	}
	msgs, _, err := store.NewOutboxStore(sv.DB).FindOutboxMessages(context.Background(), 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("outbox: %v %v", msgs, err)
	}
	tok := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(msgs[0].Body)
	if tok == nil {
		t.Fatalf("no link in the invitation: %s", msgs[0].Body)
	}
	return m, sv, tok[1]
}

// TestBrowser_ChunkedImport: a tenant user picks a 2 MiB CSV (above the
// 1 MiB body limit) on the import page; upload.js sends it in pieces with
// a progress bar that reaches 100%, the mapping page follows, and the
// import runs to the end with every row in the database.
func TestBrowser_ChunkedImport(t *testing.T) {
	ctx := newBrowser(t)
	dir := t.TempDir()
	bg := context.Background()
	tn := &app.Tenant{Name: "Chunked Imports"}
	m, sv, tok := setupTenantInvite(t, dir, tn, "", "cy@chunked.test")
	cfg := m.Config
	if _, err := sv.Users.RedeemToken(bg, tok, app.TokenInvite, "Cy", "chunked import password"); err != nil {
		t.Fatal(err)
	}
	m.Close()
	const rows = 5400
	var b strings.Builder
	b.WriteString("First Name,Last Name,Email,Address\n")
	addr := strings.Repeat("Suite 100, 1200 Congress Avenue, Austin TX 78701, ", 7)
	for i := range rows {
		fmt.Fprintf(&b, "First%d,Last%d,p%d@upload.test,\"%s#%d\"\n", i, i, i, addr, i)
	}
	csvPath := filepath.Join(t.TempDir(), "people.csv")
	if err := os.WriteFile(csvPath, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	if b.Len() < 2<<20 {
		t.Fatalf("file is %d bytes, want 2 MiB", b.Len())
	}

	addr2, _, _ := MustRunMain(t, dir)
	base := "http://app.localhost:" + addr2[strings.LastIndex(addr2, ":")+1:]
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "chunked-import-failed")
		}
	}()
	// The status line's texts are kept in sessionStorage, which outlives
	// the navigation to the mapping page.
	watch := `(function () {
		var s = document.getElementById("upload-status");
		new MutationObserver(function () { sessionStorage.setItem("upload", (sessionStorage.getItem("upload") || "") + "|" + s.textContent + "@" + document.getElementById("upload-progress").value); })
			.observe(s, {childList: true, characterData: true, subtree: true});
		return true;
	})()`
	var ok bool
	if err := chromedp.Run(ctx,
		loginTasks(base+"/login", "cy@chunked.test", "chunked import password"),
		chromedp.WaitVisible("aside.side", chromedp.ByQuery),
		chromedp.Navigate(base+"/crm/import"),
		chromedp.WaitVisible("#file", chromedp.ByID),
		chromedp.Evaluate(watch, &ok),
		chromedp.SetUploadFiles("#file", []string{csvPath}, chromedp.ByID),
		chromedp.Click(`form[data-chunked] button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`button[name=action][value=start]`, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	var log string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`sessionStorage.getItem("upload") || ""`, &log)); err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`\(100%\)[^|]*@`+fmt.Sprint(b.Len())+`$`).MatchString(log) || strings.Count(log, "Uploaded") < 4 {
		t.Fatalf("progress did not reach 100%% of %d bytes in steps: %q", b.Len(), log)
	}
	var status string
	if err := chromedp.Run(ctx,
		chromedp.Click(`button[name=action][value=start]`, chromedp.ByQuery),
		chromedp.WaitVisible(`.alert.ok[role=status]`, chromedp.ByQuery),
		chromedp.Text(`.alert.ok[role=status]`, &status, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, fmt.Sprintf("%d created", rows)) {
		t.Fatalf("import status %q", status)
	}
	m2 := openApp(t, cfg.DataDir)
	defer m2.Close()
	var n int
	if err := m2.DB.ReadDB().QueryRowContext(bg, `SELECT count(*) FROM crm_people WHERE tenant_id = ?`, tn.ID).Scan(&n); err != nil || n != rows {
		t.Fatalf("people: %d %v", n, err)
	}
}

// waitLoaded waits for sel to be visible on the page a click or submit
// is loading. A plain WaitVisible may resolve sel in the page being left
// and then fail with "No node with given id found" when it goes away, so
// each try gets a short time of its own and a failed try is repeated.
func waitLoaded(sel string, opts ...chromedp.QueryOption) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); {
			tctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err = chromedp.WaitVisible(sel, opts...).Do(tctx)
			cancel()
			if err == nil || ctx.Err() != nil {
				return err
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("%s not visible: %w", sel, err)
	})
}

// retryGone runs actions one by one, each again (up to 10 times, waiting
// longer each time) when Chromium answers that it has no node with the
// given id: the page the action's query
// resolved a node in was replaced (a navigation or a reload still under
// way) before the action used it. The query fails before the action does
// anything, so running it again is safe.
func retryGone(actions ...chromedp.Action) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for _, a := range actions {
			var err error
			// Chromium words it "No node with given id found" or "Could not
			// find node with given id" (a node the page replaced between
			// the query and the action; nothing was done to it).
			for try := 0; try < 10; try++ {
				if err = a.Do(ctx); err == nil || !strings.Contains(err.Error(), "node with given id") {
					break
				}
				time.Sleep(time.Duration(100*(try+1)) * time.Millisecond)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// mustNexusOwner adds a Nexus owner who signs in with password.
func mustNexusOwner(t *testing.T, a *App, email, password string) {
	t.Helper()
	bg := context.Background()
	if err := a.Auth.Admins.CreateAdmin(bg, &app.Admin{Email: email, Role: app.RoleOwner, PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Auth.SetPassword(bg, email, password); err != nil {
		t.Fatal(err)
	}
}

// loginTasks opens a login page and signs in (the email field may come
// filled in: it is set, not typed into).
func loginTasks(loginURL, email, password string) chromedp.Tasks {
	return chromedp.Tasks{
		chromedp.Navigate(loginURL),
		chromedp.WaitVisible("#email", chromedp.ByID),
		chromedp.SetValue("#email", email, chromedp.ByID),
		chromedp.SendKeys("#password", password, chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID),
	}
}
