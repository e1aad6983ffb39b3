package courses_test

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/courses"
	"orengen/store"
)

// memLimiter is a fixed-window rate limiter in memory.
type memLimiter struct {
	mu sync.Mutex
	n  map[string]int
}

func (l *memLimiter) Hit(_ context.Context, key string, w time.Duration) (int, time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.n[key]++
	return l.n[key], time.Now().Add(w), nil
}

func (l *memLimiter) Count(_ context.Context, key string) (int, time.Time, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.n[key], time.Now().Add(time.Minute), nil
}

func (l *memLimiter) Reset(_ context.Context, key string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.n, key)
	return nil
}

type mailbox struct {
	mu   sync.Mutex
	msgs []*app.Message
}

// Ping implements app.Pinger: a test fake has no connection to test.
func (*mailbox) Ping(context.Context) error {
	return errors.New("a test's mailer has no connection to test")
}

func (m *mailbox) Send(_ context.Context, msg *app.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

var linkRE = regexp.MustCompile(`/learn/link\?token=([A-Za-z0-9_-]+)`)

func (m *mailbox) lastToken(t *testing.T, to string) string {
	t.Helper()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i := len(m.msgs) - 1; i >= 0; i-- {
		if m.msgs[i].To == to {
			if s := linkRE.FindStringSubmatch(m.msgs[i].Text); s != nil {
				return s[1]
			}
		}
	}
	t.Fatalf("no link mailed to %s", to)
	return ""
}

type env struct {
	DB     *store.DB
	Svc    *courses.Service
	St     *store.CourseStore // the service's store, for set-up and checks
	Mail   *mailbox
	CRM    *store.CRMStores
	A, B   context.Context // staff of tenant A, B
	PA, PB context.Context // public (member-area) contexts
	TA, TB *app.Tenant
	now    time.Time
	events []courses.Event
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := store.NewDB(filepath.Join(t.TempDir(), "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{DB: db, Mail: &mailbox{}, CRM: store.NewCRMStores(db), now: time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC)}
	tenants := store.NewTenantStore(db)
	e.TA, e.TB = &app.Tenant{Name: "Alpha"}, &app.Tenant{Name: "Bravo"}
	for _, tt := range []*app.Tenant{e.TA, e.TB} {
		if err := tenants.CreateTenant(context.Background(), tt); err != nil {
			t.Fatal(err)
		}
	}
	e.St = store.NewCourseStore(db)
	e.Svc = courses.NewService(e.St.Stores())
	e.Svc.Mailer, e.Svc.Limiter = e.Mail, &memLimiter{n: map[string]int{}}
	e.Svc.BaseURL = func(context.Context, *app.Tenant) string { return "https://learn.test" }
	e.Svc.Now = func() time.Time { return e.now }
	e.Svc.Events = func(_ context.Context, ev courses.Event) { e.events = append(e.events, ev) }
	e.PA = app.NewContextWithTenant(app.NewContextWithRequest(context.Background(), app.RequestInfo{IP: "192.0.2.1"}), e.TA)
	e.PB = app.NewContextWithTenant(app.NewContextWithRequest(context.Background(), app.RequestInfo{IP: "192.0.2.2"}), e.TB)
	e.A = app.NewContextWithUser(e.PA, &app.User{ID: 1, TenantID: e.TA.ID, Role: app.UserRoleOwner})
	e.B = app.NewContextWithUser(e.PB, &app.User{ID: 2, TenantID: e.TB.ID, Role: app.UserRoleOwner})
	return e
}

// course makes a published course with two modules: lesson 1 at once,
// lesson 2 three days after enrolment, lesson 3 needs lesson 1.
func (e *env) course(t *testing.T, ctx context.Context, title string) (*courses.Course, []*courses.Lesson) {
	t.Helper()
	c := &courses.Course{Title: title, Published: true, OpenEnrolment: true}
	if err := e.Svc.CreateCourse(ctx, c); err != nil {
		t.Fatal(err)
	}
	m1, err := e.Svc.AddModule(ctx, c.ID, "Basics")
	if err != nil {
		t.Fatal(err)
	}
	m2, err := e.Svc.AddModule(ctx, c.ID, "Next steps")
	if err != nil {
		t.Fatal(err)
	}
	l1 := &courses.Lesson{ModuleID: m1.ID, Title: "Welcome", Body: "# Hello"}
	l2 := &courses.Lesson{ModuleID: m1.ID, Title: "Day three", DripDays: 3}
	if err := e.Svc.AddLesson(ctx, c.ID, l1); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.AddLesson(ctx, c.ID, l2); err != nil {
		t.Fatal(err)
	}
	l3 := &courses.Lesson{ModuleID: m2.ID, Title: "After welcome", PrerequisiteID: l1.ID, VideoURL: "https://youtu.be/dQw4w9WgXcQ"}
	if err := e.Svc.AddLesson(ctx, c.ID, l3); err != nil {
		t.Fatal(err)
	}
	return c, []*courses.Lesson{l1, l2, l3}
}

func TestLesson_DripAcrossTimeZones(t *testing.T) {
	auckland, _ := time.LoadLocation("Pacific/Auckland")
	la, _ := time.LoadLocation("America/Los_Angeles")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")

	// A fixed date opens at local midnight: Auckland (UTC+13 in January)
	// sees it 21 hours before Los Angeles (UTC-8).
	fixed := &courses.Lesson{ID: 1, Title: "Launch", DripDate: "2027-01-10"}
	if got, want := fixed.UnlocksAt(time.Time{}, auckland).UTC(), time.Date(2027, 1, 9, 11, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Auckland: opens %v, want %v", got, want)
	}
	if got, want := fixed.UnlocksAt(time.Time{}, la).UTC(), time.Date(2027, 1, 10, 8, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Los Angeles: opens %v, want %v", got, want)
	}
	e := &courses.Enrolment{EnrolledAt: time.Date(2027, 1, 1, 23, 30, 0, 0, time.UTC)}
	now := time.Date(2027, 1, 9, 12, 0, 0, 0, time.UTC)
	if k := courses.LessonLock(fixed, nil, e, auckland, nil, now); k != nil {
		t.Errorf("Auckland at %v: locked: %s", now, k.Message())
	}
	k := courses.LessonLock(fixed, nil, e, la, nil, now)
	if k == nil {
		t.Fatalf("Los Angeles at %v: open, want locked", now)
	}
	if got, want := k.Message(), "This lesson opens on Sunday 10 January 2027 at 00:00 (America/Los_Angeles)."; got != want {
		t.Errorf("message %q, want %q", got, want)
	}

	// Days after enrolment count from the start of the enrolment's local
	// day: 23:30 UTC on 1 January is 2 January 08:30 in Tokyo but
	// 1 January 15:30 in Los Angeles.
	drip := &courses.Lesson{ID: 2, Title: "Day two", DripDays: 2}
	if got, want := drip.UnlocksAt(e.EnrolledAt, tokyo).UTC(), time.Date(2027, 1, 3, 15, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Tokyo: opens %v, want %v", got, want)
	}
	if got, want := drip.UnlocksAt(e.EnrolledAt, la).UTC(), time.Date(2027, 1, 3, 8, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("Los Angeles: opens %v, want %v", got, want)
	}
	// Across a DST change (Los Angeles, 14 March 2027): still local
	// midnight, not 24-hour steps.
	spring := &courses.Lesson{ID: 3, Title: "Spring", DripDays: 3}
	got := spring.UnlocksAt(time.Date(2027, 3, 12, 20, 0, 0, 0, time.UTC), la)
	if h, m, _ := got.In(la).Clock(); h != 0 || m != 0 || got.In(la).Day() != 15 {
		t.Errorf("across DST: opens %v local, want 15 March 00:00", got.In(la))
	}
}

func TestEmbedURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.youtube.com/watch?v=dQw4w9WgXcQ":       "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
		"https://youtu.be/dQw4w9WgXcQ":                      "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ",
		"https://vimeo.com/76979871":                        "https://player.vimeo.com/video/76979871",
		"https://player.vimeo.com/video/76979871":           "https://player.vimeo.com/video/76979871",
		"https://evil.test/watch?v=dQw4w9WgXcQ":             "",
		"javascript:alert(1)":                               "",
		"https://www.youtube.com/watch?v=a\"><script>":      "",
		"https://youtube.com.evil.test/watch?v=dQw4w9WgXcQ": "",
	} {
		got, err := courses.EmbedURL(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("EmbedURL(%q) = %q, %v; want %q", in, got, err, want)
		}
		if err != nil && app.ErrorField(err) != "video_url" {
			t.Errorf("EmbedURL(%q): field %q", in, app.ErrorField(err))
		}
	}
}

func TestService_InviteLearnComplete(t *testing.T) {
	e := newEnv(t)
	c, ls := e.course(t, e.A, "Sales 101")
	m, err := e.Svc.Invite(e.A, "Kim@Example.com", "Kim Lee", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The member is a CRM person tagged member.
	p, err := e.CRM.People.FindPerson(e.A, m.PersonID)
	if err != nil || len(p.Emails) != 1 || p.Emails[0] != "kim@example.com" || !strings.Contains(strings.Join(p.Tags, ","), "member") {
		t.Fatalf("person %+v, %v", p, err)
	}
	tok := e.Mail.lastToken(t, "kim@example.com")
	// Another tenant's host never redeems it.
	if _, _, err := e.Svc.RedeemLink(e.PB, tok); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("link on tenant B: %v", err)
	}
	sess, got, err := e.Svc.RedeemLink(e.PA, tok)
	if err != nil || got.ID != m.ID {
		t.Fatalf("redeem: %v", err)
	}
	if _, _, err := e.Svc.RedeemLink(e.PA, tok); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("second use: %v, want ENOTFOUND", err)
	}
	if am, err := e.Svc.Authenticate(e.PA, sess.ID); err != nil || am.ID != m.ID {
		t.Fatalf("authenticate: %v", err)
	}

	// Lesson 2 is dripped (3 days), lesson 3 needs lesson 1.
	if _, _, err := e.Svc.OpenLesson(e.PA, m, ls[1].ID); err == nil {
		t.Fatal("dripped lesson opened on day 0")
	} else if k, ok := courses.IsLocked(err); !ok || !strings.Contains(k.Message(), "4 January 2027 at 00:00 (UTC)") || app.ErrorCode(err) != app.EFORBIDDEN {
		t.Errorf("drip lock: %v", err)
	}
	if _, err := e.Svc.CompleteLesson(e.PA, m, ls[2].ID); err == nil || !strings.Contains(err.Error(), "Complete “Welcome” first") {
		t.Errorf("prerequisite: %v", err)
	}
	if _, err := e.Svc.CompleteLesson(e.PA, m, ls[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.CompleteLesson(e.PA, m, ls[2].ID); err != nil {
		t.Fatalf("after the prerequisite: %v", err)
	}
	eng, err := e.Svc.Engagement(e.A, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if eng.Enrolled != 1 || eng.Started != 1 || eng.Completed != 0 || eng.Lessons[0].Completed != 1 || eng.Lessons[1].Started != 0 || eng.Lessons[2].Completed != 1 {
		t.Errorf("engagement %+v", eng)
	}
	e.now = e.now.AddDate(0, 0, 3)
	mc, err := e.Svc.CompleteLesson(e.PA, m, ls[1].ID)
	if err != nil {
		t.Fatalf("day 3: %v", err)
	}
	if mc.Done != 3 || mc.Percent() != 100 || mc.Enrolment.CompletedAt == nil {
		t.Errorf("course view %+v", mc)
	}
	var kinds []string
	for _, ev := range e.events {
		kinds = append(kinds, ev.Kind)
	}
	if got, want := strings.Join(kinds, ","), "enrolled,lesson_completed,lesson_completed,lesson_completed,course_completed"; got != want {
		t.Errorf("events %s, want %s", got, want)
	}
	// Completing again changes nothing and emits nothing.
	if _, err := e.Svc.CompleteLesson(e.PA, m, ls[1].ID); err != nil || len(e.events) != 5 {
		t.Errorf("repeat: %v, %d events", err, len(e.events))
	}
	if eng, _ := e.Svc.Engagement(e.A, c.ID); eng.Completed != 1 {
		t.Errorf("completed %d", eng.Completed)
	}
}

func TestService_MemberIsolation(t *testing.T) {
	e := newEnv(t)
	ca, la := e.course(t, e.A, "Alpha course")
	cb, _ := e.course(t, e.B, "Bravo course")
	ma, err := e.Svc.Invite(e.A, "ann@a.test", "Ann", ca.ID)
	if err != nil {
		t.Fatal(err)
	}
	mb, err := e.Svc.Invite(e.B, "bo@b.test", "Bo", cb.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Svc.Member(e.A, mb.ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A reads B's member: %v", err)
	}
	if _, err := e.Svc.Enrol(e.A, ca.ID, mb.ID, ""); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A enrols B's member: %v", err)
	}
	if _, err := e.Svc.Enrol(e.A, cb.ID, ma.ID, ""); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("A enrols in B's course: %v", err)
	}
	ms, _ := e.Svc.Members(e.A)
	if len(ms) != 1 || ms[0].ID != ma.ID {
		t.Errorf("A's members: %+v", ms)
	}
	// B's member with A's host open A's lesson: not found.
	if _, _, err := e.Svc.OpenLesson(e.PB, mb, la[0].ID); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("B's member on A's lesson: %v", err)
	}
	// A course's enrolments are its tenant's members only.
	if es, err := e.Svc.Enrolments(e.A, ca.ID); err != nil || len(es) != 1 || es[0].MemberID != ma.ID {
		t.Errorf("A's course enrolments: %+v %v", es, err)
	}
	if es, err := e.Svc.Enrolments(e.A, cb.ID); err != nil || len(es) != 0 {
		t.Errorf("A reads B's course enrolments: %+v %v", es, err)
	}
	// A member is not staff.
	if _, err := e.Svc.Courses(e.PA); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("member context lists courses: %v", err)
	}
	if _, err := e.Svc.Enrolments(e.PA, ca.ID); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("member context lists enrolments: %v", err)
	}
	// The same email may be a member of both tenants, separately.
	if _, err := e.Svc.Invite(e.B, "ann@a.test", "Ann B", 0); err != nil {
		t.Fatal(err)
	}
	if m, _, err := e.St.FindMemberByEmail(e.PA, "ann@a.test"); err != nil || m.ID != ma.ID || m.Name != "Ann" {
		t.Errorf("A's ann: %+v %v", m, err)
	}
}

