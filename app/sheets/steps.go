package sheets

import (
	"context"
	"strings"

	"orengen/app"
)

var _ app.SheetSteps = (*Service)(nil)

// tenantCtx scopes ctx to a tenant by ID (the workflow engine knows the
// run's tenant, not a signed-in user).
func tenantCtx(ctx context.Context, tenantID int64) context.Context {
	if t := app.TenantFromContext(ctx); t != nil && t.ID == tenantID {
		return ctx
	}
	return app.NewContextWithTenant(ctx, &app.Tenant{ID: tenantID})
}

func textValues(values map[string]string) map[string]any {
	out := make(map[string]any, len(values))
	for k, v := range values {
		out[k] = v
	}
	return out
}

// LookupRow implements app.SheetSteps.
func (s *Service) LookupRow(ctx context.Context, tenantID int64, table, column, op, value string) (map[string]string, int64, bool, error) {
	ctx = tenantCtx(ctx, tenantID)
	t, err := s.TableByRef(ctx, table)
	if err != nil {
		return nil, 0, false, err
	}
	rows, _, _, err := s.Rows(ctx, t, Filter{Where: []Condition{{Column: column, Op: op, Value: value}}, Limit: 1})
	if err != nil {
		return nil, 0, false, err
	}
	if len(rows) == 0 {
		return nil, 0, false, nil
	}
	return rows[0].Text(t), rows[0].ID, true, nil
}

// AddRow implements app.SheetSteps.
func (s *Service) AddRow(ctx context.Context, tenantID int64, table string, values map[string]string) (int64, error) {
	ctx = tenantCtx(ctx, tenantID)
	t, err := s.TableByRef(ctx, table)
	if err != nil {
		return 0, err
	}
	r, err := s.CreateRow(ctx, t, textValues(values))
	if err != nil {
		return 0, err
	}
	return r.ID, nil
}

// UpdateRows implements app.SheetSteps.
func (s *Service) UpdateRows(ctx context.Context, tenantID int64, table, column, op, value string, values map[string]string, limit int) (int, error) {
	ctx = tenantCtx(ctx, tenantID)
	t, err := s.TableByRef(ctx, table)
	if err != nil {
		return 0, err
	}
	return s.UpdateWhere(ctx, t, Filter{Where: []Condition{{Column: column, Op: op, Value: value}}}, textValues(values), limit)
}

// CheckStep implements app.SheetSteps.
func (s *Service) CheckStep(ctx context.Context, tenantID int64, table string, columns []string) error {
	ctx = tenantCtx(ctx, tenantID)
	t, err := s.TableByRef(ctx, table)
	if err != nil {
		return err
	}
	var missing []string
	for _, c := range columns {
		if t.ColumnByRef(c) == nil {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		var have []string
		for _, c := range t.Columns {
			have = append(have, c.Key)
		}
		return app.Errorf(app.EINVALID, "table %q has no column %s (its columns: %s).", t.Name, strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	return nil
}
