package web

import (
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"orengen/internal/allocs"
)

// hashableFS is a MapFS the renderer can use as a map key.
type hashableFS struct{ fstest.MapFS }

// TestNewRenderer_ReadsIntoOneBuffer: listing the pages (every serve's
// start) scans each file without keeping a copy of it: 40 pages of 32 KB
// allocated 1.3 MB when each was read with fs.ReadFile. The pages still
// list and render.
func TestNewRenderer_ReadsIntoOneBuffer(t *testing.T) {
	pkg := fstest.MapFS{}
	const pages, size = 40, 32 << 10
	for i := range pages {
		body := fmt.Sprintf(`{{define "content"}}page %d{{template "shared" .}}{{end}}`, i)
		pkg[fmt.Sprintf("templates/site/p%d.html", i)] = &fstest.MapFile{Data: []byte(body + "<!--" + strings.Repeat("x", size-len(body)-7) + "-->")}
	}
	pkg["templates/partials/shared.html"] = &fstest.MapFile{Data: []byte(`{{define "shared"}}!{{end}}`)}
	var r *Renderer
	var err error
	got := allocs.Bytes(func() { r, err = NewRenderer(&hashableFS{pkg}) }) // embed.FS is a comparable struct, a MapFS a map
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("listing %d pages of %d bytes allocated %d bytes", pages, size, got)
	if limit := uint64(pages * size / 4); got > limit {
		t.Errorf("listing %d pages of %d bytes allocated %d bytes, want at most %d (a quarter of their size)", pages, size, got, limit)
	}
	pt := r.pages["site/p7"]
	if pt == nil {
		t.Fatal("page site/p7 not listed")
	}
	tm, err := pt.template()
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := tm.ExecuteTemplate(&out, "content", nil); err != nil {
		t.Fatal(err)
	}
	if out.String() != "page 7!" { // html/template drops the comment
		t.Errorf("site/p7 renders %.40q, want \"page 7!\"", out.String())
	}
}
