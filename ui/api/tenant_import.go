package api

import (
	"path/filepath"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/ui/web"
)

// maxTenantImport is the largest export file the API takes.
const maxTenantImport = 16 << 30

// registerTenantImportAPIRoutes serves /api/v1/tenant-imports on Nexus
// (issue #22): an export file uploaded in chunks (as Nexus's page does),
// checked by a dry run on finish (counts per table, or the reason it is
// refused), then imported in the background; its status shows the
// progress and, when done, the new tenant.
//  1. POST /tenant-imports/uploads?name=FILE&size=BYTES -> {"id", "chunk_size"}
//  2. POST /tenant-imports/uploads/{upload}?offset=N, the raw chunk
//  3. POST /tenant-imports/uploads/{upload}/finish -> the import (checked)
//  4. POST /tenant-imports/{id}/run {"slug"} -> 202, then GET /tenant-imports/{id}
func (s *Handler) registerTenantImportAPIRoutes(api fiber.Router) {
	if s.Transfer == nil {
		return
	}
	api.Get("/tenant-imports", s.handleAPITenantImports)
	api.Post("/tenant-imports/uploads", web.RequireWriteKey, s.importUploadScope(func(c *fiber.Ctx) error {
		return s.importUploads().Create(c, "tenant-import-api", maxTenantImport)
	}))
	api.Post("/tenant-imports/uploads/:upload", web.RequireWriteKey, s.importUploadScope(func(c *fiber.Ctx) error { return s.importUploads().HandleChunk(c) }))
	api.Post("/tenant-imports/uploads/:upload/finish", web.RequireWriteKey, s.handleAPITenantImportFinish)
	api.Get("/tenant-imports/:id", s.handleAPITenantImport)
	api.Post("/tenant-imports/:id/run", web.RequireWriteKey, s.handleAPITenantImportRun)
}

// apiImportUploads holds one web.Uploads per exports directory.
var apiImportUploads sync.Map

func (s *Handler) importUploads() *web.Uploads {
	u, _ := apiImportUploads.LoadOrStore(s.Transfer.Dir, &web.Uploads{Root: filepath.Join(s.Transfer.Dir, "uploads")})
	return u.(*web.Uploads)
}

// importUploadScope files the agency's uploads under the house tenant's
// upload directory (web.Uploads is per tenant).
func (s *Handler) importUploadScope(h fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.SetUserContext(app.NewContextWithTenant(c.UserContext(), &app.Tenant{ID: app.HouseTenantID}))
		return h(c)
	}
}

type apiTableCount struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

type apiImportCheck struct {
	Tenant        string          `json:"tenant"`
	SchemaVersion string          `json:"schema_version"`
	Rows          int64           `json:"rows"`
	Files         int64           `json:"files"`
	Tables        []apiTableCount `json:"tables"`
}

type apiTenantImport struct {
	ID        string          `json:"id"`
	FileName  string          `json:"file_name"`
	Size      int64           `json:"size"`
	Status    string          `json:"status"` // refused, checked, importing, imported, failed
	Refused   string          `json:"refused,omitempty"`
	Error     string          `json:"error,omitempty"`
	Slug      string          `json:"slug"`
	Check     *apiImportCheck `json:"check"`
	Percent   int             `json:"percent"`
	TenantID  int64           `json:"tenant_id"`
	CreatedAt time.Time       `json:"created_at"`
}

func toAPITenantImport(j *app.TenantImportJob) apiTenantImport {
	out := apiTenantImport{ID: j.ID, FileName: j.FileName, Size: j.Size, Refused: j.CheckErr, Error: j.Err, Slug: j.Slug, Percent: j.Percent(), CreatedAt: j.Started}
	switch {
	case j.Done():
		out.Status, out.TenantID = "imported", j.Summary.TenantID
	case j.Running:
		out.Status = "importing"
	case j.CheckErr != "":
		out.Status = "refused"
	case j.Err != "":
		out.Status = "failed"
	default:
		out.Status = "checked"
	}
	if c := j.Check; c != nil {
		out.Check = &apiImportCheck{Tenant: c.Tenant, SchemaVersion: c.SchemaVersion, Rows: c.Rows, Files: c.Files, Tables: []apiTableCount{}}
		for _, t := range c.Tables() {
			out.Check.Tables = append(out.Check.Tables, apiTableCount{t.Table, t.Rows})
		}
	}
	return out
}

func (s *Handler) handleAPITenantImports(c *fiber.Ctx) error {
	out := []apiTenantImport{}
	for _, j := range s.Transfer.ImportJobs() {
		out = append(out, toAPITenantImport(j))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

func (s *Handler) handleAPITenantImport(c *fiber.Ctx) error {
	j, err := s.Transfer.ImportJob(c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPITenantImport(j)})
}

func (s *Handler) handleAPITenantImportFinish(c *fiber.Ctx) error {
	ctx := c.UserContext()
	who := ""
	if k := app.APIKeyFromContext(ctx); k != nil {
		who = "API key " + k.Prefix
	}
	c.SetUserContext(app.NewContextWithTenant(ctx, &app.Tenant{ID: app.HouseTenantID}))
	return s.importUploads().Take(c, func(k string) bool { return k == "tenant-import-api" }, func(m web.UploadMeta, data string) (fiber.Map, error) {
		j, err := s.Transfer.StageImport(ctx, data, m.FileName, who)
		if err != nil {
			return nil, err
		}
		return fiber.Map{"data": toAPITenantImport(j)}, nil
	})
}

func (s *Handler) handleAPITenantImportRun(c *fiber.Ctx) error {
	var in struct {
		Slug string `json:"slug"`
	}
	if err := web.DecodeOptionalJSON(c.Body(), &in); err != nil {
		return err
	}
	j, err := s.Transfer.StartImport(c.UserContext(), utils.CopyString(c.Params("id")), in.Slug)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusAccepted)
	return c.JSON(fiber.Map{"data": toAPITenantImport(j)})
}
