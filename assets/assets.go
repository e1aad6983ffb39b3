// Package assets embeds orengen's static files (CSS, JavaScript, images)
// and serves them under content-hashed URLs with long cache lifetimes.
//
// assets imports no project package; brotli precompresses the files.
package assets

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"mime"
	"path"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

//go:embed static
var staticFS embed.FS

// File is one embedded asset; its body is read and its compressed forms
// are made on first use.
type File struct {
	Name        string // "css/site.css"
	URL         string // "/assets/css/site.3f2a9c1e.css"
	ContentType string
	ETag        string

	path       string // in staticFS
	body       func() []byte
	once       sync.Once
	gzip, brot []byte
}

// Body returns the file's bytes, read from the binary on the first call:
// the index holds only names and hashes, so a process keeps in its heap
// only the files it has served (the API explorer's 1.7 MB bundle only
// once somebody opens it).
func (f *File) Body() []byte { return f.body() }

// Compressed returns the gzip and brotli forms (nil for a form that is not
// smaller), compressing once on the first call: at init this cost ~50 ms
// and 16 MB of garbage in every process started from the binary,
// including the replicator and each CLI command.
func (f *File) Compressed() (gz, br []byte) {
	f.once.Do(func() {
		if compressible(f.ContentType) {
			f.gzip, f.brot = Compress(f.Body())
		}
	})
	return f.gzip, f.brot
}

// index maps names and hashed URLs to the files, built on first use: at
// init it read (copied) and hashed every embedded file in every process
// started from the binary, 2.7 MB of allocations, though the replicator
// and the CLI commands serve no asset. The hashes are streamed from the
// embedded files; the bodies are read when served (File.Body).
var index = sync.OnceValue(buildIndex)

// assetIndex maps names and hashed URLs to the files.
type assetIndex struct{ byName, byURL map[string]*File }

func buildIndex() (ix assetIndex) {
	ix.byName, ix.byURL = map[string]*File{}, map[string]*File{}
	byName, byURL := ix.byName, ix.byURL
	// One buffer for every file: io.Copy allocated 32 KB per file (the
	// hash takes no ReaderFrom, the embedded file offers no WriterTo), a
	// megabyte of garbage in every serve's start.
	buf := make([]byte, 32<<10)
	h := sha256.New()
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		h.Reset()
		if err := copyFile(h, p, buf); err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "static/")
		hash := hex.EncodeToString(h.Sum(nil))[:10]
		ext := path.Ext(name)
		f := &File{
			Name:        name,
			URL:         "/assets/" + strings.TrimSuffix(name, ext) + "." + hash + ext,
			ContentType: contentType(ext),
			ETag:        `"` + hash + `"`,
			path:        p,
		}
		f.body = sync.OnceValue(func() []byte {
			b, err := staticFS.ReadFile(f.path)
			if err != nil {
				panic(err) // listed by WalkDir from the same embedded tree
			}
			return b
		})
		if f.ContentType == "" {
			f.ContentType = "application/octet-stream"
		}
		byName[name] = f
		byURL[f.URL] = f
		return nil
	})
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return ix
}

// copyFile streams an embedded file into w through buf.
func copyFile(w io.Writer, p string, buf []byte) error {
	f, err := staticFS.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.CopyBuffer(w, f, buf)
	return err
}

// contentTypes covers the embedded files' extensions. mime.TypeByExtension
// would do, but its first call loads the system's mime.types (thousands
// of entries, half a megabyte of heap) in every process; it is asked only
// for an extension missing here.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
	".png": "image/png", ".ico": "image/x-icon", ".woff2": "font/woff2", ".json": "application/json",
	".txt": "text/plain; charset=utf-8", ".webp": "image/webp", ".jpg": "image/jpeg",
}

func contentType(ext string) string {
	if ct, ok := contentTypes[strings.ToLower(ext)]; ok {
		return ct
	}
	if ext == "" {
		// The vendored bundles' LICENSE and NOTICE: mime has no type for
		// no extension, and asking it loaded the system's table in every
		// serve's start-up (~7 ms of CPU before the first response).
		return ""
	}
	return systemType(ext)
}

// systemType is mime.TypeByExtension (a variable for the test that checks
// the index does not ask it).
var systemType = mime.TypeByExtension

func compressible(ct string) bool {
	return strings.HasPrefix(ct, "text/") || strings.Contains(ct, "javascript") || strings.Contains(ct, "svg") || strings.Contains(ct, "json")
}

// Compress returns body gzipped and brotli-compressed, or nil for a form
// that is not smaller. Brotli runs at quality 5 with a 256 KiB window:
// within a few percent of quality 11 on pages this small, for a fraction
// of the memory: qualities 9-11 allocate 32 MiB or more per writer.
func Compress(body []byte) (gz, br []byte) {
	var g bytes.Buffer
	w, _ := gzip.NewWriterLevel(&g, gzip.BestCompression)
	w.Write(body)
	w.Close()
	var b bytes.Buffer
	bw := brotli.NewWriterOptions(&b, brotli.WriterOptions{Quality: 5, LGWin: 18})
	bw.Write(body)
	bw.Close()
	if g.Len() < len(body) {
		gz = g.Bytes()
	}
	if b.Len() < len(body) {
		br = b.Bytes()
	}
	return gz, br
}

// URL returns the hashed URL of the named asset ("css/site.css"). It
// panics for an unknown name, so a template that names a missing asset
// fails when templates are checked at boot, not for a visitor.
func URL(name string) string {
	f, ok := index().byName[name]
	if !ok {
		panic("assets: unknown asset " + name)
	}
	return f.URL
}

// Lookup returns the asset served at the hashed URL path.
func Lookup(urlPath string) (*File, bool) {
	f, ok := index().byURL[urlPath]
	return f, ok
}

// Get returns the named asset.
func Get(name string) (*File, bool) {
	f, ok := index().byName[name]
	return f, ok
}

// Warm builds the index now (serve calls it in a goroutine as it starts):
// hashing every file costs ~10 ms, which otherwise fell on whichever
// came first of the first page served and, on a new database, the
// marketing site's first publish before the listener opened.
func Warm() { index() }
