package store

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"orengen/app"
)

var _ app.CRMTagStore = (*CRMTagStore)(nil)

// taggedObjects are the CRM kinds with a tags list (app.RecordKind.TagCount),
// in the order the tags page counts them.
var taggedObjects = func() []*app.RecordKind {
	var out []*app.RecordKind
	for _, k := range app.RecordKinds {
		if k.TagCount != nil {
			out = append(out, k)
		}
	}
	return out
}()

// FindTags lists the tenant's tags by name with counts per object.
// Returns EUNAUTHORIZED without a tenant.
func (s *CRMTagStore) FindTags(ctx context.Context) ([]app.TagCount, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, err
	}
	var parts []string
	var args []any
	for _, k := range taggedObjects {
		parts = append(parts, `SELECT j.value AS value, '`+k.Type+`' AS obj FROM `+recordTable[k.Type]+` r, json_each(r.tags) j WHERE r.tenant_id = ?`)
		args = append(args, tid)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT value, obj, count(*) FROM (`+strings.Join(parts, ` UNION ALL `)+`)
		GROUP BY value, obj ORDER BY value`, args...)
	if err != nil {
		return nil, fmt.Errorf("find tags: %w", err)
	}
	defer rows.Close()
	var out []app.TagCount
	for rows.Next() {
		var tag, obj string
		var n int
		if err := rows.Scan(&tag, &obj, &n); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Tag != tag {
			out = append(out, app.TagCount{Tag: tag})
		}
		if k := app.KindOf(obj); k != nil && k.TagCount != nil {
			*k.TagCount(&out[len(out)-1]) = n
		}
	}
	return out, rows.Err()
}

// RenameTag renames a tag on every record of the tenant in one
// transaction (see app.CRMTagStore). Returns EINVALID or ENOTFOUND.
func (s *CRMTagStore) RenameTag(ctx context.Context, from, to string) (int, error) {
	from = strings.ToLower(strings.TrimSpace(from))
	to, err := app.NormalizeTag("tag", to)
	if err != nil {
		return 0, err
	}
	return s.retag(ctx, from, func(tags []string) []string {
		out := make([]string, 0, len(tags))
		for _, t := range tags {
			if t == from {
				t = to
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
		return out
	})
}

// DeleteTag removes a tag from every record of the tenant in one
// transaction. Returns ENOTFOUND when no record carries it.
func (s *CRMTagStore) DeleteTag(ctx context.Context, tag string) (int, error) {
	tag = strings.ToLower(strings.TrimSpace(tag))
	return s.retag(ctx, tag, func(tags []string) []string {
		return slices.DeleteFunc(slices.Clone(tags), func(t string) bool { return t == tag })
	})
}

// retag rewrites the tags of every record of the tenant carrying tag with
// edit, in one transaction: the tags column, the search index and a
// "tags" field change on the timeline (so webhooks see the update).
func (s *CRMTagStore) retag(ctx context.Context, tag string, edit func([]string) []string) (int, error) {
	tid, tx, err := s.writeScope(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	n := 0
	for _, k := range taggedObjects {
		o, table := k.Type, recordTable[k.Type]
		ids, err := tx.QueryContext(ctx, `SELECT id FROM `+table+` r WHERE r.tenant_id = ? AND `+tagFilter+` ORDER BY id`, tid, tag)
		if err != nil {
			return 0, fmt.Errorf("retag %s: %w", table, err)
		}
		var list []int64
		for ids.Next() {
			var id int64
			if err := ids.Scan(&id); err != nil {
				ids.Close()
				return 0, err
			}
			list = append(list, id)
		}
		ids.Close()
		if err := ids.Err(); err != nil {
			return 0, err
		}
		for _, id := range list {
			old, fts, err := storeKinds[o].tags(ctx, tx, id, tid)
			if err != nil {
				return 0, err
			}
			cur := edit(old)
			if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET tags = ?, updated_at = ? WHERE id = ? AND tenant_id = ?`,
				jsonList(cur), FormatTime(tx.now), id, tid); err != nil {
				return 0, fmt.Errorf("retag %s %d: %w", o, id, err)
			}
			if err := setFTS(ctx, tx, o, id, fts(cur)); err != nil {
				return 0, err
			}
			e := timeline(ctx, tx, tid, o, id, app.TimelineUpdated)
			e.Field, e.Old, e.New = "tags", strings.Join(old, ", "), strings.Join(cur, ", ")
			if err := AddTimelineEntryTx(ctx, tx, e); err != nil {
				return 0, err
			}
			n++
		}
	}
	if n == 0 {
		return 0, app.Errorf(app.ENOTFOUND, "No record has this tag.")
	}
	return n, tx.Commit()
}
