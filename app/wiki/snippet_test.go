package wiki_test

import (
	"strings"
	"testing"

	"orengen/app/wiki"
	"orengen/store"
)

// TestWikiSnippets_SameAsTheIndex: snippets are made from an index of the
// hits alone (store/wiki_snippet.go); each must be the snippet wiki_fts
// itself makes for the same chunk and search: the same words stemmed,
// folded and marked, through prefixes, stems, accents, phrases, excluded
// words and title-only matches.
func TestWikiSnippets_SameAsTheIndex(t *testing.T) {
	e := newWikiEnv(t)
	e.page(t, e.A, e.SA.ID, 0, "Roofing runbook", "The crew is running late. Runs of shingles, a café visit, and the résumé of the roofer. Flat roofs are inspected yearly.")
	e.page(t, e.A, e.SA.ID, 0, "Café menu", "Coffee and cakes. Nothing about roofs here except the word roofing once.")
	e.page(t, e.A, e.SA.ID, 0, "Warranty", "Claims about a leaking roof go to the guarantee desk; the roofer answers within a day.")
	e.page(t, e.A, e.SA.ID, 0, "Running costs", "Fuel, insurance and the van's tyres, paid monthly.")
	queries := []string{"roof", "roo", "running", "run", "cafe", "café", "resume", `"flat roofs"`, "roofer -guarantee", "running costs", "warrant", "menu", "inspect yearly"}
	marked := 0
	for _, q := range queries {
		for _, h := range searchBothWays(t, e, q, 10) {
			if strings.Contains(h.Snippet, "<mark>") {
				marked++
			}
		}
	}
	if marked < len(queries) {
		t.Fatalf("only %d snippets with a highlight", marked)
	}
}

// searchBothWays searches q in A's space with the snippets made from
// wiki_fts and from the hits' own index, fails unless both find the same
// pages with the same snippets, and returns the hits.
func searchBothWays(t *testing.T, e *wikiEnv, q string, limit int) []*wiki.SearchHit {
	t.Helper()
	defer func() { store.WikiSnippetsFromIndex = false }()
	store.WikiSnippetsFromIndex = true
	want, err := e.Svc.SearchPages(e.A, e.SA.ID, q, limit)
	if err != nil {
		t.Fatal(err)
	}
	store.WikiSnippetsFromIndex = false
	got, err := e.Svc.SearchPages(e.A, e.SA.ID, q, limit)
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || len(got) != len(want) {
		t.Fatalf("%q: %d hits, %d with snippets via wiki_fts", q, len(got), len(want))
	}
	for i := range want {
		if *got[i] != *want[i] {
			t.Errorf("%q hit %d: %+v, with snippets via wiki_fts %+v", q, i, got[i], want[i])
		}
	}
	return got
}
