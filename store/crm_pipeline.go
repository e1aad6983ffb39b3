package store

import (
	"context"
	"fmt"
	"strconv"

	"orengen/app"
)

func findPipelines(ctx context.Context, q querier, tid int64) ([]*app.Pipeline, error) {
	rows, err := q.QueryContext(ctx, `SELECT p.id, p.tenant_id, p.name, p.created_at, s.id, s.name, s.position, s.probability, s.won, s.lost
		FROM crm_pipelines p JOIN crm_stages s ON s.pipeline_id = p.id WHERE p.tenant_id = ? ORDER BY p.position, p.id, s.position`, tid)
	if err != nil {
		return nil, fmt.Errorf("find pipelines: %w", err)
	}
	defer rows.Close()
	var out []*app.Pipeline
	for rows.Next() {
		var p app.Pipeline
		var st app.Stage
		if err := rows.Scan(&p.ID, &p.TenantID, &p.Name, Time{&p.CreatedAt}, &st.ID, &st.Name, &st.Position, &st.Probability, &st.Won, &st.Lost); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].ID != p.ID {
			out = append(out, &p)
		}
		st.PipelineID = p.ID
		cur := out[len(out)-1]
		cur.Stages = append(cur.Stages, &st)
	}
	return out, rows.Err()
}

// ensurePipelines returns the tenant's pipelines, creating the default
// one in tx when there is none.
func ensurePipelines(ctx context.Context, tx *Tx, tid int64) ([]*app.Pipeline, error) {
	ps, err := findPipelines(ctx, tx, tid)
	if err != nil || len(ps) > 0 {
		return ps, err
	}
	p := &app.Pipeline{Name: app.DefaultPipelineName, Stages: app.DefaultStages()}
	if err := p.Validate(); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_pipelines (tenant_id, name, position, created_at) VALUES (?, ?, 0, ?)`, tid, p.Name, FormatTime(tx.now))
	if err != nil {
		return nil, fmt.Errorf("create pipeline: %w", err)
	}
	pid, _ := res.LastInsertId()
	for _, st := range p.Stages {
		if _, err := tx.ExecContext(ctx, `INSERT INTO crm_stages (tenant_id, pipeline_id, name, position, probability, won, lost) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tid, pid, st.Name, st.Position, st.Probability, st.Won, st.Lost); err != nil {
			return nil, fmt.Errorf("create stage: %w", err)
		}
	}
	return findPipelines(ctx, tx, tid)
}

// Pipelines returns the tenant's pipelines with their stages, creating the
// default "Sales" pipeline on first use. Returns EUNAUTHORIZED without a
// tenant.
func (s *PipelineStore) Pipelines(ctx context.Context) ([]*app.Pipeline, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	ps, err := findPipelines(ctx, s.db.read, tid)
	if err != nil || len(ps) > 0 {
		return ps, err
	}
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	if ps, err = ensurePipelines(ctx, tx, tid); err != nil {
		return nil, err
	}
	return ps, tx.Commit()
}

