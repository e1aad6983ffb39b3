package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui"
	"orengen/ui/web"
)

// Lesson files (#24): uploaded video with range requests and
// downloadable files; isolation lines for every route.
var courseFilesIsolation = map[string]isoLine{
	"portal|GET|/learn/files/:id":                                            {accMember, objCourseLesson},
	"portal|POST|/courses/:id/lessons/:lesson/files":                         {accUser, objCourseLesson},
	"portal|POST|/courses/:id/lessons/:lesson/files/upload":                  {accUser, objCourseLesson},
	"portal|POST|/courses/:id/lessons/:lesson/files/upload/:upload":          {accUser, objCourseLesson},
	"portal|POST|/courses/:id/lessons/:lesson/files/upload/:upload/finish":   {accUser, objCourseLesson},
	"portal|POST|/courses/:id/lessons/:lesson/files/:file/delete":            {accUser, objCourseLesson},
	"portal|GET|/api/v1/courses/:id/lessons/:lesson/files":                   {accTenantKey, objCourseLesson},
	"portal|DELETE|/api/v1/courses/:id/lessons/:lesson/files/:file":          {accTenantKeyW, objCourseLesson},
	"portal|POST|/api/v1/courses/:id/lessons/:lesson/uploads":                {accTenantKeyW, objCourseLesson},
	"portal|POST|/api/v1/courses/:id/lessons/:lesson/uploads/:upload":        {accTenantKeyW, objCourseLesson},
	"portal|POST|/api/v1/courses/:id/lessons/:lesson/uploads/:upload/finish": {accTenantKeyW, objCourseLesson},
	"nexus|GET|/api/v1/courses/:id/lessons/:lesson/files":                    {accAdminKey, objCourseLesson},
	"nexus|DELETE|/api/v1/courses/:id/lessons/:lesson/files/:file":           {accAdminKeyW, objCourseLesson},
	"nexus|POST|/api/v1/courses/:id/lessons/:lesson/uploads":                 {accAdminKeyW, objCourseLesson},
	"nexus|POST|/api/v1/courses/:id/lessons/:lesson/uploads/:upload":         {accAdminKeyW, objCourseLesson},
	"nexus|POST|/api/v1/courses/:id/lessons/:lesson/uploads/:upload/finish":  {accAdminKeyW, objCourseLesson},
}

func init() {
	for k, v := range courseFilesIsolation {
		isolationMatrix[k] = v
	}
}

// courseFileFill makes a fresh download on B's first lesson (a route
// may delete it) and puts it in the path: :file, or the id of
// /learn/files/:id.
func (e *tenantEnv) courseFileFill(b *courseSide) int64 {
	ctx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.B.T), e.B.Owner)
	f, err := e.App.Courses.AddLessonFileBytes(ctx, b.Course.ID, b.Lessons[0].ID, courses.FileDownload, "notes.txt", []byte(e.B.T.Name+" secret notes"))
	if err != nil {
		e.t.Fatal(err)
	}
	return f.ID
}

// isoCourseFileRequest gives the lesson file upload routes a real
// upload of 10 bytes on B's lesson (complete for the finish routes) and
// the start route its query. It runs before ?tenant= is added.
func (e *tenantEnv) isoCourseFileRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/courses/") || !strings.Contains(r.Path, "/uploads") {
		return
	}
	b := e.courseFixture(e.B.T, e.B.Owner)
	base := fmt.Sprintf("/api/v1/courses/%d/lessons/%d/uploads", b.Course.ID, b.Lessons[0].ID)
	if strings.HasSuffix(r.Path, "/uploads") {
		req.Path += "?kind=download&name=x.txt&size=10"
		req.JSON = ""
		return
	}
	if !strings.Contains(r.Path, ":upload") {
		return
	}
	st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: base + "?kind=download&name=x.txt&size=10&tenant=" + e.B.T.Slug, Bearer: e.AdminKeyW})
	var u struct{ ID string }
	if st != 201 || json.Unmarshal([]byte(body), &u) != nil {
		e.t.Fatalf("iso course upload: %d %s", st, body)
	}
	// The matrix put B's wiki upload in :upload: this route's is another.
	req.Path = strings.Replace(strings.Replace(req.Path, ":upload", u.ID, 1), "/uploads/"+e.B.UploadID, "/uploads/"+u.ID, 1)
	if strings.HasSuffix(r.Path, "/finish") {
		if st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "POST", Path: base + "/" + u.ID + "?offset=0&tenant=" + e.B.T.Slug, Bearer: e.AdminKeyW,
			Raw: "0123456789", ContentType: "application/octet-stream"}); st != 200 {
			e.t.Fatalf("iso course chunk: %d %s", st, body)
		}
		req.JSON = ""
		return
	}
	req.Path += "?offset=0"
	req.JSON, req.Raw, req.ContentType = "", "0123456789", "application/octet-stream"
}

