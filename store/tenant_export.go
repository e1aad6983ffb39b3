package store

// Tenant export and import (issue #22): one self-contained SQLite file
// holding every row of one tenant, written with ATTACH DATABASE on a
// connection of its own, and read back into another appliance with every
// id shifted past the ids already there.
//
// The table list is derived from the schema, never written down: a table
// with a tenant_id column is the tenant's, and a table without one whose
// foreign keys point at an exported table is a child of it. Only the
// exceptions are listed here (exportGlobal: not tenant data;
// exportSkipped: tenant data that must not travel), and an id column that
// is not a declared foreign key must be named in exportRefs, so a new
// table or column that the export would copy wrongly fails
// TestTenantExport_SchemaCovered instead of shipping.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"orengen/app"
)

// ExportFormat is the value of the export file's format key; an import
// refuses a file without it.
const ExportFormat = "orengen-tenant-export"

// ImportedTimelineTx is the tx of timeline entries a tenant import
// wrote: the automation and webhook cursors pass over them.
const ImportedTimelineTx = -1

// ExportFormatVersion numbers the layout of the export file itself.
const ExportFormatVersion = 1

// exportGlobal lists the tables that are not a tenant's data, with why.
var exportGlobal = map[string]string{
	"admin_tokens":             "admin sessions of this appliance",
	"admins":                   "the agency's own administrators",
	"billing_dunning_settings": "the agency's dunning settings",
	"agent_prices":             "model price list of the appliance",
	"automation_cursor":        "the automation engine's position in the timeline (imported entries are skipped)",
	"backup_drills":            "backup drills of this appliance",
	"certmagic_data":           "TLS certificates of this appliance",
	"certmagic_locks":          "TLS certificate locks",
	"database_identity":        "identity of this database file",
	"restore_points":           "restore points of this appliance",
	"schema_migrations":        "schema version of this appliance",
	"site_pages":               "the agency's marketing site",
	"site_settings":            "the agency's marketing site",
	"web_salts":                "daily analytics salts of the appliance",
	"tenant_snapshots":         "the agency's configuration snapshots (issue #22)",
	"billing_prices":           "the appliance's usage price table",
	"billing_plans":            "the agency's plans",
	"billing_counters":         "the appliance's invoice number sequence",
	"webhook_cursor":           "the webhook dispatcher's position in the timeline (imported entries are skipped)",
	"tenants":                  "exported as the one row of the tenant itself",
}

// exportSkipped lists tenant tables that an export leaves out, with why
// (they are written into the README table of the file).
var exportSkipped = map[string]string{
	"vault_secrets":         "secrets are encrypted under this appliance's master key; enter them again on the new appliance",
	"user_tokens":           "sign-in, invitation and reset tokens are valid on this appliance only",
	"api_keys":              "API keys are credentials of this appliance; issue new ones",
	"api_key_usage":         "usage counters of the API keys left out",
	"outbox":                "the outgoing mail queue of this appliance",
	"twilio_events":         "the webhook de-duplication log of this appliance",
	"integration_checks":    "health checks of this appliance's integrations",
	"inbox_inbound":         "the inbound address inbox+TOKEN@DOMAIN routes mail to this appliance's domain; turn it on again on the new appliance",
	"billing_subscriptions": "a subscription to this appliance's plans; subscribe the client again on the new appliance",
	// The rest of billing is between the agency and its client on this
	// appliance: invoice numbers are the appliance's own sequence (they
	// would collide there), a balance is money held by this agency.
	"billing_adjustments":          "pending plan-change charges of this appliance's plans",
	"billing_invoices":             "invoices are numbered documents of the agency on this appliance (their PDFs stay with it)",
	"billing_invoice_lines":        "lines of the invoices left out",
	"billing_wallets":              "a prepaid balance held by the agency on this appliance",
	"billing_wallet_entries":       "the ledger of the balance left out",
	"billing_customers":            "the client's customer and card in this agency's Stripe account; the client saves its card again",
	"billing_card_setups":          "card setups asked for on this appliance",
	"billing_payments":             "payments of the invoices left out",
	"billing_gateway_events":       "the Stripe webhook de-duplication log of this appliance",
	"billing_dunning_notices":      "dunning emails about the invoices left out",
	"billing_suspensions":          "a suspension for an unpaid invoice of this appliance",
	"billing_subscription_changes": "the history of subscriptions left out (the revenue dashboard's churn)",
	"billing_recharges":            "wallet auto-recharges charged by this appliance (the balance is left out)",
	"billing_active_contacts":      "which contacts this appliance counted active for billing this month (the usage ledger keeps the counts)",
	"dash_daily":                   "dashboard counters, counted again from the leads and runs imported",
	"tenant_wizards":               "the agency's onboarding record of the client on this appliance (new-client wizard), not the client's data",
}

// exportRef says where an id column that is not a declared foreign key
// points.
type exportRef struct {
	To      string            // the table its value is an id of
	KindCol string            // or: a column naming the kind of record...
	Kinds   map[string]string // ...and the table of each kind (others kept as they are)
	Opaque  string            // or: not an id of this database (why)
	Expr    func(off func(string) int64) string
}

var recordKindTables = map[string]string{
	app.RecordPerson: "crm_people", app.RecordCompany: "crm_companies", app.RecordDeal: "crm_deals",
	app.RecordNote: "crm_notes", app.RecordTask: "crm_tasks",
	app.RecordPursuit: "federal_pipeline", app.RecordGrantPursuit: "federal_grant_pipeline",
}

