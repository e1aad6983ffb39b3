package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"
)

// TestClaimRun_FlatWithBacklog: claiming a run costs about the same with
// a few runs in the table as with a backlog of 40,000 queued (not yet
// due) and 40,000 finished ones. Each claim used to scan the whole table,
// so a backlog slowed every claim, and every write queued behind it on
// the single write connection.
func TestClaimRun_FlatWithBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds an 80,000-run table")
	}
	small, large := newClaimDB(t, 100), newClaimDB(t, 40000)
	// Rounds of 100 claims, alternating, the fastest round of each: other
	// work on the machine slows a round, never speeds one up.
	var bestSmall, bestLarge time.Duration
	for round := 0; round < 5; round++ {
		s, l := small.claim(t, round), large.claim(t, round)
		if round == 0 || s < bestSmall {
			bestSmall = s
		}
		if round == 0 || l < bestLarge {
			bestLarge = l
		}
	}
	t.Logf("100 claims: %v with 200 runs in the table, %v with 80,200", bestSmall, bestLarge)
	if bestLarge > 5*bestSmall {
		t.Errorf("claims with a backlog took %.1f× as long as without (want about the same)", float64(bestLarge)/float64(bestSmall))
	}
	for _, c := range []*claimDB{small, large} {
		if r, err := c.ws.ClaimRun(context.Background(), "one-more", time.Minute); err != nil || r != nil {
			t.Fatalf("a run not yet due was claimed: %+v %v", r, err)
		}
	}
}

type claimDB struct{ ws *store.WorkflowStore }

// newClaimDB fills a database with n future runs and n finished ones,
// plus 500 due runs to claim.
func newClaimDB(t *testing.T, n int) *claimDB {
	db := MustOpenDB(t)
	ws := store.NewWorkflowStore(db)
	wf := app.LeadCaptureWorkflow()
	wf.Enabled = true
	if _, err := ws.SeedWorkflow(context.Background(), wf); err != nil {
		t.Fatal(err)
	}
	now := db.Now()
	due, later := store.FormatTime(now.Add(-time.Minute)), store.FormatTime(now.Add(time.Hour))
	err := db.Update(context.Background(), func(tx *store.Tx) error {
		for _, r := range []struct {
			n            int
			status, next string
		}{{n, "succeeded", due}, {n, "queued", later}, {500, "queued", due}} {
			if _, err := tx.Exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?)
				INSERT INTO runs (tenant_id, workflow_id, version_id, status, next_attempt_at, created_at, updated_at)
				SELECT 1, w.id, w.version_id, ?, ?, ?, ? FROM c, workflows w WHERE w.seed = 'lead-capture'`, r.n, r.status, r.next, due, due); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return &claimDB{ws: ws}
}

// claim times 100 claims; each must get a due run.
func (c *claimDB) claim(t *testing.T, round int) time.Duration {
	t0 := time.Now()
	for i := 0; i < 100; i++ {
		r, err := c.ws.ClaimRun(context.Background(), fmt.Sprint("tok", round, "-", i), time.Minute)
		if err != nil || r == nil {
			t.Fatalf("claim %d of round %d: %v %v", i, round, r, err)
		}
	}
	return time.Since(t0)
}
