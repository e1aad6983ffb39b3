package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// WorkflowStore implements app.WorkflowStore: workflows, their versions,
// form submissions and the run queue. Every write goes through the single
// write connection, so claiming a run is one atomic UPDATE ... RETURNING.
type WorkflowStore struct {
	db *DB
}

var _ app.WorkflowStore = (*WorkflowStore)(nil)

// NewWorkflowStore returns a WorkflowStore on db.
func NewWorkflowStore(db *DB) *WorkflowStore { return &WorkflowStore{db: db} }

// insertLead adds the submission to the tenant's lead inbox: one row per
// inquiry, each with its own message (the CRM person is the deduplicated
// contact).
func insertLead(ctx context.Context, tx *Tx, in *app.ContactInput) (int64, error) {
	now := FormatTime(tx.now)
	res, err := tx.ExecContext(ctx, `INSERT INTO leads (tenant_id, first_name, last_name, email, phone, phone_norm, company, message, source, ip, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.TenantID, in.FirstName, in.LastName, in.Email, in.Phone, app.PhoneDigits(in.Phone), in.Company, in.Message, in.Source, in.IP, now, now)
	if err != nil {
		return 0, fmt.Errorf("add lead: %w", err)
	}
	if err := countDaily(ctx, tx, "leads", in.TenantID, now, in.Source, 1); err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// CaptureSubmission implements app.WorkflowStore. Submissions that arrive
// while the writer is busy commit together (DB.Group): a bad one rolls
// back alone and the others go in, and every caller returns only after the
// commit that holds its submission.
func (s *WorkflowStore) CaptureSubmission(ctx context.Context, sub *app.Submission) error {
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error { return captureSubmission(ctx, tx, sub) })
}

// captureSubmission writes one submission in tx: the lead, the CRM person
// (with a form entry in its timeline), the submission and its runs.
func captureSubmission(ctx context.Context, tx *Tx, sub *app.Submission) error {
	sub.Contact.TenantID = sub.TenantID
	leadID, err := insertLead(ctx, tx, &sub.Contact)
	if err != nil {
		return err
	}
	if sub.Contact.Actor == "" {
		sub.Contact.Actor = "form:" + sub.Form
	}
	cctx := app.NewContextWithActor(ctx, sub.Contact.Actor)
	if sub.ContactID, _, err = upsertPerson(cctx, tx, &sub.Contact); err != nil {
		return err
	}
	payload, _ := json.Marshal(sub.Payload)
	now := FormatTime(tx.now)
	res, err := tx.ExecContext(ctx, `INSERT INTO form_submissions (tenant_id, form, lead_id, person_id, payload, ip, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		sub.TenantID, sub.Form, leadID, sub.ContactID, string(payload), sub.Contact.IP, now)
	if err != nil {
		return FormatError(err, "Submission already exists.")
	}
	if sub.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	e := timeline(cctx, tx, sub.TenantID, app.RecordPerson, sub.ContactID, app.TimelineForm)
	e.Body, e.RefType, e.RefID = submissionSummary(sub), "submission", sub.ID
	if err := AddTimelineEntryTx(cctx, tx, e); err != nil {
		return err
	}
	sub.CreatedAt = tx.now
	// The form workflows first, then one plain insert per run: an
	// INSERT ... SELECT costs several times more on this hot path. They are
	// put in id order here: an ORDER BY id made the query cost 20 µs
	// instead of 6 on every submission, for the few rows of one tenant.
	type wv struct{ w, v int64 }
	var ws []wv
	err = tx.queryAll(ctx, `SELECT id, version_id FROM workflows
		WHERE tenant_id = ? AND trigger = ? AND enabled = 1 AND form_filter IN ('', ?, ?)`,
		[]any{sub.TenantID, app.TriggerFormSubmitted, sub.Form, sub.Payload["form_id"]}, func(rows *sql.Rows) error {
			var x wv
			ws = append(ws, x)
			return rows.Scan(&ws[len(ws)-1].w, &ws[len(ws)-1].v)
		})
	if err != nil {
		return fmt.Errorf("find form workflows: %w", err)
	}
	slices.SortFunc(ws, func(a, b wv) int { return cmp.Compare(a.w, b.w) })
	sub.RunIDs = sub.RunIDs[:0]
	for _, x := range ws {
		res, err := tx.ExecContext(ctx, `INSERT INTO runs (tenant_id, workflow_id, version_id, submission_id, status, next_attempt_at, payload, contact_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?, ?)`, sub.TenantID, x.w, x.v, sub.ID, now, string(payload), sub.ContactID, now, now)
		if err != nil {
			return fmt.Errorf("enqueue run: %w", err)
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		sub.RunIDs = append(sub.RunIDs, id)
	}
	return countDaily(ctx, tx, "runs", sub.TenantID, now, "queued", len(ws))
}

const workflowColumns = `w.id, w.tenant_id, w.name, w.trigger, w.enabled, w.version, w.seed, w.created_at, w.updated_at, v.id, v.definition`

func scanWorkflow(row interface{ Scan(...any) error }) (*app.Workflow, error) {
	var w app.Workflow
	var def string
	if err := row.Scan(&w.ID, &w.TenantID, &w.Name, &w.Trigger, &w.Enabled, &w.Version, &w.Seed, Time{&w.CreatedAt}, Time{&w.UpdatedAt}, &w.VersionID, &def); err != nil {
		return nil, err
	}
	w.Definition = &app.Definition{}
	if err := json.Unmarshal([]byte(def), w.Definition); err != nil {
		return nil, fmt.Errorf("workflow %d: definition: %w", w.ID, err)
	}
	return &w, nil
}

// FindWorkflows returns the tenant's workflows (every tenant's for 0).
func (s *WorkflowStore) FindWorkflows(ctx context.Context, tenantID int64) ([]*app.Workflow, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+workflowColumns+` FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
		WHERE ? = 0 OR w.tenant_id = ? ORDER BY w.tenant_id, w.name, w.id`, tenantID, tenantID)
	if err != nil {
		return nil, fmt.Errorf("find workflows: %w", err)
	}
	return scanAll(rows, scanWorkflow)
}

// FindWorkflow returns ENOTFOUND for an unknown id.
func (s *WorkflowStore) FindWorkflow(ctx context.Context, id int64) (*app.Workflow, error) {
	w, err := scanWorkflow(s.db.read.QueryRowContext(ctx, `SELECT `+workflowColumns+` FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version WHERE w.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Workflow not found.")
	}
	return w, err
}

// SaveWorkflow validates w and creates it, or stores its definition as a
// new version (runs in flight keep theirs).
func (s *WorkflowStore) SaveWorkflow(ctx context.Context, w *app.Workflow) error {
	if err := w.Validate(); err != nil {
		return err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := saveWorkflow(ctx, tx, w); err != nil {
		return err
	}
	return tx.Commit()
}

func saveWorkflow(ctx context.Context, tx *Tx, w *app.Workflow) error {
	def, err := json.Marshal(w.Definition)
	if err != nil {
		return err
	}
	now := FormatTime(tx.now)
	oldTrigger := ""
	if w.ID != 0 {
		if err := tx.QueryRowContext(ctx, `SELECT trigger FROM workflows WHERE id = ? AND tenant_id = ?`, w.ID, w.TenantID).Scan(&oldTrigger); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("update workflow: %w", err)
		}
	}
	if w.ID == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO workflows (tenant_id, name, trigger, enabled, version, seed, form_filter, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`,
			w.TenantID, w.Name, w.Trigger, w.Enabled, w.Seed, w.WhenOf().Form, now, now)
		if err != nil {
			return FormatError(err, "That workflow already exists.")
		}
		if w.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		w.Version, w.CreatedAt = 1, tx.now
	} else {
		err := tx.QueryRowContext(ctx, `UPDATE workflows SET name = ?, trigger = ?, version = version + 1, next_fire_at = NULL, form_filter = ?, updated_at = ? WHERE id = ? AND tenant_id = ? RETURNING version`,
			w.Name, w.Trigger, w.WhenOf().Form, now, w.ID, w.TenantID).Scan(&w.Version)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Workflow not found.")
		} else if err != nil {
			return fmt.Errorf("update workflow: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO workflow_versions (workflow_id, version, definition, created_at) VALUES (?, ?, ?, ?)`, w.ID, w.Version, string(def), now)
	if err != nil {
		return fmt.Errorf("save workflow version: %w", err)
	}
	if w.VersionID, err = res.LastInsertId(); err != nil {
		return err
	}
	w.UpdatedAt = tx.now
	if _, err = tx.ExecContext(ctx, `UPDATE workflows SET version_id = ? WHERE id = ?`, w.VersionID, w.ID); err != nil {
		return err
	}
	if w.Trigger == app.TriggerAppointmentStartsSoon || oldTrigger == app.TriggerAppointmentStartsSoon {
		return syncStartsSoon(ctx, tx, w.TenantID)
	}
	return nil
}

// SeedWorkflow creates w unless the tenant already has the seed w.Seed.
// It reports whether it created it. Returns EINVALID for an invalid w it
// would create; w is validated only then: serve seeds at every start, and
// validating (its steps' templates parsed) took most of a restart's
// seeding for a workflow it never wrote.
func (s *WorkflowStore) SeedWorkflow(ctx context.Context, w *app.Workflow) (bool, error) {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM workflows WHERE tenant_id = ? AND seed = ?`, w.TenantID, w.Seed).Scan(&n); err != nil || n > 0 {
		return false, err
	}
	if err := w.Validate(); err != nil {
		return false, err
	}
	if err := saveWorkflow(ctx, tx, w); err != nil {
		return false, err
	}
	return true, tx.Commit()
}

// SetWorkflowEnabled turns a workflow on or off (a "starts in N minutes"
// workflow's reminders for upcoming bookings with it, in one transaction).
func (s *WorkflowStore) SetWorkflowEnabled(ctx context.Context, id int64, enabled bool) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		var tenantID int64
		var trigger string
		err := tx.QueryRowContext(ctx, `UPDATE workflows SET enabled = ?, updated_at = ? WHERE id = ? RETURNING tenant_id, trigger`,
			enabled, FormatTime(tx.now), id).Scan(&tenantID, &trigger)
		if errors.Is(err, sql.ErrNoRows) {
			return app.Errorf(app.ENOTFOUND, "Workflow not found.")
		} else if err != nil {
			return fmt.Errorf("enable workflow: %w", err)
		}
		if trigger == app.TriggerAppointmentStartsSoon {
			return syncStartsSoon(ctx, tx, tenantID)
		}
		return nil
	})
}

// ClaimRun implements app.WorkflowStore: one UPDATE ... RETURNING in the
// write transaction, so two workers never get the same run. Like every
// write of a worker it goes through the group commit (DB.Group), so the
// workers' small writes share commits with lead captures.
func (s *WorkflowStore) ClaimRun(ctx context.Context, token string, lease time.Duration) (*app.Run, error) {
	var r app.Run
	var payload string
	found := false
	err := s.db.Group(ctx, func(ctx context.Context, tx *Tx) error {
		now := tx.now
		// Each candidate is one step down its partial index (the earliest due
		// run, the earliest expired lease), so a claim costs the same with
		// 100 runs queued or 100,000. Asked as one UNION ALL ... ORDER BY id,
		// SQLite scanned the whole table for every claim, and a backlog made
		// every claim, and so every write queued behind it, slower.
		err := tx.QueryRowContext(ctx, `UPDATE runs SET status = 'running', claim_token = ?, lease_until = ?, updated_at = ?
		WHERE id = (SELECT min(id) FROM (
			SELECT id FROM (SELECT id FROM runs WHERE status IN ('queued', 'waiting') AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT 1)
			UNION ALL SELECT id FROM (SELECT id FROM runs WHERE status = 'running' AND lease_until < ? ORDER BY lease_until LIMIT 1)))
		RETURNING id, tenant_id, workflow_id, version_id, step_index, attempts, payload, contact_id, deal_id, created_at`,
			token, FormatTime(now.Add(lease)), FormatTime(now), FormatTime(now), FormatTime(now)).
			Scan(&r.ID, &r.TenantID, &r.WorkflowID, &r.VersionID, &r.StepIndex, &r.Attempts, &payload, &r.ContactID, &r.DealID, Time{&r.CreatedAt})
		found = err == nil
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim run: %w", err)
	} else if !found {
		return nil, nil
	}
	r.Status = app.RunRunning
	_ = json.Unmarshal([]byte(payload), &r.Payload)
	if err := s.loadDefinition(ctx, &r); err != nil {
		return nil, err
	}
	return &r, nil
}

func (s *WorkflowStore) loadDefinition(ctx context.Context, r *app.Run) error {
	var def string
	if err := s.db.read.QueryRowContext(ctx, `SELECT v.definition, v.version, w.name FROM workflow_versions v JOIN workflows w ON w.id = v.workflow_id WHERE v.id = ?`, r.VersionID).
		Scan(&def, &r.Version, &r.WorkflowName); err != nil {
		return fmt.Errorf("run %d: load workflow version: %w", r.ID, err)
	}
	r.Definition = &app.Definition{}
	return json.Unmarshal([]byte(def), r.Definition)
}

const runStepColumns = `id, run_id, step_index, step_id, type, status, input, output, error, attempt, idempotency_key, provider_id, started_at, finished_at`

func scanRunStep(row interface{ Scan(...any) error }) (*app.RunStep, error) {
	var rs app.RunStep
	err := row.Scan(&rs.ID, &rs.RunID, &rs.StepIndex, &rs.StepID, &rs.Type, &rs.Status, &rs.Input, &rs.Output, &rs.Error, &rs.Attempt,
		&rs.IdempotencyKey, &rs.ProviderID, Time{&rs.StartedAt}, timePtr{&rs.FinishedAt})
	return &rs, err
}

// FindRunStep returns ENOTFOUND when the step never started.
func (s *WorkflowStore) FindRunStep(ctx context.Context, runID int64, index int) (*app.RunStep, error) {
	// The read pool: the row may have been written a moment ago by this
	// worker, and the decision to resend depends on it, but each of the
	// worker's writes returned after its commit, which a new read sees.
	rs, err := scanRunStep(s.db.read.QueryRowContext(ctx, `SELECT `+runStepColumns+` FROM run_steps WHERE run_id = ? AND step_index = ?`, runID, index))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Step not started.")
	}
	return rs, err
}

func holdRun(ctx context.Context, tx *Tx, token string, runID int64) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM runs WHERE id = ? AND claim_token = ? AND status = 'running'`, runID, token).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return app.Errorf(app.ECONFLICT, "Run %d is no longer held by this worker (its lease ended).", runID)
	}
	return nil
}

func upsertRunStep(ctx context.Context, tx *Tx, rs *app.RunStep, finished bool) error {
	var fin any
	if finished {
		fin = FormatTime(tx.now)
	}
	if rs.StartedAt.IsZero() {
		rs.StartedAt = tx.now
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO run_steps (run_id, step_index, step_id, type, status, input, output, error, attempt, idempotency_key, provider_id, started_at, finished_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (run_id, step_index) DO UPDATE SET status = excluded.status, input = CASE WHEN excluded.input <> '' THEN excluded.input ELSE input END,
			output = excluded.output, error = excluded.error, attempt = excluded.attempt,
			provider_id = CASE WHEN excluded.provider_id <> '' THEN excluded.provider_id ELSE provider_id END,
			started_at = excluded.started_at, finished_at = excluded.finished_at`,
		rs.RunID, rs.StepIndex, rs.StepID, rs.Type, rs.Status, rs.Input, rs.Output, rs.Error, rs.Attempt, rs.IdempotencyKey, rs.ProviderID,
		FormatTime(rs.StartedAt), fin)
	if err != nil {
		return fmt.Errorf("record step %s: %w", rs.StepID, err)
	}
	return nil
}

// StartStep implements app.WorkflowStore.
func (s *WorkflowStore) StartStep(ctx context.Context, token string, rs *app.RunStep, leaseUntil time.Time) error {
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error {
		if err := holdRun(ctx, tx, token, rs.RunID); err != nil {
			return err
		}
		rs.Status, rs.Error, rs.Output = app.StepStarted, "", ""
		if err := upsertRunStep(ctx, tx, rs, false); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE runs SET lease_until = ?, attempts = ?, updated_at = ? WHERE id = ?`, FormatTime(leaseUntil), rs.Attempt, FormatTime(tx.now), rs.RunID)
		return err
	})
}

