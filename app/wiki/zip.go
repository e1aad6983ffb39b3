package wiki

import (
	"archive/zip"
	"context"
	"fmt"
	"io"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// Zip export and import use the layout Outline and Obsidian use: one
// markdown file per page named after its title, a page's sub-pages in a
// folder of the same name next to it, files in attachments/, links
// between pages as [[Title]] and to files as relative paths. Each file
// starts with a small YAML front matter (title, order) so titles that a
// file name cannot hold and the order of pages survive a round trip;
// files without it are read too (title from the file name or a first
// "# Heading", order by name).

// Import limits: a zip is read into memory and written in one
// transaction, so it is bounded.
const (
	MaxImportFiles = 5000
	MaxImportBytes = 100 << 20
)

// ImportReport says what an import did.
type ImportReport struct {
	Pages   int
	Files   int
	Skipped []string // "name: reason"
	PageIDs []int64
}

// fileName makes a title a file name: no path separators or characters
// Windows refuses, at most 100 bytes.
func fileName(title string) string {
	s := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < 0x20 {
			return '-'
		}
		return r
	}, title)
	s = strings.TrimSpace(strings.Trim(s, "."))
	if len(s) > 100 {
		s = s[:100]
		for len(s) > 0 && s[len(s)-1]&0xc0 == 0x80 {
			s = s[:len(s)-1]
		}
	}
	if s == "" {
		s = "Untitled"
	}
	return s
}

// uniqueName returns name, or "name (2)", "name (3)" ... not in used.
func uniqueName(used map[string]bool, name, ext string) string {
	n := name
	for i := 2; used[strings.ToLower(n+ext)]; i++ {
		n = fmt.Sprintf("%s (%d)", name, i)
	}
	used[strings.ToLower(n+ext)] = true
	return n + ext
}

// Export writes a space as a zip of markdown files and attachments.
func (s *Service) Export(ctx context.Context, spaceID int64, w io.Writer) error {
	pages, err := s.Tree(ctx, spaceID)
	if err != nil {
		return err
	}
	atts, err := s.stores.Attachments.FindSpaceAttachments(ctx, spaceID)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(w)
	// Paths: each page's file, and the folder its children go in.
	filePath := map[int64]string{}
	folder := map[int64]string{0: ""}
	used := map[string]map[string]bool{}
	for _, p := range pages { // depth first: parents come first
		dir, ok := folder[p.ParentID]
		if !ok {
			dir = ""
		}
		if used[dir] == nil {
			used[dir] = map[string]bool{}
		}
		name := uniqueName(used[dir], fileName(p.Title), ".md")
		filePath[p.ID] = path.Join(dir, name)
		folder[p.ID] = path.Join(dir, strings.TrimSuffix(name, ".md"))
	}
	attPath := map[int64]string{}
	usedAtt := map[string]bool{}
	for _, a := range atts {
		ext := path.Ext(a.Name)
		attPath[a.ID] = "attachments/" + uniqueName(usedAtt, strings.TrimSuffix(a.Name, ext), ext)
	}
	for _, p := range pages {
		full, err := s.stores.Pages.FindPage(ctx, p.ID)
		if err != nil {
			return err
		}
		dir := path.Dir(filePath[p.ID])
		body := rewriteDestinations(full.Body, func(dest string) (string, bool) {
			id, ok := attachmentRef([]byte(dest))
			if !ok || attPath[id] == "" {
				return "", false
			}
			return relPath(dir, attPath[id]), true
		})
		var b strings.Builder
		fmt.Fprintf(&b, "---\ntitle: %s\norder: %d\n---\n\n", strconv.Quote(full.Title), p.Position)
		b.WriteString(body)
		if err := writeZipFile(zw, filePath[p.ID], full.UpdatedAt, []byte(b.String())); err != nil {
			return err
		}
	}
	for _, a := range atts {
		data, err := s.stores.Attachments.AttachmentData(ctx, a.ID)
		if err != nil {
			return err
		}
		if err := writeZipFile(zw, attPath[a.ID], a.CreatedAt, data); err != nil {
			return err
		}
	}
	return zw.Close()
}

func writeZipFile(zw *zip.Writer, name string, mod time.Time, data []byte) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: mod.UTC()})
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return err
}

