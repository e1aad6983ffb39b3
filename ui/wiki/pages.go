package wiki

import (
	"errors"
	"fmt"
	"html/template"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/wiki"
	"orengen/ui/web"
)

// Mount registers the space's pages under base: /knowledge in the
// portal, /wiki/:space in Nexus (whose /wiki lists the spaces).
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if s.Wiki == nil {
		return
	}
	base := "/knowledge"
	if sc.Nexus() {
		r.Get("/wiki", s.handleSpaces)
		r.Post("/wiki/tenants/:id/open", csrf, s.handleOpenTenant)
		base = "/wiki/:space"
	}
	g := r.Group(base)
	g.Get("/", s.handleHome(sc))
	g.Get("/search", s.handleSearch(sc))
	g.Get("/new", s.handleNew(sc))
	g.Post("/pages", csrf, s.handleCreate(sc))
	g.Post("/preview", csrf, s.handlePreview(sc))
	g.Get("/p/:slug", s.handleView(sc))
	g.Get("/pages/:id/edit", s.handleEdit(sc))
	g.Post("/pages/:id", csrf, s.handleSave(sc))
	g.Get("/pages/:id/history", s.handleHistory(sc))
	g.Get("/pages/:id/diff", s.handleDiff(sc))
	g.Get("/pages/:id/revisions/:n", s.handleRevision(sc))
	g.Post("/pages/:id/restore", csrf, s.handleRestore(sc))
	g.Post("/pages/:id/move", csrf, s.handleMove(sc))
	g.Post("/pages/:id/delete", csrf, s.handleDelete(sc))
	g.Post("/pages/:id/files", csrf, s.handleAttach(sc))
	g.Post("/pages/:id/files/upload", csrf, s.handleAttachUploadCreate(sc))
	g.Post("/pages/:id/files/upload/:upload", csrf, s.handleUploadChunk(sc))
	g.Post("/pages/:id/files/upload/:upload/finish", csrf, s.handleAttachUploadFinish(sc))
	g.Get("/files/:id", s.handleFile(sc))
	g.Post("/files/:id/delete", csrf, s.handleFileDelete(sc))
	g.Post("/pages/:id/share", csrf, s.handleShare(sc))
	g.Post("/shares/:id/revoke", csrf, s.handleRevoke(sc))
	g.Get("/export.zip", s.handleExport(sc))
	g.Post("/import", csrf, s.handleImport(sc))
	g.Post("/import/upload", csrf, s.handleImportUploadCreate(sc))
	g.Post("/import/upload/:upload", csrf, s.handleUploadChunk(sc))
	g.Post("/import/upload/:upload/finish", csrf, s.handleImportUploadFinish(sc))
	if !sc.Nexus() {
		g.Post("/settings", csrf, s.handleSettings)
	}
}

// treeNode is a page of the tree as shown: top-level pages, and the
// children of the page shown and of its ancestors.
type treeNode struct {
	*wiki.Page
	Current     bool
	Open        bool // its children are shown
	HasChildren bool
	URL         string
}

// visibleTree returns the nodes of tree (depth-first, with depths) that
// are shown with page current open (0: none).
func visibleTree(sp *spaceCtx, tree []*wiki.Page, current int64) []treeNode {
	byID := map[int64]*wiki.Page{}
	kids := map[int64]int{}
	for _, p := range tree {
		byID[p.ID] = p
		kids[p.ParentID]++
	}
	open := map[int64]bool{0: true}
	for id := current; id != 0 && byID[id] != nil && !open[id]; id = byID[id].ParentID {
		open[id] = true
	}
	var out []treeNode
	for _, p := range tree {
		if !open[p.ParentID] {
			continue
		}
		out = append(out, treeNode{Page: p, Current: p.ID == current, Open: open[p.ID] && kids[p.ID] > 0, HasChildren: kids[p.ID] > 0, URL: sp.PageURL(p.Slug)})
	}
	return out
}

// spaceLayout is what every wiki page shows around its content.
type spaceLayout struct {
	web.Layout
	Base      string
	Nexus     bool
	SpaceName string
	Space     *wiki.Space
	Tree      []treeNode
	Q         string
}

