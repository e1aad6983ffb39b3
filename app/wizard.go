package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// New-client wizard steps (issue #22), in the order they are done.
const (
	WizardClient   = "client"   // the tenant: name and slug
	WizardOwner    = "owner"    // the owner's invitation
	WizardBrand    = "brand"    // colours (contrast-checked) and logo
	WizardDomain   = "domain"   // optional custom domain, DNS records and a live check
	WizardSnapshot = "snapshot" // optional snapshot applied, after a preview
	WizardDone     = "done"     // every step is done
)

// WizardSteps lists the steps in order.
var WizardSteps = []string{WizardClient, WizardOwner, WizardBrand, WizardDomain, WizardSnapshot}

var wizardLabels = map[string]string{WizardClient: "Client", WizardOwner: "Owner invitation", WizardBrand: "Brand",
	WizardDomain: "Domain", WizardSnapshot: "Snapshot"}

// WizardLabel is a step's title.
func WizardLabel(step string) string { return wizardLabels[step] }

// Wizard is one run of the new-client wizard. Its state is stored after
// every step, so a run resumes where it stopped (an interrupted request, a
// restart); submitting a step that is done changes nothing.
type Wizard struct {
	ID       int64
	TenantID int64  // 0 until the client step is done
	Step     string // the next step to do, or WizardDone
	// Inputs and Results hold each done step's inputs and what it
	// produced, by step name.
	Inputs    map[string]map[string]string
	Results   map[string]map[string]string
	CreatedBy string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Done reports whether step is done.
func (w *Wizard) Done(step string) bool { return w.Results[step] != nil }

// Finished reports whether every step is done.
func (w *Wizard) Finished() bool { return w.Step == WizardDone }

// Result returns a result of a done step ("" when there is none).
func (w *Wizard) Result(step, key string) string { return w.Results[step][key] }

// Input returns an input of a done step ("" when there is none).
func (w *Wizard) Input(step, key string) string { return w.Inputs[step][key] }

// ClientName is the client's name once the client step is done.
func (w *Wizard) ClientName() string { return w.Result(WizardClient, "name") }

// WizardStepState is one line of a run's progress.
type WizardStepState struct {
	Step, Label string
	Status      string // "done", "current" or "todo"
}

// Progress lists every step with its status.
func (w *Wizard) Progress() []WizardStepState {
	out := make([]WizardStepState, 0, len(WizardSteps))
	for _, st := range WizardSteps {
		s := WizardStepState{Step: st, Label: WizardLabel(st), Status: "todo"}
		if w.Done(st) {
			s.Status = "done"
		} else if st == w.Step {
			s.Status = "current"
		}
		out = append(out, s)
	}
	return out
}

func nextWizardStep(step string) string {
	for i, st := range WizardSteps {
		if st == step && i+1 < len(WizardSteps) {
			return WizardSteps[i+1]
		}
	}
	return WizardDone
}

// WizardInput is what a step is submitted with: its form fields and, for
// the brand step, the logo file (nil: no new logo).
type WizardInput struct {
	Fields map[string]string
	Logo   []byte
}

func (in WizardInput) get(k string) string { return strings.TrimSpace(in.Fields[k]) }

// DNSRecord is one record the client sets for its domain.
type DNSRecord struct {
	Type, Name, Value string
}

// WizardStore keeps wizard runs.
type WizardStore interface {
	CreateWizard(ctx context.Context, w *Wizard) error
	// FindWizard returns ENOTFOUND.
	FindWizard(ctx context.Context, id int64) (*Wizard, error)
	// FindWizards lists runs, newest first.
	FindWizards(ctx context.Context) ([]*Wizard, error)
	// CreateWizardTenant creates t and records the client step done with
	// inputs in one transaction, so a run interrupted at any point either
	// has its tenant or none. If the run's client step is done already it
	// changes nothing and returns the run as stored. Returns ENOTFOUND, or
	// ECONFLICT when the slug is taken.
	CreateWizardTenant(ctx context.Context, id int64, t *Tenant, inputs map[string]string) (*Wizard, error)
	// SaveWizardStep records step done with its inputs and results and
	// moves the run to next, unless step is done already (then the run is
	// returned as stored). Returns ENOTFOUND.
	SaveWizardStep(ctx context.Context, id int64, step, next string, inputs, results map[string]string) (*Wizard, error)
}

// WizardService runs the new-client wizard over the services that do each
// part on their own: tenants, user invitations, custom domains and
// snapshots. Each step is idempotent: its effect is looked for before it
// is made (the invited owner, the domain), or made in the transaction
// that records it (the tenant), or is the same when made twice (brand,
// snapshot apply).
type WizardService struct {
	store     WizardStore
	Tenants   *TenantService
	Users     *UserService
	Domains   *DomainService   // nil: the domain step can only be skipped
	Snapshots *SnapshotService // nil: the snapshot step can only be skipped
	Audit     *AuditService
}

// NewWizardService returns the service of the new-client wizard on its store; the
// wiring sets the other fields. The store stays private: callers go
// through the service.
func NewWizardService(st WizardStore) *WizardService { return &WizardService{store: st} }

// Start creates a run at its first step.
func (s *WizardService) Start(ctx context.Context, by string) (*Wizard, error) {
	w := &Wizard{Step: WizardClient, CreatedBy: by}
	if err := s.store.CreateWizard(ctx, w); err != nil {
		return nil, err
	}
	s.Audit.Record(ctx, "wizard.start", fmt.Sprintf("wizard:%d", w.ID), "")
	return w, nil
}

// Wizard returns a run, or ENOTFOUND.
func (s *WizardService) Wizard(ctx context.Context, id int64) (*Wizard, error) {
	return s.store.FindWizard(ctx, id)
}

// Wizards lists runs, newest first.
func (s *WizardService) Wizards(ctx context.Context) ([]*Wizard, error) {
	return s.store.FindWizards(ctx)
}

// Submit does a step of run id and records it. A step that is done
// already changes nothing and returns the run as it is; a step after the
// current one is refused (EINVALID, field "step"). Returns ENOTFOUND,
// EINVALID naming the field at fault, ECONFLICT or ETOOLARGE; nothing of
// a refused step is kept.
func (s *WizardService) Submit(ctx context.Context, id int64, step string, in WizardInput) (*Wizard, error) {
	w, err := s.store.FindWizard(ctx, id)
	if err != nil {
		return nil, err
	}
	if WizardLabel(step) == "" {
		return nil, FieldErrorf("step", "Unknown step %q: the steps are %s.", step, strings.Join(WizardSteps, ", "))
	}
	if w.Done(step) {
		return w, nil
	}
	if step != w.Step {
		return nil, FieldErrorf("step", "Finish the %s step first.", strings.ToLower(WizardLabel(w.Step)))
	}
	if step == WizardClient {
		return s.client(ctx, w, in)
	}
	t, err := s.Tenants.TenantByID(ctx, w.TenantID)
	if err != nil {
		return nil, err
	}
	var inputs, results map[string]string
	switch step {
	case WizardOwner:
		inputs, results, err = s.owner(ctx, t, in)
	case WizardBrand:
		inputs, results, err = s.brand(ctx, t, in)
	case WizardDomain:
		inputs, results, err = s.domain(ctx, t, in)
	case WizardSnapshot:
		inputs, results, err = s.snapshot(ctx, t, in)
	}
	if err != nil {
		return nil, err
	}
	next := nextWizardStep(step)
	if w, err = s.store.SaveWizardStep(ctx, id, step, next, inputs, results); err != nil {
		return nil, err
	}
	if next == WizardDone {
		s.Audit.Record(ctx, "wizard.finish", "tenant:"+t.Slug, fmt.Sprintf("wizard:%d", id))
	}
	return w, nil
}

func (s *WizardService) client(ctx context.Context, w *Wizard, in WizardInput) (*Wizard, error) {
	t := &Tenant{Name: in.get("name"), Slug: in.get("slug")}
	if err := t.Validate(); err != nil {
		return nil, err
	}
	if _, err := s.Tenants.TenantBySlug(ctx, t.Slug); err == nil {
		return nil, FieldErrorf("slug", "A client with the slug %s exists already: choose another.", t.Slug)
	} else if ErrorCode(err) != ENOTFOUND {
		return nil, err
	}
	w, err := s.store.CreateWizardTenant(ctx, w.ID, t, map[string]string{"name": t.Name, "slug": t.Slug})
	if err != nil {
		if ErrorCode(err) == ECONFLICT {
			return nil, FieldErrorf("slug", "A client with the slug %s exists already: choose another.", t.Slug)
		}
		return nil, err
	}
	s.Audit.Record(ctx, "tenant.create", "tenant:"+t.Slug, fmt.Sprintf("wizard:%d", w.ID))
	return w, nil
}

// owner invites the owner through the usual invitation, unless the
// client has a user with that email (an earlier try that was cut off
// before it was recorded): then that user is the result.
func (s *WizardService) owner(ctx context.Context, t *Tenant, in WizardInput) (map[string]string, map[string]string, error) {
	email, name := strings.ToLower(in.get("email")), in.get("name")
	if err := ValidateEmail("email", email); err != nil {
		return nil, nil, err
	}
	tctx := NewContextWithTenant(ctx, t)
	users, err := s.Users.ListUsers(tctx)
	if err != nil {
		return nil, nil, err
	}
	var u *User
	for _, x := range users {
		if strings.EqualFold(x.Email, email) {
			u = x
		}
	}
	if u == nil {
		if u, err = s.Users.Invite(tctx, email, name, UserRoleOwner); err != nil {
			return nil, nil, err
		}
	}
	return map[string]string{"email": email, "name": name},
		map[string]string{"user_id": strconv.FormatInt(u.ID, 10), "email": u.Email, "role": u.Role}, nil
}

// brand sets the colours (the tenant's contrast check refuses a colour
// white text is not readable on, with the ratio) and the logo. The logo
// is checked before anything is written.
func (s *WizardService) brand(ctx context.Context, t *Tenant, in WizardInput) (map[string]string, map[string]string, error) {
	primary, accent, display := strings.ToLower(in.get("primary_color")), strings.ToLower(in.get("accent_color")), in.get("display_name")
	if primary == "" {
		primary = t.PrimaryColor
	}
	if accent == "" {
		accent = t.AccentColor
	}
	if in.Logo != nil {
		if _, err := NewLogo(in.Logo); err != nil {
			return nil, nil, err
		}
	}
	t2, err := s.Tenants.UpdateTenant(ctx, t.ID, TenantUpdate{PrimaryColor: &primary, AccentColor: &accent, DisplayName: &display})
	if err != nil {
		return nil, nil, err
	}
	if in.Logo != nil {
		if err := s.Tenants.SetLogo(ctx, t.ID, in.Logo); err != nil {
			return nil, nil, err
		}
		if t2, err = s.Tenants.TenantByID(ctx, t.ID); err != nil {
			return nil, nil, err
		}
	}
	rp, _ := ContrastRatio(t2.PrimaryColor, "#ffffff")
	ra, _ := ContrastRatio(t2.AccentColor, "#ffffff")
	return map[string]string{"primary_color": primary, "accent_color": accent, "display_name": display},
		map[string]string{"primary_color": t2.PrimaryColor, "accent_color": t2.AccentColor, "display_name": t2.DisplayName,
			"primary_contrast": fmt.Sprintf("%.1f:1", rp), "accent_contrast": fmt.Sprintf("%.1f:1", ra), "logo": t2.LogoHash}, nil
}

// domain registers the custom domain for the client (or adopts it when an
// earlier try registered it). An empty domain skips the step.
func (s *WizardService) domain(ctx context.Context, t *Tenant, in WizardInput) (map[string]string, map[string]string, error) {
	name := strings.TrimSuffix(strings.ToLower(in.get("domain")), ".")
	if name == "" {
		return map[string]string{"domain": ""}, map[string]string{"skipped": "yes"}, nil
	}
	if s.Domains == nil {
		return nil, nil, FieldErrorf("domain", "Custom domains are not configured on this server; leave the domain empty.")
	}
	d, err := s.Domains.domainByName(ctx, name)
	switch {
	case err == nil && (d.TenantID == nil || *d.TenantID != t.ID):
		return nil, nil, FieldErrorf("domain", "%s is registered already for another client.", name)
	case ErrorCode(err) == ENOTFOUND:
		d = &CustomDomain{Name: name, TenantID: &t.ID}
		if err := s.Domains.AddDomain(ctx, d); err != nil {
			if ErrorCode(err) == ECONFLICT || ErrorCode(err) == EINVALID {
				return nil, nil, FieldErrorf("domain", "%s", ErrorMessage(err))
			}
			return nil, nil, err
		}
		s.Audit.Record(ctx, "domain.add", d.Name, "tenant:"+t.Slug)
	case err != nil:
		return nil, nil, err
	}
	return map[string]string{"domain": name}, map[string]string{"domain_id": strconv.FormatInt(d.ID, 10), "domain": d.Name}, nil
}

// snapshot applies the chosen snapshot (an empty or 0 id skips the step).
// Applying twice keeps what the first apply created.
func (s *WizardService) snapshot(ctx context.Context, t *Tenant, in WizardInput) (map[string]string, map[string]string, error) {
	ref := in.get("snapshot_id")
	if ref == "" || ref == "0" {
		return map[string]string{"snapshot_id": ""}, map[string]string{"skipped": "yes"}, nil
	}
	sid, err := strconv.ParseInt(ref, 10, 64)
	if err != nil || sid <= 0 {
		return nil, nil, FieldErrorf("snapshot_id", "Choose a snapshot, or none.")
	}
	if s.Snapshots == nil {
		return nil, nil, FieldErrorf("snapshot_id", "Snapshots are not available on this server; choose none.")
	}
	p, err := s.Snapshots.Apply(ctx, sid, t.ID)
	if err != nil {
		if ErrorCode(err) == ENOTFOUND {
			return nil, nil, FieldErrorf("snapshot_id", "No snapshot has ID %d.", sid)
		}
		return nil, nil, err
	}
	return map[string]string{"snapshot_id": ref}, map[string]string{"snapshot": fmt.Sprintf("%s v%d", p.Snapshot.Name, p.Snapshot.Version),
		"created": strconv.Itoa(p.Count(SnapshotCreate)), "kept": strconv.Itoa(p.Count(SnapshotExists))}, nil
}

// PreviewSnapshot is what applying snapshot sid to the run's client would
// do, changing nothing. Returns ENOTFOUND, or EINVALID before the client
// step is done.
func (s *WizardService) PreviewSnapshot(ctx context.Context, id, sid int64) (*SnapshotPreview, error) {
	w, err := s.store.FindWizard(ctx, id)
	if err != nil {
		return nil, err
	}
	if w.TenantID == 0 {
		return nil, FieldErrorf("step", "Finish the client step first.")
	}
	if s.Snapshots == nil {
		return nil, Errorf(ENOTFOUND, "Snapshots are not available on this server.")
	}
	return s.Snapshots.Preview(ctx, sid, w.TenantID)
}

// Domain returns the run's custom domain, or nil when the domain step is
// not done or was skipped.
func (s *WizardService) Domain(ctx context.Context, w *Wizard) (*CustomDomain, error) {
	did, _ := strconv.ParseInt(w.Result(WizardDomain, "domain_id"), 10, 64)
	if did == 0 || s.Domains == nil {
		return nil, nil
	}
	d, err := s.Domains.domainByID(ctx, did)
	if ErrorCode(err) == ENOTFOUND {
		return nil, nil // removed since
	}
	return d, err
}

// DNSRecords lists the records the client sets for d: an A or AAAA
// record per public address of this server, and the TXT record that
// proves the domain is theirs (either one verifies it).
func (s *WizardService) DNSRecords(d *CustomDomain) []DNSRecord {
	if d == nil {
		return nil
	}
	var out []DNSRecord
	for _, a := range s.Domains.PublicIPs {
		typ := "A"
		if a.Is6() && !a.Is4In6() {
			typ = "AAAA"
		}
		out = append(out, DNSRecord{typ, d.Name, a.Unmap().String()})
	}
	return append(out, DNSRecord{"TXT", d.VerifyRecord(), d.VerifyToken})
}

// CheckDomain checks the run's domain's DNS now (the live check) and
// records the result on the domain. Returns EINVALID when the run has no
// domain.
func (s *WizardService) CheckDomain(ctx context.Context, id int64) (*CustomDomain, error) {
	w, err := s.store.FindWizard(ctx, id)
	if err != nil {
		return nil, err
	}
	d, err := s.Domain(ctx, w)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return nil, FieldErrorf("domain", "This client has no custom domain in the wizard: nothing to check.")
	}
	return s.Domains.VerifyDomain(ctx, d.ID)
}
