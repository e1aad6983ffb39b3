package wiki_test

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/go-pdf/fpdf"

	"orengen/app"
	"orengen/app/wiki"
	"orengen/pdftext"
	"orengen/store"
)

type wikiEnv struct {
	DB   *store.DB
	Svc  *wiki.Service
	A, B context.Context
	TA   *app.Tenant
	TB   *app.Tenant
	SA   *wiki.Space
	SB   *wiki.Space
}

func newWikiEnv(tb testing.TB) *wikiEnv {
	tb.Helper()
	db := store.NewDB(filepath.Join(tb.TempDir(), "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	tenants := store.NewTenantStore(db)
	e := &wikiEnv{DB: db}
	e.Svc = wiki.NewService(store.NewWikiStore(db).Stores())
	e.Svc.Tenant, e.Svc.MaxAttachment, e.Svc.PDF = tenants.FindTenantByID, 64<<10, pdftext.Text
	for _, t := range []**app.Tenant{&e.TA, &e.TB} {
		*t = &app.Tenant{Name: "Tenant " + strconv.Itoa(len(e.DB.Path))}
		if t == &e.TB {
			(*t).Name = "Bravo"
		} else {
			(*t).Name = "Alpha"
		}
		if err := tenants.CreateTenant(context.Background(), *t); err != nil {
			tb.Fatal(err)
		}
	}
	e.A = app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.TA), &app.User{ID: 1, TenantID: e.TA.ID, Email: "ann@alpha.test", Role: app.UserRoleOwner})
	e.B = app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.TB), &app.User{ID: 2, TenantID: e.TB.ID, Email: "bo@bravo.test", Role: app.UserRoleMember})
	var err error
	if e.SA, err = e.Svc.Space(e.A); err != nil {
		tb.Fatal(err)
	}
	if e.SB, err = e.Svc.Space(e.B); err != nil {
		tb.Fatal(err)
	}
	return e
}

