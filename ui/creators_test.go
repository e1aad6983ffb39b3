package ui_test

import (
	"context"
	"image/color"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/creators"
	"orengen/ui"
)

// Isolation objects of creators (issue #22): B's campaign and
// deliverable; the Nexus ones name B's tenant too (:id).
const (
	objCreatorCampaign    = "creatorcampaign"
	objCreatorDeliverable = "creatordeliverable"
	objCreatorTenant      = "creatortenant"
	objCreatorProfile     = "creatorprofile"
)

type creatorFix struct {
	Profile, Campaign, Deliverable int64
	Token                          string
}

var creatorFixtures sync.Map // [2]any{*tenantEnv, tenant ID} -> *creatorFix

// creatorFixture gives a tenant a creator (a new CRM person), a campaign
// and a deliverable (once per env and tenant).
func (e *tenantEnv) creatorFixture(side *tenantSide) *creatorFix {
	key := [2]any{e, side.T.ID}
	ctx := app.NewContextWithTenant(context.Background(), side.T)
	var pr *creators.Profile
	if f, ok := creatorFixtures.Load(key); ok {
		fx := f.(*creatorFix)
		if _, err := e.App.Creators.Deliverable(ctx, fx.Deliverable); err == nil {
			return fx
		}
		// A delete route under test took the campaign or the
		// deliverable: the next route gets new ones.
		pr = &creators.Profile{ID: fx.Profile}
	} else {
		p := &app.Person{FirstName: side.T.Name, LastName: "Creator", Emails: []string{"creator@" + side.T.Slug + ".test"}}
		if err := e.Server.CRM.CreatePerson(ctx, p); err != nil {
			e.t.Fatal(err)
		}
		pr = &creators.Profile{PersonID: p.ID, Handles: map[string]string{"tiktok": "@" + side.T.Slug}}
		if err := e.App.Creators.CreateProfile(ctx, pr); err != nil {
			e.t.Fatal(err)
		}
	}
	cp := &creators.Campaign{Name: side.T.Name + " launch", Brief: side.T.Name + " secret brief"}
	if err := e.App.Creators.SaveCampaign(ctx, cp); err != nil {
		e.t.Fatal(err)
	}
	d := &creators.Deliverable{CampaignID: cp.ID, CreatorID: pr.ID, Kind: "video", AmountCents: 10000}
	if err := e.App.Creators.AddDeliverable(ctx, d); err != nil {
		e.t.Fatal(err)
	}
	d, _ = e.App.Creators.Deliverable(ctx, d.ID)
	f := &creatorFix{Profile: pr.ID, Campaign: cp.ID, Deliverable: d.ID, Token: e.App.Creators.Token(d)}
	// A submitted file, so the file routes have one to serve.
	l, err := e.App.Creators.ParseToken(f.Token)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.App.Creators.Submit(ctx, l, &creators.Submission{FileName: "cut.png", File: brandPNG(e.t, 4, 4, color.RGBA{5, 5, 5, 255})}); err != nil {
		e.t.Fatal(err)
	}
	creatorFixtures.Store(key, f)
	return f
}

// creatorFill puts B's creators objects in a route's parameters.
func (e *tenantEnv) creatorFill(obj, p string) (string, string) {
	f := e.creatorFixture(e.B)
	s := func(n int64) string { return strconv.FormatInt(n, 10) }
	p = strings.ReplaceAll(p, ":campaign", s(f.Campaign))
	p = strings.ReplaceAll(p, ":deliverable", s(f.Deliverable))
	p = strings.ReplaceAll(p, ":profile", s(f.Profile))
	switch obj {
	case objCreatorProfile:
		return s(f.Profile), p
	case objCreatorCampaign:
		return s(f.Campaign), p
	case objCreatorDeliverable:
		return s(f.Deliverable), p
	}
	return s(e.B.T.ID), p
}

