package wiki_test

import (
	"strings"
	"testing"

	"orengen/store"
)

// TestWikiSnippets_SameAsTheIndex: snippets are made from an index of the
// hits alone (store/wiki_snippet.go); each must be the snippet wiki_fts
// itself makes for the same chunk and search: the same words stemmed,
// folded and marked, through prefixes, stems, accents, phrases, excluded
// words and title-only matches.
func TestWikiSnippets_SameAsTheIndex(t *testing.T) {
	e := newWikiEnv(t)
	defer func(v bool) { store.WikiSnippetsFromIndex = v }(store.WikiSnippetsFromIndex)
	e.page(t, e.A, e.SA.ID, 0, "Roofing runbook", "The crew is running late. Runs of shingles, a café visit, and the résumé of the roofer. Flat roofs are inspected yearly.")
	e.page(t, e.A, e.SA.ID, 0, "Café menu", "Coffee and cakes. Nothing about roofs here except the word roofing once.")
	e.page(t, e.A, e.SA.ID, 0, "Warranty", "Claims about a leaking roof go to the guarantee desk; the roofer answers within a day.")
	e.page(t, e.A, e.SA.ID, 0, "Running costs", "Fuel, insurance and the van's tyres, paid monthly.")
	queries := []string{"roof", "roo", "running", "run", "cafe", "café", "resume", `"flat roofs"`, "roofer -guarantee", "running costs", "warrant", "menu", "inspect yearly"}
	marked := 0
	for _, q := range queries {
		store.WikiSnippetsFromIndex = true
		want, err := e.Svc.SearchPages(e.A, e.SA.ID, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		store.WikiSnippetsFromIndex = false
		got, err := e.Svc.SearchPages(e.A, e.SA.ID, q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(want) == 0 || len(got) != len(want) {
			t.Fatalf("%q: %d hits, %d through wiki_fts", q, len(got), len(want))
		}
		for i := range want {
			if got[i].PageID != want[i].PageID || got[i].Snippet != want[i].Snippet {
				t.Errorf("%q hit %d: page %d %q, through wiki_fts page %d %q", q, i, got[i].PageID, got[i].Snippet, want[i].PageID, want[i].Snippet)
			}
			if strings.Contains(got[i].Snippet, "<mark>") {
				marked++
			}
		}
	}
	if marked < len(queries) {
		t.Fatalf("only %d snippets with a highlight", marked)
	}
}
