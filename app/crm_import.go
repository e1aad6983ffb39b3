package app

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// CSV import: a job row per upload, a column mapping the user confirms,
// a validation pass over the whole file, then batches written through
// CRMImportStore.ImportBatch. The mapping, record building and row
// validation live here so they are the same for the preview and the
// import itself.

// Dedupe policies: what an import does with a row matching an existing
// record (people by normalised email or phone, companies by domain or
// name, deals by name).
const (
	DedupeSkip   = "skip"   // keep the existing record, skip the row
	DedupeUpdate = "update" // fill the existing record with the row's non-empty values
	DedupeCreate = "create" // always create a new record
)

// Import job states.
const (
	ImportMapping = "mapping" // uploaded; waiting for the mapping
	ImportRunning = "running"
	ImportDone    = "done"
	ImportFailed  = "failed" // nothing (or, past bad rows, nothing more) written; see Error
)

// Import limits.
const (
	// ImportBatchSize is the rows written per transaction.
	ImportBatchSize = 500
	// MaxImportErrors is the bad rows kept per job for the report (all
	// are counted).
	MaxImportErrors = 1000
)

// ImportJob is one CSV import of a tenant.
type ImportJob struct {
	ID       int64
	TenantID int64
	Object   string // person, company or deal
	FileName string
	// Path is the server-side copy of the upload (never shown).
	Path      string
	Header    []string // the CSV's first row
	Mapping   []string // field per column ("" = not imported)
	Dedupe    string
	Continue  bool // write the valid rows even if some are bad
	Status    string
	Error     string
	Rows      int // data rows read so far
	Created   int
	Updated   int
	Skipped   int // duplicates skipped
	Invalid   int
	Actor     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Finished reports whether the job no longer runs.
func (j *ImportJob) Finished() bool { return j.Status == ImportDone || j.Status == ImportFailed }

// ImportRowError is a bad row of an import: its line in the file (the
// header is line 1), the field at fault and why.
type ImportRowError struct {
	Line    int
	Field   string
	Message string
}

// ImportRecord is one validated row ready to write. CompanyName links a
// person or deal to the company of that name, created if missing.
type ImportRecord struct {
	Line        int
	Person      *Person
	Company     *Company
	Deal        *Deal
	CompanyName string
}

// ImportCounts is what one batch did.
type ImportCounts struct {
	Created, Updated, Skipped int
}

// CRMImportStore keeps import jobs and writes their batches (tenant from
// ctx).
type CRMImportStore interface {
	// CreateImportJob stores a new job. Returns EUNAUTHORIZED.
	CreateImportJob(ctx context.Context, j *ImportJob) error
	// FindImportJob returns ENOTFOUND for another tenant's job.
	FindImportJob(ctx context.Context, id int64) (*ImportJob, error)
	// FindImportJobs lists the tenant's latest jobs, newest first.
	FindImportJobs(ctx context.Context, limit int) ([]*ImportJob, error)
	// UpdateImportJob saves the job's mapping, policy, state and counts.
	UpdateImportJob(ctx context.Context, j *ImportJob) error
	// AddImportErrors appends bad rows to the job's report.
	AddImportErrors(ctx context.Context, jobID int64, errs []ImportRowError) error
	// FindImportErrors returns the first limit bad rows by line.
	FindImportErrors(ctx context.Context, jobID int64, limit int) ([]ImportRowError, error)
	// ImportBatch writes recs (at most MaxBatch) in one transaction with
	// the dedupe policy and adds the counts to job j (saved in the same
	// transaction, so progress never runs ahead of the data). Returns a
	// *BatchError naming the first record the store refused; then
	// nothing of the batch is written.
	ImportBatch(ctx context.Context, j *ImportJob, recs []*ImportRecord) (ImportCounts, error)
}

// ImportField is a target a CSV column can map to.
type ImportField struct {
	Key   string // "first_name", "custom.budget"
	Label string
}

// importFields: each kind's descriptor fields, then its own.
var importFields = map[string][]ImportField{
	RecordPerson: KindPerson.fieldItems(nil, nil, (*Field).ImportTitle, ImportField{"name", "Full name (split at the first space)"},
		ImportField{"emails", "Emails"}, ImportField{"phones", "Phones"}, ImportField{"phone_code", "Phone calling code (+44)"}, ImportField{"company", "Company (name)"},
		ImportField{"tags", "Tags"}, ImportField{"consent_email", "Consent: email"}, ImportField{"consent_sms", "Consent: SMS"}, ImportField{"consent_calls", "Consent: calls"}),
	RecordCompany: KindCompany.fieldItems(nil, nil, (*Field).ImportTitle, ImportField{"tags", "Tags"}),
	RecordDeal: KindDeal.fieldItems(nil, nil, (*Field).ImportTitle, ImportField{"amount", "Amount (decimal)"}, ImportField{"amount_micros", "Amount (micros, Twenty)"},
		ImportField{"currency", "Currency"}, ImportField{"pipeline", "Pipeline (name)"}, ImportField{"stage", "Stage (name)"}, ImportField{"expected_close", "Expected close"},
		ImportField{"probability", "Probability (%)"}, ImportField{"company", "Company (name)"}, ImportField{"tags", "Tags"}),
}

// ImportFields lists the fields a column of an object's CSV can map to,
// custom fields last (as "custom.<key>").
func ImportFields(object string, defs []*CustomField) []ImportField {
	out := append([]ImportField(nil), importFields[object]...)
	for _, d := range defs {
		out = append(out, ImportField{"custom." + d.Key, d.Label + " (custom)"})
	}
	return out
}

// importAliases maps normalised headers (lowercase, runs of non-letters
// as one "_") to fields, per object. Twenty CRM's export headers
// ("Name / First Name", "Emails / Primary Email", "Amount / Amount
// Micros", ...) are included; docs/CRM.md lists them. The descriptor
// fields' keys and aliases are added (withFieldAliases).
var importAliases = map[string]map[string]string{
	RecordPerson: withFieldAliases(KindPerson, map[string]string{
		"name": "name", "full_name": "name",
		"email": "emails", "emails": "emails", "e_mail": "emails", "email_address": "emails", "emails_primary_email": "emails", "emails_additional_emails": "emails",
		"phone": "phones", "phones": "phones", "phone_number": "phones", "mobile": "phones", "telephone": "phones",
		"phones_primary_phone_number": "phones", "phones_additional_phones": "phones",
		"phones_primary_phone_calling_code": "phone_code", "phones_primary_phone_country_code": "phone_code",
		"company": "company", "company_name": "company", "organization": "company", "organisation": "company",
		"tags": "tags", "tag": "tags",
		"consent_email": "consent_email", "consent_sms": "consent_sms", "consent_calls": "consent_calls",
	}),
	RecordCompany: withFieldAliases(KindCompany, map[string]string{
		"tags": "tags", "tag": "tags",
	}),
	RecordDeal: withFieldAliases(KindDeal, map[string]string{
		"amount": "amount", "value": "amount", "amount_amount_micros": "amount_micros", "amount_micros": "amount_micros",
		"currency": "currency", "amount_currency_code": "currency", "currency_code": "currency",
		"pipeline": "pipeline", "stage": "stage",
		"close_date": "expected_close", "expected_close": "expected_close", "close": "expected_close",
		"probability": "probability", "company": "company", "company_name": "company",
		"tags": "tags", "tag": "tags",
	}),
}

// withFieldAliases adds the headers of the kind's fields (key and
// aliases) to m.
func withFieldAliases(k *RecordKind, m map[string]string) map[string]string {
	for _, f := range k.Fields {
		for _, a := range append([]string{f.Key}, f.Aliases...) {
			m[a] = f.Key
		}
	}
	return m
}

// NormalizeHeader is the key a CSV header is matched by: lowercase, a BOM
// and surrounding space dropped, each run of other than letters and
// digits one "_".
func NormalizeHeader(h string) string {
	h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	var b strings.Builder
	sep := false
	for _, r := range h {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if sep && b.Len() > 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
			sep = false
		} else {
			sep = true
		}
	}
	return b.String()
}