func (s *Handler) spaceLayout(c *fiber.Ctx, sp *spaceCtx, title string, current int64) (spaceLayout, error) {
	tree, err := s.Wiki.Tree(sp.ctx, sp.space.ID)
	if err != nil {
		return spaceLayout{}, err
	}
	l := spaceLayout{Layout: s.Layout(c, sp.sc.Host, title), Base: sp.base, Nexus: sp.sc.Nexus(), SpaceName: sp.name, Space: sp.space, Tree: visibleTree(sp, tree, current)}
	return l, nil
}

type homePage struct {
	spaceLayout
	Recent    []*wiki.Page
	Pages     int
	Templates []wiki.Template
	Shared    []wiki.SharedLink
	ShareBase string
	CanOwn    bool // a tenant owner: the sharing setting
	MaxZip    string
	ImportErr string
	Report    *wiki.ImportReport
}

func (s *Handler) handleHome(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		return s.renderHome(c, sp, &homePage{})
	})
}

func (s *Handler) renderHome(c *fiber.Ctx, sp *spaceCtx, p *homePage) error {
	var err error
	if p.spaceLayout, err = s.spaceLayout(c, sp, sp.name, 0); err != nil {
		return err
	}
	tree, err := s.Wiki.Tree(sp.ctx, sp.space.ID)
	if err != nil {
		return err
	}
	p.Pages = len(tree)
	p.Recent = slices.Clone(tree)
	slices.SortFunc(p.Recent, func(a, b *wiki.Page) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	p.Recent = p.Recent[:min(len(p.Recent), 10)]
	p.Templates = wiki.Templates
	if p.Shared, err = s.Wiki.SharedPages(sp.ctx, sp.space.ID); err != nil {
		return err
	}
	p.ShareBase = s.shareBase(c, sp)
	p.CanOwn = !sp.sc.Nexus() && web.User(c) != nil && web.User(c).Role == app.UserRoleOwner
	p.MaxZip = app.FormatBytes(MaxZip)
	return s.Render(c, sp.sc.Page("wiki_home"), p)
}

// shareBase is the public origin of share links: the tenant's own domain
// when it has one and the request came on it, else the portal host.
func (s *Handler) shareBase(c *fiber.Ctx, sp *spaceCtx) string {
	if !sp.sc.Nexus() && web.DomainTenant(c) != nil {
		return s.TenantURL(web.BareHost(c.Hostname())) + "/share/"
	}
	return s.URL(web.HostPortal) + "/share/"
}

type searchPage struct {
	spaceLayout
	Hits []searchHit
}

type searchHit struct {
	*wiki.SearchHit
	URL     string
	Snippet template.HTML
}

func (s *Handler) handleSearch(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		var err error
		p := &searchPage{}
		if p.spaceLayout, err = s.spaceLayout(c, sp, "Search", 0); err != nil {
			return err
		}
		p.Q = strings.TrimSpace(utils.CopyString(c.Query("q")))
		hits, err := s.Wiki.SearchPages(sp.ctx, sp.space.ID, p.Q, 30)
		if err != nil {
			return err
		}
		for _, h := range hits {
			u := sp.PageURL(h.Slug)
			if h.AttachmentID != 0 {
				u = fmt.Sprintf("%s/files/%d", sp.base, h.AttachmentID)
			}
			// SnippetHTML escapes the text and adds only <mark>.
			p.Hits = append(p.Hits, searchHit{SearchHit: h, URL: u, Snippet: template.HTML(h.Snippet)})
		}
		return s.Render(c, sp.sc.Page("wiki_search"), p)
	})
}

type viewPage struct {
	spaceLayout
	Page        *wiki.Page
	HTML        template.HTML
	Crumbs      []*wiki.Page
	Backlinks   []*wiki.Page
	Attachments []*wiki.Attachment
	Shares      []*wiki.Share
	ShareBase   string
	MaxUpload   string
	Move        moveForm
}

// moveForm is the page's Move form: a parent and a position.
type moveForm struct {
	Choices  []parentChoice // parents offered (nil: an address field instead)
	ParentID int64
	Position int
}

