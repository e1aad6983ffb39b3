package store

import (
	"context"
	"fmt"

	"orengen/app"
)

// Queues reads the depth of the outgoing work queues for metrics.
type Queues struct{ db *DB }

// NewQueues returns the queue reader of db.
func NewQueues(db *DB) *Queues { return &Queues{db: db} }

var _ app.QueueDepths = (*Queues)(nil)

// QueueDepths implements app.QueueDepths: workflow runs not finished
// (queued, running or waiting) and webhook deliveries not yet delivered or
// given up (pending or being sent), all tenants. Each count is answered
// from a partial or status index.
func (q *Queues) QueueDepths(ctx context.Context) (map[string]int, error) {
	var runs, deliveries int
	err := q.db.read.QueryRowContext(ctx, `SELECT
		(SELECT count(*) FROM runs WHERE status IN ('queued', 'waiting')) + (SELECT count(*) FROM runs WHERE status = 'running'),
		(SELECT count(*) FROM webhook_deliveries WHERE status IN ('pending', 'sending'))`).Scan(&runs, &deliveries)
	if err != nil {
		return nil, fmt.Errorf("queue depths: %w", err)
	}
	return map[string]int{"workflow_runs": runs, "webhook_deliveries": deliveries}, nil
}