// StageTotals counts and sums the deals of each stage of a pipeline of
// the tenant in ctx, per currency. Returns EUNAUTHORIZED without a tenant.
func (s *PipelineStore) StageTotals(ctx context.Context, pipelineID int64) ([]app.StageTotal, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT stage_id, currency, count(*), sum(amount) FROM crm_deals
		WHERE tenant_id = ? AND pipeline_id = ? GROUP BY stage_id, currency ORDER BY stage_id, currency`, tid, pipelineID)
	if err != nil {
		return nil, fmt.Errorf("stage totals: %w", err)
	}
	defer rows.Close()
	var out []app.StageTotal
	for rows.Next() {
		var t app.StageTotal
		if err := rows.Scan(&t.StageID, &t.Currency, &t.Count, &t.Amount); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// CreatePipeline adds a pipeline with its stages for the tenant in ctx.
// Returns EINVALID or ECONFLICT.
func (s *PipelineStore) CreatePipeline(ctx context.Context, p *app.Pipeline) error {
	if err := p.Validate(); err != nil {
		return err
	}
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := ensurePipelines(ctx, tx, tid); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_pipelines (tenant_id, name, position, created_at)
		VALUES (?, ?, (SELECT COALESCE(max(position), 0) + 1 FROM crm_pipelines WHERE tenant_id = ?), ?)`, tid, p.Name, tid, FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "A pipeline with this name already exists.")
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	p.TenantID, p.CreatedAt = tid, tx.now
	for _, st := range p.Stages {
		st.PipelineID = p.ID
		res, err := tx.ExecContext(ctx, `INSERT INTO crm_stages (tenant_id, pipeline_id, name, position, probability, won, lost) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tid, p.ID, st.Name, st.Position, st.Probability, st.Won, st.Lost)
		if err != nil {
			return fmt.Errorf("create stage: %w", err)
		}
		st.ID, _ = res.LastInsertId()
	}
	return tx.Commit()
}

// UpdatePipeline renames a pipeline and replaces its stages (see
// app.PipelineStore). Returns ENOTFOUND or EINVALID.
func (s *PipelineStore) UpdatePipeline(ctx context.Context, id int64, name *string, stages []*app.Stage) (*app.Pipeline, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	ps, err := findPipelines(ctx, tx, tid)
	if err != nil {
		return nil, err
	}
	var cur *app.Pipeline
	for _, p := range ps {
		if p.ID == id {
			cur = p
		}
	}
	if cur == nil {
		return nil, app.Errorf(app.ENOTFOUND, "Pipeline not found.")
	}
	next := &app.Pipeline{ID: id, Name: cur.Name, Stages: cur.Stages}
	if name != nil {
		next.Name = *name
	}
	if stages != nil {
		next.Stages = stages
	}
	if err := next.Validate(); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE crm_pipelines SET name = ? WHERE id = ? AND tenant_id = ?`, next.Name, id, tid); err != nil {
		return nil, FormatError(err, "A pipeline with this name already exists.")
	}
	if stages != nil {
		keep := map[int64]bool{}
		for _, st := range stages {
			if st.ID != 0 {
				if cur.StageByRef(strconv.FormatInt(st.ID, 10)) == nil {
					return nil, app.FieldErrorf("stages", "Stage %d is not in this pipeline.", st.ID)
				}
				keep[st.ID] = true
			}
		}
		for _, old := range cur.Stages {
			if keep[old.ID] {
				continue
			}
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM crm_deals WHERE stage_id = ?`, old.ID).Scan(&n); err != nil {
				return nil, err
			}
			if n > 0 {
				return nil, app.FieldErrorf("stages", "Stage %q still has %d deals; move them before removing it.", old.Name, n)
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM crm_stages WHERE id = ?`, old.ID); err != nil {
				return nil, err
			}
		}
		// Free the names first, so stages may swap names.
		if _, err := tx.ExecContext(ctx, `UPDATE crm_stages SET name = '~' || id WHERE pipeline_id = ?`, id); err != nil {
			return nil, err
		}
		for _, st := range stages {
			if st.ID != 0 {
				_, err = tx.ExecContext(ctx, `UPDATE crm_stages SET name = ?, position = ?, probability = ?, won = ?, lost = ? WHERE id = ? AND pipeline_id = ?`,
					st.Name, st.Position, st.Probability, st.Won, st.Lost, st.ID, id)
			} else {
				_, err = tx.ExecContext(ctx, `INSERT INTO crm_stages (tenant_id, pipeline_id, name, position, probability, won, lost) VALUES (?, ?, ?, ?, ?, ?, ?)`,
					tid, id, st.Name, st.Position, st.Probability, st.Won, st.Lost)
			}
			if err != nil {
				return nil, fmt.Errorf("update stage: %w", err)
			}
		}
	}
	ps, err = findPipelines(ctx, tx, tid)
	if err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, app.Errorf(app.ENOTFOUND, "Pipeline not found.")
}
