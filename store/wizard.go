package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"orengen/app"
)

// WizardStore implements app.WizardStore: runs of the new-client wizard
// (issue #22), one row each, with the inputs and results of its done
// steps as JSON.
type WizardStore struct{ db *DB }

var _ app.WizardStore = (*WizardStore)(nil)

// NewWizardStore returns a WizardStore on db.
func NewWizardStore(db *DB) *WizardStore { return &WizardStore{db: db} }

const wizardColumns = `id, COALESCE(tenant_id, 0), step, inputs, results, created_by, created_at, updated_at`

func scanWizard(row interface{ Scan(...any) error }) (*app.Wizard, error) {
	var w app.Wizard
	var inputs, results string
	if err := row.Scan(&w.ID, &w.TenantID, &w.Step, &inputs, &results, &w.CreatedBy, Time{&w.CreatedAt}, Time{&w.UpdatedAt}); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(inputs), &w.Inputs); err != nil {
		return nil, fmt.Errorf("wizard %d inputs: %w", w.ID, err)
	}
	if err := json.Unmarshal([]byte(results), &w.Results); err != nil {
		return nil, fmt.Errorf("wizard %d results: %w", w.ID, err)
	}
	if w.Inputs == nil {
		w.Inputs = map[string]map[string]string{}
	}
	if w.Results == nil {
		w.Results = map[string]map[string]string{}
	}
	return &w, nil
}

func findWizard(ctx context.Context, q queryer, id int64) (*app.Wizard, error) {
	w, err := scanWizard(q.QueryRowContext(ctx, `SELECT `+wizardColumns+` FROM tenant_wizards WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Wizard run not found.")
	} else if err != nil {
		return nil, fmt.Errorf("find wizard: %w", err)
	}
	return w, nil
}

// CreateWizard inserts a new run.
func (s *WizardStore) CreateWizard(ctx context.Context, w *app.Wizard) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		w.CreatedAt, w.UpdatedAt = tx.now, tx.now
		w.Inputs, w.Results = map[string]map[string]string{}, map[string]map[string]string{}
		res, err := tx.ExecContext(ctx, `INSERT INTO tenant_wizards (step, created_by, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			w.Step, w.CreatedBy, FormatTime(tx.now), FormatTime(tx.now))
		if err != nil {
			return fmt.Errorf("create wizard: %w", err)
		}
		w.ID, err = res.LastInsertId()
		return err
	})
}

// FindWizard returns ENOTFOUND.
func (s *WizardStore) FindWizard(ctx context.Context, id int64) (*app.Wizard, error) {
	return findWizard(ctx, s.db.read, id)
}

// FindWizards lists runs, newest first (at most 200).
func (s *WizardStore) FindWizards(ctx context.Context) ([]*app.Wizard, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+wizardColumns+` FROM tenant_wizards ORDER BY id DESC LIMIT 200`)
	if err != nil {
		return nil, fmt.Errorf("find wizards: %w", err)
	}
	defer rows.Close()
	var out []*app.Wizard
	for rows.Next() {
		w, err := scanWizard(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

// CreateWizardTenant creates the tenant and records the client step in
// one transaction. Returns ENOTFOUND or ECONFLICT.
func (s *WizardStore) CreateWizardTenant(ctx context.Context, id int64, t *app.Tenant, inputs map[string]string) (*app.Wizard, error) {
	var w *app.Wizard
	err := s.db.Update(ctx, func(tx *Tx) error {
		var err error
		if w, err = findWizard(ctx, tx, id); err != nil {
			return err
		}
		if w.Done(app.WizardClient) {
			return nil
		}
		if err := t.Validate(); err != nil {
			return err
		}
		if err := insertTenant(ctx, tx, t); err != nil {
			return err
		}
		w.TenantID = t.ID
		return saveWizardStep(ctx, tx, w, app.WizardClient, app.WizardOwner, inputs,
			map[string]string{"tenant_id": fmt.Sprint(t.ID), "slug": t.Slug, "name": t.Name})
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

// SaveWizardStep records a done step. Returns ENOTFOUND.
func (s *WizardStore) SaveWizardStep(ctx context.Context, id int64, step, next string, inputs, results map[string]string) (*app.Wizard, error) {
	var w *app.Wizard
	err := s.db.Update(ctx, func(tx *Tx) error {
		var err error
		if w, err = findWizard(ctx, tx, id); err != nil {
			return err
		}
		if w.Done(step) {
			return nil
		}
		return saveWizardStep(ctx, tx, w, step, next, inputs, results)
	})
	if err != nil {
		return nil, err
	}
	return w, nil
}

func saveWizardStep(ctx context.Context, tx *Tx, w *app.Wizard, step, next string, inputs, results map[string]string) error {
	if inputs == nil {
		inputs = map[string]string{}
	}
	if results == nil {
		results = map[string]string{}
	}
	w.Inputs[step], w.Results[step], w.Step, w.UpdatedAt = inputs, results, next, tx.now
	in, err := json.Marshal(w.Inputs)
	if err != nil {
		return err
	}
	out, err := json.Marshal(w.Results)
	if err != nil {
		return err
	}
	var tid any
	if w.TenantID != 0 {
		tid = w.TenantID
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tenant_wizards SET tenant_id = ?, step = ?, inputs = ?, results = ?, updated_at = ? WHERE id = ?`,
		tid, w.Step, string(in), string(out), FormatTime(tx.now), w.ID); err != nil {
		return fmt.Errorf("save wizard step: %w", err)
	}
	return nil
}
