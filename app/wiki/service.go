package wiki

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"html"
	"log/slog"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// Service is the wiki's use cases over its Stores. Tenant users act in their
// tenant's space (ctx carries the tenant); Nexus admins reach a space with
// AdminSpace, which scopes ctx to the space's tenant.
type Service struct {
	stores Stores
	// Tenant finds a tenant by ID (Nexus acting in a client's space).
	Tenant func(ctx context.Context, id int64) (*app.Tenant, error)
	// MaxAttachment caps an attachment's size (0: DefaultMaxAttachment).
	MaxAttachment int64
	// PDF reads an attached PDF's text for search (package pdftext);
	// nil stores PDFs without their text.
	PDF    PDFReader
	Now    func() time.Time
	Logger *slog.Logger
}

// NewService returns the wiki's service over st; the wiring fills the
// other fields. The stores stay the service's: callers read and write
// the wiki through its methods.
func NewService(st Stores) *Service { return &Service{stores: st} }

// ConflictError is a save that started from an older revision than the
// page's current one: nothing was written. It carries both versions so
// the editor can show them side by side.
type ConflictError struct {
	Err     *app.Error
	Current *Page      // the page as it is now
	Mine    PageUpdate // what the save tried to write
}

func (e *ConflictError) Error() string { return e.Err.Error() }
func (e *ConflictError) Unwrap() error { return e.Err }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) maxAttachment() int64 {
	if s.MaxAttachment > 0 {
		return s.MaxAttachment
	}
	return DefaultMaxAttachment
}