// parentChoice is a page offered as a parent, indented by its depth.
type parentChoice struct {
	ID    int64
	Label string
}

func choice(p *wiki.Page) parentChoice {
	return parentChoice{ID: p.ID, Label: strings.Repeat("— ", p.Depth) + p.Title}
}

// maxParentChoices is how many pages the Move form lists; a bigger space
// takes the parent's address instead.
const maxParentChoices = 1000

func (s *Handler) handleView(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		pg, err := s.Wiki.PageBySlug(sp.ctx, sp.space.ID, utils.CopyString(c.Params("slug")))
		if err != nil {
			return err
		}
		return s.renderView(c, sp, pg)
	})
}

func (s *Handler) renderView(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
	p := &viewPage{Page: pg, ShareBase: s.shareBase(c, sp), MaxUpload: app.FormatBytes(s.Wiki.MaxAttachmentBytes())}
	var err error
	if p.spaceLayout, err = s.spaceLayout(c, sp, pg.Title, pg.ID); err != nil {
		return err
	}
	html, err := s.Wiki.Render(sp.ctx, pg, sp.urls())
	if err != nil {
		return err
	}
	p.HTML = template.HTML(html) // sanitised by wiki.Render
	if p.Backlinks, err = s.Wiki.Backlinks(sp.ctx, pg); err != nil {
		return err
	}
	if p.Attachments, err = s.Wiki.Attachments(sp.ctx, pg.ID); err != nil {
		return err
	}
	if p.Shares, err = s.Wiki.Shares(sp.ctx, pg.ID); err != nil {
		return err
	}
	tree, err := s.Wiki.Tree(sp.ctx, sp.space.ID)
	if err != nil {
		return err
	}
	byID := map[int64]*wiki.Page{}
	for _, q := range tree {
		byID[q.ID] = q
	}
	for id := pg.ParentID; id != 0 && byID[id] != nil && len(p.Crumbs) <= wiki.MaxDepth; id = byID[id].ParentID {
		p.Crumbs = append([]*wiki.Page{byID[id]}, p.Crumbs...)
	}
	p.Move = moveForm{ParentID: pg.ParentID, Position: pg.Position}
	if len(tree) <= maxParentChoices {
		for _, q := range tree {
			if !isDescendant(byID, q, pg.ID) {
				p.Move.Choices = append(p.Move.Choices, choice(q))
			}
		}
	}
	return s.Render(c, sp.sc.Page("wiki_page"), p)
}

// isDescendant reports whether q is page id or under it.
func isDescendant(byID map[int64]*wiki.Page, q *wiki.Page, id int64) bool {
	for n := 0; q != nil && n <= wiki.MaxDepth+1; n++ {
		if q.ID == id {
			return true
		}
		q = byID[q.ParentID]
	}
	return false
}

type editPage struct {
	spaceLayout
	Page         *wiki.Page // nil: a new page
	Title        string
	Body         string
	BaseRevision int
	ParentID     int64
	Parents      []parentChoice
	Templates    []wiki.Template
	Template     string
	Preview      template.HTML
	Attachments  []*wiki.Attachment
	Errors       map[string]string
	Conflict     *conflictView
	MaxUpload    string
}

// conflictView shows a stale save: the page as it is now and how the
// text the user sent differs from it.
type conflictView struct {
	Message string
	Current *wiki.Page
	HTML    template.HTML
	Lines   []wiki.DiffLine
	Added   int
	Removed int
}

// Action returns where the editor posts.
func (p *editPage) Action() string {
	if p.Page == nil {
		return p.Base + "/pages"
	}
	return fmt.Sprintf("%s/pages/%d", p.Base, p.Page.ID)
}