func withKinds(extra map[string]string) map[string]string {
	m := map[string]string{}
	for k, v := range recordKindTables {
		m[k] = v
	}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// exportRefs names every id column of an exported table that is neither
// tenant_id nor a declared foreign key.
// bookingOrForm remaps a site conversion's form_id, keeping 0 (a booking).
func bookingOrForm(off func(string) int64) string {
	return fmt.Sprintf(`CASE WHEN t.form_id = 0 THEN 0 ELSE t.form_id + %d END`, off("forms"))
}

var exportRefs = map[string]exportRef{
	"agents.version_id":                         {To: "agent_versions"},
	"workflows.version_id":                      {To: "workflow_versions"},
	"calendar_booking_hosts.event_type_id":      {To: "calendar_event_types"},
	"calendar_bookings.person_id":               {To: "crm_people"},
	"calendar_bookings.deal_id":                 {To: "crm_deals"},
	"calendar_busy.source_id":                   {To: "calendar_sources"},
	"calendars.owner_id":                        {KindCol: "owner_kind", Kinds: map[string]string{"user": "tenant_users", "tenant": "tenants"}},
	"crm_notes.record_id":                       {KindCol: "record_type", Kinds: recordKindTables},
	"crm_tasks.record_id":                       {KindCol: "record_type", Kinds: recordKindTables},
	"crm_timeline.record_id":                    {KindCol: "record_type", Kinds: recordKindTables},
	"crm_timeline.ref_id":                       {KindCol: "ref_type", Kinds: withKinds(map[string]string{"submission": "form_submissions", "booking": "calendar_bookings"})},
	"audit_log.actor_id":                        {KindCol: "actor_kind", Kinds: map[string]string{app.ActorUser: "tenant_users"}},
	"form_submissions.person_id":                {To: "crm_people"},
	"foss_tools.reminder_task_id":               {To: "crm_tasks"},
	"inbox_conversations.agent_conversation_id": {To: "agent_conversations"},
	"inbox_attachments.conversation_id":         {To: "inbox_conversations"},
	"runs.contact_id":                           {To: "crm_people"},
	"runs.deal_id":                              {To: "crm_deals"},
	"sheet_rows.table_id":                       {To: "sheet_tables"},
	// A site conversion's form; 0 is a booking (no form).
	"web_events.form_id":      {Expr: bookingOrForm},
	"web_daily_forms.form_id": {Expr: bookingOrForm},
	"wiki_chunks.space_id":    {To: "wiki_spaces"},
	// A wiki chunk's id lies in its space's range, the space's id in the
	// high 32 bits (0282_wiki_chunk_ranges.sql): it moves to the new
	// space's range, and its scope token (wiki.ScopeToken) names the new
	// space.
	"wiki_chunks.id": {Expr: func(off func(string) int64) string {
		return fmt.Sprintf(`((t.space_id + %d) << 32) + (t.id & %d)`, off("wiki_spaces"), uint32(math.MaxUint32))
	}},
	"wiki_chunks.scope": {Expr: func(off func(string) int64) string {
		return fmt.Sprintf(`'s' || (t.space_id + %d)`, off("wiki_spaces"))
	}},
	"wiki_links.space_id": {To: "wiki_spaces"},
	// A date trigger marks a person or a deal, as its workflow's
	// when.object says.
	"automation_date_fired.record_id": {Expr: func(off func(string) int64) string {
		return fmt.Sprintf(`record_id + CASE WHEN (SELECT json_extract(v.definition, '$.when.object') FROM x.workflows w JOIN x.workflow_versions v ON v.id = w.version_id WHERE w.id = t.workflow_id) = 'deal' THEN %d ELSE %d END`,
			off("crm_deals"), off("crm_people"))
	}},
	"agent_conversations.external_id":     {Opaque: "a provider's call or chat id"},
	"agent_turns.tool_call_id":            {Opaque: "the model's tool-call id"},
	"inbox_messages.provider_id":          {Opaque: "the mail or SMS provider's message id"},
	"run_steps.step_id":                   {Opaque: "a step id inside the workflow definition"},
	"run_steps.provider_id":               {Opaque: "the provider's message or call id"},
	"webhook_deliveries.event_id":         {Opaque: "the event's public id"},
	"federal_fit_scores.notice_id":        {Opaque: "a SAM.gov notice id"},
	"federal_notice_changes.notice_id":    {Opaque: "a SAM.gov notice id"},
	"federal_notices.notice_id":           {Opaque: "a SAM.gov notice id"},
	"federal_pipeline.notice_id":          {Opaque: "a SAM.gov notice id"},
	"federal_proposal_sections.notice_id": {Opaque: "a SAM.gov notice id"},
	"federal_requirements.notice_id":      {Opaque: "a SAM.gov notice id"},
	"federal_grants.grant_id":             {Opaque: "a Grants.gov opportunity id"},
	"federal_grant_pipeline.grant_id":     {Opaque: "a Grants.gov opportunity id"},
	"billing_usage_events.source_id":      {Opaque: "the metered source's own id (message, call, completion)"},
}

// exportTextRefs are text columns holding a form as "form-N" or "N".
var exportTextRefs = map[string]string{
	"form_submissions.form": "forms",
	"workflows.form_filter": "forms",
}

// exportTable is one table of the export plan.
type exportTable struct {
	Name   string
	Cols   []string
	IntPK  bool // id INTEGER PRIMARY KEY: its ids are remapped
	Scoped bool // has tenant_id
	FKs    []exportFK
}

type exportFK struct{ Col, Table, To string }

func (t *exportTable) has(col string) bool {
	for _, c := range t.Cols {
		if c == col {
			return true
		}
	}
	return false
}

// exportPlan reads the schema through q (schema prefix "" for main or
// "x." for an attached export) and returns the tables of a tenant export
// in an order where every parent comes before its children. It fails on a
// table it cannot classify.
func exportPlan(ctx context.Context, q querier, schema string) ([]*exportTable, error) {
	type raw struct{ name, sql string }
	var all []raw
	rows, err := q.QueryContext(ctx, `SELECT name, coalesce(sql, '') FROM `+schema+`sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	for rows.Next() {
		var r raw
		if err := rows.Scan(&r.name, &r.sql); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var virtual []string
	for _, r := range all {
		if strings.HasPrefix(strings.ToUpper(r.sql), "CREATE VIRTUAL TABLE") {
			virtual = append(virtual, r.name)
		}
	}
	tables := map[string]*exportTable{}
	var names []string
	pragmaSchema := strings.TrimSuffix(schema, ".")
	if pragmaSchema == "" {
		pragmaSchema = "main"
	}
outer:
	for _, r := range all {
		if strings.HasPrefix(r.name, "orengen_export") {
			continue
		}
		for _, v := range virtual {
			if r.name == v || strings.HasPrefix(r.name, v+"_") {
				continue outer // FTS indexes: rebuilt on import
			}
		}
		t := &exportTable{Name: r.name}
		var pkCols []string
		var idType string
		cr, err := q.QueryContext(ctx, `SELECT name, type, pk FROM pragma_table_info(?, ?)`, r.name, pragmaSchema)
		if err != nil {
			return nil, fmt.Errorf("read columns of %s: %w", r.name, err)
		}
		for cr.Next() {
			var n, typ string
			var pk int
			if err := cr.Scan(&n, &typ, &pk); err != nil {
				cr.Close()
				return nil, err
			}
			t.Cols = append(t.Cols, n)
			if pk > 0 {
				pkCols = append(pkCols, n)
				idType = typ
			}
		}
		cr.Close()
		t.IntPK = len(pkCols) == 1 && pkCols[0] == "id" && strings.EqualFold(idType, "INTEGER")
		t.Scoped = t.has("tenant_id")
		fr, err := q.QueryContext(ctx, `SELECT "from", "table", coalesce("to", 'id') FROM pragma_foreign_key_list(?, ?)`, r.name, pragmaSchema)
		if err != nil {
			return nil, fmt.Errorf("read foreign keys of %s: %w", r.name, err)
		}
		for fr.Next() {
			var fk exportFK
			if err := fr.Scan(&fk.Col, &fk.Table, &fk.To); err != nil {
				fr.Close()
				return nil, err
			}
			t.FKs = append(t.FKs, fk)
		}
		fr.Close()
		tables[r.name] = t
		names = append(names, r.name)
	}
	// Which tables travel: the scoped ones, then children to a fixpoint.
	in := map[string]bool{}
	for _, n := range names {
		t := tables[n]
		if t.Scoped && exportSkipped[n] == "" && exportGlobal[n] == "" {
			in[n] = true
		}
	}
	for changed := true; changed; {
		changed = false
		for _, n := range names {
			t := tables[n]
			if in[n] || exportSkipped[n] != "" || exportGlobal[n] != "" {
				continue
			}
			for _, fk := range t.FKs {
				if in[fk.Table] {
					in[n], changed = true, true
					break
				}
			}
		}
	}
	for _, n := range names {
		if !in[n] && exportSkipped[n] == "" && exportGlobal[n] == "" {
			return nil, fmt.Errorf("table %s is not classified for tenant export: give it a tenant_id, a foreign key to a tenant table, or a line in exportGlobal or exportSkipped (store/tenant_export.go)", n)
		}
	}
	// Parents first (a foreign key to a table itself or a cycle is fine:
	// import defers foreign keys to the commit).
	var order []*exportTable
	placed := map[string]bool{}
	for len(order) < len(in) {
		progress := false
		for _, n := range names {
			if !in[n] || placed[n] {
				continue
			}
			ready := true
			for _, fk := range tables[n].FKs {
				if in[fk.Table] && !placed[fk.Table] && fk.Table != n {
					ready = false
				}
			}
			if ready {
				order, placed[n], progress = append(order, tables[n]), true, true
			}
		}
		if !progress { // a cycle: place the rest in name order
			for _, n := range names {
				if in[n] && !placed[n] {
					order, placed[n] = append(order, tables[n]), true
				}
			}
		}
	}
	return order, nil
}

// uncoveredIDColumns lists id columns of the plan that are neither
// tenant_id, a declared foreign key nor in exportRefs (for the test).
func uncoveredIDColumns(plan []*exportTable) []string {
	var out []string
	for _, t := range plan {
		fk := map[string]bool{}
		for _, f := range t.FKs {
			fk[f.Col] = true
		}
		for _, c := range t.Cols {
			if c == "tenant_id" || c == "id" || fk[c] || !(strings.HasSuffix(c, "_id") || strings.HasSuffix(c, "_ids")) {
				continue
			}
			if _, ok := exportRefs[t.Name+"."+c]; !ok {
				out = append(out, t.Name+"."+c)
			}
		}
	}
	return out
}

// crmFTSTables are the CRM's tables by their crm_fts code (rowid = id * 8
// + code; crmRecords).
var crmFTSTables = func() map[int64]string {
	m := map[int64]string{}
	for _, r := range crmRecords {
		if r.fts != 0 {
			m[r.fts] = r.table
		}
	}
	return m
}()

const exportReadme = `This file is the whole data of one client (tenant) of an OrenGen appliance, exported with "orengen tenant export".
It is a plain SQLite database: open it with any SQLite tool (sqlite3, DB Browser for SQLite, Python's sqlite3).
Every table named like the appliance's own holds only this tenant's rows, with the appliance's column names; ids are those of the exporting appliance.
Files (wiki attachments in wiki_attachment_data, website images in web_files, the logo in tenant_logos, agent documents) are stored inside the rows as BLOBs.
orengen_export holds the format, the schema version and the tenant; orengen_export_tables holds each table's row count (an import checks them).
orengen_crm_fts holds the CRM search index entries of the exported records (rebuilt on import).
Import into another appliance with "orengen tenant import FILE [--dry-run] [--slug NEW]": every id is given a new number there and every reference follows.`

// exportConn opens a connection of its own on the database file, for
// ATTACH (which a pooled connection must not keep) and without BEGIN
// IMMEDIATE, so an export reads a snapshot without holding the write lock.
func (db *DB) exportConn(ctx context.Context) (*sql.DB, *sql.Conn, error) {
	d, err := sql.Open("sqlite3", "file:"+db.Path+"?_busy_timeout=5000&_foreign_keys=off")
	if err != nil {
		return nil, nil, err
	}
	d.SetMaxOpenConns(1)
	c, err := d.Conn(ctx)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, c, nil
}

// LatestMigration is the name of the newest embedded migration: the
// schema version an export records.
func LatestMigration() (string, error) {
	ms, err := Migrations()
	if err != nil {
		return "", err
	}
	if len(ms) == 0 {
		return "", errors.New("no migrations")
	}
	return ms[len(ms)-1].Name, nil
}

// TenantTransferStore implements app.TenantTransferStore.
type TenantTransferStore struct{ db *DB }

var _ app.TenantTransferStore = (*TenantTransferStore)(nil)

// NewTenantTransferStore returns a TenantTransferStore on db.
func NewTenantTransferStore(db *DB) *TenantTransferStore { return &TenantTransferStore{db: db} }

// ExportTenant writes every row of the tenant to a new SQLite file at
// path (replacing it only when complete). progress, if not nil, is called
// after each table. Returns ENOTFOUND for an unknown tenant.
func (s *TenantTransferStore) ExportTenant(ctx context.Context, tenantID int64, path string, progress func(app.TransferProgress)) (*app.TransferSummary, error) {
	start := time.Now()
	t, err := findTenant(ctx, s.db.read, `t.id = ?`, tenantID)
	if err != nil {
		return nil, err
	}
	schemaVersion, err := LatestMigration()
	if err != nil {
		return nil, err
	}
	part := path + ".part"
	_ = os.Remove(part)
	d, c, err := s.db.exportConn(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	defer c.Close()
	if _, err := c.ExecContext(ctx, `ATTACH DATABASE ? AS x`, part); err != nil {
		return nil, fmt.Errorf("create export file: %w", err)
	}
	attached := true
	defer func() {
		if attached {
			c.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE x`)
		}
	}()
	// The file is renamed into place only when complete, so it needs no
	// journal while it is written.
	if _, err := c.ExecContext(ctx, `PRAGMA x.journal_mode = OFF`); err != nil {
		return nil, err
	}
	if _, err := c.ExecContext(ctx, `PRAGMA x.synchronous = OFF`); err != nil {
		return nil, err
	}
	sum := &app.TransferSummary{Tenant: t.Slug, SchemaVersion: schemaVersion, Counts: map[string]int64{}}
	err = s.exportSnapshot(ctx, c, t, sum, progress)
	if err != nil {
		os.Remove(part)
		return nil, err
	}
	if _, err := c.ExecContext(ctx, `DETACH DATABASE x`); err != nil {
		os.Remove(part)
		return nil, err
	}
	attached = false
	if err := syncFile(part); err != nil {
		os.Remove(part)
		return nil, err
	}
	if err := os.Rename(part, path); err != nil {
		os.Remove(part)
		return nil, err
	}
	if fi, err := os.Stat(path); err == nil {
		sum.Bytes = fi.Size()
	}
	sum.Duration = time.Since(start)
	return sum, nil
}

