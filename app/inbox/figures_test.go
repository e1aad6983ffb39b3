package inbox_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"orengen/app/inbox"
	"orengen/store"
)

// TestInboxFigures measures the inbox list (the default view: not
// closed, newest first, 50 rows) at 100,000 conversations of one tenant,
// against the same query at 1,000 in the same run. ORENGEN_BENCH_INBOX=1.
func TestInboxFigures(t *testing.T) {
	if os.Getenv("ORENGEN_BENCH_INBOX") != "1" {
		t.Skip("figures: ORENGEN_BENCH_INBOX=1")
	}
	e := newEnv(t)
	ctx := e.owner(e.tA)
	next := 0
	fill := func(n int) {
		if err := e.db.Update(context.Background(), func(tx *store.Tx) error {
			base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			for i := next; i < next+n; i++ {
				at := store.FormatTime(base.Add(time.Duration(i) * time.Minute))
				status := []string{"open", "pending", "closed", "open"}[i%4]
				if _, err := tx.Exec(`INSERT INTO inbox_conversations (tenant_id, channel, thread_key, address, status, last_message_at, last_preview, created_at, updated_at)
					VALUES (?, 'sms', ?, ?, ?, ?, 'hello', ?, ?)`, e.tA.ID, fmt.Sprintf("k%d", i), fmt.Sprintf("+1512555%04d", i%10000), status, at, at, at); err != nil {
					return err
				}
			}
			next += n
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	p50 := func() time.Duration {
		var ds []time.Duration
		for i := 0; i < 200; i++ {
			t0 := time.Now()
			cs, err := e.svc.Conversations(ctx, inbox.Filter{})
			if err != nil || len(cs) != 50 {
				t.Fatalf("%d rows %v", len(cs), err)
			}
			ds = append(ds, time.Since(t0))
		}
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	fill(1000)
	small := p50()
	fill(99000)
	big := p50()
	t.Logf("inbox list p50: %v at 100,000 conversations, %v at 1,000 (ratio %.1f)", big, small, float64(big)/float64(small))
}
