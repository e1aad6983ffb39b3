package app

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// CRM record types: the names used in timeline entries, notes and tasks
// (record_type) and in the API paths.
const (
	RecordPerson  = "person"
	RecordCompany = "company"
	RecordDeal    = "deal"
	RecordNote    = "note"
	RecordTask    = "task"
	// RecordPursuit is a pursued federal notice (a federal_pipeline row)
	// and RecordGrantPursuit a pursued grant: tasks and notes link to
	// them as to CRM records, so the bid pipeline reuses the CRM's.
	RecordPursuit      = "pursuit"
	RecordGrantPursuit = "grant_pursuit"
)

// linkTypes are the record types a note or task links to: every kind's,
// and pursuits; linkTypesMessage names them.
var (
	linkTypes = func() []string {
		var out []string
		for _, k := range RecordKinds {
			out = append(out, k.Type)
		}
		return append(out, RecordPursuit, RecordGrantPursuit)
	}()
	linkTypesMessage = "record_type must be " + orList(linkTypes) + "."
)

// ErrLinkType is the EINVALID naming record_type for a type a note or
// task cannot link to; its message lists the types that can, so a new
// kind is named in it.
func ErrLinkType() error { return FieldErrorf("record_type", "%s", linkTypesMessage) }

// CRM limits.
const (
	// MaxPageSize is the largest page a CRM list returns.
	MaxPageSize = 200
	// DefaultPageSize is the page size when none is asked for.
	DefaultPageSize = 50
	// MaxBatch is the most records one batch upsert takes.
	MaxBatch = 1000
	// DefaultPhoneRegion is the region of phone numbers written without
	// a country code.
	DefaultPhoneRegion = "US"
	// DefaultCurrency is a deal's currency when none is given.
	DefaultCurrency = "USD"
	// DefaultPipelineName is the pipeline every tenant gets on first use.
	DefaultPipelineName = "Sales"
)

