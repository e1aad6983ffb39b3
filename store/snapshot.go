package store

// Snapshots (issue #22): a tenant's configuration captured as JSON rows of
// the tables listed in snapTables, and applied to another tenant in one
// transaction with new ids, every reference following (a stage's
// pipeline, a workflow's form, a site block's form, a step's agent or
// sheet). An item the tenant already has by name is kept as it is, and
// references point at it.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"orengen/app"
)

// SnapshotFormat numbers the layout of a snapshot's JSON.
const SnapshotFormat = 1

// snapTable is one table a snapshot copies.
type snapTable struct {
	Name        string
	Kind        string   // top-level items: what the preview calls them
	Key         []string // top-level: the columns naming an item within a tenant
	Label       string   // top-level: the column shown as its name
	Parent      string   // children: the column pointing at the parent...
	ParentTable string   // ...in this table
	Where       string   // more conditions on what is captured (alias t)
	// Reset gives columns a value of the new tenant's instead of the
	// source's (a site's domain, an agent's public key, a sheet's count).
	Reset map[string]func() any
}

func randomHex(n int) func() any {
	return func() any {
		b := make([]byte, n)
		rand.Read(b)
		return hex.EncodeToString(b)
	}
}

func constant(v any) func() any { return func() any { return v } }

// snapTables lists what a snapshot holds, parents first. Nothing here
// holds a contact's data: people, companies, deals, notes, submissions,
// runs, conversations, bookings and sheet rows stay out.
var snapTables = []snapTable{
	{Name: "crm_pipelines", Kind: "Pipeline", Key: []string{"name"}, Label: "name"},
	{Name: "crm_stages", Parent: "pipeline_id", ParentTable: "crm_pipelines"},
	{Name: "crm_custom_fields", Kind: "Custom field", Key: []string{"object", "key"}, Label: "label"},
	{Name: "forms", Kind: "Form", Key: []string{"name"}, Label: "name"},
	{Name: "sheet_tables", Kind: "Sheet", Key: []string{"name"}, Label: "name", Reset: map[string]func() any{"row_count": constant(0)}},
	{Name: "agents", Kind: "Agent", Key: []string{"name"}, Label: "name", Where: `t.deleted = 0`,
		Reset: map[string]func() any{"public_key": randomHex(16), "phone": constant("")}},
	{Name: "agent_versions", Parent: "agent_id", ParentTable: "agents", Where: `t.id = (SELECT a.version_id FROM agents a WHERE a.id = t.agent_id)`},
	{Name: "workflows", Kind: "Workflow", Key: []string{"name"}, Label: "name",
		Reset: map[string]func() any{"hook_hash": constant(""), "next_fire_at": constant(nil), "seed": constant("")}},
	{Name: "workflow_versions", Parent: "workflow_id", ParentTable: "workflows", Where: `t.id = (SELECT w.version_id FROM workflows w WHERE w.id = t.workflow_id)`},
	{Name: "calendar_event_types", Kind: "Event type", Key: []string{"slug"}, Label: "title"},
	{Name: "web_sites", Kind: "Site", Key: []string{"name"}, Label: "name",
		Reset: map[string]func() any{"domain": constant(""), "salt": randomHex(16), "published_rev": constant(0), "published_at": constant(nil)}},
	{Name: "web_pages", Parent: "site_id", ParentTable: "web_sites"},
	{Name: "web_files", Parent: "site_id", ParentTable: "web_sites"},
}

// snapBackRefs are columns pointing at a later table of the snapshot (an
// item's current version): set once that table is in.
var snapBackRefs = map[string]string{"workflows.version_id": "workflow_versions", "agents.version_id": "agent_versions"}

type snapData struct {
	Format        int            `json:"format"`
	SchemaVersion string         `json:"schema_version"`
	Tables        []snapDataPart `json:"tables"`
}

type snapDataPart struct {
	Name    string   `json:"name"`
	Columns []string `json:"columns"`
	Rows    [][]any  `json:"rows"`
}

// snapBlob is how a BLOB travels in the JSON.
type snapBlob struct {
	B64 string `json:"b64"`
}

// SnapshotStore implements app.SnapshotStore.
type SnapshotStore struct{ db *DB }

var _ app.SnapshotStore = (*SnapshotStore)(nil)

// NewSnapshotStore returns a SnapshotStore on db.
func NewSnapshotStore(db *DB) *SnapshotStore { return &SnapshotStore{db: db} }