func (s *Handler) renderEdit(c *fiber.Ctx, sp *spaceCtx, p *editPage) error {
	title := "New page"
	var current int64
	if p.Page != nil {
		title, current = "Edit: "+p.Page.Title, p.Page.ID
	}
	var err error
	if p.spaceLayout, err = s.spaceLayout(c, sp, title, current); err != nil {
		return err
	}
	p.Templates = wiki.Templates
	p.MaxUpload = app.FormatBytes(s.Wiki.MaxAttachmentBytes())
	if p.Page == nil {
		tree, err := s.Wiki.Tree(sp.ctx, sp.space.ID)
		if err != nil {
			return err
		}
		if len(tree) <= maxParentChoices {
			for _, q := range tree {
				p.Parents = append(p.Parents, choice(q))
			}
		}
	} else if p.Attachments, err = s.Wiki.Attachments(sp.ctx, p.Page.ID); err != nil {
		return err
	}
	return s.Render(c, sp.sc.Page("wiki_edit"), p)
}

func (s *Handler) handleNew(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		p := &editPage{Title: utils.CopyString(c.Query("title")), Template: utils.CopyString(c.Query("template"))}
		p.ParentID, _ = strconv.ParseInt(c.Query("parent"), 10, 64)
		if t, ok := wiki.TemplateByKey(p.Template, time.Now()); ok {
			if p.Title == "" {
				p.Title = t.Title
			}
			p.Body = t.Body
		}
		return s.renderEdit(c, sp, p)
	})
}

func (s *Handler) handleEdit(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		return s.renderEdit(c, sp, &editPage{Page: pg, Title: pg.Title, Body: pg.Body, BaseRevision: pg.Revision})
	})
}

// page reads the :id page of the space.
func (s *Handler) page(c *fiber.Ctx, sp *spaceCtx) (*wiki.Page, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, err
	}
	pg, err := s.Wiki.Page(sp.ctx, id)
	if err != nil {
		return nil, err
	}
	if pg.SpaceID != sp.space.ID {
		return nil, app.Errorf(app.ENOTFOUND, "Page not found.")
	}
	return pg, nil
}

// editorPreview renders the editor's text for its Preview button.
func (s *Handler) editorPreview(sp *spaceCtx, p *editPage) error {
	html, err := s.Wiki.Render(sp.ctx, &wiki.Page{SpaceID: sp.space.ID, Body: wiki.NormalizeBody(p.Body)}, sp.urls())
	p.Preview = template.HTML(html) // sanitised by wiki.Render
	return err
}

func (s *Handler) handleCreate(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		p := &editPage{Title: utils.CopyString(c.FormValue("title")), Body: utils.CopyString(c.FormValue("body"))}
		p.ParentID, _ = strconv.ParseInt(c.FormValue("parent_id"), 10, 64)
		if c.FormValue("action") == "preview" {
			if err := s.editorPreview(sp, p); err != nil {
				return err
			}
			return s.renderEdit(c, sp, p)
		}
		pg, err := s.Wiki.CreatePage(sp.ctx, sp.space.ID, p.ParentID, p.Title, p.Body)
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			p.Errors = map[string]string{web.FieldOr(err, "title"): app.ErrorMessage(err)}
			return s.renderEdit(c, sp, p)
		}
		s.SetFlash(c, "ok", "Page created.")
		return c.Redirect(sp.PageURL(pg.Slug), fiber.StatusSeeOther)
	})
}

func (s *Handler) handleSave(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		p := &editPage{Page: pg, Title: utils.CopyString(c.FormValue("title")), Body: utils.CopyString(c.FormValue("body"))}
		p.BaseRevision, _ = strconv.Atoi(c.FormValue("base_revision"))
		if c.FormValue("action") == "preview" {
			if err := s.editorPreview(sp, p); err != nil {
				return err
			}
			return s.renderEdit(c, sp, p)
		}
		saved, err := s.Wiki.SavePage(sp.ctx, pg.ID, wiki.PageUpdate{Title: p.Title, Body: p.Body, BaseRevision: p.BaseRevision})
		var ce *wiki.ConflictError
		switch {
		case errors.As(err, &ce):
			// Nothing was written: show both versions; the editor keeps
			// the user's text and now starts from the current revision.
			cv := &conflictView{Message: app.ErrorMessage(err), Current: ce.Current}
			html, rerr := s.Wiki.Render(sp.ctx, ce.Current, sp.urls())
			if rerr != nil {
				return rerr
			}
			cv.HTML = template.HTML(html) // sanitised by wiki.Render
			cv.Lines, cv.Added, cv.Removed = wiki.DiffLines(ce.Current.Body, ce.Mine.Body)
			p.Conflict, p.Page, p.BaseRevision = cv, ce.Current, ce.Current.Revision
			c.Status(fiber.StatusConflict)
			return s.renderEdit(c, sp, p)
		case app.ErrorCode(err) == app.EINVALID:
			c.Status(fiber.StatusBadRequest)
			p.Errors = map[string]string{web.FieldOr(err, "title"): app.ErrorMessage(err)}
			return s.renderEdit(c, sp, p)
		case err != nil:
			return err
		}
		if saved.Revision == pg.Revision {
			s.SetFlash(c, "ok", "No changes to save.")
		} else {
			s.SetFlash(c, "ok", fmt.Sprintf("Saved as revision %d.", saved.Revision))
		}
		return c.Redirect(sp.PageURL(saved.Slug), fiber.StatusSeeOther)
	})
}

