// Package wiki is the Knowledge Wiki's domain: spaces, pages in markdown
// with a tree, slugs and [[Page]] links, revisions with diffs, restore and
// optimistic concurrency, attachments, public share links, templates, zip
// export and import, and full-text search (SQLite FTS5, done by the store).
//
// Spaces: every tenant has one space. The house tenant's space is the
// agency's internal space (Nexus > Control Room > Knowledge Wiki); a
// client's space is edited in its portal (Knowledge) and, while its
// "shared with the agency" flag is on, from Nexus too.
//
// # Retrieval for agents
//
// Agent Studio grounds its answers with Service.Search:
//
//	chunks, err := wikiService.Search(ctx, []int64{spaceID}, "refund policy", 5)
//
// ctx carries the agent's tenant (app.NewContextWithTenant); spaces of
// another tenant are never searched (they are silently left out: an
// agent's configuration cannot reach across tenants). Each
// KnowledgeChunk is a passage of at most about MaxChunkBytes of a page (or
// of an attachment's extracted text: PDF, text, markdown, CSV) with the
// page's ID, title, slug and the revision it was cut from, its heading, and
// a BM25 score (lower is better, as SQLite reports it). Pages are cut into
// chunks at headings and paragraph breaks when they are saved, in the same
// transaction as the save, so a change is searchable as soon as the save
// returns. Spaces(ctx) lists the spaces an agent may be given (the
// tenant's own).
package wiki

import (
	"context"
	"strings"
	"time"
	"unicode"

	"orengen/app"
)

// Limits.
const (
	// MaxTitle is the longest page title, in bytes.
	MaxTitle = 200
	// MaxBody is the largest page body (markdown), in bytes.
	MaxBody = 1 << 20
	// DefaultMaxAttachment is the attachment size cap unless the service
	// sets another.
	DefaultMaxAttachment = 10 << 20
	// MaxAttachmentText is how much extracted text of an attachment is
	// indexed.
	MaxAttachmentText = 2 << 20
	// MaxChunkBytes is the target size of a retrieval chunk.
	MaxChunkBytes = 1200
	// MaxPagesPerSpace bounds a space (and an import).
	MaxPagesPerSpace = 50000
	// MaxDepth is how deep the page tree goes.
	MaxDepth = 8
	// MaxSearchLimit is the most results one search returns.
	MaxSearchLimit = 100
)