func TestService_JoinAndSignIn(t *testing.T) {
	e := newEnv(t)
	c, _ := e.course(t, e.A, "Open course")
	if err := e.Svc.Join(e.PA, c.Slug, "new@x.test", "New Person"); err != nil {
		t.Fatal(err)
	}
	tok := e.Mail.lastToken(t, "new@x.test")
	_, m, err := e.Svc.RedeemLink(e.PA, tok)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.St.FindEnrolment(e.PA, c.ID, m.ID); err != nil {
		t.Errorf("joined but not enrolled: %v", err)
	}
	// A closed course refuses joins.
	c.OpenEnrolment = false
	if err := e.Svc.UpdateCourse(e.A, c); err != nil {
		t.Fatal(err)
	}
	if err := e.Svc.Join(e.PA, c.Slug, "late@x.test", ""); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("closed course join: %v", err)
	}
	if err := e.Svc.Join(e.PA, c.Slug, "not-an-email", ""); app.ErrorCode(err) != app.ENOTFOUND {
		t.Errorf("closed course, bad email: %v", err)
	}
	// Password: too short refused with the field; then sign in.
	if err := e.Svc.UpdateProfile(e.PA, m, "New Person", "Europe/Paris", "short"); app.ErrorField(err) != "password" {
		t.Errorf("short password: %v", err)
	}
	if err := e.Svc.UpdateProfile(e.PA, m, "New Person", "Mars/Base", ""); app.ErrorField(err) != "time_zone" {
		t.Errorf("bad zone: %v", err)
	}
	if err := e.Svc.UpdateProfile(e.PA, m, "New Person", "Europe/Paris", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Svc.SignIn(e.PB, "new@x.test", "correct horse battery", ""); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Errorf("sign in on tenant B: %v", err)
	}
	sess, _, err := e.Svc.SignIn(e.PA, "NEW@x.test", "correct horse battery", "")
	if err != nil {
		t.Fatal(err)
	}
	if am, err := e.Svc.Authenticate(e.PA, sess.ID); err != nil || am.TimeZone != "Europe/Paris" {
		t.Errorf("authenticate: %+v %v", am, err)
	}
	// Failures slow the account down like staff sign-ins.
	var last error
	for range app.LoginFreeFailures + 1 {
		_, _, last = e.Svc.SignIn(e.PA, "new@x.test", "wrong password!!", "")
	}
	var rl *app.RateLimitError
	if !errors.As(last, &rl) {
		t.Errorf("after %d failures: %v, want a rate limit", app.LoginFreeFailures+1, last)
	}
	// Link requests are rate limited per email.
	c.OpenEnrolment = true
	_ = e.Svc.UpdateCourse(e.A, c)
	var err2 error
	for range 5 {
		err2 = e.Svc.RequestLink(e.PA, "new@x.test")
	}
	if !errors.As(err2, &rl) {
		t.Errorf("link flood: %v", err2)
	}
}