// Space returns the tenant's space, creating it on first use.
func (s *Service) Space(ctx context.Context) (*Space, error) {
	t := app.TenantFromContext(ctx)
	if t == nil {
		return nil, app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	name := t.BrandName()
	if t.ID == app.HouseTenantID {
		name = "Internal"
	}
	return s.stores.Spaces.EnsureSpace(ctx, name)
}

// Spaces returns the spaces the tenant in ctx may search (its own): what
// an agent may be given.
func (s *Service) Spaces(ctx context.Context) ([]*Space, error) {
	sp, err := s.Space(ctx)
	if err != nil {
		return nil, err
	}
	return []*Space{sp}, nil
}

// SetShared turns the "shared with the agency" flag of the tenant's space
// on or off. Only a tenant owner may. Returns EFORBIDDEN.
func (s *Service) SetShared(ctx context.Context, shared bool) (*Space, error) {
	if u := app.UserFromContext(ctx); u == nil || u.Role != app.UserRoleOwner {
		return nil, app.Errorf(app.EFORBIDDEN, "Only an owner of the account can change who sees the knowledge space.")
	}
	sp, err := s.Space(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.stores.Spaces.UpdateSpace(ctx, sp.ID, sp.Name, shared); err != nil {
		return nil, err
	}
	sp.SharedWithAgency = shared
	return sp, nil
}

// SpacesAcross lists every tenant with its space (Nexus).
func (s *Service) SpacesAcross(ctx context.Context) ([]*SpaceSummary, error) {
	return s.stores.Spaces.FindSpacesAcross(app.NewContextAcrossTenants(ctx))
}

// AdminSpace opens a space for a Nexus admin: the space and ctx scoped to
// its tenant. A client's space the client has not shared is EFORBIDDEN
// (saying so); an unknown one ENOTFOUND.
func (s *Service) AdminSpace(ctx context.Context, spaceID int64) (context.Context, *Space, error) {
	sp, err := s.stores.Spaces.FindSpaceAcross(app.NewContextAcrossTenants(ctx), spaceID)
	if err != nil {
		return nil, nil, err
	}
	if !sp.Internal() && !sp.SharedWithAgency {
		return nil, nil, app.Errorf(app.EFORBIDDEN, "This client has not shared its knowledge space with the agency. The client's owner can share it in the portal (Knowledge > Settings).")
	}
	t, err := s.Tenant(ctx, sp.TenantID)
	if err != nil {
		return nil, nil, err
	}
	return app.NewContextWithTenant(ctx, t), sp, nil
}

// AdminOpenTenant returns the space of tenant tenantID for a Nexus admin,
// creating it (shared) when the tenant has none, and ctx scoped to it.
func (s *Service) AdminOpenTenant(ctx context.Context, tenantID int64) (context.Context, *Space, error) {
	if app.AdminFromContext(ctx) == nil {
		if k := app.APIKeyFromContext(ctx); k == nil || !k.Admin() {
			return nil, nil, app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
		}
	}
	t, err := s.Tenant(ctx, tenantID)
	if err != nil {
		return nil, nil, err
	}
	tctx := app.NewContextWithTenant(ctx, t)
	sp, err := s.Space(tctx)
	if err != nil {
		return nil, nil, err
	}
	if !sp.Internal() && !sp.SharedWithAgency {
		return nil, nil, app.Errorf(app.EFORBIDDEN, "This client has not shared its knowledge space with the agency.")
	}
	return tctx, sp, nil
}

// Tree returns a space's pages depth first, each with its Depth.
func (s *Service) Tree(ctx context.Context, spaceID int64) ([]*Page, error) {
	pages, err := s.stores.Pages.FindPages(ctx, spaceID)
	if err != nil {
		return nil, err
	}
	return treeOrder(pages), nil
}

// treeOrder orders pages (sorted by parent and position) depth first.
// A page whose parent is missing is shown at the top level.
func treeOrder(pages []*Page) []*Page {
	byID := map[int64]*Page{}
	children := map[int64][]*Page{}
	for _, p := range pages {
		byID[p.ID] = p
	}
	for _, p := range pages {
		parent := p.ParentID
		if byID[parent] == nil {
			parent = 0
		}
		children[parent] = append(children[parent], p)
	}
	out := make([]*Page, 0, len(pages))
	seen := map[int64]bool{}
	var walk func(id int64, depth int)
	walk = func(id int64, depth int) {
		for _, c := range children[id] {
			if seen[c.ID] {
				continue
			}
			seen[c.ID] = true
			c.Depth = depth
			out = append(out, c)
			walk(c.ID, depth+1)
		}
	}
	walk(0, 0)
	return out
}

// CreatePage adds a page to the space under parentID (0: top level).
// Returns EINVALID naming the field.
func (s *Service) CreatePage(ctx context.Context, spaceID, parentID int64, title, body string) (*Page, error) {
	p := &Page{SpaceID: spaceID, ParentID: parentID, Title: title, Body: body}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if parentID != 0 {
		parent, err := s.stores.Pages.FindPage(ctx, parentID)
		if err != nil || parent.SpaceID != spaceID {
			return nil, app.FieldErrorf("parent_id", "Unknown parent page.")
		}
		if d, err := s.depth(ctx, parentID); err != nil {
			return nil, err
		} else if d+1 >= MaxDepth {
			return nil, app.FieldErrorf("parent_id", "Pages nest at most %d levels deep.", MaxDepth)
		}
	}
	p.Slug = Slug(p.Title)
	actor := app.ActorFromContext(ctx)
	p.CreatedBy, p.UpdatedBy = actor, actor
	if err := s.stores.Pages.CreatePage(ctx, p, Links(p.Body), ChunkPage(p.Body)); err != nil {
		return nil, err
	}
	return p, nil
}

// depth returns how deep page id is (0: top level).
func (s *Service) depth(ctx context.Context, id int64) (int, error) {
	d := 0
	for id != 0 && d <= MaxDepth+1 {
		p, err := s.stores.Pages.FindPage(ctx, id)
		if err != nil {
			return 0, err
		}
		id = p.ParentID
		if id != 0 {
			d++
		}
	}
	return d, nil
}

// Page returns a page with its body. Returns ENOTFOUND.
func (s *Service) Page(ctx context.Context, id int64) (*Page, error) {
	return s.stores.Pages.FindPage(ctx, id)
}

// PageBySlug returns the page of the space with slug. Returns ENOTFOUND.
func (s *Service) PageBySlug(ctx context.Context, spaceID int64, slug string) (*Page, error) {
	return s.stores.Pages.FindPageBySlug(ctx, spaceID, slug)
}

// SavePage stores a new revision of a page. A save whose BaseRevision is
// not the page's current revision writes nothing and returns a
// *ConflictError (code ECONFLICT) with both versions. A save that changes
// nothing returns the page unchanged, without a revision.
func (s *Service) SavePage(ctx context.Context, id int64, upd PageUpdate) (*Page, error) {
	cur, err := s.stores.Pages.FindPage(ctx, id)
	if err != nil {
		return nil, err
	}
	p := &Page{Title: upd.Title, Body: upd.Body}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	upd.Title, upd.Body = p.Title, p.Body
	if upd.BaseRevision != cur.Revision {
		return nil, s.conflict(cur, upd)
	}
	if cur.Title == upd.Title && cur.Body == upd.Body && upd.Note == "" {
		return cur, nil
	}
	slug := cur.Slug
	if cur.Title != upd.Title {
		slug = Slug(upd.Title)
	}
	saved, err := s.stores.Pages.UpdatePage(ctx, id, upd, slug, Links(upd.Body), ChunkPage(upd.Body))
	if app.ErrorCode(err) == app.ECONFLICT { // another save won the race since FindPage
		if now, ferr := s.stores.Pages.FindPage(ctx, id); ferr == nil {
			return nil, s.conflict(now, upd)
		}
	}
	return saved, err
}

func (s *Service) conflict(cur *Page, mine PageUpdate) error {
	by := cur.UpdatedBy
	if by == "" {
		by = "someone else"
	}
	return &ConflictError{
		Err: app.Errorf(app.ECONFLICT, "This page was changed by %s (revision %d, %s) after you started editing revision %d. Nothing was overwritten: compare both versions below, merge your changes into the current text and save again.",
			DisplayActor(by), cur.Revision, cur.UpdatedAt.UTC().Format("2006-01-02 15:04 UTC"), mine.BaseRevision),
		Current: cur, Mine: mine,
	}
}

// DisplayActor turns an actor ("user:ann@x.test", "admin:bo@y.test",
// "apikey:ogk_12ab") into what a page shows.
func DisplayActor(a string) string {
	kind, who, ok := strings.Cut(a, ":")
	if !ok {
		return a
	}
	switch kind {
	case "user", "admin":
		return who
	case "apikey":
		return "API key " + who
	}
	return a
}

// MovePage moves a page under parentID (0: top level) at position among
// its new siblings. A page cannot move under itself or its descendants.
// Returns EINVALID or ENOTFOUND.
func (s *Service) MovePage(ctx context.Context, id, parentID int64, position int) error {
	p, err := s.stores.Pages.FindPage(ctx, id)
	if err != nil {
		return err
	}
	if parentID != 0 {
		parent, err := s.stores.Pages.FindPage(ctx, parentID)
		if err != nil || parent.SpaceID != p.SpaceID {
			return app.FieldErrorf("parent_id", "Unknown parent page.")
		}
		// Walk up from the new parent: meeting the page is a cycle.
		for cur, n := parent, 0; cur != nil && n <= MaxDepth+1; n++ {
			if cur.ID == id {
				return app.FieldErrorf("parent_id", "A page cannot move under itself or one of its own sub-pages.")
			}
			if cur.ParentID == 0 {
				break
			}
			if cur, err = s.stores.Pages.FindPage(ctx, cur.ParentID); err != nil {
				return err
			}
		}
		pd, err := s.depth(ctx, parentID)
		if err != nil {
			return err
		}
		if pd+1+s.subtreeHeight(ctx, p) > MaxDepth-1 {
			return app.FieldErrorf("parent_id", "Pages nest at most %d levels deep.", MaxDepth)
		}
	}
	if position < 0 {
		position = 0
	}
	return s.stores.Pages.MovePage(ctx, id, parentID, position)
}

// subtreeHeight is how many levels hang below p.
func (s *Service) subtreeHeight(ctx context.Context, p *Page) int {
	pages, err := s.stores.Pages.FindPages(ctx, p.SpaceID)
	if err != nil {
		return 0
	}
	children := map[int64][]int64{}
	for _, q := range pages {
		children[q.ParentID] = append(children[q.ParentID], q.ID)
	}
	var h func(id int64, d int) int
	h = func(id int64, d int) int {
		best := 0
		if d > MaxDepth {
			return 0
		}
		for _, c := range children[id] {
			best = max(best, 1+h(c, d+1))
		}
		return best
	}
	return h(p.ID, 0)
}

// DeletePage deletes a page (its revisions, attachments and share links
// with it); its sub-pages move up to its parent.
func (s *Service) DeletePage(ctx context.Context, id int64) error {
	return s.stores.Pages.DeletePage(ctx, id)
}

// Revisions lists a page's revisions, newest first.
func (s *Service) Revisions(ctx context.Context, pageID int64) ([]*Revision, error) {
	return s.stores.Revisions.FindRevisions(ctx, pageID)
}

// Revision returns one revision with its body. Returns ENOTFOUND.
func (s *Service) Revision(ctx context.Context, pageID int64, n int) (*Revision, error) {
	return s.stores.Revisions.FindRevision(ctx, pageID, n)
}

// Diff compares revision from with revision to of a page.
func (s *Service) Diff(ctx context.Context, pageID int64, from, to int) (*DiffResult, error) {
	a, err := s.stores.Revisions.FindRevision(ctx, pageID, from)
	if err != nil {
		return nil, err
	}
	b, err := s.stores.Revisions.FindRevision(ctx, pageID, to)
	if err != nil {
		return nil, err
	}
	d := &DiffResult{From: a, To: b, TitleChanged: a.Title != b.Title}
	d.Lines, d.Added, d.Removed = DiffLines(a.Body, b.Body)
	return d, nil
}

// Restore makes revision n the page's content again, as a new revision
// (history is never rewritten). baseRevision is the revision the user saw,
// as for a save.
func (s *Service) Restore(ctx context.Context, pageID int64, n, baseRevision int) (*Page, error) {
	r, err := s.stores.Revisions.FindRevision(ctx, pageID, n)
	if err != nil {
		return nil, err
	}
	return s.SavePage(ctx, pageID, PageUpdate{Title: r.Title, Body: r.Body, BaseRevision: baseRevision, Note: fmt.Sprintf("Restored revision %d", n)})
}

// Backlinks lists the pages linking to p with [[...]].
func (s *Service) Backlinks(ctx context.Context, p *Page) ([]*Page, error) {
	out, err := s.stores.Pages.FindBacklinks(ctx, p.SpaceID, p.Slug)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(out, func(q *Page) bool { return q.ID == p.ID }), nil
}

// PageURLs says where a rendered page's links point.
type PageURLs struct {
	// Page is the URL of an existing page; New the URL that creates a
	// missing one ("" renders missing links as text).
	Page       func(slug string) string
	New        func(title string) string
	Attachment func(id int64) string
}

// Render returns the sanitised HTML of p's body: [[links]] to existing
// pages of its space, to New for missing ones, attachment:ID references
// to urls.Attachment.
func (s *Service) Render(ctx context.Context, p *Page, urls PageURLs) (string, error) {
	exists, err := s.stores.Pages.ExistingSlugs(ctx, p.SpaceID, Links(p.Body))
	if err != nil {
		return "", err
	}
	return Render(p.Body, Resolver{
		Page: func(slug, title string) (string, bool) {
			if exists[slug] {
				return urls.Page(slug), true
			}
			if urls.New == nil {
				return "", false
			}
			return urls.New(title), false
		},
		Attachment: urls.Attachment,
	}), nil
}

// Attach checks and stores a file on a page and indexes its text.
// Returns EINVALID or ETOOLARGE (field "file") with the reason.
func (s *Service) Attach(ctx context.Context, pageID int64, name string, data []byte) (*Attachment, error) {
	p, err := s.stores.Pages.FindPage(ctx, pageID)
	if err != nil {
		return nil, err
	}
	a, err := NewAttachment(ctx, name, data, s.maxAttachment(), s.PDF)
	if err != nil {
		return nil, err
	}
	a.PageID, a.SpaceID, a.CreatedBy = p.ID, p.SpaceID, app.ActorFromContext(ctx)
	if err := s.stores.Attachments.CreateAttachment(ctx, a, data, ChunkText(a.Text)); err != nil {
		return nil, err
	}
	return a, nil
}

// MaxAttachmentBytes is the attachment cap in force.
func (s *Service) MaxAttachmentBytes() int64 { return s.maxAttachment() }

// Attachments lists a page's files.
func (s *Service) Attachments(ctx context.Context, pageID int64) ([]*Attachment, error) {
	return s.stores.Attachments.FindAttachments(ctx, pageID)
}

// Attachment returns a file's description and content. Returns ENOTFOUND.
func (s *Service) Attachment(ctx context.Context, id int64) (*Attachment, []byte, error) {
	a, err := s.stores.Attachments.FindAttachment(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	data, err := s.stores.Attachments.AttachmentData(ctx, id)
	return a, data, err
}

// DeleteAttachment deletes a file and its indexed text.
func (s *Service) DeleteAttachment(ctx context.Context, id int64) error {
	return s.stores.Attachments.DeleteAttachment(ctx, id)
}

// Share creates a public read-only link to a page.
func (s *Service) Share(ctx context.Context, pageID int64) (*Share, error) {
	if _, err := s.stores.Pages.FindPage(ctx, pageID); err != nil {
		return nil, err
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, err
	}
	sh := &Share{PageID: pageID, Token: base64.RawURLEncoding.EncodeToString(b[:]), CreatedBy: app.ActorFromContext(ctx)}
	if err := s.stores.Shares.CreateShare(ctx, sh); err != nil {
		return nil, err
	}
	return sh, nil
}

// Shares lists a page's share links, live and revoked.
func (s *Service) Shares(ctx context.Context, pageID int64) ([]*Share, error) {
	return s.stores.Shares.FindShares(ctx, pageID)
}

// RevokeShare turns a share link off for good.
func (s *Service) RevokeShare(ctx context.Context, id int64) error {
	return s.stores.Shares.RevokeShare(ctx, id)
}

// SharedPage returns a live share's page and a ctx scoped to its tenant,
// for the public page. Returns ENOTFOUND for an unknown or revoked link.
func (s *Service) SharedPage(ctx context.Context, token string) (context.Context, *Share, *Page, error) {
	if len(token) < 16 || len(token) > 64 {
		return nil, nil, nil, app.Errorf(app.ENOTFOUND, "This link does not exist or was revoked.")
	}
	sh, p, err := s.stores.Shares.FindShareByToken(ctx, token)
	if err != nil {
		return nil, nil, nil, err
	}
	t, err := s.Tenant(ctx, sh.TenantID)
	if err != nil {
		return nil, nil, nil, err
	}
	if !t.Active() {
		return nil, nil, nil, app.Errorf(app.ENOTFOUND, "This link does not exist or was revoked.")
	}
	return app.NewContextWithTenant(ctx, t), sh, p, nil
}

// RenderShared renders a shared page for the public: [[links]] to other
// shared pages of the space go to their share links, others are text;
// its own images and files go to fileURL.
func (s *Service) RenderShared(ctx context.Context, p *Page, shareURL func(token string) string, fileURL func(id int64) string) (string, error) {
	links, err := s.stores.Shares.SharedPages(ctx, p.SpaceID)
	if err != nil {
		return "", err
	}
	shared := map[string]string{}
	for _, l := range links {
		shared[l.Slug] = l.Token
	}
	return Render(p.Body, Resolver{
		Page: func(slug, _ string) (string, bool) {
			if tok, ok := shared[slug]; ok {
				return shareURL(tok), true
			}
			return "", false
		},
		Attachment: fileURL,
	}), nil
}

// SharedPages lists the space's pages with a live share link (a help
// center's contents).
func (s *Service) SharedPages(ctx context.Context, spaceID int64) ([]SharedLink, error) {
	return s.stores.Shares.SharedPages(ctx, spaceID)
}

// SearchPages searches a space's pages and files: best first, one hit per
// page (or file) with a highlighted snippet.
func (s *Service) SearchPages(ctx context.Context, spaceID int64, q string, limit int) ([]*SearchHit, error) {
	limit = min(max(limit, 1), MaxSearchLimit)
	query := Query(q)
	if query == "" {
		return nil, nil
	}
	hits, err := s.stores.Search.SearchChunks(ctx, []int64{spaceID}, query, limit, true)
	if err != nil {
		return nil, err
	}
	out := make([]*SearchHit, 0, len(hits))
	for _, h := range hits {
		out = append(out, &SearchHit{PageID: h.PageID, Title: h.PageTitle, Slug: h.PageSlug, AttachmentID: h.AttachmentID, AttachName: h.AttachName,
			Snippet: SnippetHTML(h.Snippet), Score: h.Score})
	}
	return out, nil
}

// SnippetHTML escapes a snippet and marks its matches with <mark>.
func SnippetHTML(s string) string {
	s = html.EscapeString(s)
	return strings.NewReplacer(SnippetStart, "<mark>", SnippetEnd, "</mark>").Replace(s)
}

// Search is the retrieval interface for agents (see the package doc):
// the best chunks of the given spaces of ctx's tenant for query, best
// first. Spaces of another tenant are left out.
func (s *Service) Search(ctx context.Context, spaceIDs []int64, query string, limit int) ([]KnowledgeChunk, error) {
	if _, err := app.TenantIDFromContext(ctx); err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), MaxSearchLimit)
	q := Query(query)
	if q == "" {
		return nil, nil
	}
	hits, err := s.stores.Search.SearchChunks(ctx, spaceIDs, q, limit, false)
	if err != nil {
		return nil, err
	}
	out := make([]KnowledgeChunk, 0, len(hits))
	for _, h := range hits {
		src := h.PageTitle
		if h.AttachName != "" {
			src += " › " + h.AttachName
		}
		out = append(out, KnowledgeChunk{SpaceID: h.SpaceID, PageID: h.PageID, PageTitle: h.PageTitle, PageSlug: h.PageSlug, Revision: h.Revision,
			AttachmentID: h.AttachmentID, Source: src, Heading: h.Heading, Text: h.Text, Score: h.Score})
	}
	return out, nil
}