// handlePreview renders the editor's text for the live preview (wiki.js):
// the same renderer and sanitiser as a saved page, as an HTML fragment.
func (s *Handler) handlePreview(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		body := wiki.NormalizeBody(utils.CopyString(c.FormValue("body")))
		if len(body) > wiki.MaxBody {
			return app.FieldErrorf("body", "The page is too long to preview.")
		}
		html, err := s.Wiki.Render(sp.ctx, &wiki.Page{SpaceID: sp.space.ID, Body: body}, sp.urls())
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.SendString(html)
	})
}

type historyPage struct {
	spaceLayout
	Page      *wiki.Page
	Revisions []*wiki.Revision
}

func (s *Handler) handleHistory(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		var err error
		p := &historyPage{Page: pg}
		if p.spaceLayout, err = s.spaceLayout(c, sp, "History: "+pg.Title, pg.ID); err != nil {
			return err
		}
		if p.Revisions, err = s.Wiki.Revisions(sp.ctx, pg.ID); err != nil {
			return err
		}
		return s.Render(c, sp.sc.Page("wiki_history"), p)
	})
}

type diffPage struct {
	spaceLayout
	Page *wiki.Page
	Diff *wiki.DiffResult
}

func (s *Handler) handleDiff(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		var err error
		from, _ := strconv.Atoi(c.Query("from"))
		to, _ := strconv.Atoi(c.Query("to", strconv.Itoa(pg.Revision)))
		if from == 0 {
			from = max(to-1, 1)
		}
		if from > to {
			from, to = to, from
		}
		p := &diffPage{Page: pg}
		if p.Diff, err = s.Wiki.Diff(sp.ctx, pg.ID, from, to); err != nil {
			return err
		}
		if p.spaceLayout, err = s.spaceLayout(c, sp, fmt.Sprintf("Changes %d → %d: %s", from, to, pg.Title), pg.ID); err != nil {
			return err
		}
		return s.Render(c, sp.sc.Page("wiki_diff"), p)
	})
}

type revisionPage struct {
	spaceLayout
	Page     *wiki.Page
	Revision *wiki.Revision
	HTML     template.HTML
}

func (s *Handler) handleRevision(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		n, err := strconv.Atoi(c.Params("n"))
		if err != nil {
			return app.Errorf(app.ENOTFOUND, "Revision not found.")
		}
		p := &revisionPage{Page: pg}
		if p.Revision, err = s.Wiki.Revision(sp.ctx, pg.ID, n); err != nil {
			return err
		}
		html, err := s.Wiki.Render(sp.ctx, &wiki.Page{SpaceID: pg.SpaceID, Body: p.Revision.Body}, sp.urls())
		if err != nil {
			return err
		}
		p.HTML = template.HTML(html) // sanitised by wiki.Render
		if p.spaceLayout, err = s.spaceLayout(c, sp, fmt.Sprintf("Revision %d: %s", n, pg.Title), pg.ID); err != nil {
			return err
		}
		return s.Render(c, sp.sc.Page("wiki_revision"), p)
	})
}