// Person is a contact of a tenant.
type Person struct {
	ID        int64
	TenantID  int64
	FirstName string
	LastName  string
	Emails    []string // lowercased, unique, first is primary
	Phones    []string // E.164, unique, first is primary
	CompanyID int64    // 0: none
	// CompanyName is the company's name (read only, filled by lists).
	CompanyName string
	Title       string
	Address     string
	Source      string
	Birthday    *time.Time // a day; nil: unknown
	OwnerID     int64      // a tenant user; 0: none
	Tags        []string
	Consent     Consent
	Custom      map[string]any // custom field values by key
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Consent records what a person agreed to be contacted by.
type Consent struct {
	Email bool `json:"email"`
	SMS   bool `json:"sms"`
	Calls bool `json:"calls"`
}

// Name is the person's display name.
func (p *Person) Name() string { return strings.TrimSpace(p.FirstName + " " + p.LastName) }

// Validate normalises and checks a person: emails lowercased and checked,
// phones normalised to E.164 (default region US), tags trimmed. Returns
// EINVALID naming the field at fault.
func (p *Person) Validate() error {
	if clean(p.FirstName) == "" && clean(p.LastName) == "" {
		return FieldErrorf("first_name", "First or last name required.")
	}
	err := KindPerson.normalize(p)
	if err != nil {
		return err
	}
	if p.Emails, err = NormalizeEmails("emails", p.Emails); err != nil {
		return err
	}
	if p.Phones, err = NormalizePhones("phones", p.Phones); err != nil {
		return err
	}
	if p.Tags, err = NormalizeTags("tags", p.Tags); err != nil {
		return err
	}
	if p.CompanyID < 0 {
		return FieldErrorf("company_id", "Unknown company.")
	}
	return nil
}

func fieldLabel(f string) string {
	s := strings.ReplaceAll(f, "_", " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

// clean trims space and drops control characters from a one-line value.
func clean(s string) string {
	if strings.ContainsAny(s, "\x00\r\n\t") {
		s = strings.Map(func(r rune) rune {
			if r < 0x20 {
				return ' '
			}
			return r
		}, s)
	}
	// Trimmed after the mapping: a value of control characters only is
	// empty, not a blank that passes "required" (found by FuzzImportRow).
	return strings.TrimSpace(s)
}

// Caps on one person's lists. A person edited by hand beyond them is told
// so; a form that brings one more is never refused for it (AddContact).
const (
	MaxPersonEmails = 10
	MaxPersonPhones = 10
	MaxPersonTags   = 30
	MaxPersonName   = 100 // first and last name, each, in bytes
)

// NormalizeEmails lowercases, checks and de-duplicates addresses (at most
// MaxPersonEmails). Returns EINVALID naming field.
func NormalizeEmails(field string, in []string) ([]string, error) {
	out := []string{}
	for _, e := range in {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		if err := ValidateEmail(field, e); err != nil {
			return nil, FieldErrorf(field, "%q is not a valid email address.", e)
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) > MaxPersonEmails {
		return nil, FieldErrorf(field, "At most %d email addresses.", MaxPersonEmails)
	}
	return out, nil
}

// NormalizePhone returns the E.164 form of a phone number, reading numbers
// without a country code as DefaultPhoneRegion's. Returns EINVALID naming
// field.
func NormalizePhone(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) > 40 {
		return "", FieldErrorf(field, "Phone numbers must be at most 40 characters.")
	}
	if e, ok := e164Seen.get(s); ok {
		return e, nil
	}
	n, err := phonenumbers.Parse(s, DefaultPhoneRegion)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", FieldErrorf(field, "%q is not a valid phone number; write it like +1 512 555 0100.", s)
	}
	e := phonenumbers.Format(n, phonenumbers.E164)
	e164Seen.put(e) // a number checked once is checked again on every save of its record
	return e, nil
}

// e164Seen remembers numbers already in valid E.164 form (bounded;
// cleared when full): parsing with libphonenumber costs ~15 µs, and a
// contact's numbers are checked at the edge and again in the store.
var e164Seen = &phoneCache{m: map[string]struct{}{}}

type phoneCache struct {
	mu sync.Mutex
	m  map[string]struct{}
}

func (c *phoneCache) get(s string) (string, bool) {
	c.mu.Lock()
	_, ok := c.m[s]
	c.mu.Unlock()
	return s, ok
}

func (c *phoneCache) put(e string) {
	c.mu.Lock()
	if len(c.m) >= 8192 {
		clear(c.m)
	}
	c.m[e] = struct{}{}
	c.mu.Unlock()
}

// NormalizePhones normalises and de-duplicates phone numbers (at most 10).
func NormalizePhones(field string, in []string) ([]string, error) {
	out := []string{}
	for _, s := range in {
		if strings.TrimSpace(s) == "" {
			continue
		}
		e, err := NormalizePhone(field, s)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, e) {
			out = append(out, e)
		}
	}
	if len(out) > MaxPersonPhones {
		return nil, FieldErrorf(field, "At most %d phone numbers.", MaxPersonPhones)
	}
	return out, nil
}

// validTag reports whether t starts with a letter or digit and is at most
// 50 letters, digits, spaces and "_.:/-". It is the regexp
// ^[\p{L}\p{N}][\p{L}\p{N} _.:/-]{0,49}$ written out: compiled, that
// regexp's Unicode classes held 1 MB of heap in every orengen process.
func validTag(t string) bool {
	n := 0
	for _, r := range t {
		n++
		switch {
		case n > 50:
			return false
		case unicode.IsLetter(r) || unicode.IsNumber(r):
		case n > 1 && strings.ContainsRune(" _.:/-", r):
		default:
			return false
		}
	}
	return n > 0
}

// NormalizeTags trims, lowercases and de-duplicates tags (at most 30).
func NormalizeTags(field string, in []string) ([]string, error) {
	out := []string{}
	for _, t := range in {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if !validTag(t) {
			return nil, FieldErrorf(field, "Tag %q must start with a letter or digit and be at most 50 characters.", t)
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	if len(out) > MaxPersonTags {
		return nil, FieldErrorf(field, "At most %d tags.", MaxPersonTags)
	}
	return out, nil
}

// Company is an organisation a tenant deals with.
type Company struct {
	ID        int64
	TenantID  int64
	Name      string
	Domain    string
	Industry  string
	Size      string
	Address   string
	Tags      []string
	Custom    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CompanySizes are the accepted company sizes (employees).
var CompanySizes = []string{"1-10", "11-50", "51-200", "201-1000", "1001-5000", "5000+"}

var companyDomainRE = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
})

// Validate normalises and checks a company. Returns EINVALID naming the
// field.
func (c *Company) Validate() error {
	if err := KindCompany.normalize(c); err != nil {
		return err
	}
	d := strings.ToLower(strings.TrimSpace(c.Domain))
	if u, err := url.Parse(d); err == nil && u.Host != "" {
		d = u.Host
	}
	c.Domain = strings.TrimPrefix(strings.TrimSuffix(d, "/"), "www.")
	if c.Domain != "" && (len(c.Domain) > 253 || !companyDomainRE().MatchString(c.Domain)) {
		return FieldErrorf("domain", "Domain must look like example.com.")
	}
	var err error
	c.Tags, err = NormalizeTags("tags", c.Tags)
	return err
}

// Pipeline is a sequence of deal stages.
type Pipeline struct {
	ID        int64
	TenantID  int64
	Name      string
	Stages    []*Stage // in order
	CreatedAt time.Time
}

// Stage is one step of a pipeline. A won or lost stage closes the deal.
type Stage struct {
	ID          int64
	PipelineID  int64
	Name        string
	Position    int
	Probability int // percent, 0..100
	Won         bool
	Lost        bool
}

// DefaultStages are the stages of the pipeline a tenant gets on first use.
func DefaultStages() []*Stage {
	return []*Stage{
		{Name: "Lead", Probability: 10}, {Name: "Qualified", Probability: 25}, {Name: "Proposal", Probability: 50},
		{Name: "Negotiation", Probability: 75}, {Name: "Won", Probability: 100, Won: true}, {Name: "Lost", Probability: 0, Lost: true},
	}
}

// Validate checks a pipeline and numbers its stages in order. Returns
// EINVALID.
func (p *Pipeline) Validate() error {
	p.Name = clean(p.Name)
	if p.Name == "" || len(p.Name) > 100 {
		return FieldErrorf("name", "Pipeline name required (at most 100 characters).")
	}
	if len(p.Stages) == 0 || len(p.Stages) > 30 {
		return FieldErrorf("stages", "A pipeline needs 1 to 30 stages.")
	}
	seen := map[string]bool{}
	for i, s := range p.Stages {
		s.Name = clean(s.Name)
		s.Position = i
		if s.Name == "" || len(s.Name) > 60 {
			return FieldErrorf("stages", "Stage %d needs a name of at most 60 characters.", i+1)
		}
		if seen[strings.ToLower(s.Name)] {
			return FieldErrorf("stages", "Stage name %q is used twice.", s.Name)
		}
		seen[strings.ToLower(s.Name)] = true
		if s.Probability < 0 || s.Probability > 100 {
			return FieldErrorf("stages", "Stage %q: probability must be 0 to 100.", s.Name)
		}
		if s.Won && s.Lost {
			return FieldErrorf("stages", "Stage %q cannot be both won and lost.", s.Name)
		}
	}
	return nil
}

// StageByRef finds a stage by ID or case-insensitive name, or nil.
func (p *Pipeline) StageByRef(ref string) *Stage {
	ref = strings.TrimSpace(ref)
	id, _ := strconv.ParseInt(ref, 10, 64)
	for _, s := range p.Stages {
		if id != 0 && s.ID == id || strings.EqualFold(s.Name, ref) {
			return s
		}
	}
	return nil
}

// Deal is an opportunity: a possible sale moving through a pipeline.
type Deal struct {
	ID            int64
	TenantID      int64
	Name          string
	Amount        int64  // minor units (cents)
	Currency      string // ISO 4217, upper case
	PipelineID    int64  // 0: the tenant's default pipeline
	StageID       int64  // 0: the pipeline's first stage
	Stage         string // the stage's name (read only)
	ExpectedClose *time.Time
	Probability   *int // percent; nil: the stage's
	OwnerID       int64
	CompanyID     int64
	PersonIDs     []int64
	// StageRef picks the stage by ID or name when StageID is 0 (API and
	// forms); the store resolves it.
	StageRef  string
	Tags      []string
	Custom    map[string]any
	CreatedAt time.Time
	UpdatedAt time.Time
}

var currencyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Z]{3}$`) })

// Validate normalises and checks a deal. Stage and references are checked
// by the store, which knows the tenant's pipelines. Returns EINVALID.
func (d *Deal) Validate() error {
	d.Name = clean(d.Name)
	d.Currency = strings.ToUpper(strings.TrimSpace(d.Currency))
	if d.Currency == "" {
		d.Currency = DefaultCurrency
	}
	if d.Name == "" || len(d.Name) > 200 {
		return FieldErrorf("name", "Deal name required (at most 200 characters).")
	}
	if d.Amount < 0 || d.Amount > 1e15 {
		return FieldErrorf("amount", "Amount must be a whole number of cents from 0 to 10^15.")
	}
	if !currencyRE().MatchString(d.Currency) {
		return FieldErrorf("currency", "Currency must be a three-letter ISO 4217 code like USD.")
	}
	if d.Probability != nil && (*d.Probability < 0 || *d.Probability > 100) {
		return FieldErrorf("probability", "Probability must be 0 to 100.")
	}
	slices.Sort(d.PersonIDs)
	d.PersonIDs = slices.Compact(d.PersonIDs)
	if len(d.PersonIDs) > 50 {
		return FieldErrorf("person_ids", "At most 50 people per deal.")
	}
	var err error
	d.Tags, err = NormalizeTags("tags", d.Tags)
	return err
}

// FormatAmount shows minor units as the one money format of every page:
// a decimal amount with thousands separators, two decimals and the ISO
// 4217 code, like "1,250.00 USD". The API carries the same amounts as
// integer minor units (125000) with the currency beside them.
func FormatAmount(minor int64, currency string) string {
	return FormatMinor(minor) + " " + currency
}

// FormatMinor writes minor units as "1,250.00" (no currency).
func FormatMinor(minor int64) string {
	neg := ""
	if minor < 0 {
		neg, minor = "-", -minor
	}
	whole := strconv.FormatInt(minor/100, 10)
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return fmt.Sprintf("%s%s.%02d", neg, b.String(), minor%100)
}

// ParseAmount reads a decimal amount ("1234.5", "1,234.50") as minor
// units. Returns EINVALID naming field.
func ParseAmount(field, s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	if s == "" {
		return 0, nil
	}
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 || whole == "" && frac == "" {
		return 0, FieldErrorf(field, "Amount must be a number with at most two decimals, like 1250.00.")
	}
	for len(frac) < 2 {
		frac += "0"
	}
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(whole, "+") {
		return 0, FieldErrorf(field, "Amount must be a number with at most two decimals, like 1250.00.")
	}
	return n, nil
}

// Note is markdown text attached to a record.
type Note struct {
	ID         int64
	TenantID   int64
	RecordType string // person, company, deal, pursuit or grant_pursuit
	RecordID   int64
	Body       string // markdown; rendered without raw HTML
	Author     string // actor, as in the timeline
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate checks a note. Returns EINVALID.
func (n *Note) Validate() error {
	n.Body = strings.TrimSpace(n.Body)
	if n.Body == "" {
		return FieldErrorf("body", "Note text required.")
	}
	if len(n.Body) > 50000 {
		return FieldErrorf("body", "A note must be at most 50000 characters.")
	}
	return validateLink(n.RecordType, n.RecordID, true)
}

func validateLink(typ string, id int64, required bool) error {
	if typ == "" && id == 0 && !required {
		return nil
	}
	if !slices.Contains(linkTypes, typ) {
		return ErrLinkType()
	}
	if id <= 0 {
		return FieldErrorf("record_id", "record_id required.")
	}
	return nil
}

// Task is a to-do, optionally linked to a record.
type Task struct {
	ID         int64
	TenantID   int64
	Title      string
	Due        *time.Time
	AssigneeID int64 // a tenant user; 0: unassigned
	Done       bool
	DoneAt     *time.Time
	RecordType string // "" when not linked
	RecordID   int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Validate checks a task. Returns EINVALID.
func (t *Task) Validate() error {
	t.Title = clean(t.Title)
	if t.Title == "" || len(t.Title) > 300 {
		return FieldErrorf("title", "Task title required (at most 300 characters).")
	}
	return validateLink(t.RecordType, t.RecordID, false)
}

// ParseDate reads "2006-01-02" or an RFC 3339 time. Returns EINVALID
// naming field.
func ParseDate(field, s string) (*time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return &t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		t = t.UTC()
		return &t, nil
	}
	return nil, FieldErrorf(field, "%s must be a date like 2026-12-31.", fieldLabel(field))
}

// Timeline entry kinds. Later features add their own (form, sms, call,
// email) through the same Timeline interface.
const (
	TimelineCreated  = "created"
	TimelineUpdated  = "updated" // one field: Field, Old, New
	TimelineNote     = "note"
	TimelineTask     = "task"
	TimelineTaskDone = "task_done"
	TimelineMerged   = "merged"
	TimelineForm     = "form"  // a form submission: Body has its fields
	TimelineSMS      = "sms"   // a text sent by a workflow
	TimelineCall     = "call"  // a call placed by a workflow
	TimelineEmail    = "email" // an email sent by a workflow
	// TimelineConversation: a conversation started in the inbox (its
	// messages are sms, email, call or chat entries).
	TimelineConversation = "conversation"
)

type actorKey struct{}

// NewContextWithActor returns ctx naming actor ("workflow:12",
// "form:website") as the author of the CRM writes made with it.
func NewContextWithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey{}, actor)
}

// TimelineEntry is one event in a record's activity, shown in time order
// on the record's page.
type TimelineEntry struct {
	ID         int64
	TenantID   int64
	RecordType string // person, company or deal
	RecordID   int64
	Kind       string // created, updated, note, task, ...; later: form, sms, call, email
	Actor      string // who: "user:ann@x.test", "apikey:ogk_ab12", "admin:..", "system"
	Field      string // updated: the field's API name
	Old        string
	New        string
	Body       string // free text (note body, message excerpt)
	RefType    string // the related record (note, task, ...) if any
	RefID      int64
	CreatedAt  time.Time
	// Tx numbers the write transaction (entries of one write share it).
	Tx int64
}

// Validate checks an entry written by a feature. Returns EINVALID.
func (e *TimelineEntry) Validate() error {
	if err := validateLink(e.RecordType, e.RecordID, true); err != nil {
		return err
	}
	if e.Kind == "" || len(e.Kind) > 40 {
		return FieldErrorf("kind", "Timeline entry kind required.")
	}
	if len(e.Body) > 50000 {
		e.Body = e.Body[:50000]
	}
	return nil
}

// Timeline is where every feature records activity on a CRM record. The
// CRM store writes its own entries (created, field changes, notes, tasks)
// in the same transaction as the change; later features (forms, SMS,
// calls, email) call AddTimelineEntry, or, inside their own store
// transaction, store.AddTimelineEntryTx, so the entry commits with their
// write.
type Timeline interface {
	// AddTimelineEntry writes e for the tenant in ctx; Actor defaults to
	// the principal in ctx. Returns EUNAUTHORIZED without a tenant,
	// EINVALID, or ENOTFOUND when the record is not the tenant's.
	AddTimelineEntry(ctx context.Context, e *TimelineEntry) error
	// FindTimeline returns a record's entries, oldest first. Returns
	// ENOTFOUND when the record is not the tenant's.
	FindTimeline(ctx context.Context, recordType string, recordID int64) ([]*TimelineEntry, error)
}

// ActorFromContext names the principal in ctx for the timeline.
func ActorFromContext(ctx context.Context) string {
	if a, _ := ctx.Value(actorKey{}).(string); a != "" {
		return a
	}
	switch {
	case UserFromContext(ctx) != nil:
		return "user:" + UserFromContext(ctx).Email
	case APIKeyFromContext(ctx) != nil:
		return "apikey:" + APIKeyFromContext(ctx).Prefix
	case AdminFromContext(ctx) != nil:
		return "admin:" + AdminFromContext(ctx).Email
	}
	return "system"
}

// acrossTenantsKey marks a Nexus context allowed to read every tenant's
// CRM records.
type acrossTenantsKey struct{}

// NewContextAcrossTenants returns a copy of ctx that CRM list and find
// methods read across tenants with, when ctx carries no tenant. Only an
// admin or an admin API key in ctx makes it take effect.
func NewContextAcrossTenants(ctx context.Context) context.Context {
	return context.WithValue(ctx, acrossTenantsKey{}, true)
}

// CRMReadScope returns the tenant a CRM read is limited to: the tenant in
// ctx, or 0 for every tenant when ctx was made by NewContextAcrossTenants
// for an admin. Returns EUNAUTHORIZED otherwise.
func CRMReadScope(ctx context.Context) (int64, error) {
	if t := TenantFromContext(ctx); t != nil && t.ID != 0 {
		return t.ID, nil
	}
	if all, _ := ctx.Value(acrossTenantsKey{}).(bool); all {
		if AdminFromContext(ctx) != nil {
			return 0, nil
		}
		if k := APIKeyFromContext(ctx); k != nil && k.Admin() {
			return 0, nil
		}
	}
	return 0, Errorf(EUNAUTHORIZED, "Sign in to continue.")
}

// ListOptions are the paging and search options every CRM list takes.
type ListOptions struct {
	Limit  int    // 1..MaxPageSize; 0: DefaultPageSize
	Cursor string // opaque, from the previous page's NextCursor
	Sort   string // created_at, updated_at, name; "-" prefix: descending. Default -created_at
	Q      string // full-text search
	// Where filters on any field (a view's conditions); checked by the
	// store against the tenant's custom fields.
	Where Where
	// Count, when set, receives how many records match the filters and
	// the search over every page (the cursor does not apply).
	Count *int
	// RowCursors, when set, receives each returned record's cursor, in
	// order: a page started from one begins just past that record.
	RowCursors *[]string
}

// Sort keys every CRM list accepts.
var SortKeys = []string{"created_at", "-created_at", "updated_at", "-updated_at", "name", "-name"}

// ObjectSortFields are the further fields each object's lists sort by.
var ObjectSortFields = map[string][]string{
	RecordPerson:  KindPerson.fieldKeysWhere(nil, sortable),
	RecordCompany: KindCompany.fieldKeysWhere(nil, sortable),
	RecordDeal:    KindDeal.fieldKeysWhere(nil, sortable, "amount", "expected_close", "probability"),
}

func sortable(f *Field) bool { return f.Sort }

// SortKeysFor lists the sort keys of an object's lists ("-" descending).
func SortKeysFor(object string) []string {
	out := append([]string{}, SortKeys...)
	for _, f := range ObjectSortFields[object] {
		out = append(out, f, "-"+f)
	}
	return out
}

// allSortKeys is every key of any object; the store checks the key
// against the object being listed.
var allSortKeys = func() []string {
	out := append([]string{}, SortKeys...)
	for _, o := range []string{RecordPerson, RecordCompany, RecordDeal} {
		out = append(out, SortKeysFor(o)[len(SortKeys):]...)
	}
	return out
}()

// Normalize checks the options and fills defaults. Returns EINVALID
// naming limit, sort or cursor.
func (o *ListOptions) Normalize() error {
	if o.Limit == 0 {
		o.Limit = DefaultPageSize
	}
	if o.Limit < 1 || o.Limit > MaxPageSize {
		return FieldErrorf("limit", "limit must be from 1 to %d.", MaxPageSize)
	}
	if o.Sort == "" {
		o.Sort = "-created_at"
	}
	if !slices.Contains(allSortKeys, o.Sort) {
		return FieldErrorf("sort", "sort must be one of %s.", strings.Join(allSortKeys, ", "))
	}
	o.Q = strings.TrimSpace(o.Q)
	if len(o.Q) > 200 {
		return FieldErrorf("q", "q must be at most 200 characters.")
	}
	if o.Cursor != "" {
		c, err := DecodeCursor(o.Cursor)
		if err != nil || c.Sort != o.Sort {
			return FieldErrorf("cursor", "cursor is invalid or was made for another sort order.")
		}
	}
	return nil
}

// Cursor is the position after the last row of a page: its sort key and
// ID, so inserts before or after it never shift the next page.
type Cursor struct {
	Sort string `json:"s"`
	Key  string `json:"k"`
	ID   int64  `json:"i"`
}

// Encode returns the opaque form of c.
func (c Cursor) Encode() string {
	b, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeCursor reads an opaque cursor. Returns EINVALID.
func DecodeCursor(s string) (Cursor, error) {
	var c Cursor
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 1024 || json.Unmarshal(b, &c) != nil || c.ID <= 0 {
		return c, FieldErrorf("cursor", "cursor is invalid.")
	}
	return c, nil
}

// PersonFilter selects people. Nil fields do not filter.
type PersonFilter struct {
	ListOptions
	Email     *string
	Phone     *string
	CompanyID *int64
	OwnerID   *int64
	Tag       *string
	// Fields match descriptor fields with Filter exactly, by key.
	Fields map[string]string
}

// CompanyFilter selects companies.
type CompanyFilter struct {
	ListOptions
	Domain *string
	Tag    *string
	// Fields match descriptor fields with Filter exactly, by key.
	Fields map[string]string
}

// DealFilter selects deals. Stage is a stage ID or name.
type DealFilter struct {
	ListOptions
	PipelineID *int64
	Stage      *string
	CompanyID  *int64
	PersonID   *int64
	OwnerID    *int64
	Tag        *string
}

// NoteFilter selects notes.
type NoteFilter struct {
	ListOptions
	RecordType *string
	RecordID   *int64
}

// TaskFilter selects tasks.
type TaskFilter struct {
	ListOptions
	Done       *bool
	AssigneeID *int64
	RecordType *string
	RecordID   *int64
}

// PersonUpdate holds the fields to change; nil fields are kept.
type PersonUpdate struct {
	// Fields sets the kind's descriptor fields (KindPerson.Fields).
	Fields    FieldValues `json:"-"`
	Emails    *[]string   `json:"emails"`
	Phones    *[]string   `json:"phones"`
	CompanyID *int64      `json:"company_id"`
	OwnerID   *int64      `json:"owner_id"`
	Tags      *[]string   `json:"tags"`
	Consent   *Consent    `json:"consent"`
	// Custom sets the given custom values; a null value removes one.
	Custom map[string]any `json:"custom"`
}

// Apply copies the set fields onto p.
func (u PersonUpdate) Apply(p *Person) {
	KindPerson.SetFields(p, u.Fields)
	setI(&p.CompanyID, u.CompanyID)
	setI(&p.OwnerID, u.OwnerID)
	if u.Emails != nil {
		p.Emails = slices.Clone(*u.Emails)
	}
	if u.Phones != nil {
		p.Phones = slices.Clone(*u.Phones)
	}
	if u.Tags != nil {
		p.Tags = slices.Clone(*u.Tags)
	}
	if u.Consent != nil {
		p.Consent = *u.Consent
	}
	if u.Custom != nil {
		p.Custom = MergeCustom(p.Custom, u.Custom)
	}
}

// CompanyUpdate holds the fields to change; nil fields are kept.
type CompanyUpdate struct {
	// Fields sets the kind's descriptor fields (KindCompany.Fields).
	Fields FieldValues    `json:"-"`
	Tags   *[]string      `json:"tags"`
	Custom map[string]any `json:"custom"`
}

// Apply copies the set fields onto c.
func (u CompanyUpdate) Apply(c *Company) {
	KindCompany.SetFields(c, u.Fields)
	if u.Tags != nil {
		c.Tags = slices.Clone(*u.Tags)
	}
	if u.Custom != nil {
		c.Custom = MergeCustom(c.Custom, u.Custom)
	}
}

// DealUpdate holds the fields to change; nil fields are kept. Stage is a
// stage ID or name in the deal's pipeline.
type DealUpdate struct {
	// Fields sets the kind's descriptor fields (KindDeal.Fields).
	Fields        FieldValues
	Amount        *int64
	Currency      *string
	PipelineID    *int64
	Stage         *string
	ExpectedClose **time.Time
	Probability   **int
	OwnerID       *int64
	CompanyID     *int64
	PersonIDs     *[]int64
	Tags          *[]string
	Custom        map[string]any
}

// Apply copies the set fields onto d.
func (u DealUpdate) Apply(d *Deal) {
	KindDeal.SetFields(d, u.Fields)
	setS(&d.Currency, u.Currency)
	setI(&d.Amount, u.Amount)
	setI(&d.OwnerID, u.OwnerID)
	setI(&d.CompanyID, u.CompanyID)
	if u.PipelineID != nil && *u.PipelineID != d.PipelineID {
		d.PipelineID, d.StageID, d.StageRef = *u.PipelineID, 0, ""
	}
	if u.Stage != nil {
		d.StageID, d.StageRef = 0, *u.Stage
	}
	if u.ExpectedClose != nil {
		d.ExpectedClose = *u.ExpectedClose
	}
	if u.Probability != nil {
		d.Probability = *u.Probability
	}
	if u.PersonIDs != nil {
		d.PersonIDs = slices.Clone(*u.PersonIDs)
	}
	if u.Tags != nil {
		d.Tags = slices.Clone(*u.Tags)
	}
	if u.Custom != nil {
		d.Custom = MergeCustom(d.Custom, u.Custom)
	}
}

// NoteUpdate changes a note's text.
type NoteUpdate struct {
	Body *string `json:"body"`
}

// TaskUpdate holds the fields to change; nil fields are kept.
type TaskUpdate struct {
	Title      *string
	Due        **time.Time
	AssigneeID *int64
	Done       *bool
}

// Apply copies the set fields onto t.
func (u TaskUpdate) Apply(t *Task) {
	setS(&t.Title, u.Title)
	setI(&t.AssigneeID, u.AssigneeID)
	if u.Due != nil {
		t.Due = *u.Due
	}
	if u.Done != nil {
		t.Done = *u.Done
	}
}

func setS(dst *string, src *string) {
	if src != nil {
		*dst = *src
	}
}

func setI[T int64 | int](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

// PersonStore keeps the tenant's people. It is one of the CRM's stores,
// one per record kind (PersonStore, CompanyStore, PipelineStore,
// DealStore, NoteStore, TaskStore, Timeline, CustomFieldStore,
// RecordOwnerStore); CRMService holds one of each. Every method of these
// is tenant-scoped: writes take the tenant from ctx (EUNAUTHORIZED
// without one) and reads the tenant from ctx or, for Nexus, every tenant
// (CRMReadScope). A record of another tenant is ENOTFOUND. Each change
// writes its timeline entries in the same transaction. Callers outside
// app use CRMService.
type PersonStore interface {
	FindPeople(ctx context.Context, f PersonFilter) ([]*Person, string, error)
	FindPerson(ctx context.Context, id int64) (*Person, error)
	CreatePerson(ctx context.Context, p *Person) error
	UpdatePerson(ctx context.Context, id int64, upd PersonUpdate) (*Person, error)
	DeletePerson(ctx context.Context, id int64) error
	// FindDuplicates returns the other people of the tenant who share a
	// normalised email or phone with person id. Returns ENOTFOUND.
	FindDuplicates(ctx context.Context, id int64) ([]*Person, error)
	// MergePeople merges person dropID into keepID in one transaction:
	// the fields follow MergePerson (keep wins, its empty fields are
	// filled from drop), every note, task, deal link and timeline entry
	// moves to keep, a "merged" entry is written and drop is deleted.
	// Returns ENOTFOUND or EINVALID (the same person twice).
	MergePeople(ctx context.Context, keepID, dropID int64) (*Person, error)
	// UpsertPeople creates (ID 0) or updates (ID set, every field
	// replaced) up to MaxBatch people in one transaction: any invalid
	// record fails the whole batch with a *BatchError.
	UpsertPeople(ctx context.Context, ps []*Person) error
}

// CompanyStore keeps the tenant's companies.
type CompanyStore interface {
	FindCompanies(ctx context.Context, f CompanyFilter) ([]*Company, string, error)
	FindCompany(ctx context.Context, id int64) (*Company, error)
	CreateCompany(ctx context.Context, c *Company) error
	UpdateCompany(ctx context.Context, id int64, upd CompanyUpdate) (*Company, error)
	DeleteCompany(ctx context.Context, id int64) error
	UpsertCompanies(ctx context.Context, cs []*Company) error
}

// PipelineStore keeps the tenant's deal pipelines and their stages.
type PipelineStore interface {
	// Pipelines returns the tenant's pipelines, creating the default
	// "Sales" pipeline on first use.
	Pipelines(ctx context.Context) ([]*Pipeline, error)
	// CreatePipeline adds a pipeline with its stages. Returns EINVALID or
	// ECONFLICT (name taken).
	CreatePipeline(ctx context.Context, p *Pipeline) error
	// UpdatePipeline renames a pipeline and, when stages is not nil,
	// replaces its stages in the given order: a stage with an ID is kept
	// (renamed, re-weighted), one without is added, and a stage left out
	// is removed, unless deals are still in it (EINVALID naming stages).
	// Returns ENOTFOUND or EINVALID.
	UpdatePipeline(ctx context.Context, id int64, name *string, stages []*Stage) (*Pipeline, error)
	// StageTotals counts deals and sums their amounts per stage and
	// currency in one of the tenant's pipelines (the kanban's headers).
	StageTotals(ctx context.Context, pipelineID int64) ([]StageTotal, error)
}

// DealStore keeps the tenant's deals.
type DealStore interface {
	FindDeals(ctx context.Context, f DealFilter) ([]*Deal, string, error)
	FindDeal(ctx context.Context, id int64) (*Deal, error)
	CreateDeal(ctx context.Context, d *Deal) error
	UpdateDeal(ctx context.Context, id int64, upd DealUpdate) (*Deal, error)
	DeleteDeal(ctx context.Context, id int64) error
	UpsertDeals(ctx context.Context, ds []*Deal) error
}

// NoteStore keeps the notes on the tenant's records.
type NoteStore interface {
	FindNotes(ctx context.Context, f NoteFilter) ([]*Note, string, error)
	FindNote(ctx context.Context, id int64) (*Note, error)
	CreateNote(ctx context.Context, n *Note) error
	UpdateNote(ctx context.Context, id int64, upd NoteUpdate) (*Note, error)
	DeleteNote(ctx context.Context, id int64) error
	UpsertNotes(ctx context.Context, ns []*Note) error
}

// TaskStore keeps the tenant's tasks.
type TaskStore interface {
	FindTasks(ctx context.Context, f TaskFilter) ([]*Task, string, error)
	FindTask(ctx context.Context, id int64) (*Task, error)
	CreateTask(ctx context.Context, t *Task) error
	UpdateTask(ctx context.Context, id int64, upd TaskUpdate) (*Task, error)
	DeleteTask(ctx context.Context, id int64) error
	UpsertTasks(ctx context.Context, ts []*Task) error
}

// RecordOwnerStore tells which tenant owns a record.
type RecordOwnerStore interface {
	// RecordTenant returns the tenant that owns a record, for Nexus,
	// which acts on any tenant's record. Returns ENOTFOUND.
	RecordTenant(ctx context.Context, recordType string, id int64) (int64, error)
}

// StageTotal is the number and value of a stage's deals in one currency.
type StageTotal struct {
	StageID  int64
	Currency string
	Count    int
	Amount   int64
}

// BatchError names the record and field that failed a batch.
type BatchError struct {
	Index int
	Err   error
}

// Error implements error.
func (e *BatchError) Error() string { return fmt.Sprintf("record %d: %v", e.Index, e.Err) }

// Unwrap returns the record's error.
func (e *BatchError) Unwrap() error { return e.Err }

// BatchFail wraps err for record i of a batch, keeping its code and naming
// the field as records[i].field.
func BatchFail(i int, err error) error {
	code := ErrorCode(err)
	if code == EINTERNAL {
		return &BatchError{Index: i, Err: err}
	}
	f := ErrorField(err)
	name := fmt.Sprintf("records[%d]", i)
	if f != "" {
		name += "." + f
	}
	return &BatchError{Index: i, Err: &Error{Code: code, Field: name, Message: fmt.Sprintf("Record %d: %s", i, ErrorMessage(err))}}
}
