package store_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// TestCaptureFigures: form submissions per second in chunks of 10,000 as
// the database grows to 80,000 leads, 32 goroutines submitting (so group
// commit batches them) while one worker claims a run every ~2 ms, as the
// automation engine does while it falls behind. The rate should not
// fall as the tables (and the run backlog) grow; before issue 13 each
// claim scanned the whole runs table and the rate fell to 0.39× of the
// first chunk's by the eighth. Part of make bench (ORENGEN_BENCH_CAPTURE=1);
// it fails if a submission is lost or a run is not enqueued.
func TestCaptureFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_CAPTURE") != "1" {
		t.Skip("figures: set ORENGEN_BENCH_CAPTURE=1 (about a minute)")
	}
	db := MustOpenDB(t)
	db.Now = time.Now // leases and due times against the real clock
	ws := store.NewWorkflowStore(db)
	wf := app.LeadCaptureWorkflow()
	wf.Enabled = true
	if _, err := ws.SeedWorkflow(context.Background(), wf); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var claims atomic.Int64
	var claimer sync.WaitGroup
	claimer.Go(func() {
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			if r, err := ws.ClaimRun(context.Background(), "figures", time.Hour); err != nil {
				t.Error(err)
				return
			} else if r != nil {
				claims.Add(1)
			}
		}
	})
	const chunks, writers, each = 8, 32, 312 // 9,984 leads a chunk
	var seq atomic.Int64
	var first float64
	for chunk := 0; chunk < chunks; chunk++ {
		t0 := time.Now()
		var wg sync.WaitGroup
		for g := 0; g < writers; g++ {
			wg.Go(func() {
				for i := 0; i < each; i++ {
					n := seq.Add(1)
					email := fmt.Sprintf("f%d@example.com", n)
					sub := &app.Submission{TenantID: app.HouseTenantID, Form: "lead-capture",
						Contact: app.ContactInput{FirstName: "F", Email: email, Phone: fmt.Sprintf("+1512%07d", 2000000+n)},
						Payload: map[string]string{"firstName": "F", "email": email}}
					if err := sub.Contact.Validate(); err != nil {
						t.Error(err)
						return
					}
					if err := ws.CaptureSubmission(context.Background(), sub); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		rate := float64(writers*each) / time.Since(t0).Seconds()
		if chunk == 0 {
			first = rate
		}
		t.Logf("leads %6d–%6d: %5.0f submissions/s (%.2f× the first chunk), runs claimed so far %d",
			chunk*writers*each, (chunk+1)*writers*each, rate, rate/first, claims.Load())
	}
	close(stop)
	claimer.Wait()
	var subs, runs int
	db.ReadDB().QueryRow(`SELECT (SELECT count(*) FROM form_submissions), (SELECT count(*) FROM runs)`).Scan(&subs, &runs)
	if want := int(seq.Load()); subs != want || runs != want {
		t.Errorf("%d submissions captured, %d stored, %d runs enqueued", want, subs, runs)
	}
}