// relPath is the path of target (from the zip root) as seen from dir,
// escaped for a markdown link.
func relPath(dir, target string) string {
	up := 0
	if dir != "." && dir != "" {
		up = strings.Count(dir, "/") + 1
	}
	p := strings.Repeat("../", up) + target
	return (&url.URL{Path: p}).EscapedPath()
}

// mdLinkRE finds inline links and images: ![alt](dest "title") or
// [text](<dest with spaces>).
var mdLinkRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`(!?\[[^\]\n]*\]\()(<[^>\n]+>|[^)\s]+)((?:\s+"[^"\n]*")?\))`)
})

// embedRE finds Obsidian embeds and links to files: ![[file.png]].
var embedRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(!?)\[\[([^\]|\n]+?)(?:\|([^\]\n]*))?\]\]`) })

// rewriteDestinations replaces link and image destinations outside code
// for which f answers true.
func rewriteDestinations(body string, f func(dest string) (string, bool)) string {
	return outsideCode(body, func(s string) string {
		return mdLinkRE().ReplaceAllStringFunc(s, func(m string) string {
			sm := mdLinkRE().FindStringSubmatch(m)
			dest := strings.TrimSuffix(strings.TrimPrefix(sm[2], "<"), ">")
			if nd, ok := f(dest); ok {
				return sm[1] + nd + sm[3]
			}
			return m
		})
	})
}

// outsideCode applies f to the parts of body outside fenced code blocks
// and inline code spans.
func outsideCode(body string, f func(string) string) string {
	var out strings.Builder
	var chunk strings.Builder
	inFence, fence := false, ""
	flush := func() {
		out.WriteString(outsideSpans(chunk.String(), f))
		chunk.Reset()
	}
	for _, line := range strings.SplitAfter(body, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case !inFence && (strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~")):
			flush()
			inFence, fence = true, t[:3]
			out.WriteString(line)
		case inFence:
			out.WriteString(line)
			if strings.HasPrefix(t, fence) {
				inFence = false
			}
		default:
			chunk.WriteString(line)
		}
	}
	flush()
	return out.String()
}

// outsideSpans applies f outside `code spans`.
func outsideSpans(s string, f func(string) string) string {
	parts := strings.Split(s, "`")
	for i := 0; i < len(parts); i += 2 {
		parts[i] = f(parts[i])
	}
	if len(parts)%2 == 0 { // an unclosed backtick: the rest is text
		parts[len(parts)-1] = f(parts[len(parts)-1])
	}
	return strings.Join(parts, "`")
}

// zipEntry is a file of an import zip.
type zipEntry struct {
	path string // cleaned, without a common top folder
	data []byte
}

// readZip reads the files of a zip, refusing archives over the limits and
// skipping folders, hidden files and OS metadata.
func readZip(r io.ReaderAt, size int64, maxFile int64) ([]zipEntry, []string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil {
		return nil, nil, app.FieldErrorf("file", "The file is not a zip archive (%s). Export a space (or an Obsidian vault or Outline collection) as a .zip and upload that.", strings.TrimPrefix(err.Error(), "zip: "))
	}
	var out []zipEntry
	var skipped []string
	var total int64
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, "\\", "/")
		if f.FileInfo().IsDir() || strings.HasSuffix(name, "/") {
			continue
		}
		clean := path.Clean("/" + name)[1:]
		hidden := false
		for _, part := range strings.Split(clean, "/") {
			if strings.HasPrefix(part, ".") || part == "__MACOSX" {
				hidden = true
			}
		}
		if hidden || clean == "" {
			continue
		}
		if len(out) >= MaxImportFiles {
			return nil, nil, app.FieldErrorf("file", "The zip has more than %d files; import it in parts.", MaxImportFiles)
		}
		limit := maxFile
		if strings.EqualFold(path.Ext(clean), ".md") || strings.EqualFold(path.Ext(clean), ".markdown") {
			limit = MaxBody
		}
		if f.UncompressedSize64 > uint64(limit) {
			skipped = append(skipped, fmt.Sprintf("%s: %s is over the %s limit", clean, app.FormatBytes(int64(f.UncompressedSize64)), app.FormatBytes(limit)))
			continue
		}
		rc, err := f.Open()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: cannot be read (%v)", clean, err))
			continue
		}
		// The header's size can lie: read at most limit+1 bytes.
		data, err := io.ReadAll(io.LimitReader(rc, limit+1))
		rc.Close()
		if err != nil {
			skipped = append(skipped, fmt.Sprintf("%s: cannot be read (%v)", clean, err))
			continue
		}
		if int64(len(data)) > limit {
			skipped = append(skipped, fmt.Sprintf("%s: over the %s limit", clean, app.FormatBytes(limit)))
			continue
		}
		if total += int64(len(data)); total > MaxImportBytes {
			return nil, nil, app.FieldErrorf("file", "The zip unpacks to more than %s; import it in parts.", app.FormatBytes(MaxImportBytes))
		}
		out = append(out, zipEntry{path: clean, data: data})
	}
	// One folder around everything (Outline's collection folder, a zipped
	// vault folder) is not a page.
	if len(out) > 0 {
		top, _, ok := strings.Cut(out[0].path, "/")
		for _, e := range out {
			if t, _, o := strings.Cut(e.path, "/"); !o || t != top {
				ok = false
			}
		}
		if ok {
			for i := range out {
				out[i].path = strings.TrimPrefix(out[i].path, top+"/")
			}
		}
	}
	return out, skipped, nil
}

