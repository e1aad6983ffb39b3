package store

import (
	"context"
	"encoding/json"
	"fmt"

	"orengen/app"
)

func findCustomFields(ctx context.Context, q querier, tid int64, object string) ([]*app.CustomField, error) {
	where, args := `tenant_id = ?`, []any{tid}
	if object != "" {
		where, args = where+` AND object = ?`, append(args, object)
	}
	rows, err := q.QueryContext(ctx, `SELECT id, tenant_id, object, key, label, type, options, position, created_at FROM crm_custom_fields
		WHERE `+where+` ORDER BY object, position, id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find custom fields: %w", err)
	}
	defer rows.Close()
	var out []*app.CustomField
	for rows.Next() {
		var f app.CustomField
		var opts string
		if err := rows.Scan(&f.ID, &f.TenantID, &f.Object, &f.Key, &f.Label, &f.Type, &opts, &f.Position, Time{&f.CreatedAt}); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(opts), &f.Options); err != nil {
			return nil, err
		}
		out = append(out, &f)
	}
	return out, rows.Err()
}

// FindCustomFields lists the tenant's custom field definitions of object
// ("" for every object). Returns EUNAUTHORIZED without a tenant.
func (s *CustomFieldStore) FindCustomFields(ctx context.Context, object string) ([]*app.CustomField, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	return findCustomFields(ctx, s.db.read, tid, object)
}

// CreateCustomField defines a custom field for the tenant in ctx. Returns
// EINVALID or ECONFLICT when the key is taken for the object.
func (s *CustomFieldStore) CreateCustomField(ctx context.Context, f *app.CustomField) error {
	if err := f.Validate(); err != nil {
		return err
	}
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(max(position), -1) + 1 FROM crm_custom_fields WHERE tenant_id = ? AND object = ?`, tid, f.Object).Scan(&f.Position); err != nil {
		return err
	}
	f.TenantID, f.CreatedAt = tid, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO crm_custom_fields (tenant_id, object, key, label, type, options, position, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tid, f.Object, f.Key, f.Label, f.Type, jsonList(f.Options), f.Position, FormatTime(tx.now))
	if err != nil {
		return FormatError(err, "A custom field with this key already exists.")
	}
	if f.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.Commit()
}

// DeleteCustomField removes a definition and its values from the tenant's
// records, in one transaction. Returns ENOTFOUND.
func (s *CustomFieldStore) DeleteCustomField(ctx context.Context, id int64) error {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var object, key string
	if err := tx.QueryRowContext(ctx, `SELECT object, key FROM crm_custom_fields WHERE id = ? AND tenant_id = ?`, id, tid).Scan(&object, &key); err != nil {
		return app.Errorf(app.ENOTFOUND, "Custom field not found.")
	}
	path := `$."` + key + `"` // key matches ^[a-z][a-z0-9_]*$
	if _, err := tx.ExecContext(ctx, `UPDATE `+recordTable[object]+` SET custom = json_remove(custom, ?) WHERE tenant_id = ? AND json_type(custom, ?) IS NOT NULL`, path, tid, path); err != nil {
		return fmt.Errorf("delete custom values: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM crm_custom_fields WHERE id = ? AND tenant_id = ?`, id, tid); err != nil {
		return err
	}
	return tx.Commit()
}
