package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/sheets"
	"orengen/ui"
	"orengen/ui/web"
)

// startUpload is step 1 of a chunked upload at base as cookie's user:
// the status and the upload ID.
func (e *tenantEnv) startUpload(cookie, base, name string, size int) (int, string, string) {
	e.t.Helper()
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: base, CSRF: true, Cookies: map[string]string{"psid": cookie},
		Form: url.Values{"name": {name}, "size": {strconv.Itoa(size)}}})
	var r struct{ ID string }
	json.Unmarshal([]byte(body), &r)
	return st, r.ID, body
}

// sendChunks posts data to upload base/id in upload.js's chunks.
func (e *tenantEnv) sendChunks(cookie, base, id string, data []byte) {
	e.t.Helper()
	for off := 0; off < len(data); off += web.UploadChunkSize {
		end := min(off+web.UploadChunkSize, len(data))
		if st, body := e.postChunk(cookie, fmt.Sprintf("%s/%s?offset=%d", base, id, off), data[off:end]); st != 200 {
			e.t.Fatalf("chunk at %d of %s: %d %s", off, base, st, body)
		}
	}
}

// TestKnowledge_ChunkedUploads: files above the body limit reach a sheet
// import, a wiki attachment and a wiki space import in chunks through the
// real handlers (issue 16's "progress for big files"): the import stores
// every row, the attachment is searchable, the zip's pages arrive; an
// upload started for one purpose cannot be finished as another, another
// tenant cannot append to it, and the caps are enforced at the start.
func TestKnowledge_ChunkedUploads(t *testing.T) {
	e := newTenantEnv(t)
	ann := map[string]string{"psid": e.A.Cookie}
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)

	// Sheets: a CSV of 30,000 rows, several times the body limit.
	tb := &sheets.Table{Name: "Service areas", Columns: []sheets.Column{{Name: "Zip", Type: sheets.TypeText}, {Name: "Area", Type: sheets.TypeText}, {Name: "Fee", Type: sheets.TypeNumber}}}
	if err := e.App.Sheets.CreateTable(ctx, tb); err != nil {
		t.Fatal(err)
	}
	var csvBuf bytes.Buffer
	csvBuf.WriteString("Zip,Area,Fee\n")
	const rows = 30000
	for i := 0; i < rows; i++ {
		fmt.Fprintf(&csvBuf, "%05d,Area %d with a long enough description to make megabytes,%d\n", 10000+i, i%40, i%500)
	}
	data := csvBuf.Bytes()
	if len(data) <= e.Server.BodyLimit {
		t.Fatalf("the CSV is %d bytes, not over the body limit %d", len(data), e.Server.BodyLimit)
	}
	base := fmt.Sprintf("/data/tables/%d/import/upload", tb.ID)
	st, id, body := e.startUpload(e.A.Cookie, base, "areas.csv", len(data))
	if st != http.StatusCreated || id == "" {
		t.Fatalf("start the sheet upload: %d %s", st, body)
	}
	// Tenant B cannot append to it, even through its own table's route.
	if st, _ := e.postChunk(e.B.Cookie, fmt.Sprintf("%s/%s?offset=0", base, id), data[:100]); st != http.StatusNotFound {
		t.Fatalf("B appends to A's sheet upload: %d", st)
	}
	pg, err := e.App.Wiki.CreatePage(ctx, mustSpace(t, e, ctx), 0, "Price notes", "Notes about prices.")
	if err != nil {
		t.Fatal(err)
	}
	filesBase := fmt.Sprintf("/knowledge/pages/%d/files/upload", pg.ID)
	e.sendChunks(e.A.Cookie, base, id, data)
	// Complete, but not finished as a wiki attachment (another purpose,
	// same tenant, same uploads directory).
	if st, body := e.postChunk(e.A.Cookie, filesBase+"/"+id+"/finish", nil); st == 200 {
		t.Fatalf("a sheet upload finished as a page's file: %s", body)
	}
	st, body = e.postChunk(e.A.Cookie, base+"/"+id+"/finish", nil)
	var fin struct {
		Job      int64
		Location string
	}
	if err := json.Unmarshal([]byte(body), &fin); st != 200 || err != nil || fin.Location != fmt.Sprintf("/data/tables/%d/imports/%d", tb.ID, fin.Job) {
		t.Fatalf("finish the sheet upload: %d %s", st, body)
	}
	st, page, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: fin.Location, Cookies: ann})
	if st != 200 || !strings.Contains(page, "10000") {
		t.Fatalf("mapping page: %d %.1000s", st, page)
	}
	j, err := e.App.Sheets.Import(ctx, fin.Job)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"start": {"1"}}
	for i, m := range j.Mapping {
		if m.Column == "" {
			t.Fatalf("column %d of the file not mapped to the table: %+v", i, j.Mapping)
		}
		form.Set(fmt.Sprintf("map%d", i), "key:"+m.Column)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: fin.Location, CSRF: true, Cookies: ann, Form: form}); st != http.StatusSeeOther {
		t.Fatalf("start the import: %d %.500s", st, body)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if j, err = e.App.Sheets.Import(ctx, fin.Job); err != nil {
			t.Fatal(err)
		}
		if j.Status == sheets.ImportDone || j.Status == sheets.ImportFailed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("import still %s", j.Status)
		}
	}
	if j.Status != sheets.ImportDone {
		t.Fatalf("import: %+v", j)
	}
	if tb, err = e.App.Sheets.Table(ctx, tb.ID); err != nil {
		t.Fatal(err)
	}
	got, _, _, err := e.App.Sheets.Rows(ctx, tb, sheets.Filter{Where: []sheets.Condition{{Column: "zip", Value: fmt.Sprintf("%05d", 10000+rows-1)}}})
	if err != nil || len(got) != 1 {
		t.Fatalf("the file's last row: %v %v", got, err)
	}
	if _, _, n, err := e.App.Sheets.Rows(ctx, tb, sheets.Filter{Limit: 1, Count: true}); err != nil || n != rows {
		t.Fatalf("rows stored: %d %v, want %d", n, err, rows)
	}

	// Wiki attachment: a text file over the body limit, in chunks.
	text := []byte(strings.Repeat("Travel surcharge applies north of the river. ", (e.Server.BodyLimit/45)+2000))
	st, aid, body := e.startUpload(e.A.Cookie, filesBase, "surcharges.txt", len(text))
	if st != http.StatusCreated {
		t.Fatalf("start the attachment upload: %d %s", st, body)
	}
	// Finishing early is refused; then the chunks.
	if st, body := e.postChunk(e.A.Cookie, filesBase+"/"+aid+"/finish", nil); st != http.StatusConflict {
		t.Fatalf("finishing the attachment before its chunks: %d %s", st, body)
	}
	e.sendChunks(e.A.Cookie, filesBase, aid, text)
	// Not finished as another page's file.
	other, err := e.App.Wiki.CreatePage(ctx, pg.SpaceID, 0, "Other", "x")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := e.postChunk(e.A.Cookie, fmt.Sprintf("/knowledge/pages/%d/files/upload/%s/finish", other.ID, aid), nil); st == 200 {
		t.Fatal("another page finished this page's upload")
	}
	if st, body := e.postChunk(e.A.Cookie, filesBase+"/"+aid+"/finish", nil); st != 200 || !strings.Contains(body, fmt.Sprintf(`/knowledge/pages/%d/edit`, pg.ID)) {
		t.Fatalf("finish the attachment: %d %s", st, body)
	}
	atts, err := e.App.Wiki.Attachments(ctx, pg.ID)
	if err != nil || len(atts) != 1 || atts[0].Name != "surcharges.txt" || atts[0].Size != int64(len(text)) {
		t.Fatalf("attachments: %+v %v", atts, err)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/knowledge/search?q=surcharge+river", Cookies: ann})
	if st != 200 || !strings.Contains(body, "surcharges.txt") {
		t.Fatalf("search for the attachment's text: %d %.2000s", st, body)
	}
	// Over the attachment cap: refused at the start, naming the size.
	if st, _, body := e.startUpload(e.A.Cookie, filesBase, "huge.txt", int(e.App.Wiki.MaxAttachmentBytes())+1); st != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"field":"size"`) {
		t.Fatalf("attachment over the cap: %d %s", st, body)
	}

	// A space zip in chunks: A's export imported into B's space.
	st, zipBody, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/knowledge/export.zip", Cookies: ann})
	if st != 200 || len(zipBody) == 0 {
		t.Fatalf("export: %d", st)
	}
	st, zid, body := e.startUpload(e.B.Cookie, "/knowledge/import/upload", "a.zip", len(zipBody))
	if st != http.StatusCreated {
		t.Fatalf("start the zip upload: %d %s", st, body)
	}
	e.sendChunks(e.B.Cookie, "/knowledge/import/upload", zid, []byte(zipBody))
	if st, body := e.postChunk(e.B.Cookie, "/knowledge/import/upload/"+zid+"/finish", nil); st != 200 {
		t.Fatalf("finish the zip upload: %d %s", st, body)
	}
	bctx := app.NewContextWithTenant(context.Background(), e.B.T)
	bsp, _ := e.App.Wiki.Space(bctx)
	if got, err := e.App.Wiki.PageBySlug(bctx, bsp.ID, "price-notes"); err != nil || got.Body != pg.Body {
		t.Fatalf("the zip's page in B's space: %v %+v", err, got)
	}
}

func mustSpace(t *testing.T, e *tenantEnv, ctx context.Context) int64 {
	t.Helper()
	sp, err := e.App.Wiki.Space(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return sp.ID
}
