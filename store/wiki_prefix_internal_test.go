package store

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"orengen/app"
	"orengen/app/wiki"
)

// TestWikiStore_WholeWord: the last word typed is searched as a whole
// word only when the index holds no longer term that starts with its
// token, in any tenant's space, and every search finds the same chunks,
// scores and snippets either way.
func TestWikiStore_WholeWord(t *testing.T) {
	ctx := context.Background()
	db := NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(ctx); err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ws := NewWikiStore(db)
	spaces := map[string]int64{}
	ctxs := map[string]context.Context{}
	texts := map[string][]string{
		// "invoicing" and "invoices" have the token of "invoice" (invoic).
		"Alpha": {"The invoice is late.", "Invoicing rules for the desk.", "Two invoices and a paper.", "A café on the desk.", "Papers on the table."},
		// Only Bravo has a desktop: Alpha's "desk" stays a prefix.
		"Bravo": {"The desktop is new.", "An invoice for the desk."},
	}
	for _, name := range []string{"Alpha", "Bravo"} {
		tenant := &app.Tenant{Name: name}
		if err := NewTenantStore(db).CreateTenant(ctx, tenant); err != nil {
			t.Fatal(err)
		}
		ctxs[name] = app.NewContextWithTenant(ctx, tenant)
		space, err := ws.EnsureSpace(ctxs[name], name)
		if err != nil {
			t.Fatal(err)
		}
		spaces[name] = space.ID
		for i, text := range texts[name] {
			p := &wiki.Page{SpaceID: space.ID, Title: fmt.Sprintf("Note %d", i), Slug: fmt.Sprintf("note-%d", i)}
			if err := ws.CreatePage(ctxs[name], p, nil, []wiki.Chunk{{Text: text}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct{ typed, want string }{
		{"invoice", `{title body} : ("invoice")`},
		{"invoices", `{title body} : ("invoices")`},
		{"late INVOICE", `{title body} : ("late" AND "INVOICE")`},
		{"cafe", `{title body} : ("cafe")`},
		{"desk", `{title body} : ("desk"*)`},  // desktop, in Bravo's space
		{"pap", `{title body} : ("pap"*)`},    // paper
		{"invo", `{title body} : ("invo"*)`},  // invoic
		{"zebra", `{title body} : ("zebra")`}, // in no chunk: nothing either way
		{`"the desk"`, `{title body} : ("the desk")`},
	} {
		got, err := ws.wikiWholeWord(ctx, wiki.Query(c.typed))
		if err != nil || got != c.want {
			t.Errorf("%q: %q, want %q (%v)", c.typed, got, c.want, err)
		}
		for name, tctx := range ctxs {
			search := func(asTyped bool) []wiki.ChunkHit {
				t.Helper()
				defer func() { WikiPrefixAsTyped = false }()
				WikiPrefixAsTyped = asTyped
				hits, err := ws.SearchChunks(tctx, []int64{spaces[name]}, wiki.Query(c.typed), 10, false)
				if err != nil {
					t.Fatal(err)
				}
				var out []wiki.ChunkHit
				for _, h := range hits {
					out = append(out, *h)
				}
				return out
			}
			if got, want := search(false), search(true); !slices.Equal(got, want) {
				t.Errorf("%s, %q: %+v, with the prefix as typed %+v", name, c.typed, got, want)
			}
		}
	}
}