// AutoMap proposes a field per column from the headers: known names and
// Twenty's, then custom fields by key or label.
func AutoMap(object string, header []string, defs []*CustomField) []string {
	out := make([]string, len(header))
	for i, h := range header {
		k := NormalizeHeader(h)
		if f, ok := importAliases[object][k]; ok {
			out[i] = f
			continue
		}
		for _, d := range defs {
			if k == d.Key || k == "custom_"+d.Key || k == NormalizeHeader(d.Label) {
				out[i] = "custom." + d.Key
			}
		}
	}
	return out
}

// CheckMapping returns EINVALID unless every mapped field is known and
// the object's name field is mapped.
func CheckMapping(object string, mapping []string, defs []*CustomField) error {
	known := map[string]bool{}
	for _, f := range ImportFields(object, defs) {
		known[f.Key] = true
	}
	named := false
	for _, m := range mapping {
		if m == "" {
			continue
		}
		if !known[m] {
			return FieldErrorf("mapping", "Unknown field %q.", m)
		}
		named = named || m == "name" || m == "first_name" || m == "last_name"
	}
	if !named {
		if object == RecordPerson {
			return FieldErrorf("mapping", "Map a column to first name, last name or full name.")
		}
		return FieldErrorf("mapping", "Map a column to the name.")
	}
	return nil
}

