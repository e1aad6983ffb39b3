package api

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/wiki"
	"orengen/ui/web"
)

// The rest of the wiki through the API, as the pages do it: revisions
// (list, read, restore), moves in the tree, attachments (list, upload,
// download, delete), public share links (list, create, revoke) and the
// space as a zip of markdown files (export, import).

func (s *Handler) registerWikiMoreRoutes(api fiber.Router) {
	if s.Wiki == nil {
		return
	}
	api.Get("/wiki/pages/:id/revisions", s.apiWikiRevisions)
	api.Get("/wiki/pages/:id/revisions/:n", s.apiWikiRevision)
	api.Post("/wiki/pages/:id/restore", web.RequireWriteKey, s.apiWikiRestore)
	api.Post("/wiki/pages/:id/move", web.RequireWriteKey, s.apiWikiMove)
	api.Get("/wiki/pages/:id/attachments", s.apiWikiAttachments)
	api.Post("/wiki/pages/:id/attachments", web.RequireWriteKey, s.apiWikiAttach)
	api.Get("/wiki/attachments/:id", s.apiWikiAttachment)
	api.Delete("/wiki/attachments/:id", web.RequireWriteKey, s.apiWikiAttachmentDelete)
	api.Get("/wiki/pages/:id/shares", s.apiWikiShares)
	api.Post("/wiki/pages/:id/shares", web.RequireWriteKey, s.apiWikiShare)
	api.Delete("/wiki/pages/:id/shares/:share", web.RequireWriteKey, s.apiWikiRevoke)
	api.Get("/wiki/export", s.apiWikiExport)
	api.Post("/wiki/import", web.RequireWriteKey, s.apiWikiImport)
}

type apiWikiRevision struct {
	Number    int       `json:"number"`
	Title     string    `json:"title"`
	Body      *string   `json:"body,omitempty"`
	Author    string    `json:"author"`
	Note      string    `json:"note"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

func toAPIWikiRevision(r *wiki.Revision, withBody bool) apiWikiRevision {
	out := apiWikiRevision{Number: r.Number, Title: r.Title, Author: r.Author, Note: r.Note, Size: r.Size, CreatedAt: r.CreatedAt}
	if withBody {
		b := r.Body
		out.Body = &b
	}
	return out
}

// apiWikiRevisions lists a page's revisions, newest first, without bodies.
func (s *Handler) apiWikiRevisions(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	revs, err := s.Wiki.Revisions(ctx, p.ID)
	if err != nil {
		return err
	}
	out := make([]apiWikiRevision, len(revs))
	for i, r := range revs {
		out[i] = toAPIWikiRevision(r, false)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// apiWikiRevision is one revision with its body.
func (s *Handler) apiWikiRevision(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(c.Params("n"))
	if err != nil || n < 1 {
		return app.FieldErrorf("n", "The revision number must be a whole number from 1.")
	}
	r, err := s.Wiki.Revision(ctx, p.ID, n)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIWikiRevision(r, true)})
}

type wikiRestoreInput struct {
	Number   int `json:"number"`
	Revision int `json:"revision"`
}

// apiWikiRestore makes an old revision the page's text again, as a new
// revision; "revision" is the one the caller saw (409 when stale).
func (s *Handler) apiWikiRestore(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	var in wikiRestoreInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Number < 1 {
		return app.FieldErrorf("number", "number required: the revision to restore (1 to %d).", p.Revision)
	}
	if in.Revision <= 0 {
		return app.FieldErrorf("revision", "revision required: the page's revision your restore starts from (the current one is %d).", p.Revision)
	}
	saved, err := s.Wiki.Restore(ctx, p.ID, in.Number, in.Revision)
	if err != nil {
		return s.wikiConflict(c, ctx, err)
	}
	full, err := s.fullPage(ctx, saved)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": full})
}

type wikiMoveInput struct {
	ParentID *int64 `json:"parent_id"`
	Position *int   `json:"position"`
}

// apiWikiMove moves a page in the tree: under parent_id (0 or null: the
// top level), at position (0-based among its new siblings).
func (s *Handler) apiWikiMove(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	var in wikiMoveInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Position == nil || *in.Position < 0 {
		return app.FieldErrorf("position", "position required: 0 for the first place among the new siblings.")
	}
	var parent int64
	if in.ParentID != nil {
		parent = *in.ParentID
	}
	if err := s.Wiki.MovePage(ctx, p.ID, parent, *in.Position); err != nil {
		return err
	}
	moved, err := s.Wiki.Page(ctx, p.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIWikiPage(moved)})
}

type apiWikiAttachment struct {
	ID          int64     `json:"id"`
	PageID      int64     `json:"page_id"`
	Name        string    `json:"name"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	Markdown    string    `json:"markdown"`
	CreatedBy   string    `json:"created_by"`
	CreatedAt   time.Time `json:"created_at"`
}

func toAPIWikiAttachment(a *wiki.Attachment) apiWikiAttachment {
	md := fmt.Sprintf("[%s](attachment:%d)", a.Name, a.ID)
	if a.IsImage() {
		md = "!" + md
	}
	return apiWikiAttachment{ID: a.ID, PageID: a.PageID, Name: a.Name, ContentType: a.ContentType, Size: a.Size, SHA256: a.SHA256,
		Markdown: md, CreatedBy: a.CreatedBy, CreatedAt: a.CreatedAt}
}