// exportSnapshot copies tenant t into the attached export file x in one
// read transaction (one consistent snapshot): its rows, its part of the
// CRM search index, the manifest (row counts per table) and the README.
func (s *TenantTransferStore) exportSnapshot(ctx context.Context, c *sql.Conn, t *app.Tenant, sum *app.TransferSummary, progress func(app.TransferProgress)) error {
	if _, err := c.ExecContext(ctx, `BEGIN`); err != nil {
		return err
	}
	defer c.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	plan, err := exportPlan(ctx, c, "")
	if err != nil {
		return err
	}
	for _, q := range []string{
		`CREATE TABLE x.orengen_export (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
		`CREATE TABLE x.orengen_export_tables (name TEXT PRIMARY KEY, rows INTEGER NOT NULL, how TEXT NOT NULL)`,
		`CREATE TABLE x.README (section TEXT NOT NULL, text TEXT NOT NULL)`,
		`CREATE TABLE x.orengen_crm_fts (rowid INTEGER PRIMARY KEY, body TEXT NOT NULL)`,
		`CREATE TABLE x.tenants AS SELECT * FROM main.tenants WHERE 0`,
		`INSERT INTO x.tenants SELECT * FROM main.tenants WHERE id = ?`,
	} {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{t.ID}
		}
		if _, err := c.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("export: %w", err)
		}
	}
	if err := exportTables(ctx, c, plan, t.ID, sum, progress); err != nil {
		return err
	}
	sum.Counts["tenants"] = 1
	if _, err := c.ExecContext(ctx, `INSERT INTO x.orengen_export_tables (name, rows, how) VALUES ('tenants', 1, 'the tenant itself')`); err != nil {
		return err
	}
	for code, tb := range crmFTSTables {
		if _, err := c.ExecContext(ctx, `INSERT INTO x.orengen_crm_fts (rowid, body) SELECT rowid, body FROM main.crm_fts WHERE rowid IN (SELECT id * 8 + ? FROM x.`+tb+`)`, code); err != nil {
			return fmt.Errorf("export search index: %w", err)
		}
	}
	sum.Files = transferFiles(sum.Counts)
	meta := [][2]string{{"format", ExportFormat}, {"format_version", strconv.Itoa(ExportFormatVersion)}, {"schema_version", sum.SchemaVersion},
		{"tenant_id", strconv.FormatInt(t.ID, 10)}, {"tenant_slug", t.Slug}, {"tenant_name", t.Name},
		{"exported_at", FormatTime(s.db.Now())}, {"rows", strconv.FormatInt(sum.Rows, 10)}, {"tables", strconv.Itoa(len(plan) + 1)}}
	for _, kv := range meta {
		if _, err := c.ExecContext(ctx, `INSERT INTO x.orengen_export (key, value) VALUES (?, ?)`, kv[0], kv[1]); err != nil {
			return err
		}
	}
	if err := writeExportReadme(ctx, c); err != nil {
		return err
	}
	_, err = c.ExecContext(ctx, `COMMIT`)
	return err
}

// exportTables copies the tenant's rows of every table of the plan into
// the export file, counting them in sum and the manifest.
func exportTables(ctx context.Context, c *sql.Conn, plan []*exportTable, tenantID int64, sum *app.TransferSummary, progress func(app.TransferProgress)) error {
	included := map[string]bool{"tenants": true}
	for _, tb := range plan {
		included[tb.Name] = true
	}
	total := len(plan)
	for i, tb := range plan {
		if err := ctx.Err(); err != nil {
			return err
		}
		qn := quoteIdent(tb.Name)
		if _, err := c.ExecContext(ctx, `CREATE TABLE x.`+qn+` AS SELECT * FROM main.`+qn+` WHERE 0`); err != nil {
			return fmt.Errorf("export %s: %w", tb.Name, err)
		}
		where, how := exportWhere(tb, included)
		var args []any
		if tb.Scoped {
			args = []any{tenantID}
		}
		res, err := c.ExecContext(ctx, `INSERT INTO x.`+qn+` SELECT * FROM main.`+qn+` t WHERE `+where, args...)
		if err != nil {
			return fmt.Errorf("export %s: %w", tb.Name, err)
		}
		n, _ := res.RowsAffected()
		sum.Counts[tb.Name] = n
		sum.Rows += n
		if _, err := c.ExecContext(ctx, `INSERT INTO x.orengen_export_tables (name, rows, how) VALUES (?, ?, ?)`, tb.Name, n, how); err != nil {
			return err
		}
		if progress != nil {
			progress(app.TransferProgress{Table: tb.Name, Done: i + 1, Total: total, Rows: sum.Rows})
		}
	}
	return nil
}

// writeExportReadme writes the export file's README table: what the file
// is and what it leaves out.
func writeExportReadme(ctx context.Context, c *sql.Conn) error {
	readme := [][2]string{{"about", exportReadme}}
	var skipped []string
	for n := range exportSkipped {
		skipped = append(skipped, n)
	}
	sort.Strings(skipped)
	for _, n := range skipped {
		readme = append(readme, [2]string{"left out: " + n, exportSkipped[n]})
	}
	for _, kv := range readme {
		if _, err := c.ExecContext(ctx, `INSERT INTO x.README (section, text) VALUES (?, ?)`, kv[0], kv[1]); err != nil {
			return err
		}
	}
	return nil
}

// exportWhere is the row filter of an exported table (alias t) and a
// sentence saying it.
func exportWhere(tb *exportTable, included map[string]bool) (string, string) {
	if tb.Scoped {
		return `t.tenant_id = ?`, "rows with the tenant's tenant_id"
	}
	var any, all []string
	var parents []string
	for _, fk := range tb.FKs {
		if !included[fk.Table] {
			continue
		}
		cond := `t.` + quoteIdent(fk.Col) + ` IN (SELECT ` + quoteIdent(fk.To) + ` FROM x.` + quoteIdent(fk.Table) + `)`
		any = append(any, cond)
		all = append(all, `(t.`+quoteIdent(fk.Col)+` IS NULL OR `+cond+`)`)
		parents = append(parents, fk.Table)
	}
	return `(` + strings.Join(any, ` OR `) + `) AND ` + strings.Join(all, ` AND `), "rows whose parents (" + strings.Join(parents, ", ") + ") are exported"
}

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func syncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// checkExportFile refuses a file that is not a complete SQLite database:
// SQLite's header records the database size in pages, and a truncated
// copy is shorter than that.
func checkExportFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return app.Errorf(app.EINVALID, "The file %s does not exist.", path)
		}
		return fmt.Errorf("open export: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		return app.Errorf(app.EINVALID, "The file is not an OrenGen tenant export: it is not an SQLite database.")
	}
	if !bytes.HasPrefix(h[:], []byte("SQLite format 3\x00")) {
		return app.Errorf(app.EINVALID, "The file is not an OrenGen tenant export: it is not an SQLite database.")
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	if pages > 0 && fi.Size() < pageSize*pages {
		return app.Errorf(app.EINVALID, "The export file is truncated: %d of %d bytes are there.", fi.Size(), pageSize*pages)
	}
	return nil
}

var (
	formRefRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^form-([0-9]+)$`) })
	digitsRE  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]+$`) })
)

// ImportTenant reads an export file made by ExportTenant into this
// database as a new tenant, in one transaction: every id gets a number
// past those already here and every reference follows it. With DryRun
// it checks everything, counts the rows and rolls back. Returns EINVALID
// for a file that is not an export, is truncated, comes from a newer
// schema or fails its row counts, and ECONFLICT when the slug (or a user's
// email, or a domain) exists here.
func (s *TenantTransferStore) ImportTenant(ctx context.Context, path string, opt app.ImportOptions) (*app.TransferSummary, error) {
	start := time.Now()
	if err := checkExportFile(path); err != nil {
		return nil, err
	}
	// The file is opened read-only first, to check it without the write
	// lock.
	meta, err := readExportMeta(ctx, path)
	if err != nil {
		return nil, err
	}
	slug, err := importSlug(meta, opt.Slug)
	if err != nil {
		return nil, err
	}
	sum := &app.TransferSummary{Tenant: slug, SchemaVersion: meta["schema_version"], Counts: map[string]int64{}, DryRun: opt.DryRun}

	c, err := s.db.write.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.ExecContext(ctx, `ATTACH DATABASE ? AS x`, "file:"+path+"?mode=ro"); err != nil {
		return nil, app.Errorf(app.EINVALID, "The export file cannot be opened: %s.", err.Error())
	}
	defer c.ExecContext(context.WithoutCancel(ctx), `DETACH DATABASE x`)
	if _, err := c.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			c.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
	}()
	// References (a workflow version and its workflow point at each other)
	// are checked at COMMIT; reset by SQLite when the transaction ends.
	if _, err := c.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return nil, err
	}
	var n int
	if err := c.QueryRowContext(ctx, `SELECT count(*) FROM main.tenants WHERE slug = ?`, slug).Scan(&n); err != nil {
		return nil, err
	}
	if n > 0 {
		return nil, app.Errorf(app.ECONFLICT, "A tenant with the slug %q exists on this appliance; import with --slug NEW.", slug)
	}
	plan, mtables, err := importPlan(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := checkImportRows(ctx, c, plan); err != nil {
		return nil, err
	}
	offs, err := importOffsets(ctx, c, plan)
	if err != nil {
		return nil, err
	}
	off := func(t string) int64 { return offs[t] }
	newTenant := off("tenants") + mustAtoi(meta["tenant_id"])
	for _, xt := range plan {
		rows, err := importTable(ctx, c, xt, mtables[xt.Name], off, newTenant, slug)
		if err != nil {
			return nil, err
		}
		sum.Counts[xt.Name] = rows
		sum.Rows += rows
		if opt.Progress != nil {
			opt.Progress(app.TransferProgress{Table: xt.Name, Done: len(sum.Counts), Total: len(plan), Rows: sum.Rows})
		}
	}
	// References inside JSON: forms in site blocks and workflow
	// definitions, agents and tables in workflow steps.
	if err := importRewriteJSON(ctx, c, off); err != nil {
		return nil, err
	}
	if err := importSearchIndex(ctx, c, off); err != nil {
		return nil, err
	}
	if err := importDashCounts(ctx, c, newTenant); err != nil {
		return nil, err
	}
	sum.TenantID, sum.Files = newTenant, transferFiles(sum.Counts)
	if opt.DryRun {
		if bad := foreignKeyFault(ctx, c); bad != "" {
			return nil, app.Errorf(app.EINVALID, "The export file's table %s refers to a record the file does not hold.", bad)
		}
		sum.Duration = time.Since(start)
		return sum, nil
	}
	if _, err := c.ExecContext(ctx, `COMMIT`); err != nil {
		if bad := foreignKeyFault(ctx, c); bad != "" {
			return nil, app.Errorf(app.EINVALID, "The export file's table %s refers to a record the file does not hold.", bad)
		}
		return nil, importError("", err)
	}
	done = true
	sum.Duration = time.Since(start)
	return sum, nil
}

// importSlug checks that this appliance knows the export's schema and
// format versions, and returns the slug the tenant is imported under: the
// one asked for (checked as a new tenant's would be), or the file's.
func importSlug(meta map[string]string, asked string) (string, error) {
	if known, err := knownSchema(meta["schema_version"]); err != nil {
		return "", err
	} else if !known {
		return "", app.Errorf(app.EINVALID, "The export comes from a newer schema version (%s) than this appliance knows; upgrade orengen here first.", meta["schema_version"])
	}
	if v, _ := strconv.Atoi(meta["format_version"]); v > ExportFormatVersion || v < 1 {
		return "", app.Errorf(app.EINVALID, "The export file's format version %s is not supported by this orengen.", meta["format_version"])
	}
	if asked == "" {
		return meta["tenant_slug"], nil
	}
	slug := strings.ToLower(strings.TrimSpace(asked))
	probe := &app.Tenant{Name: "x", Slug: slug}
	if err := probe.Validate(); err != nil {
		return "", err
	}
	return slug, nil
}

// importPlan lists the attached file's tables in the order they are
// copied, tenants first, each with the file's own columns, and this
// appliance's tables by name. The file's tables are classified by this
// appliance's schema (the file's own tables carry no foreign keys).
func importPlan(ctx context.Context, c *sql.Conn) ([]*exportTable, map[string]*exportTable, error) {
	mplan, err := exportPlan(ctx, c, "")
	if err != nil {
		return nil, nil, err
	}
	mtables := map[string]*exportTable{}
	for _, t := range mplan {
		mtables[t.Name] = t
	}
	xcols := map[string][]string{}
	if err := queryEach(ctx, c, `SELECT m.name, p.name FROM x.sqlite_master m, pragma_table_info(m.name, 'x') p WHERE m.type = 'table' ORDER BY m.name, p.cid`, func(r *sql.Rows) error {
		var t, col string
		if err := r.Scan(&t, &col); err != nil {
			return err
		}
		xcols[t] = append(xcols[t], col)
		return nil
	}); err != nil {
		return nil, nil, app.Errorf(app.EINVALID, "The export file's tables are not readable: %s.", err.Error())
	}
	plan := []*exportTable{{Name: "tenants", IntPK: true, Cols: xcols["tenants"]}}
	for _, mt := range mplan {
		if cols, ok := xcols[mt.Name]; ok {
			plan = append(plan, &exportTable{Name: mt.Name, Cols: cols, IntPK: mt.IntPK, Scoped: mt.Scoped, FKs: mt.FKs})
			delete(xcols, mt.Name)
		}
	}
	for t := range xcols {
		if t != "tenants" && t != "README" && !strings.HasPrefix(t, "orengen_") {
			return nil, nil, app.Errorf(app.EINVALID, "The export holds a table %s that this appliance does not import.", t)
		}
	}
	// The tenants table is not in the export plan (it is not scoped by a
	// tenant); its columns here are read from the schema.
	tenants := &exportTable{Name: "tenants"}
	if err := queryEach(ctx, c, `SELECT name FROM pragma_table_info('tenants', 'main')`, func(r *sql.Rows) error {
		var col string
		if err := r.Scan(&col); err != nil {
			return err
		}
		tenants.Cols = append(tenants.Cols, col)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	mtables["tenants"] = tenants
	return plan, mtables, nil
}

// checkImportRows fails a damaged file (row counts against its manifest,
// one tenant) and a file whose unique values exist here already.
func checkImportRows(ctx context.Context, c *sql.Conn, plan []*exportTable) error {
	counts := map[string]int64{}
	if err := queryEach(ctx, c, `SELECT name, rows FROM x.orengen_export_tables`, func(r *sql.Rows) error {
		var name string
		var rows int64
		if err := r.Scan(&name, &rows); err != nil {
			return err
		}
		counts[name] = rows
		return nil
	}); err != nil {
		return app.Errorf(app.EINVALID, "The export file is damaged: %s.", err.Error())
	}
	// The record tables first, then the tenants row.
	for _, xt := range append(plan[1:len(plan):len(plan)], plan[0]) {
		var got int64
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM x.`+quoteIdent(xt.Name)).Scan(&got); err != nil {
			return app.Errorf(app.EINVALID, "The export file is damaged: %s.", err.Error())
		}
		if want, ok := counts[xt.Name]; !ok || want != got {
			return app.Errorf(app.EINVALID, "The export file is damaged: table %s holds %d rows, its manifest says %d.", xt.Name, got, want)
		}
	}
	if counts["tenants"] != 1 {
		return app.Errorf(app.EINVALID, "The export file holds %d tenants instead of one.", counts["tenants"])
	}
	// Unique values that must not exist here already.
	for _, chk := range []struct{ q, what string }{
		{`SELECT u.email FROM x.tenant_users u JOIN main.tenant_users m ON m.email = u.email COLLATE NOCASE LIMIT 1`, "A user with the email %s exists on this appliance (emails are unique across tenants)."},
		{`SELECT d.name FROM x.custom_domains d JOIN main.custom_domains m ON m.name = d.name COLLATE NOCASE LIMIT 1`, "The domain %s is already set up on this appliance."},
	} {
		var v string
		err := c.QueryRowContext(ctx, chk.q).Scan(&v)
		if err == nil {
			return app.Errorf(app.ECONFLICT, chk.what, v)
		} else if !errors.Is(err, sql.ErrNoRows) && !strings.Contains(err.Error(), "no such table") {
			return err
		}
	}
	return nil
}

