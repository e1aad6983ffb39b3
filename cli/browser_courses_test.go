package cli

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"orengen/app"
	"orengen/app/courses"
	"orengen/store"
)

// TestBrowser_MemberCompletesLesson (issue #24): a member invited to a
// client's course follows the emailed link on app.DOMAIN, signs in,
// opens the first lesson (its text and video player), marks it complete,
// sees the next lesson locked until its release day in their time zone,
// the course page shows their progress, and they post in a community
// space and see their post in its feed.
func TestBrowser_MemberCompletesLesson(t *testing.T) {
	ctx := newBrowserFor(t, 90*time.Second)
	dir := t.TempDir()
	bg := context.Background()
	sv := openApp(t, dir)
	tn := &app.Tenant{Name: "Learn Roofing"}
	if err := sv.Tenants.CreateTenant(bg, tn, ""); err != nil {
		t.Fatal(err)
	}
	staff := app.NewContextWithAdmin(app.NewContextWithTenant(bg, tn), &app.Admin{ID: 1, Role: app.RoleOwner})
	c := &courses.Course{Title: "Roof safety", Published: true}
	if err := sv.Courses.CreateCourse(staff, c); err != nil {
		t.Fatal(err)
	}
	m, err := sv.Courses.AddModule(staff, c.ID, "Ladders")
	if err != nil {
		t.Fatal(err)
	}
	first := &courses.Lesson{ModuleID: m.ID, Title: "Three points of contact", Body: "Keep **three points** on the ladder.", VideoURL: "https://vimeo.com/76979871"}
	second := &courses.Lesson{ModuleID: m.ID, Title: "Harnesses", DripDays: 2}
	for _, l := range []*courses.Lesson{first, second} {
		if err := sv.Courses.AddLesson(staff, c.ID, l); err != nil {
			t.Fatal(err)
		}
	}
	crew := &courses.Space{Name: "Crew room", Description: "Talk shop"}
	if err := sv.Courses.CreateSpace(staff, crew); err != nil {
		t.Fatal(err)
	}
	if _, err := sv.Courses.Invite(staff, "lee@learner.test", "Lee Learner", c.ID); err != nil {
		t.Fatal(err)
	}
	msgs, _, err := store.NewOutboxStore(sv.DB).FindOutboxMessages(bg, 5)
	if err != nil || len(msgs) == 0 {
		t.Fatalf("outbox: %v", err)
	}
	link := regexp.MustCompile(`https?://\S+/learn/link\?\S+`).FindString(msgs[0].Body)
	if link == "" {
		t.Fatalf("no link in %q", msgs[0].Body)
	}
	sv.Close()

	addr, _, _ := MustRunMain(t, dir)
	port := addr[strings.LastIndex(addr, ":")+1:]
	portal := "http://app.localhost:" + port
	path := link[strings.Index(link, "/learn/"):]
	var body, locked, progress, feed string
	var iframe string
	if err := chromedp.Run(ctx,
		chromedp.Navigate(portal+path),
		chromedp.WaitVisible("#link-form button", chromedp.ByQuery),
		chromedp.Click("#link-form button", chromedp.ByQuery),
		chromedp.WaitVisible("#account-form", chromedp.ByQuery),
		chromedp.SetValue("#a_tz", "Asia/Tokyo", chromedp.ByQuery),
		chromedp.Click("#account-form button", chromedp.ByQuery),
		// The saved page carries the zone in its value attribute.
		chromedp.WaitVisible(`#a_tz[value="Asia/Tokyo"]`, chromedp.ByQuery),
		chromedp.Navigate(portal+"/learn/lessons/"+strconv.FormatInt(first.ID, 10)),
		chromedp.WaitVisible("#lesson-body", chromedp.ByQuery),
		chromedp.Text("#lesson-body", &body, chromedp.ByQuery),
		chromedp.AttributeValue(".video iframe", "src", &iframe, nil, chromedp.ByQuery),
		chromedp.Click("#complete-form button", chromedp.ByQuery),
		// Completing goes on to the next lesson, dripped: locked.
		chromedp.WaitVisible("#locked", chromedp.ByQuery),
		chromedp.Text("#locked", &locked, chromedp.ByQuery),
		chromedp.Navigate(portal+"/learn/c/"+c.Slug),
		chromedp.WaitVisible("#progress", chromedp.ByQuery),
		chromedp.Text("#progress", &progress, chromedp.ByQuery),
		// The member posts in the community space and sees it in the feed.
		chromedp.Navigate(portal+"/learn/community"),
		chromedp.WaitVisible(`#spaces a[href="/learn/community/s/crew-room"]`, chromedp.ByQuery),
		chromedp.Click(`#spaces a[href="/learn/community/s/crew-room"]`, chromedp.ByQuery),
		chromedp.WaitVisible("#post-form", chromedp.ByQuery),
		chromedp.SetValue("#p_title", "Ladder tip", chromedp.ByQuery),
		chromedp.SetValue("#p_body", "Always check the **feet** of the ladder.", chromedp.ByQuery),
		chromedp.Click("#post-form button", chromedp.ByQuery),
		chromedp.WaitVisible("#feed article", chromedp.ByQuery),
		chromedp.Text("#feed", &feed, chromedp.ByQuery),
	); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "courses-progress")
	if !strings.Contains(body, "Keep three points on the ladder.") {
		t.Errorf("lesson text %q", body)
	}
	if iframe != "https://player.vimeo.com/video/76979871" {
		t.Errorf("video player %q", iframe)
	}
	if !strings.Contains(locked, "This lesson opens on") || !strings.Contains(locked, "(Asia/Tokyo)") {
		t.Errorf("locked lesson message %q", locked)
	}
	if !strings.Contains(progress, "1 of 2 lessons completed (50%)") {
		t.Errorf("progress %q", progress)
	}
	if !strings.Contains(feed, "Lee Learner") || !strings.Contains(feed, "Ladder tip") || !strings.Contains(feed, "Always check the feet of the ladder.") {
		t.Errorf("community feed %q", feed)
	}
}
