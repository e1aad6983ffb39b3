package courses

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/mail"
	"net/url"
	"strings"
	"time"

	"orengen/app"
	"orengen/app/calendar"
)

// Community is what the community keeps: its spaces and posts, digests,
// events, moderation and access rules.
type Community interface {
	CommunityStore
	DigestStore
	EventStore
	ModerationStore
	AccessStore
}

// Service runs the members' area: member accounts and sign-in, courses
// for the staff, learning for members.
type Service struct {
	stores Stores
	// Community persists the community (spaces, posts ...), its digests,
	// events, moderation and access rules (store.CourseStore; nil: the
	// community is off).
	Community Community
	// Tenant finds a tenant by ID (the digest loop works across tenants).
	Tenant  func(ctx context.Context, id int64) (*app.Tenant, error)
	Mailer  app.Mailer
	Limiter app.RateLimiter
	// Guard throttles member password sign-ins like staff sign-ins
	// (nil: a guard on Limiter with scope "member").
	Guard *app.LoginGuard
	// BaseURL is the tenant's portal address for links in email (its
	// custom domain, else app.DOMAIN).
	BaseURL func(ctx context.Context, t *app.Tenant) string
	// MaxVideoBytes and MaxFileBytes cap a lesson's video and each
	// download (0: DefaultMaxVideoBytes, DefaultMaxFileBytes).
	MaxVideoBytes, MaxFileBytes int64
	// Certificates renders completion certificates (nil: none).
	Certificates CertificateWriter
	// Events receives the members' area's events for workflow triggers
	// (nil: none).
	Events func(ctx context.Context, ev Event)
	// ICS writes community events as iCalendar files (nil: none).
	ICS    calendar.ICS
	Logger *slog.Logger
	Now    func() time.Time
}

// NewService returns the members' area on its stores; the wiring sets the
// other fields. The stores stay private: callers go through the service.
func NewService(st Stores) *Service { return &Service{stores: st} }

// Event kinds for automations.
const (
	EventEnrolled        = "enrolled"
	EventLessonCompleted = "lesson_completed"
	EventCourseCompleted = "course_completed"
)

// Event is something a member did, for workflow triggers.
type Event struct {
	Kind     string
	TenantID int64
	Member   *Member
	Course   *Course
	Lesson   *Lesson
	Space    *Space // EventPosted
	Post     *Post  // EventPosted
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) log() *slog.Logger {
	if s.Logger != nil {
		return s.Logger
	}
	return slog.Default()
}

func (s *Service) guard() *app.LoginGuard {
	if s.Guard == nil {
		s.Guard = &app.LoginGuard{Limiter: s.Limiter, Scope: "member", Now: s.Now}
	}
	return s.Guard
}

func (s *Service) emit(ctx context.Context, ev Event) {
	if s.Events != nil {
		s.Events(ctx, ev)
	}
}

// staff allows the tenant's signed-in users and admins (with a tenant in
// ctx); a member's request carries neither.
func staff(ctx context.Context) error {
	if app.TenantFromContext(ctx) == nil {
		return app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	if app.UserFromContext(ctx) == nil && app.AdminFromContext(ctx) == nil && app.APIKeyFromContext(ctx) == nil {
		return app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	return nil
}

// NormalizeEmail checks and lower-cases an email. Returns EINVALID.
func NormalizeEmail(email string) (string, error) {
	e := strings.ToLower(strings.TrimSpace(email))
	if e == "" {
		return "", app.FieldErrorf("email", "Email required.")
	}
	a, err := mail.ParseAddress(e)
	if err != nil || a.Address != e || len(e) > 254 || !strings.Contains(e[strings.LastIndexByte(e, '@')+1:], ".") {
		return "", app.FieldErrorf("email", "Enter a valid email address, like name@example.com.")
	}
	return e, nil
}

func checkName(name string) (string, error) {
	name = strings.TrimSpace(name)
	return name, checkText("name", "Name", name, 120, false)
}

// --- Staff: courses ---

// Courses lists the tenant's courses. Returns EUNAUTHORIZED.
func (s *Service) Courses(ctx context.Context) ([]*Course, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	return s.stores.Courses.FindCourses(ctx, false)
}

// Course returns a course with its outline. Returns ENOTFOUND.
func (s *Service) Course(ctx context.Context, id int64) (*Course, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	c, err := s.stores.Courses.FindCourse(ctx, id)
	if err != nil {
		return nil, err
	}
	return c, s.stores.Courses.Outline(ctx, c)
}

// CreateCourse adds a course. Returns EINVALID or ECONFLICT (slug).
func (s *Service) CreateCourse(ctx context.Context, c *Course) error {
	if err := staff(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.stores.Courses.CreateCourse(ctx, c); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return app.FieldErrorf("slug", "Another course has the address %q; choose another.", c.Slug)
		}
		return err
	}
	return nil
}

// UpdateCourse saves a course's settings. Returns EINVALID, ECONFLICT or
// ENOTFOUND.
func (s *Service) UpdateCourse(ctx context.Context, c *Course) error {
	if err := staff(ctx); err != nil {
		return err
	}
	if err := c.Validate(); err != nil {
		return err
	}
	if err := s.stores.Courses.UpdateCourse(ctx, c); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return app.FieldErrorf("slug", "Another course has the address %q; choose another.", c.Slug)
		}
		return err
	}
	return nil
}