// importOffsets gives each table with integer ids the number its ids move
// by: past the ids (and the AUTOINCREMENT sequence) already in use here.
func importOffsets(ctx context.Context, c *sql.Conn, plan []*exportTable) (map[string]int64, error) {
	offs := map[string]int64{}
	for _, xt := range plan {
		if !xt.IntPK {
			continue
		}
		var xmin sql.NullInt64
		if err := c.QueryRowContext(ctx, `SELECT min(id) FROM x.`+quoteIdent(xt.Name)).Scan(&xmin); err != nil {
			return nil, err
		}
		if !xmin.Valid {
			continue
		}
		var mmax int64
		if err := c.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM main.`+quoteIdent(xt.Name)).Scan(&mmax); err != nil {
			return nil, err
		}
		var seq sql.NullInt64
		err := c.QueryRowContext(ctx, `SELECT seq FROM main.sqlite_sequence WHERE name = ?`, xt.Name).Scan(&seq)
		if err != nil && !errors.Is(err, sql.ErrNoRows) && !strings.Contains(err.Error(), "no such table") {
			return nil, err
		}
		if seq.Valid && seq.Int64 > mmax {
			mmax = seq.Int64
		}
		offs[xt.Name] = mmax + 1 - xmin.Int64
	}
	return offs, nil
}

// importTable copies one table of the file into this appliance's table
// mt, ids and references moved, in one INSERT ... SELECT.
func importTable(ctx context.Context, c *sql.Conn, xt, mt *exportTable, off func(string) int64, newTenant int64, slug string) (int64, error) {
	var cols, exprs []string
	for _, col := range xt.Cols {
		if !mt.has(col) {
			return 0, app.Errorf(app.EINVALID, "The export's table %s has a column %s that this appliance does not have.", xt.Name, col)
		}
		cols = append(cols, quoteIdent(col))
		exprs = append(exprs, importExpr(mt, col, off, newTenant, slug))
	}
	res, err := c.ExecContext(ctx, `INSERT INTO main.`+quoteIdent(xt.Name)+` (`+strings.Join(cols, ", ")+`) SELECT `+strings.Join(exprs, ", ")+` FROM x.`+quoteIdent(xt.Name)+` t`)
	if err != nil {
		return 0, importError(xt.Name, err)
	}
	rows, _ := res.RowsAffected()
	return rows, nil
}

// importSearchIndex copies the file's CRM search index, each rowid moved
// by its record table's offset (the low 3 bits name the table).
func importSearchIndex(ctx context.Context, c *sql.Conn, off func(string) int64) error {
	var cases []string
	for code, tb := range crmFTSTables {
		cases = append(cases, fmt.Sprintf("WHEN %d THEN %d", code, off(tb)))
	}
	sort.Strings(cases)
	if _, err := c.ExecContext(ctx, `INSERT INTO main.crm_fts (rowid, body) SELECT ((rowid >> 3) + CASE rowid & 7 `+strings.Join(cases, " ")+` ELSE 0 END) * 8 + (rowid & 7), body FROM x.orengen_crm_fts`); err != nil {
		return fmt.Errorf("import search index: %w", err)
	}
	return nil
}

// transferFiles counts the files among an export's or import's rows:
// wiki attachments, site files and logos.
func transferFiles(counts map[string]int64) int64 {
	return counts["wiki_attachment_data"] + counts["web_files"] + counts["tenant_logos"]
}

// foreignKeyFault names a table of this database with a dangling foreign
// key ("" when none), to say which part of an import is at fault.
func foreignKeyFault(ctx context.Context, c *sql.Conn) string {
	var bad string
	if err := c.QueryRowContext(ctx, `SELECT "table" FROM pragma_foreign_key_check(NULL, 'main') LIMIT 1`).Scan(&bad); err != nil {
		return ""
	}
	return bad
}

func mustAtoi(s string) int64 {
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// importExpr is the SELECT expression (over x.T t) giving column col its
// value on this appliance.
func importExpr(mt *exportTable, col string, off func(string) int64, newTenant int64, slug string) string {
	q := `t.` + quoteIdent(col)
	if mt.Name == "tenants" {
		switch col {
		case "id":
			return strconv.FormatInt(newTenant, 10)
		case "slug":
			return `'` + strings.ReplaceAll(slug, `'`, `''`) + `'`
		case "is_house":
			return `0`
		}
		return q
	}
	if r, ok := exportRefs[mt.Name+"."+col]; ok && r.Expr != nil {
		return r.Expr(off)
	}
	if col == "id" && mt.IntPK {
		return fmt.Sprintf(`%s + %d`, q, off(mt.Name))
	}
	if mt.Name == "crm_timeline" && col == "tx" {
		// Imported history: automations and webhooks skip it.
		return strconv.FormatInt(ImportedTimelineTx, 10)
	}
	if col == "tenant_id" {
		return fmt.Sprintf(`CASE WHEN %s IS NULL THEN NULL ELSE %d END`, q, newTenant)
	}
	for _, fk := range mt.FKs {
		if fk.Col == col {
			if fk.Table == "tenants" {
				return fmt.Sprintf(`CASE WHEN %s IS NULL THEN NULL ELSE %d END`, q, newTenant)
			}
			if fk.To == "id" {
				return fmt.Sprintf(`%s + %d`, q, off(fk.Table))
			}
			return q
		}
	}
	if r, ok := exportRefs[mt.Name+"."+col]; ok {
		switch {
		case r.To == "tenants":
			return strconv.FormatInt(newTenant, 10)
		case r.To != "":
			return fmt.Sprintf(`%s + %d`, q, off(r.To))
		case r.KindCol != "":
			var kinds []string
			for k := range r.Kinds {
				kinds = append(kinds, k)
			}
			sort.Strings(kinds)
			var b strings.Builder
			fmt.Fprintf(&b, `CASE t.%s`, quoteIdent(r.KindCol))
			for _, k := range kinds {
				if r.Kinds[k] == "tenants" {
					fmt.Fprintf(&b, ` WHEN '%s' THEN %d`, k, newTenant)
				} else {
					fmt.Fprintf(&b, ` WHEN '%s' THEN %s + %d`, k, q, off(r.Kinds[k]))
				}
			}
			fmt.Fprintf(&b, ` ELSE %s END`, q)
			return b.String()
		}
		return q
	}
	if to, ok := exportTextRefs[mt.Name+"."+col]; ok {
		o := off(to)
		return fmt.Sprintf(`CASE WHEN %[1]s GLOB 'form-[0-9]*' AND substr(%[1]s, 6) NOT GLOB '*[^0-9]*' THEN 'form-' || (CAST(substr(%[1]s, 6) AS INTEGER) + %[2]d)
			WHEN %[1]s <> '' AND %[1]s NOT GLOB '*[^0-9]*' THEN CAST(CAST(%[1]s AS INTEGER) + %[2]d AS TEXT) ELSE %[1]s END`, q, o)
	}
	return q
}