// isoCreatorRequest gives the creators API's routes valid bodies and
// Nexus's ?tenant=B, so an admin key's request succeeds.
func (e *tenantEnv) isoCreatorRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/creator") {
		return
	}
	f := e.creatorFixture(e.B)
	switch r.Method + " " + r.Path {
	case "POST /api/v1/creators":
		if r.Host == ui.HostNexus {
			p := &app.Person{FirstName: "Iso", LastName: "Creator " + strconv.FormatInt(time.Now().UnixNano(), 36)}
			if err := e.Server.CRM.CreatePerson(app.NewContextWithTenant(context.Background(), e.B.T), p); err != nil {
				e.t.Fatal(err)
			}
			req.JSON = `{"person_id":` + strconv.FormatInt(p.ID, 10) + `,"handles":{"x":"iso"}}`
		}
	case "POST /api/v1/creator-campaigns":
		req.JSON = `{"name":"Api campaign","brief":"b"}`
	case "POST /api/v1/creator-campaigns/:id/deliverables":
		req.JSON = `{"creator_id":` + strconv.FormatInt(f.Profile, 10) + `,"kind":"reel"}`
	case "POST /api/v1/creator-deliverables/:id/status":
		req.JSON = `{"status":"approved","comment":"ok"}`
	case "PUT /api/v1/creator-deliverables/:id/paid":
		req.JSON = `{"paid_cents":100}`
	case "PUT /api/v1/creators/:id":
		req.JSON = `{"handles":{"tiktok":"@iso"},"audience":10}`
	case "PUT /api/v1/creator-deliverables/:id":
		req.JSON = `{"kind":"reel","due":"2027-02-01","amount_cents":100}`
	}
	if r.Host == ui.HostNexus {
		req.Path += "?tenant=" + strconv.FormatInt(e.B.T.ID, 10)
	}
}

// creatorContractCalls: the creators API's contract requests on tenant
// A's data.
func (e *tenantEnv) creatorContractCalls(calls map[string]contractCall, rk, wk string) {
	f := e.creatorFixture(e.A)
	s := func(n int64) string { return strconv.FormatInt(n, 10) }
	p := &app.Person{FirstName: "Contract", LastName: "Creator"}
	if err := e.Server.CRM.CreatePerson(app.NewContextWithTenant(context.Background(), e.A.T), p); err != nil {
		e.t.Fatal(err)
	}
	calls["getCreators"] = contractCall{ui.HostPortal, "GET", "/api/v1/creators", rk, "", 200}
	calls["postCreators"] = contractCall{ui.HostPortal, "POST", "/api/v1/creators", wk, `{"person_id":` + s(p.ID) + `,"handles":{"tiktok":"@contract"},"audience":1200,"rate_cents":25000,"niches":["food"],"sample_links":["https://x.test/a"]}`, 201}
	calls["getCreatorCampaigns"] = contractCall{ui.HostPortal, "GET", "/api/v1/creator-campaigns", rk, "", 200}
	calls["postCreatorCampaigns"] = contractCall{ui.HostPortal, "POST", "/api/v1/creator-campaigns", wk, `{"name":"Contract","brief":"**b**"}`, 201}
	calls["getCreatorCampaignsId"] = contractCall{ui.HostPortal, "GET", "/api/v1/creator-campaigns/" + s(f.Campaign), rk, "", 200}
	calls["postCreatorCampaignsIdDeliverables"] = contractCall{ui.HostPortal, "POST", "/api/v1/creator-campaigns/" + s(f.Campaign) + "/deliverables", wk,
		`{"creator_id":` + s(f.Profile) + `,"kind":"story","due":"2027-01-10","amount_cents":5000,"usage_until":"2027-06-30"}`, 201}
	calls["getCreatorDeliverablesId"] = contractCall{ui.HostPortal, "GET", "/api/v1/creator-deliverables/" + s(f.Deliverable), rk, "", 200}
	calls["postCreatorDeliverablesIdStatus"] = contractCall{ui.HostPortal, "POST", "/api/v1/creator-deliverables/" + s(f.Deliverable) + "/status", wk, `{"status":"revision_requested","comment":"Shorter"}`, 200}
	calls["putCreatorDeliverablesIdPaid"] = contractCall{ui.HostPortal, "PUT", "/api/v1/creator-deliverables/" + s(f.Deliverable) + "/paid", wk, `{"paid_cents":2500}`, 200}
	calls["putCreatorsId"] = contractCall{ui.HostPortal, "PUT", "/api/v1/creators/" + s(f.Profile), wk, `{"handles":{"youtube":"@contract"},"audience":3400,"rate_cents":30000,"niches":["travel"],"sample_links":["https://x.test/b"]}`, 200}
	calls["putCreatorDeliverablesId"] = contractCall{ui.HostPortal, "PUT", "/api/v1/creator-deliverables/" + s(f.Deliverable), wk, `{"kind":"reel","due":"2027-02-01","amount_cents":12000,"usage_until":"2027-08-01"}`, 200}
	// Deletes run last: a campaign and a deliverable of their own.
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	gone := &creators.Campaign{Name: "To delete"}
	if err := e.App.Creators.SaveCampaign(ctx, gone); err != nil {
		e.t.Fatal(err)
	}
	d := &creators.Deliverable{CampaignID: gone.ID, CreatorID: f.Profile, Kind: "post"}
	if err := e.App.Creators.AddDeliverable(ctx, d); err != nil {
		e.t.Fatal(err)
	}
	d2 := &creators.Deliverable{CampaignID: f.Campaign, CreatorID: f.Profile, Kind: "story"}
	if err := e.App.Creators.AddDeliverable(ctx, d2); err != nil {
		e.t.Fatal(err)
	}
	calls["deleteCreatorCampaignsId"] = contractCall{ui.HostPortal, "DELETE", "/api/v1/creator-campaigns/" + s(gone.ID), wk, "", 204}
	calls["deleteCreatorDeliverablesId"] = contractCall{ui.HostPortal, "DELETE", "/api/v1/creator-deliverables/" + s(d2.ID), wk, "", 204}
}

