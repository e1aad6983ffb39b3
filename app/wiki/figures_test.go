package wiki_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app/wiki"
	"orengen/store"
)

// TestWikiFigures measures search over 10,000 pages and page rendering
// (docs/BENCHMARKS.md). ORENGEN_BENCH_WIKI=1 runs it (make bench); it
// fails when the searches find nothing they should.
func TestWikiFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_WIKI") == "" {
		t.Skip("set ORENGEN_BENCH_WIKI=1 (make bench)")
	}
	e := newWikiEnv(t)
	r := rand.New(rand.NewPCG(1, 2))
	// A vocabulary with a Zipf-like spread: a few words are everywhere,
	// most are rare, like real prose.
	vocab := make([]string, 5000)
	for i := range vocab {
		vocab[i] = word(r, i)
	}
	zipf := rand.NewZipf(r, 1.1, 2, uint64(len(vocab)-1))
	para := func(n int) string {
		var b strings.Builder
		for i := 0; i < n; i++ {
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(vocab[zipf.Uint64()])
		}
		return b.String() + "."
	}
	const pages = 10000
	start := time.Now()
	var parent int64
	for i := 0; i < pages; i++ {
		body := fmt.Sprintf("# Section %d\n\n%s\n\n## Details\n\n%s\n\n- [ ] %s\n- [x] %s\n\n| item | price |\n|---|---|\n| %s | %d |\n\nSee [[Page %d]].\n",
			i, para(120), para(150), para(8), para(8), vocab[r.IntN(len(vocab))], r.IntN(1000), r.IntN(pages))
		if i%100 == 0 {
			parent = 0 // a top-level section every 100 pages
		}
		p := e.page(t, e.A, e.SA.ID, parent, fmt.Sprintf("Page %d %s", i, vocab[r.IntN(len(vocab))]), body)
		if i%100 == 0 {
			parent = p.ID
		}
	}
	build := time.Since(start)
	queries := map[string][]string{
		"rare word":         {vocab[4000], vocab[4500], vocab[3000], vocab[4999]},
		"common word":       {vocab[2], vocab[3], vocab[5]},
		"two words":         {vocab[10] + " " + vocab[200], vocab[50] + " " + vocab[900]},
		"prefix (typing)":   {vocab[700][:3], vocab[1200][:4]},
		"quoted phrase":     {`"` + vocab[2] + " " + vocab[3] + `"`},
		"agents' retrieval": {vocab[300] + " " + vocab[40]},
	}
	// The same common words with every match ranked (no window), for the
	// ratio in the same run.
	queries["common word, all ranked"] = queries["common word"]
	// Two words and a phrase with their snippets made through wiki_fts
	// (the path before the hits' own index), for the ratio in the same
	// run; each gives the same pages and snippets both ways.
	defer func() { store.WikiSnippetsFromIndex = false }()
	fromIndex := map[string]bool{"two words, snippets via wiki_fts": true, "quoted phrase, snippets via wiki_fts": true}
	queries["two words, snippets via wiki_fts"] = queries["two words"]
	queries["quoted phrase, snippets via wiki_fts"] = queries["quoted phrase"]
	// Every kind again the old way, for the ratio in the same run: its
	// space's scope token in the MATCH (before the chunks' id ranges,
	// 0282) and the last word always a prefix (before wiki_vocab, 0283).
	defer func() { store.WikiScopeByToken, store.WikiPrefixAsTyped = false, false }()
	oldWay := map[string]bool{}
	for _, n := range []string{"rare word", "common word", "two words", "prefix (typing)", "quoted phrase", "agents' retrieval"} {
		queries[n+", old way"] = queries[n]
		oldWay[n+", old way"] = true
	}
	for _, q := range slices.Concat(queries["two words"], queries["quoted phrase"], queries["common word"], queries["prefix (typing)"]) {
		searchBothWays(t, e, q, 20)
	}
	names := make([]string, 0, len(queries))
	for n := range queries {
		names = append(names, n)
	}
	slices.Sort(names)
	window := store.WikiRankWindow
	defer func() { store.WikiRankWindow = window }()
	// Rounds of 40 searches of each kind in turn, so that each kind and
	// its peer meet the same load from the rest of the machine. Each
	// search's wall time, and the CPU time of the thread it ran on (SQLite
	// runs in the calling thread), which other processes do not inflate.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ds, cpu := map[string][]time.Duration{}, map[string][]time.Duration{}
	found := map[string]int{}
	for round := 0; round < 5; round++ {
		for _, name := range names {
			store.WikiRankWindow = window
			if name == "common word, all ranked" {
				store.WikiRankWindow = 1 << 30
			}
			store.WikiSnippetsFromIndex = fromIndex[name]
			store.WikiScopeByToken, store.WikiPrefixAsTyped = oldWay[name], oldWay[name]
			for i := 0; i < 40; i++ {
				q := queries[name][(round*40+i)%len(queries[name])]
				c0, t0 := threadCPU(t), time.Now()
				n, err := figuresSearch(e, name, q)
				if err != nil {
					t.Fatal(err)
				}
				ds[name] = append(ds[name], time.Since(t0))
				cpu[name] = append(cpu[name], threadCPU(t)-c0)
				found[name] += n
			}
		}
	}
	store.WikiSnippetsFromIndex, store.WikiScopeByToken, store.WikiPrefixAsTyped, store.WikiRankWindow = false, false, false, window
	for _, name := range names {
		if found[name] == 0 {
			t.Fatalf("%s: no results", name)
		}
		t.Logf("search %-36s p50 %7.2f ms  p99 %7.2f ms  thread CPU p50 %6.2f ms  p99 %6.2f ms", name,
			ms(pct(ds[name], 50)), ms(pct(ds[name], 99)), ms(pct(cpu[name], 50)), ms(pct(cpu[name], 99)))
	}
	// Rendering a page: its links' existence query, goldmark, bluemonday.
	tree, err := e.Svc.Tree(e.A, e.SA.ID)
	if err != nil || len(tree) != pages {
		t.Fatalf("tree: %v %d", err, len(tree))
	}
	p, err := e.Svc.Page(e.A, tree[pages/2].ID)
	if err != nil {
		t.Fatal(err)
	}
	urls := wiki.PageURLs{Page: func(s string) string { return "/wiki/p/" + s }, New: func(s string) string { return "/wiki/new?title=" + s }}
	var rd []time.Duration
	for i := 0; i < 300; i++ {
		t0 := time.Now()
		html, err := e.Svc.Render(e.A, p, urls)
		if err != nil || !strings.Contains(html, "<table>") {
			t.Fatalf("render: %v", err)
		}
		rd = append(rd, time.Since(t0))
	}
	t.Logf("render a %d-byte page p50 %.2f ms  p99 %.2f ms", len(p.Body), ms(pct(rd, 50)), ms(pct(rd, 99)))
	t.Logf("built %d pages (saved through the service, indexed in the same transaction) in %s: %.0f pages/s", pages, build.Round(time.Millisecond), pages/build.Seconds())
}

// figuresSearch runs one search of TestWikiFigures' kind name and
// returns how many hits it found.
func figuresSearch(e *wikiEnv, name, q string) (int, error) {
	if strings.HasPrefix(name, "agents' retrieval") {
		c, err := e.Svc.Search(e.A, []int64{e.SA.ID}, q, 8)
		return len(c), err
	}
	h, err := e.Svc.SearchPages(e.A, e.SA.ID, q, 20)
	return len(h), err
}

// threadCPU is the time the calling thread has run on a CPU, from the
// scheduler's own count in nanoseconds (getrusage's is in ticks).
func threadCPU(t *testing.T) time.Duration {
	b, err := os.ReadFile("/proc/thread-self/schedstat")
	if err != nil {
		t.Fatal(err)
	}
	ns, err := strconv.ParseInt(strings.Fields(string(b))[0], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(ns)
}

func word(r *rand.Rand, i int) string {
	const letters = "abcdefghijklmnoprstuvwyz"
	n := 4 + r.IntN(6)
	b := make([]byte, n)
	for j := range b {
		b[j] = letters[r.IntN(len(letters))]
	}
	return string(b) + fmt.Sprint(i%10)
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