// AddModule appends a module to a course. Returns EINVALID or ENOTFOUND.
func (s *Service) AddModule(ctx context.Context, courseID int64, title string) (*Module, error) {
	c, err := s.Course(ctx, courseID)
	if err != nil {
		return nil, err
	}
	if len(c.Modules) >= MaxModules {
		return nil, app.FieldErrorf("title", "A course has at most %d modules.", MaxModules)
	}
	m := &Module{CourseID: c.ID, Title: title, Position: len(c.Modules) + 1}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, s.stores.Lessons.CreateModule(ctx, m)
}

// checkLesson validates l within course c: its module and prerequisite
// must be the course's.
func checkLesson(c *Course, l *Lesson) error {
	if err := l.Validate(); err != nil {
		return err
	}
	okModule := false
	for _, m := range c.Modules {
		if m.ID == l.ModuleID {
			okModule = true
		}
	}
	if !okModule {
		return app.FieldErrorf("module_id", "Choose a module of this course.")
	}
	if l.PrerequisiteID != 0 {
		found := false
		for _, o := range c.Lessons() {
			if o.ID == l.PrerequisiteID && o.ID != l.ID {
				found = true
			}
		}
		if !found {
			return app.FieldErrorf("prerequisite_id", "The prerequisite must be another lesson of this course.")
		}
	}
	return nil
}

// AddLesson appends a lesson to a module of a course. Returns EINVALID or
// ENOTFOUND.
func (s *Service) AddLesson(ctx context.Context, courseID int64, l *Lesson) error {
	c, err := s.Course(ctx, courseID)
	if err != nil {
		return err
	}
	l.CourseID = c.ID
	if err := checkLesson(c, l); err != nil {
		return err
	}
	if len(c.Lessons()) >= MaxLessons {
		return app.FieldErrorf("title", "A course has at most %d lessons.", MaxLessons)
	}
	for _, m := range c.Modules {
		if m.ID == l.ModuleID {
			l.Position = len(m.Lessons) + 1
		}
	}
	return s.stores.Lessons.CreateLesson(ctx, l)
}

// UpdateLesson saves a lesson. Returns EINVALID or ENOTFOUND.
func (s *Service) UpdateLesson(ctx context.Context, courseID int64, l *Lesson) error {
	c, err := s.Course(ctx, courseID)
	if err != nil {
		return err
	}
	old, err := s.stores.Lessons.FindLesson(ctx, l.ID)
	if err != nil || old.CourseID != c.ID {
		return app.Errorf(app.ENOTFOUND, "Lesson not found.")
	}
	l.CourseID, l.Position = c.ID, old.Position
	if l.ModuleID != old.ModuleID {
		for _, m := range c.Modules {
			if m.ID == l.ModuleID {
				l.Position = len(m.Lessons) + 1
			}
		}
	}
	if err := checkLesson(c, l); err != nil {
		return err
	}
	return s.stores.Lessons.UpdateLesson(ctx, l)
}

// DeleteLesson removes a lesson and its progress. Returns ENOTFOUND.
func (s *Service) DeleteLesson(ctx context.Context, courseID, id int64) error {
	if err := staff(ctx); err != nil {
		return err
	}
	return s.stores.Lessons.DeleteLesson(ctx, courseID, id)
}

// Lesson returns a lesson of a course (staff). Returns ENOTFOUND.
func (s *Service) Lesson(ctx context.Context, courseID, id int64) (*Lesson, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	l, err := s.stores.Lessons.FindLesson(ctx, id)
	if err != nil || l.CourseID != courseID {
		return nil, app.Errorf(app.ENOTFOUND, "Lesson not found.")
	}
	return l, nil
}

// Engagement returns a course's figures. Returns ENOTFOUND.
func (s *Service) Engagement(ctx context.Context, courseID int64) (*Engagement, error) {
	c, err := s.Course(ctx, courseID)
	if err != nil {
		return nil, err
	}
	return s.stores.Enrolments.Engagement(ctx, c)
}

// --- Staff: members ---

// Members lists the tenant's members. Returns EUNAUTHORIZED.
func (s *Service) Members(ctx context.Context) ([]*Member, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	return s.stores.Members.FindMembers(ctx)
}

