package twenty

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/nyaruka/phonenumbers"

	"orengen/app"
)

// Records in Twenty's shapes. Fields Twenty has and the CRM keeps
// nowhere read as their empty value (avatarUrl, position, deletedAt);
// the CRM's own fields Twenty lacks (source, tags, industry, probability)
// are added, and custom fields sit at the top level, as Twenty puts its
// own custom fields.

// FullName is a person's name.
type FullName struct {
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
}

// Emails are a person's email addresses, the first one primary.
type Emails struct {
	PrimaryEmail     string   `json:"primaryEmail"`
	AdditionalEmails []string `json:"additionalEmails"`
}

// Phone is one additional phone number.
type Phone struct {
	Number      string `json:"number"`
	CountryCode string `json:"countryCode"`
	CallingCode string `json:"callingCode"`
}

// Phones are a person's phone numbers, the first one primary.
type Phones struct {
	PrimaryPhoneNumber      string  `json:"primaryPhoneNumber"`
	PrimaryPhoneCountryCode string  `json:"primaryPhoneCountryCode"`
	PrimaryPhoneCallingCode string  `json:"primaryPhoneCallingCode"`
	AdditionalPhones        []Phone `json:"additionalPhones"`
}

// Links is a link field (a company's domain).
type Links struct {
	PrimaryLinkURL   string `json:"primaryLinkUrl"`
	PrimaryLinkLabel string `json:"primaryLinkLabel"`
	SecondaryLinks   []any  `json:"secondaryLinks"`
}

// Address is a company's address: the CRM keeps it as one text, read
// here as its first street line.
type Address struct {
	AddressStreet1  string   `json:"addressStreet1"`
	AddressStreet2  string   `json:"addressStreet2"`
	AddressCity     string   `json:"addressCity"`
	AddressPostcode string   `json:"addressPostcode"`
	AddressState    string   `json:"addressState"`
	AddressCountry  string   `json:"addressCountry"`
	AddressLat      *float64 `json:"addressLat"`
	AddressLng      *float64 `json:"addressLng"`
}

// Currency is an amount in micros (one millionth of the unit).
type Currency struct {
	AmountMicros int64  `json:"amountMicros"`
	CurrencyCode string `json:"currencyCode"`
}

// RichText is a note's or task's body; Blocknote is always null (the CRM
// keeps markdown).
type RichText struct {
	Blocknote *string `json:"blocknote"`
	Markdown  string  `json:"markdown"`
}

// Person is a CRM person in Twenty's shape.
type Person struct {
	ID        string   `json:"id"`
	Name      FullName `json:"name"`
	Emails    Emails   `json:"emails"`
	Phones    Phones   `json:"phones"`
	JobTitle  string   `json:"jobTitle"`
	City      string   `json:"city"`
	AvatarURL string   `json:"avatarUrl"`
	Position  float64  `json:"position"`
	CompanyID *string  `json:"companyId"`
	// Company is the person's company, at depth 1.
	Company   *Company       `json:"company,omitempty"`
	Source    string         `json:"source"`
	Tags      []string       `json:"tags"`
	CreatedAt string         `json:"createdAt"`
	UpdatedAt string         `json:"updatedAt"`
	DeletedAt *string        `json:"deletedAt"`
	Custom    map[string]any `json:"-"`
	// Extra are the CRM fields Twenty lacks, by name (extra.go).
	Extra map[string]any `json:"-"`
	// Rec is the CRM record (GraphQL resolves relations from it).
	Rec *app.Person `json:"-"`
}

// Company is a CRM company in Twenty's shape.
type Company struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	DomainName           Links          `json:"domainName"`
	Employees            *int           `json:"employees"`
	Address              Address        `json:"address"`
	IdealCustomerProfile bool           `json:"idealCustomerProfile"`
	Industry             string         `json:"industry"`
	Tags                 []string       `json:"tags"`
	Position             float64        `json:"position"`
	CreatedAt            string         `json:"createdAt"`
	UpdatedAt            string         `json:"updatedAt"`
	DeletedAt            *string        `json:"deletedAt"`
	Custom               map[string]any `json:"-"`
	Extra                map[string]any `json:"-"`
	Rec                  *app.Company   `json:"-"`
}

