package crm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"orengen/ui/web"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
)

// Chunked CSV uploads: files larger than the body limit reach the import
// in pieces. upload.js slices the chosen file and posts the pieces in
// order; without JavaScript the single-form upload (/crm/import) is used.
//  1. POST /crm/imports/upload (object, name, size): a random upload ID
//     and an empty file under ImportDir/uploads/<tenant ID>/, so an
//     upload is only ever found in its own tenant's directory.
//  2. POST /crm/imports/upload/:upload?offset=N, the raw chunk as the
//     body: appended when N is the file's current size (409 with the
//     size in Upload-Offset otherwise, nothing written), never past the
//     size announced in step 1 nor MaxChunkedUpload.
//  3. POST /crm/imports/upload/:upload/finish: when every byte is in,
//     the file becomes an import job's file and the usual mapping →
//     preview → run flow follows (/crm/import/:id), streamed, no row cap.
// An upload not finished within importMappingTTL is deleted; a finished
// one's file goes with its job (RunImport, expireImports).

// Chunked upload limits.
const (
	// MaxChunkedUpload is the largest file a chunked upload takes.
	MaxChunkedUpload = 2 << 30 // 2 GiB
	// UploadChunkSize is the chunk size upload.js sends; chunks may be
	// of any size up to the body limit.
	UploadChunkSize = 512 << 10
)

var uploadIDRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// uploadMeta is what step 1 announced, kept next to the data file.
type uploadMeta struct {
	Object    string    `json:"object"`
	FileName  string    `json:"file_name"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Handler) uploadsRoot() string { return filepath.Join(s.importDir(), "uploads") }

// uploadPaths returns the tenant's upload directory and the data and
// meta files of upload id. Returns ENOTFOUND for a malformed ID.
func (s *Handler) uploadPaths(ctx context.Context, id string) (dir, data, meta string, err error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return "", "", "", err
	}
	if !uploadIDRE.MatchString(id) {
		return "", "", "", app.Errorf(app.ENOTFOUND, "Upload not found.")
	}
	dir = filepath.Join(s.uploadsRoot(), strconv.FormatInt(tid, 10))
	return dir, filepath.Join(dir, id+".csv"), filepath.Join(dir, id+".json"), nil
}

// findUpload reads upload id of the tenant in ctx and its current size.
// Returns ENOTFOUND when it is not this tenant's (or is gone).
func (s *Handler) findUpload(ctx context.Context, id string) (m uploadMeta, data, meta string, size int64, err error) {
	_, data, meta, err = s.uploadPaths(ctx, id)
	if err != nil {
		return m, "", "", 0, err
	}
	b, err := os.ReadFile(meta)
	if errors.Is(err, fs.ErrNotExist) {
		return m, "", "", 0, app.Errorf(app.ENOTFOUND, "Upload not found; it may have expired. Upload the file again.")
	} else if err != nil {
		return m, "", "", 0, fmt.Errorf("read upload: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, "", "", 0, fmt.Errorf("upload meta: %w", err)
	}
	st, err := os.Stat(data)
	if errors.Is(err, fs.ErrNotExist) {
		return m, "", "", 0, app.Errorf(app.ENOTFOUND, "Upload not found; it may have expired. Upload the file again.")
	} else if err != nil {
		return m, "", "", 0, fmt.Errorf("stat upload: %w", err)
	}
	return m, data, meta, st.Size(), nil
}

func (s *Handler) uploadLock(path string) *sync.Mutex {
	l, _ := s.uploadLocks.LoadOrStore(path, &sync.Mutex{})
	return l.(*sync.Mutex)
}

// uploadJSONError answers a chunk route's error as JSON for upload.js
// (internal errors go to the error handler, which logs them).
func uploadJSONError(c *fiber.Ctx, err error) error {
	code := app.ErrorCode(err)
	if code == app.EINTERNAL {
		return err
	}
	return c.Status(web.ErrorStatus(code)).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": app.ErrorMessage(err), "field": app.ErrorField(err)}})
}

// handleCRMUploadCreate starts a chunked upload (step 1).
func (s *Handler) handleCRMUploadCreate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	m := uploadMeta{Object: utils.CopyString(c.FormValue("object")), FileName: filepath.Base(utils.CopyString(c.FormValue("name"))), CreatedAt: time.Now().UTC()}
	if _, ok := importSegs[m.Object]; !ok {
		return uploadJSONError(c, app.FieldErrorf("object", "Choose people, companies or deals."))
	}
	size, err := strconv.ParseInt(c.FormValue("size"), 10, 64)
	if err != nil || size <= 0 {
		return uploadJSONError(c, app.FieldErrorf("size", "The file is empty."))
	}
	if size > MaxChunkedUpload {
		return uploadJSONError(c, &app.Error{Code: app.ETOOLARGE, Field: "size", Message: fmt.Sprintf("The file is %s; at most %s can be imported.",
			app.FormatBytes(size), app.FormatBytes(MaxChunkedUpload))})
	}
	m.Size = size
	if m.FileName == "." || m.FileName == string(filepath.Separator) {
		m.FileName = "upload.csv"
	}
	if len(m.FileName) > 200 {
		m.FileName = m.FileName[:200]
	}
	if err := s.expireUploads(); err != nil {
		return err
	}
	var rnd [16]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	dir, data, meta, err := s.uploadPaths(ctx, id)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("upload directory: %w", err)
	}
	if err := os.WriteFile(data, nil, 0o600); err != nil {
		return fmt.Errorf("create upload: %w", err)
	}
	b, _ := json.Marshal(m)
	if err := os.WriteFile(meta, b, 0o600); err != nil {
		os.Remove(data)
		return fmt.Errorf("create upload: %w", err)
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"id": id, "chunk_size": UploadChunkSize, "size": m.Size})
}

// handleCRMUploadChunk appends one chunk at ?offset= (step 2).
func (s *Handler) handleCRMUploadChunk(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("upload"))
	_, data, _, err := s.uploadPaths(c.UserContext(), id)
	if err != nil {
		return uploadJSONError(c, err)
	}
	l := s.uploadLock(data)
	l.Lock()
	defer l.Unlock()
	m, data, _, size, err := s.findUpload(c.UserContext(), id)
	if err != nil {
		return uploadJSONError(c, err)
	}
	c.Set("Upload-Offset", strconv.FormatInt(size, 10))
	off, err := strconv.ParseInt(c.Query("offset"), 10, 64)
	if err != nil {
		return uploadJSONError(c, app.FieldErrorf("offset", "offset required: the number of bytes already sent."))
	}
	if off != size {
		return uploadJSONError(c, &app.Error{Code: app.ECONFLICT, Field: "offset", Message: fmt.Sprintf("Chunk out of order: the upload has %d bytes, the chunk starts at %d.", size, off)})
	}
	// The raw body: a Content-Encoding is not decoded, so a chunk can
	// never expand past the body limit.
	body := c.BodyRaw()
	if len(body) == 0 {
		return uploadJSONError(c, app.FieldErrorf("body", "Empty chunk."))
	}
	if size+int64(len(body)) > m.Size {
		return uploadJSONError(c, &app.Error{Code: app.ETOOLARGE, Field: "body", Message: fmt.Sprintf("The chunk goes past the %d bytes announced.", m.Size)})
	}
	f, err := os.OpenFile(data, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open upload: %w", err)
	}
	n, err := f.Write(body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// Keep the file whole-chunk: cut a partial write off again.
		os.Truncate(data, size)
		return fmt.Errorf("append upload: %w", err)
	}
	size += int64(n)
	c.Set("Upload-Offset", strconv.FormatInt(size, 10))
	return c.JSON(fiber.Map{"size": size, "total": m.Size})
}

// handleCRMUploadFinish turns a complete upload into an import job
// (step 3) and answers with the job's page.
func (s *Handler) handleCRMUploadFinish(c *fiber.Ctx) error {
	imp, err := s.importStore()
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	id := utils.CopyString(c.Params("upload"))
	_, data, _, err := s.uploadPaths(ctx, id)
	if err != nil {
		return uploadJSONError(c, err)
	}
	l := s.uploadLock(data)
	l.Lock()
	defer l.Unlock()
	defer s.uploadLocks.Delete(data)
	m, data, meta, size, err := s.findUpload(ctx, id)
	if err != nil {
		return uploadJSONError(c, err)
	}
	if size != m.Size {
		c.Set("Upload-Offset", strconv.FormatInt(size, 10))
		return uploadJSONError(c, &app.Error{Code: app.ECONFLICT, Field: "offset", Message: fmt.Sprintf("The upload has %d of %d bytes.", size, m.Size)})
	}
	header, err := readCSVHeader(data)
	if err != nil {
		s.removeUpload(data, meta)
		return uploadJSONError(c, err)
	}
	defs, err := s.CRM.FindCustomFields(ctx, m.Object)
	if err != nil {
		return err
	}
	// The job's file lives where single-form uploads do, out of the
	// uploads sweep; the job deletes it when it ends or expires.
	path := filepath.Join(s.importDir(), "import-"+id+".csv")
	if err := os.Rename(data, path); err != nil {
		return fmt.Errorf("move upload: %w", err)
	}
	os.Remove(meta)
	j := &app.ImportJob{Object: m.Object, FileName: m.FileName, Path: path, Header: header, Mapping: app.AutoMap(m.Object, header, defs), Dedupe: app.DedupeSkip}
	if err := imp.CreateImportJob(ctx, j); err != nil {
		os.Remove(path)
		return err
	}
	if err := s.expireImports(ctx, imp); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"job": j.ID, "location": fmt.Sprintf("/crm/import/%d", j.ID)})
}

func (s *Handler) removeUpload(data, meta string) {
	os.Remove(data)
	os.Remove(meta)
	s.uploadLocks.Delete(data)
}

// expireUploads deletes every tenant's uploads started more than
// importMappingTTL ago and never finished.
func (s *Handler) expireUploads() error {
	metas, err := filepath.Glob(filepath.Join(s.uploadsRoot(), "*", "*.json"))
	if err != nil {
		return fmt.Errorf("expire uploads: %w", err)
	}
	for _, meta := range metas {
		st, err := os.Stat(meta)
		if err != nil || time.Since(st.ModTime()) < importMappingTTL {
			continue
		}
		s.removeUpload(meta[:len(meta)-len(".json")]+".csv", meta)
	}
	return nil
}
