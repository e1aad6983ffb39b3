package billing_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/billing"
	"orengen/store"
)

// TestBillingCaptureFigures measures issue #23's "usage events recorded
// per second with lead capture unaffected": lead capture (form
// submissions stored with their CRM person and the workflow run, 8
// goroutines) alone, and again while one goroutine records usage events
// through billing.Service.Record as fast as it can, on the same
// database; alternating, three rounds of each, medians. It fails if a
// lead or a usage event is lost. ORENGEN_BENCH_BILLING=1 (make bench).
func TestBillingCaptureFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_BILLING") != "1" {
		t.Skip("figures: ORENGEN_BENCH_BILLING=1")
	}
	s, db, ts := openBilling(t)
	ctx := context.Background()
	wf := app.LeadCaptureWorkflow()
	wf.Enabled = true
	ws := store.NewWorkflowStore(db)
	if _, err := ws.SeedWorkflow(ctx, wf); err != nil {
		t.Fatal(err)
	}
	plan := &billing.Plan{Name: "Wallet", Interval: billing.Month, PriceMicros: 49_000_000, MarkupPct: 20, Wallet: true, Active: true}
	if err := s.CreatePlan(ctx, plan); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Assign(ctx, ts[0].ID, plan.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.TopUp(ctx, ts[0].ID, 1e12, "bench", ""); err != nil {
		t.Fatal(err)
	}
	var leads, events atomic.Int64
	capture := func() float64 {
		const writers, each = 8, 250
		t0 := time.Now()
		var wg sync.WaitGroup
		for range writers {
			wg.Go(func() {
				for range each {
					n := leads.Add(1)
					email := fmt.Sprintf("lead%d@example.com", n)
					sub := &app.Submission{TenantID: app.HouseTenantID, Form: "lead-capture",
						Contact: app.ContactInput{FirstName: "L", Email: email}, Payload: map[string]string{"firstName": "L", "email": email}}
					if err := sub.Contact.Validate(); err != nil {
						t.Error(err)
						return
					}
					if err := ws.CaptureSubmission(ctx, sub); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return writers * each / time.Since(t0).Seconds()
	}
	var alone, metered, rates []float64
	for range 3 {
		alone = append(alone, capture())
		stop := make(chan struct{})
		var bg sync.WaitGroup
		recorded := events.Load()
		t0 := time.Now()
		bg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				n := events.Add(1)
				if _, err := s.Record(ctx, &billing.Event{TenantID: ts[0].ID, Category: billing.SMS, Source: "bench", SourceID: fmt.Sprint(n), Quantity: 1}); err != nil {
					t.Error(err)
					return
				}
			}
		})
		metered = append(metered, capture())
		close(stop)
		bg.Wait()
		rates = append(rates, float64(events.Load()-recorded)/time.Since(t0).Seconds())
	}
	var nLeads, nEvents int64
	db.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM crm_people WHERE tenant_id = ? AND first_name = 'L'`, app.HouseTenantID).Scan(&nLeads)
	db.ReadDB().QueryRowContext(ctx, `SELECT count(*) FROM billing_usage_events WHERE tenant_id = ? AND source = 'bench'`, ts[0].ID).Scan(&nEvents)
	if nLeads != leads.Load() || nEvents != events.Load() {
		t.Fatalf("stored %d of %d leads and %d of %d usage events", nLeads, leads.Load(), nEvents, events.Load())
	}
	med := func(x []float64) float64 { y := slices.Clone(x); slices.Sort(y); return y[len(y)/2] }
	t.Logf("lead capture alone %.0f/s, with metering beside it %.0f/s (ratio %.2f); usage events recorded meanwhile %.0f/s (rounds: alone %.0f, metered %.0f, events %.0f)",
		med(alone), med(metered), med(metered)/med(alone), med(rates), alone, metered, rates)
}