// Enrolments lists a course's enrolments (the staff's course page).
// Returns EUNAUTHORIZED.
func (s *Service) Enrolments(ctx context.Context, courseID int64) ([]*Enrolment, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	return s.stores.Enrolments.FindCourseEnrolments(ctx, courseID)
}

// Member returns a member and their progress in each course. Returns
// ENOTFOUND.
func (s *Service) Member(ctx context.Context, id int64) (*Member, []*MemberProgress, error) {
	if err := staff(ctx); err != nil {
		return nil, nil, err
	}
	m, err := s.stores.Members.FindMember(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	es, err := s.stores.Enrolments.FindMemberEnrolments(ctx, m.ID)
	if err != nil {
		return nil, nil, err
	}
	var out []*MemberProgress
	for _, e := range es {
		mc, err := s.memberCourse(ctx, m, e.CourseID, e)
		if err != nil {
			return nil, nil, err
		}
		mp := &MemberProgress{Course: mc.Course, Enrolment: e, Done: mc.Done, Total: mc.Total}
		for _, ms := range mc.Modules {
			mp.Lessons = append(mp.Lessons, ms.Lessons...)
		}
		out = append(out, mp)
	}
	return m, out, nil
}

// SetMemberStatus suspends (MemberBanned) or reactivates (MemberActive)
// a member; suspending ends their sessions at once. Returns EINVALID or
// ENOTFOUND.
func (s *Service) SetMemberStatus(ctx context.Context, id int64, status string) (*Member, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	m, err := s.stores.Members.FindMember(ctx, id) // another tenant's: ENOTFOUND first
	if err != nil {
		return nil, err
	}
	if status != MemberActive && status != MemberBanned {
		return nil, app.FieldErrorf("status", "Status must be %s or %s.", MemberActive, MemberBanned)
	}
	m.Status = status
	if err := s.stores.Members.UpdateMember(ctx, m); err != nil {
		return nil, err
	}
	if status == MemberBanned {
		if err := s.stores.SignIns.DeleteMemberSessions(ctx, m.ID); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Invite makes email a member of the tenant (a CRM person flagged
// member) if it is not one yet, enrols them in courseID when not 0, and
// emails a link that signs them in. Returns EINVALID or ENOTFOUND.
func (s *Service) Invite(ctx context.Context, email, name string, courseID int64) (*Member, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	var c *Course
	if courseID != 0 {
		var err error
		if c, err = s.stores.Courses.FindCourse(ctx, courseID); err != nil {
			return nil, err
		}
	}
	m, created, err := s.ensureMember(ctx, email, name, "invitation")
	if err != nil {
		return nil, err
	}
	if c != nil {
		if _, err := s.enrol(ctx, m, c, "invitation"); err != nil && app.ErrorCode(err) != app.ECONFLICT {
			return nil, err
		}
	}
	purpose := TokenLogin
	if created || !m.HasPassword {
		purpose = TokenInvite
	}
	return m, s.sendLink(ctx, m, purpose, c)
}

// Enrol enrols an existing member in a course (staff). Returns ENOTFOUND
// or ECONFLICT (already enrolled).
func (s *Service) Enrol(ctx context.Context, courseID, memberID int64, source string) (*Enrolment, error) {
	if err := staff(ctx); err != nil {
		return nil, err
	}
	c, err := s.stores.Courses.FindCourse(ctx, courseID)
	if err != nil {
		return nil, err
	}
	m, err := s.stores.Members.FindMember(ctx, memberID)
	if err != nil {
		return nil, err
	}
	if source == "" {
		source = "staff"
	}
	return s.enrol(ctx, m, c, source)
}

func (s *Service) enrol(ctx context.Context, m *Member, c *Course, source string) (*Enrolment, error) {
	e := &Enrolment{CourseID: c.ID, MemberID: m.ID, Source: source, EnrolledAt: s.now()}
	if err := s.stores.Enrolments.Enrol(ctx, e); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT {
			return nil, app.Errorf(app.ECONFLICT, "%s is already enrolled in %s.", m.DisplayName(), c.Title)
		}
		return nil, err
	}
	s.emit(ctx, Event{Kind: EventEnrolled, TenantID: m.TenantID, Member: m, Course: c})
	return e, nil
}

// ensureMember finds the tenant's member with the email or creates one.
func (s *Service) ensureMember(ctx context.Context, email, name, source string) (*Member, bool, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return nil, false, err
	}
	if name, err = checkName(name); err != nil {
		return nil, false, err
	}
	m, _, err := s.stores.Members.FindMemberByEmail(ctx, email)
	if err == nil {
		return m, false, nil
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return nil, false, err
	}
	m = &Member{Email: email, Name: name, TimeZone: "UTC", Status: MemberActive}
	if err := s.stores.Members.CreateMember(ctx, m); err != nil {
		if app.ErrorCode(err) == app.ECONFLICT { // a concurrent join
			m, _, err = s.stores.Members.FindMemberByEmail(ctx, email)
			return m, false, err
		}
		return nil, false, err
	}
	s.log().Info("member created", "tenant", m.TenantID, "member", m.ID, "source", source)
	return m, true, nil
}

func (s *Service) sendLink(ctx context.Context, m *Member, purpose string, c *Course) error {
	t := app.TenantFromContext(ctx)
	if t == nil {
		return app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	tok := app.RandomToken(32)
	ttl := LoginLinkTTL
	if purpose == TokenInvite {
		ttl = InviteTTL
	}
	if err := s.stores.SignIns.CreateMemberToken(ctx, m.ID, purpose, app.HashToken(tok), s.now().Add(ttl)); err != nil {
		return err
	}
	base := ""
	if s.BaseURL != nil {
		base = s.BaseURL(ctx, t)
	}
	brand := t.BrandName()
	// tenant= names the tenant on app.DOMAIN (a custom domain's host
	// names it anyway).
	link := base + "/learn/link?token=" + tok + "&tenant=" + url.QueryEscape(t.Slug)
	msg := &app.Message{TenantID: t.ID, FromName: brand, To: m.Email}
	what := "the " + brand + " members' area"
	if c != nil {
		what = "“" + c.Title + "” at " + brand
	}
	if purpose == TokenInvite {
		msg.Subject = "Your access to " + brand
		msg.Text = fmt.Sprintf("Hello%s,\n\nYou have access to %s. Open this link to sign in (valid for 7 days, works once):\n\n%s\n\nIf you did not expect this, ignore this email.\n", greet(m.Name), what, link)
	} else {
		msg.Subject = "Sign in to " + brand
		msg.Text = fmt.Sprintf("Hello%s,\n\nOpen this link to sign in to %s (valid for 30 minutes, works once):\n\n%s\n\nIf it was not you, ignore this email.\n", greet(m.Name), what, link)
	}
	if t.SupportEmail != "" {
		msg.Text += "\nQuestions? Write to " + t.SupportEmail + ".\n"
	}
	if s.Mailer == nil {
		return app.Errorf(app.EINTERNAL, "No mailer.")
	}
	return s.Mailer.Send(ctx, msg)
}

func greet(n string) string {
	if n == "" {
		return ""
	}
	return " " + n
}

// --- Members: accounts ---

// limit counts one event for each key and refuses past max in JoinWindow.
func (s *Service) limit(ctx context.Context, max int, keys ...string) error {
	for _, k := range keys {
		n, reset, err := s.Limiter.Hit(ctx, k, JoinWindow)
		if err != nil {
			return fmt.Errorf("rate limit: %w", err)
		}
		if n > max {
			wait := max1(reset.Sub(s.now()).Round(time.Second))
			return &app.RateLimitError{Err: app.Errorf(app.ETOOMANY, "Too many requests. Try again in %s.", wait), RetryAfter: wait}
		}
	}
	return nil
}

func max1(d time.Duration) time.Duration { return max(d, time.Second) }

// Join is open enrolment from a course's landing page: the email becomes
// a member (if new) enrolled in the course, and gets a sign-in link. It
// answers the same whether or not the email was a member. Returns
// EINVALID, ENOTFOUND (no such open course) or a *RateLimitError.
func (s *Service) Join(ctx context.Context, slug, email, name string) error {
	c, err := s.stores.Courses.FindCourseBySlug(ctx, slug)
	if err != nil || !c.Published || !c.OpenEnrolment {
		return app.Errorf(app.ENOTFOUND, "This course is not open for enrolment.")
	}
	if email, err = NormalizeEmail(email); err != nil {
		return err
	}
	tid, _ := app.TenantIDFromContext(ctx)
	ip := app.RequestFromContext(ctx).IP
	if err := s.limit(ctx, JoinLimit, fmt.Sprintf("members:join:ip:%s", ip)); err != nil {
		return err
	}
	if err := s.limit(ctx, 3, fmt.Sprintf("members:link:%d:%s", tid, email)); err != nil {
		return err
	}
	m, _, err := s.ensureMember(ctx, email, name, "open enrolment")
	if err != nil {
		return err
	}
	if m.Status == MemberBanned {
		return nil // same answer; no link
	}
	if _, err := s.enrol(ctx, m, c, "open enrolment"); err != nil && app.ErrorCode(err) != app.ECONFLICT {
		return err
	}
	return s.sendLink(ctx, m, TokenLogin, c)
}

// JoinSignedIn enrols a signed-in member in an open course. Returns
// ENOTFOUND or ECONFLICT.
func (s *Service) JoinSignedIn(ctx context.Context, m *Member, slug string) (*Course, error) {
	c, err := s.stores.Courses.FindCourseBySlug(ctx, slug)
	if err != nil || !c.Published || !c.OpenEnrolment {
		return nil, app.Errorf(app.ENOTFOUND, "This course is not open for enrolment.")
	}
	_, err = s.enrol(ctx, m, c, "open enrolment")
	return c, err
}

// RequestLink emails a magic sign-in link to a member of the tenant in
// ctx. It answers the same whether or not the email is a member; it
// returns only EINVALID, rate-limit and internal errors.
func (s *Service) RequestLink(ctx context.Context, email string) error {
	email, err := NormalizeEmail(email)
	if err != nil {
		return err
	}
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return err
	}
	if err := s.limit(ctx, JoinLimit, "members:link:ip:"+app.RequestFromContext(ctx).IP); err != nil {
		return err
	}
	if err := s.limit(ctx, 3, fmt.Sprintf("members:link:%d:%s", tid, email)); err != nil {
		return err
	}
	m, _, err := s.stores.Members.FindMemberByEmail(ctx, email)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil
	} else if err != nil {
		return err
	}
	if m.Status != MemberActive {
		return nil
	}
	return s.sendLink(ctx, m, TokenLogin, nil)
}

var errBadLink = app.Errorf(app.ENOTFOUND, "This link is invalid, expired or already used. Ask for a new one.")

// RedeemLink signs in with a one-time link of the tenant in ctx. Returns
// ENOTFOUND for an unknown, used or expired link (or one of another
// tenant) and EFORBIDDEN for a banned member.
func (s *Service) RedeemLink(ctx context.Context, token string) (*Session, *Member, error) {
	tid, err := app.TenantIDFromContext(ctx)
	if err != nil {
		return nil, nil, err
	}
	if len(token) < 20 || len(token) > 100 {
		return nil, nil, errBadLink
	}
	m, _, err := s.stores.SignIns.UseMemberToken(ctx, app.HashToken(token))
	if app.ErrorCode(err) == app.ENOTFOUND || err == nil && m.TenantID != tid {
		return nil, nil, errBadLink
	} else if err != nil {
		return nil, nil, err
	}
	if m.Status != MemberActive {
		return nil, nil, app.Errorf(app.EFORBIDDEN, "This membership is suspended.")
	}
	sess, err := s.newSession(ctx, m)
	return sess, m, err
}

func (s *Service) newSession(ctx context.Context, m *Member) (*Session, error) {
	now := s.now()
	sess := &Session{ID: app.RandomToken(32), TenantID: m.TenantID, MemberID: m.ID, CreatedAt: now, ExpiresAt: now.Add(SessionTTL)}
	if err := s.stores.SignIns.CreateMemberSession(ctx, sess, app.HashToken(sess.ID)); err != nil {
		return nil, fmt.Errorf("create member session: %w", err)
	}
	if err := s.stores.Members.TouchMemberLogin(ctx, m.ID); err != nil {
		return nil, err
	}
	return sess, nil
}

var errBadLogin = app.Errorf(app.EUNAUTHORIZED, "Wrong email or password.")

// SignIn checks a member's password under the login guard (as staff
// sign-ins): EUNAUTHORIZED with one message for an unknown email, a
// wrong password or a banned member; a *RateLimitError while slowed
// down. It returns the session and a device token for the browser.
func (s *Service) SignIn(ctx context.Context, email, password, device string) (*Session, string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if _, err := app.TenantIDFromContext(ctx); err != nil {
		return nil, "", err
	}
	g := s.guard()
	at := app.LoginAttempt{Email: email, IP: app.RequestFromContext(ctx).IP, Device: device}
	gate, err := g.Check(ctx, at)
	if err != nil {
		return nil, "", err
	}
	if gate.Slowed != nil {
		return nil, "", gate.Slowed
	}
	fail := func(why string) error {
		if _, err := g.Failed(ctx, at, gate); err != nil {
			return err
		}
		s.log().Warn("member login failed", "reason", why, "ip", at.IP)
		return errBadLogin
	}
	if email == "" || password == "" || len(email) > 254 || len(password) > 1024 {
		return nil, "", fail("empty or oversized credentials")
	}
	m, hash, err := s.stores.Members.FindMemberByEmail(ctx, email)
	if app.ErrorCode(err) == app.ENOTFOUND {
		_, _ = app.VerifyPassword(ctx, dummyHash, password)
		return nil, "", fail("unknown member")
	} else if err != nil {
		return nil, "", err
	}
	if hash == "" {
		_, _ = app.VerifyPassword(ctx, dummyHash, password)
		return nil, "", fail("no password set")
	}
	ok, err := app.VerifyPassword(ctx, hash, password)
	if err != nil {
		return nil, "", err
	}
	if !ok {
		return nil, "", fail("wrong password")
	}
	if m.Status != MemberActive {
		return nil, "", fail("banned member")
	}
	dev, err := g.Succeeded(ctx, at, gate)
	if err != nil {
		return nil, "", err
	}
	sess, err := s.newSession(ctx, m)
	return sess, dev, err
}

// dummyHash keeps unknown emails as slow as known ones.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0bMnQ6p0xhT2fGQ5mM5R3o7VvVq2h0Xo8KQ0b9c3c8Q"

// Authenticate resolves a session cookie to its member. Returns
// EUNAUTHORIZED for an unknown or expired session or a banned member.
func (s *Service) Authenticate(ctx context.Context, sessionID string) (*Member, error) {
	unauth := app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	if len(sessionID) < 20 || len(sessionID) > 100 {
		return nil, unauth
	}
	m, err := s.stores.SignIns.FindMemberSession(ctx, app.HashToken(sessionID))
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, unauth
	} else if err != nil {
		return nil, err
	}
	if m.Status != MemberActive {
		return nil, unauth
	}
	return m, nil
}

