package agents

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"orengen/app"
	"orengen/app/wiki"
)

// Document kinds.
const (
	DocMarkdown = "markdown"
	DocText     = "text"
	DocPDF      = "pdf"
	DocSite     = "site" // a page of the tenant's site
)

// Knowledge limits.
const (
	MaxDocumentBytes = 20 << 20 // an upload
	MaxDocumentText  = 2 << 20  // text kept from one document
	ChunkTarget      = 900      // characters per chunk, about 200 tokens
	chunkMax         = 1400
	// RetrieveK is how many passages a reply is grounded in.
	RetrieveK = 4
)

// Document is a text the tenant's agents may answer from.
type Document struct {
	ID       int64
	TenantID int64
	Title    string
	Kind     string
	Ref      string // file name or page slug
	Bytes    int
	Chunks   int
	SHA256   string
	// Embedded counts chunks with a vector of EmbedModel.
	Embedded   int
	EmbedModel string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Chunk is a passage of a document, the unit of retrieval.
type Chunk struct {
	ID         int64
	DocumentID int64
	TenantID   int64
	Seq        int
	Text       string
	Title      string // the document's (read only)
	Kind       string
	Ref        string
	Score      float64
}

// KnowledgeScope is which of the tenant's documents an agent reads.
type KnowledgeScope struct {
	AllDocs bool    // every uploaded document (markdown, text, pdf)
	DocIDs  []int64 // these documents
	Site    bool    // the site's pages
}

// Empty reports whether the scope selects nothing.
func (k KnowledgeScope) Empty() bool { return !k.AllDocs && !k.Site && len(k.DocIDs) == 0 }

// ChunkVector is a chunk's embedding.
type ChunkVector struct {
	ChunkID int64
	Vector  []float32
}

// DocumentStore keeps the knowledge documents the editor manages (and
// the wiki's and site's pages indexed as documents) with their chunks.
type DocumentStore interface {
	// SaveDocument stores d with its chunks (replacing the chunks of an
	// existing d.ID or of the tenant's document with the same kind and
	// ref) and indexes them, in one transaction.
	SaveDocument(ctx context.Context, d *Document, chunks []string) error
	FindDocuments(ctx context.Context, tenantID int64) ([]*Document, error)
	FindDocument(ctx context.Context, tenantID, id int64) (*Document, error)
	// DocumentChunks returns a document's chunks in order.
	DocumentChunks(ctx context.Context, tenantID, id int64) ([]*Chunk, error)
	DeleteDocument(ctx context.Context, tenantID, id int64) error
}

// ChunkStore is retrieval over the documents' chunks (indexed by FTS5)
// and their vectors: what answering and the embedding loop read and
// write.
type ChunkStore interface {
	// SearchChunks ranks the scope's chunks for an FTS5 query by BM25
	// (best first; Score is -bm25, higher is better).
	SearchChunks(ctx context.Context, tenantID int64, scope KnowledgeScope, ftsQuery string, limit int) ([]*Chunk, error)
	// ChunksWithoutVector lists up to limit chunks of the tenant's
	// documents in scope lacking a vector of model.
	ChunksWithoutVector(ctx context.Context, tenantID int64, scope KnowledgeScope, model string, limit int) ([]*Chunk, error)
	// SaveVectors stores vectors of the tenant's chunks and, in the
	// same transaction, the usage that metered them.
	SaveVectors(ctx context.Context, tenantID int64, model string, vs []ChunkVector, usage Usage) error
	// Vectors returns the vectors of model of the tenant's chunks in
	// scope, with the chunks' IDs.
	Vectors(ctx context.Context, tenantID int64, scope KnowledgeScope, model string) ([]ChunkVector, error)
	// FindChunks returns chunks by ID (of the tenant only).
	FindChunks(ctx context.Context, tenantID int64, ids []int64) ([]*Chunk, error)
	// KnowledgeVersion changes whenever the tenant's chunks or vectors
	// change (for caches).
	KnowledgeVersion(ctx context.Context, tenantID int64) (int64, error)
}

// scopeOf reads an agent's knowledge sources.
func scopeOf(c Config) (KnowledgeScope, []int64) {
	var k KnowledgeScope
	var wiki []int64
	for _, s := range c.Knowledge {
		switch {
		case s == "docs":
			k.AllDocs = true
		case s == "site":
			k.Site = true
		case strings.HasPrefix(s, "doc:"):
			id, _ := strconv.ParseInt(s[4:], 10, 64)
			k.DocIDs = append(k.DocIDs, id)
		case strings.HasPrefix(s, "wiki:"):
			id, _ := strconv.ParseInt(s[5:], 10, 64)
			wiki = append(wiki, id)
		}
	}
	return k, wiki
}

// ExtractText turns an upload into text by its file name's extension:
// markdown and text as they are (valid UTF-8 required), PDF through its
// text layer (read by pdf). Returns the kind, or EINVALID saying what is
// wrong.
func ExtractText(ctx context.Context, name string, data []byte, pdf wiki.PDFReader) (kind, text string, err error) {
	if len(data) == 0 {
		return "", "", app.FieldErrorf("file", "The file is empty.")
	}
	if len(data) > MaxDocumentBytes {
		return "", "", app.Errorf(app.ETOOLARGE, "The file is larger than %d MB.", MaxDocumentBytes>>20)
	}
	switch strings.ToLower(path.Ext(name)) {
	case ".md", ".markdown":
		kind = DocMarkdown
	case ".txt", ".text", ".csv":
		kind = DocText
	case ".pdf":
		if !bytes.HasPrefix(data, []byte("%PDF-")) {
			return "", "", app.FieldErrorf("file", "%s is not a PDF file.", name)
		}
		t := wiki.ExtractText(ctx, "application/pdf", data, pdf) // the wiki's cleaning and cap
		if strings.TrimSpace(t) == "" {
			return "", "", app.FieldErrorf("file", "The PDF's text could not be read (encrypted, damaged, or a scan without a text layer): there is nothing to search.")
		}
		return DocPDF, capText(t), nil
	default:
		return "", "", app.FieldErrorf("file", "Upload markdown (.md), text (.txt) or PDF (.pdf) files.")
	}
	if !utf8.Valid(data) {
		return "", "", app.FieldErrorf("file", "%s is not UTF-8 text.", name)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return "", "", app.FieldErrorf("file", "%s is not a text file.", name)
	}
	return kind, capText(string(data)), nil
}

func capText(s string) string {
	if len(s) <= MaxDocumentText {
		return s
	}
	return truncateRunes(s, MaxDocumentText)
}

// Chunk splits text into passages of about ChunkTarget characters at
// paragraph, then sentence, boundaries. Markdown passages start with the
// heading they sit under, so a passage read alone says what it is about.
func ChunkText(kind, text string) []string {
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	var paras []string
	heading := ""
	for _, p := range strings.Split(text, "\n\n") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if kind == DocMarkdown && strings.HasPrefix(p, "#") && !strings.Contains(p, "\n") {
			heading = strings.TrimSpace(strings.TrimLeft(p, "#"))
			continue
		}
		if kind == DocMarkdown && heading != "" {
			p = heading + ": " + p
		}
		for len(p) > chunkMax {
			cut := sentenceCut(p, ChunkTarget)
			paras = append(paras, strings.TrimSpace(p[:cut]))
			p = strings.TrimSpace(p[cut:])
		}
		paras = append(paras, p)
	}
	var out []string
	var cur strings.Builder
	for _, p := range paras {
		if cur.Len() > 0 && cur.Len()+len(p) > ChunkTarget {
			out = append(out, cur.String())
			cur.Reset()
		}
		if cur.Len() > 0 {
			cur.WriteString("\n\n")
		}
		cur.WriteString(p)
	}
	if cur.Len() > 0 {
		out = append(out, cur.String())
	}
	return out
}

