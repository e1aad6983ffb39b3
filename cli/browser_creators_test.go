package cli

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/app/creators"
)

// TestBrowser_CreatorSubmitApprove: a creator opens the private link
// (no account), reads the brief and submits a link with a note; the
// agency's admin opens the deliverable in Nexus, sees the submission and
// approves it with a comment; the creator's page then shows it approved
// with the comment and no form.
func TestBrowser_CreatorSubmitApprove(t *testing.T) {
	ctx := newBrowserFor(t, 2*time.Minute)
	dir := t.TempDir()
	bg := context.Background()
	a := openApp(t, dir)
	mustNexusOwner(t, a, "ops@example.com", "creator browser password")
	house, err := a.Tenants.TenantByID(bg, app.HouseTenantID)
	if err != nil {
		t.Fatal(err)
	}
	tctx := app.NewContextWithTenant(bg, house)
	p := &app.Person{FirstName: "Zoe", LastName: "Maker", Emails: []string{"zoe@maker.test"}}
	if err := a.CRMService.CreatePerson(tctx, p); err != nil {
		t.Fatal(err)
	}
	pr := &creators.Profile{PersonID: p.ID, Handles: map[string]string{"tiktok": "@zoemaker"}}
	if err := a.Creators.CreateProfile(tctx, pr); err != nil {
		t.Fatal(err)
	}
	cp := &creators.Campaign{Name: "Spring launch", Brief: "Show the **product** in your kitchen."}
	if err := a.Creators.SaveCampaign(tctx, cp); err != nil {
		t.Fatal(err)
	}
	d := &creators.Deliverable{CampaignID: cp.ID, CreatorID: pr.ID, Kind: "video", AmountCents: 25000}
	if err := a.Creators.AddDeliverable(tctx, d); err != nil {
		t.Fatal(err)
	}
	d, _ = a.Creators.Deliverable(tctx, d.ID)
	token := a.Creators.Token(d)
	a.Close()

	addr, _, _ := MustRunMain(t, dir)
	port := addr[strings.LastIndex(addr, ":")+1:]
	private := "http://app.localhost:" + port + "/c/" + token
	nexus := "http://nexus.localhost:" + port
	defer func() {
		if t.Failed() {
			screenshot(t, ctx, "creators-failed")
		}
	}()
	var brief, afterSubmit, seen, status, creatorView string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(private),
		waitLoaded("#cs_url", chromedp.ByID),
		chromedp.Text(".markdown", &brief, chromedp.ByQuery),
		chromedp.SendKeys("#cs_url", "https://videos.test/zoe-cut-1", chromedp.ByID),
		chromedp.SendKeys("#cs_note", "First cut, 30 seconds", chromedp.ByID),
		chromedp.Submit("#cs_url", chromedp.ByID),
		waitLoaded(`.creator-status[data-status="drafted"]`, chromedp.ByQuery),
		chromedp.Text("main", &afterSubmit, chromedp.ByQuery),

		loginTasks(nexus+"/login", "ops@example.com", "creator browser password"),
		waitLoaded("main.content h1", chromedp.ByQuery),
		chromedp.Navigate(nexus+"/creators/tenants/1/deliverables/"+strconv.FormatInt(d.ID, 10)),
		waitLoaded("#cv_comment", chromedp.ByID),
		chromedp.Text("main", &seen, chromedp.ByQuery),
		chromedp.SendKeys("#cv_comment", "Great, approved as is", chromedp.ByID),
		chromedp.Click(`button[value="approved"]`, chromedp.ByQuery),
		waitLoaded(`.creator-status[data-status="approved"]`, chromedp.ByQuery),
		chromedp.Text(".creator-status", &status, chromedp.ByQuery),

		chromedp.Navigate(private),
		waitLoaded(`.creator-status[data-status="approved"]`, chromedp.ByQuery),
		chromedp.Text("main", &creatorView, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(brief, "Show the product in your kitchen") {
		t.Errorf("brief: %q", brief)
	}
	if !strings.Contains(afterSubmit, "Drafted") || !strings.Contains(afterSubmit, "https://videos.test/zoe-cut-1") {
		t.Errorf("after the submission: %q", afterSubmit)
	}
	if !strings.Contains(seen, "https://videos.test/zoe-cut-1") || !strings.Contains(seen, "First cut, 30 seconds") {
		t.Errorf("Nexus does not show the submission: %q", seen)
	}
	if status != "Approved" {
		t.Errorf("status after approval: %q", status)
	}
	if !strings.Contains(creatorView, "Approved") || !strings.Contains(creatorView, "Great, approved as is") || strings.Contains(creatorView, "Submit your work") {
		t.Errorf("creator's page after approval: %q", creatorView)
	}
	b := openApp(t, dir)
	defer b.Close()
	if got, _ := b.Creators.Deliverable(tctx, d.ID); got.Status != creators.Approved || got.SubmissionURL != "https://videos.test/zoe-cut-1" {
		t.Errorf("stored: %+v", got)
	}
}