// importRewriteJSON moves the ids held inside JSON columns of the rows
// just imported (those past the offsets).
func importRewriteJSON(ctx context.Context, c *sql.Conn, off func(string) int64) error {
	type job struct {
		table, col string
		fn         func(any) any
	}
	mapID := func(table string, id int64) int64 { return id + off(table) }
	blocks := func(v any) any { return shiftJSONKey(v, "form_id", "forms", mapID) }
	def := func(v any) any { return shiftDefinition(v, mapID) }
	for _, j := range []job{
		{"web_pages", "blocks", blocks},
		{"web_revisions", "snapshot", blocks},
		{"workflow_versions", "definition", def},
	} {
		type upd struct {
			id int64
			v  string
		}
		var ups []upd
		err := queryEach(ctx, c, `SELECT id + ?, `+quoteIdent(j.col)+` FROM x.`+quoteIdent(j.table), func(r *sql.Rows) error {
			var u upd
			if err := r.Scan(&u.id, &u.v); err != nil {
				return err
			}
			ups = append(ups, u)
			return nil
		}, off(j.table))
		if err != nil {
			return fmt.Errorf("import %s: %w", j.table, err)
		}
		for _, u := range ups {
			nv, err := rewriteJSON(u.v, j.fn)
			if err != nil {
				return err
			}
			if nv == u.v {
				continue
			}
			if _, err := c.ExecContext(ctx, `UPDATE main.`+quoteIdent(j.table)+` SET `+quoteIdent(j.col)+` = ? WHERE id = ?`, nv, u.id); err != nil {
				return fmt.Errorf("import %s: %w", j.table, err)
			}
		}
	}
	return nil
}