// twentyStages maps Twenty CRM's default opportunity stages to the
// default pipeline's, used only when the pipeline has no stage of the
// name itself.
var twentyStages = map[string]string{"new": "Lead", "screening": "Qualified", "meeting": "Qualified", "customer": "Won"}

// ImportContext is what building a record needs to know about the tenant.
type ImportContext struct {
	Object    string
	Mapping   []string
	Custom    []*CustomField
	Pipelines []*Pipeline // deals only
}

func yes(v string) bool {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "yes", "y", "1", "x", "on":
		return true
	}
	return false
}

// jsonCell reads a JSON list cell, as Twenty exports additional emails
// and phones: ["a@x.com"] or [{"number":"..","callingCode":"+1"}].
func jsonCell(v string) ([]string, bool) {
	if !strings.HasPrefix(v, "[") {
		return nil, false
	}
	var raw []any
	if err := json.Unmarshal([]byte(v), &raw); err != nil {
		return nil, false
	}
	var out []string
	for _, x := range raw {
		switch x := x.(type) {
		case string:
			out = append(out, x)
		case map[string]any:
			num, _ := x["number"].(string)
			code, _ := x["callingCode"].(string)
			if num != "" {
				out = append(out, strings.TrimSpace(code+" "+num))
			}
		}
	}
	return out, true
}

// sizeBucket turns a head count (Twenty's "Employees") into one of
// CompanySizes; other values are kept for Validate to judge.
func sizeBucket(v string) string {
	n, err := strconv.Atoi(strings.ReplaceAll(v, ",", ""))
	if err != nil || n < 1 {
		return v
	}
	for _, b := range []struct {
		max  int
		size string
	}{{10, "1-10"}, {50, "11-50"}, {200, "51-200"}, {1000, "201-1000"}, {5000, "1001-5000"}} {
		if n <= b.max {
			return b.size
		}
	}
	return "5000+"
}

// CustomFromText converts text (a CSV cell, a value an AI agent
// collected) to the custom field's value type. Returns EINVALID naming
// custom.<key>.
func CustomFromText(d *CustomField, v string) (any, error) {
	switch d.Type {
	case CustomNumber:
		n, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
		if err != nil {
			return nil, FieldErrorf("custom."+d.Key, "%s must be a number.", d.Label)
		}
		return d.Check(n)
	case CustomCheckbox:
		return d.Check(yes(v))
	case CustomMultiSelect:
		var list []any
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				list = append(list, s)
			}
		}
		return d.Check(list)
	}
	return d.Check(v)
}

