package wiki

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/wiki"
	"orengen/ui/web"
)

// Attachments: a file posted whole (the form without JavaScript, up to the
// body limit) or in chunks (upload.js, up to the attachment cap). Either
// way the content is checked by wiki.NewAttachment and a refusal says why.

// attachKind marks chunked uploads meant for a page's files.
func attachKind(pageID int64) string { return "wiki-page:" + strconv.FormatInt(pageID, 10) }

const zipKind = "wiki-zip"

func (s *Handler) handleAttach(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		fh, err := c.FormFile("file")
		if err != nil {
			s.SetFlash(c, "error", "Choose a file to attach.")
			return c.Redirect(fmt.Sprintf("%s/pages/%d/edit", sp.base, pg.ID), fiber.StatusSeeOther)
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(f)
		f.Close()
		if err != nil {
			return err
		}
		a, err := s.Wiki.Attach(sp.ctx, pg.ID, utils.CopyString(fh.Filename), buf.Bytes())
		if err != nil {
			if c := app.ErrorCode(err); c != app.EINVALID && c != app.ETOOLARGE {
				return err
			}
			s.SetFlash(c, "error", app.ErrorMessage(err))
		} else {
			s.SetFlash(c, "ok", "Attached "+a.Name+". Insert it in the text with "+insertText(a.Name, a.ID, a.IsImage()))
		}
		return c.Redirect(fmt.Sprintf("%s/pages/%d/edit", sp.base, pg.ID), fiber.StatusSeeOther)
	})
}

// insertText is the markdown that shows an attachment in a page.
func insertText(name string, id int64, image bool) string {
	t := fmt.Sprintf("[%s](attachment:%d)", name, id)
	if image {
		t = "!" + t
	}
	return t
}

func (s *Handler) handleAttachUploadCreate(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sp, err := s.space(c, sc)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		pg, err := s.page(c, sp)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		return s.chunked().Create(c, attachKind(pg.ID), s.Wiki.MaxAttachmentBytes())
	}
}

func (s *Handler) handleUploadChunk(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := s.space(c, sc); err != nil {
			return web.UploadJSONError(c, err)
		}
		return s.chunked().HandleChunk(c)
	}
}

func (s *Handler) handleAttachUploadFinish(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sp, err := s.space(c, sc)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		pg, err := s.page(c, sp)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		kind := attachKind(pg.ID)
		return s.chunked().Take(c, func(k string) bool { return k == kind }, func(m web.UploadMeta, path string) (fiber.Map, error) {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, err
			}
			a, err := s.Wiki.Attach(sp.ctx, pg.ID, m.FileName, data)
			if err != nil {
				return nil, err
			}
			s.SetFlash(c, "ok", "Attached "+a.Name+". Insert it in the text with "+insertText(a.Name, a.ID, a.IsImage()))
			return fiber.Map{"location": fmt.Sprintf("%s/pages/%d/edit", sp.base, pg.ID)}, nil
		})
	}
}

// handleFile serves an attachment: images inline, other files as
// downloads; never sniffed by the browser, never able to run script
// (a sandbox CSP of its own).
func (s *Handler) handleFile(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		a, data, err := s.file(c, sp)
		if err != nil {
			return err
		}
		return web.SendAttachment(c, a.Name, a.ContentType, a.IsImage(), data, "private, max-age=300")
	})
}

// file reads the space's :id file.
func (s *Handler) file(c *fiber.Ctx, sp *spaceCtx) (*wiki.Attachment, []byte, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	a, data, err := s.Wiki.Attachment(sp.ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if a.SpaceID != sp.space.ID {
		return nil, nil, app.Errorf(app.ENOTFOUND, "File not found.")
	}
	return a, data, nil
}

func (s *Handler) handleFileDelete(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		a, _, err := s.file(c, sp)
		if err != nil {
			return err
		}
		if err := s.Wiki.DeleteAttachment(sp.ctx, a.ID); err != nil {
			return err
		}
		s.SetFlash(c, "ok", "Deleted "+a.Name+". Links to it in the text now lead nowhere: remove them.")
		return c.Redirect(fmt.Sprintf("%s/pages/%d/edit", sp.base, a.PageID), fiber.StatusSeeOther)
	})
}

func (s *Handler) handleShare(sc web.Scope) fiber.Handler {
	return s.pageRoute(sc, func(c *fiber.Ctx, sp *spaceCtx, pg *wiki.Page) error {
		sh, err := s.Wiki.Share(sp.ctx, pg.ID)
		if err != nil {
			return err
		}
		s.SetFlash(c, "ok", "Anyone with this link can read the page (not edit it): "+s.shareBase(c, sp)+sh.Token)
		return c.Redirect(sp.PageURL(pg.Slug)+"#sharing", fiber.StatusSeeOther)
	})
}

func (s *Handler) handleRevoke(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		id, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		if err := s.Wiki.RevokeShare(sp.ctx, id); err != nil {
			return err
		}
		s.SetFlash(c, "ok", "The link is revoked: it no longer opens the page.")
		back := utils.CopyString(c.FormValue("back"))
		if len(back) < len(sp.base) || back[:len(sp.base)] != sp.base {
			back = sp.base
		}
		return c.Redirect(back, fiber.StatusSeeOther)
	})
}

func (s *Handler) handleExport(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		var buf bytes.Buffer
		if err := s.Wiki.Export(sp.ctx, sp.space.ID, &buf); err != nil {
			return err
		}
		return web.SendZip(c, sp.space.Name+"-knowledge", buf.Bytes())
	})
}

func (s *Handler) handleImport(sc web.Scope) fiber.Handler {
	return s.spaceRoute(sc, func(c *fiber.Ctx, sp *spaceCtx) error {
		fh, err := c.FormFile("file")
		if err != nil {
			c.Status(fiber.StatusBadRequest)
			return s.renderHome(c, sp, &homePage{ImportErr: "Choose a .zip file."})
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		_, err = buf.ReadFrom(f)
		f.Close()
		if err != nil {
			return err
		}
		rep, err := s.Wiki.Import(sp.ctx, sp.space.ID, bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			c.Status(fiber.StatusBadRequest)
			return s.renderHome(c, sp, &homePage{ImportErr: app.ErrorMessage(err)})
		}
		return s.renderHome(c, sp, &homePage{Report: rep})
	})
}

func (s *Handler) handleImportUploadCreate(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if _, err := s.space(c, sc); err != nil {
			return web.UploadJSONError(c, err)
		}
		return s.chunked().Create(c, zipKind, MaxZip)
	}
}

func (s *Handler) handleImportUploadFinish(sc web.Scope) fiber.Handler {
	return func(c *fiber.Ctx) error {
		sp, err := s.space(c, sc)
		if err != nil {
			return web.UploadJSONError(c, err)
		}
		return s.chunked().Take(c, func(k string) bool { return k == zipKind }, func(m web.UploadMeta, path string) (fiber.Map, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			rep, err := s.Wiki.Import(sp.ctx, sp.space.ID, f, m.Size)
			if err != nil {
				return nil, err
			}
			msg := "Imported " + app.Plural(rep.Pages, "page", "pages") + " and " + app.Plural(rep.Files, "file", "files") + "."
			if len(rep.Skipped) > 0 {
				msg += fmt.Sprintf(" Skipped %d: %s", len(rep.Skipped), joinMax(rep.Skipped, 5))
			}
			s.SetFlash(c, "ok", msg)
			return fiber.Map{"location": sp.base}, nil
		})
	}
}