// idMapper gives the new id of a record of table.
type idMapper func(table string, id int64) int64

// shiftJSONKey maps every number under key, anywhere in v, as an id of
// table.
func shiftJSONKey(v any, key, table string, m idMapper) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if n, ok := e.(json.Number); ok && k == key {
				if i, err := n.Int64(); err == nil && i > 0 {
					x[k] = json.Number(strconv.FormatInt(m(table, i), 10))
				}
				continue
			}
			x[k] = shiftJSONKey(e, key, table, m)
		}
	case []any:
		for i, e := range x {
			x[i] = shiftJSONKey(e, key, table, m)
		}
	}
	return v
}

// shiftDefinition maps a workflow definition's references: its trigger's
// form, and its steps' agent and table when they are ids.
func shiftDefinition(v any, m idMapper) any {
	d, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if w, ok := d["when"].(map[string]any); ok {
		if s, ok := w["form"].(string); ok {
			w["form"] = shiftFormRef(s, m)
		}
	}
	if steps, ok := d["steps"].([]any); ok {
		for _, st := range steps {
			x, ok := st.(map[string]any)
			if !ok {
				continue
			}
			if s, ok := x["agent"].(string); ok && digitsRE().MatchString(s) {
				x["agent"] = shiftDigits(s, "agents", m)
			}
			if s, ok := x["table"].(string); ok && digitsRE().MatchString(s) {
				x["table"] = shiftDigits(s, "sheet_tables", m)
			}
		}
	}
	return d
}