// BuildImportRecord turns one CSV row into a validated record. line is
// the row's line number. Returns EINVALID naming the field at fault.
func (ic *ImportContext) BuildImportRecord(line int, row []string) (*ImportRecord, error) {
	r := &ImportRecord{Line: line}
	k, build := kindOfType(ic.Object), importBuilders[ic.Object]
	if k == nil || build == nil {
		return nil, FieldErrorf("object", "Unknown object %q.", ic.Object)
	}
	b := build(r)
	custom := map[string]any{}
	for i, f := range ic.Mapping {
		if f == "" || i >= len(row) {
			continue
		}
		v := strings.TrimSpace(row[i])
		if v == "" {
			continue
		}
		if key, ok := strings.CutPrefix(f, "custom."); ok {
			for _, def := range ic.Custom {
				if def.Key == key {
					x, err := CustomFromText(def, v)
					if err != nil {
						return nil, err
					}
					custom[key] = x
				}
			}
			continue
		}
		if fd := k.Field(f); fd != nil {
			if err := importField(fd, b.record(), v); err != nil {
				return nil, err
			}
			continue
		}
		if err := b.set(r, f, v); err != nil {
			return nil, err
		}
	}
	if len(r.CompanyName) > 200 {
		return nil, FieldErrorf("company", "Company name must be at most 200 characters.")
	}
	if err := b.finish(ic, custom); err != nil {
		return nil, err
	}
	return r, b.record().Validate()
}

// recordImport builds one kind's record from a CSV row (BuildImportRecord):
// the cells of the kind's descriptor fields go in by importField, the
// others by set; finish sets the custom values (when any) and completes
// the record, which is then validated.
type recordImport interface {
	record() interface{ Validate() error }
	set(r *ImportRecord, key, v string) error
	finish(ic *ImportContext, custom map[string]any) error
}

// importBuilders start the record of each kind's import in r.
var importBuilders = map[string]func(r *ImportRecord) recordImport{
	RecordPerson: func(r *ImportRecord) recordImport {
		r.Person = &Person{Source: "import"}
		return &personImport{p: r.Person}
	},
	RecordCompany: func(r *ImportRecord) recordImport {
		r.Company = &Company{}
		return &companyImport{c: r.Company}
	},
	RecordDeal: func(r *ImportRecord) recordImport {
		r.Deal = &Deal{}
		return &dealImport{d: r.Deal}
	},
}

type personImport struct {
	p         *Person
	phoneCode string
}

func (b *personImport) record() interface{ Validate() error } { return b.p }

func (b *personImport) set(r *ImportRecord, key, v string) error {
	p := b.p
	switch key {
	case "name":
		p.FirstName, p.LastName, _ = strings.Cut(v, " ")
	case "emails":
		if list, ok := jsonCell(v); ok {
			p.Emails = append(p.Emails, list...)
		} else {
			p.Emails = append(p.Emails, strings.Fields(strings.NewReplacer(",", " ", ";", " ").Replace(v))...)
		}
	case "phones":
		if list, ok := jsonCell(v); ok {
			p.Phones = append(p.Phones, list...)
		} else {
			for _, ph := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ';' }) {
				p.Phones = append(p.Phones, strings.TrimSpace(ph))
			}
		}
	case "phone_code":
		b.phoneCode = v
	case "company":
		r.CompanyName = v
	case "tags":
		p.Tags = append(p.Tags, strings.Split(v, ",")...)
	case "consent_email":
		p.Consent.Email = yes(v)
	case "consent_sms":
		p.Consent.SMS = yes(v)
	case "consent_calls":
		p.Consent.Calls = yes(v)
	}
	return nil
}

func (b *personImport) finish(_ *ImportContext, custom map[string]any) error {
	p := b.p
	if len(custom) > 0 {
		p.Custom = custom
	}
	// Twenty exports the calling code apart from the number.
	if b.phoneCode != "" && len(p.Phones) > 0 && !strings.HasPrefix(p.Phones[0], "+") && strings.HasPrefix(b.phoneCode, "+") {
		p.Phones[0] = b.phoneCode + " " + p.Phones[0]
	}
	return nil
}

type companyImport struct{ c *Company }

func (b *companyImport) record() interface{ Validate() error } { return b.c }