const snapshotColumns = `id, name, version, description, coalesce(source_tenant_id, 0), source_name, schema_version, items, created_by, created_at`

func scanSnapshot(row scanner) (*app.Snapshot, error) {
	var s app.Snapshot
	if err := row.Scan(&s.ID, &s.Name, &s.Version, &s.Description, &s.SourceTenantID, &s.SourceName, &s.SchemaVersion, &s.Items, &s.CreatedBy, Time{&s.CreatedAt}); err != nil {
		return nil, err
	}
	return &s, nil
}

// CaptureSnapshot implements app.SnapshotStore.
func (s *SnapshotStore) CaptureSnapshot(ctx context.Context, tenantID int64, sn *app.Snapshot) error {
	schema, err := LatestMigration()
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx *Tx) error {
		t, err := findTenant(ctx, tx, `t.id = ?`, tenantID)
		if err != nil {
			return err
		}
		data := snapData{Format: SnapshotFormat, SchemaVersion: schema}
		ids := map[string][]int64{}
		items := 0
		for _, st := range snapTables {
			where := `t.tenant_id = ?`
			args := []any{tenantID}
			if st.Parent != "" {
				parents := ids[st.ParentTable]
				if len(parents) == 0 {
					continue
				}
				where = `t.` + quoteIdent(st.Parent) + ` IN (SELECT value FROM json_each(?))`
				b, _ := json.Marshal(parents)
				args = []any{string(b)}
			}
			if st.Where != "" {
				where += ` AND ` + st.Where
			}
			rows, err := tx.QueryContext(ctx, `SELECT * FROM `+quoteIdent(st.Name)+` t WHERE `+where+` ORDER BY 1`, args...)
			if err != nil {
				return fmt.Errorf("capture %s: %w", st.Name, err)
			}
			cols, err := rows.Columns()
			if err != nil {
				rows.Close()
				return err
			}
			part := snapDataPart{Name: st.Name, Columns: cols}
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					rows.Close()
					return err
				}
				for i, v := range vals {
					if b, ok := v.([]byte); ok {
						vals[i] = snapBlob{B64: base64.StdEncoding.EncodeToString(b)}
					}
					if cols[i] == "id" {
						if id, ok := v.(int64); ok {
							ids[st.Name] = append(ids[st.Name], id)
						}
					}
				}
				part.Rows = append(part.Rows, vals)
				if st.Kind != "" {
					items++
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			data.Tables = append(data.Tables, part)
		}
		b, err := json.Marshal(data)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) + 1 FROM tenant_snapshots WHERE name = ?`, sn.Name).Scan(&sn.Version); err != nil {
			return err
		}
		sn.SourceTenantID, sn.SourceName, sn.SchemaVersion, sn.Items, sn.CreatedAt = t.ID, t.Name, schema, items, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO tenant_snapshots (name, version, description, source_tenant_id, source_name, schema_version, format, data, items, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sn.Name, sn.Version, sn.Description, t.ID, t.Name, schema, SnapshotFormat, string(b), items, sn.CreatedBy, FormatTime(tx.now))
		if err != nil {
			return FormatError(err, "A snapshot of this name and version exists.")
		}
		sn.ID, err = res.LastInsertId()
		return err
	})
}

// FindSnapshots implements app.SnapshotStore: newest first.
func (s *SnapshotStore) FindSnapshots(ctx context.Context) ([]*app.Snapshot, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+snapshotColumns+` FROM tenant_snapshots ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("find snapshots: %w", err)
	}
	return scanAll(rows, scanSnapshot)
}