// FinishStep implements app.WorkflowStore.
func (s *WorkflowStore) FinishStep(ctx context.Context, token string, rs *app.RunStep, next app.RunAdvance) error {
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error {
		if err := holdRun(ctx, tx, token, rs.RunID); err != nil {
			return err
		}
		if rs.Type != "end" {
			rs.Status = app.StepSucceeded
			if err := upsertRunStep(ctx, tx, rs, true); err != nil {
				return err
			}
		}
		at := tx.now
		if !next.At.IsZero() {
			at = next.At
		}
		var tok, lease any = token, "keep"
		if next.Status != app.RunRunning {
			tok, lease = nil, nil
		}
		_, err := tx.ExecContext(ctx, `UPDATE runs SET step_index = ?, status = ?, next_attempt_at = ?, attempts = 0, error = '',
		contact_id = CASE WHEN ? <> 0 THEN ? ELSE contact_id END, deal_id = CASE WHEN ? <> 0 THEN ? ELSE deal_id END,
		claim_token = ?, lease_until = CASE WHEN ? IS NULL THEN NULL ELSE lease_until END, updated_at = ? WHERE id = ?`,
			next.StepIndex, next.Status, FormatTime(at), next.ContactID, next.ContactID, next.DealID, next.DealID, tok, lease, FormatTime(tx.now), rs.RunID)
		if err != nil {
			return fmt.Errorf("advance run: %w", err)
		}
		return nil
	})
}