func (b *companyImport) set(_ *ImportRecord, key, v string) error {
	if key == "tags" {
		b.c.Tags = append(b.c.Tags, strings.Split(v, ",")...)
	}
	return nil
}

func (b *companyImport) finish(_ *ImportContext, custom map[string]any) error {
	if len(custom) > 0 {
		b.c.Custom = custom
	}
	return nil
}

type dealImport struct {
	d                       *Deal
	pipeline, stage, micros string
}

func (b *dealImport) record() interface{ Validate() error } { return b.d }

func (b *dealImport) set(r *ImportRecord, key, v string) error {
	d := b.d
	var err error
	switch key {
	case "amount":
		d.Amount, err = ParseAmount("amount", v)
	case "amount_micros":
		b.micros = v
	case "currency":
		d.Currency = v
	case "pipeline":
		b.pipeline = v
	case "stage":
		b.stage = v
	case "expected_close":
		var t *time.Time
		if t, err = ParseDate("expected_close", v); err == nil {
			d.ExpectedClose = t
		}
	case "probability":
		n, perr := strconv.Atoi(strings.TrimSuffix(v, "%"))
		if perr != nil {
			err = FieldErrorf("probability", "Probability must be a whole number from 0 to 100.")
		}
		d.Probability = &n
	case "company":
		r.CompanyName = v
	case "tags":
		d.Tags = append(d.Tags, strings.Split(v, ",")...)
	}
	return err
}

func (b *dealImport) finish(ic *ImportContext, custom map[string]any) error {
	d := b.d
	if len(custom) > 0 {
		d.Custom = custom
	}
	if b.micros != "" {
		n, err := strconv.ParseInt(b.micros, 10, 64)
		if err != nil || n < 0 || n%10000 != 0 {
			return FieldErrorf("amount", "Amount micros must be a whole number of cents times 10,000.")
		}
		d.Amount = n / 10000
	}
	return ic.resolveStage(d, b.pipeline, b.stage)
}

// resolveStage picks the deal's pipeline (by name, default the first) and
// stage (by name; Twenty's default stages fall back to ours).
func (ic *ImportContext) resolveStage(d *Deal, pipeline, stage string) error {
	if len(ic.Pipelines) == 0 {
		return nil // the store resolves the default pipeline
	}
	pl := ic.Pipelines[0]
	if pipeline != "" {
		pl = nil
		for _, x := range ic.Pipelines {
			if strings.EqualFold(x.Name, pipeline) {
				pl = x
			}
		}
		if pl == nil {
			return FieldErrorf("pipeline", "Unknown pipeline %q.", pipeline)
		}
	}
	d.PipelineID = pl.ID
	if stage == "" {
		return nil
	}
	st := pl.StageByRef(stage)
	if st == nil {
		if alias, ok := twentyStages[strings.ToLower(stage)]; ok {
			st = pl.StageByRef(alias)
		}
	}
	if st == nil {
		return FieldErrorf("stage", "Unknown stage %q in pipeline %s.", stage, pl.Name)
	}
	d.StageID = st.ID
	return nil
}

// SizeForEmployees is the company size band of a head count (Twenty's
// employees), "" for none.
func SizeForEmployees(n int) string {
	if n < 1 {
		return ""
	}
	return sizeBucket(strconv.Itoa(n))
}

// TwentyStage is the default pipeline's stage for one of Twenty CRM's
// default stages (NEW is Lead, CUSTOMER is Won ...), or "" for another.
func TwentyStage(stage string) string {
	return twentyStages[strings.ToLower(strings.TrimSpace(stage))]
}

// importField sets a descriptor field of rec from a CSV cell: long text
// from several columns joined with ", ". Returns EINVALID naming the
// field.
func importField(f *Field, rec any, v string) error {
	if f.FromImport != nil {
		v = f.FromImport(v)
	}
	if p, ok := f.Ptr(rec).(*string); ok && f.Type == ValueLongText && *p != "" {
		v = *p + ", " + v
	}
	x, err := f.Parse(v)
	if err != nil {
		return err
	}
	f.Set(rec, x)
	return nil
}
