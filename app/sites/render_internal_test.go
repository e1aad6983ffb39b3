package sites

import (
	"bytes"
	"sync"
	"testing"

	"orengen/internal/allocs"
)

// TestRenderer_ParsesOnFirstRender: NewRenderer (every serve's start)
// parses nothing; the first renders, several at once, wait for the one
// parse and all render the page.
func TestRenderer_ParsesOnFirstRender(t *testing.T) {
	var r *Renderer
	if got := allocs.Bytes(func() { r = NewRenderer() }); got > 32<<10 {
		t.Errorf("NewRenderer allocated %d bytes, want at most 32 KB (parsing took ~220 KB)", got)
	}
	site := &Site{Name: "Acme"}
	page := &Page{Slug: "home", Title: "Welcome home"}
	const n = 4
	outs, errs := make([][]byte, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i], errs[i] = r.Page(site, page, []*Page{page}, &RenderContext{Year: 2026})
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("render %d: %v", i, errs[i])
		}
		if !bytes.Contains(outs[i], []byte("Welcome home")) {
			t.Errorf("render %d lacks the page's title: %.200s", i, outs[i])
		}
	}
}
