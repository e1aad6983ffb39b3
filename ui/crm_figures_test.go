package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	crmui "orengen/ui/crm"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
)

// TestCRMFigures measures a 100,000-row streamed CSV import and the
// people list API under 32 concurrent clients over loopback. It is a
// measurement, not a check, so it runs only when asked:
//
//	go test -tags sqlite_fts5 -c -o /tmp/ui.test ./ui
//	ORENGEN_BENCH_CRM=1 /usr/bin/time -v /tmp/ui.test -test.run TestCRMFigures -test.v
//
// ORENGEN_BENCH_CRM_ROWS changes the row count; ORENGEN_BENCH_CRM_CHUNKED=1
// sends the file through the chunked web upload first.
func TestCRMFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_CRM") == "" {
		t.Skip("set ORENGEN_BENCH_CRM=1 to measure the CRM import and list API")
	}
	rows := 100000
	if n, err := strconv.Atoi(os.Getenv("ORENGEN_BENCH_CRM_ROWS")); err == nil {
		rows = n
	}
	e := newTenantEnv(t)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	imp := e.Server.CRM.Imports

	// The file, written as a stream (Twenty-style headers).
	path := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintln(f, "Name / First Name,Name / Last Name,Emails / Primary Email,Phones / Primary Phone Number,Job Title,Company,City")
	for i := range rows {
		fmt.Fprintf(f, "First%d,Last%d,p%d@bulk.test,+1512%03d%04d,Engineer,Company %d,Austin\n", i, i, i, 200+i/10000, i%10000, i%500)
	}
	f.Close()
	fi, _ := os.Stat(path)
	header := []string{"Name / First Name", "Name / Last Name", "Emails / Primary Email", "Phones / Primary Phone Number", "Job Title", "Company", "City"}
	j := &app.ImportJob{Object: app.RecordPerson, FileName: "big.csv", Path: path, Header: header, Mapping: app.AutoMap(app.RecordPerson, header, nil), Dedupe: app.DedupeSkip}
	if os.Getenv("ORENGEN_BENCH_CRM_CHUNKED") != "" {
		// The web path for files above the body limit: the file goes up
		// in upload.js's chunks through the real handlers and becomes the
		// job's file.
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		id := e.newUpload(e.A.Cookie, app.RecordPerson, "big.csv", len(data))
		for off := 0; off < len(data); off += crmui.UploadChunkSize {
			if st, body := e.postChunk(e.A.Cookie, fmt.Sprintf("/crm/imports/upload/%s?offset=%d", id, off), data[off:min(off+crmui.UploadChunkSize, len(data))]); st != 200 {
				t.Fatalf("chunk at %d: %d %s", off, st, body)
			}
		}
		st, body := e.postChunk(e.A.Cookie, "/crm/imports/upload/"+id+"/finish", nil)
		var fin struct{ Job int64 }
		if err := json.Unmarshal([]byte(body), &fin); st != 200 || err != nil {
			t.Fatalf("finish: %d %s", st, body)
		}
		t.Logf("chunked upload: %.1f MB in %d chunks of %d KiB in %s", float64(len(data))/1e6, (len(data)+crmui.UploadChunkSize-1)/crmui.UploadChunkSize, crmui.UploadChunkSize>>10, time.Since(start).Round(time.Millisecond))
		if j, err = imp.FindImportJob(ctx, fin.Job); err != nil {
			t.Fatal(err)
		}
	} else if err := imp.CreateImportJob(ctx, j); err != nil {
		t.Fatal(err)
	}
	j.Status = app.ImportRunning
	var ms runtime.MemStats
	start := time.Now()
	if err := e.Server.CRM.RunImport(ctx, j, &app.ImportContext{Object: j.Object, Mapping: j.Mapping}); err != nil || j.Status != app.ImportDone || j.Created != rows {
		t.Fatalf("import: %v %+v", err, j)
	}
	took := time.Since(start)
	runtime.ReadMemStats(&ms)
	t.Logf("import: %d rows (%.1f MB file) in %.1f s = %.0f rows/s; Go heap in use after %.1f MB, Sys %.1f MB",
		rows, float64(fi.Size())/1e6, took.Seconds(), float64(rows)/took.Seconds(), float64(ms.HeapInuse)/1e6, float64(ms.Sys)/1e6)

	// The list API over loopback: 32 clients, 10 s, first page of 50.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go e.Server.Serve(ln)
	defer e.Server.Shutdown(context.Background())
	url := "http://" + ln.Addr().String() + "/api/v1/people?limit=50"
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	client := &http.Client{Transport: tr}
	var n, bad atomic.Int64
	var wg sync.WaitGroup
	deadline := time.Now().Add(10 * time.Second)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				req, _ := http.NewRequest("GET", url, nil)
				req.Host = "app.localhost"
				req.Header.Set("Authorization", "Bearer "+e.A.KeyRead)
				resp, err := client.Do(req)
				if err != nil {
					bad.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					bad.Add(1)
					continue
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	t.Logf("list API: %d requests in 10 s = %.0f req/s at 32 clients (%d failed)", n.Load(), float64(n.Load())/10, bad.Load())
	if bad.Load() > 0 {
		t.Errorf("%d requests failed", bad.Load())
	}
}