// Space is a tenant's collection of pages.
type Space struct {
	ID       int64
	TenantID int64
	Name     string
	// SharedWithAgency lets Nexus admins read and edit a client's space.
	// The house tenant's (internal) space is always the agency's.
	SharedWithAgency bool
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Internal reports whether s is the agency's own space.
func (s *Space) Internal() bool { return s.TenantID == app.HouseTenantID }

// SpaceSummary is one line of Nexus's list of spaces: every tenant, with
// its space when it has one.
type SpaceSummary struct {
	TenantID   int64
	TenantName string
	SpaceID    int64 // 0: the tenant has no space yet
	Shared     bool
	Pages      int
	UpdatedAt  *time.Time
}

// Page is a markdown page of a space.
type Page struct {
	ID       int64
	TenantID int64
	SpaceID  int64
	ParentID int64 // 0: top level
	Position int   // order among its siblings
	Title    string
	Slug     string
	Body     string // markdown; empty in tree listings
	// Revision is the number of the page's latest revision (1 for a new
	// page). An update names the revision it started from.
	Revision  int
	CreatedBy string
	UpdatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
	// Depth is the page's depth in the tree (0: top level), filled by
	// Tree.
	Depth int
}

// Revision is a saved state of a page.
type Revision struct {
	ID        int64
	PageID    int64
	Number    int
	Title     string
	Body      string // empty in listings
	Author    string
	Note      string // "Restored revision 3", "Imported"
	Size      int64
	CreatedAt time.Time
}

// Attachment is a file attached to a page, stored in the database (so the
// replicas carry it).
type Attachment struct {
	ID          int64
	TenantID    int64
	SpaceID     int64
	PageID      int64
	Name        string
	ContentType string // as sniffed from the content
	Size        int64
	SHA256      string
	// Text is the extracted text that search indexes (PDF, text); not
	// filled by listings.
	Text      string
	CreatedBy string
	CreatedAt time.Time
}

// IsImage reports whether the attachment shows inline as an image.
func (a *Attachment) IsImage() bool { return strings.HasPrefix(a.ContentType, "image/") }

// Share is a public read-only link to a page.
type Share struct {
	ID        int64
	TenantID  int64
	PageID    int64
	Token     string
	CreatedBy string
	CreatedAt time.Time
	RevokedAt *time.Time
}

// SharedLink is a page with a live share link.
type SharedLink struct {
	PageID int64
	Slug   string
	Title  string
	Token  string
}

// Chunk is a passage of a page or attachment as the store indexes it.
type Chunk struct {
	Seq     int
	Heading string
	Text    string
}

// ChunkHit is a chunk matching a search, as the store returns it.
type ChunkHit struct {
	SpaceID      int64
	PageID       int64
	PageTitle    string
	PageSlug     string
	Revision     int
	AttachmentID int64 // 0: the page's own text
	AttachName   string
	Seq          int
	Heading      string
	Text         string
	// Snippet is the matching passage with matches between SnippetStart
	// and SnippetEnd markers (the caller escapes it, then marks them).
	Snippet string
	Score   float64
}

// Snippet markers in ChunkHit.Snippet: control characters that never
// occur in indexed text (the chunker drops them).
const (
	SnippetStart = "\x02"
	SnippetEnd   = "\x03"
)

// KnowledgeChunk is a retrieved passage for an agent: see the package doc.
type KnowledgeChunk struct {
	SpaceID   int64
	PageID    int64
	PageTitle string
	PageSlug  string
	// Revision is the page revision the chunk was cut from.
	Revision     int
	AttachmentID int64  // 0: from the page itself
	Source       string // "Page title" or "Page title › file.pdf"
	Heading      string
	Text         string
	Score        float64 // BM25 as SQLite reports it: lower is better; 0 for a search too common to rank (the store's window)
}

// SearchHit is one page (or attachment) in a search's results.
type SearchHit struct {
	PageID       int64
	Title        string
	Slug         string
	AttachmentID int64
	AttachName   string
	// Snippet is HTML: the escaped passage with matches in <mark>.
	Snippet string
	Score   float64
}

// ImportPage is a page read from an export zip.
type ImportPage struct {
	Path   string // the page's path inside the zip (without .md)
	Parent int    // index of the parent in the list (earlier), -1: top level
	Title  string
	Body   string // markdown; file references are ImportFile.Ref placeholders
	Links  []string
	Chunks []Chunk
}

// ImportFile is an attachment read from an export zip.
type ImportFile struct {
	Page        int // index of the page it belongs to
	Name        string
	ContentType string
	SHA256      string
	Data        []byte
	Text        string
	Ref         string // placeholder in bodies, replaced by attachment:ID
	Chunks      []Chunk
}

// PageUpdate is a save of a page: what the editor sends.
type PageUpdate struct {
	Title string
	Body  string
	// BaseRevision is the revision the editor started from; a save whose
	// base is not the page's current revision is a conflict.
	BaseRevision int
	// Note is recorded on the revision ("Restored revision 3").
	Note string
}

// Stores are where the wiki keeps its data, one small store per kind of
// record (package store's WikiStore is every one of them). Every method
// takes the tenant from ctx (app.TenantIDFromContext) unless it says
// otherwise; another tenant's object is ENOTFOUND.
type Stores struct {
	Spaces      SpaceStore
	Pages       PageStore
	Revisions   RevisionStore
	Attachments AttachmentStore
	Shares      ShareStore
	Search      SearchStore
	Import      ImportStore
}

// SpaceStore keeps each tenant's space.
type SpaceStore interface {
	// EnsureSpace returns the tenant's space, creating it with name if it
	// has none.
	EnsureSpace(ctx context.Context, name string) (*Space, error)
	FindSpace(ctx context.Context, id int64) (*Space, error)
	UpdateSpace(ctx context.Context, id int64, name string, shared bool) error
	// FindSpacesAcross lists every tenant with its space (Nexus; needs an
	// admin: app.CRMReadScope across tenants).
	FindSpacesAcross(ctx context.Context) ([]*SpaceSummary, error)
	// FindSpaceAcross returns any tenant's space (Nexus; needs an admin).
	FindSpaceAcross(ctx context.Context, id int64) (*Space, error)
}

// PageStore keeps a space's pages, their tree and the links between them.
type PageStore interface {
	// FindPages lists a space's pages without bodies, by parent and
	// position.
	FindPages(ctx context.Context, spaceID int64) ([]*Page, error)
	FindPage(ctx context.Context, id int64) (*Page, error)
	FindPageBySlug(ctx context.Context, spaceID int64, slug string) (*Page, error)
	// ExistingSlugs returns which of slugs name a page of the space.
	ExistingSlugs(ctx context.Context, spaceID int64, slugs []string) (map[string]bool, error)
	// CreatePage stores p as revision 1 with its links and search chunks,
	// giving it a unique slug (p.Slug with -2, -3 ... when taken) and the
	// last position under its parent.
	CreatePage(ctx context.Context, p *Page, links []string, chunks []Chunk) error
	// UpdatePage stores a new revision of the page when upd.BaseRevision
	// is its current revision; otherwise it returns ECONFLICT and changes
	// nothing. The page's links and chunks are replaced in the same
	// transaction.
	UpdatePage(ctx context.Context, id int64, upd PageUpdate, slug string, links []string, chunks []Chunk) (*Page, error)
	// MovePage puts the page under parentID (0: top level) at position
	// among its new siblings (renumbering them).
	MovePage(ctx context.Context, id, parentID int64, position int) error
	// DeletePage deletes the page, its revisions, attachments and shares;
	// its children move up to its parent.
	DeletePage(ctx context.Context, id int64) error
	// FindBacklinks lists the pages of the space linking to slug.
	FindBacklinks(ctx context.Context, spaceID int64, slug string) ([]*Page, error)
}

// RevisionStore reads a page's history (PageStore writes it).
type RevisionStore interface {
	FindRevisions(ctx context.Context, pageID int64) ([]*Revision, error)
	FindRevision(ctx context.Context, pageID int64, number int) (*Revision, error)
}

// AttachmentStore keeps the files attached to pages.
type AttachmentStore interface {
	// CreateAttachment stores the file and its search chunks.
	CreateAttachment(ctx context.Context, a *Attachment, data []byte, chunks []Chunk) error
	FindAttachments(ctx context.Context, pageID int64) ([]*Attachment, error)
	FindAttachment(ctx context.Context, id int64) (*Attachment, error)
	AttachmentData(ctx context.Context, id int64) ([]byte, error)
	DeleteAttachment(ctx context.Context, id int64) error
	// FindSpaceAttachments lists every attachment of a space (export).
	FindSpaceAttachments(ctx context.Context, spaceID int64) ([]*Attachment, error)
}

// ShareStore keeps pages' public share links.
type ShareStore interface {
	CreateShare(ctx context.Context, s *Share) error
	FindShares(ctx context.Context, pageID int64) ([]*Share, error)
	RevokeShare(ctx context.Context, id int64) error
	// SharedPages lists the pages of the space with a live share link,
	// by title (a help center's contents; links between shared pages).
	SharedPages(ctx context.Context, spaceID int64) ([]SharedLink, error)
	// FindShareByToken returns a live share and its page, with no tenant
	// in ctx (public links). Returns ENOTFOUND for an unknown or revoked
	// token.
	FindShareByToken(ctx context.Context, token string) (*Share, *Page, error)
}

// SearchStore searches the chunks pages and attachments are indexed by.
type SearchStore interface {
	// SearchChunks runs an FTS5 expression (built by Query) over the
	// chunks of those of spaceIDs that are the tenant's (others are left
	// out), best first, with snippets; with onePerSource, only the best
	// chunk of each page (or attachment).
	SearchChunks(ctx context.Context, spaceIDs []int64, ftsQuery string, limit int, onePerSource bool) ([]*ChunkHit, error)
}

// ImportStore writes a whole imported zip.
type ImportStore interface {
	// ImportPages creates pages (top-level ones after the space's last)
	// and attachments read from a zip, all in one transaction; each
	// file's Ref in the bodies becomes attachment:ID. Returns the new
	// pages' IDs.
	ImportPages(ctx context.Context, spaceID int64, pages []ImportPage, files []ImportFile) ([]int64, error)
}

// Slug is the URL form of a title: lowercase letters and digits of any
// script, words joined with "-". A title with none is "page".
func Slug(title string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
		} else {
			dash = true
		}
		if b.Len() >= 80 {
			break
		}
	}
	if b.Len() == 0 {
		return "page"
	}
	return b.String()
}