// Logout ends a member's session.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	return s.stores.SignIns.DeleteMemberSession(ctx, app.HashToken(sessionID))
}

// UpdateProfile saves a member's name and time zone, and a new password
// when not empty (which ends their other sessions is not needed: the
// member chose it while signed in). Returns EINVALID.
func (s *Service) UpdateProfile(ctx context.Context, m *Member, name, zone, password string) error {
	name, err := checkName(name)
	if err != nil {
		return err
	}
	zone = strings.TrimSpace(zone)
	if zone == "" {
		zone = "UTC"
	}
	if _, err := time.LoadLocation(zone); err != nil || len(zone) > 64 || strings.EqualFold(zone, "local") {
		return app.FieldErrorf("time_zone", "Choose a time zone like Europe/Paris.")
	}
	var hash string
	if password != "" {
		if err := app.ValidatePassword(password); err != nil {
			return &app.Error{Code: app.EINVALID, Field: "password", Message: app.ErrorMessage(err)}
		}
		if hash, err = app.HashPassword(ctx, password); err != nil {
			return err
		}
	}
	cp := *m
	cp.Name, cp.TimeZone = name, zone
	if err := s.stores.Members.UpdateMember(ctx, &cp); err != nil {
		return err
	}
	if hash != "" {
		if err := s.stores.Members.SetMemberPassword(ctx, m.ID, hash); err != nil {
			return err
		}
		cp.HasPassword = true
	}
	*m = cp
	return nil
}