func (s *Handler) apiWikiAttachments(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	as, err := s.Wiki.Attachments(ctx, p.ID)
	if err != nil {
		return err
	}
	out := make([]apiWikiAttachment, len(as))
	for i, a := range as {
		out[i] = toAPIWikiAttachment(a)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// formFile reads the multipart field "file" whole, refusing more than max
// bytes with the limit named.
func formFile(c *fiber.Ctx, max int64, what string) (string, []byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return "", nil, app.FieldErrorf("file", "Send the %s as multipart/form-data in the field \"file\".", what)
	}
	if fh.Size > max {
		return "", nil, app.Errorf(app.ETOOLARGE, "The file is %s; the limit is %s.", app.FormatBytes(fh.Size), app.FormatBytes(max))
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(f, max+1)); err != nil {
		return "", nil, err
	}
	return utils.CopyString(fh.Filename), buf.Bytes(), nil
}

// apiWikiAttach uploads a file to a page (multipart field "file"); the
// answer carries the markdown that shows it in the page.
func (s *Handler) apiWikiAttach(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	name, data, err := formFile(c, s.Wiki.MaxAttachmentBytes(), "file to attach")
	if err != nil {
		return err
	}
	a, err := s.Wiki.Attach(ctx, p.ID, name, data)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPIWikiAttachment(a)})
}

// wikiAttachmentOf is the attachment :id in the request's space.
func (s *Handler) wikiAttachmentOf(c *fiber.Ctx) (*wiki.Attachment, []byte, error) {
	ctx, sp, err := s.wikiScope(c)
	if err != nil {
		return nil, nil, err
	}
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	a, data, err := s.Wiki.Attachment(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if a.SpaceID != sp.ID {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Attachment not found.")
	}
	return a, data, nil
}

// apiWikiAttachment downloads a file, as an attachment (never inline).
func (s *Handler) apiWikiAttachment(c *fiber.Ctx) error {
	a, data, err := s.wikiAttachmentOf(c)
	if err != nil {
		return err
	}
	return web.SendAttachment(c, a.Name, a.ContentType, false, data, "private, no-store")
}

func (s *Handler) apiWikiAttachmentDelete(c *fiber.Ctx) error {
	a, _, err := s.wikiAttachmentOf(c)
	if err != nil {
		return err
	}
	ctx, _, err := s.wikiScope(c)
	if err != nil {
		return err
	}
	if err := s.Wiki.DeleteAttachment(ctx, a.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type apiWikiShare struct {
	ID        int64      `json:"id"`
	PageID    int64      `json:"page_id"`
	URL       string     `json:"url"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at"`
}

func (s *Handler) toAPIWikiShare(sh *wiki.Share) apiWikiShare {
	return apiWikiShare{ID: sh.ID, PageID: sh.PageID, URL: s.URL(web.HostPortal) + "/share/" + sh.Token,
		CreatedBy: sh.CreatedBy, CreatedAt: sh.CreatedAt, RevokedAt: sh.RevokedAt}
}

func (s *Handler) apiWikiShares(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	shs, err := s.Wiki.Shares(ctx, p.ID)
	if err != nil {
		return err
	}
	out := make([]apiWikiShare, len(shs))
	for i, sh := range shs {
		out[i] = s.toAPIWikiShare(sh)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

// apiWikiShare creates a public read-only link to the page.
func (s *Handler) apiWikiShare(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	sh, err := s.Wiki.Share(ctx, p.ID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": s.toAPIWikiShare(sh)})
}

// apiWikiRevoke revokes one of the page's links: it stops opening the page.
func (s *Handler) apiWikiRevoke(c *fiber.Ctx) error {
	ctx, p, err := s.apiWikiPageOf(c)
	if err != nil {
		return err
	}
	id, err := web.ParamID(c, "share")
	if err != nil {
		return err
	}
	shs, err := s.Wiki.Shares(ctx, p.ID)
	if err != nil {
		return err
	}
	for _, sh := range shs {
		if sh.ID == id {
			if err := s.Wiki.RevokeShare(ctx, id); err != nil {
				return err
			}
			return c.SendStatus(fiber.StatusNoContent)
		}
	}
	return app.Errorf(app.ENOTFOUND, "Share link not found on this page.")
}

// apiWikiExport answers the space as a zip of markdown files (folders
// follow the page tree, attachments beside their pages).
func (s *Handler) apiWikiExport(c *fiber.Ctx) error {
	ctx, sp, err := s.wikiScope(c)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := s.Wiki.Export(ctx, sp.ID, &buf); err != nil {
		return err
	}
	return web.SendZip(c, sp.Name+"-knowledge", buf.Bytes())
}

type apiWikiImportReport struct {
	Pages   int      `json:"pages"`
	Files   int      `json:"files"`
	Skipped []string `json:"skipped"`
	PageIDs []int64  `json:"page_ids"`
}

// apiWikiImport adds the pages of a zip of markdown files (Outline or
// Obsidian style folders) to the space (multipart field "file").
func (s *Handler) apiWikiImport(c *fiber.Ctx) error {
	ctx, sp, err := s.wikiScope(c)
	if err != nil {
		return err
	}
	_, data, err := formFile(c, wiki.MaxImportBytes, "zip file")
	if err != nil {
		return err
	}
	rep, err := s.Wiki.Import(ctx, sp.ID, bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	out := apiWikiImportReport{Pages: rep.Pages, Files: rep.Files, Skipped: rep.Skipped, PageIDs: rep.PageIDs}
	if out.Skipped == nil {
		out.Skipped = []string{}
	}
	if out.PageIDs == nil {
		out.PageIDs = []int64{}
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": out})
}