// FindSnapshot implements app.SnapshotStore.
func (s *SnapshotStore) FindSnapshot(ctx context.Context, id int64) (*app.Snapshot, error) {
	sn, err := scanSnapshot(s.db.read.QueryRowContext(ctx, `SELECT `+snapshotColumns+` FROM tenant_snapshots WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Snapshot not found.")
	}
	return sn, err
}

// DeleteSnapshot implements app.SnapshotStore.
func (s *SnapshotStore) DeleteSnapshot(ctx context.Context, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM tenant_snapshots WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Snapshot not found.")
		}
		return nil
	})
}

// ApplySnapshot implements app.SnapshotStore.
func (s *SnapshotStore) ApplySnapshot(ctx context.Context, id, tenantID int64, dryRun bool) (*app.SnapshotPreview, error) {
	start := time.Now()
	tx, err := s.db.BeginTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	sn, err := scanSnapshot(tx.QueryRowContext(ctx, `SELECT `+snapshotColumns+` FROM tenant_snapshots WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Snapshot not found.")
	} else if err != nil {
		return nil, err
	}
	t, err := findTenant(ctx, tx, `t.id = ?`, tenantID)
	if err != nil {
		return nil, err
	}
	data, err := readSnapData(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	a := &snapApply{ctx: ctx, tx: tx, tenantID: tenantID, now: FormatTime(tx.now), p: &app.SnapshotPreview{Snapshot: sn, Tenant: t},
		maps: map[string]map[int64]int64{}, kept: map[string]map[int64]bool{}}
	parts := map[string]snapDataPart{}
	for _, part := range data.Tables {
		parts[part.Name] = part
	}
	for _, st := range snapTables {
		if part, ok := parts[st.Name]; ok {
			if err := a.table(st, part); err != nil {
				return nil, err
			}
		}
	}
	for _, b := range a.backs {
		if _, err := tx.ExecContext(ctx, `UPDATE `+quoteIdent(b.table)+` SET `+quoteIdent(b.col)+` = ? WHERE id = ?`, a.mapID(b.to, b.old), b.id); err != nil {
			return nil, fmt.Errorf("apply %s: %w", b.table, err)
		}
	}
	p := a.p
	p.Duration = time.Since(start)
	if dryRun {
		return p, nil
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	p.Applied = true
	return p, nil
}

// readSnapData reads and checks snapshot id's data: a format and a schema
// version this appliance knows.
func readSnapData(ctx context.Context, tx *Tx, id int64) (*snapData, error) {
	var raw string
	if err := tx.QueryRowContext(ctx, `SELECT data FROM tenant_snapshots WHERE id = ?`, id).Scan(&raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var data snapData
	if err := dec.Decode(&data); err != nil {
		return nil, app.Errorf(app.EINVALID, "The snapshot is damaged: %s.", err.Error())
	}
	if data.Format > SnapshotFormat {
		return nil, app.Errorf(app.EINVALID, "The snapshot's format %d is newer than this orengen reads; upgrade first.", data.Format)
	}
	if known, err := knownSchema(data.SchemaVersion); err != nil {
		return nil, err
	} else if !known {
		return nil, app.Errorf(app.EINVALID, "The snapshot comes from a newer schema version (%s) than this appliance knows; upgrade orengen here first.", data.SchemaVersion)
	}
	return &data, nil
}

// knownSchema says whether version names one of this appliance's
// migrations.
func knownSchema(version string) (bool, error) {
	migs, err := Migrations()
	if err != nil {
		return false, err
	}
	for _, m := range migs {
		if m.Name == version {
			return true, nil
		}
	}
	return false, nil
}

// snapApply is one application of a snapshot to a tenant, in tx: the new
// id of every row copied, the tenant's own items kept, and the references
// to rows copied later, set at the end.
type snapApply struct {
	ctx      context.Context
	tx       *Tx
	tenantID int64
	now      string
	p        *app.SnapshotPreview
	maps     map[string]map[int64]int64 // table -> snapshot id -> tenant's id
	kept     map[string]map[int64]bool  // table -> snapshot ids of the tenant's own items kept
	backs    []snapBackRef
}

// snapBackRef is a reference to a row copied later: row id of table gets
// col set to the new id of snapshot row old of table to.
type snapBackRef struct {
	table, col, to string
	id, old        int64
}

// mapID is the tenant's id of the snapshot's row old of table (old itself
// for a row not copied).
func (a *snapApply) mapID(table string, old int64) int64 {
	if n, ok := a.maps[table][old]; ok {
		return n
	}
	return old
}

// table copies the snapshot's rows of one table: a row whose item the
// tenant has (by name) is kept as the tenant's, as are its children.
func (a *snapApply) table(st snapTable, part snapDataPart) error {
	a.maps[st.Name], a.kept[st.Name] = map[int64]int64{}, map[int64]bool{}
	have := map[string]bool{}
	if err := queryEach(a.ctx, a.tx, `SELECT name FROM pragma_table_info(?)`, func(r *sql.Rows) error {
		var c string
		if err := r.Scan(&c); err != nil {
			return err
		}
		have[c] = true
		return nil
	}, st.Name); err != nil {
		return err
	}
	for _, vals := range part.Rows {
		if len(vals) != len(part.Columns) {
			return app.Errorf(app.EINVALID, "The snapshot is damaged: a row of %s has %d values for %d columns.", st.Name, len(vals), len(part.Columns))
		}
		row := map[string]any{}
		for i, c := range part.Columns {
			row[c] = snapValue(vals[i])
		}
		if err := a.row(st, part.Columns, have, row); err != nil {
			return err
		}
	}
	return nil
}

// row copies one row of table st, or keeps the tenant's item of its name.
func (a *snapApply) row(st snapTable, columns []string, have map[string]bool, row map[string]any) error {
	ctx, tx := a.ctx, a.tx
	old := asInt(row["id"])
	if st.Parent != "" && a.kept[st.ParentTable][asInt(row[st.Parent])] {
		return nil // the tenant's own item is kept whole
	}
	if st.Kind != "" {
		where := []string{`tenant_id = ?`}
		args := []any{a.tenantID}
		for _, k := range st.Key {
			where = append(where, quoteIdent(k)+` = ?`)
			args = append(args, row[k])
		}
		if st.Where != "" {
			where = append(where, strings.ReplaceAll(st.Where, "t.", ""))
		}
		var existing int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM `+quoteIdent(st.Name)+` WHERE `+strings.Join(where, " AND "), args...).Scan(&existing)
		if err == nil {
			a.maps[st.Name][old], a.kept[st.Name][old] = existing, true
			a.p.Changes = append(a.p.Changes, app.SnapshotChange{Kind: st.Kind, Name: fmt.Sprint(row[st.Label]), Action: app.SnapshotExists,
				Note: "The tenant has one of this name: it is kept as it is."})
			return nil
		} else if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	var cols, marks []string
	var args []any
	for _, c := range columns {
		if c == "id" || !have[c] {
			continue
		}
		v, err := a.value(st, c, row[c])
		if err != nil {
			return err
		}
		cols, marks, args = append(cols, quoteIdent(c)), append(marks, "?"), append(args, v)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO `+quoteIdent(st.Name)+` (`+strings.Join(cols, ", ")+`) VALUES (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		if e := FormatError(err, st.Kind+" "+fmt.Sprint(row[st.Label])+" conflicts with one of the tenant's."); app.ErrorCode(e) != app.EINTERNAL {
			return e
		}
		return fmt.Errorf("apply %s: %w", st.Name, err)
	}
	if _, isID := row["id"]; isID {
		nid, err := res.LastInsertId()
		if err != nil {
			return err
		}
		a.maps[st.Name][old] = nid
		for i := range a.backs {
			if a.backs[i].table == st.Name && a.backs[i].id == 0 {
				a.backs[i].id = nid
			}
		}
	}
	if st.Kind != "" {
		a.p.Changes = append(a.p.Changes, app.SnapshotChange{Kind: st.Kind, Name: fmt.Sprint(row[st.Label]), Action: app.SnapshotCreate})
	}
	return nil
}

// value is what column c of a row of table st is written as in the
// tenant: its own tenant, parents and references moved to the tenant's
// ids, times now, per-tenant values reset.
func (a *snapApply) value(st snapTable, c string, v any) (any, error) {
	var err error
	switch {
	case c == "tenant_id":
		v = a.tenantID
	case c == st.Parent:
		v = a.mapID(st.ParentTable, asInt(v))
	case c == "created_at" || c == "updated_at":
		v = a.now
	case st.Reset[c] != nil:
		v = st.Reset[c]()
	case snapBackRefs[st.Name+"."+c] != "":
		if o := asInt(v); o != 0 {
			a.backs = append(a.backs, snapBackRef{table: st.Name, col: c, to: snapBackRefs[st.Name+"."+c], old: o})
		}
		v = 0
	case st.Name == "workflows" && c == "form_filter":
		v = shiftFormRef(fmt.Sprint(v), a.mapID)
	case st.Name == "workflow_versions" && c == "definition":
		v, err = rewriteJSON(fmt.Sprint(v), func(x any) any { return shiftDefinition(x, a.mapID) })
	case st.Name == "web_pages" && c == "blocks":
		v, err = rewriteJSON(fmt.Sprint(v), func(x any) any { return shiftJSONKey(x, "form_id", "forms", a.mapID) })
	}
	return v, err
}

// snapValue turns a value decoded from the JSON back into one for SQL.
func snapValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		if s, ok := x["b64"].(string); ok && len(x) == 1 {
			b, err := base64.StdEncoding.DecodeString(s)
			if err == nil {
				return b
			}
		}
	}
	return v
}

func asInt(v any) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case float64:
		return int64(x)
	}
	return 0
}