// The whole creators flow through HTTP: a CRM person made a creator, a
// campaign with a brief, a deliverable; the creator (no account) opens
// the private link, submits a link, sees the owner's revision comment,
// submits a file; the owner approves from the board; amounts; the
// expired, wrong and replaced links refused with their reason and
// nothing written; another tenant's data out of reach; the usage-rights
// reminder mailed once; the API.
func TestCreators_FlowHTTP(t *testing.T) {
	e := newTenantEnv(t)
	a := e.A
	ctxA := app.NewContextWithTenant(context.Background(), a.T)
	owner := map[string]string{"psid": a.Cookie}
	post := func(path string, form url.Values) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, Cookies: owner, CSRF: true})
	}
	get := func(host, path string, cookies map[string]string) (int, string) {
		st, body, _ := e.do(treq{Host: host, Method: "GET", Path: path, Cookies: cookies})
		return st, body
	}
	creatorPost := func(host, token string, fields map[string]string, name string, data []byte) (int, string) {
		fields["_csrf"] = e.csrfToken()
		field := ""
		if data != nil {
			field = "file"
		}
		raw, ct := multipartFiles(t, fields, field, name, data)
		st, body, _ := e.do(treq{Host: host, Method: "POST", Path: "/c/" + token, Raw: raw, ContentType: ct, Cookies: map[string]string{"csrf": tenantCSRFNonce}})
		return st, body
	}

	zoe := &app.Person{FirstName: "Zoe", LastName: "Maker", Emails: []string{"zoe@maker.test"}}
	if err := e.Server.CRM.CreatePerson(ctxA, zoe); err != nil {
		t.Fatal(err)
	}
	if st, body, _ := post("/creators/profiles", url.Values{"person_id": {strconv.FormatInt(zoe.ID, 10)}, "handle_tiktok": {"zoe maker!"}}); st != 400 || !strings.Contains(body, "is not a handle") {
		t.Errorf("bad handle: %d", st)
	}
	if st, body, _ := post("/creators/profiles", url.Values{"person_id": {strconv.FormatInt(e.B.CRM.Person.ID, 10)}}); st != 400 || !strings.Contains(body, "No such person") {
		t.Errorf("B's person as A's creator: %d", st)
	}
	if st, _, _ := post("/creators/profiles", url.Values{"person_id": {strconv.FormatInt(zoe.ID, 10)}, "handle_tiktok": {"zoemaker"}, "handle_instagram": {"@zoe.makes"},
		"audience": {"12,000"}, "rate": {"250"}, "niches": {"food, travel"}, "samples": {"https://videos.test/zoe1"}}); st != http.StatusSeeOther {
		t.Fatalf("profile: %d", st)
	}
	st, body := get(ui.HostPortal, "/creators", owner)
	for _, w := range []string{"Zoe Maker", "@zoemaker", "@zoe.makes", "12000", "250.00 USD", "food, travel", "https://videos.test/zoe1"} {
		if !strings.Contains(body, w) {
			t.Errorf("creators page lacks %q (%d)", w, st)
		}
	}
	st, _, resp := post("/creators/campaigns", url.Values{"name": {"Spring launch"}, "brief": {"## Brief\n\nShow the **product** in use.\n\n<script>alert(1)</script>"}})
	if st != http.StatusSeeOther {
		t.Fatalf("campaign: %d", st)
	}
	board := resp.Header.Get("Location")
	profiles, _ := e.App.Creators.Profiles(ctxA)
	usage := time.Now().AddDate(0, 0, 3).Format("2006-01-02")
	if st, _, _ := post(board+"/deliverables", url.Values{"creator_id": {strconv.FormatInt(profiles[0].ID, 10)}, "kind": {"video"}, "due": {"2027-01-15"}, "amount": {"250"}, "usage_until": {usage}}); st != http.StatusSeeOther {
		t.Fatalf("deliverable: %d", st)
	}
	if st, body, _ := post(board+"/deliverables", url.Values{"creator_id": {strconv.FormatInt(profiles[0].ID, 10)}, "kind": {"post"}, "due": {"next week"}}); st != 400 || !strings.Contains(body, "date like") {
		t.Errorf("bad due date: %d", st)
	}
	cid, _ := strconv.ParseInt(strings.TrimPrefix(board, "/creators/campaigns/"), 10, 64)
	b, err := e.App.Creators.Board(ctxA, cid)
	if err != nil || len(b.Columns[0].Cards) != 1 {
		t.Fatalf("board: %v", err)
	}
	d := b.Columns[0].Cards[0]
	dpath := "/creators/deliverables/" + strconv.FormatInt(d.ID, 10)
	token := e.App.Creators.Token(d)
	if st, body := get(ui.HostPortal, dpath, owner); st != 200 || !strings.Contains(body, "/c/"+token) {
		t.Fatalf("deliverable page lacks the private link: %d", st)
	}

	// The creator, without an account.
	st, body = get(ui.HostPortal, "/c/"+token, nil)
	if st != 200 || !strings.Contains(body, "<strong>product</strong>") || strings.Contains(body, "<script>alert") || !strings.Contains(body, "Briefed") {
		t.Fatalf("private page: %d %.400s", st, body)
	}
	if st, body := creatorPost(ui.HostPortal, token, map[string]string{"url": "javascript:alert(1)"}, "", nil); st != 400 || !strings.Contains(body, "http(s)") {
		t.Errorf("bad link: %d", st)
	}
	if st, _ := creatorPost(ui.HostPortal, token, map[string]string{"url": "https://drive.test/cut1", "note": "First cut"}, "", nil); st != http.StatusSeeOther {
		t.Fatalf("submit: %d", st)
	}
	if d, _ = e.App.Creators.Deliverable(ctxA, d.ID); d.Status != creators.Drafted || d.SubmissionURL != "https://drive.test/cut1" {
		t.Fatalf("after submission: %+v", d)
	}
	// Revision: the comment is required, and the creator sees it.
	if st, body, _ := post(dpath+"/status", url.Values{"status": {"revision_requested"}}); st != 400 || !strings.Contains(body, "Say what to change") {
		t.Errorf("revision without comment: %d", st)
	}
	if st, _, _ := post(dpath+"/status", url.Values{"status": {"revision_requested"}, "comment": {"Make it 15 seconds shorter"}}); st != http.StatusSeeOther {
		t.Fatalf("revision: %d", st)
	}
	if _, body := get(ui.HostPortal, "/c/"+token, nil); !strings.Contains(body, "Make it 15 seconds shorter") || !strings.Contains(body, "Revision requested") || !strings.Contains(body, "First cut") {
		t.Errorf("creator does not see the revision comment")
	}
	if st, body := creatorPost(ui.HostPortal, token, map[string]string{}, "cut.txt", []byte("just some text, not a video")); st != 400 || !strings.Contains(body, "image, a video") {
		t.Errorf("text file: %d", st)
	}
	shot := brandPNG(t, 12, 12, color.RGBA{1, 2, 3, 255})
	if st, _ := creatorPost(ui.HostPortal, token, map[string]string{"note": "Shorter now"}, "cut2.png", shot); st != http.StatusSeeOther {
		t.Fatalf("file submission: %d", st)
	}
	if d, _ = e.App.Creators.Deliverable(ctxA, d.ID); d.Status != creators.Drafted || !d.HasFile || d.FileType != "image/png" {
		t.Fatalf("after the file: %+v", d)
	}
	if st, body, resp := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: dpath + "/file", Cookies: owner}); st != 200 || body != string(shot) || resp.Header.Get("Content-Type") != "image/png" {
		t.Errorf("owner's file download: %d", st)
	}
	// Approved from the board (a button that posts), then closed.
	if st, _, resp := post(dpath+"/status", url.Values{"status": {"approved"}, "back": {"board"}}); st != http.StatusSeeOther || resp.Header.Get("Location") != board {
		t.Fatalf("approve from the board: %d", st)
	}
	if _, body := get(ui.HostPortal, board, owner); !strings.Contains(body, `aria-label="Approved"`) || !strings.Contains(body, "deliverable-"+strconv.FormatInt(d.ID, 10)) {
		t.Errorf("board")
	}
	if st, body := creatorPost(ui.HostPortal, token, map[string]string{"url": "https://drive.test/late"}, "", nil); st != 403 || !strings.Contains(body, "approved already") {
		t.Errorf("submission after approval: %d", st)
	}
	if st, _, _ := post(dpath+"/paid", url.Values{"paid": {"100"}}); st != http.StatusSeeOther {
		t.Errorf("paid: %d", st)
	}
	if _, body := get(ui.HostPortal, "/creators", owner); !strings.Contains(body, "250.00 USD</td><td>100.00 USD") {
		t.Errorf("campaign totals owed/paid missing")
	}

	// Expired: refused naming the date, nothing written.
	e.App.Creators.Now = func() time.Time { return time.Now().Add(creators.LinkTTL + time.Hour) }
	st, body = get(ui.HostPortal, "/c/"+token, nil)
	if st != 403 || !strings.Contains(body, "This link expired on") {
		t.Errorf("expired link: %d", st)
	}
	e.App.Creators.Now = nil
	// Wrong: tampered or replaced by a new link.
	if st, body := get(ui.HostPortal, "/c/"+token[:len(token)-2]+"xx", nil); st != 404 || !strings.Contains(body, "not valid") {
		t.Errorf("tampered link: %d", st)
	}
	if st, _, _ := post(dpath+"/link", nil); st != http.StatusSeeOther {
		t.Fatal("new link")
	}
	if st, _ := get(ui.HostPortal, "/c/"+token, nil); st != 404 {
		t.Errorf("replaced link: %d", st)
	}
	// Isolation: B's link does not open on A's domain, and a link can
	// only reach its own tenant's deliverable.
	bf := e.creatorFixture(e.B)
	e.addDomain("creators.alpha.test", a.T.ID)
	if st, body := get("creators.alpha.test", "/c/"+bf.Token, nil); st != 404 || strings.Contains(body, "secret brief") {
		t.Errorf("B's link on A's domain: %d", st)
	}
	if st, body := get(ui.HostPortal, "/c/"+bf.Token, nil); st != 200 || !strings.Contains(body, e.B.T.Name+" secret brief") {
		t.Errorf("B's link on app.DOMAIN: %d", st)
	}
	bd, _ := e.App.Creators.Deliverable(app.NewContextWithTenant(context.Background(), e.B.T), bf.Deliverable)
	if _, err := e.App.Creators.LinkDeliverable(ctxA, &creators.Link{TenantID: a.T.ID, DeliverableID: bf.Deliverable, Nonce: bd.LinkNonce}); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A's scope reached B's deliverable: %v", err)
	}
	if st, _ := get(ui.HostPortal, "/creators/deliverables/"+strconv.FormatInt(bf.Deliverable, 10), owner); st != 404 {
		t.Errorf("A's owner on B's deliverable: %d", st)
	}

	// A member reads, does not write.
	mc := map[string]string{"psid": e.portalSession(a.Member)}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/creators/campaigns", Form: url.Values{"name": {"x"}}, Cookies: mc, CSRF: true}); st != 403 {
		t.Errorf("member creates a campaign: %d", st)
	}

	// The usage-rights reminder: once.
	if n := e.App.Creators.RemindUsage(context.Background()); n != 1 {
		t.Errorf("reminders sent: %d, want 1", n)
	}
	if n := e.App.Creators.RemindUsage(context.Background()); n != 0 {
		t.Errorf("second pass sent %d, want 0 (no double reminder)", n)
	}
	if ms := e.ownerMail(a.Owner.Email, "Usage rights end "+usage); len(ms) != 1 || !strings.Contains(ms[0].Body, "Spring launch") {
		t.Errorf("owner's reminder mail: %d", len(ms))
	}
	if d, _ = e.App.Creators.Deliverable(ctxA, d.ID); d.RemindedAt == nil {
		t.Errorf("reminded_at not stored")
	}

	// API.
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/creator-deliverables/" + strconv.FormatInt(d.ID, 10) + "/status", Bearer: a.KeyWrite, JSON: `{"status":"revision_requested"}`})
	if st != 400 || !strings.Contains(body, `"field":"comment"`) {
		t.Errorf("API revision without comment: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/creator-deliverables/" + strconv.FormatInt(d.ID, 10) + "/status", Bearer: a.KeyRead, JSON: `{"status":"published"}`})
	if st != 403 {
		t.Errorf("read key: %d", st)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/api/v1/creator-deliverables/" + strconv.FormatInt(d.ID, 10) + "/status", Bearer: a.KeyWrite, JSON: `{"status":"published"}`})
	if st != 200 || !strings.Contains(body, `"status":"published"`) || !strings.Contains(body, "Make it 15 seconds shorter") {
		t.Errorf("API publish: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/creator-campaigns/" + strconv.FormatInt(cid, 10), Bearer: a.KeyRead})
	if st != 200 || !strings.Contains(body, `"owed_cents":25000`) || !strings.Contains(body, `"paid_cents":10000`) {
		t.Errorf("API campaign: %d %s", st, body)
	}
}