// frontMatter splits YAML front matter off a markdown file and reads its
// title and order (the only keys used).
func frontMatter(s string) (title string, order int, hasOrder bool, body string) {
	body = s
	rest, ok := strings.CutPrefix(s, "---\n")
	if !ok {
		return
	}
	end := strings.Index(rest, "\n---")
	if end < 0 {
		return
	}
	for _, line := range strings.Split(rest[:end], "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.TrimSpace(k) {
		case "title":
			if uq, err := strconv.Unquote(v); err == nil {
				v = uq
			} else {
				v = strings.Trim(v, `'"`)
			}
			title = v
		case "order":
			if n, err := strconv.Atoi(v); err == nil {
				order, hasOrder = n, true
			}
		}
	}
	body = strings.TrimPrefix(strings.TrimPrefix(rest[end+4:], "\n"), "\n")
	return
}

// Import reads a zip of markdown files and attachments (an export of a
// space, an Obsidian vault, an Outline collection) and adds its pages to
// the space, all in one transaction: a zip that fails writes nothing.
// Files that are not accepted attachments are skipped and listed in the
// report. Returns EINVALID for an unreadable or oversized zip.
func (s *Service) Import(ctx context.Context, spaceID int64, r io.ReaderAt, size int64) (*ImportReport, error) {
	if _, err := s.stores.Spaces.FindSpace(ctx, spaceID); err != nil {
		return nil, err
	}
	entries, skipped, err := readZip(r, size, s.maxAttachment())
	if err != nil {
		return nil, err
	}
	pages, byPath, files, err := zipPages(entries)
	if err != nil {
		return nil, err
	}
	z := &zipImport{s: s, ctx: ctx, rep: &ImportReport{Skipped: skipped}, files: files, byPath: byPath,
		fileRef: map[string]string{}, byBase: map[string]string{}, pageByPath: map[string]*zipPage{}}
	// Obsidian resolves ![[name]] by file name anywhere in the vault.
	for fp := range files {
		if _, dup := z.byBase[strings.ToLower(path.Base(fp))]; !dup {
			z.byBase[strings.ToLower(path.Base(fp))] = fp
		}
	}
	for _, p := range pages {
		z.pageByPath[strings.ToLower(p.path)] = p
	}
	var imp []ImportPage
	for _, p := range pages {
		body := z.body(p)
		parent := -1
		if d := path.Dir(p.path); d != "." {
			if pp := byPath[d]; pp != nil && pp != p {
				parent = pp.idx
			}
		}
		pg := &Page{Title: p.title, Body: body}
		if err := pg.Validate(); err != nil {
			return nil, app.FieldErrorf("file", "%s.md: %s", p.path, app.ErrorMessage(err))
		}
		imp = append(imp, ImportPage{Path: p.path, Parent: parent, Title: pg.Title, Body: pg.Body, Links: Links(pg.Body), Chunks: ChunkPage(pg.Body)})
	}
	// Files no page references still belong to the space.
	var rest []string
	for fp := range files {
		if _, done := z.fileRef[fp]; !done {
			rest = append(rest, fp)
		}
	}
	sort.Strings(rest)
	for _, fp := range rest {
		z.addFile(fp, 0)
	}
	ids, err := s.stores.Import.ImportPages(ctx, spaceID, imp, z.attached)
	if err != nil {
		return nil, err
	}
	z.rep.Pages, z.rep.Files, z.rep.PageIDs = len(ids), len(z.attached), ids
	return z.rep, nil
}

