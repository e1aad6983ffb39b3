// Package courses is the members' area of a tenant (issue #24): members
// (CRM people with a member flag, signing in on the tenant's host apart
// from its staff), courses made of modules and lessons, drip release,
// prerequisites, enrolments and progress, and the engagement figures the
// staff sees.
//
// It imports app only; the store implements Stores, ui serves it.
package courses

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"orengen/app"
)

// Member statuses.
const (
	MemberActive = "active"
	MemberBanned = "banned"
)

// Token purposes: an invitation (sets up the account) or a magic sign-in
// link.
const (
	TokenInvite = "invite"
	TokenLogin  = "login"
)

// Limits.
const (
	MaxTitle       = 200
	MaxSummary     = 1000
	MaxBody        = 200_000
	MaxDripDays    = 3650
	SessionTTL     = 30 * 24 * time.Hour
	InviteTTL      = 7 * 24 * time.Hour
	LoginLinkTTL   = 30 * time.Minute
	JoinLimit      = 10 // join or link requests an IP may make in JoinWindow
	JoinWindow     = 15 * time.Minute
	MaxModules     = 100
	MaxLessons     = 500 // per course
	DateLayout     = "2006-01-02"
	unlockTimeText = "Monday 2 January 2006 at 15:04"
)

// Member is a person in a tenant's members' area. PersonID links the CRM
// person (the "member" flag is this row, and the person's "member" tag).
type Member struct {
	ID          int64
	TenantID    int64
	PersonID    int64
	Email       string
	Name        string
	TimeZone    string
	Status      string
	HasPassword bool
	CreatedAt   time.Time
	LastLoginAt *time.Time
	// CommunityBanned: the staff banned the member from the community
	// (they may still learn); DirectoryHidden: the member opted out of the
	// member directory.
	CommunityBanned bool
	DirectoryHidden bool
	// Digest is how often the member gets the community's email digest:
	// DigestDaily, DigestWeekly or DigestOff.
	Digest string
}

// Location is the member's time zone (UTC if it does not load).
func (m *Member) Location() *time.Location {
	if loc, err := time.LoadLocation(m.TimeZone); err == nil && m.TimeZone != "" {
		return loc
	}
	return time.UTC
}

// DisplayName is the name, else the email.
func (m *Member) DisplayName() string {
	if m.Name != "" {
		return m.Name
	}
	return m.Email
}