// --- Members: learning ---

// Catalog lists the tenant's published courses.
func (s *Service) Catalog(ctx context.Context) ([]*Course, error) {
	return s.stores.Courses.FindCourses(ctx, true)
}

// Landing returns a published course by slug for its landing page, with
// its outline. Returns ENOTFOUND.
func (s *Service) Landing(ctx context.Context, slug string) (*Course, error) {
	c, err := s.stores.Courses.FindCourseBySlug(ctx, slug)
	if err != nil || !c.Published {
		return nil, app.Errorf(app.ENOTFOUND, "Course not found.")
	}
	return c, s.stores.Courses.Outline(ctx, c)
}

// MyCourses lists a member's courses with progress.
func (s *Service) MyCourses(ctx context.Context, m *Member) ([]*MemberCourse, error) {
	es, err := s.stores.Enrolments.FindMemberEnrolments(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	var out []*MemberCourse
	for _, e := range es {
		mc, err := s.memberCourse(ctx, m, e.CourseID, e)
		if err != nil {
			return nil, err
		}
		out = append(out, mc)
	}
	return out, nil
}

// ErrNotEnrolled is a member opening a course they are not enrolled in.
var ErrNotEnrolled = app.Errorf(app.EFORBIDDEN, "You are not enrolled in this course.")

// MemberCourse returns a course as the member sees it. Returns ENOTFOUND
// or ErrNotEnrolled.
func (s *Service) MemberCourse(ctx context.Context, m *Member, courseID int64) (*MemberCourse, error) {
	e, err := s.stores.Enrolments.FindEnrolment(ctx, courseID, m.ID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, ErrNotEnrolled
	} else if err != nil {
		return nil, err
	}
	if e.Ended(s.now()) {
		c, err := s.stores.Courses.FindCourse(ctx, courseID)
		if err != nil {
			return nil, err
		}
		return nil, &EndedError{Course: c.Title, At: e.ExpiresAt.In(m.Location())}
	}
	return s.memberCourse(ctx, m, courseID, e)
}

func (s *Service) memberCourse(ctx context.Context, m *Member, courseID int64, e *Enrolment) (*MemberCourse, error) {
	c, err := s.stores.Courses.FindCourse(ctx, courseID)
	if err != nil {
		return nil, err
	}
	if err := s.stores.Courses.Outline(ctx, c); err != nil {
		return nil, err
	}
	prog, err := s.stores.Progress.FindProgress(ctx, c.ID, m.ID)
	if err != nil {
		return nil, err
	}
	return BuildMemberCourse(c, e, prog, m.Location(), s.now()), nil
}

// BuildMemberCourse computes a member's view of course c: locks, done
// lessons and totals.
func BuildMemberCourse(c *Course, e *Enrolment, prog map[int64]*Progress, loc *time.Location, now time.Time) *MemberCourse {
	done := map[int64]bool{}
	for id, p := range prog {
		if p.CompletedAt != nil {
			done[id] = true
		}
	}
	byID := map[int64]*Lesson{}
	for _, l := range c.Lessons() {
		byID[l.ID] = l
	}
	mc := &MemberCourse{Course: c, Enrolment: e}
	if e.Ended(now) {
		mc.EndedOn = e.ExpiresAt.In(loc).Format("2 January 2006")
	}
	for _, mod := range c.Modules {
		ms := &ModuleState{Module: mod}
		for _, l := range mod.Lessons {
			ls := &LessonState{Lesson: l, Completed: done[l.ID], Started: prog[l.ID] != nil}
			if !ls.Completed {
				ls.Lock = LessonLock(l, byID, e, loc, done, now)
			}
			ms.Lessons = append(ms.Lessons, ls)
			mc.Total++
			if ls.Completed {
				mc.Done++
			}
		}
		mc.Modules = append(mc.Modules, ms)
	}
	return mc
}

// LockedError is a locked lesson requested early; its message says when
// it opens (in the member's time zone) or what to complete first.
type LockedError struct {
	Lock *Lock
}

func (e *LockedError) Error() string { return e.Lock.Message() }

// Unwrap gives the error an app code (EFORBIDDEN).
func (e *LockedError) Unwrap() error { return app.Errorf(app.EFORBIDDEN, "%s", e.Lock.Message()) }

// OpenLesson returns a lesson for an enrolled member and records that
// they started it. A locked lesson is a *LockedError (with the course
// view, for the page around the message). Returns ENOTFOUND or
// ErrNotEnrolled.
func (s *Service) OpenLesson(ctx context.Context, m *Member, lessonID int64) (*MemberCourse, *LessonState, error) {
	l, err := s.stores.Lessons.FindLesson(ctx, lessonID)
	if err != nil {
		return nil, nil, err
	}
	mc, err := s.MemberCourse(ctx, m, l.CourseID)
	if err != nil {
		return nil, nil, err
	}
	ls := mc.Find(l.ID)
	if ls == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "Lesson not found.")
	}
	if ls.Lock != nil {
		return mc, ls, &LockedError{Lock: ls.Lock}
	}
	if !ls.Started { // the first view records progress; later views only read
		if err := s.stores.Progress.StartLesson(ctx, l.CourseID, l.ID, m.ID); err != nil {
			return nil, nil, err
		}
		ls.Started = true
	}
	if ls.Files, err = s.stores.Files.FindLessonFiles(ctx, l.ID); err != nil {
		return nil, nil, err
	}
	return mc, ls, nil
}