// Opportunity is a CRM deal in Twenty's shape. Stage is the stage's name
// in upper case (PROPOSAL, CLOSED_WON).
type Opportunity struct {
	ID               string   `json:"id"`
	Name             string   `json:"name"`
	Amount           Currency `json:"amount"`
	CloseDate        *string  `json:"closeDate"`
	Stage            string   `json:"stage"`
	Probability      *int     `json:"probability"`
	Position         float64  `json:"position"`
	CompanyID        *string  `json:"companyId"`
	PointOfContactID *string  `json:"pointOfContactId"`
	// Company and PointOfContact are filled at depth 1.
	Company        *Company       `json:"company,omitempty"`
	PointOfContact *Person        `json:"pointOfContact,omitempty"`
	Tags           []string       `json:"tags"`
	CreatedAt      string         `json:"createdAt"`
	UpdatedAt      string         `json:"updatedAt"`
	DeletedAt      *string        `json:"deletedAt"`
	Custom         map[string]any `json:"-"`
	Extra          map[string]any `json:"-"`
	Rec            *app.Deal      `json:"-"`
}

// Targets name the record a note or task is about (Twenty links them
// through noteTargets and taskTargets; here one link, inline).
type Targets struct {
	PersonID      *string `json:"personId"`
	CompanyID     *string `json:"companyId"`
	OpportunityID *string `json:"opportunityId"`
}

// Note is a CRM note in Twenty's shape: a leading "# Title" line of the
// markdown is its title.
type Note struct {
	ID     string   `json:"id"`
	Title  string   `json:"title"`
	BodyV2 RichText `json:"bodyV2"`
	Targets
	Position  float64   `json:"position"`
	CreatedAt string    `json:"createdAt"`
	UpdatedAt string    `json:"updatedAt"`
	DeletedAt *string   `json:"deletedAt"`
	Rec       *app.Note `json:"-"`
}

// Task is a CRM task in Twenty's shape: status TODO or DONE.
type Task struct {
	ID         string   `json:"id"`
	Title      string   `json:"title"`
	BodyV2     RichText `json:"bodyV2"`
	DueAt      *string  `json:"dueAt"`
	Status     string   `json:"status"`
	AssigneeID *string  `json:"assigneeId"`
	Targets
	Position  float64   `json:"position"`
	CreatedAt string    `json:"createdAt"`
	UpdatedAt string    `json:"updatedAt"`
	DeletedAt *string   `json:"deletedAt"`
	Rec       *app.Task `json:"-"`
}

// Time writes a time as Twenty does (UTC, milliseconds).
func Time(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func optTime(t *time.Time) *string {
	if t == nil {
		return nil
	}
	s := Time(*t)
	return &s
}

func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}

