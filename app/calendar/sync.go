package calendar

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// Source kinds: where a calendar's outside busy times come from.
const (
	SourceCalDAV = "caldav" // a CalDAV account, read and written (two-way)
	SourceICS    = "ics"    // a read-only ICS feed subscription
)

// Remote is a calendar found on a CalDAV account. Busy ones are read in;
// the Target receives the calendar's bookings.
type Remote struct {
	Path   string `json:"path"`
	Name   string `json:"name"`
	Busy   bool   `json:"busy"`
	Target bool   `json:"target"`
	// SyncToken is the server's RFC 6578 token after the last read ("":
	// read everything next time).
	SyncToken string `json:"sync_token,omitempty"`
	// FullAt is when the remote was last read in full; a daily full read
	// moves the window recurrences are expanded in.
	FullAt time.Time `json:"full_at,omitzero"`
}

// Source is an outside calendar feeding a calendar. The CalDAV password
// is in the vault (SecretName), never here.
type Source struct {
	ID         int64
	TenantID   int64
	CalendarID int64
	Kind       string
	URL        string
	Username   string
	Remotes    []Remote
	LastSyncAt *time.Time
	LastOKAt   *time.Time
	// LastError is why the last sync failed ("" when it worked); while set,
	// the calendar offers no slots.
	LastError  string
	NextSyncAt time.Time
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SecretName is the vault name of the source's password.
func (s *Source) SecretName() string { return fmt.Sprintf("calendar_source_%d_password", s.ID) }

// Target returns the remote that receives bookings, or nil.
func (s *Source) Target() *Remote {
	for i := range s.Remotes {
		if s.Remotes[i].Target {
			return &s.Remotes[i]
		}
	}
	return nil
}

// Validate normalises and checks s. Returns EINVALID naming the field.
func (s *Source) Validate() error {
	s.URL, s.Username = strings.TrimSpace(s.URL), strings.TrimSpace(s.Username)
	if strings.HasPrefix(strings.ToLower(s.URL), "webcal://") {
		s.URL = "https://" + s.URL[len("webcal://"):]
	}
	u, err := url.Parse(s.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s.URL) > 2000 {
		return app.FieldErrorf("url", "URL must be an http or https address (at most 2000 characters).")
	}
	if u.User != nil {
		return app.FieldErrorf("url", "Put the user name and password in their own fields, not in the URL.")
	}
	switch s.Kind {
	case SourceCalDAV:
		if s.Username == "" || len(s.Username) > 200 {
			return app.FieldErrorf("username", "User name required (at most 200 characters).")
		}
	case SourceICS:
		s.Username = ""
	default:
		return app.FieldErrorf("kind", "Kind must be caldav or ics.")
	}
	return nil
}

// Account is what a CalDAV client needs to reach a source.
type Account struct {
	URL      string
	Username string
	Password string
}

// Window is the range recurring events are expanded in; floating times
// and all-day events are read in Loc (the calendar's zone).
type Window struct {
	From, To time.Time
	Loc      *time.Location
}

// BusyEvent is one occurrence of an outside event.
type BusyEvent struct {
	UID     string
	Summary string
	Start   time.Time
	End     time.Time
}

// RemoteObject is one calendar resource read from a server, its events
// expanded in the window.
type RemoteObject struct {
	Href   string
	ETag   string
	Events []BusyEvent
}

// Delta is what changed on a remote calendar since a sync token.
type Delta struct {
	Changed []RemoteObject
	Deleted []string // hrefs
	// Full means Changed is everything: what else was read in before goes.
	Full  bool
	Token string
}

// DAV talks CalDAV (package caldav implements it over the guarded HTTP
// client).
type DAV interface {
	// Discover finds the account's event calendars (principal, calendar
	// home, calendars).
	Discover(ctx context.Context, a Account) ([]Remote, error)
	// Changes reads what changed on the calendar at path since token (""
	// for everything, or when the server has no sync tokens).
	Changes(ctx context.Context, a Account, path, token string, w Window) (*Delta, error)
	// PutEvent writes a booking as an event into the calendar at path and
	// returns its href and new ETag. With etag "" it only creates the
	// event (If-None-Match: *), else it only replaces that version of it
	// (If-Match); ErrChanged (the href still returned) when the server's
	// event is not what the write expected.
	PutEvent(ctx context.Context, a Account, path string, b *Booking, etag string) (href, newETag string, err error)
	// DeleteEvent removes an event written before, only if it is still
	// the version etag names (If-Match; "" any version): ErrChanged when
	// it is not. Gone already is fine.
	DeleteEvent(ctx context.Context, a Account, href, etag string) error
	// EventETag reads the current ETag of the event at href ("" when it
	// is gone).
	EventETag(ctx context.Context, a Account, href string) (string, error)
}

// ErrChanged is a CalDAV write refused because the event on the server
// is not the version the write expected (412 Precondition Failed).
var ErrChanged = errors.New("the event changed on the server")

// FeedReader reads an ICS feed's events.
type FeedReader interface {
	ReadFeed(ctx context.Context, url string, w Window) ([]BusyEvent, error)
}

// Export is a booking written to a source's target calendar.
type Export struct {
	SourceID  int64
	BookingID int64
	// Remote is the path of the target calendar it was written to.
	Remote string
	Href   string
	// ETag is the server's version of the event as last written (or ""
	// when the server's copy is gone and must be created again).
	ETag     string
	Sequence int
}

// PendingPut is a booking to write to the target: Prev is what was
// written before (nil: nothing yet).
type PendingPut struct {
	Booking *Booking
	Prev    *Export
}

// SyncStore keeps sources and what they read in. Methods taking ctx work
// in its tenant; DueSources serves the worker across tenants.
type SyncStore interface {
	CreateSource(ctx context.Context, s *Source) error
	// UpdateSource writes the remotes (choices and tokens); the busy
	// times of remotes no longer read go in the same transaction.
	UpdateSource(ctx context.Context, s *Source) error
	// DeleteSource removes the source and what it read in. ENOTFOUND.
	DeleteSource(ctx context.Context, id int64) error
	FindSource(ctx context.Context, id int64) (*Source, error)
	// FindSources lists a calendar's sources (calendarID 0: the tenant's).
	FindSources(ctx context.Context, calendarID int64) ([]*Source, error)
	// DueSources returns sources of every tenant due at now.
	DueSources(ctx context.Context, now time.Time, limit int) ([]*Source, error)
	// ApplyDelta writes a remote's changes and its new token in one
	// transaction. Events whose UID is one of the tenant's bookings (read
	// back from the target) are not busy times; an exported booking's
	// event changed on the server (another ETag) or deleted there is
	// marked to be written again.
	ApplyDelta(ctx context.Context, sourceID int64, path string, d *Delta, fullAt time.Time) error
	// ReplaceFeed replaces an ICS source's events in one transaction.
	ReplaceFeed(ctx context.Context, sourceID int64, events []BusyEvent) error
	// FinishSync records a sync's outcome ("" ok) and the next one.
	FinishSync(ctx context.Context, id int64, at time.Time, errText string, next time.Time) error
	// PendingExports returns the active bookings of the source's calendar
	// ending after since that are not written to the target (target: its
	// path, "" none) at their sequence, and the exports to delete: those
	// of cancelled bookings, of bookings the calendar no longer hosts and,
	// with no target, of every booking ending after since.
	PendingExports(ctx context.Context, src *Source, target string, since time.Time) (put []PendingPut, drop []Export, err error)
	SaveExport(ctx context.Context, e Export) error
	DropExport(ctx context.Context, sourceID, bookingID int64) error
}

// Syncer keeps calendars in step with their sources: it reads CalDAV
// calendars and ICS feeds in as busy times and writes bookings out to
// the CalDAV target, in a goroutine of the serving process (Run).
type Syncer struct {
	Service *Service
	store   SyncStore
	DAV     DAV
	Feeds   FeedReader
	Vault   app.Vault
	// Interval is the time between two reads of a source (bookings are
	// written out at every tick). 0: DefaultSyncInterval.
	Interval time.Duration
	Logger   *slog.Logger
}

// NewSyncer returns the syncer of a calendar service on the sources'
// store; the wiring sets the other fields.
func NewSyncer(svc *Service, st SyncStore) *Syncer { return &Syncer{Service: svc, store: st} }

// Sync defaults.
const (
	DefaultSyncInterval = 5 * time.Minute
	// SyncAhead is how far ahead recurring events are expanded (the
	// longest booking window is 730 days).
	SyncAhead = 731 * 24 * time.Hour
	// FullSyncEvery is how often a remote is read in full despite its
	// sync token, to move the expansion window.
	FullSyncEvery = 24 * time.Hour
)

func (y *Syncer) interval() time.Duration {
	if y.Interval > 0 {
		return y.Interval
	}
	return DefaultSyncInterval
}

func scope(tenantID int64) app.VaultScope { return app.TenantScope(tenantID) }

// ConnectCalDAV adds a CalDAV account to a calendar: it discovers the
// account's calendars (every one counts as busy, the first receives
// bookings until the owner chooses), keeps the password in the tenant's
// vault and reads the busy times in. Returns EINVALID naming the field
// (the server's answer when it cannot be reached or refuses the login),
// ENOTFOUND for a calendar not the tenant's.
func (y *Syncer) ConnectCalDAV(ctx context.Context, calendarID int64, rawURL, user, password string) (*Source, error) {
	cal, err := y.Service.store.FindCalendar(ctx, calendarID)
	if err != nil {
		return nil, err
	}
	src := &Source{CalendarID: cal.ID, Kind: SourceCalDAV, URL: rawURL, Username: user}
	if err := src.Validate(); err != nil {
		return nil, err
	}
	if password == "" || len(password) > 1000 {
		return nil, app.FieldErrorf("password", "Password required (an app password where the server offers them).")
	}
	remotes, err := y.DAV.Discover(ctx, Account{URL: src.URL, Username: src.Username, Password: password})
	if err != nil {
		return nil, app.FieldErrorf("url", "Could not connect: %s", explain(err))
	}
	if len(remotes) == 0 {
		return nil, app.FieldErrorf("url", "The account has no event calendars.")
	}
	for i := range remotes {
		remotes[i].Busy, remotes[i].Target = true, i == 0
	}
	src.Remotes = remotes
	src.NextSyncAt = y.Service.now()
	if err := y.store.CreateSource(ctx, src); err != nil {
		return nil, err
	}
	if err := y.Vault.Put(ctx, scope(src.TenantID), src.SecretName(), password); err != nil {
		_ = y.store.DeleteSource(context.WithoutCancel(ctx), src.ID)
		return nil, err
	}
	return src, y.SyncSource(ctx, src)
}

// AddFeed subscribes a calendar to a read-only ICS feed, reading it once
// first. Returns EINVALID naming "url" when the feed cannot be read or is
// not iCalendar data.
func (y *Syncer) AddFeed(ctx context.Context, calendarID int64, rawURL string) (*Source, error) {
	cal, err := y.Service.store.FindCalendar(ctx, calendarID)
	if err != nil {
		return nil, err
	}
	src := &Source{CalendarID: cal.ID, Kind: SourceICS, URL: rawURL}
	if err := src.Validate(); err != nil {
		return nil, err
	}
	if _, err := y.Feeds.ReadFeed(ctx, src.URL, y.window(cal)); err != nil {
		return nil, app.FieldErrorf("url", "Could not read the feed: %s", explain(err))
	}
	src.NextSyncAt = y.Service.now()
	if err := y.store.CreateSource(ctx, src); err != nil {
		return nil, err
	}
	return src, y.SyncSource(ctx, src)
}

// Choose sets which of a CalDAV source's calendars count as busy and which
// one receives bookings (target "" for none). Returns EINVALID naming
// "target" for a calendar the account does not have, ENOTFOUND.
func (y *Syncer) Choose(ctx context.Context, id int64, busy []string, target string) (*Source, error) {
	src, err := y.store.FindSource(ctx, id)
	if err != nil {
		return nil, err
	}
	if src.Kind != SourceCalDAV {
		return nil, app.FieldErrorf("target", "Only a CalDAV account has calendars to choose.")
	}
	found := target == ""
	for i := range src.Remotes {
		r := &src.Remotes[i]
		if r.Path == target {
			found = true
		}
		b := slices.Contains(busy, r.Path)
		if b != r.Busy {
			r.SyncToken, r.FullAt = "", time.Time{} // read in full when turned on
		}
		r.Busy, r.Target = b, r.Path == target && target != ""
	}
	if !found {
		return nil, app.FieldErrorf("target", "The account has no calendar %q.", target)
	}
	src.NextSyncAt = y.Service.now()
	if err := y.store.UpdateSource(ctx, src); err != nil {
		return nil, err
	}
	return src, nil
}

// Remove disconnects a source: its busy times and stored password go.
// Events it wrote out stay in the outside calendar. Returns ENOTFOUND.
func (y *Syncer) Remove(ctx context.Context, id int64) error {
	src, err := y.store.FindSource(ctx, id)
	if err != nil {
		return err
	}
	if err := y.store.DeleteSource(ctx, id); err != nil {
		return err
	}
	if src.Kind == SourceCalDAV {
		if err := y.Vault.Delete(ctx, scope(src.TenantID), src.SecretName()); err != nil && app.ErrorCode(err) != app.ENOTFOUND {
			return err
		}
	}
	return nil
}

// SyncNow syncs one of the tenant's sources at once. Returns ENOTFOUND;
// a failed sync is recorded on the source (LastError), not returned.
func (y *Syncer) SyncNow(ctx context.Context, id int64) (*Source, error) {
	src, err := y.store.FindSource(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := y.SyncSource(ctx, src); err != nil {
		return nil, err
	}
	return y.store.FindSource(ctx, id)
}

func (y *Syncer) window(c *Calendar) Window {
	now := y.Service.now()
	return Window{From: now.Add(-24 * time.Hour), To: now.Add(SyncAhead), Loc: c.Location()}
}

// SyncSource reads a source in and writes pending bookings out, then
// records the outcome on it. A failure of the outside server is recorded
// (and makes the calendar offer no slots until a sync works); only a
// failure to record it is returned.
func (y *Syncer) SyncSource(ctx context.Context, src *Source) error {
	ctx = app.NewContextWithTenant(ctx, &app.Tenant{ID: src.TenantID})
	now := y.Service.now()
	serr := y.sync(ctx, src, now)
	msg := ""
	next := now.Add(y.interval())
	if serr != nil {
		msg = explain(serr)
		if len(msg) > 500 {
			msg = msg[:500]
		}
		// Retry a failing server sooner than the interval, but not in a loop.
		next = now.Add(min(y.interval(), time.Minute))
		if y.Logger != nil {
			y.Logger.Warn("calendar sync", "source", src.ID, "tenant", src.TenantID, "err", msg)
		}
	}
	return y.store.FinishSync(context.WithoutCancel(ctx), src.ID, now, msg, next)
}

func (y *Syncer) sync(ctx context.Context, src *Source, now time.Time) error {
	cal, err := y.Service.store.FindCalendar(ctx, src.CalendarID)
	if err != nil {
		return err
	}
	w := y.window(cal)
	if src.Kind == SourceICS {
		evs, err := y.Feeds.ReadFeed(ctx, src.URL, w)
		if err != nil {
			return err
		}
		return y.store.ReplaceFeed(ctx, src.ID, evs)
	}
	pw, err := y.Vault.Get(ctx, scope(src.TenantID), src.SecretName())
	if err != nil {
		return fmt.Errorf("the password is not in the vault (connect the account again): %w", err)
	}
	acct := Account{URL: src.URL, Username: src.Username, Password: pw}
	for _, r := range src.Remotes {
		if !r.Busy {
			continue
		}
		token := r.SyncToken
		if now.Sub(r.FullAt) > FullSyncEvery {
			token = ""
		}
		d, err := y.DAV.Changes(ctx, acct, r.Path, token, w)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		fullAt := r.FullAt
		if d.Full {
			fullAt = now
		}
		if err := y.store.ApplyDelta(ctx, src.ID, r.Path, d, fullAt); err != nil {
			return err
		}
	}
	return y.export(ctx, src, acct, now)
}

// export writes the calendar's bookings to the target and deletes there
// what should no longer be there. Every write names the version of the
// event it expects (If-Match, or If-None-Match: * to create), so a change
// made on the server in between is never overwritten blindly: the write
// is refused (412) and resolved by resolvePut and resolveDelete.
//
// The booking is the source of truth for its own event. An event changed
// on the server is written back as the booking says (a guest's time is
// changed by rescheduling the booking, which emails them, not by moving
// the event in a calendar app); an event deleted on the server while its
// booking is active is created again (cancelling the booking is what
// frees the time and tells the guest). Bookings written to an earlier
// target are moved: deleted there, created in the new one. With no
// target, the upcoming bookings' events are deleted.
func (y *Syncer) export(ctx context.Context, src *Source, acct Account, now time.Time) error {
	target := ""
	if t := src.Target(); t != nil {
		target = t.Path
	}
	put, drop, err := y.store.PendingExports(ctx, src, target, now.Add(-24*time.Hour))
	if err != nil {
		return err
	}
	for _, e := range drop {
		if err := y.resolveDelete(ctx, acct, e); err != nil {
			return fmt.Errorf("delete booking #%d from the calendar: %w", e.BookingID, err)
		}
		if err := y.store.DropExport(ctx, src.ID, e.BookingID); err != nil {
			return err
		}
	}
	for _, p := range put {
		b, etag := p.Booking, ""
		if p.Prev != nil && p.Prev.Remote != target {
			// The target changed: move the event.
			if err := y.resolveDelete(ctx, acct, *p.Prev); err != nil {
				return fmt.Errorf("move booking #%d from the old calendar: %w", b.ID, err)
			}
		} else if p.Prev != nil {
			etag = p.Prev.ETag
		}
		href, etag, err := y.resolvePut(ctx, acct, target, b, etag)
		if err != nil {
			return fmt.Errorf("write booking #%d: %w", b.ID, err)
		}
		if err := y.store.SaveExport(ctx, Export{SourceID: src.ID, BookingID: b.ID, Remote: target, Href: href, ETag: etag, Sequence: b.Sequence}); err != nil {
			return err
		}
	}
	return nil
}

// resolvePut writes b expecting etag; refused because the server's event
// changed or went, it reads the event's current version and writes again
// over it (or creates it again). A second refusal (the event changed
// again in between) is returned and retried at the next sync.
func (y *Syncer) resolvePut(ctx context.Context, acct Account, path string, b *Booking, etag string) (string, string, error) {
	href, newTag, err := y.DAV.PutEvent(ctx, acct, path, b, etag)
	if !errors.Is(err, ErrChanged) {
		return href, newTag, err
	}
	cur, err := y.DAV.EventETag(ctx, acct, href)
	if err != nil {
		return "", "", err
	}
	if y.Logger != nil {
		y.Logger.Info("calendar sync: booking event changed on the server, writing the booking back", "booking", b.ID, "gone", cur == "")
	}
	return y.DAV.PutEvent(ctx, acct, path, b, cur)
}

// resolveDelete deletes an exported event expecting its version; changed
// on the server since, it is deleted all the same (its booking says it
// should not be there), at the version read back.
func (y *Syncer) resolveDelete(ctx context.Context, acct Account, e Export) error {
	err := y.DAV.DeleteEvent(ctx, acct, e.Href, e.ETag)
	if !errors.Is(err, ErrChanged) {
		return err
	}
	cur, err := y.DAV.EventETag(ctx, acct, e.Href)
	if err != nil || cur == "" {
		return err
	}
	return y.DAV.DeleteEvent(ctx, acct, e.Href, cur)
}

// RunOnce syncs the sources due now; it returns how many.
func (y *Syncer) RunOnce(ctx context.Context) int {
	srcs, err := y.store.DueSources(ctx, y.Service.now(), 20)
	if err != nil {
		if y.Logger != nil {
			y.Logger.Error("calendar sync: due sources", "err", err)
		}
		return 0
	}
	for _, s := range srcs {
		if ctx.Err() != nil {
			break
		}
		if err := y.SyncSource(ctx, s); err != nil && y.Logger != nil {
			y.Logger.Error("calendar sync: record", "source", s.ID, "err", err)
		}
	}
	return len(srcs)
}

// Run syncs due sources every tick until ctx ends. Bookings reach the
// target within a tick: a booking change makes its calendar's sources
// due (the store's Book, Reschedule and SetBookingStatus do it).
func (y *Syncer) Run(ctx context.Context, tick time.Duration) {
	if tick <= 0 {
		tick = 15 * time.Second
	}
	app.Every(ctx, tick, func(ctx context.Context) { y.RunOnce(ctx) })
}

// explain is an error as the owner reads it: the app message of a coded
// error, else the error text (which names the server's answer, never the
// password).
func explain(err error) string {
	if app.ErrorCode(err) != app.EINTERNAL {
		return app.ErrorMessage(err)
	}
	return err.Error()
}
