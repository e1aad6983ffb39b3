package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"mime/multipart"
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

// Chunked uploads: files larger than the body limit (CSV and XLSX imports,
// wiki attachments and space zips) reach the server in pieces.
// assets/static/js/upload.js slices the chosen file and posts the pieces
// in order; without JavaScript the form posts the file whole, up to the
// body limit.
//  1. POST <base> (name, size and the form's own fields): a random upload
//     ID and an empty file under Root/<tenant ID>/, so an upload is only
//     ever found in its own tenant's directory (Create).
//  2. POST <base>/:upload?offset=N, the raw chunk as the body: appended
//     when N is the file's current size (409 with the size in
//     Upload-Offset otherwise, nothing written), never past the size
//     announced in step 1 (HandleChunk).
//  3. POST <base>/:upload/finish: the feature takes the complete file
//     (Take) and answers {"location": the next page}.
// An upload not finished within UploadTTL is deleted at the next Create.

// Chunked upload limits.
const (
	// UploadChunkSize is the chunk size upload.js sends; chunks may be of
	// any size up to the body limit.
	UploadChunkSize = 512 << 10
	// UploadTTL is how long an unfinished upload is kept.
	UploadTTL = 24 * time.Hour
)

var uploadIDRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9a-f]{32}$`) })

// UploadMeta is what step 1 announced, kept next to the data file.
type UploadMeta struct {
	// Kind is the feature's own label (an object type, "sheet:12"), so
	// an upload started for one purpose is never finished as another.
	Kind      string    `json:"object"`
	FileName  string    `json:"file_name"`
	Size      int64     `json:"size"`
	CreatedAt time.Time `json:"created_at"`
}

// Uploads keeps chunked uploads under Root (per tenant).
type Uploads struct {
	Root string
	// locks holds a *sync.Mutex per upload file, so two chunks of one
	// upload never append at once.
	locks sync.Map
}

// paths returns the tenant's upload directory and the data and meta files
// of upload id. Returns ENOTFOUND for a malformed ID.
func (u *Uploads) paths(ctx context.Context, id string) (dir, data, meta string, err error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return "", "", "", err
	}
	if !uploadIDRE().MatchString(id) {
		return "", "", "", app.Errorf(app.ENOTFOUND, "Upload not found.")
	}
	dir = filepath.Join(u.Root, strconv.FormatInt(tid, 10))
	return dir, filepath.Join(dir, id+".part"), filepath.Join(dir, id+".json"), nil
}

// find reads upload id of the tenant in ctx and its current size.
// Returns ENOTFOUND when it is not this tenant's (or is gone).
func (u *Uploads) find(ctx context.Context, id string) (m UploadMeta, data, meta string, size int64, err error) {
	_, data, meta, err = u.paths(ctx, id)
	if err != nil {
		return m, "", "", 0, err
	}
	gone := app.Errorf(app.ENOTFOUND, "Upload not found; it may have expired. Upload the file again.")
	b, err := os.ReadFile(meta)
	if errors.Is(err, fs.ErrNotExist) {
		return m, "", "", 0, gone
	} else if err != nil {
		return m, "", "", 0, fmt.Errorf("read upload: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, "", "", 0, fmt.Errorf("upload meta: %w", err)
	}
	st, err := os.Stat(data)
	if errors.Is(err, fs.ErrNotExist) {
		return m, "", "", 0, gone
	} else if err != nil {
		return m, "", "", 0, fmt.Errorf("stat upload: %w", err)
	}
	return m, data, meta, st.Size(), nil
}

func (u *Uploads) lock(path string) *sync.Mutex {
	l, _ := u.locks.LoadOrStore(path, &sync.Mutex{})
	return l.(*sync.Mutex)
}

// UploadJSONError answers an upload route's error as JSON for upload.js
// (internal errors go to the error handler, which logs them).
func UploadJSONError(c *fiber.Ctx, err error) error {
	code := app.ErrorCode(err)
	if code == app.EINTERNAL {
		return err
	}
	return c.Status(ErrorStatus(code)).JSON(fiber.Map{"error": fiber.Map{"code": code, "message": app.ErrorMessage(err), "field": app.ErrorField(err)}})
}

// Create starts an upload of kind for the tenant in ctx from the form's
// name and size (step 1), refusing files over max, and answers its ID.
func (u *Uploads) Create(c *fiber.Ctx, kind string, max int64) error {
	m := UploadMeta{Kind: kind, FileName: filepath.Base(utils.CopyString(c.FormValue("name"))), CreatedAt: time.Now().UTC()}
	size, err := strconv.ParseInt(c.FormValue("size"), 10, 64)
	if err != nil || size <= 0 {
		return UploadJSONError(c, app.FieldErrorf("size", "The file is empty."))
	}
	if size > max {
		return UploadJSONError(c, &app.Error{Code: app.ETOOLARGE, Field: "size", Message: fmt.Sprintf("The file is %s; at most %s can be uploaded here.",
			app.FormatBytes(size), app.FormatBytes(max))})
	}
	m.Size = size
	if m.FileName == "." || m.FileName == string(filepath.Separator) {
		m.FileName = "upload"
	}
	if len(m.FileName) > 200 {
		m.FileName = m.FileName[:200]
	}
	if err := u.Expire(); err != nil {
		return err
	}
	var rnd [16]byte
	rand.Read(rnd[:])
	id := hex.EncodeToString(rnd[:])
	dir, data, meta, err := u.paths(c.UserContext(), id)
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

// HandleChunk appends one chunk at ?offset= to :upload (step 2).
func (u *Uploads) HandleChunk(c *fiber.Ctx) error {
	id := utils.CopyString(c.Params("upload"))
	_, data, _, err := u.paths(c.UserContext(), id)
	if err != nil {
		return UploadJSONError(c, err)
	}
	l := u.lock(data)
	l.Lock()
	defer l.Unlock()
	m, data, _, size, err := u.find(c.UserContext(), id)
	if err != nil {
		return UploadJSONError(c, err)
	}
	c.Set("Upload-Offset", strconv.FormatInt(size, 10))
	off, err := strconv.ParseInt(c.Query("offset"), 10, 64)
	if err != nil {
		return UploadJSONError(c, app.FieldErrorf("offset", "offset required: the number of bytes already sent."))
	}
	if off != size {
		return UploadJSONError(c, &app.Error{Code: app.ECONFLICT, Field: "offset", Message: fmt.Sprintf("Chunk out of order: the upload has %d bytes, the chunk starts at %d.", size, off)})
	}
	// The raw body: a Content-Encoding is not decoded, so a chunk can
	// never expand past the body limit.
	body := c.BodyRaw()
	if len(body) == 0 {
		return UploadJSONError(c, app.FieldErrorf("body", "Empty chunk."))
	}
	if size+int64(len(body)) > m.Size {
		return UploadJSONError(c, &app.Error{Code: app.ETOOLARGE, Field: "body", Message: fmt.Sprintf("The chunk goes past the %d bytes announced.", m.Size)})
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

// Take hands a complete upload to its feature (step 3): fn gets the data
// file's path, may move it away, and answers the JSON upload.js reads
// ({"location": the next page, ...}) or an error, answered as JSON; the
// upload is gone afterwards either way. An incomplete upload is
// ECONFLICT; one whose kind accept refuses (started for another purpose)
// is ENOTFOUND.
func (u *Uploads) Take(c *fiber.Ctx, accept func(kind string) bool, fn func(m UploadMeta, path string) (fiber.Map, error)) error {
	ctx := c.UserContext()
	id := utils.CopyString(c.Params("upload"))
	_, data, _, err := u.paths(ctx, id)
	if err != nil {
		return UploadJSONError(c, err)
	}
	l := u.lock(data)
	l.Lock()
	defer l.Unlock()
	m, data, meta, size, err := u.find(ctx, id)
	if err != nil {
		return UploadJSONError(c, err)
	}
	if !accept(m.Kind) {
		return UploadJSONError(c, app.Errorf(app.ENOTFOUND, "Upload not found."))
	}
	if size != m.Size {
		c.Set("Upload-Offset", strconv.FormatInt(size, 10))
		return UploadJSONError(c, &app.Error{Code: app.ECONFLICT, Field: "offset", Message: fmt.Sprintf("The upload has %d of %d bytes.", size, m.Size)})
	}
	defer u.remove(data, meta)
	answer, err := fn(m, data)
	if err != nil {
		return UploadJSONError(c, err)
	}
	return c.JSON(answer)
}

func (u *Uploads) remove(data, meta string) {
	os.Remove(data)
	os.Remove(meta)
	u.locks.Delete(data)
}

// Expire deletes every tenant's uploads started more than UploadTTL ago
// and never finished.
func (u *Uploads) Expire() error {
	metas, err := filepath.Glob(filepath.Join(u.Root, "*", "*.json"))
	if err != nil {
		return fmt.Errorf("expire uploads: %w", err)
	}
	for _, meta := range metas {
		st, err := os.Stat(meta)
		if err != nil || time.Since(st.ModTime()) < UploadTTL {
			continue
		}
		base := meta[:len(meta)-len(".json")]
		u.remove(base+".part", meta)
		os.Remove(base + ".csv") // uploads of earlier releases
	}
	return nil
}

// SaveFormFile copies a form's file (the upload without JavaScript,
// bounded by the body limit) to a new file in dir and returns its path
// and name. Returns EINVALID naming field when there is no file.
func SaveFormFile(c *fiber.Ctx, field, dir, pattern string) (path, name string, err error) {
	fh, err := c.FormFile(field)
	if err != nil {
		return "", "", app.FieldErrorf(field, "Choose a file.")
	}
	return saveFileHeader(fh, dir, pattern)
}

func saveFileHeader(fh *multipart.FileHeader, dir, pattern string) (string, string, error) {
	src, err := fh.Open()
	if err != nil {
		return "", "", fmt.Errorf("open upload: %w", err)
	}
	defer src.Close()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", "", fmt.Errorf("upload directory: %w", err)
	}
	dst, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return "", "", fmt.Errorf("upload file: %w", err)
	}
	_, err = io.Copy(dst, src)
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(dst.Name())
		return "", "", fmt.Errorf("copy upload: %w", err)
	}
	name := filepath.Base(utils.CopyString(fh.Filename))
	if len(name) > 200 {
		name = name[:200]
	}
	return dst.Name(), name, nil
}