// sentenceCut finds where to cut s near n: after a sentence end, else a
// space, else a rune boundary.
func sentenceCut(s string, n int) int {
	for i := n; i > n/2; i-- {
		if (s[i-1] == '.' || s[i-1] == '!' || s[i-1] == '?' || s[i-1] == '\n') && (s[i] == ' ' || s[i] == '\n') {
			return i
		}
	}
	if i := strings.LastIndexByte(s[:n], ' '); i > n/2 {
		return i + 1
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return n
}

// AddDocument extracts, chunks and stores an upload for a tenant
// (tenantID 0: the caller's). A file with the same name replaces the old
// one.
func (s *Service) AddDocument(ctx context.Context, tenantID int64, name string, data []byte) (*Document, error) {
	if err := requireManage(ctx); err != nil {
		return nil, err
	}
	tid, err := requireTenant(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if name == "" || name == "." || name == "/" || len(name) > 200 {
		return nil, app.FieldErrorf("file", "The file needs a name (at most 200 characters).")
	}
	kind, text, err := ExtractText(ctx, name, data, s.PDF)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	d := &Document{TenantID: tid, Title: strings.TrimSuffix(name, path.Ext(name)), Kind: kind, Ref: name, Bytes: len(data), SHA256: hex.EncodeToString(sum[:])}
	chunks := ChunkText(kind, text)
	if len(chunks) == 0 {
		return nil, app.FieldErrorf("file", "The file has no text.")
	}
	if err := s.stores.Documents.SaveDocument(ctx, d, chunks); err != nil {
		return nil, err
	}
	s.audit(ctx, tid, "agent.document", d.Ref, fmt.Sprintf("%d chunks", len(chunks)))
	return d, nil
}

// IndexPage stores a site page of a tenant as knowledge (replacing the
// page's previous text).
func (s *Service) IndexPage(ctx context.Context, tenantID int64, slug, title, text string) (*Document, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, nil
	}
	sum := sha256.Sum256([]byte(text))
	ref := "/" + slug
	d := &Document{TenantID: tenantID, Title: title, Kind: DocSite, Ref: ref, Bytes: len(text), SHA256: hex.EncodeToString(sum[:])}
	if err := s.stores.Documents.SaveDocument(ctx, d, ChunkText(DocText, capText(text))); err != nil {
		return nil, err
	}
	return d, nil
}

// Documents lists a tenant's documents (tenantID 0: the caller's).
func (s *Service) Documents(ctx context.Context, tenantID int64) ([]*Document, error) {
	tid, all, err := scope(ctx)
	if err != nil {
		return nil, err
	}
	if !all {
		tenantID = tid
	}
	return s.stores.Documents.FindDocuments(ctx, tenantID)
}

// Document returns a document with its chunks.
func (s *Service) Document(ctx context.Context, id int64) (*Document, []*Chunk, error) {
	tid, _, err := scope(ctx)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.stores.Documents.FindDocument(ctx, tid, id)
	if err != nil {
		return nil, nil, err
	}
	cs, err := s.stores.Documents.DocumentChunks(ctx, d.TenantID, d.ID)
	return d, cs, err
}

// DeleteDocument removes a document and its chunks.
func (s *Service) DeleteDocument(ctx context.Context, id int64) error {
	if err := requireManage(ctx); err != nil {
		return err
	}
	d, _, err := s.Document(ctx, id)
	if err != nil {
		return err
	}
	if err := s.stores.Documents.DeleteDocument(ctx, d.TenantID, d.ID); err != nil {
		return err
	}
	s.audit(ctx, d.TenantID, "agent.document_delete", d.Ref, "")
	return nil
}

// stopWords are left out of knowledge queries: they match everything.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the and or but if of to in on at by for with from as is are was were be been being am do does did
	have has had i me my we our you your he she it its they them their this that these those what which who whom how when where why
	can could would should will shall may might must not no yes so than then there here about into over under up down out just also
	please hi hello hey thanks thank ok okay get got want need like know tell give let`) {
		stopWords[w] = true
	}
}

// Keywords returns the meaningful words of a visitor's text (no stop
// words, no repeats), at most max.
func Keywords(text string, max int) []string {
	words := strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	seen := map[string]bool{}
	var out []string
	for _, w := range words {
		if stopWords[w] || seen[w] || utf8.RuneCountInString(w) < 2 {
			continue
		}
		seen[w] = true
		out = append(out, w)
		if len(out) == max {
			break
		}
	}
	return out
}

// KnowledgeQuery turns a visitor's words into an FTS5 query: the
// meaningful words as quoted terms (stemmed by the index's porter
// tokenizer), any of which may match; BM25 ranks passages holding more of
// them, and rarer ones, first.
func KnowledgeQuery(text string) string {
	kw := Keywords(text, 16)
	for i, w := range kw {
		kw[i] = `"` + w + `"`
	}
	return strings.Join(kw, " OR ")
}

// vectorCache keeps a tenant's vectors of one model in memory, quantised
// to int8 (a quarter of float32's size), until its knowledge changes.
type vectorCache struct {
	mu sync.Mutex
	m  map[string]*vectorIndex
}

type vectorIndex struct {
	version int64
	ids     []int64
	dims    int
	data    []int8 // len(ids) × dims
	used    time.Time
}

func quantize(v []float32, dst []int8) {
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	n = math.Sqrt(n)
	if n == 0 {
		n = 1
	}
	for i, x := range v {
		q := math.Round(float64(x) / n * 127)
		dst[i] = int8(max(-127, min(127, q)))
	}
}

func (s *Service) vectorIndex(ctx context.Context, tenantID int64, scope KnowledgeScope, model string) (*vectorIndex, error) {
	ver, err := s.stores.Chunks.KnowledgeVersion(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%d|%s|%v|%v|%v", tenantID, model, scope.AllDocs, scope.Site, scope.DocIDs)
	c := &s.vectors
	c.mu.Lock()
	if c.m == nil {
		c.m = map[string]*vectorIndex{}
	}
	ix := c.m[key]
	c.mu.Unlock()
	if ix != nil && ix.version == ver {
		ix.used = time.Now()
		return ix, nil
	}
	vs, err := s.stores.Chunks.Vectors(ctx, tenantID, scope, model)
	if err != nil {
		return nil, err
	}
	ix = &vectorIndex{version: ver, used: time.Now()}
	for _, v := range vs {
		if ix.dims == 0 {
			ix.dims = len(v.Vector)
		}
		if len(v.Vector) != ix.dims {
			continue
		}
		ix.ids = append(ix.ids, v.ChunkID)
		q := make([]int8, ix.dims)
		quantize(v.Vector, q)
		ix.data = append(ix.data, q...)
	}
	c.mu.Lock()
	for k, old := range c.m { // evict indexes unused for 10 minutes
		if time.Since(old.used) > 10*time.Minute {
			delete(c.m, k)
		}
	}
	c.m[key] = ix
	c.mu.Unlock()
	return ix, nil
}

// nearest returns the k chunk IDs whose vectors are most similar to q.
func (ix *vectorIndex) nearest(q []float32, k int) ([]int64, []float64) {
	if ix.dims == 0 || len(q) != ix.dims {
		return nil, nil
	}
	qq := make([]int8, ix.dims)
	quantize(q, qq)
	type hit struct {
		id    int64
		score int32
	}
	top := make([]hit, 0, k+1)
	for i, id := range ix.ids {
		row := ix.data[i*ix.dims : (i+1)*ix.dims]
		var dot int32
		for j, x := range row {
			dot += int32(x) * int32(qq[j])
		}
		if len(top) < k || dot > top[len(top)-1].score {
			top = append(top, hit{id, dot})
			sort.Slice(top, func(a, b int) bool { return top[a].score > top[b].score })
			if len(top) > k {
				top = top[:k]
			}
		}
	}
	ids := make([]int64, len(top))
	scores := make([]float64, len(top))
	for i, h := range top {
		ids[i], scores[i] = h.id, float64(h.score)/(127*127)
	}
	return ids, scores
}

// Retrieve finds the passages of the agent's knowledge for text: BM25
// over FTS5, and where the agent has an embedding model, vector
// similarity, fused by reciprocal rank. useVectors false skips the
// embeddings round trip (the voice path when the caller is waiting).
func (s *Service) Retrieve(ctx context.Context, a *Agent, text string, k int, useVectors bool) ([]Source, int, error) {
	scope, wiki := scopeOf(a.Config)
	var out []Source
	embedTokens := 0
	if !scope.Empty() {
		q := KnowledgeQuery(text)
		var fts []*Chunk
		if q != "" {
			var err error
			if fts, err = s.stores.Chunks.SearchChunks(ctx, a.TenantID, scope, q, 3*k); err != nil {
				return nil, 0, err
			}
		}
		fused := map[int64]float64{}
		byID := map[int64]*Chunk{}
		for i, c := range fts {
			fused[c.ID] += 1 / float64(60+i)
			byID[c.ID] = c
		}
		if useVectors && a.Config.Model.EmbeddingModel != "" && strings.TrimSpace(text) != "" {
			ids, n, err := s.vectorSearch(ctx, a, scope, text, 3*k)
			embedTokens = n
			if err != nil {
				s.Logger.Info("agents: vector search skipped", "agent_id", a.ID, "err", err)
			}
			var missing []int64
			for i, id := range ids {
				fused[id] += 1 / float64(60+i)
				if byID[id] == nil {
					missing = append(missing, id)
				}
			}
			if len(missing) > 0 {
				cs, err := s.stores.Chunks.FindChunks(ctx, a.TenantID, missing)
				if err != nil {
					return nil, 0, err
				}
				for _, c := range cs {
					byID[c.ID] = c
				}
			}
		}
		ids := make([]int64, 0, len(fused))
		for id := range fused {
			if byID[id] != nil {
				ids = append(ids, id)
			}
		}
		sort.Slice(ids, func(i, j int) bool {
			if fused[ids[i]] != fused[ids[j]] {
				return fused[ids[i]] > fused[ids[j]]
			}
			return ids[i] < ids[j]
		})
		for _, id := range ids[:min(k, len(ids))] {
			c := byID[id]
			kind := "doc"
			if c.Kind == DocSite {
				kind = "site"
			}
			out = append(out, Source{Kind: kind, DocumentID: c.DocumentID, ChunkID: c.ID, Title: c.Title, Ref: c.Ref, Score: math.Round(fused[id]*1e4) / 1e4, Text: c.Text})
		}
	}
	if len(wiki) > 0 && s.Wiki != nil {
		ws, err := s.Wiki.SearchKnowledge(ctx, a.TenantID, wiki, text, k)
		if err != nil {
			s.Logger.Warn("agents: wiki search", "agent_id", a.ID, "err", err)
		}
		for i := range ws {
			ws[i].Kind = "wiki"
		}
		out = append(out, ws...)
		if len(out) > k {
			// Keep the best of both: interleave by rank.
			out = interleave(out[:len(out)-len(ws)], ws, k)
		}
	}
	return out, embedTokens, nil
}

func interleave(a, b []Source, k int) []Source {
	var out []Source
	for i := 0; len(out) < k && (i < len(a) || i < len(b)); i++ {
		if i < len(a) {
			out = append(out, a[i])
		}
		if i < len(b) && len(out) < k {
			out = append(out, b[i])
		}
	}
	return out
}

func (s *Service) vectorSearch(ctx context.Context, a *Agent, scope KnowledgeScope, text string, k int) ([]int64, int, error) {
	ix, err := s.vectorIndex(ctx, a.TenantID, scope, a.Config.Model.EmbeddingModel)
	if err != nil || len(ix.ids) == 0 {
		return nil, 0, err
	}
	ep, err := s.endpoint(ctx, a)
	if err != nil {
		return nil, 0, err
	}
	vs, n, err := s.Model.Embed(ctx, ep, a.Config.Model.EmbeddingModel, []string{truncateRunes(text, 2000)})
	if err != nil {
		return nil, 0, err
	}
	ids, _ := ix.nearest(vs[0], k)
	return ids, n, nil
}

// embedPending computes missing vectors for the knowledge of enabled
// agents with an embedding model, a batch per agent per pass.
func (s *Service) embedPending(ctx context.Context) {
	as, err := s.stores.Agents.FindAgents(ctx, Filter{})
	if err != nil {
		return
	}
	done := map[string]bool{}
	for _, a := range as {
		if !a.Enabled || a.Config.Model.EmbeddingModel == "" {
			continue
		}
		scope, _ := scopeOf(a.Config)
		key := fmt.Sprintf("%d|%s|%s", a.TenantID, a.Config.Model.EmbeddingModel, a.Config.Model.BaseURL)
		if scope.Empty() || done[key] {
			continue
		}
		done[key] = true
		if _, err := s.EmbedKnowledge(ctx, a, 256); err != nil && ctx.Err() == nil {
			s.Logger.Info("agents: embedding knowledge", "agent_id", a.ID, "err", err)
		}
	}
}

// EmbedKnowledge computes up to limit missing vectors of the agent's
// knowledge and meters the tokens. Returns how many it stored.
func (s *Service) EmbedKnowledge(ctx context.Context, a *Agent, limit int) (int, error) {
	scope, _ := scopeOf(a.Config)
	model := a.Config.Model.EmbeddingModel
	cs, err := s.stores.Chunks.ChunksWithoutVector(ctx, a.TenantID, scope, model, limit)
	if err != nil || len(cs) == 0 {
		return 0, err
	}
	ep, err := s.endpoint(ctx, a)
	if err != nil {
		return 0, err
	}
	total := 0
	for i := 0; i < len(cs); i += 64 {
		batch := cs[i:min(i+64, len(cs))]
		texts := make([]string, len(batch))
		for j, c := range batch {
			texts[j] = c.Title + ": " + c.Text
		}
		ectx, cancel := context.WithTimeout(ctx, 60*time.Second)
		vs, n, err := s.Model.Embed(ectx, ep, model, texts)
		cancel()
		if err != nil {
			return total, err
		}
		out := make([]ChunkVector, len(batch))
		for j, c := range batch {
			out[j] = ChunkVector{ChunkID: c.ID, Vector: vs[j]}
		}
		// The vectors and their metered tokens are written together:
		// a vector is never stored without its usage.
		u := s.tokenUsage(ctx, a.TenantID, UsageEmbed, model, n, 0)
		if err := s.stores.Chunks.SaveVectors(ctx, a.TenantID, model, out, u); err != nil {
			return total, err
		}
		s.budgets.add(a.TenantID, u.CostMicros)
		total += len(batch)
	}
	return total, nil
}

// sourceIDs lists the document IDs of sources (for a transcript's links).
func sourceIDs(ss []Source) []int64 {
	var out []int64
	for _, s := range ss {
		if s.DocumentID != 0 && !slices.Contains(out, s.DocumentID) {
			out = append(out, s.DocumentID)
		}
	}
	return out
}