// zipPage is a page of an imported zip: a .md file or a folder.
type zipPage struct {
	idx   int
	order int
	has   bool
	title string
	body  string
	path  string // without .md
}

// zipPages reads the zip's pages: every .md file; folders without a page
// of their own get an empty one, so the tree keeps its shape. They come
// parents before children, siblings by order, then name; files holds the
// other entries by path.
func zipPages(entries []zipEntry) (pages []*zipPage, byPath map[string]*zipPage, files map[string][]byte, err error) {
	byPath = map[string]*zipPage{}
	files = map[string][]byte{}
	for _, e := range entries {
		ext := strings.ToLower(path.Ext(e.path))
		if ext != ".md" && ext != ".markdown" {
			files[e.path] = e.data
			continue
		}
		p := &zipPage{path: strings.TrimSuffix(e.path, path.Ext(e.path))}
		title, order, has, body := frontMatter(NormalizeBody(string(e.data)))
		if title == "" {
			title = path.Base(p.path)
			// A first "# Title" line repeating the file name is the
			// title, not content (Outline writes one).
		}
		if first, rest, _ := strings.Cut(body, "\n"); strings.TrimSpace(strings.TrimPrefix(first, "# ")) == title && strings.HasPrefix(first, "# ") {
			body = strings.TrimLeft(rest, "\n")
		}
		p.title, p.order, p.has, p.body = cleanTitle(strings.NewReplacer("[", "(", "]", ")", "|", "-").Replace(title)), order, has, body
		pages = append(pages, p)
		byPath[p.path] = p
	}
	// A folder note (A/A.md) stands for folder A when there is no A.md.
	for _, p := range pages {
		dir := path.Dir(p.path)
		if dir != "." && path.Base(dir) == path.Base(p.path) && byPath[dir] == nil {
			delete(byPath, p.path)
			p.path = dir
			byPath[dir] = p
		}
	}
	for _, p := range slices.Clone(pages) {
		for dir := path.Dir(p.path); dir != "." && dir != "/"; dir = path.Dir(dir) {
			if byPath[dir] == nil {
				fp := &zipPage{path: dir, title: cleanTitle(path.Base(dir))}
				pages = append(pages, fp)
				byPath[dir] = fp
			}
		}
	}
	if len(pages) == 0 {
		return nil, nil, nil, app.FieldErrorf("file", "The zip has no markdown (.md) files.")
	}
	if len(pages) > MaxPagesPerSpace {
		return nil, nil, nil, app.FieldErrorf("file", "The zip has %d pages; a space holds at most %d.", len(pages), MaxPagesPerSpace)
	}
	sort.SliceStable(pages, func(i, j int) bool {
		a, b := pages[i], pages[j]
		da, db := strings.Count(a.path, "/"), strings.Count(b.path, "/")
		if da != db {
			return da < db
		}
		if path.Dir(a.path) != path.Dir(b.path) {
			return path.Dir(a.path) < path.Dir(b.path)
		}
		if a.has && b.has && a.order != b.order {
			return a.order < b.order
		}
		return strings.ToLower(a.path) < strings.ToLower(b.path)
	})
	for i, p := range pages {
		p.idx = i
	}
	return pages, byPath, files, nil
}

// zipImport turns an imported zip's links into the wiki's: files
// referenced from pages become attachments of the first page that
// references them (unreferenced ones attach to the first page: they were
// in the space), and links to other .md files become [[...]].
type zipImport struct {
	s          *Service
	ctx        context.Context
	rep        *ImportReport
	files      map[string][]byte   // zip path -> data, of the files not yet refused
	byPath     map[string]*zipPage // page path -> page
	fileRef    map[string]string   // zip path -> placeholder
	attached   []ImportFile        // the attachments, in placeholder order
	byBase     map[string]string   // lowercased file name -> zip path
	pageByPath map[string]*zipPage // lowercased page path -> page
}