func TestService_QuizAndCertificate(t *testing.T) {
	e := newEnv(t)
	c, ls := e.course(t, e.A, "Quizzed")
	q, err := courses.ParseQuiz(quizText, 70)
	if err != nil {
		t.Fatal(err)
	}
	l := *ls[0]
	l.Quiz = q
	if err := e.Svc.UpdateLesson(e.A, c.ID, &l); err != nil {
		t.Fatal(err)
	}
	m, err := e.Svc.Invite(e.A, "quiz@x.test", "Quinn Taker", c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Svc.CompleteLesson(e.PA, m, l.ID); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Errorf("completing a quiz lesson without the quiz: %v", err)
	}
	r, _, err := e.Svc.SubmitQuiz(e.PA, m, l.ID, [][]int{{1}, {0, 1}, {1}})
	if err != nil || r.Passed || r.Score != 66 {
		t.Fatalf("failing attempt: %+v %v", r, err)
	}
	if e.events[len(e.events)-1].Kind != courses.EventQuizFailed {
		t.Errorf("no quiz_failed event: %+v", e.events[len(e.events)-1])
	}
	var got courses.CertificateData
	e.Svc.Certificates = func(d courses.CertificateData) ([]byte, error) { got = d; return []byte("%PDF"), nil }
	if _, _, err := e.Svc.Certificate(e.PA, m, c.ID); app.ErrorCode(err) != app.EFORBIDDEN {
		t.Errorf("certificate before completion: %v", err)
	}
	if r, mc, err := e.Svc.SubmitQuiz(e.PA, m, l.ID, [][]int{{1}, {0, 1, 3}, {1}}); err != nil || !r.Passed || mc.Done != 1 {
		t.Fatalf("passing attempt: %+v %v", r, err)
	}
	as, _ := e.St.FindQuizAttempts(e.PA, l.ID, m.ID)
	if len(as) != 2 || !as[0].Passed || as[1].Passed || as[1].Score != 66 {
		t.Errorf("attempts %+v", as)
	}
	if _, err := e.Svc.CompleteLesson(e.PA, m, ls[2].ID); err != nil {
		t.Fatal(err)
	}
	e.now = e.now.AddDate(0, 0, 3)
	if _, err := e.Svc.CompleteLesson(e.PA, m, ls[1].ID); err != nil {
		t.Fatal(err)
	}
	d, b, err := e.Svc.Certificate(e.PA, m, c.ID)
	if err != nil || string(b) != "%PDF" || d.Member != "Quinn Taker" || d.Course != "Quizzed" || d.Brand != "Alpha" || got.Color != app.DefaultPrimaryColor {
		t.Errorf("certificate %+v %v", d, err)
	}
	// Another tenant's host gives nothing.
	if _, _, err := e.Svc.Certificate(e.PB, m, c.ID); err == nil {
		t.Error("certificate on tenant B's host")
	}
}
