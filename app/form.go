package app

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Form field types.
const (
	FieldText     = "text"
	FieldEmail    = "email"
	FieldPhone    = "phone"
	FieldSelect   = "select"
	FieldCheckbox = "checkbox"
	FieldTextarea = "textarea"
)

// FormFieldTypes lists the field types in the editor's order.
var FormFieldTypes = []string{FieldText, FieldEmail, FieldPhone, FieldSelect, FieldCheckbox, FieldTextarea}

// UTMFields are hidden fields every hosted form carries, filled from the
// page URL's query (?utm_source=...).
var UTMFields = []string{"utm_source", "utm_medium", "utm_campaign"}

// ConsentField is the name of the required consent checkbox a form with
// consent text shows.
const ConsentField = "consent"

// Form is a tenant's lead form: its fields, consent text, what follows a
// submission and who is notified.
type Form struct {
	ID             int64
	TenantID       int64
	Name           string
	Fields         []FormField
	Consent        string   // when set, a required checkbox with this text
	SuccessMessage string   // shown after a submission (no RedirectURL)
	RedirectURL    string   // https:// URL or a /path to send the visitor to
	Notify         []string // emails told of each submission
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// FormField is one field of a form.
type FormField struct {
	Name     string   `json:"name"`
	Label    string   `json:"label"`
	Type     string   `json:"type"`
	Required bool     `json:"required,omitempty"`
	Options  []string `json:"options,omitempty"` // select only
}

var formFieldNameRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`) })

// reservedFormFields are names the hosted page uses itself.
var reservedFormFields = map[string]bool{ConsentField: true, "utm_source": true, "utm_medium": true, "utm_campaign": true,
	"form_id": true, "_ts": true, "_hp": true, "website_url": true}

// ParseFormFields reads the editor's field list: one field per line,
// "name | Label | type | required | option, option". Blank lines and
// lines starting with # are skipped.
func ParseFormFields(src string) ([]FormField, error) {
	var out []FormField
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "|")
		for j := range parts {
			parts[j] = strings.TrimSpace(parts[j])
		}
		for len(parts) < 5 {
			parts = append(parts, "")
		}
		if len(parts) > 5 {
			return nil, FieldErrorf("fields", "Line %d: at most 5 parts (name | label | type | required | options).", i+1)
		}
		f := FormField{Name: strings.ToLower(parts[0]), Label: parts[1], Type: strings.ToLower(parts[2])}
		if f.Type == "" {
			f.Type = FieldText
		}
		switch strings.ToLower(parts[3]) {
		case "required", "yes", "true", "1":
			f.Required = true
		case "", "optional", "no", "false", "0":
		default:
			return nil, FieldErrorf("fields", "Line %d: the 4th part must be \"required\" or empty, not %q.", i+1, parts[3])
		}
		if parts[4] != "" {
			for _, o := range strings.Split(parts[4], ",") {
				if o = strings.TrimSpace(o); o != "" {
					f.Options = append(f.Options, o)
				}
			}
		}
		out = append(out, f)
	}
	return out, nil
}

// FormatFormFields is the inverse of ParseFormFields.
func FormatFormFields(fs []FormField) string {
	var b strings.Builder
	for _, f := range fs {
		req := ""
		if f.Required {
			req = "required"
		}
		fmt.Fprintf(&b, "%s | %s | %s | %s | %s\n", f.Name, f.Label, f.Type, req, strings.Join(f.Options, ", "))
	}
	return b.String()
}

// Validate checks a form definition; the error names the field.
func (f *Form) Validate() error {
	f.Name = strings.TrimSpace(f.Name)
	if f.Name == "" || len(f.Name) > 100 {
		return FieldErrorf("name", "Name required (at most 100 characters).")
	}
	if len(f.Fields) == 0 {
		return FieldErrorf("fields", "A form needs at least one field.")
	}
	if len(f.Fields) > 40 {
		return FieldErrorf("fields", "A form may have at most 40 fields.")
	}
	seen := map[string]bool{}
	reach := false
	for i := range f.Fields {
		fd := &f.Fields[i]
		fd.Label = strings.TrimSpace(fd.Label)
		if !formFieldNameRE().MatchString(fd.Name) {
			return FieldErrorf("fields", "Field %d: name %q must start with a letter and use lowercase letters, digits or _ (at most 40).", i+1, fd.Name)
		}
		if reservedFormFields[fd.Name] {
			return FieldErrorf("fields", "Field %d: name %q is reserved.", i+1, fd.Name)
		}
		if seen[fd.Name] {
			return FieldErrorf("fields", "Field %d: name %q is used twice.", i+1, fd.Name)
		}
		seen[fd.Name] = true
		if fd.Label == "" {
			fd.Label = fd.Name
		}
		if len(fd.Label) > 200 {
			return FieldErrorf("fields", "Field %d (%s): label must be at most 200 characters.", i+1, fd.Name)
		}
		switch fd.Type {
		case FieldSelect:
			if len(fd.Options) < 1 {
				return FieldErrorf("fields", "Field %d (%s): a select needs a list of options.", i+1, fd.Name)
			}
			opts := map[string]bool{}
			for _, o := range fd.Options {
				if opts[o] {
					return FieldErrorf("fields", "Field %d (%s): option %q is listed twice.", i+1, fd.Name, o)
				}
				opts[o] = true
			}
		case FieldText, FieldEmail, FieldPhone, FieldCheckbox, FieldTextarea:
			if len(fd.Options) > 0 {
				return FieldErrorf("fields", "Field %d (%s): only a select has options.", i+1, fd.Name)
			}
		default:
			return FieldErrorf("fields", "Field %d (%s): unknown type %q (%s).", i+1, fd.Name, fd.Type, strings.Join(FormFieldTypes, ", "))
		}
		if fd.Type == FieldEmail || fd.Type == FieldPhone {
			reach = true
		}
	}
	if !reach {
		return FieldErrorf("fields", "A form needs an email or a phone field, so a contact can be reached.")
	}
	f.Consent = strings.TrimSpace(f.Consent)
	if len(f.Consent) > 2000 {
		return FieldErrorf("consent", "Consent text must be at most 2000 characters.")
	}
	f.SuccessMessage = strings.TrimSpace(f.SuccessMessage)
	if len(f.SuccessMessage) > 2000 {
		return FieldErrorf("success_message", "Success message must be at most 2000 characters.")
	}
	f.RedirectURL = strings.TrimSpace(f.RedirectURL)
	if r := f.RedirectURL; r != "" {
		u, err := url.Parse(r)
		switch {
		case err != nil, len(r) > 2000:
			return FieldErrorf("redirect_url", "Redirect must be an https:// URL or a path starting with /.")
		case LocalPath(r):
		case u.Scheme == "https" && u.Host != "":
		default:
			return FieldErrorf("redirect_url", "Redirect must be an https:// URL or a path starting with /.")
		}
	}
	if len(f.Notify) > 10 {
		return FieldErrorf("notify", "At most 10 notification recipients.")
	}
	for i, e := range f.Notify {
		f.Notify[i] = strings.ToLower(strings.TrimSpace(e))
		if err := ValidateEmail("notify", f.Notify[i]); err != nil {
			return FieldErrorf("notify", "Notification recipient %q is not a valid email address.", e)
		}
	}
	return nil
}

// SubmissionForm is the form column of a submission from a built form.
func (f *Form) SubmissionForm() string { return "form-" + strconv.FormatInt(f.ID, 10) }

// ParseNotify splits a comma-, space- or newline-separated list of emails.
func ParseNotify(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// FormStore persists forms. Every method but FindPublicForm is scoped to
// the context's tenant: another tenant's form is ENOTFOUND.
type FormStore interface {
	FindForms(ctx context.Context) ([]*Form, error)
	FindForm(ctx context.Context, id int64) (*Form, error)
	// SaveForm creates (ID 0) or updates the tenant's form.
	SaveForm(ctx context.Context, f *Form) error
	DeleteForm(ctx context.Context, id int64) error
	// FindPublicForm returns any tenant's form, for its hosted page.
	FindPublicForm(ctx context.Context, id int64) (*Form, error)
	// CountSubmissions counts each of the tenant's forms' submissions.
	CountSubmissions(ctx context.Context) (map[int64]int, error)
}

// FormService is the use-case layer of built forms: the editor (tenant
// scoped) and public submissions.
type FormService struct {
	store       FormStore
	Automations *AutomationService
	Mailer      Mailer // notifications; nil sends none
	Tenants     interface {
		FindTenantByID(ctx context.Context, id int64) (*Tenant, error)
	}
	Audit  *AuditService
	Logger interface {
		Error(msg string, args ...any)
	}
}

// NewFormService returns the forms' service on its store; the wiring sets
// the other fields. The store stays private: callers go through the
// service.
func NewFormService(st FormStore) *FormService { return &FormService{store: st} }

// ListForms lists the context's tenant's forms.
func (s *FormService) ListForms(ctx context.Context) ([]*Form, error) {
	return s.store.FindForms(ctx)
}

// Form returns one of the context's tenant's forms; another tenant's is
// ENOTFOUND.
func (s *FormService) Form(ctx context.Context, id int64) (*Form, error) {
	return s.store.FindForm(ctx, id)
}

// PublicForm returns any tenant's form, for its hosted page: the caller
// checks that the host may serve that tenant. Returns ENOTFOUND.
func (s *FormService) PublicForm(ctx context.Context, id int64) (*Form, error) {
	return s.store.FindPublicForm(ctx, id)
}

// CountSubmissions counts each of the context's tenant's forms'
// submissions.
func (s *FormService) CountSubmissions(ctx context.Context) (map[int64]int, error) {
	return s.store.CountSubmissions(ctx)
}

// SaveForm validates and stores f for the context's tenant.
func (s *FormService) SaveForm(ctx context.Context, f *Form) error {
	if err := f.Validate(); err != nil {
		return err
	}
	action := "form.update"
	if f.ID == 0 {
		action = "form.create"
	}
	if err := s.store.SaveForm(ctx, f); err != nil {
		return err
	}
	if s.Audit != nil {
		s.Audit.Record(ctx, action, "form:"+strconv.FormatInt(f.ID, 10), f.Name)
	}
	return nil
}

// DeleteForm deletes the tenant's form (its submissions stay).
func (s *FormService) DeleteForm(ctx context.Context, id int64) error {
	if err := s.store.DeleteForm(ctx, id); err != nil {
		return err
	}
	if s.Audit != nil {
		s.Audit.Record(ctx, "form.delete", "form:"+strconv.FormatInt(id, 10), "")
	}
	return nil
}

// FormValues checks posted values against f; the error names the first bad
// field. It returns the payload to store and the contact it describes.
func (f *Form) FormValues(get func(string) string, ip string) (map[string]string, ContactInput, error) {
	payload := map[string]string{}
	in := ContactInput{TenantID: f.TenantID, IP: ip, Source: truncate(f.Name, 100)}
	for _, fd := range f.Fields {
		v := strings.TrimSpace(get(fd.Name))
		max := 500
		if fd.Type == FieldTextarea {
			max = 5000
		}
		if len(v) > max {
			return nil, in, FieldErrorf(fd.Name, "%s must be at most %d characters.", fd.Label, max)
		}
		if fd.Type == FieldCheckbox {
			if v != "" {
				v = "yes"
			}
		}
		if v == "" {
			if fd.Required {
				return nil, in, FieldErrorf(fd.Name, "%s is required.", fd.Label)
			}
			continue
		}
		switch fd.Type {
		case FieldEmail:
			v = strings.ToLower(v)
			if err := ValidateEmail(fd.Name, v); err != nil {
				return nil, in, FieldErrorf(fd.Name, "%s: enter a valid email address.", fd.Label)
			}
			if in.Email == "" {
				in.Email = v
			}
		case FieldPhone:
			if len(strings.TrimPrefix(PhoneDigits(v), "+")) < 7 || len(v) > 30 {
				return nil, in, FieldErrorf(fd.Name, "%s: enter a phone number with at least 7 digits.", fd.Label)
			}
			if in.Phone == "" {
				in.Phone = v
			}
		case FieldSelect:
			ok := false
			for _, o := range fd.Options {
				ok = ok || o == v
			}
			if !ok {
				return nil, in, FieldErrorf(fd.Name, "%s: choose one of the options.", fd.Label)
			}
		}
		payload[fd.Name] = v
		switch fd.Name {
		case "first_name", "firstname", "name":
			in.FirstName = truncate(v, 100)
		case "last_name", "lastname":
			in.LastName = truncate(v, 100)
		case "company":
			in.Company = truncate(v, 200)
		case "message":
			in.Message = v
		}
	}
	if in.Email == "" && in.Phone == "" {
		for _, fd := range f.Fields {
			if fd.Type == FieldEmail || fd.Type == FieldPhone {
				return nil, in, FieldErrorf(fd.Name, "Enter an email or a phone number so we can reach you.")
			}
		}
	}
	if f.Consent != "" {
		if get(ConsentField) == "" {
			return nil, in, FieldErrorf(ConsentField, "Please tick the consent box to continue.")
		}
		payload[ConsentField] = "yes"
	}
	for _, k := range UTMFields {
		if v := strings.TrimSpace(get(k)); v != "" {
			payload[k] = truncate(v, 200)
		}
	}
	if src := payload["utm_source"]; src != "" {
		in.Source = truncate(src, 100)
	}
	payload["form_id"] = strconv.FormatInt(f.ID, 10)
	payload["form_name"] = f.Name
	return payload, in, nil
}

// Submit stores a valid post of form f: submission, contact upsert and
// the runs of the tenant's form_submitted workflows in one transaction
// (as /webhook/lead-capture does), then emails the form's recipients.
// Invalid input is an EINVALID naming the field, with nothing written.
func (s *FormService) Submit(ctx context.Context, f *Form, get func(string) string) (*Submission, error) {
	payload, in, err := f.FormValues(get, RequestFromContext(ctx).IP)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(); err != nil {
		return nil, err
	}
	sub := &Submission{TenantID: f.TenantID, Form: f.SubmissionForm(), Contact: in, Payload: payload}
	if err := s.Automations.capture(ctx, sub); err != nil {
		return nil, err
	}
	s.notify(ctx, f, sub)
	return sub, nil
}

// notify emails the form's recipients after the commit. A failed send is
// logged, never a failed submission: the data is already stored.
func (s *FormService) notify(ctx context.Context, f *Form, sub *Submission) {
	if s.Mailer == nil || len(f.Notify) == 0 {
		return
	}
	from := ""
	if s.Tenants != nil {
		if t, err := s.Tenants.FindTenantByID(ctx, f.TenantID); err == nil {
			from = t.BrandName()
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "New submission of %q (#%d).\n\n", f.Name, sub.ID)
	for _, fd := range f.Fields {
		if v, ok := sub.Payload[fd.Name]; ok {
			fmt.Fprintf(&b, "%s: %s\n", fd.Label, v)
		}
	}
	for _, k := range append([]string{ConsentField}, UTMFields...) {
		if v, ok := sub.Payload[k]; ok {
			fmt.Fprintf(&b, "%s: %s\n", k, v)
		}
	}
	for _, to := range f.Notify {
		err := s.Mailer.Send(ctx, &Message{TenantID: f.TenantID, FromName: from, To: to, Subject: "New form submission: " + f.Name, Text: b.String()})
		if err != nil && s.Logger != nil {
			s.Logger.Error("form notification", "form", f.ID, "submission", sub.ID, "err", err)
		}
	}
}