// FailStep implements app.WorkflowStore. An uncertain failure keeps the
// step 'started' so the next attempt reconciles before resending.
func (s *WorkflowStore) FailStep(ctx context.Context, token string, rs *app.RunStep, uncertain bool, retryAt *time.Time) error {
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error {
		if err := holdRun(ctx, tx, token, rs.RunID); err != nil {
			return err
		}
		rs.Status = app.StepFailed
		if uncertain {
			rs.Status = app.StepStarted
		}
		if err := upsertRunStep(ctx, tx, rs, true); err != nil {
			return err
		}
		status, at := app.RunFailed, tx.now
		if retryAt != nil {
			status, at = app.RunQueued, *retryAt
		}
		msg := fmt.Sprintf("step %s (attempt %d): %s", rs.StepID, rs.Attempt, rs.Error)
		_, err := tx.ExecContext(ctx, `UPDATE runs SET status = ?, next_attempt_at = ?, attempts = ?, error = ?, claim_token = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`,
			status, FormatTime(at), rs.Attempt, msg, FormatTime(tx.now), rs.RunID)
		return err
	})
}

// HoldRun implements app.WorkflowStore: the run waits at its step.
func (s *WorkflowStore) HoldRun(ctx context.Context, token string, runID int64, until time.Time, note string) error {
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error {
		if err := holdRun(ctx, tx, token, runID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'waiting', next_attempt_at = ?, error = ?, claim_token = NULL, lease_until = NULL, updated_at = ? WHERE id = ?`,
			FormatTime(until), note, FormatTime(tx.now), runID)
		return err
	})
}

// ReleaseRun implements app.WorkflowStore.
func (s *WorkflowStore) ReleaseRun(ctx context.Context, token string, runID int64) error {
	return s.db.Group(ctx, func(ctx context.Context, tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE runs SET status = 'queued', claim_token = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND claim_token = ? AND status = 'running'`,
			FormatTime(tx.now), runID, token)
		return err
	})
}