func (s *Handler) handleRestore(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		n, _ := strconv.Atoi(c.FormValue("n"))
		base, _ := strconv.Atoi(c.FormValue("base_revision"))
		saved, err := s.Wiki.Restore(sp.ctx, pg.ID, n, base)
		if app.ErrorCode(err) == app.ECONFLICT {
			s.SetFlash(c, "error", "The page changed while you were looking at its history; nothing was restored. Check the newest revision and restore again.")
			return c.Redirect(fmt.Sprintf("%s/pages/%d/history", sp.base, pg.ID), fiber.StatusSeeOther)
		} else if err != nil {
			return err
		}
		s.SetFlash(c, "ok", fmt.Sprintf("Revision %d restored as revision %d.", n, saved.Revision))
		return c.Redirect(sp.PageURL(saved.Slug), fiber.StatusSeeOther)
	})
}

// handleMove moves a page: a parent and a position (the Move form and
// drag and drop), or up/down among its siblings (the tree's buttons).
func (s *Handler) handleMove(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		parent, pos := pg.ParentID, pg.Position
		switch c.FormValue("direction") {
		case "up":
			pos--
		case "down":
			pos++
		default:
			if ref := strings.TrimSpace(c.FormValue("parent")); ref != "" { // a big space's parent by address or slug
				slug := ref[strings.LastIndex(ref, "/")+1:]
				if u, err := url.PathUnescape(slug); err == nil {
					slug = u
				}
				pp, err := s.Wiki.PageBySlug(sp.ctx, sp.space.ID, slug)
				if err != nil {
					s.SetFlash(c, "error", "No page of this space has the address "+ref+".")
					return c.Redirect(sp.PageURL(pg.Slug), fiber.StatusSeeOther)
				}
				parent = pp.ID
			} else {
				parent, _ = strconv.ParseInt(c.FormValue("parent_id"), 10, 64)
			}
			pos, _ = strconv.Atoi(c.FormValue("position"))
		}
		back := utils.CopyString(c.FormValue("back"))
		if !strings.HasPrefix(back, sp.base+"/") && back != sp.base {
			back = sp.PageURL(pg.Slug)
		}
		if err := s.Wiki.MovePage(sp.ctx, pg.ID, parent, pos); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			s.SetFlash(c, "error", app.ErrorMessage(err))
		} else {
			s.SetFlash(c, "ok", "Moved.")
		}
		return c.Redirect(back, fiber.StatusSeeOther)
	})
}

func (s *Handler) handleDelete(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		if err := s.Wiki.DeletePage(sp.ctx, pg.ID); err != nil {
			return err
		}
		s.SetFlash(c, "ok", "Page “"+pg.Title+"” deleted; its sub-pages moved up.")
		return c.Redirect(sp.base, fiber.StatusSeeOther)
	})
}

func (s *Handler) handleSettings(c *fiber.Ctx) error {
	shared := c.FormValue("shared") == "on"
	if _, err := s.Wiki.SetShared(c.UserContext(), shared); err != nil {
		return err
	}
	if shared {
		s.SetFlash(c, "ok", "The agency can now read and edit this knowledge space.")
	} else {
		s.SetFlash(c, "ok", "The knowledge space is private to your team now.")
	}
	return c.Redirect("/knowledge", fiber.StatusSeeOther)
}

type spacesPage struct {
	web.Layout
	Spaces []*wiki.SpaceSummary
}

// handleSpaces is Nexus > Control Room > Knowledge Wiki: the internal
// space and each client's.
func (s *Handler) handleSpaces(c *fiber.Ctx) error {
	list, err := s.Wiki.SpacesAcross(c.UserContext())
	if err != nil {
		return err
	}
	p := &spacesPage{Spaces: list, Layout: s.Layout(c, web.HostNexus, "Knowledge Wiki")}
	return s.Render(c, "nexus/wiki_spaces", p)
}

// handleOpenTenant opens (creating it when missing) a tenant's space.
func (s *Handler) handleOpenTenant(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	_, sp, err := s.Wiki.AdminOpenTenant(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.Redirect("/wiki/"+strconv.FormatInt(sp.ID, 10), fiber.StatusSeeOther)
}
