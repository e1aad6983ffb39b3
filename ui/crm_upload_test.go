package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	crmui "orengen/ui/crm"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/ui"
)

// newUpload starts a chunked upload of size bytes as cookie's user and
// returns its ID.
func (e *tenantEnv) newUpload(cookie, object, name string, size int) string {
	e.t.Helper()
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/crm/imports/upload", CSRF: true, Cookies: map[string]string{"psid": cookie},
		Form: url.Values{"object": {object}, "name": {name}, "size": {strconv.Itoa(size)}}})
	var r struct{ ID string }
	if err := json.Unmarshal([]byte(body), &r); st != http.StatusCreated || err != nil || r.ID == "" {
		e.t.Fatalf("start upload: %d %s", st, body)
	}
	return r.ID
}

// postChunk sends one chunk of an upload as cookie's user, the way
// upload.js does (raw body, X-CSRF-Token header).
func (e *tenantEnv) postChunk(cookie, path string, chunk []byte) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", "http://app.localhost"+path, bytes.NewReader(chunk))
	req.Host = "app.localhost"
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-CSRF-Token", e.csrfToken())
	req.AddCookie(&http.Cookie{Name: "psid", Value: cookie})
	req.AddCookie(&http.Cookie{Name: "csrf", Value: tenantCSRFNonce})
	resp, err := e.Server.Handler().Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, string(b)
}

// bigPeopleCSV is n people with unique emails, tags, a company and a
// long address (so a few thousand rows make megabytes: the import's
// time goes with rows, the upload's with bytes).
func bigPeopleCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("First Name,Last Name,Email,Phone,Company,Job Title,Tags,Address\n")
	addr := strings.Repeat("Suite 100, 1200 Congress Avenue, ", 8)
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "First%d,Last%d,person%d@chunked.test,+1 512 %03d %04d,Company %d,Engineer,\"chunked, batch%d\",\"%sAustin TX %d\"\n",
			i, i, i, 300+i/10000, i%10000, i%50, i%7, addr, i)
	}
	return b.Bytes()
}