// shiftFormRef maps a form reference written "form-N" or "N".
func shiftFormRef(s string, m idMapper) string {
	if x := formRefRE().FindStringSubmatch(s); x != nil {
		return "form-" + shiftDigits(x[1], "forms", m)
	}
	if digitsRE().MatchString(s) {
		return shiftDigits(s, "forms", m)
	}
	return s
}

func shiftDigits(s, table string, m idMapper) string {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return s
	}
	return strconv.FormatInt(m(table, n), 10)
}

// rewriteJSON applies fn to the JSON text s; text that is not JSON is
// returned as it is.
func rewriteJSON(s string, fn func(any) any) (string, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return s, nil
	}
	b, err := json.Marshal(fn(v))
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func importError(table string, err error) error {
	if e := FormatError(err, "A record of the export conflicts with one on this appliance."); app.ErrorCode(e) != app.EINTERNAL {
		if table != "" {
			return app.Errorf(app.ErrorCode(e), "Table %s: %s", table, app.ErrorMessage(e))
		}
		return e
	}
	return fmt.Errorf("import %s: %w", table, err)
}

// readExportMeta opens the file read-only and returns its orengen_export
// keys; EINVALID when it is not an export.
func readExportMeta(ctx context.Context, path string) (map[string]string, error) {
	d, err := sql.Open("sqlite3", "file:"+path+"?mode=ro&_query_only=on")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	meta := map[string]string{}
	rows, err := d.QueryContext(ctx, `SELECT key, value FROM orengen_export`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return nil, app.Errorf(app.EINVALID, "The file is not an OrenGen tenant export: it has no orengen_export table.")
		}
		return nil, app.Errorf(app.EINVALID, "The file is not an OrenGen tenant export: %s.", err.Error())
	}
	defer rows.Close()
	for rows.Next() {
		var k, v string
		if err := rows.Scan(&k, &v); err != nil {
			return nil, app.Errorf(app.EINVALID, "The export file is damaged: %s.", err.Error())
		}
		meta[k] = v
	}
	if err := rows.Err(); err != nil {
		return nil, app.Errorf(app.EINVALID, "The export file is damaged: %s.", err.Error())
	}
	if meta["format"] != ExportFormat {
		return nil, app.Errorf(app.EINVALID, "The file is not an OrenGen tenant export (format %q).", meta["format"])
	}
	var ok string
	if err := d.QueryRowContext(ctx, `PRAGMA quick_check`).Scan(&ok); err != nil || ok != "ok" {
		return nil, app.Errorf(app.EINVALID, "The export file is damaged (SQLite's check fails: %s).", ok)
	}
	return meta, nil
}

func queryEach(ctx context.Context, c interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, q string, fn func(*sql.Rows) error, args ...any) error {
	rows, err := c.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// importDashCounts counts the imported tenant's leads and runs into the
// dashboard's daily counts, as their inserts would have (countDaily).
func importDashCounts(ctx context.Context, c *sql.Conn, tenantID int64) error {
	for _, q := range []string{
		`INSERT INTO main.dash_daily (metric, tenant_id, day, key, n) SELECT 'leads', tenant_id, substr(created_at, 1, 10), source, count(*)
			FROM main.leads WHERE tenant_id = ? GROUP BY 2, 3, 4`,
		`INSERT INTO main.dash_daily (metric, tenant_id, day, key, n) SELECT 'runs', tenant_id, substr(created_at, 1, 10), status, count(*)
			FROM main.runs WHERE tenant_id = ? GROUP BY 2, 3, 4`,
	} {
		if _, err := c.ExecContext(ctx, q, tenantID); err != nil {
			return importError("dash_daily", err)
		}
	}
	return nil
}
