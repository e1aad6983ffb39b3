// Package creators is creator (UGC) management (issue #22): creators are
// CRM people with a creator profile (handles per platform, audience,
// rate, niches, sample links); campaigns carry a markdown brief and
// deliverables (type, due date, status, amounts owed and paid, the usage
// rights' end). A creator submits a deliverable (a link or a file)
// through a private link without an account: a signed token naming the
// tenant, the deliverable, its expiry and a nonce stored on the
// deliverable (a new link changes the nonce, so the old one stops
// working). The owner approves or asks for a revision with a comment the
// creator sees on the private page. A background loop mails the owner
// once before a deliverable's usage rights end.
//
// creators imports app and app/wiki (the brief's markdown); never a
// store or HTTP package.
package creators

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"orengen/app"
	"orengen/app/wiki"
)

// Deliverable statuses, in the board's column order.
const (
	Briefed           = "briefed"
	Drafted           = "drafted"
	RevisionRequested = "revision_requested"
	Approved          = "approved"
	Published         = "published"
)

// Statuses are the board's columns.
var Statuses = []string{Briefed, Drafted, RevisionRequested, Approved, Published}

// StatusLabel is a status as people read it.
func StatusLabel(s string) string {
	return map[string]string{Briefed: "Briefed", Drafted: "Drafted", RevisionRequested: "Revision requested", Approved: "Approved", Published: "Published"}[s]
}

// Comment authors.
const (
	AuthorOwner   = "owner"
	AuthorCreator = "creator"
)

// Limits and defaults.
const (
	MaxFileBytes = 900 << 10 // the request body limit is 1 MiB
	LinkTTL      = 30 * 24 * time.Hour
	// ReminderLead is how long before the usage rights end the owner is
	// reminded.
	ReminderLead = 7 * 24 * time.Hour
)

// Platforms are the handle fields a profile has.
var Platforms = []string{"instagram", "tiktok", "youtube", "x", "linkedin"}

// Profile is a CRM person's creator profile.
type Profile struct {
	ID          int64
	TenantID    int64
	PersonID    int64
	PersonName  string // read only
	PersonEmail string // read only
	Handles     map[string]string
	Audience    int64
	RateCents   int64
	Niches      []string
	Samples     []string
	CreatedAt   time.Time
}

var handleRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^@?[A-Za-z0-9._-]{1,60}$`) })

// Validate normalises and checks a profile. Returns EINVALID.
func (p *Profile) Validate() error {
	if p.PersonID <= 0 {
		return app.FieldErrorf("person_id", "Choose the CRM person who is the creator.")
	}
	h := map[string]string{}
	for k, v := range p.Handles {
		k, v = strings.ToLower(strings.TrimSpace(k)), strings.TrimSpace(v)
		if v == "" {
			continue
		}
		known := false
		for _, pl := range Platforms {
			known = known || pl == k
		}
		if !known {
			return app.FieldErrorf("handles", "Unknown platform %q (one of %s).", k, strings.Join(Platforms, ", "))
		}
		if !handleRE().MatchString(v) {
			return app.FieldErrorf("handles", "The %s handle %q is not a handle.", k, v)
		}
		h[k] = "@" + strings.TrimPrefix(v, "@")
	}
	p.Handles = h
	if p.Audience < 0 || p.RateCents < 0 {
		return app.FieldErrorf("audience", "Audience and rate may not be negative.")
	}
	var niches []string
	for _, n := range p.Niches {
		if n = strings.TrimSpace(n); n != "" {
			niches = append(niches, n)
		}
	}
	p.Niches = niches
	var samples []string
	for _, s := range p.Samples {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return app.FieldErrorf("samples", "Sample link %q must be an http(s) address.", s)
		}
		samples = append(samples, s)
	}
	p.Samples = samples
	return nil
}

// Campaign is a set of deliverables under one brief.
type Campaign struct {
	ID        int64
	TenantID  int64
	Name      string
	Brief     string // markdown
	CreatedAt time.Time
	UpdatedAt time.Time
	// Totals over its deliverables (read only).
	Deliverables int
	OwedCents    int64
	PaidCents    int64
}

// Validate normalises and checks a campaign. Returns EINVALID.
func (c *Campaign) Validate() error {
	c.Name, c.Brief = strings.TrimSpace(c.Name), strings.ReplaceAll(c.Brief, "\r\n", "\n")
	if c.Name == "" {
		return app.FieldErrorf("name", "Name required.")
	}
	if len(c.Name) > 120 {
		return app.FieldErrorf("name", "Name must be at most 120 characters.")
	}
	if len(c.Brief) > 50_000 {
		return app.FieldErrorf("brief", "The brief must be at most 50,000 characters.")
	}
	return nil
}

// Deliverable is one piece a creator owes a campaign.
type Deliverable struct {
	ID          int64
	TenantID    int64
	CampaignID  int64
	CreatorID   int64
	CreatorName string // read only
	Kind        string // video, post, story, reel...
	Due         string // YYYY-MM-DD or ""
	Status      string
	AmountCents int64
	PaidCents   int64
	UsageUntil  string // YYYY-MM-DD or ""
	RemindedAt  *time.Time
	// The creator's submission.
	SubmissionURL  string
	SubmissionNote string
	FileName       string
	FileType       string
	HasFile        bool
	SubmittedAt    *time.Time
	LinkNonce      string
	LinkExpiresAt  time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// OwedCents is what is still to pay.
func (d *Deliverable) OwedCents() int64 { return d.AmountCents - d.PaidCents }

func validDate(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if _, err := time.Parse("2006-01-02", v); err != nil {
		return "", app.FieldErrorf(field, "%s must be a date like 2027-01-31.", field)
	}
	return v, nil
}

// Validate normalises and checks a deliverable's fields. Returns
// EINVALID.
func (d *Deliverable) Validate() error {
	d.Kind = strings.TrimSpace(d.Kind)
	if d.Kind == "" || len(d.Kind) > 60 {
		return app.FieldErrorf("kind", "Type required (video, post, story...), at most 60 characters.")
	}
	if d.CreatorID <= 0 {
		return app.FieldErrorf("creator_id", "Choose the creator.")
	}
	var err error
	if d.Due, err = validDate("due", d.Due); err != nil {
		return err
	}
	if d.UsageUntil, err = validDate("usage_until", d.UsageUntil); err != nil {
		return err
	}
	if d.AmountCents < 0 || d.PaidCents < 0 {
		return app.FieldErrorf("amount", "Amounts may not be negative.")
	}
	if d.Status == "" {
		d.Status = Briefed
	}
	if StatusLabel(d.Status) == "" {
		return app.FieldErrorf("status", "Status must be one of %s.", strings.Join(Statuses, ", "))
	}
	return nil
}

// Comment is a note on a deliverable: the owner's (approval, revision
// request) or the creator's (with a submission).
type Comment struct {
	ID            int64
	DeliverableID int64
	Author        string
	Body          string
	CreatedAt     time.Time
}

// Submission is what a creator sends through the private link.
type Submission struct {
	URL      string
	Note     string
	FileName string
	FileType string
	File     []byte
}

// Reminder is a deliverable whose usage rights end soon, claimed for its
// one reminder.
type Reminder struct {
	Deliverable  *Deliverable
	CampaignName string
}

// Store persists creators, scoped to the tenant in ctx unless noted.
type Store interface {
	FindProfiles(ctx context.Context) ([]*Profile, error)
	FindProfile(ctx context.Context, id int64) (*Profile, error)
	// CreateProfile returns EINVALID if the person is not the tenant's,
	// ECONFLICT if it has a profile already.
	CreateProfile(ctx context.Context, p *Profile) error
	FindCampaigns(ctx context.Context) ([]*Campaign, error)
	FindCampaign(ctx context.Context, id int64) (*Campaign, error)
	SaveCampaign(ctx context.Context, c *Campaign) error
	// FindDeliverables lists a campaign's deliverables (without files).
	FindDeliverables(ctx context.Context, campaignID int64) ([]*Deliverable, error)
	FindDeliverable(ctx context.Context, id int64) (*Deliverable, error)
	// FindDeliverableFile returns the submitted file's bytes.
	FindDeliverableFile(ctx context.Context, id int64) ([]byte, error)
	// CreateDeliverable returns EINVALID if the campaign or creator is not
	// the tenant's.
	CreateDeliverable(ctx context.Context, d *Deliverable) error
	// SetStatus moves a deliverable and adds the comment (nil: none) in
	// one transaction.
	SetStatus(ctx context.Context, id int64, status string, c *Comment) error
	// Submit stores a submission, sets the status to drafted and adds the
	// note as the creator's comment, in one transaction, if the
	// deliverable's link nonce is still nonce (EFORBIDDEN otherwise).
	Submit(ctx context.Context, id int64, nonce string, s *Submission) error
	SetPaid(ctx context.Context, id int64, paidCents int64) error
	// UpdateProfile saves a profile's handles, audience, rate, niches and
	// samples; UpdateDeliverable a deliverable's type, due date, amount
	// and usage end (a new usage end may be reminded again). Both return
	// ENOTFOUND.
	UpdateProfile(ctx context.Context, p *Profile) error
	UpdateDeliverable(ctx context.Context, d *Deliverable) error
	// DeleteCampaign deletes a campaign with its deliverables, their
	// files and comments; DeleteDeliverable one deliverable. ENOTFOUND.
	DeleteCampaign(ctx context.Context, id int64) error
	DeleteDeliverable(ctx context.Context, id int64) error
	SetLink(ctx context.Context, id int64, nonce string, expires time.Time) error
	FindComments(ctx context.Context, deliverableID int64) ([]*Comment, error)
	// ClaimReminders marks (every tenant's) deliverables whose usage
	// rights end by until and were never reminded as reminded now, and
	// returns them: each is claimed once.
	ClaimReminders(ctx context.Context, until string, now time.Time) ([]*Reminder, error)
	// UnclaimReminder undoes a claim whose mail could not be sent.
	UnclaimReminder(ctx context.Context, tenantID, id int64) error
}

// Service is the creators' use cases.
type Service struct {
	store    Store
	Audit    *app.AuditService
	TokenKey []byte // signs the private links
	// Mailer is the tenant's mailer; Owners its owners' addresses and
	// Brand its name (the reminder's).
	Mailer func(ctx context.Context, tenantID int64) (app.Mailer, error)
	Owners func(ctx context.Context, tenantID int64) ([]string, error)
	Logger *slog.Logger
	Now    func() time.Time
}

// NewService returns creator management on its store; the wiring sets
// the other fields. The store stays private: callers go through the
// service.
func NewService(st Store) *Service { return &Service{store: st} }

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func canWrite(ctx context.Context) error {
	if u := app.UserFromContext(ctx); u != nil && u.Role != app.UserRoleOwner {
		return app.Errorf(app.EFORBIDDEN, "Only the account owner can manage creators.")
	}
	return nil
}

// Profiles lists the tenant's creators.
func (s *Service) Profiles(ctx context.Context) ([]*Profile, error) { return s.store.FindProfiles(ctx) }

// CreateProfile makes a CRM person a creator. Returns EINVALID,
// ECONFLICT, EFORBIDDEN.
func (s *Service) CreateProfile(ctx context.Context, p *Profile) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	return s.store.CreateProfile(ctx, p)
}

// Profile returns a creator's profile, or ENOTFOUND.
func (s *Service) Profile(ctx context.Context, id int64) (*Profile, error) {
	return s.store.FindProfile(ctx, id)
}

// UpdateProfile replaces a creator's handles, audience, rate, niches and
// sample links (the CRM person stays). Returns EINVALID, ENOTFOUND,
// EFORBIDDEN.
func (s *Service) UpdateProfile(ctx context.Context, id int64, in *Profile) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	p, err := s.store.FindProfile(ctx, id)
	if err != nil {
		return err
	}
	p.Handles, p.Audience, p.RateCents, p.Niches, p.Samples = in.Handles, in.Audience, in.RateCents, in.Niches, in.Samples
	if err := p.Validate(); err != nil {
		return err
	}
	*in = *p
	return s.store.UpdateProfile(ctx, p)
}

// DeleteCampaign deletes a campaign with its deliverables, their
// submissions and comments. Returns ENOTFOUND, EFORBIDDEN.
func (s *Service) DeleteCampaign(ctx context.Context, id int64) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	if err := s.store.DeleteCampaign(ctx, id); err != nil {
		return err
	}
	s.Audit.Record(ctx, "creators.campaign_delete", "campaign:"+strconv.FormatInt(id, 10), "")
	return nil
}

// Campaigns lists campaigns with their totals.
func (s *Service) Campaigns(ctx context.Context) ([]*Campaign, error) {
	return s.store.FindCampaigns(ctx)
}

// Campaign returns a campaign, or ENOTFOUND.
func (s *Service) Campaign(ctx context.Context, id int64) (*Campaign, error) {
	return s.store.FindCampaign(ctx, id)
}

// SaveCampaign creates (ID 0) or updates a campaign. Returns EINVALID,
// ENOTFOUND, EFORBIDDEN.
func (s *Service) SaveCampaign(ctx context.Context, c *Campaign) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	return s.store.SaveCampaign(ctx, c)
}

// Board is a campaign's deliverables by status, in Statuses order.
type Board struct {
	Campaign *Campaign
	Columns  []Column
}

// Column is one status of a board.
type Column struct {
	Status, Label string
	Cards         []*Deliverable
}

// Board returns a campaign's board. Returns ENOTFOUND.
func (s *Service) Board(ctx context.Context, campaignID int64) (*Board, error) {
	c, err := s.store.FindCampaign(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	ds, err := s.store.FindDeliverables(ctx, campaignID)
	if err != nil {
		return nil, err
	}
	b := &Board{Campaign: c}
	idx := map[string]int{}
	for i, st := range Statuses {
		idx[st] = i
		b.Columns = append(b.Columns, Column{Status: st, Label: StatusLabel(st)})
	}
	for _, d := range ds {
		b.Columns[idx[d.Status]].Cards = append(b.Columns[idx[d.Status]].Cards, d)
	}
	for _, col := range b.Columns {
		sort.SliceStable(col.Cards, func(i, j int) bool {
			return col.Cards[i].Due != "" && (col.Cards[j].Due == "" || col.Cards[i].Due < col.Cards[j].Due)
		})
	}
	return b, nil
}

// Deliverable returns a deliverable, or ENOTFOUND.
func (s *Service) Deliverable(ctx context.Context, id int64) (*Deliverable, error) {
	return s.store.FindDeliverable(ctx, id)
}

// DeliverableFile returns a deliverable's submitted file. Returns
// ENOTFOUND.
func (s *Service) DeliverableFile(ctx context.Context, id int64) (*Deliverable, []byte, error) {
	d, err := s.store.FindDeliverable(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !d.HasFile {
		return nil, nil, app.Errorf(app.ENOTFOUND, "No file was submitted.")
	}
	b, err := s.store.FindDeliverableFile(ctx, id)
	return d, b, err
}

// Comments lists a deliverable's comments, oldest first.
func (s *Service) Comments(ctx context.Context, id int64) ([]*Comment, error) {
	return s.store.FindComments(ctx, id)
}

func nonce() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// AddDeliverable adds a deliverable to a campaign with a fresh private
// link. Returns EINVALID, ENOTFOUND, EFORBIDDEN.
func (s *Service) AddDeliverable(ctx context.Context, d *Deliverable) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	d.Status = Briefed
	if err := d.Validate(); err != nil {
		return err
	}
	d.LinkNonce, d.LinkExpiresAt = nonce(), s.now().Add(LinkTTL).UTC()
	return s.store.CreateDeliverable(ctx, d)
}

// UpdateDeliverable changes a deliverable's type, due date, amount and
// usage rights' end (its status, payment and submission stay). Returns
// EINVALID, ENOTFOUND, EFORBIDDEN.
func (s *Service) UpdateDeliverable(ctx context.Context, id int64, in *Deliverable) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	d, err := s.store.FindDeliverable(ctx, id)
	if err != nil {
		return err
	}
	d.Kind, d.Due, d.AmountCents, d.UsageUntil = in.Kind, in.Due, in.AmountCents, in.UsageUntil
	if err := d.Validate(); err != nil {
		return err
	}
	if err := s.store.UpdateDeliverable(ctx, d); err != nil {
		return err
	}
	*in = *d
	return nil
}

// DeleteDeliverable deletes a deliverable with its submission and
// comments. Returns ENOTFOUND, EFORBIDDEN.
func (s *Service) DeleteDeliverable(ctx context.Context, id int64) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	if err := s.store.DeleteDeliverable(ctx, id); err != nil {
		return err
	}
	s.Audit.Record(ctx, "creators.deliverable_delete", "deliverable:"+strconv.FormatInt(id, 10), "")
	return nil
}

// Move sets a deliverable's status with an optional comment; a revision
// request needs the comment (the creator reads it on the private page).
// Returns EINVALID, ENOTFOUND, EFORBIDDEN.
func (s *Service) Move(ctx context.Context, id int64, status, comment string) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	if StatusLabel(status) == "" {
		return app.FieldErrorf("status", "Status must be one of %s.", strings.Join(Statuses, ", "))
	}
	comment = strings.TrimSpace(comment)
	if status == RevisionRequested && comment == "" {
		return app.FieldErrorf("comment", "Say what to change: the creator reads the comment on the private page.")
	}
	if len(comment) > 5000 {
		return app.FieldErrorf("comment", "The comment must be at most 5000 characters.")
	}
	var c *Comment
	if comment != "" {
		c = &Comment{Author: AuthorOwner, Body: comment}
	}
	if err := s.store.SetStatus(ctx, id, status, c); err != nil {
		return err
	}
	s.Audit.Record(ctx, "creators.status", "deliverable:"+strconv.FormatInt(id, 10), status)
	return nil
}

// SetPaid records what has been paid for a deliverable. Returns
// EINVALID, ENOTFOUND, EFORBIDDEN.
func (s *Service) SetPaid(ctx context.Context, id, paidCents int64) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	if paidCents < 0 {
		return app.FieldErrorf("paid", "The amount paid may not be negative.")
	}
	return s.store.SetPaid(ctx, id, paidCents)
}

// NewLink replaces a deliverable's private link (the old one stops
// working). Returns ENOTFOUND, EFORBIDDEN.
func (s *Service) NewLink(ctx context.Context, id int64) error {
	if err := canWrite(ctx); err != nil {
		return err
	}
	return s.store.SetLink(ctx, id, nonce(), s.now().Add(LinkTTL).UTC())
}

// Token is a deliverable's private link token:
// base64(tenant.deliverable.expiry.nonce) "." base64(HMAC).
func (s *Service) Token(d *Deliverable) string {
	payload := fmt.Sprintf("%d.%d.%d.%s", d.TenantID, d.ID, d.LinkExpiresAt.Unix(), d.LinkNonce)
	m := hmac.New(sha256.New, s.TokenKey)
	m.Write([]byte(payload))
	return base64.RawURLEncoding.EncodeToString([]byte(payload)) + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// Link is a signed token's content.
type Link struct {
	TenantID, DeliverableID int64
	Expires                 time.Time
	Nonce                   string
}

// ParseToken checks a private link token: a token not signed here is
// EINVALID ("not valid"), one past its expiry EFORBIDDEN naming the date.
// The nonce is checked against the deliverable by the caller.
func (s *Service) ParseToken(token string) (*Link, error) {
	bad := app.Errorf(app.ENOTFOUND, "This link is not valid. Ask for a new one.")
	p, sig, ok := strings.Cut(token, ".")
	if !ok || len(token) > 300 {
		return nil, bad
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	got, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil {
		return nil, bad
	}
	m := hmac.New(sha256.New, s.TokenKey)
	m.Write(payload)
	if !hmac.Equal(got, m.Sum(nil)[:16]) {
		return nil, bad
	}
	parts := strings.Split(string(payload), ".")
	if len(parts) != 4 {
		return nil, bad
	}
	tid, _ := strconv.ParseInt(parts[0], 10, 64)
	did, _ := strconv.ParseInt(parts[1], 10, 64)
	exp, _ := strconv.ParseInt(parts[2], 10, 64)
	l := &Link{TenantID: tid, DeliverableID: did, Expires: time.Unix(exp, 0).UTC(), Nonce: parts[3]}
	if !s.now().Before(l.Expires) {
		return nil, app.Errorf(app.EFORBIDDEN, "This link expired on %s. Ask for a new one.", l.Expires.Format("January 2, 2006"))
	}
	return l, nil
}

// LinkDeliverable returns the deliverable a valid link points at (ctx
// scoped to the link's tenant). A link replaced by a newer one is
// refused like a wrong one.
func (s *Service) LinkDeliverable(ctx context.Context, l *Link) (*Deliverable, error) {
	d, err := s.store.FindDeliverable(ctx, l.DeliverableID)
	if err != nil || d.LinkNonce != l.Nonce {
		return nil, app.Errorf(app.ENOTFOUND, "This link is not valid. Ask for a new one.")
	}
	return d, nil
}

var allowedTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "video/mp4": true, "video/webm": true,
	"application/pdf": true, "audio/mpeg": true, "audio/wave": true}

// Submit stores a creator's submission through a valid link: a link or a
// file (sniffed: images, video, audio and PDF only, at most
// MaxFileBytes), and moves the deliverable to drafted. Returns EINVALID,
// ETOOLARGE, EFORBIDDEN (approved or published already, or the link was
// replaced meanwhile).
func (s *Service) Submit(ctx context.Context, l *Link, sub *Submission) error {
	d, err := s.LinkDeliverable(ctx, l)
	if err != nil {
		return err
	}
	if d.Status == Approved || d.Status == Published {
		return app.Errorf(app.EFORBIDDEN, "This deliverable is %s already; nothing more to submit.", strings.ToLower(StatusLabel(d.Status)))
	}
	sub.URL, sub.Note = strings.TrimSpace(sub.URL), strings.TrimSpace(sub.Note)
	if sub.URL == "" && len(sub.File) == 0 {
		return app.FieldErrorf("url", "Give a link to your work or attach a file.")
	}
	if sub.URL != "" {
		if u, err := url.Parse(sub.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return app.FieldErrorf("url", "The link must be an http(s) address.")
		}
	}
	if len(sub.Note) > 5000 {
		return app.FieldErrorf("note", "The note must be at most 5000 characters.")
	}
	if len(sub.File) > 0 {
		if len(sub.File) > MaxFileBytes {
			return &app.Error{Code: app.ETOOLARGE, Field: "file", Message: fmt.Sprintf("The file must be at most %d KiB; share a link to larger work.", MaxFileBytes>>10)}
		}
		ct := http.DetectContentType(sub.File)
		if i := strings.Index(ct, ";"); i > 0 {
			ct = ct[:i]
		}
		if !allowedTypes[ct] {
			return app.FieldErrorf("file", "The file must be an image, a video, audio or a PDF (this one is %s).", ct)
		}
		sub.FileType = ct
		sub.FileName = strings.Map(func(r rune) rune {
			if r < 0x20 || r == '/' || r == '\\' || r == '"' {
				return '_'
			}
			return r
		}, sub.FileName)
		if sub.FileName == "" || len(sub.FileName) > 120 {
			sub.FileName = "submission"
		}
	}
	return s.store.Submit(ctx, d.ID, l.Nonce, sub)
}

// RenderBrief is a brief's safe HTML (the wiki's renderer).
func RenderBrief(md string) string { return wiki.Render(md, wiki.Resolver{}) }

// RemindUsage mails each tenant's owners about deliverables whose usage
// rights end within ReminderLead, once per deliverable (claimed before
// sending; a failed send is unclaimed and retried next time). It returns
// how many reminders went out.
func (s *Service) RemindUsage(ctx context.Context) int {
	now := s.now().UTC()
	rs, err := s.store.ClaimReminders(ctx, now.Add(ReminderLead).Format("2006-01-02"), now)
	if err != nil {
		s.log().Error("creators: claim reminders", "err", err)
		return 0
	}
	sent := 0
	for _, r := range rs {
		d := r.Deliverable
		if err := s.remind(ctx, r); err != nil {
			s.log().Error("creators: usage reminder", "tenant", d.TenantID, "deliverable", d.ID, "err", err)
			if err := s.store.UnclaimReminder(ctx, d.TenantID, d.ID); err != nil {
				s.log().Error("creators: unclaim reminder", "err", err)
			}
			continue
		}
		sent++
	}
	return sent
}

func (s *Service) remind(ctx context.Context, r *Reminder) error {
	d := r.Deliverable
	if s.Mailer == nil || s.Owners == nil {
		return fmt.Errorf("no mailer")
	}
	to, err := s.Owners(ctx, d.TenantID)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		return nil // nobody to tell: claimed, not retried forever
	}
	m, err := s.Mailer(ctx, d.TenantID)
	if err != nil {
		return err
	}
	for _, addr := range to {
		msg := &app.Message{TenantID: d.TenantID, To: addr,
			Subject: fmt.Sprintf("Usage rights end %s: %s by %s", d.UsageUntil, d.Kind, d.CreatorName),
			Text: fmt.Sprintf("The usage rights of %s's %s for the campaign %q end on %s.\n\nRenew them with the creator, or stop using the content by then.\n",
				d.CreatorName, d.Kind, r.CampaignName, d.UsageUntil)}
		if err := m.Send(ctx, msg); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

// FormatCents shows cents as dollars ($1,234.50).
func FormatCents(c int64) string { return app.FormatAmount(c, "USD") }

// ParseCents reads "1234.50" or "$1,234.50" as cents. Returns EINVALID
// naming field.
func ParseCents(field, v string) (int64, error) {
	v = strings.NewReplacer("$", "", ",", "", " ", "").Replace(strings.TrimSpace(v))
	if v == "" {
		return 0, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1e9 {
		return 0, app.FieldErrorf(field, "%s must be an amount like 250 or 250.50.", field)
	}
	return int64(f*100 + 0.5), nil
}

// StatusLabel is the deliverable's status as people read it.
func (d *Deliverable) StatusLabel() string { return StatusLabel(d.Status) }

// PaidInput is the amount paid as a form shows it (250.50).
func (d *Deliverable) PaidInput() string { return centsInput(d.PaidCents) }

// AmountInput is the amount as a form shows it.
func (d *Deliverable) AmountInput() string { return centsInput(d.AmountCents) }

// RateInput is the rate as a form shows it.
func (p *Profile) RateInput() string { return centsInput(p.RateCents) }

func centsInput(c int64) string { return strconv.FormatFloat(float64(c)/100, 'f', 2, 64) }