// cleanTitle trims a title and folds its whitespace and control
// characters to single spaces.
func cleanTitle(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }), " ")
}

// Validate normalises and checks a page's title and body. Returns EINVALID
// naming the field.
func (p *Page) Validate() error {
	p.Title = cleanTitle(p.Title)
	p.Body = NormalizeBody(p.Body)
	if p.Title == "" {
		return app.FieldErrorf("title", "Title required.")
	}
	if len(p.Title) > MaxTitle {
		return app.FieldErrorf("title", "Title must be at most %d characters.", MaxTitle)
	}
	if strings.ContainsAny(p.Title, "[]|") {
		return app.FieldErrorf("title", "Title may not contain [, ] or | (they delimit [[Page]] links).")
	}
	return validateBody(p.Body)
}

// NormalizeBody turns CRLF and CR line ends (what browsers post from a
// textarea) into LF, so revisions and diffs compare lines, not line ends.
func NormalizeBody(body string) string {
	if strings.ContainsRune(body, '\r') {
		body = strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\r", "\n")
	}
	return body
}

func validateBody(body string) error {
	if len(body) > MaxBody {
		return app.FieldErrorf("body", "The page is %s; a page may be at most %s. Split it into pages.", app.FormatBytes(int64(len(body))), app.FormatBytes(MaxBody))
	}
	if strings.ContainsRune(body, 0) {
		return app.FieldErrorf("body", "The page contains a NUL character; paste it as text.")
	}
	return nil
}