const runColumns = `r.id, r.tenant_id, r.workflow_id, w.name, r.version_id, v.version, r.status, r.step_index, r.attempts, r.next_attempt_at, r.lease_until, r.payload, r.contact_id, r.deal_id, r.error, r.created_at, r.updated_at`

func scanRun(row interface{ Scan(...any) error }) (*app.Run, error) {
	var r app.Run
	var payload string
	if err := row.Scan(&r.ID, &r.TenantID, &r.WorkflowID, &r.WorkflowName, &r.VersionID, &r.Version, &r.Status, &r.StepIndex, &r.Attempts,
		Time{&r.NextAttemptAt}, timePtr{&r.LeaseUntil}, &payload, &r.ContactID, &r.DealID, &r.Error, Time{&r.CreatedAt}, Time{&r.UpdatedAt}); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(payload), &r.Payload)
	return &r, nil
}

// FindRuns returns runs newest first.
func (s *WorkflowStore) FindRuns(ctx context.Context, f app.RunFilter) ([]*app.Run, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.TenantID != 0 {
		where, args = append(where, "r.tenant_id = ?"), append(args, f.TenantID)
	}
	if f.WorkflowID != 0 {
		where, args = append(where, "r.workflow_id = ?"), append(args, f.WorkflowID)
	}
	if f.ContactID != 0 {
		where, args = append(where, "r.contact_id = ?"), append(args, f.ContactID)
	}
	if f.Status != "" {
		where, args = append(where, "r.status = ?"), append(args, f.Status)
	}
	if f.Since != nil {
		where, args = append(where, "r.created_at >= ?"), append(args, FormatTime(*f.Since))
	}
	if f.Until != nil {
		where, args = append(where, "r.created_at < ?"), append(args, FormatTime(*f.Until))
	}
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+runColumns+` FROM runs r JOIN workflows w ON w.id = r.workflow_id JOIN workflow_versions v ON v.id = r.version_id
		WHERE `+strings.Join(where, " AND ")+` ORDER BY r.id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("find runs: %w", err)
	}
	return scanAll(rows, scanRun)
}

// FindRun returns a run with its definition and step log.
func (s *WorkflowStore) FindRun(ctx context.Context, id int64) (*app.Run, error) {
	r, err := scanRun(s.db.read.QueryRowContext(ctx, `SELECT `+runColumns+` FROM runs r JOIN workflows w ON w.id = r.workflow_id JOIN workflow_versions v ON v.id = r.version_id WHERE r.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Run not found.")
	} else if err != nil {
		return nil, err
	}
	if err := s.loadDefinition(ctx, r); err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+runStepColumns+` FROM run_steps WHERE run_id = ? ORDER BY step_index`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		rs, err := scanRunStep(rows)
		if err != nil {
			return nil, err
		}
		r.Steps = append(r.Steps, rs)
	}
	return r, rows.Err()
}

