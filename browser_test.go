package main

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// newBrowser starts headless Chromium (Debian's package, installed by
// .ci/run). It skips only when no Chromium binary exists on the machine.
func newBrowser(t *testing.T) context.Context {
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
		t.Skip("chromium not installed: apt-get install -y chromium (.ci/run does this)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 60*time.Second)
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
	addr, stdout, _ := MustRunMain(t, t.TempDir())
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

	// A wrong password is refused with a clear message.
	var errText string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(nexus+"/login"),
		chromedp.WaitVisible("#email", chromedp.ByID),
		chromedp.SendKeys("#email", "owner@example.com", chromedp.ByID),
		chromedp.SendKeys("#password", "not the password", chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID),
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
		chromedp.Navigate(nexus+"/login"),
		chromedp.WaitVisible("#email", chromedp.ByID),
		chromedp.SetValue("#email", "owner@example.com", chromedp.ByID),
		chromedp.SendKeys("#password", "browser test password", chromedp.ByID),
		chromedp.Submit("#password", chromedp.ByID),
		chromedp.WaitVisible("main.content h1", chromedp.ByQuery),
		chromedp.Text("main.content h1", &heading, chromedp.ByQuery),
		chromedp.Text(".topbar", &who, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "dashboard")
	if heading != "Dashboard" || !strings.Contains(who, "owner@example.com") {
		t.Fatalf("after login: %q / %q", heading, who)
	}
}