func (e *wikiEnv) page(tb testing.TB, ctx context.Context, space int64, parent int64, title, body string) *wiki.Page {
	tb.Helper()
	p, err := e.Svc.CreatePage(ctx, space, parent, title, body)
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func (e *wikiEnv) save(tb testing.TB, ctx context.Context, p *wiki.Page, title, body string) *wiki.Page {
	tb.Helper()
	got, err := e.Svc.SavePage(ctx, p.ID, wiki.PageUpdate{Title: title, Body: body, BaseRevision: p.Revision})
	if err != nil {
		tb.Fatal(err)
	}
	return got
}

func TestWiki_RevisionsDiffRestore(t *testing.T) {
	e := newWikiEnv(t)
	p := e.page(t, e.A, e.SA.ID, 0, "Refund policy", "Refunds within 14 days.\nNo refunds on sale items.\nContact support.\n")
	if p.Revision != 1 || p.Slug != "refund-policy" {
		t.Fatalf("new page: %+v", p)
	}
	p2 := e.save(t, e.A, p, "Refund policy", "Refunds within 30 days.\nNo refunds on sale items.\nContact support.\n")
	p3 := e.save(t, e.A, p2, "Refunds", "Refunds within 30 days.\nNo refunds on sale items.\nContact support.\nGift cards are final.\n")
	if p3.Revision != 3 || p3.Slug != "refunds" {
		t.Fatalf("after two saves: revision %d slug %q", p3.Revision, p3.Slug)
	}
	// A save that changes nothing makes no revision.
	if same := e.save(t, e.A, p3, "Refunds", p3.Body); same.Revision != 3 {
		t.Fatalf("no-op save made revision %d", same.Revision)
	}
	revs, err := e.Svc.Revisions(e.A, p.ID)
	if err != nil || len(revs) != 3 || revs[0].Number != 3 || revs[2].Number != 1 || revs[2].Title != "Refund policy" || revs[0].Author != "user:ann@alpha.test" {
		t.Fatalf("revisions: %v %+v", err, revs)
	}
	// Diff 1 -> 3: line 1 changed (one removed, one added), a line added.
	d, err := e.Svc.Diff(e.A, p.ID, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if d.Added != 2 || d.Removed != 1 || !d.TitleChanged {
		t.Fatalf("diff counts: +%d -%d title %v", d.Added, d.Removed, d.TitleChanged)
	}
	var dels, adds []string
	for _, l := range d.Lines {
		switch l.Kind {
		case wiki.DiffDel:
			dels = append(dels, l.Text)
		case wiki.DiffAdd:
			adds = append(adds, l.Text)
		}
	}
	if !slices.Equal(dels, []string{"Refunds within 14 days."}) || !slices.Equal(adds, []string{"Refunds within 30 days.", "Gift cards are final."}) {
		t.Fatalf("diff lines: del %q add %q", dels, adds)
	}
	// Restore revision 1: a new revision 4 with revision 1's content.
	p4, err := e.Svc.Restore(e.A, p.ID, 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	if p4.Revision != 4 || p4.Title != "Refund policy" || p4.Body != p.Body || p4.Slug != "refund-policy" {
		t.Fatalf("restored: %+v", p4)
	}
	r4, err := e.Svc.Revision(e.A, p.ID, 4)
	if err != nil || r4.Note != "Restored revision 1" || r4.Body != p.Body {
		t.Fatalf("revision 4: %v %+v", err, r4)
	}
	// Restoring from a stale view is a conflict too.
	if _, err := e.Svc.Restore(e.A, p.ID, 2, 3); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("stale restore: %v", err)
	}
	// Another tenant sees none of it.
	if _, err := e.Svc.Revisions(e.B, p.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B reading A's revisions: %v", err)
	}
	if _, err := e.Svc.Revision(e.B, p.ID, 1); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B reading A's revision: %v", err)
	}
}

func TestWiki_Conflict(t *testing.T) {
	e := newWikiEnv(t)
	p := e.page(t, e.A, e.SA.ID, 0, "Opening hours", "Mon-Fri 9-5\n")
	// Two people open revision 1; the first saves.
	first := e.save(t, e.A, p, "Opening hours", "Mon-Fri 8-6\n")
	bo := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.TA), &app.User{ID: 9, TenantID: e.TA.ID, Email: "cy@alpha.test", Role: app.UserRoleMember})
	_, err := e.Svc.SavePage(bo, p.ID, wiki.PageUpdate{Title: "Opening hours", Body: "Mon-Sat 9-5\n", BaseRevision: 1})
	var ce *wiki.ConflictError
	if !errors.As(err, &ce) || app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("second save: %v, want a conflict", err)
	}
	if ce.Current.Revision != 2 || ce.Current.Body != "Mon-Fri 8-6\n" || ce.Mine.Body != "Mon-Sat 9-5\n" || ce.Mine.BaseRevision != 1 {
		t.Fatalf("conflict versions: current %+v mine %+v", ce.Current, ce.Mine)
	}
	if !strings.Contains(app.ErrorMessage(err), "ann@alpha.test") || !strings.Contains(app.ErrorMessage(err), "Nothing was overwritten") {
		t.Fatalf("conflict message: %s", app.ErrorMessage(err))
	}
	got, _ := e.Svc.Page(e.A, p.ID)
	revs, _ := e.Svc.Revisions(e.A, p.ID)
	if got.Body != first.Body || got.Revision != 2 || len(revs) != 2 {
		t.Fatalf("after the conflict: %+v, %d revisions", got, len(revs))
	}
	// Saving from the current revision works.
	if _, err := e.Svc.SavePage(bo, p.ID, wiki.PageUpdate{Title: "Opening hours", Body: "Mon-Sat 8-6\n", BaseRevision: 2}); err != nil {
		t.Fatal(err)
	}
	// Many concurrent savers from one base: exactly one wins.
	cur, _ := e.Svc.Page(e.A, p.ID)
	errs := make(chan error, 8)
	for i := 0; i < 8; i++ {
		go func(i int) {
			_, err := e.Svc.SavePage(e.A, p.ID, wiki.PageUpdate{Title: "Opening hours", Body: "v" + strconv.Itoa(i), BaseRevision: cur.Revision})
			errs <- err
		}(i)
	}
	ok := 0
	for i := 0; i < 8; i++ {
		if err := <-errs; err == nil {
			ok++
		} else if app.ErrorCode(err) != app.ECONFLICT {
			t.Fatal(err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d concurrent saves from one revision won, want 1", ok)
	}
}

func TestWiki_BacklinksAndRender(t *testing.T) {
	e := newWikiEnv(t)
	target := e.page(t, e.A, e.SA.ID, 0, "Price list", "Prices.")
	a := e.page(t, e.A, e.SA.ID, 0, "Sales SOP", "Quote from the [[Price List]] and the [[Missing page|missing one]].")
	e.page(t, e.A, e.SA.ID, 0, "Other", "No links.")
	bl, err := e.Svc.Backlinks(e.A, target)
	if err != nil || len(bl) != 1 || bl[0].ID != a.ID {
		t.Fatalf("backlinks: %v %+v", err, bl)
	}
	html, err := e.Svc.Render(e.A, a, wiki.PageURLs{
		Page: func(slug string) string { return "/wiki/p/" + slug },
		New:  func(title string) string { return "/wiki/new?title=" + title },
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, `href="/wiki/p/price-list"`) || !strings.Contains(html, `>Price List</a>`) {
		t.Fatalf("existing link: %s", html)
	}
	if !strings.Contains(html, `class="wikilink missing"`) || !strings.Contains(html, `>missing one</a>`) {
		t.Fatalf("missing link: %s", html)
	}
	// The link goes when the text no longer has it.
	e.save(t, e.A, a, "Sales SOP", "No more links.")
	if bl, _ := e.Svc.Backlinks(e.A, target); len(bl) != 0 {
		t.Fatalf("backlinks after removing the link: %+v", bl)
	}
	// A page of another tenant with the same slug is not a backlink.
	e.page(t, e.B, e.SB.ID, 0, "B page", "[[Price list]]")
	if bl, _ := e.Svc.Backlinks(e.A, target); len(bl) != 0 {
		t.Fatalf("backlinks across tenants: %+v", bl)
	}
}

func TestWiki_SearchRankingAndReindex(t *testing.T) {
	e := newWikiEnv(t)
	body := e.page(t, e.A, e.SA.ID, 0, "Office notes", "We talked about the warranty in passing, among many other topics of the week.")
	title := e.page(t, e.A, e.SA.ID, 0, "Warranty", "How claims are handled.")
	e.page(t, e.A, e.SA.ID, 0, "Lunch", "Pizza on Friday.")
	e.page(t, e.B, e.SB.ID, 0, "Warranty B", "Bravo's warranty secret.")
	hits, err := e.Svc.SearchPages(e.A, e.SA.ID, "warranty", 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 2 || hits[0].PageID != title.ID || hits[1].PageID != body.ID {
		t.Fatalf("ranking: %+v", hits)
	}
	if !strings.Contains(hits[1].Snippet, "<mark>warranty</mark>") {
		t.Fatalf("snippet: %q", hits[1].Snippet)
	}
	// Prefix match while typing, and a stemmed form.
	if h, _ := e.Svc.SearchPages(e.A, e.SA.ID, "warra", 10); len(h) != 2 || !strings.Contains(h[1].Snippet, "<mark>warranty</mark>") {
		t.Fatalf("prefix: %+v", h)
	}
	if h, _ := e.Svc.SearchPages(e.A, e.SA.ID, "topic", 10); len(h) != 1 || h[0].PageID != body.ID {
		t.Fatalf("stem: %+v", h)
	}
	// FTS syntax typed by a user is text, never an error.
	for _, q := range []string{`"unclosed`, `NEAR(a b)`, `title:x OR`, `*`, `a AND (b`, `-`, `'; DROP TABLE wiki_pages; --`} {
		if _, err := e.Svc.SearchPages(e.A, e.SA.ID, q, 10); err != nil {
			t.Errorf("query %q: %v", q, err)
		}
	}
	// Snippets escape the page's markup.
	x := e.page(t, e.A, e.SA.ID, 0, "Markup", "5 < 6 zebra & co <b>raw</b>")
	if h, _ := e.Svc.SearchPages(e.A, e.SA.ID, "zebra", 10); len(h) != 1 || h[0].PageID != x.ID || !strings.Contains(h[0].Snippet, "5 &lt; 6 <mark>zebra</mark> &amp; co") {
		t.Fatalf("escaped snippet: %+v", h)
	}
	// A save is searchable when it returns; the old text is gone.
	e.save(t, e.A, title, "Warranty", "Claims go to the guarantee desk.")
	if h, _ := e.Svc.SearchPages(e.A, e.SA.ID, "guarantee", 10); len(h) != 1 || h[0].PageID != title.ID {
		t.Fatalf("after save: %+v", h)
	}
	if h, _ := e.Svc.SearchPages(e.A, e.SA.ID, "handled", 10); len(h) != 0 {
		t.Fatalf("old text still found: %+v", h)
	}
	// The agents' interface: chunks with page, title and revision; B's
	// space ID given in A's context is left out.
	chunks, err := e.Svc.Search(e.A, []int64{e.SA.ID, e.SB.ID}, "guarantee desk", 5)
	if err != nil || len(chunks) != 1 || chunks[0].PageID != title.ID || chunks[0].Revision != 2 || chunks[0].PageTitle != "Warranty" || !strings.Contains(chunks[0].Text, "guarantee desk") {
		t.Fatalf("agent search: %v %+v", err, chunks)
	}
	if c, _ := e.Svc.Search(e.A, []int64{e.SB.ID}, "secret", 5); len(c) != 0 {
		t.Fatalf("A searched B's space: %+v", c)
	}
	if _, err := e.Svc.Search(context.Background(), []int64{e.SA.ID}, "warranty", 5); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("search without a tenant: %v", err)
	}
	// Deleting a page removes it from the index.
	if err := e.Svc.DeletePage(e.A, title.ID); err != nil {
		t.Fatal(err)
	}
	if h, _ := e.Svc.SearchPages(e.A, e.SA.ID, "guarantee", 10); len(h) != 0 {
		t.Fatalf("deleted page found: %+v", h)
	}
}

func TestWiki_ChunksForLongPages(t *testing.T) {
	var b strings.Builder
	b.WriteString("# Services\n\nIntro paragraph.\n\n## Plumbing\n\n")
	for i := 0; i < 60; i++ {
		b.WriteString("We fix leaking pipes and install water heaters in the metro area. ")
	}
	b.WriteString("\n\n## Roofing\n\nShingles and flat roofs; free inspections.\n")
	chunks := wiki.ChunkPage(b.String())
	if len(chunks) < 4 {
		t.Fatalf("%d chunks", len(chunks))
	}
	for _, c := range chunks {
		if len(c.Text) > wiki.MaxChunkBytes {
			t.Errorf("chunk of %d bytes", len(c.Text))
		}
	}
	last := chunks[len(chunks)-1]
	if last.Heading != "Services › Roofing" || !strings.Contains(last.Text, "free inspections") {
		t.Fatalf("last chunk: %+v", last)
	}
	if chunks[1].Heading != "Services › Plumbing" {
		t.Fatalf("heading path: %+v", chunks[1])
	}
}

func TestWiki_ShareLinks(t *testing.T) {
	e := newWikiEnv(t)
	p := e.page(t, e.A, e.SA.ID, 0, "Help: getting started", "Welcome. See [[FAQ]] and [[Internal]].")
	faq := e.page(t, e.A, e.SA.ID, 0, "FAQ", "Questions.")
	e.page(t, e.A, e.SA.ID, 0, "Internal", "Not shared.")
	sh, err := e.Svc.Share(e.A, p.ID)
	if err != nil || len(sh.Token) < 30 {
		t.Fatalf("share: %v %+v", err, sh)
	}
	if _, err := e.Svc.Share(e.B, p.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B sharing A's page: %v", err)
	}
	faqShare, _ := e.Svc.Share(e.A, faq.ID)
	ctx, got, page, err := e.Svc.SharedPage(context.Background(), sh.Token)
	if err != nil || got.ID != sh.ID || page.ID != p.ID || app.TenantFromContext(ctx).ID != e.TA.ID {
		t.Fatalf("shared page: %v %+v %+v", err, got, page)
	}
	html, err := e.Svc.RenderShared(ctx, page, func(tok string) string { return "/share/" + tok }, func(id int64) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	// Links to other shared pages go to their share; unshared ones are text.
	if !strings.Contains(html, `href="/share/`+faqShare.Token+`"`) || strings.Contains(html, "Internal</a>") || !strings.Contains(html, "Internal") {
		t.Fatalf("shared render: %s", html)
	}
	if err := e.Svc.RevokeShare(e.B, sh.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B revoking A's share: %v", err)
	}
	if err := e.Svc.RevokeShare(e.A, sh.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := e.Svc.SharedPage(context.Background(), sh.Token); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("revoked share: %v", err)
	}
	if _, _, _, err := e.Svc.SharedPage(context.Background(), "x"+sh.Token[1:]); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("wrong token: %v", err)
	}
	list, _ := e.Svc.Shares(e.A, p.ID)
	if len(list) != 1 || list[0].RevokedAt == nil {
		t.Fatalf("shares: %+v", list)
	}
}

func pngBytes(tb testing.TB) []byte {
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{200, 10, 10, 255})
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func pdfBytes(tb testing.TB, text string) []byte {
	p := fpdf.New("P", "mm", "A4", "")
	p.AddPage()
	p.SetFont("Helvetica", "", 12)
	p.MultiCell(0, 6, text, "", "", false)
	var b bytes.Buffer
	if err := p.Output(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func TestWiki_Attachments(t *testing.T) {
	e := newWikiEnv(t)
	p := e.page(t, e.A, e.SA.ID, 0, "Contracts", "See the files.")
	img, err := e.Svc.Attach(e.A, p.ID, "../../logo.png", pngBytes(t))
	if err != nil || img.ContentType != "image/png" || img.Name != "logo.png" {
		t.Fatalf("png: %v %+v", err, img)
	}
	doc, err := e.Svc.Attach(e.A, p.ID, "terms.pdf", pdfBytes(t, "Cancellation requires thirty days written notice from the client."))
	if err != nil || doc.ContentType != "application/pdf" {
		t.Fatalf("pdf: %v %+v", err, doc)
	}
	// The PDF's text is searchable, from the page's search and the agents'.
	hits, err := e.Svc.SearchPages(e.A, e.SA.ID, "cancellation notice", 10)
	if err != nil || len(hits) != 1 || hits[0].AttachmentID != doc.ID || hits[0].AttachName != "terms.pdf" {
		t.Fatalf("pdf search: %v %+v", err, hits)
	}
	chunks, _ := e.Svc.Search(e.A, []int64{e.SA.ID}, "thirty days", 3)
	if len(chunks) != 1 || chunks[0].Source != "Contracts › terms.pdf" {
		t.Fatalf("pdf chunk: %+v", chunks)
	}
	// Refused: over the cap, a type not accepted, content not matching
	// its name; each says why and stores nothing.
	for _, tc := range []struct {
		name, want, code string
		data             []byte
	}{
		{"big.png", "at most 64.0 KiB", app.ETOOLARGE, append(pngBytes(t), make([]byte, 70<<10)...)},
		{"page.html", `files of type ".html" are not accepted`, app.EINVALID, []byte("<html><script>alert(1)</script></html>")},
		{"fake.pdf", "named .pdf but its content is HTML", app.EINVALID, []byte("<html><body>hi</body></html>")},
		{"fake.png", "its content is a PDF document", app.EINVALID, pdfBytes(t, "x")},
		{"icon.svg", `files of type ".svg" are not accepted`, app.EINVALID, []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{"notes.txt", "its content is of another kind", app.EINVALID, []byte{0xff, 0xfe, 0x00, 0x01, 0x02}},
		{"empty.txt", "empty", app.EINVALID, nil},
	} {
		_, err := e.Svc.Attach(e.A, p.ID, tc.name, tc.data)
		if app.ErrorCode(err) != tc.code || app.ErrorField(err) != "file" || !strings.Contains(app.ErrorMessage(err), tc.want) {
			t.Errorf("%s: %v, want %s with %q", tc.name, err, tc.code, tc.want)
		}
	}
	list, _ := e.Svc.Attachments(e.A, p.ID)
	if len(list) != 2 {
		t.Fatalf("attachments: %+v", list)
	}
	a, data, err := e.Svc.Attachment(e.A, img.ID)
	if err != nil || !bytes.Equal(data, pngBytes(t)) || a.Size != int64(len(data)) {
		t.Fatalf("read back: %v", err)
	}
	if _, _, err := e.Svc.Attachment(e.B, img.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B reading A's file: %v", err)
	}
	if err := e.Svc.DeleteAttachment(e.B, doc.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B deleting A's file: %v", err)
	}
	if err := e.Svc.DeleteAttachment(e.A, doc.ID); err != nil {
		t.Fatal(err)
	}
	if h, _ := e.Svc.SearchPages(e.A, e.SA.ID, "cancellation", 10); len(h) != 0 {
		t.Fatalf("deleted file still found: %+v", h)
	}
}

func TestWiki_TreeMove(t *testing.T) {
	e := newWikiEnv(t)
	a := e.page(t, e.A, e.SA.ID, 0, "A", "")
	b := e.page(t, e.A, e.SA.ID, 0, "B", "")
	a1 := e.page(t, e.A, e.SA.ID, a.ID, "A1", "")
	a11 := e.page(t, e.A, e.SA.ID, a1.ID, "A11", "")
	titles := func() string {
		tree, err := e.Svc.Tree(e.A, e.SA.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range tree {
			out = append(out, strings.Repeat(">", p.Depth)+p.Title)
		}
		return strings.Join(out, " ")
	}
	if got := titles(); got != "A >A1 >>A11 B" {
		t.Fatalf("tree: %s", got)
	}
	if err := e.Svc.MovePage(e.A, b.ID, 0, 0); err != nil {
		t.Fatal(err)
	}
	if got := titles(); got != "B A >A1 >>A11" {
		t.Fatalf("after moving B first: %s", got)
	}
	if err := e.Svc.MovePage(e.A, a.ID, a11.ID, 0); app.ErrorField(err) != "parent_id" {
		t.Fatalf("moving A under its grandchild: %v", err)
	}
	if err := e.Svc.MovePage(e.A, a.ID, a.ID, 0); app.ErrorField(err) != "parent_id" {
		t.Fatalf("moving A under itself: %v", err)
	}
	if err := e.Svc.MovePage(e.A, a11.ID, b.ID, 0); err != nil {
		t.Fatal(err)
	}
	if got := titles(); got != "B >A11 A >A1" {
		t.Fatalf("after moving A11 under B: %s", got)
	}
	// Deleting A moves A1 up in its place.
	if err := e.Svc.DeletePage(e.A, a.ID); err != nil {
		t.Fatal(err)
	}
	if got := titles(); got != "B >A11 A1" {
		t.Fatalf("after deleting A: %s", got)
	}
	// Another tenant cannot move or delete A's pages, nor use them as parents.
	if err := e.Svc.MovePage(e.B, b.ID, 0, 1); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B moving A's page: %v", err)
	}
	if _, err := e.Svc.CreatePage(e.B, e.SB.ID, b.ID, "x", ""); app.ErrorField(err) != "parent_id" {
		t.Fatalf("B creating under A's page: %v", err)
	}
	if _, err := e.Svc.CreatePage(e.B, e.SA.ID, 0, "x", ""); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B creating in A's space: %v", err)
	}
	if err := e.Svc.DeletePage(e.B, b.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("B deleting A's page: %v", err)
	}
}

func TestWiki_Validation(t *testing.T) {
	e := newWikiEnv(t)
	for _, tc := range []struct{ title, body, field string }{
		{"", "x", "title"},
		{strings.Repeat("x", 201), "", "title"},
		{"a [[b]]", "", "title"},
		{"ok", strings.Repeat("x", wiki.MaxBody+1), "body"},
		{"ok", "a\x00b", "body"},
	} {
		if _, err := e.Svc.CreatePage(e.A, e.SA.ID, 0, tc.title, tc.body); app.ErrorField(err) != tc.field {
			t.Errorf("title %.20q: %v, want field %s", tc.title, err, tc.field)
		}
	}
	// Slugs stay unique in a space; CRLF is stored as LF.
	p1 := e.page(t, e.A, e.SA.ID, 0, "Über uns", "a\r\nb")
	p2 := e.page(t, e.A, e.SA.ID, 0, "über  UNS", "")
	if p1.Slug != "über-uns" || p2.Slug != "über-uns-2" || p1.Body != "a\nb" {
		t.Fatalf("slugs %q %q body %q", p1.Slug, p2.Slug, p1.Body)
	}
	// The shared flag: owners only.
	if _, err := e.Svc.SetShared(e.B, false); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("member changing sharing: %v", err)
	}
	if sp, err := e.Svc.SetShared(e.A, false); err != nil || sp.SharedWithAgency {
		t.Fatalf("owner unsharing: %v %+v", err, sp)
	}
	admin := app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1, Email: "root@agency.test"})
	if _, _, err := e.Svc.AdminSpace(admin, e.SA.ID); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Fatalf("admin on an unshared space: %v", err)
	}
	actx, sp, err := e.Svc.AdminSpace(admin, e.SB.ID)
	if err != nil || sp.ID != e.SB.ID || app.TenantFromContext(actx).ID != e.TB.ID {
		t.Fatalf("admin on a shared space: %v", err)
	}
	if _, _, err := e.Svc.AdminSpace(e.A, e.SB.ID); app.ErrorCode(err) != app.EUNAUTHORIZED && app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("tenant A as admin: %v", err)
	}
	list, err := e.Svc.SpacesAcross(admin)
	if err != nil || len(list) < 3 || list[0].TenantID != app.HouseTenantID {
		t.Fatalf("spaces across: %v %+v", err, list)
	}
}