// ReplayRun implements app.WorkflowStore: the failed step runs again (its
// attempt count starts over; a send left uncertain is reconciled first).
func (s *WorkflowStore) ReplayRun(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var idx int
	err = tx.QueryRowContext(ctx, `UPDATE runs SET status = 'queued', next_attempt_at = ?, attempts = 0, error = '', updated_at = ? WHERE id = ? AND status = 'failed' RETURNING step_index`,
		FormatTime(tx.now), FormatTime(tx.now), id).Scan(&idx)
	if errors.Is(err, sql.ErrNoRows) {
		return app.Errorf(app.ECONFLICT, "Only a failed run can be replayed.")
	} else if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE run_steps SET attempt = 0 WHERE run_id = ? AND step_index = ? AND status <> 'succeeded'`, id, idx); err != nil {
		return err
	}
	return tx.Commit()
}

// RecordProviderStatus implements app.WorkflowStore.
func (s *WorkflowStore) RecordProviderStatus(ctx context.Context, key, providerID, status string) error {
	_, err := s.db.write.ExecContext(ctx, `UPDATE run_steps SET provider_status = ?, provider_id = CASE WHEN provider_id = '' THEN ? ELSE provider_id END WHERE idempotency_key = ?`,
		status, providerID, key)
	return err
}

// DeleteOldRuns implements app.WorkflowStore.
func (s *WorkflowStore) DeleteOldRuns(ctx context.Context, before time.Time, keep int) (int, error) {
	var n int64
	err := s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM runs WHERE status IN ('succeeded', 'failed') AND (created_at < ?
			OR id < (SELECT min(id) FROM (SELECT id FROM runs WHERE status IN ('succeeded', 'failed') ORDER BY id DESC LIMIT ?)))`, FormatTime(before), keep)
		if err != nil {
			return fmt.Errorf("delete old runs: %w", err)
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		// The raw inbound Twilio webhooks age out with the runs (what
		// matters of them is in the runs and the CRM timeline).
		_, err = tx.ExecContext(ctx, `DELETE FROM twilio_events WHERE created_at < ?`, FormatTime(before))
		return err
	})
	return int(n), err
}