// Find returns the state of a lesson of the course (nil if not in it).
func (mc *MemberCourse) Find(id int64) *LessonState {
	for _, ms := range mc.Modules {
		for _, ls := range ms.Lessons {
			if ls.ID == id {
				return ls
			}
		}
	}
	return nil
}

// Next is the first lesson after id in course order (nil at the end).
func (mc *MemberCourse) Next(id int64) *LessonState {
	seen := false
	for _, ms := range mc.Modules {
		for _, ls := range ms.Lessons {
			if seen {
				return ls
			}
			seen = ls.ID == id
		}
	}
	return nil
}

// CompleteLesson marks an open lesson complete for the member, and the
// course when it was the last. A lesson with a quiz completes only by
// passing it (SubmitQuiz). Returns ENOTFOUND, ErrNotEnrolled, EFORBIDDEN
// or a *LockedError.
func (s *Service) CompleteLesson(ctx context.Context, m *Member, lessonID int64) (*MemberCourse, error) {
	mc, ls, err := s.OpenLesson(ctx, m, lessonID)
	if err != nil {
		return nil, err
	}
	if ls.Quiz != nil && !ls.Completed {
		return nil, app.Errorf(app.EFORBIDDEN, "Pass the quiz to complete this lesson.")
	}
	return mc, s.complete(ctx, m, mc, ls)
}