func TestWiki_ZipRoundTrip(t *testing.T) {
	e := newWikiEnv(t)
	guide := e.page(t, e.A, e.SA.ID, 0, "Guide: start/here", "# Intro\n\nRead [[Steps]] first.\n\n- [ ] task\n\n| a | b |\n|---|---|\n| 1 | 2 |\n")
	steps := e.page(t, e.A, e.SA.ID, guide.ID, "Steps", "1. One\n2. Two\n")
	e.page(t, e.A, e.SA.ID, steps.ID, "Deep", "Deep text\n")
	e.page(t, e.A, e.SA.ID, 0, "Appendix", "The end.\n")
	img, _ := e.Svc.Attach(e.A, steps.ID, "diagram one.png", pngBytes(t))
	e.save(t, e.A, steps, "Steps", "1. One\n2. Two\n\n![diagram](attachment:"+strconv.FormatInt(img.ID, 10)+")\n")
	var zbuf bytes.Buffer
	if err := e.Svc.Export(e.A, e.SA.ID, &zbuf); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	slices.Sort(names)
	want := []string{"Appendix.md", "Guide- start-here.md", "Guide- start-here/Steps.md", "Guide- start-here/Steps/Deep.md", "attachments/diagram one.png"}
	if !slices.Equal(names, want) {
		t.Fatalf("zip files: %q, want %q", names, want)
	}
	// Into tenant B's space: the same tree, titles, bodies and file.
	rep, err := e.Svc.Import(e.B, e.SB.ID, bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages != 4 || rep.Files != 1 || len(rep.Skipped) != 0 {
		t.Fatalf("report: %+v", rep)
	}
	tree, _ := e.Svc.Tree(e.B, e.SB.ID)
	var shape []string
	for _, p := range tree {
		shape = append(shape, strings.Repeat(">", p.Depth)+p.Title)
	}
	if got := strings.Join(shape, "|"); got != "Guide: start/here|>Steps|>>Deep|Appendix" {
		t.Fatalf("imported tree: %s", got)
	}
	bSteps, err := e.Svc.PageBySlug(e.B, e.SB.ID, "steps")
	if err != nil {
		t.Fatal(err)
	}
	atts, _ := e.Svc.Attachments(e.B, bSteps.ID)
	if len(atts) != 1 || atts[0].Name != "diagram one.png" {
		t.Fatalf("imported files: %+v", atts)
	}
	if want := "1. One\n2. Two\n\n![diagram](attachment:" + strconv.FormatInt(atts[0].ID, 10) + ")\n"; bSteps.Body != want {
		t.Fatalf("imported body %q, want %q", bSteps.Body, want)
	}
	_, data, _ := e.Svc.Attachment(e.B, atts[0].ID)
	if !bytes.Equal(data, pngBytes(t)) {
		t.Fatal("imported file differs")
	}
	bGuide, _ := e.Svc.PageBySlug(e.B, e.SB.ID, "guide-start-here")
	if bGuide.Body != guide.Body {
		t.Fatalf("guide body %q, want %q", bGuide.Body, guide.Body)
	}
	if bl, _ := e.Svc.Backlinks(e.B, bSteps); len(bl) != 1 || bl[0].ID != bGuide.ID {
		t.Fatalf("imported backlinks: %+v", bl)
	}
	if h, _ := e.Svc.SearchPages(e.B, e.SB.ID, "deep", 5); len(h) != 1 {
		t.Fatalf("imported pages not indexed: %+v", h)
	}
}

func TestWiki_ImportObsidianAndBadZips(t *testing.T) {
	e := newWikiEnv(t)
	mk := func(files map[string][]byte) []byte {
		var b bytes.Buffer
		zw := zip.NewWriter(&b)
		for name, data := range files {
			f, _ := zw.Create(name)
			f.Write(data)
		}
		zw.Close()
		return b.Bytes()
	}
	// An Obsidian-style vault in a folder: a folder without its own note,
	// an embed, a relative .md link, a hidden folder and an unknown file.
	vault := mk(map[string][]byte{
		"Vault/Projects/Alpha.md":        []byte("# Alpha\n\nSee ![[shot.png]] and [the plan](Plan%20B.md).\n"),
		"Vault/Projects/Plan B.md":       []byte("Plan text.\n"),
		"Vault/images/shot.png":          pngBytes(t),
		"Vault/.obsidian/workspace.json": []byte("{}"),
		"Vault/Board.canvas":             []byte("{}"),
		"Vault/__MACOSX/._Alpha.md":      []byte("junk"),
		"Vault/Projects/evil.html":       []byte("<script>alert(1)</script>"),
	})
	rep, err := e.Svc.Import(e.A, e.SA.ID, bytes.NewReader(vault), int64(len(vault)))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pages != 3 || rep.Files != 1 {
		t.Fatalf("report: %+v", rep)
	}
	if len(rep.Skipped) != 2 {
		t.Fatalf("skipped: %q", rep.Skipped)
	}
	alpha, err := e.Svc.PageBySlug(e.A, e.SA.ID, "alpha")
	if err != nil {
		t.Fatal(err)
	}
	atts, _ := e.Svc.Attachments(e.A, alpha.ID)
	if len(atts) != 1 {
		t.Fatalf("alpha files: %+v", atts)
	}
	if want := "See ![shot.png](attachment:" + strconv.FormatInt(atts[0].ID, 10) + ") and [[Plan B|the plan]].\n"; alpha.Body != want {
		t.Fatalf("alpha body %q, want %q", alpha.Body, want)
	}
	projects, err := e.Svc.PageBySlug(e.A, e.SA.ID, "projects")
	if err != nil || alpha.ParentID != projects.ID {
		t.Fatalf("folder page: %v %+v %+v", err, projects, alpha)
	}
	// Bad zips: not a zip; no markdown; each writes nothing.
	before, _ := e.Svc.Tree(e.A, e.SA.ID)
	for name, data := range map[string][]byte{"not a zip": []byte("plain text"), "no markdown": mk(map[string][]byte{"a.png": pngBytes(t)})} {
		if _, err := e.Svc.Import(e.A, e.SA.ID, bytes.NewReader(data), int64(len(data))); app.ErrorField(err) != "file" {
			t.Errorf("%s: %v", name, err)
		}
	}
	// A zip with one bad page fails as a whole, naming the file.
	bad := mk(map[string][]byte{"good.md": []byte("ok"), "bad.md": []byte("a\x00b")})
	_, err = e.Svc.Import(e.A, e.SA.ID, bytes.NewReader(bad), int64(len(bad)))
	if !strings.Contains(app.ErrorMessage(err), "bad.md") {
		t.Fatalf("bad page: %v", err)
	}
	after, _ := e.Svc.Tree(e.A, e.SA.ID)
	if len(after) != len(before) {
		t.Fatalf("a failed import wrote pages: %d -> %d", len(before), len(after))
	}
}

// TestWiki_SearchCommonWordWindow: a search matching more chunks than
// store.WikiRankWindow is not ranked: chunks whose title matches come
// first, however old, then the newest matches; one matching no more
// than the window ranks them all by BM25.
func TestWiki_SearchCommonWordWindow(t *testing.T) {
	e := newWikiEnv(t)
	defer func(w int) { store.WikiRankWindow = w }(store.WikiRankWindow)
	store.WikiRankWindow = 4
	// The oldest page has the word in its title; then eight notes with
	// it in the text, oldest first (each page is one chunk).
	titled := e.page(t, e.A, e.SA.ID, 0, "Invoice", "How the papers are numbered.")
	var pages []*wiki.Page
	for i := 0; i < 8; i++ {
		pages = append(pages, e.page(t, e.A, e.SA.ID, 0, fmt.Sprintf("Note %d", i), fmt.Sprintf("The invoice number %d went out with the other papers of the day.", i)))
	}
	hits, err := e.Svc.SearchPages(e.A, e.SA.ID, "invoice", 5)
	if err != nil {
		t.Fatal(err)
	}
	// The titled page first, though it is the oldest, then notes 7 to 4.
	want := []int64{titled.ID, pages[7].ID, pages[6].ID, pages[5].ID, pages[4].ID}
	if len(hits) != len(want) {
		t.Fatalf("over the window: %d hits, want %d: %+v", len(hits), len(want), hits)
	}
	for i, h := range hits {
		if h.PageID != want[i] || h.Score != 0 {
			t.Fatalf("over the window, hit %d: page %d (score %v), want page %d unranked", i, h.PageID, h.Score, want[i])
		}
		if !strings.Contains(h.Snippet, "<mark>") && i > 0 {
			t.Fatalf("hit %d has no highlight: %q", i, h.Snippet)
		}
	}
	// At or under the window: every match, ranked by BM25 (the title's
	// weight puts the titled page first).
	store.WikiRankWindow = 9
	hits, err = e.Svc.SearchPages(e.A, e.SA.ID, "invoice", 20)
	if err != nil || len(hits) != 9 || hits[0].PageID != titled.ID {
		t.Fatalf("all ranked: %v %d %+v", err, len(hits), hits)
	}
	for _, h := range hits {
		if h.Score >= 0 {
			t.Fatalf("a ranked hit without its BM25 score: %+v", h)
		}
	}
}
