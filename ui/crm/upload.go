package crm

import (
	"fmt"
	"os"
	"path/filepath"

	"orengen/ui/web"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// Chunked CSV uploads (web.Uploads): files larger than the body limit
// reach the import in pieces; without JavaScript the single-form upload
// (/crm/import) is used.
//  1. POST /crm/imports/upload (object, name, size);
//  2. POST /crm/imports/upload/:upload?offset=N, the raw chunk;
//  3. POST /crm/imports/upload/:upload/finish: the file becomes an import
//     job's file and the usual mapping → preview → run flow follows
//     (/crm/import/:id), streamed, no row cap.

// Chunked upload limits.
const (
	// MaxChunkedUpload is the largest file a chunked upload takes.
	MaxChunkedUpload = 2 << 30 // 2 GiB
	// UploadChunkSize is the chunk size upload.js sends.
	UploadChunkSize = web.UploadChunkSize
)

// uploads is the tenant-scoped store of chunked uploads (web.Uploads).
func (s *Handler) uploads() *web.Uploads {
	s.uploadsOnce.Do(func() { s.chunked = &web.Uploads{Root: filepath.Join(s.importDir(), "uploads")} })
	return s.chunked
}

// handleCRMUploadCreate starts a chunked upload (step 1).
func (s *Handler) handleCRMUploadCreate(c *fiber.Ctx) error {
	object := utils.CopyString(c.FormValue("object"))
	if _, ok := importSegs[object]; !ok {
		return web.UploadJSONError(c, app.FieldErrorf("object", "Choose people, companies or deals."))
	}
	return s.uploads().Create(c, object, MaxChunkedUpload)
}

// handleCRMUploadChunk appends one chunk at ?offset= (step 2).
func (s *Handler) handleCRMUploadChunk(c *fiber.Ctx) error { return s.uploads().HandleChunk(c) }

// handleCRMUploadFinish turns a complete upload into an import job
// (step 3) and answers with the job's page.
func (s *Handler) handleCRMUploadFinish(c *fiber.Ctx) error {
	imp, err := s.importStore()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	id := utils.CopyString(c.Params("upload"))
	isObject := func(k string) bool { _, ok := importSegs[k]; return ok }
	return s.uploads().Take(c, isObject, func(m web.UploadMeta, data string) (fiber.Map, error) {
		header, err := app.ReadCSVHeader(data)
		if err != nil {
			return nil, err
		}
		defs, err := s.CRM.FindCustomFields(ctx, m.Kind)
		if err != nil {
			return nil, err
		}
		// The job's file lives where single-form uploads do, out of
		// the uploads sweep; the job deletes it when it ends or
		// expires.
		path := filepath.Join(s.importDir(), "import-"+id+".csv")
		if err := os.Rename(data, path); err != nil {
			return nil, fmt.Errorf("move upload: %w", err)
		}
		j := &app.ImportJob{Object: m.Kind, FileName: m.FileName, Path: path, Header: header, Mapping: app.AutoMap(m.Kind, header, defs), Dedupe: app.DedupeSkip}
		if err := imp.CreateImportJob(ctx, j); err != nil {
			os.Remove(path)
			return nil, err
		}
		if err := imp.ExpireImports(ctx); err != nil {
			return nil, err
		}
		return fiber.Map{"job": j.ID, "location": fmt.Sprintf("/crm/import/%d", j.ID)}, nil
	})
}