// withCustom adds custom fields to a record's JSON object (a key the
// record has already is left out).
func withCustom(b []byte, custom map[string]any, std map[string]bool) ([]byte, error) {
	if len(custom) == 0 {
		return b, nil
	}
	keys := make([]string, 0, len(custom))
	for k := range custom {
		if !std[k] {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	var buf bytes.Buffer
	buf.Write(b[:len(b)-1])
	for _, k := range keys {
		v, err := json.Marshal(custom[k])
		if err != nil {
			return nil, err
		}
		kb, _ := json.Marshal(k)
		buf.WriteByte(',')
		buf.Write(kb)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

var (
	personKeys  = jsonKeys(Person{})
	companyKeys = jsonKeys(Company{})
	dealKeys    = jsonKeys(Opportunity{})
)

// jsonKeys lists the JSON keys of a record type (custom fields may not
// take them).
func jsonKeys(v any) map[string]bool {
	b, _ := json.Marshal(v)
	m := map[string]json.RawMessage{}
	_ = json.Unmarshal(b, &m)
	out := map[string]bool{"company": true, "pointOfContact": true}
	for k := range m {
		out[k] = true
	}
	return out
}

// MarshalJSON writes the person with its extra and custom fields.
func (p Person) MarshalJSON() ([]byte, error) {
	type plain Person
	b, err := json.Marshal(plain(p))
	if err != nil {
		return nil, err
	}
	return withCustom(b, topLevel(p.Extra, p.Custom), personKeys)
}

// MarshalJSON writes the company with its extra and custom fields.
func (c Company) MarshalJSON() ([]byte, error) {
	type plain Company
	b, err := json.Marshal(plain(c))
	if err != nil {
		return nil, err
	}
	return withCustom(b, topLevel(c.Extra, c.Custom), companyKeys)
}

// MarshalJSON writes the opportunity with its extra and custom fields.
func (o Opportunity) MarshalJSON() ([]byte, error) {
	type plain Opportunity
	b, err := json.Marshal(plain(o))
	if err != nil {
		return nil, err
	}
	return withCustom(b, topLevel(o.Extra, o.Custom), dealKeys)
}

// splitPhone writes an E.164 number as Twenty does: the national number,
// the region and the calling code.
func splitPhone(e164 string) Phone {
	n, err := phonenumbers.Parse(e164, app.DefaultPhoneRegion)
	if err != nil {
		return Phone{Number: e164}
	}
	return Phone{Number: phonenumbers.GetNationalSignificantNumber(n), CountryCode: phonenumbers.GetRegionCodeForNumber(n),
		CallingCode: "+" + strconv.Itoa(int(n.GetCountryCode()))}
}

// ToPerson is p in Twenty's shape.
func ToPerson(p *app.Person) *Person {
	out := &Person{ID: FormatID(p.ID), Name: FullName{p.FirstName, p.LastName}, JobTitle: p.Title, City: p.Address, CompanyID: optID(p.CompanyID),
		Source: p.Source, Tags: nonNil(p.Tags), CreatedAt: Time(p.CreatedAt), UpdatedAt: Time(p.UpdatedAt), Custom: p.Custom,
		Extra: extraValues(app.KindPerson, p), Rec: p}
	out.Emails.AdditionalEmails = []string{}
	if len(p.Emails) > 0 {
		out.Emails.PrimaryEmail = p.Emails[0]
		out.Emails.AdditionalEmails = nonNil(slices.Clone(p.Emails[1:]))
	}
	out.Phones.AdditionalPhones = []Phone{}
	for i, ph := range p.Phones {
		sp := splitPhone(ph)
		if i == 0 {
			out.Phones.PrimaryPhoneNumber, out.Phones.PrimaryPhoneCountryCode, out.Phones.PrimaryPhoneCallingCode = sp.Number, sp.CountryCode, sp.CallingCode
		} else {
			out.Phones.AdditionalPhones = append(out.Phones.AdditionalPhones, sp)
		}
	}
	return out
}

// sizeLow is the smallest head count of each size band.
var sizeLow = map[string]int{"1-10": 1, "11-50": 11, "51-200": 51, "201-1000": 201, "1001-5000": 1001, "5000+": 5001}

// ToCompany is c in Twenty's shape; employees is the smallest head count
// of its size band.
func ToCompany(c *app.Company) *Company {
	out := &Company{ID: FormatID(c.ID), Name: c.Name, Industry: c.Industry, Tags: nonNil(c.Tags),
		Address: Address{AddressStreet1: c.Address}, CreatedAt: Time(c.CreatedAt), UpdatedAt: Time(c.UpdatedAt), Custom: c.Custom,
		Extra: extraValues(app.KindCompany, c), Rec: c}
	out.DomainName.SecondaryLinks = []any{}
	if c.Domain != "" {
		out.DomainName.PrimaryLinkURL = "https://" + c.Domain
	}
	if n, ok := sizeLow[c.Size]; ok {
		out.Employees = &n
	}
	return out
}

// ToOpportunity is d in Twenty's shape.
func ToOpportunity(d *app.Deal) *Opportunity {
	out := &Opportunity{ID: FormatID(d.ID), Name: d.Name, Amount: Currency{d.Amount * 10000, d.Currency}, CloseDate: optTime(d.ExpectedClose),
		Stage: Upper(d.Stage), Probability: d.Probability, CompanyID: optID(d.CompanyID), Tags: nonNil(d.Tags),
		CreatedAt: Time(d.CreatedAt), UpdatedAt: Time(d.UpdatedAt), Custom: d.Custom, Extra: extraValues(app.KindDeal, d), Rec: d}
	if len(d.PersonIDs) > 0 {
		out.PointOfContactID = optID(d.PersonIDs[0])
	}
	return out
}

// targets links a note or task to its record through the record's
// object's target field.
func targets(typ string, id int64) Targets {
	var t Targets
	for _, o := range Objects {
		if o.Record == typ && o.target != nil {
			*o.target(&t) = optID(id)
		}
	}
	return t
}

// splitTitle reads a leading "# Title" line as the note's title.
func splitTitle(body string) (string, string) {
	if rest, ok := strings.CutPrefix(body, "# "); ok {
		title, md, _ := strings.Cut(rest, "\n")
		return strings.TrimSpace(title), strings.TrimSpace(md)
	}
	return "", body
}

// ToNote is n in Twenty's shape.
func ToNote(n *app.Note) *Note {
	title, md := splitTitle(n.Body)
	return &Note{ID: FormatID(n.ID), Title: title, BodyV2: RichText{Markdown: md}, Targets: targets(n.RecordType, n.RecordID),
		CreatedAt: Time(n.CreatedAt), UpdatedAt: Time(n.UpdatedAt), Rec: n}
}

// ToTask is t in Twenty's shape.
func ToTask(t *app.Task) *Task {
	status := "TODO"
	if t.Done {
		status = "DONE"
	}
	return &Task{ID: FormatID(t.ID), Title: t.Title, DueAt: optTime(t.Due), Status: status, AssigneeID: optID(t.AssigneeID),
		Targets: targets(t.RecordType, t.RecordID), CreatedAt: Time(t.CreatedAt), UpdatedAt: Time(t.UpdatedAt), Rec: t}
}

// ---- input ----

// Input is a record as a client sends it: a JSON object of Twenty's
// fields (REST bodies; GraphQL data arguments are converted to it).
type Input map[string]json.RawMessage

// DecodeInput reads a JSON object. Returns EINVALID.
func DecodeInput(b []byte) (Input, error) {
	var in Input
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(&in); err != nil || in == nil {
		return nil, app.Errorf(app.EINVALID, "The body must be a JSON object of the record's fields.")
	}
	return in, nil
}

// reader reads typed values out of an input, naming the field at fault.
type reader struct {
	in     Input
	prefix string
	err    error
	seen   map[string]bool
}

func newReader(in Input, prefix string) *reader {
	return &reader{in: in, prefix: prefix, seen: map[string]bool{}}
}

func (r *reader) name(k string) string { return r.prefix + k }

func (r *reader) fail(k, format string, a ...any) {
	if r.err == nil {
		r.err = app.FieldErrorf(r.name(k), "%s "+format, append([]any{r.name(k)}, a...)...)
	}
}

// has reports whether k was sent (null counts) and marks it read.
func (r *reader) has(k string) bool {
	_, ok := r.in[k]
	r.seen[k] = true
	return ok
}

func (r *reader) null(k string) bool {
	return string(bytes.TrimSpace(r.in[k])) == "null"
}

// str reads a string (null reads as ""); ok is false when k is absent.
func (r *reader) str(k string) (string, bool) {
	if !r.has(k) {
		return "", false
	}
	if r.null(k) {
		return "", true
	}
	var s string
	if err := json.Unmarshal(r.in[k], &s); err != nil {
		r.fail(k, "must be a string.")
	}
	return s, true
}

func (r *reader) strs(k string) ([]string, bool) {
	if !r.has(k) {
		return nil, false
	}
	if r.null(k) {
		return []string{}, true
	}
	var s []string
	if err := json.Unmarshal(r.in[k], &s); err != nil {
		r.fail(k, "must be a list of strings.")
	}
	return s, true
}

func (r *reader) num(k string) (json.Number, bool) {
	if !r.has(k) || r.null(k) {
		return "", false
	}
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(r.in[k]))
	d.UseNumber()
	if err := d.Decode(&n); err != nil {
		r.fail(k, "must be a number.")
	}
	return n, true
}

func (r *reader) boolean(k string) (bool, bool) {
	if !r.has(k) || r.null(k) {
		return false, false
	}
	var b bool
	if err := json.Unmarshal(r.in[k], &b); err != nil {
		r.fail(k, "must be true or false.")
	}
	return b, true
}

// obj reads a nested object; nil when absent or null.
func (r *reader) obj(k string) *reader {
	if !r.has(k) || r.null(k) {
		return nil
	}
	var in Input
	if err := json.Unmarshal(r.in[k], &in); err != nil || in == nil {
		r.fail(k, "must be an object.")
		return nil
	}
	return newReader(in, r.name(k)+".")
}

// id reads a record reference; ok is false when absent; 0 means null.
func (r *reader) id(k, what string) (int64, bool) {
	s, ok := r.str(k)
	if !ok || s == "" {
		if ok || r.null(k) {
			return 0, true
		}
		return 0, false
	}
	id, err := ParseID(r.name(k), what, s)
	if err != nil && r.err == nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			err = app.FieldErrorf(r.name(k), "Unknown %s %s.", strings.ToLower(what), s)
		}
		r.err = err
	}
	return id, true
}

// done fails on any field the object does not have (custom names the
// keys custom fields may take).
func (r *reader) done(custom func(k string) bool) error {
	if r.err != nil {
		return r.err
	}
	keys := make([]string, 0, len(r.in))
	for k := range r.in {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if !r.seen[k] && (custom == nil || !custom(k)) {
			return app.FieldErrorf(r.name(k), "Unknown field %s.", r.name(k))
		}
	}
	return nil
}

// readOnly are fields a client may send back as it read them; they are
// not written.
var readOnly = []string{"id", "createdAt", "updatedAt", "deletedAt", "position", "createdBy", "avatarUrl", "company", "pointOfContact", "__typename"}

func (r *reader) skipReadOnly() {
	for _, k := range readOnly {
		r.has(k)
	}
}

// customKeys reads the top-level keys that are custom fields.
func (r *reader) customKeys(isCustom func(string) bool) map[string]any {
	var out map[string]any
	for k, v := range r.in {
		if r.seen[k] || !isCustom(k) {
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			r.fail(k, "is not JSON.")
			continue
		}
		if out == nil {
			out = map[string]any{}
		}
		out[k] = x
	}
	return out
}

// joinPhone puts a national number and its calling code (or region)
// together.
func joinPhone(number, calling, country string) string {
	number = strings.TrimSpace(number)
	if number == "" || strings.HasPrefix(number, "+") {
		return number
	}
	if calling != "" {
		return strings.TrimSpace(calling) + " " + number
	}
	if country != "" {
		if code := phonenumbers.GetCountryCodeForRegion(strings.ToUpper(country)); code != 0 {
			return "+" + strconv.Itoa(code) + " " + number
		}
	}
	return number
}

// PersonChange is a person input read: the fields sent.
type PersonChange struct {
	Upd    app.PersonUpdate
	Custom map[string]any
}

// ReadPerson reads a person input (create or update). isCustom says
// which other keys are the tenant's custom fields. Returns EINVALID
// naming the field (name.firstName, emails.primaryEmail ...).
func ReadPerson(in Input, isCustom func(string) bool) (*PersonChange, error) {
	r := newReader(in, "")
	r.skipReadOnly()
	ch := &PersonChange{}
	u := &ch.Upd
	if n := r.obj("name"); n != nil {
		if v, ok := n.str("firstName"); ok {
			u.Fields.Put("first_name", v)
		}
		if v, ok := n.str("lastName"); ok {
			u.Fields.Put("last_name", v)
		}
		if err := n.done(nil); err != nil {
			return nil, err
		}
	}
	var emails []string
	emailsSet := false
	if e := r.obj("emails"); e != nil {
		if v, ok := e.str("primaryEmail"); ok {
			emailsSet = true
			if v != "" {
				emails = append(emails, v)
			}
		}
		if v, ok := e.strs("additionalEmails"); ok {
			emailsSet = true
			emails = append(emails, v...)
		}
		if err := e.done(nil); err != nil {
			return nil, err
		}
	}
	if v, ok := r.str("email"); ok && v != "" { // the shorthand of Twenty's quick-start
		emailsSet = true
		emails = append([]string{v}, emails...)
	}
	if emailsSet {
		u.Emails = &emails
	}
	if p := r.obj("phones"); p != nil {
		var phones []string
		num, _ := p.str("primaryPhoneNumber")
		country, _ := p.str("primaryPhoneCountryCode")
		calling, _ := p.str("primaryPhoneCallingCode")
		if ph := joinPhone(num, calling, country); ph != "" {
			phones = append(phones, ph)
		}
		if p.has("additionalPhones") && !p.null("additionalPhones") {
			var extra []json.RawMessage
			if err := json.Unmarshal(p.in["additionalPhones"], &extra); err != nil {
				p.fail("additionalPhones", "must be a list.")
			}
			for i, x := range extra {
				var s string
				var o Phone
				if json.Unmarshal(x, &s) == nil {
					phones = append(phones, s)
				} else if json.Unmarshal(x, &o) == nil {
					phones = append(phones, joinPhone(o.Number, o.CallingCode, o.CountryCode))
				} else {
					p.fail("additionalPhones", "item %d must be a number or {number, callingCode}.", i+1)
				}
			}
		}
		if err := p.done(nil); err != nil {
			return nil, err
		}
		u.Phones = &phones
	}
	if v, ok := r.str("jobTitle"); ok {
		u.Fields.Put("title", v)
	}
	if v, ok := r.str("city"); ok {
		u.Fields.Put("address", v)
	}
	if v, ok := r.str("source"); ok {
		u.Fields.Put("source", v)
	}
	if v, ok := r.strs("tags"); ok {
		u.Tags = &v
	}
	if id, ok := r.id("companyId", "Company"); ok {
		u.CompanyID = &id
	}
	r.extras(app.KindPerson, &u.Fields)
	ch.Custom = r.customKeys(isCustom)
	if err := r.done(isCustom); err != nil {
		return nil, err
	}
	return ch, nil
}

// CompanyChange is a company input read.
type CompanyChange struct {
	Upd app.CompanyUpdate
}

// ReadCompany reads a company input. Returns EINVALID naming the field.
func ReadCompany(in Input, isCustom func(string) bool) (*CompanyChange, error) {
	r := newReader(in, "")
	r.skipReadOnly()
	r.has("idealCustomerProfile")
	ch := &CompanyChange{}
	u := &ch.Upd
	if v, ok := r.str("name"); ok {
		u.Fields.Put("name", v)
	}
	if d := r.obj("domainName"); d != nil {
		if v, ok := d.str("primaryLinkUrl"); ok {
			u.Fields.Put("domain", v)
		}
		d.has("primaryLinkLabel")
		d.has("secondaryLinks")
		if err := d.done(nil); err != nil {
			return nil, err
		}
	}
	if n, ok := r.num("employees"); ok {
		c, err := n.Int64()
		if err != nil || c < 0 {
			r.fail("employees", "must be a whole number.")
		}
		s := app.SizeForEmployees(int(c))
		u.Fields.Put("size", s)
	} else if r.has("employees") && r.null("employees") {
		s := ""
		u.Fields.Put("size", s)
	}
	if a := r.obj("address"); a != nil {
		var parts []string
		for _, k := range []string{"addressStreet1", "addressStreet2", "addressCity", "addressState", "addressPostcode", "addressCountry"} {
			if v, _ := a.str(k); strings.TrimSpace(v) != "" {
				parts = append(parts, strings.TrimSpace(v))
			}
		}
		a.has("addressLat")
		a.has("addressLng")
		if err := a.done(nil); err != nil {
			return nil, err
		}
		s := strings.Join(parts, ", ")
		u.Fields.Put("address", s)
	}
	if v, ok := r.str("industry"); ok {
		u.Fields.Put("industry", v)
	}
	if v, ok := r.strs("tags"); ok {
		u.Tags = &v
	}
	r.extras(app.KindCompany, &u.Fields)
	u.Custom = r.customKeys(isCustom)
	if err := r.done(isCustom); err != nil {
		return nil, err
	}
	return ch, nil
}

// OpportunityChange is an opportunity input read.
type OpportunityChange struct {
	Upd app.DealUpdate
}

// ReadOpportunity reads an opportunity input. Returns EINVALID naming the
// field (amount.amountMicros ...).
func ReadOpportunity(in Input, isCustom func(string) bool) (*OpportunityChange, error) {
	r := newReader(in, "")
	r.skipReadOnly()
	ch := &OpportunityChange{}
	u := &ch.Upd
	if v, ok := r.str("name"); ok {
		u.Fields.Put("name", v)
	}
	if a := r.obj("amount"); a != nil {
		if n, ok := a.num("amountMicros"); ok {
			m, err := strconv.ParseInt(string(n), 10, 64)
			if err != nil || m < 0 || m%10000 != 0 {
				a.fail("amountMicros", "must be a whole number of cents times 10,000 (1500000000 is 1500.00).")
			}
			c := m / 10000
			u.Amount = &c
		}
		if v, ok := a.str("currencyCode"); ok {
			u.Currency = &v
		}
		if err := a.done(nil); err != nil {
			return nil, err
		}
	}
	if v, ok := r.str("closeDate"); ok {
		t, err := app.ParseDate("closeDate", v)
		if err != nil && r.err == nil {
			r.err = err
		}
		u.ExpectedClose = &t
	}
	if v, ok := r.str("stage"); ok {
		v = strings.ReplaceAll(v, "_", " ")
		u.Stage = &v
	}
	if n, ok := r.num("probability"); ok {
		p, err := n.Int64()
		if err != nil {
			r.fail("probability", "must be a whole number.")
		}
		pi := int(p)
		pp := &pi
		u.Probability = &pp
	}
	if id, ok := r.id("companyId", "Company"); ok {
		u.CompanyID = &id
	}
	if id, ok := r.id("pointOfContactId", "Person"); ok {
		ids := []int64{}
		if id != 0 {
			ids = append(ids, id)
		}
		u.PersonIDs = &ids
	}
	if v, ok := r.strs("tags"); ok {
		u.Tags = &v
	}
	r.extras(app.KindDeal, &u.Fields)
	u.Custom = r.customKeys(isCustom)
	if err := r.done(isCustom); err != nil {
		return nil, err
	}
	return ch, nil
}

// readTargets reads personId, companyId or opportunityId (one).
func (r *reader) readTargets() (typ string, id int64, set bool) {
	for _, t := range []struct{ key, typ, what string }{{"personId", app.RecordPerson, "Person"}, {"companyId", app.RecordCompany, "Company"},
		{"opportunityId", app.RecordDeal, "Opportunity"}} {
		if v, ok := r.id(t.key, t.what); ok && v != 0 {
			if set && r.err == nil {
				r.err = app.FieldErrorf(t.key, "A record links to one target: personId, companyId or opportunityId.")
			}
			typ, id, set = t.typ, v, true
		}
	}
	return typ, id, set
}

// readBody reads bodyV2 (markdown; blocknote is refused, the CRM keeps
// markdown) or body.
func (r *reader) readBody() (string, bool) {
	if b := r.obj("bodyV2"); b != nil {
		md, ok := b.str("markdown")
		if b.has("blocknote") && !b.null("blocknote") && !ok {
			b.fail("blocknote", "is not kept here: send the text as bodyV2.markdown.")
		}
		if err := b.done(nil); err != nil && r.err == nil {
			r.err = err
		}
		return md, ok
	}
	return r.str("body")
}

// NoteChange is a note input read.
type NoteChange struct {
	Body       *string
	RecordType string // "" when not sent
	RecordID   int64
}

// ReadNote reads a note input: title and bodyV2.markdown make the body
// ("# Title" then the text), personId, companyId or opportunityId its
// record. Returns EINVALID naming the field.
func ReadNote(in Input) (*NoteChange, error) {
	r := newReader(in, "")
	r.skipReadOnly()
	ch := &NoteChange{}
	title, hasTitle := r.str("title")
	md, hasBody := r.readBody()
	if hasTitle || hasBody {
		b := strings.TrimSpace(md)
		if t := strings.TrimSpace(title); t != "" {
			b = strings.TrimSpace("# " + t + "\n\n" + b)
		}
		ch.Body = &b
	}
	ch.RecordType, ch.RecordID, _ = r.readTargets()
	if err := r.done(nil); err != nil {
		return nil, err
	}
	return ch, nil
}

// TaskChange is a task input read.
type TaskChange struct {
	Upd        app.TaskUpdate
	RecordType string
	RecordID   int64
}

// ReadTask reads a task input: status TODO, IN_PROGRESS (kept as not
// done) or DONE; a body is refused (tasks here have a title only).
// Returns EINVALID naming the field.
func ReadTask(in Input) (*TaskChange, error) {
	r := newReader(in, "")
	r.skipReadOnly()
	ch := &TaskChange{}
	u := &ch.Upd
	if v, ok := r.str("title"); ok {
		u.Title = &v
	}
	if md, ok := r.readBody(); ok && strings.TrimSpace(md) != "" && r.err == nil {
		r.err = app.FieldErrorf("bodyV2", "Tasks here have a title only: put the details in a note on the same record.")
	}
	if v, ok := r.str("dueAt"); ok {
		t, err := app.ParseDate("dueAt", v)
		if err != nil && r.err == nil {
			r.err = err
		}
		u.Due = &t
	}
	if v, ok := r.str("status"); ok && v != "" {
		var done bool
		switch v {
		case "DONE":
			done = true
		case "TODO", "IN_PROGRESS":
		default:
			r.fail("status", "must be TODO, IN_PROGRESS or DONE.")
		}
		u.Done = &done
	}
	if id, ok := r.id("assigneeId", "User"); ok {
		u.AssigneeID = &id
	}
	ch.RecordType, ch.RecordID, _ = r.readTargets()
	if err := r.done(nil); err != nil {
		return nil, err
	}
	return ch, nil
}
