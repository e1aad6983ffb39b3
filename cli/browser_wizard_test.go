package cli

import (
	"context"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/store"
)

// TestBrowser_NewClientWizard: in Nexus > New client the owner walks the
// wizard's happy path: client, owner invitation, brand (a too-light
// colour refused with its contrast ratio first, then a good one and a
// logo file), a custom domain with its DNS records shown, and a snapshot
// previewed then applied; every step ends done and the client exists.
func TestBrowser_NewClientWizard(t *testing.T) {
	ctx := newBrowserFor(t, 2*time.Minute)
	dir := t.TempDir()
	bg := context.Background()
	a := openApp(t, dir)
	mustNexusOwner(t, a, "ops@example.com", "wizard browser password")
	if err := a.Seed(bg); err != nil { // the house tenant's lead-capture workflow, as serve seeds it
		t.Fatal(err)
	}
	sn, err := a.Snapshots.Capture(bg, app.HouseTenantID, "House setup", "", "test")
	if err != nil {
		t.Fatal(err)
	}
	a.Close()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range 8 {
		img.Set(i, i, color.RGBA{29, 78, 216, 255})
	}
	logo := filepath.Join(t.TempDir(), "logo.png")
	f, err := os.Create(logo)
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, img)
	f.Close()

	addr, _, _ := MustRunMain(t, dir, "--dns-resolver", "127.0.0.1:1")
	nexus := "http://nexus.localhost:" + addr[strings.LastIndex(addr, ":")+1:]
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "wizard-failed")
		}
	}()
	var contrastErr, records, progress string
	var statuses []string
	if err := chromedp.Run(ctx,
		loginTasks(nexus+"/login", "ops@example.com", "wizard browser password"),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(nexus+"/wizards"),
		waitLoaded("#wizard-start", chromedp.ByID),
		chromedp.Click("#wizard-start", chromedp.ByID),
		waitLoaded("#w_name", chromedp.ByID),
		chromedp.SendKeys("#w_name", "Browser Clinic", chromedp.ByID),
		chromedp.Submit("#w_name", chromedp.ByID),
		waitLoaded("#w_email", chromedp.ByID),
		chromedp.SendKeys("#w_email", "owner@browser-clinic.test", chromedp.ByID),
		chromedp.SendKeys("#w_oname", "Bea Owner", chromedp.ByID),
		chromedp.Submit("#w_email", chromedp.ByID),
		waitLoaded("#w_primary", chromedp.ByID),
		chromedp.SetValue("#w_primary", "#ffff00", chromedp.ByID),
		chromedp.Submit("#w_primary", chromedp.ByID),
		waitLoaded(".field-error", chromedp.ByQuery),
		chromedp.Text(".field-error", &contrastErr, chromedp.ByQuery),
		chromedp.SetValue("#w_primary", "#1d4ed8", chromedp.ByID),
		chromedp.SetUploadFiles("#w_logo", []string{logo}, chromedp.ByID),
		chromedp.Submit("#w_primary", chromedp.ByID),
		waitLoaded("#w_domain", chromedp.ByID),
		chromedp.SendKeys("#w_domain", "portal.browser-clinic.test", chromedp.ByID),
		chromedp.Submit("#w_domain", chromedp.ByID),
		waitLoaded("#wizard-domain", chromedp.ByID),
		chromedp.Text("#wizard-domain", &records, chromedp.ByID),
		chromedp.SetValue("#w_snapshot", strconv.FormatInt(sn.ID, 10), chromedp.ByID),
		chromedp.Click("#wizard-preview", chromedp.ByID),
		waitLoaded("#wizard-preview-table", chromedp.ByID),
		chromedp.Click("#wizard-apply", chromedp.ByID),
		waitLoaded("#wizard-finished", chromedp.ByID),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("#wizard-progress li")).map(li => li.dataset.status)`, &statuses),
		chromedp.Text("#wizard-progress", &progress, chromedp.ByID),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "wizard")
	if !strings.Contains(contrastErr, "1.1:1") || !strings.Contains(contrastErr, "4.5:1") {
		t.Errorf("contrast refusal: %q", contrastErr)
	}
	if !strings.Contains(records, "TXT") || !strings.Contains(records, app.VerifyPrefix+"portal.browser-clinic.test") {
		t.Errorf("DNS records: %q", records)
	}
	if !strings.Contains(progress, "House setup v1 applied") || strings.Contains(progress, "applied: 0 created") {
		t.Errorf("snapshot result: %q", progress)
	}
	if strings.Join(statuses, ",") != "done,done,done,done,done" {
		t.Errorf("progress: %v", statuses)
	}
	tn, err := store.NewTenantStore(openDataDB(t, dir)).FindTenantBySlug(bg, "browser-clinic")
	if err != nil || tn.PrimaryColor != "#1d4ed8" || tn.LogoHash == "" {
		t.Fatalf("tenant: %+v %v", tn, err)
	}
}