// CreateTwilioEvent implements app.TwilioEventStore: the event and the
// runs it starts commit together, and a replay (same tenant and dedupe
// key) is ignored by the unique index.
func (s *WorkflowStore) CreateTwilioEvent(ctx context.Context, ev *app.TwilioEvent, trigger string, payload []byte) (bool, []int64, error) {
	b, _ := json.Marshal(ev.Params)
	var key any
	if k := ev.DedupeKey(); k != "" {
		key = k
	}
	var dup bool
	var ids []int64
	err := s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO twilio_events (tenant_id, kind, sid, from_number, to_number, body, payload, created_at, dedupe_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (tenant_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING`,
			ev.TenantID, ev.Kind, ev.SID, ev.From, ev.To, ev.Body, string(b), FormatTime(tx.now), key)
		if err != nil {
			return fmt.Errorf("record twilio event: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			dup = true
			return nil
		}
		if trigger == "" {
			return nil
		}
		ids, err = enqueueTrigger(ctx, tx, ev.TenantID, trigger, payload)
		return err
	})
	return dup, ids, err
}

// timePtr scans a nullable time column into a *time.Time field.
type timePtr struct{ p **time.Time }

func (t timePtr) Scan(v any) error {
	var n NullTime
	if err := n.Scan(v); err != nil {
		return err
	}
	*t.p = n.T
	return nil
}

// EnqueueTrigger queues a run of every enabled workflow of the tenant
// that has the trigger, with payload as its trigger fields, in one
// transaction, and returns the run IDs (none when no workflow listens).
func (s *WorkflowStore) EnqueueTrigger(ctx context.Context, tenantID int64, trigger string, payload []byte) ([]int64, error) {
	var ids []int64
	err := s.db.Update(ctx, func(tx *Tx) error {
		var err error
		ids, err = enqueueTrigger(ctx, tx, tenantID, trigger, payload)
		return err
	})
	return ids, err
}

// startsSoonMatch picks the appointment_starts_soon workflows a reminder
// is for: those whose when.minutes is the reminder's minutes_before, and
// those without minutes at the calendar's own reminders (the payload's
// default_reminder). Two payload arguments.
const startsSoonMatch = `(coalesce(json_extract(v.definition, '$.when.minutes'), 0) = CAST(json_extract(?, '$.minutes_before') AS INTEGER)
	OR (coalesce(json_extract(v.definition, '$.when.minutes'), 0) = 0 AND json_extract(?, '$.default_reminder') = 'true'))`

func enqueueTrigger(ctx context.Context, tx *Tx, tenantID int64, trigger string, payload []byte) ([]int64, error) {
	now := FormatTime(tx.now)
	filter, args := "", []any{now, string(payload), now, now, tenantID, trigger}
	if trigger == app.TriggerAppointmentStartsSoon {
		filter = " AND " + startsSoonMatch
		args = append(args, string(payload), string(payload))
	}
	rows, err := tx.QueryContext(ctx, `INSERT INTO runs (tenant_id, workflow_id, version_id, status, next_attempt_at, payload, contact_id, created_at, updated_at)
		SELECT w.tenant_id, w.id, v.id, 'queued', ?, ?, 0, ?, ?
		FROM workflows w JOIN workflow_versions v ON v.workflow_id = w.id AND v.version = w.version
		WHERE w.tenant_id = ? AND w.trigger = ? AND w.enabled = 1
		`+filter+`
		RETURNING id`, args...)
	if err != nil {
		return nil, fmt.Errorf("enqueue %s runs: %w", trigger, err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return ids, countDaily(ctx, tx, "runs", tenantID, now, "queued", len(ids))
}
