package assets

import (
	"crypto/sha256"
	"encoding/hex"
	"mime"
	"path"
	"strings"
	"testing"

	"orengen/internal/allocs"
)

// TestIndex_NoSystemMimeTable: building the index (which serve does as it
// starts) never asks mime for a type, whose first call loads the system's
// table; the files without an extension are still served as bytes.
func TestIndex_NoSystemMimeTable(t *testing.T) {
	var asked []string
	systemType = func(ext string) string {
		asked = append(asked, ext)
		return mime.TypeByExtension(ext)
	}
	t.Cleanup(func() { systemType = mime.TypeByExtension })
	ix := buildIndex()
	if len(asked) > 0 {
		t.Errorf("building the index asked mime for %q; add the extension to contentTypes", asked)
	}
	bare := 0
	for name, f := range ix.byName {
		if path.Ext(name) != "" {
			continue
		}
		bare++
		if f.ContentType != "application/octet-stream" {
			t.Errorf("%s: content type %q, want application/octet-stream", name, f.ContentType)
		}
	}
	if bare == 0 {
		t.Error("no embedded file without an extension: the test checks nothing")
	}
	if f := ix.byName["vendor/swagger-ui/LICENSE"]; f == nil {
		t.Error("vendor/swagger-ui/LICENSE missing from the index")
	}
}

// TestIndex_HashesAreTheBodies: each file's URL and ETag carry the first
// ten hex digits of the SHA-256 of the body it serves (the hashes are
// streamed through one buffer shared by every file).
func TestIndex_HashesAreTheBodies(t *testing.T) {
	ix := buildIndex()
	if len(ix.byName) < 2 {
		t.Fatalf("%d files indexed", len(ix.byName))
	}
	for name, f := range ix.byName {
		sum := sha256.Sum256(f.Body())
		want := hex.EncodeToString(sum[:])[:10]
		if f.ETag != `"`+want+`"` {
			t.Errorf("%s: ETag %s, want %q", name, f.ETag, want)
		}
		ext := path.Ext(name)
		if wantURL := "/assets/" + strings.TrimSuffix(name, ext) + "." + want + ext; f.URL != wantURL {
			t.Errorf("%s: URL %s, want %s", name, f.URL, wantURL)
		}
		if g, ok := ix.byURL[f.URL]; !ok || g != f {
			t.Errorf("%s: not found by its URL %s", name, f.URL)
		}
	}
}

// TestIndex_Garbage: building the index (every serve's start) allocates
// for the index, not for each file it hashes: io.Copy's 32 KB buffer
// per file made it a megabyte (31 files).
func TestIndex_Garbage(t *testing.T) {
	var ix assetIndex
	got := allocs.Bytes(func() { ix = buildIndex() })
	n := len(ix.byName)
	t.Logf("building the index of %d files allocated %d bytes", n, got)
	// The index's own maps, names, URLs and once-functions stay well
	// under 4 KB a file; one 32 KB buffer more for the hashing.
	if limit := uint64(n*4<<10 + 64<<10); got > limit {
		t.Errorf("building the index of %d files allocated %d bytes, want at most %d", n, got, limit)
	}
}