func (s *Service) complete(ctx context.Context, m *Member, mc *MemberCourse, ls *LessonState) error {
	if ls.Completed {
		return nil
	}
	courseDone, err := s.stores.Progress.CompleteLesson(ctx, mc.Course.ID, ls.ID, m.ID, mc.Total)
	if err != nil {
		return err
	}
	ls.Completed = true
	mc.Done++
	s.emit(ctx, Event{Kind: EventLessonCompleted, TenantID: m.TenantID, Member: m, Course: mc.Course, Lesson: ls.Lesson})
	if courseDone {
		now := s.now()
		mc.Enrolment.CompletedAt = &now
		s.emit(ctx, Event{Kind: EventCourseCompleted, TenantID: m.TenantID, Member: m, Course: mc.Course})
	}
	return nil
}

// QuizAttemptLimit is how many attempts at one quiz a member may make in
// JoinWindow (guessing by brute force is slow).
const QuizAttemptLimit = 10

// SubmitQuiz scores a member's answers to an open lesson's quiz, records
// the attempt, and completes the lesson when it passes (emitting
// quiz_failed otherwise). Returns EINVALID naming the question (q1, q2
// ...), ENOTFOUND (no quiz), ErrNotEnrolled, a *LockedError or a
// *RateLimitError.
func (s *Service) SubmitQuiz(ctx context.Context, m *Member, lessonID int64, answers [][]int) (*Result, *MemberCourse, error) {
	mc, ls, err := s.OpenLesson(ctx, m, lessonID)
	if err != nil {
		return nil, nil, err
	}
	if ls.Quiz == nil {
		return nil, nil, app.Errorf(app.ENOTFOUND, "This lesson has no quiz.")
	}
	r, err := ls.Quiz.Score(answers)
	if err != nil {
		return nil, nil, err
	}
	if err := s.limit(ctx, QuizAttemptLimit, fmt.Sprintf("members:quiz:%d:%d", m.ID, ls.ID)); err != nil {
		return nil, nil, err
	}
	a := &Attempt{LessonID: ls.ID, MemberID: m.ID, Score: r.Score, Passed: r.Passed}
	if err := s.stores.Progress.AddQuizAttempt(ctx, a, mc.Course.ID, answers); err != nil {
		return nil, nil, err
	}
	if !r.Passed {
		s.emit(ctx, Event{Kind: EventQuizFailed, TenantID: m.TenantID, Member: m, Course: mc.Course, Lesson: ls.Lesson})
		return r, mc, nil
	}
	s.emit(ctx, Event{Kind: EventQuizPassed, TenantID: m.TenantID, Member: m, Course: mc.Course, Lesson: ls.Lesson})
	return r, mc, s.complete(ctx, m, mc, ls)
}