// testMP4 is a file that sniffs as video/mp4 (an ftyp box with an mp4
// brand), n bytes long, each byte after the header its offset mod 251.
func testMP4(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i % 251)
	}
	copy(b, "\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom")
	return b
}

// multipartFile is a form with fields and one file, as a browser posts
// it without JavaScript.
func lessonFileForm(fields map[string]string, name string, data []byte) (string, string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	fw, _ := w.CreateFormFile("file", name)
	fw.Write(data)
	w.Close()
	return buf.String(), w.FormDataContentType()
}

// The staff uploads a lesson video in chunks; the member's lesson page
// plays it and range requests get exactly the bytes asked for; caps and
// content checks refuse with a message; nobody else gets the bytes.
func TestCourses_LessonVideo(t *testing.T) {
	e := newTenantEnv(t)
	a := e.courseFixture(e.A.T, e.A.Owner)
	b := e.courseFixture(e.B.T, e.B.Owner)
	owner := map[string]string{"psid": e.A.Cookie}
	lesson := a.Lessons[0]
	edit := fmt.Sprintf("/courses/%d/lessons/%d", a.Course.ID, lesson.ID)
	csrfH := map[string]string{"X-CSRF-Token": e.csrfToken()}

	// Chunked upload from the lesson editor, as upload.js does it.
	video := testMP4(2*1024*1024 + 12345) // three store chunks
	st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files/upload", Cookies: owner, CSRF: true,
		Form: url.Values{"kind": {"video"}, "name": {"intro.mp4"}, "size": {strconv.Itoa(len(video))}}})
	var up struct {
		ID        string `json:"id"`
		ChunkSize int    `json:"chunk_size"`
	}
	if st != 201 || json.Unmarshal([]byte(body), &up) != nil || up.ChunkSize == 0 {
		t.Fatalf("upload start: %d %s", st, body)
	}
	for off := 0; off < len(video); off += up.ChunkSize {
		end := min(off+up.ChunkSize, len(video))
		if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: fmt.Sprintf("%s/files/upload/%s?offset=%d", edit, up.ID, off), Cookies: owner, CSRF: true, Header: csrfH,
			Raw: string(video[off:end]), ContentType: "application/octet-stream"}); st != 200 {
			t.Fatalf("chunk at %d: %d %s", off, st, body)
		}
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files/upload/" + up.ID + "/finish", Cookies: owner, CSRF: true, Header: csrfH})
	var done struct {
		Location string `json:"location"`
		FileID   int64  `json:"file_id"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &done) != nil || done.Location != edit+"#files" {
		t.Fatalf("finish: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: edit, Cookies: owner}); st != 200 || !strings.Contains(body, "intro.mp4") || !strings.Contains(body, `data-chunked="`+edit+`/files/upload"`) {
		t.Fatalf("editor lists the video: %d", st)
	}

	// The member's lesson page plays it.
	member := map[string]string{"msid": a.Cookie}
	fileURL := "/learn/files/" + strconv.FormatInt(done.FileID, 10)
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/learn/lessons/" + strconv.FormatInt(lesson.ID, 10), Cookies: member})
	if st != 200 || !strings.Contains(body, `<video id="lesson-video"`) || !strings.Contains(body, `src="`+fileURL+`"`) || strings.Contains(body, "youtube-nocookie") {
		t.Fatalf("lesson page: %d %.500s", st, body)
	}

	// Range requests: across a store chunk boundary, a suffix, an open
	// end, past the end; the whole file.
	get := func(h map[string]string, cookies map[string]string) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: "GET", Path: fileURL, Cookies: cookies, Header: h})
	}
	n := len(video)
	for _, c := range []struct {
		rng        string
		start, end int
	}{
		{"bytes=1048570-1048589", 1048570, 1048589},
		{"bytes=0-15", 0, 15},
		{"bytes=-100", n - 100, n - 1},
		{fmt.Sprintf("bytes=%d-", n-5000), n - 5000, n - 1},
		{fmt.Sprintf("bytes=%d-%d", n-10, n+500), n - 10, n - 1},
	} {
		st, body, resp := get(map[string]string{"Range": c.rng}, member)
		want := fmt.Sprintf("bytes %d-%d/%d", c.start, c.end, n)
		if st != 206 || resp.Header.Get("Content-Range") != want || body != string(video[c.start:c.end+1]) {
			t.Errorf("%s: %d %q (want %q), %d bytes", c.rng, st, resp.Header.Get("Content-Range"), want, len(body))
		}
		if resp.Header.Get("Content-Type") != "video/mp4" || resp.Header.Get("Accept-Ranges") != "bytes" {
			t.Errorf("%s: headers %v", c.rng, resp.Header)
		}
	}
	if st, _, resp := get(map[string]string{"Range": fmt.Sprintf("bytes=%d-", n)}, member); st != 416 || resp.Header.Get("Content-Range") != fmt.Sprintf("bytes */%d", n) {
		t.Errorf("past the end: %d %q", st, resp.Header.Get("Content-Range"))
	}
	st, body, resp := get(nil, member)
	if st != 200 || body != string(video) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "inline") {
		t.Errorf("whole file: %d, %d bytes", st, len(body))
	}
	// If-Range with another version: the whole file.
	if st, body, _ := get(map[string]string{"Range": "bytes=0-9", "If-Range": `"other"`}, member); st != 200 || len(body) != n {
		t.Errorf("If-Range mismatch: %d, %d bytes", st, len(body))
	}

	// Nobody else: a visitor, a staff session, B's member (on app.DOMAIN
	// and on A's domain), A's member on B's file.
	if st, _, resp := get(map[string]string{"Range": "bytes=0-9"}, nil); !isoAuthRefusal(st, resp) {
		t.Errorf("visitor: %d", st)
	}
	if st, _, _ := get(map[string]string{"Range": "bytes=0-9"}, owner); st == 206 || st == 200 {
		t.Errorf("staff session: %d", st)
	}
	if st, body, _ := get(map[string]string{"Range": "bytes=0-9"}, map[string]string{"msid": b.Cookie}); st != 404 || strings.Contains(body, string(video[:10])) {
		t.Errorf("B's member: %d", st)
	}
	e.courseDomains()
	if st, _, _ := e.do(treq{Host: "learn.alpha.test", Method: "GET", Path: fileURL, Cookies: map[string]string{"msid": b.Cookie}}); st == 200 || st == 206 {
		t.Errorf("B's member on A's domain: %d", st)
	}

	// A download on the dripped lesson stays locked with its message.
	ctxA := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner)
	locked, err := e.App.Courses.AddLessonFileBytes(ctxA, a.Course.ID, a.Lessons[1].ID, courses.FileDownload, "later.pdf", []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"))
	if err != nil {
		t.Fatal(err)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/learn/files/" + strconv.FormatInt(locked.ID, 10), Cookies: member}); st != 403 || !strings.Contains(body, "This lesson opens on") {
		t.Errorf("locked lesson's file: %d %.200s", st, body)
	}

	// Over the cap: refused before a byte is sent, with the cap.
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files/upload", Cookies: owner, CSRF: true,
		Form: url.Values{"kind": {"video"}, "name": {"huge.mp4"}, "size": {strconv.Itoa(courses.DefaultMaxVideoBytes + 1)}}})
	if st != 413 || !strings.Contains(body, "at most 512.0 MiB") {
		t.Errorf("over the cap: %d %s", st, body)
	}
	// The wrong type, chunked: text named .mp4.
	fake := []byte("this is not a video, only text named like one")
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files/upload", Cookies: owner, CSRF: true,
		Form: url.Values{"kind": {"video"}, "name": {"fake.mp4"}, "size": {strconv.Itoa(len(fake))}}})
	if st != 201 || json.Unmarshal([]byte(body), &up) != nil {
		t.Fatalf("fake start: %d %s", st, body)
	}
	e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files/upload/" + up.ID + "?offset=0", Cookies: owner, CSRF: true, Header: csrfH, Raw: string(fake), ContentType: "application/octet-stream"})
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files/upload/" + up.ID + "/finish", Cookies: owner, CSRF: true, Header: csrfH})
	if st != 400 || !strings.Contains(body, "fake.mp4 is not a video browsers play") || !strings.Contains(body, `"field":"file"`) {
		t.Errorf("wrong type: %d %s", st, body)
	}
	// Without JavaScript: a PDF posted as the video, then as a download.
	pdf := []byte("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
	raw, ct := lessonFileForm(map[string]string{"_csrf": e.csrfToken(), "kind": "video"}, "slides.pdf", pdf)
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files", Cookies: owner, CSRF: true, Raw: raw, ContentType: ct}); st != 422 || !strings.Contains(body, "a lesson video must be a .mp4 or .webm file") {
		t.Errorf("pdf as video: %d", st)
	}
	raw, ct = lessonFileForm(map[string]string{"_csrf": e.csrfToken(), "kind": "download"}, "evil.pdf", []byte("<html><script>alert(1)</script></html>"))
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files", Cookies: owner, CSRF: true, Raw: raw, ContentType: ct}); st != 422 || !strings.Contains(body, "HTML or XML") {
		t.Errorf("html as pdf: %d", st)
	}
	raw, ct = lessonFileForm(map[string]string{"_csrf": e.csrfToken(), "kind": "download"}, "slides.pdf", pdf)
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: edit + "/files", Cookies: owner, CSRF: true, Raw: raw, ContentType: ct}); st != 303 {
		t.Fatalf("pdf download: %d", st)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/learn/lessons/" + strconv.FormatInt(lesson.ID, 10), Cookies: member})
	if st != 200 || !strings.Contains(body, `id="lesson-files"`) || !strings.Contains(body, "slides.pdf") {
		t.Fatalf("lesson lists the download: %d", st)
	}
	files, err := e.App.Courses.LessonFiles(ctxA, a.Course.ID, lesson.ID)
	if err != nil || len(files) != 2 || files[0].Kind != courses.FileVideo || files[1].Name != "slides.pdf" {
		t.Fatalf("files %+v %v", files, err)
	}
	st, body, resp = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/learn/files/" + strconv.FormatInt(files[1].ID, 10), Cookies: member})
	if st != 200 || body != string(pdf) || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %d %v", st, resp.Header)
	}

	// The API: a WebM video in chunks replaces the MP4; list; delete.
	webm := append([]byte("\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04\x42\xf3\x81\x08\x42\x82\x84webm"), bytes.Repeat([]byte{7}, 3000)...)
	apiBase := fmt.Sprintf("/api/v1/courses/%d/lessons/%d", a.Course.ID, lesson.ID)
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: apiBase + "/uploads?kind=video&name=talk.webm&size=" + strconv.Itoa(len(webm)), Bearer: e.A.KeyWrite})
	if st != 201 || json.Unmarshal([]byte(body), &up) != nil {
		t.Fatalf("api start: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: apiBase + "/uploads/" + up.ID + "?offset=0", Bearer: e.A.KeyWrite, Raw: string(webm), ContentType: "application/octet-stream"}); st != 200 {
		t.Fatalf("api chunk: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: apiBase + "/uploads/" + up.ID + "/finish", Bearer: e.A.KeyWrite})
	var made struct {
		Data struct {
			ID          int64
			ContentType string `json:"content_type"`
			Kind        string
		}
	}
	if st != 201 || json.Unmarshal([]byte(body), &made) != nil || made.Data.ContentType != "video/webm" || made.Data.Kind != "video" {
		t.Fatalf("api finish: %d %s", st, body)
	}
	st, body, _ = e.do(treq{Host: ui.HostPortal, Method: "GET", Path: apiBase + "/files", Bearer: e.A.KeyRead})
	if st != 200 || strings.Contains(body, "intro.mp4") || !strings.Contains(body, "talk.webm") || !strings.Contains(body, "slides.pdf") {
		t.Errorf("api list (one video): %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: apiBase + "/uploads?kind=audio&name=a.mp3&size=10", Bearer: e.A.KeyWrite}); st != 400 || !strings.Contains(body, `"field":"kind"`) {
		t.Errorf("api bad kind: %d %s", st, body)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "DELETE", Path: fmt.Sprintf("%s/files/%d", apiBase, made.Data.ID), Bearer: e.A.KeyWrite}); st != 204 {
		t.Errorf("api delete: %d", st)
	}
	if st, _, _ := get(nil, member); st != 404 {
		t.Errorf("replaced video still served: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/learn/files/" + strconv.FormatInt(made.Data.ID, 10), Cookies: member}); st != 404 {
		t.Errorf("deleted video still served: %d", st)
	}
}

func TestParseRange(t *testing.T) {
	for _, c := range []struct {
		h           string
		size        int64
		want        web.ByteRange
		ok, satisfy bool
	}{
		{"bytes=0-9", 100, web.ByteRange{Start: 0, Length: 10}, true, true},
		{"bytes=90-", 100, web.ByteRange{Start: 90, Length: 10}, true, true},
		{"bytes=-10", 100, web.ByteRange{Start: 90, Length: 10}, true, true},
		{"bytes=-1000", 100, web.ByteRange{Start: 0, Length: 100}, true, true},
		{"bytes=50-1000", 100, web.ByteRange{Start: 50, Length: 50}, true, true},
		{"bytes=100-", 100, web.ByteRange{}, true, false},
		{"bytes=-0", 100, web.ByteRange{}, true, false},
		{"bytes=0-1,5-6", 100, web.ByteRange{}, false, true}, // several: the whole file
		{"items=0-1", 100, web.ByteRange{}, false, true},
		{"bytes=9-1", 100, web.ByteRange{}, false, true},
		{"bytes=x-", 100, web.ByteRange{}, false, true},
	} {
		got, ok, sat := web.ParseRange(c.h, c.size)
		if got != c.want || ok != c.ok || sat != c.satisfy {
			t.Errorf("%q: %+v %v %v, want %+v %v %v", c.h, got, ok, sat, c.want, c.ok, c.satisfy)
		}
	}
}

// courseFileContractCalls are the lesson files API's contract requests
// on tenant A's first lesson: a started upload for the chunk, a complete
// one for the finish, a file to delete.
func (e *tenantEnv) courseFileContractCalls(calls map[string]contractCall, uploads map[string]treq, rk, wk string) {
	a := e.courseFixture(e.A.T, e.A.Owner)
	base := fmt.Sprintf("/api/v1/courses/%d/lessons/%d", a.Course.ID, a.Lessons[0].ID)
	start := func() string {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: base + "/uploads?kind=download&name=notes.txt&size=10", Bearer: wk})
		var u struct{ ID string }
		if st != 201 || json.Unmarshal([]byte(body), &u) != nil {
			e.t.Fatalf("contract upload: %d %s", st, body)
		}
		return u.ID
	}
	chunk := func(id string) treq {
		return treq{Host: ui.HostPortal, Method: "POST", Path: base + "/uploads/" + id + "?offset=0", Bearer: wk, Raw: "0123456789", ContentType: "application/octet-stream"}
	}
	appendUp, finishUp := start(), start()
	if st, body, _ := e.do(chunk(finishUp)); st != 200 {
		e.t.Fatalf("contract chunk: %d %s", st, body)
	}
	ctx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner)
	f, err := e.App.Courses.AddLessonFileBytes(ctx, a.Course.ID, a.Lessons[0].ID, courses.FileDownload, "old.txt", []byte("old notes"))
	if err != nil {
		e.t.Fatal(err)
	}
	calls["getCoursesIdLessonsLessonFiles"] = contractCall{ui.HostPortal, "GET", base + "/files", rk, "", 200}
	calls["postCoursesIdLessonsLessonUploads"] = contractCall{ui.HostPortal, "POST", base + "/uploads?kind=video&name=talk.mp4&size=1000", wk, "", 201}
	calls["postCoursesIdLessonsLessonUploadsUpload"] = contractCall{ui.HostPortal, "POST", base + "/uploads/" + appendUp + "?offset=0", wk, "", 200}
	uploads["postCoursesIdLessonsLessonUploadsUpload"] = chunk(appendUp)
	calls["postCoursesIdLessonsLessonUploadsUploadFinish"] = contractCall{ui.HostPortal, "POST", base + "/uploads/" + finishUp + "/finish", wk, "", 201}
	calls["deleteCoursesIdLessonsLessonFilesFile"] = contractCall{ui.HostPortal, "DELETE", fmt.Sprintf("%s/files/%d", base, f.ID), wk, "", 204}
}
