package assets

import (
	"mime"
	"path"
	"testing"
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