// CertificateData is what a completion certificate shows.
type CertificateData struct {
	Brand       string // the tenant's brand name
	Color       string // its primary colour, #rrggbb
	Member      string
	Course      string
	CompletedAt time.Time // in the member's time zone
	Number      string    // a reference: tenant-course-member
}

// CertificateWriter renders a certificate as a PDF (package certpdf).
type CertificateWriter func(d CertificateData) ([]byte, error)

// Certificate is the completion certificate of a course the member has
// completed, as a PDF in the tenant's brand. Returns ErrNotEnrolled,
// EFORBIDDEN (not completed yet) or ENOTFOUND.
func (s *Service) Certificate(ctx context.Context, m *Member, courseID int64) (*CertificateData, []byte, error) {
	w := s.Certificates
	t := app.TenantFromContext(ctx)
	if t == nil || t.ID != m.TenantID {
		return nil, nil, app.Errorf(app.EUNAUTHORIZED, "Sign in to continue.")
	}
	mc, err := s.MemberCourse(ctx, m, courseID)
	if err != nil {
		return nil, nil, err
	}
	if mc.Enrolment.CompletedAt == nil {
		return nil, nil, app.Errorf(app.EFORBIDDEN, "Complete every lesson of %s to get your certificate.", mc.Course.Title)
	}
	color := t.PrimaryColor
	if color == "" {
		color = app.DefaultPrimaryColor
	}
	d := &CertificateData{Brand: t.BrandName(), Color: color, Member: m.DisplayName(), Course: mc.Course.Title,
		CompletedAt: mc.Enrolment.CompletedAt.In(m.Location()), Number: fmt.Sprintf("%d-%d-%d", t.ID, mc.Course.ID, m.ID)}
	if w == nil {
		return nil, nil, app.Errorf(app.EINTERNAL, "No certificate writer.")
	}
	b, err := w(*d)
	if err != nil {
		return nil, nil, fmt.Errorf("certificate: %w", err)
	}
	return d, b, nil
}

// IsLocked reports whether err is a locked lesson, and its lock.
func IsLocked(err error) (*Lock, bool) {
	var le *LockedError
	if errors.As(err, &le) {
		return le.Lock, true
	}
	return nil, false
}