// addFile makes the zip's file at zpath an attachment of page idx (once)
// and returns its placeholder; false for no such file or one refused (the
// report says why).
func (z *zipImport) addFile(zpath string, page int) (string, bool) {
	if ref, ok := z.fileRef[zpath]; ok {
		return ref, true
	}
	data, ok := z.files[zpath]
	if !ok {
		return "", false
	}
	a, err := NewAttachment(z.ctx, path.Base(zpath), data, z.s.maxAttachment(), z.s.PDF)
	if err != nil {
		z.rep.Skipped = append(z.rep.Skipped, zpath+": "+app.ErrorMessage(err))
		delete(z.files, zpath)
		return "", false
	}
	ref := fmt.Sprintf("@@file%d@@", len(z.attached))
	z.attached = append(z.attached, ImportFile{Page: page, Name: a.Name, ContentType: a.ContentType, SHA256: a.SHA256, Data: data, Text: a.Text, Ref: "attachment:" + ref, Chunks: ChunkText(a.Text)})
	z.fileRef[zpath] = ref
	return ref, true
}

// body is page p's markdown with its embeds and links to files made
// attachment links and its links to other pages made [[...]].
func (z *zipImport) body(p *zipPage) string {
	dir := path.Dir(p.path)
	if z.byPath[p.path] == p && path.Base(dir) == path.Base(p.path) {
		dir = p.path // a folder note's links are relative to its folder
	}
	body := outsideCode(p.body, func(s string) string {
		return embedRE().ReplaceAllStringFunc(s, func(m string) string {
			sm := embedRE().FindStringSubmatch(m)
			target := strings.TrimSpace(sm[2])
			fp, ok := z.byBase[strings.ToLower(path.Base(target))]
			if !ok {
				if _, isFile := z.files[path.Join(dir, target)]; isFile {
					fp, ok = path.Join(dir, target), true
				}
			}
			if !ok {
				return m // a page link: kept as [[...]]
			}
			ref, ok := z.addFile(fp, p.idx)
			if !ok {
				return m
			}
			label := sm[3]
			if label == "" {
				label = path.Base(target)
			}
			return sm[1] + "[" + label + "](attachment:" + ref + ")"
		})
	})
	body = rewriteDestinations(body, func(dest string) (string, bool) {
		if strings.Contains(dest, "://") || strings.HasPrefix(dest, "#") || strings.HasPrefix(dest, "mailto:") || strings.HasPrefix(dest, "attachment:") {
			return "", false
		}
		u, err := url.PathUnescape(strings.SplitN(dest, "#", 2)[0])
		if err != nil {
			u = dest
		}
		target := path.Clean(path.Join(dir, u))
		if ref, ok := z.addFile(target, p.idx); ok {
			return "attachment:" + ref, true
		}
		return "", false
	})
	// [text](Other Page.md) -> [[Other Page|text]]
	return outsideCode(body, func(s string) string {
		return mdLinkRE().ReplaceAllStringFunc(s, func(m string) string {
			sm := mdLinkRE().FindStringSubmatch(m)
			if strings.HasPrefix(sm[1], "!") {
				return m
			}
			dest := strings.TrimSuffix(strings.TrimPrefix(sm[2], "<"), ">")
			if strings.Contains(dest, "://") || !strings.HasSuffix(strings.ToLower(strings.SplitN(dest, "#", 2)[0]), ".md") {
				return m
			}
			u, err := url.PathUnescape(strings.SplitN(dest, "#", 2)[0])
			if err != nil {
				return m
			}
			target := z.pageByPath[strings.ToLower(strings.TrimSuffix(path.Clean(path.Join(dir, u)), path.Ext(u)))]
			if target == nil {
				return m
			}
			text := strings.TrimSuffix(strings.TrimPrefix(sm[1], "["), "](")
			if text == "" || text == target.title {
				return "[[" + target.title + "]]"
			}
			return "[[" + target.title + "|" + strings.NewReplacer("[", "", "]", "", "|", "-").Replace(text) + "]]"
		})
	})
}