// Session is a member's signed-in session; ID is only known at creation.
type Session struct {
	ID        string
	TenantID  int64
	MemberID  int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Course is a course of a tenant.
type Course struct {
	ID            int64
	TenantID      int64
	Slug          string
	Title         string
	Summary       string
	Description   string // markdown
	Published     bool
	OpenEnrolment bool // anyone may join from the landing page
	CreatedAt     time.Time
	UpdatedAt     time.Time
	Modules       []*Module // filled by Outline
}

// Lessons are the course's lessons in order (after Outline).
func (c *Course) Lessons() []*Lesson {
	var out []*Lesson
	for _, m := range c.Modules {
		out = append(out, m.Lessons...)
	}
	return out
}

// Module is a chapter of a course.
type Module struct {
	ID       int64
	CourseID int64
	Position int
	Title    string
	Lessons  []*Lesson
}

// Lesson is one lesson: markdown, an optional video embed, a drip rule and
// an optional prerequisite.
type Lesson struct {
	ID             int64
	CourseID       int64
	ModuleID       int64
	Position       int
	Title          string
	Body           string
	VideoURL       string
	DripDays       int    // days after enrolment (0: at once)
	DripDate       string // YYYY-MM-DD, local midnight of the member ("" none)
	PrerequisiteID int64
	// Quiz must be passed to complete the lesson (nil: none).
	Quiz      *Quiz
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Enrolment is a member's place in a course.
type Enrolment struct {
	ID          int64
	TenantID    int64
	CourseID    int64
	MemberID    int64
	Source      string
	EnrolledAt  time.Time
	CompletedAt *time.Time
	// ExpiresAt ends the member's access (nil: for good).
	ExpiresAt *time.Time
}

// Ended reports whether the enrolment's access has ended at now.
func (e *Enrolment) Ended(now time.Time) bool { return e.ExpiresAt != nil && !now.Before(*e.ExpiresAt) }

// Progress is a member's state in one lesson.
type Progress struct {
	LessonID    int64
	StartedAt   time.Time
	CompletedAt *time.Time
}

var slugRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z0-9]+(?:-[a-z0-9]+)*$`) })

// Slugify makes a URL slug of a title.
func Slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
			dash = false
		} else if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
		if b.Len() >= 60 {
			break
		}
	}
	return strings.Trim(b.String(), "-")
}

func checkText(field, label, v string, max int, required bool) error {
	switch {
	case required && strings.TrimSpace(v) == "":
		return app.FieldErrorf(field, "%s required.", label)
	case !utf8.ValidString(v) || strings.ContainsRune(v, 0):
		return app.FieldErrorf(field, "%s must be valid text.", label)
	case len(v) > max:
		return app.FieldErrorf(field, "%s must be at most %d characters.", label, max)
	}
	return nil
}

// Validate checks a course (and fills an empty slug from the title).
// Returns EINVALID naming the field.
func (c *Course) Validate() error {
	c.Title = strings.TrimSpace(c.Title)
	if err := checkText("title", "Title", c.Title, MaxTitle, true); err != nil {
		return err
	}
	c.Slug = strings.TrimSpace(strings.ToLower(c.Slug))
	if c.Slug == "" {
		c.Slug = Slugify(c.Title)
	}
	if !slugRE().MatchString(c.Slug) || len(c.Slug) > 60 {
		return app.FieldErrorf("slug", "Address must be lower-case letters, digits and dashes (at most 60), like intro-to-sales.")
	}
	if err := checkText("summary", "Summary", c.Summary, MaxSummary, false); err != nil {
		return err
	}
	return checkText("description", "Description", c.Description, MaxBody, false)
}

// Validate checks a module. Returns EINVALID.
func (m *Module) Validate() error {
	m.Title = strings.TrimSpace(m.Title)
	return checkText("title", "Module title", m.Title, MaxTitle, true)
}

// videoHosts are the hosts a lesson's video may be embedded from.
var videoHosts = map[string]string{
	"www.youtube.com": "youtube", "youtube.com": "youtube", "m.youtube.com": "youtube", "youtu.be": "youtube",
	"www.youtube-nocookie.com": "youtube", "vimeo.com": "vimeo", "www.vimeo.com": "vimeo", "player.vimeo.com": "vimeo",
}

var (
	youtubeID = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{6,20}$`) })
	vimeoID   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[0-9]{3,12}$`) })
)

// EmbedURL returns the player address of a YouTube or Vimeo link, or
// EINVALID (field video_url) for anything else: lessons never frame
// other sites.
func EmbedURL(raw string) (string, error) {
	bad := app.FieldErrorf("video_url", "Video must be a YouTube or Vimeo link, like https://www.youtube.com/watch?v=… or https://vimeo.com/123456.")
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme != "https" && u.Scheme != "http" || u.User != nil || u.Port() != "" {
		return "", bad
	}
	switch videoHosts[strings.ToLower(u.Hostname())] {
	case "youtube":
		var id string
		switch {
		case strings.EqualFold(u.Hostname(), "youtu.be"):
			id = strings.Trim(u.Path, "/")
		case u.Path == "/watch":
			id = u.Query().Get("v")
		case strings.HasPrefix(u.Path, "/embed/"), strings.HasPrefix(u.Path, "/shorts/"), strings.HasPrefix(u.Path, "/live/"):
			id = u.Path[strings.LastIndex(u.Path, "/")+1:]
		}
		if !youtubeID().MatchString(id) {
			return "", bad
		}
		return "https://www.youtube-nocookie.com/embed/" + id, nil
	case "vimeo":
		id := u.Path[strings.LastIndex(u.Path, "/")+1:]
		if !vimeoID().MatchString(id) {
			return "", bad
		}
		return "https://player.vimeo.com/video/" + id, nil
	}
	return "", bad
}

// Validate checks a lesson. Returns EINVALID naming the field.
func (l *Lesson) Validate() error {
	l.Title = strings.TrimSpace(l.Title)
	if err := checkText("title", "Lesson title", l.Title, MaxTitle, true); err != nil {
		return err
	}
	if err := checkText("body", "Lesson text", l.Body, MaxBody, false); err != nil {
		return err
	}
	l.VideoURL = strings.TrimSpace(l.VideoURL)
	if l.VideoURL != "" {
		if _, err := EmbedURL(l.VideoURL); err != nil {
			return err
		}
	}
	if l.DripDays < 0 || l.DripDays > MaxDripDays {
		return app.FieldErrorf("drip_days", "Days after enrolment must be between 0 and %d.", MaxDripDays)
	}
	l.DripDate = strings.TrimSpace(l.DripDate)
	if l.DripDate != "" {
		if _, err := time.Parse(DateLayout, l.DripDate); err != nil {
			return app.FieldErrorf("drip_date", "Release date must be a date like 2027-01-31.")
		}
		if l.DripDays > 0 {
			return app.FieldErrorf("drip_date", "Choose either days after enrolment or a release date, not both.")
		}
	}
	if l.PrerequisiteID != 0 && l.PrerequisiteID == l.ID {
		return app.FieldErrorf("prerequisite_id", "A lesson cannot be its own prerequisite.")
	}
	if l.Quiz != nil {
		if len(l.Quiz.Questions) == 0 {
			l.Quiz = nil
		} else if err := l.Quiz.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Embed is the lesson's video player address ("" without a video).
func (l *Lesson) Embed() string {
	u, _ := EmbedURL(l.VideoURL)
	return u
}

// UnlocksAt is when the lesson opens for a member enrolled at enrolled
// in time zone loc: days after enrolment count from the start of the
// enrolment's local day; a fixed date opens at local midnight. The zero
// time means at once.
func (l *Lesson) UnlocksAt(enrolled time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	switch {
	case l.DripDays > 0:
		y, m, d := enrolled.In(loc).Date()
		return time.Date(y, m, d+l.DripDays, 0, 0, 0, 0, loc)
	case l.DripDate != "":
		t, err := time.ParseInLocation(DateLayout, l.DripDate, loc)
		if err == nil {
			return t
		}
	}
	return time.Time{}
}

// Lock is why a member cannot open a lesson yet (nil: open).
type Lock struct {
	Until        time.Time // drip: when it opens (in the member's zone)
	Prerequisite *Lesson   // a lesson to complete first
}

// Message is the clear sentence a locked lesson shows.
func (k *Lock) Message() string {
	if k == nil {
		return ""
	}
	if !k.Until.IsZero() {
		return fmt.Sprintf("This lesson opens on %s (%s).", k.Until.Format(unlockTimeText), k.Until.Location())
	}
	if k.Prerequisite != nil {
		return fmt.Sprintf("Complete “%s” first to open this lesson.", k.Prerequisite.Title)
	}
	return "This lesson is locked."
}

// LessonLock decides whether lesson l is open to a member at now: drip
// first, then the prerequisite (done holds the completed lesson IDs).
func LessonLock(l *Lesson, byID map[int64]*Lesson, e *Enrolment, loc *time.Location, done map[int64]bool, now time.Time) *Lock {
	if at := l.UnlocksAt(e.EnrolledAt, loc); !at.IsZero() && now.Before(at) {
		return &Lock{Until: at.In(loc)}
	}
	if l.PrerequisiteID != 0 && !done[l.PrerequisiteID] {
		if p, ok := byID[l.PrerequisiteID]; ok {
			return &Lock{Prerequisite: p}
		}
	}
	return nil
}

// LessonState is a lesson as a member sees it in the outline.
type LessonState struct {
	*Lesson
	Lock      *Lock
	Started   bool // opened before (progress recorded)
	Completed bool
	// Files are the lesson's video and downloads (filled by OpenLesson).
	Files []*LessonFile
}

// Video is the lesson's uploaded video (nil: none).
func (ls *LessonState) Video() *LessonFile {
	for _, f := range ls.Files {
		if f.IsVideo() {
			return f
		}
	}
	return nil
}

// Downloads are the lesson's downloadable files.
func (ls *LessonState) Downloads() []*LessonFile {
	var out []*LessonFile
	for _, f := range ls.Files {
		if !f.IsVideo() {
			out = append(out, f)
		}
	}
	return out
}

// ModuleState is a module with its lessons' states.
type ModuleState struct {
	*Module
	Lessons []*LessonState
}

// MemberCourse is a course as an enrolled member sees it.
type MemberCourse struct {
	Course    *Course
	Enrolment *Enrolment
	Modules   []*ModuleState
	Done      int
	Total     int
	// EndedOn is the date the member's access ended ("" while open).
	EndedOn string
}

// Percent is the share of lessons completed.
func (mc *MemberCourse) Percent() int {
	if mc.Total == 0 {
		return 0
	}
	return mc.Done * 100 / mc.Total
}

// LessonEngagement is one lesson's figures for the staff: members who
// started (opened) it and who completed it.
type LessonEngagement struct {
	LessonID  int64
	Title     string
	Started   int
	Completed int
}

// Stopped is how many started the lesson without completing it (the
// drop-off).
func (l LessonEngagement) Stopped() int { return l.Started - l.Completed }

// Engagement is a course's figures: enrolled, started (any lesson),
// completed (the course) and per lesson.
type Engagement struct {
	Enrolled  int
	Started   int
	Completed int
	Lessons   []LessonEngagement
}

// MemberProgress is one member's progress in one course (staff view).
type MemberProgress struct {
	Course    *Course
	Enrolment *Enrolment
	Done      int
	Total     int
	Lessons   []*LessonState
}

// Stores are where the members' area keeps its data, one small store per
// kind of record (package store's CourseStore is every one of them).
// Methods take the tenant from ctx (EUNAUTHORIZED without one) and answer
// ENOTFOUND for another tenant's rows, except the few that resolve a
// secret (a session or a link) to its tenant.
type Stores struct {
	Members    MemberStore
	SignIns    SignInStore
	Courses    CourseStore
	Lessons    LessonStore
	Enrolments EnrolmentStore
	Progress   ProgressStore
	Files      FileStore // lesson files: uploaded videos, downloads
}

// MemberStore keeps members (each linked to a CRM person).
type MemberStore interface {
	// CreateMember adds a member and links (or creates) the tenant's CRM
	// person with the email, tagged "member", in one transaction.
	// Returns ECONFLICT if the email is already a member.
	CreateMember(ctx context.Context, m *Member) error
	FindMember(ctx context.Context, id int64) (*Member, error)
	FindMemberByEmail(ctx context.Context, email string) (*Member, string, error) // and the password hash
	FindMembers(ctx context.Context) ([]*Member, error)
	UpdateMember(ctx context.Context, m *Member) error
	SetMemberPassword(ctx context.Context, id int64, hash string) error
	TouchMemberLogin(ctx context.Context, id int64) error
}

// SignInStore keeps members' emailed links and sessions.
type SignInStore interface {
	CreateMemberToken(ctx context.Context, memberID int64, purpose, tokenHash string, expires time.Time) error
	// UseMemberToken marks an unused, unexpired token of the tenant used
	// and returns its member and purpose. ENOTFOUND otherwise.
	UseMemberToken(ctx context.Context, tokenHash string) (*Member, string, error)
	CreateMemberSession(ctx context.Context, s *Session, idHash string) error
	// FindMemberSession resolves a session hash to its member (any
	// tenant). ENOTFOUND for unknown or expired sessions.
	FindMemberSession(ctx context.Context, idHash string) (*Member, error)
	DeleteMemberSession(ctx context.Context, idHash string) error
	DeleteMemberSessions(ctx context.Context, memberID int64) error
}

// CourseStore keeps courses and reads their outline.
type CourseStore interface {
	CreateCourse(ctx context.Context, c *Course) error
	UpdateCourse(ctx context.Context, c *Course) error
	FindCourse(ctx context.Context, id int64) (*Course, error)
	FindCourseBySlug(ctx context.Context, slug string) (*Course, error)
	FindCourses(ctx context.Context, publishedOnly bool) ([]*Course, error)
	// Outline fills c.Modules with the modules and their lessons in order.
	Outline(ctx context.Context, c *Course) error
}

// LessonStore keeps a course's modules and lessons.
type LessonStore interface {
	CreateModule(ctx context.Context, m *Module) error
	CreateLesson(ctx context.Context, l *Lesson) error
	UpdateLesson(ctx context.Context, l *Lesson) error
	DeleteLesson(ctx context.Context, courseID, id int64) error
	FindLesson(ctx context.Context, id int64) (*Lesson, error)
}

// EnrolmentStore keeps who is enrolled in which course, and the course's
// figures.
type EnrolmentStore interface {
	// Enrol enrols a member (ECONFLICT if already enrolled).
	Enrol(ctx context.Context, e *Enrolment) error
	FindEnrolment(ctx context.Context, courseID, memberID int64) (*Enrolment, error)
	FindMemberEnrolments(ctx context.Context, memberID int64) ([]*Enrolment, error)
	FindCourseEnrolments(ctx context.Context, courseID int64) ([]*Enrolment, error)
	Engagement(ctx context.Context, c *Course) (*Engagement, error)
}

// ProgressStore keeps a member's progress through a course's lessons and
// quizzes.
type ProgressStore interface {
	FindProgress(ctx context.Context, courseID, memberID int64) (map[int64]*Progress, error)
	// StartLesson records the first opening of a lesson (no-op after).
	StartLesson(ctx context.Context, courseID, lessonID, memberID int64) error
	// CompleteLesson marks the lesson complete and, when every lesson of
	// the course is complete, the enrolment; it reports whether this
	// call completed the course.
	CompleteLesson(ctx context.Context, courseID, lessonID, memberID int64, lessons int) (bool, error)
	AddQuizAttempt(ctx context.Context, a *Attempt, courseID int64, answers [][]int) error
	// FindQuizAttempts lists a member's attempts at a lesson's quiz,
	// newest first.
	FindQuizAttempts(ctx context.Context, lessonID, memberID int64) ([]*Attempt, error)
}