// A file above the body limit reaches the import in chunks through the
// real handlers; order, the size cap and tenants are enforced.
func TestCRMImport_Chunked(t *testing.T) {
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	const rows = 9000
	data := bigPeopleCSV(rows)
	if len(data) <= 3<<20 || len(data) <= e.Server.BodyLimit {
		t.Fatalf("test file is %d bytes; want more than 3 MiB and the body limit", len(data))
	}
	id := e.newUpload(e.A.Cookie, app.RecordPerson, "big.csv", len(data))
	base := "/crm/imports/upload/" + id
	part := func() string {
		return filepath.Join(e.Server.ImportDir, "uploads", strconv.FormatInt(e.A.T.ID, 10), id+".part")
	}
	size := func() int64 {
		st, err := os.Stat(part())
		if err != nil {
			t.Fatal(err)
		}
		return st.Size()
	}

	chunk := crmui.UploadChunkSize
	// First chunk, then the wrong offsets: 409 and nothing written.
	if st, body := e.postChunk(e.A.Cookie, base+"?offset=0", data[:chunk]); st != 200 || !strings.Contains(body, fmt.Sprintf(`"size":%d`, chunk)) {
		t.Fatalf("first chunk: %d %s", st, body)
	}
	for _, off := range []int{0, chunk + 1, 2 * chunk} {
		if st, body := e.postChunk(e.A.Cookie, fmt.Sprintf("%s?offset=%d", base, off), data[off:off+chunk]); st != http.StatusConflict || !strings.Contains(body, `"field":"offset"`) {
			t.Fatalf("offset %d: %d %s", off, st, body)
		}
		if got := size(); got != int64(chunk) {
			t.Fatalf("offset %d wrote: size %d", off, got)
		}
	}
	// Finishing early is refused.
	if st, _ := e.postChunk(e.A.Cookie, base+"/finish", nil); st != http.StatusConflict {
		t.Fatalf("early finish: %d", st)
	}
	// Tenant B can neither append to nor finish A's upload, nor find it.
	if st, _ := e.postChunk(e.B.Cookie, fmt.Sprintf("%s?offset=%d", base, chunk), data[chunk:2*chunk]); st != http.StatusNotFound {
		t.Fatalf("B appends to A's upload: %d", st)
	}
	if st, _ := e.postChunk(e.B.Cookie, base+"/finish", nil); st != http.StatusNotFound {
		t.Fatalf("B finishes A's upload: %d", st)
	}
	if got := size(); got != int64(chunk) {
		t.Fatalf("B's requests wrote: size %d", got)
	}
	// No CSRF token: refused.
	req, _ := http.NewRequest("POST", fmt.Sprintf("http://app.localhost%s?offset=%d", base, chunk), bytes.NewReader(data[chunk:2*chunk]))
	req.Host = "app.localhost"
	req.AddCookie(&http.Cookie{Name: "psid", Value: e.A.Cookie})
	if resp, _ := e.Server.Handler().Test(req, -1); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("chunk without CSRF: %d", resp.StatusCode)
	}

	start := time.Now()
	for off := chunk; off < len(data); off += chunk {
		end := min(off+chunk, len(data))
		if st, body := e.postChunk(e.A.Cookie, fmt.Sprintf("%s?offset=%d", base, off), data[off:end]); st != 200 {
			t.Fatalf("chunk at %d: %d %s", off, st, body)
		}
	}
	// Past the announced size: 413, nothing written.
	if st, _ := e.postChunk(e.A.Cookie, fmt.Sprintf("%s?offset=%d", base, len(data)), []byte("x\n")); st != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunk past the size: %d", st)
	}
	st, body := e.postChunk(e.A.Cookie, base+"/finish", nil)
	var fin struct {
		Job      int64
		Location string
	}
	if err := json.Unmarshal([]byte(body), &fin); st != 200 || err != nil || fin.Location != fmt.Sprintf("/crm/import/%d", fin.Job) {
		t.Fatalf("finish: %d %s", st, body)
	}
	upload := time.Since(start)
	if _, err := os.Stat(part()); !os.IsNotExist(err) {
		t.Fatalf("upload file still in the uploads directory: %v", err)
	}
	// B cannot see or run the job the upload became.
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: fin.Location, Form: url.Values{"action": {"start"}}, CSRF: true, Cookies: map[string]string{"psid": e.B.Cookie}}); st != http.StatusNotFound {
		t.Fatalf("B starts A's import: %d", st)
	}
	// The mapping page shows the preview of the uploaded file.
	if st, page, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: fin.Location, Cookies: map[string]string{"psid": e.A.Cookie}}); st != 200 || !strings.Contains(page, "person0@chunked.test") {
		t.Fatalf("mapping page: %d", st)
	}
	start = time.Now()
	j := e.startImport(ctx, e.A.Cookie, fin.Job, nil, app.DedupeSkip, false)
	took := time.Since(start)
	if j.Status != app.ImportDone || j.Rows != rows || j.Created != rows || j.Invalid != 0 {
		t.Fatalf("import: %+v", j)
	}
	t.Logf("chunked import: %d rows, %.1f MiB, upload %s, import %s (%.0f rows/s)", rows, float64(len(data))/(1<<20), upload.Round(time.Millisecond), took.Round(time.Millisecond), float64(rows)/took.Seconds())
	// Every row is there.
	var n int
	if err := e.DB.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM crm_people WHERE tenant_id = ? AND emails LIKE '%@chunked.test"]'`, e.A.T.ID).Scan(&n); err != nil || n != rows {
		t.Fatalf("people: %d %v", n, err)
	}
	for _, email := range []string{"person0@chunked.test", fmt.Sprintf("person%d@chunked.test", rows/2), fmt.Sprintf("person%d@chunked.test", rows-1)} {
		ps, _, err := e.Server.CRM.FindPeople(ctx, app.PersonFilter{Email: &email})
		if err != nil || len(ps) != 1 || len(ps[0].Tags) != 2 {
			t.Fatalf("%s: %v %v", email, ps, err)
		}
	}
	if _, err := os.Stat(j.Path); !os.IsNotExist(err) {
		t.Fatalf("import file kept after the import: %v", err)
	}

	// A file over the cap is refused at the start; a bad object too.
	for _, f := range []url.Values{{"object": {"person"}, "name": {"x.csv"}, "size": {strconv.Itoa(crmui.MaxChunkedUpload + 1)}}, {"object": {"lead"}, "size": {"10"}}} {
		if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/crm/imports/upload", CSRF: true, Cookies: map[string]string{"psid": e.A.Cookie}, Form: f}); st != 413 && st != 400 {
			t.Errorf("start %v: %d", f, st)
		}
	}
	// Not CSV: the finish reports it and the upload is gone.
	bad := e.newUpload(e.A.Cookie, app.RecordPerson, "empty.csv", 1)
	e.postChunk(e.A.Cookie, "/crm/imports/upload/"+bad+"?offset=0", []byte("\n"))
	if st, body := e.postChunk(e.A.Cookie, "/crm/imports/upload/"+bad+"/finish", nil); st != 400 || !strings.Contains(body, "not CSV") {
		t.Fatalf("empty file: %d %s", st, body)
	}
	// An upload left unfinished for a day is deleted when any upload
	// starts (B's fixture upload here, started by A).
	bdir := filepath.Join(e.Server.ImportDir, "uploads", strconv.FormatInt(e.B.T.ID, 10))
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(filepath.Join(bdir, e.B.UploadID+".json"), old, old); err != nil {
		t.Fatal(err)
	}
	e.newUpload(e.A.Cookie, app.RecordPerson, "next.csv", 10)
	if left, _ := filepath.Glob(filepath.Join(bdir, e.B.UploadID+".*")); len(left) != 0 {
		t.Fatalf("expired upload kept: %v", left)
	}
}

// Without JavaScript a file above the body limit gets 413 saying how to
// upload it (over a real listener: fasthttp enforces the limit there).
func TestCRMImport_TooLargeForOneUpload(t *testing.T) {
	e := newTenantEnv(t)
	data := bigPeopleCSV(4000)
	if len(data) <= e.Server.BodyLimit {
		t.Fatalf("file is %d bytes, below the limit", len(data))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	defer e.Server.Shutdown(context.Background())
	var body bytes.Buffer
	body.WriteString("--b\r\nContent-Disposition: form-data; name=\"object\"\r\n\r\nperson\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\n")
	body.Write(data)
	body.WriteString("\r\n--b--\r\n")
	// The server answers 413 and closes while the client may still be
	// sending; on a busy machine the peer's reset can beat the answer to
	// the client, so a reset is tried again (the answer is what is judged).
	var resp *http.Response
	for attempt := 0; ; attempt++ {
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/crm/import", bytes.NewReader(body.Bytes()))
		req.Host = "app.localhost"
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		req.Header.Set("Expect", "100-continue")
		req.AddCookie(&http.Cookie{Name: "psid", Value: e.A.Cookie})
		resp, err = (&http.Client{Transport: &http.Transport{ExpectContinueTimeout: 5 * time.Second}}).Do(req)
		if err == nil {
			break
		}
		if attempt == 4 || !strings.Contains(err.Error(), "reset") && !strings.Contains(err.Error(), "broken pipe") {
			t.Fatal(err)
		}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), "Turn JavaScript on") {
		t.Fatalf("%d %.500s", resp.StatusCode, b)
	}
}