// TestCreators_EditDelete: the owner edits a creator's profile and a
// deliverable from the pages (bad values refused with the field named,
// nothing changed), a new usage end is reminded again, and deleting a
// deliverable or a campaign takes its submissions and comments with it,
// nothing of another campaign or tenant; the same through the API.
func TestCreators_EditDelete(t *testing.T) {
	e := newTenantEnv(t)
	ctxA := app.NewContextWithTenant(context.Background(), e.A.T)
	f := e.creatorFixture(e.A)
	fb := e.creatorFixture(e.B)
	owner := map[string]string{"psid": e.A.Cookie}
	post := func(path string, form url.Values) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: "POST", Path: path, Form: form, Cookies: owner, CSRF: true})
	}
	s := func(n int64) string { return strconv.FormatInt(n, 10) }

	// The profile.
	prof := url.Values{"handle_instagram": {"ana.makes"}, "handle_tiktok": {""}, "audience": {"12,500"}, "rate": {"$300"}, "niches": {"food, travel"},
		"samples": {"https://x.test/1\nhttps://x.test/2"}}
	if st, _, _ := post("/creators/profiles/"+s(f.Profile), prof); st != http.StatusSeeOther {
		t.Fatalf("profile save: %d", st)
	}
	p, err := e.App.Creators.Profile(ctxA, f.Profile)
	if err != nil || p.Handles["instagram"] != "@ana.makes" || p.Handles["tiktok"] != "" || p.Audience != 12500 || p.RateCents != 30000 ||
		strings.Join(p.Niches, "|") != "food|travel" || len(p.Samples) != 2 {
		t.Fatalf("profile after the edit: %+v %v", p, err)
	}
	for field, v := range map[string]string{"samples": "ftp://x.test/1", "audience": "lots", "handles": "not a handle!"} {
		bad := url.Values{}
		for k, vs := range prof {
			bad[k] = vs
		}
		key := field
		if field == "handles" {
			key = "handle_instagram"
		}
		bad.Set(key, v)
		st, _, resp := post("/creators/profiles/"+s(f.Profile), bad)
		if loc := resp.Header.Get("Location"); st != http.StatusSeeOther || !strings.Contains(loc, "edit="+s(f.Profile)) {
			t.Fatalf("bad %s: %d %q", field, st, loc)
		}
		if q, _ := e.App.Creators.Profile(ctxA, f.Profile); q.Audience != 12500 || len(q.Samples) != 2 || q.Handles["instagram"] != "@ana.makes" {
			t.Fatalf("a refused %s changed the profile: %+v", field, q)
		}
	}
	if st, _, _ := post("/creators/profiles/"+s(fb.Profile), prof); st != http.StatusNotFound {
		t.Fatalf("B's creator from A: %d", st)
	}
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/creators?edit=" + s(f.Profile), Cookies: owner})
	if st != 200 || !strings.Contains(body, `<details class="creator-edit" open>`) || !strings.Contains(body, `value="@ana.makes"`) {
		t.Fatalf("edit form: %d %.2000s", st, body)
	}

	// The deliverable: a reminder was sent for its usage end; a new end
	// is reminded again, the same end is not.
	d0, _ := e.App.Creators.Deliverable(ctxA, f.Deliverable)
	if err := e.App.Creators.UpdateDeliverable(ctxA, f.Deliverable, &creators.Deliverable{Kind: "video", AmountCents: d0.AmountCents, UsageUntil: "2027-01-10"}); err != nil {
		t.Fatal(err)
	}
	if rs, err := e.App.Stores.Creators.ClaimReminders(context.Background(), "2027-01-10", time.Now()); err != nil || len(rs) != 1 || rs[0].Deliverable.ID != f.Deliverable {
		t.Fatalf("reminder claimed: %v %v", rs, err)
	}
	del := url.Values{"kind": {"reel"}, "due": {"2027-02-01"}, "amount": {"150.50"}, "usage_until": {"2027-01-10"}}
	if st, _, _ := post("/creators/deliverables/"+s(f.Deliverable), del); st != http.StatusSeeOther {
		t.Fatalf("deliverable save: %d", st)
	}
	d, _ := e.App.Creators.Deliverable(ctxA, f.Deliverable)
	if d.Kind != "reel" || d.Due != "2027-02-01" || d.AmountCents != 15050 || d.Status != d0.Status || d.PaidCents != d0.PaidCents || !d.HasFile || d.RemindedAt == nil {
		t.Fatalf("deliverable after the edit (same usage end): %+v", d)
	}
	del.Set("usage_until", "2027-03-31")
	post("/creators/deliverables/"+s(f.Deliverable), del)
	if d, _ = e.App.Creators.Deliverable(ctxA, f.Deliverable); d.UsageUntil != "2027-03-31" || d.RemindedAt != nil {
		t.Fatalf("a new usage end keeps the old reminder: %+v", d)
	}
	bad := url.Values{"kind": {"reel"}, "due": {"31/01/2027"}, "amount": {"150.50"}}
	st, body, _ = post("/creators/deliverables/"+s(f.Deliverable), bad)
	if st < 400 || !strings.Contains(body, "due must be a date") {
		t.Fatalf("bad due date: %d %.1500s", st, body)
	}
	if d, _ = e.App.Creators.Deliverable(ctxA, f.Deliverable); d.Due != "2027-02-01" {
		t.Fatalf("a refused edit changed the due date: %q", d.Due)
	}

	// Deleting a deliverable takes its comments; the campaign and B stay.
	if err := e.App.Creators.Move(ctxA, f.Deliverable, creators.RevisionRequested, "Shorter, please"); err != nil {
		t.Fatal(err)
	}
	other := &creators.Deliverable{CampaignID: f.Campaign, CreatorID: f.Profile, Kind: "story"}
	if err := e.App.Creators.AddDeliverable(ctxA, other); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := post("/creators/deliverables/"+s(fb.Deliverable)+"/delete", nil); st != http.StatusNotFound {
		t.Fatalf("B's deliverable deleted from A: %d", st)
	}
	st, _, resp := post("/creators/deliverables/"+s(f.Deliverable)+"/delete", nil)
	if st != http.StatusSeeOther || resp.Header.Get("Location") != "/creators/campaigns/"+s(f.Campaign) {
		t.Fatalf("delete deliverable: %d %q", st, resp.Header.Get("Location"))
	}
	if n := e.countRows(t, `SELECT count(*) FROM creator_comments WHERE deliverable_id = ?`, f.Deliverable); n != 0 {
		t.Fatalf("%d comments of the deleted deliverable left", n)
	}
	if _, err := e.App.Creators.Deliverable(ctxA, other.ID); err != nil {
		t.Fatalf("the other deliverable went too: %v", err)
	}
	// Deleting the campaign takes the rest; B's campaign stays.
	if st, _, _ := post("/creators/campaigns/"+s(f.Campaign)+"/delete", nil); st != http.StatusSeeOther {
		t.Fatalf("delete campaign: %d", st)
	}
	if n := e.countRows(t, `SELECT count(*) FROM creator_deliverables WHERE campaign_id = ?`, f.Campaign); n != 0 {
		t.Fatalf("%d deliverables of the deleted campaign left", n)
	}
	if n := e.countRows(t, `SELECT count(*) FROM creator_deliverables WHERE id = ?`, fb.Deliverable); n != 1 {
		t.Fatal("tenant B's deliverable went")
	}

	// The API.
	api := func(method, path, body string) (int, string) {
		st, b, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, JSON: body, Bearer: e.A.KeyWrite})
		return st, b
	}
	if st, b := api("PUT", "/api/v1/creators/"+s(f.Profile), `{"audience":"many"}`); st != 400 || !strings.Contains(b, `"field":"audience"`) {
		t.Fatalf("api audience type: %d %s", st, b)
	}
	if st, b := api("PUT", "/api/v1/creators/"+s(f.Profile), `{"handles":{"myspace":"@x"}}`); st != 400 || !strings.Contains(b, `"field":"handles"`) {
		t.Fatalf("api unknown platform: %d %s", st, b)
	}
	if st, b := api("PUT", "/api/v1/creators/"+s(f.Profile), `{"handles":{"youtube":"ana"},"audience":9000,"rate_cents":25000}`); st != 200 ||
		!strings.Contains(b, `"youtube":"@ana"`) || !strings.Contains(b, `"audience":9000`) || strings.Contains(b, "instagram") {
		t.Fatalf("api profile: %d %s", st, b)
	}
	cp := &creators.Campaign{Name: "Spring"}
	if err := e.App.Creators.SaveCampaign(ctxA, cp); err != nil {
		t.Fatal(err)
	}
	nd := &creators.Deliverable{CampaignID: cp.ID, CreatorID: f.Profile, Kind: "post"}
	if err := e.App.Creators.AddDeliverable(ctxA, nd); err != nil {
		t.Fatal(err)
	}
	if st, b := api("PUT", "/api/v1/creator-deliverables/"+s(nd.ID), `{"kind":""}`); st != 400 || !strings.Contains(b, `"field":"kind"`) {
		t.Fatalf("api empty kind: %d %s", st, b)
	}
	if st, b := api("PUT", "/api/v1/creator-deliverables/"+s(nd.ID), `{"kind":"reel","amount_cents":"100"}`); st != 400 || !strings.Contains(b, `"field":"amount_cents"`) {
		t.Fatalf("api amount type: %d %s", st, b)
	}
	if st, b := api("PUT", "/api/v1/creator-deliverables/"+s(nd.ID), `{"kind":"reel","due":"2027-04-01","amount_cents":9900}`); st != 200 || !strings.Contains(b, `"amount_cents":9900`) || !strings.Contains(b, `"due":"2027-04-01"`) {
		t.Fatalf("api deliverable: %d %s", st, b)
	}
	if st, _ := api("DELETE", "/api/v1/creator-campaigns/"+s(fb.Campaign), ""); st != 404 {
		t.Fatalf("api: B's campaign deleted by A's key: %d", st)
	}
	if st, _ := api("DELETE", "/api/v1/creator-campaigns/"+s(cp.ID), ""); st != 204 {
		t.Fatalf("api delete campaign: %d", st)
	}
	if st, _ := api("GET", "/api/v1/creator-deliverables/"+s(nd.ID), ""); st != 404 {
		t.Fatalf("the deleted campaign's deliverable: %d", st)
	}
}
