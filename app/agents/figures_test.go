package agents_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"orengen/app/agents"
)

// TestFigures_Retrieval measures knowledge retrieval over 10,000 chunks
// of one tenant: BM25 alone (FTS5), and BM25 fused with vector
// similarity (an int8 scan of 10,000 vectors plus the query's embedding
// from the loopback model server). Run by make bench
// (ORENGEN_BENCH_AGENTS=1); figures go to docs/BENCHMARKS.md.
func TestFigures_Retrieval(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_AGENTS") == "" {
		t.Skip("set ORENGEN_BENCH_AGENTS=1 (make bench)")
	}
	e := newEnv(t)
	rng := rand.New(rand.NewPCG(1, 2))
	vocab := make([]string, 3000)
	for i := range vocab {
		vocab[i] = fmt.Sprintf("w%dx%c", i, 'a'+rune(i%26))
	}
	zipf := rand.NewZipf(rng, 1.1, 1, uint64(len(vocab)-1))
	word := func() string { return vocab[zipf.Uint64()] }
	ctx := e.owner(e.tA)
	const docs, perDoc = 100, 100
	t0 := time.Now()
	for d := 0; d < docs; d++ {
		var b strings.Builder
		for c := 0; c < perDoc; c++ {
			for w := 0; w < 130; w++ {
				b.WriteString(word())
				b.WriteString(" ")
			}
			b.WriteString(".\n\n")
		}
		if _, err := e.svc.AddDocument(ctx, 0, fmt.Sprintf("doc%03d.txt", d), []byte(b.String())); err != nil {
			t.Fatal(err)
		}
	}
	load := time.Since(t0)
	docsList, _ := e.svc.Documents(ctx, 0)
	chunks := 0
	for _, d := range docsList {
		chunks += d.Chunks
	}
	if chunks < 10000 {
		t.Fatalf("%d chunks, want at least 10,000", chunks)
	}
	cfg := baseConfig()
	cfg.Knowledge = []string{"docs"}
	cfg.Model.EmbeddingModel = "text-embedding-3-small"
	a := e.mustAgent(e.tA, cfg)
	t1 := time.Now()
	for {
		n, err := e.svc.EmbedKnowledge(context.Background(), a, 2000)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	embed := time.Since(t1)
	queries := make([]string, 300)
	for i := range queries {
		queries[i] = fmt.Sprintf("what about %s and %s for %s", vocab[rng.IntN(600)], vocab[rng.IntN(1500)], vocab[rng.IntN(3000)])
	}
	run := func(vectors bool) (p50, p99 time.Duration, found int) {
		var ds []time.Duration
		for i, q := range queries {
			t := time.Now()
			srcs, _, err := e.svc.Retrieve(context.Background(), a, q, agents.RetrieveK, vectors)
			d := time.Since(t)
			if err != nil {
				panic(err)
			}
			if i >= 20 { // warm-up: the first queries load the vector index
				ds = append(ds, d)
			}
			if len(srcs) > 0 {
				found++
			}
		}
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		return ds[len(ds)/2], ds[len(ds)*99/100], found
	}
	b50, b99, bFound := run(false)
	v50, v99, vFound := run(true)
	if bFound < len(queries)*9/10 || vFound < len(queries)*9/10 {
		t.Fatalf("retrieval found passages for %d (BM25) and %d (hybrid) of %d queries", bFound, vFound, len(queries))
	}
	fmt.Printf("| knowledge: %d chunks in %d documents loaded and FTS-indexed | %s |\n", chunks, docs, load.Round(time.Millisecond))
	fmt.Printf("| knowledge: embedding all chunks (loopback model server, 64 per request) | %s |\n", embed.Round(time.Millisecond))
	fmt.Printf("| retrieval p50 / p99, BM25 (FTS5) over %d chunks | %s / %s |\n", chunks, b50.Round(time.Microsecond), b99.Round(time.Microsecond))
	fmt.Printf("| retrieval p50 / p99, BM25 + vectors (query embedding on loopback + int8 scan of %d vectors) | %s / %s |\n", chunks, v50.Round(time.Microsecond), v99.Round(time.Microsecond))
}
