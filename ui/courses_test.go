package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"orengen/app"
	"orengen/app/courses"
	"orengen/store"
	"orengen/ui"
)

// accMember is a route for a signed-in member of the tenant's members'
// area (a member session, never a staff one).
const accMember = "member"

// Members' area objects of tenant B (isolation matrix).
const (
	objCourse       = "course"
	objCourseLesson = "courselesson" // :id the course, :lesson its lesson; or /learn/lessons/:id
	objCourseMember = "coursemember"
	objCourseSlug   = "courseslug"
)

// coursesIsolation are the members' area's lines of the isolation
// matrix: the member pages (/learn) are public or need a member session;
// the staff's course pages need a portal user.
var coursesIsolation = map[string]isoLine{
	"portal|GET|/learn":                               {accPublic, ""},
	"portal|GET|/learn/login":                         {accPublic, ""},
	"portal|POST|/learn/login":                        {accPublic, ""},
	"portal|POST|/learn/magic":                        {accPublic, ""},
	"portal|GET|/learn/link":                          {accPublic, ""},
	"portal|POST|/learn/link":                         {accPublic, ""},
	"portal|POST|/learn/logout":                       {accPublic, ""},
	"portal|GET|/learn/c/:slug":                       {accPublic, objCourseSlug},
	"portal|POST|/learn/c/:slug/join":                 {accPublic, objCourseSlug},
	"portal|GET|/learn/account":                       {accMember, ""},
	"portal|POST|/learn/account":                      {accMember, ""},
	"portal|GET|/learn/lessons/:id":                   {accMember, objCourseLesson},
	"portal|POST|/learn/lessons/:id/complete":         {accMember, objCourseLesson},
	"portal|POST|/learn/lessons/:id/quiz":             {accMember, objCourseLesson},
	"portal|GET|/learn/c/:slug/certificate":           {accMember, objCourseSlug},
	"portal|GET|/courses":                             {accUser, ""},
	"portal|POST|/courses":                            {accUser, ""},
	"portal|GET|/courses/members":                     {accUser, ""},
	"portal|POST|/courses/members":                    {accUser, ""},
	"portal|GET|/courses/members/:id":                 {accUser, objCourseMember},
	"portal|POST|/courses/members/:id/status":         {accUser, objCourseMember},
	"portal|GET|/courses/:id":                         {accUser, objCourse},
	"portal|POST|/courses/:id":                        {accUser, objCourse},
	"portal|POST|/courses/:id/modules":                {accUser, objCourse},
	"portal|POST|/courses/:id/lessons":                {accUser, objCourse},
	"portal|POST|/courses/:id/enrol":                  {accUser, objCourse},
	"portal|GET|/courses/:id/lessons/:lesson":         {accUser, objCourseLesson},
	"portal|POST|/courses/:id/lessons/:lesson":        {accUser, objCourseLesson},
	"portal|POST|/courses/:id/lessons/:lesson/delete": {accUser, objCourseLesson},
	"portal|GET|/api/v1/courses":                      {accTenantKey, ""},
	"portal|POST|/api/v1/courses":                     {accTenantKeyW, ""},
	"portal|GET|/api/v1/courses/:id":                  {accTenantKey, objCourse},
	"portal|POST|/api/v1/courses/:id/modules":         {accTenantKeyW, objCourse},
	"portal|POST|/api/v1/courses/:id/lessons":         {accTenantKeyW, objCourse},
	"portal|POST|/api/v1/courses/:id/enrolments":      {accTenantKeyW, objCourse},
	"portal|GET|/api/v1/courses/:id/engagement":       {accTenantKey, objCourse},
	"portal|GET|/api/v1/course-members":               {accTenantKey, ""},
	"portal|GET|/api/v1/course-members/:id":           {accTenantKey, objCourseMember},
	"nexus|GET|/api/v1/courses":                       {accAdminKey, ""},
	"nexus|POST|/api/v1/courses":                      {accAdminKeyW, ""},
	"nexus|GET|/api/v1/courses/:id":                   {accAdminKey, objCourse},
	"nexus|POST|/api/v1/courses/:id/modules":          {accAdminKeyW, objCourse},
	"nexus|POST|/api/v1/courses/:id/lessons":          {accAdminKeyW, objCourse},
	"nexus|POST|/api/v1/courses/:id/enrolments":       {accAdminKeyW, objCourse},
	"nexus|GET|/api/v1/courses/:id/engagement":        {accAdminKey, objCourse},
	"nexus|GET|/api/v1/course-members":                {accAdminKey, ""},
	"nexus|GET|/api/v1/course-members/:id":            {accAdminKey, objCourseMember},
	"nexus|GET|/courses":                              {accAdmin, ""},
	"nexus|GET|/courses/tenants/:tenant/courses/:id":  {accAdmin, objCourse},
}

var isoCourseSeq int

// isoCourseRequest gives the courses API's writes valid bodies (on B's
// course), and the admin key's requests ?tenant=B, so they succeed.
func (e *tenantEnv) isoCourseRequest(r isoRoute, req *treq) {
	if !strings.HasPrefix(r.Path, "/api/v1/course") {
		return
	}
	e.isoCourseFileRequest(r, req) // course_files_test.go
	b := e.courseFixture(e.B.T, e.B.Owner)
	if r.Host == ui.HostNexus {
		sep := "?"
		if strings.Contains(req.Path, "?") {
			sep = "&"
		}
		req.Path += sep + "tenant=" + e.B.T.Slug
	}
	if r.Method != http.MethodPost {
		return
	}
	isoCourseSeq++
	n := strconv.Itoa(isoCourseSeq)
	switch {
	case strings.HasSuffix(r.Path, "/modules"):
		req.JSON = `{"title":"Iso module ` + n + `"}`
	case strings.HasSuffix(r.Path, "/lessons"):
		req.JSON = `{"title":"Iso lesson ` + n + `","module_id":` + strconv.FormatInt(b.Lessons[0].ModuleID, 10) + `}`
	case strings.HasSuffix(r.Path, "/enrolments"):
		req.JSON = `{"email":"iso` + n + `@b.test"}`
	default:
		req.JSON = `{"title":"Iso course ` + n + `"}`
	}
}

func init() {
	for k, v := range coursesIsolation {
		isolationMatrix[k] = v
	}
}

// courseSide is one tenant's members' area fixtures.
type courseSide struct {
	Course  *courses.Course
	Lessons []*courses.Lesson
	Member  *courses.Member
	Cookie  string // the member's session (msid)
}

var courseFixtures sync.Map // *tenantEnv -> map[int64]*courseSide

// courseFixture makes (once per environment and tenant) a published,
// open course with a module, an open lesson, a lesson dripped 3 days and
// one needing the first, and a member enrolled and signed in.
func (e *tenantEnv) courseFixture(t *app.Tenant, owner *app.User) *courseSide {
	e.t.Helper()
	v, _ := courseFixtures.LoadOrStore(e, &sync.Map{})
	if cs, ok := v.(*sync.Map).Load(t.ID); ok {
		return cs.(*courseSide)
	}
	svc := e.App.Courses
	ctx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), t), owner)
	cs := &courseSide{Course: &courses.Course{Title: t.Name + " secret course", Published: true, OpenEnrolment: true}}
	if err := svc.CreateCourse(ctx, cs.Course); err != nil {
		e.t.Fatal(err)
	}
	m, err := svc.AddModule(ctx, cs.Course.ID, "Basics")
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range []*courses.Lesson{
		{ModuleID: m.ID, Title: "Welcome", Body: t.Name + " secret lesson text", VideoURL: "https://www.youtube.com/watch?v=dQw4w9WgXcQ"},
		{ModuleID: m.ID, Title: "Day three", DripDays: 3},
	} {
		if err := svc.AddLesson(ctx, cs.Course.ID, l); err != nil {
			e.t.Fatal(err)
		}
		cs.Lessons = append(cs.Lessons, l)
	}
	third := &courses.Lesson{ModuleID: m.ID, Title: "After welcome", PrerequisiteID: cs.Lessons[0].ID}
	if err := svc.AddLesson(ctx, cs.Course.ID, third); err != nil {
		e.t.Fatal(err)
	}
	cs.Lessons = append(cs.Lessons, third)
	email := "learner@" + t.Slug + ".test"
	if cs.Member, err = svc.Invite(ctx, email, t.Name+" Learner", cs.Course.ID); err != nil {
		e.t.Fatal(err)
	}
	sess, _, err := svc.RedeemLink(app.NewContextWithTenant(context.Background(), t), e.memberToken(email))
	if err != nil {
		e.t.Fatal(err)
	}
	cs.Cookie = sess.ID
	v.(*sync.Map).Store(t.ID, cs)
	return cs
}

var memberLinkRE = regexp.MustCompile(`/learn/link\?token=([A-Za-z0-9_-]+)`)

// memberToken is the newest sign-in link token mailed to email.
func (e *tenantEnv) memberToken(email string) string {
	e.t.Helper()
	msgs, _, err := e.Outbox.FindOutboxMessages(context.Background(), 50)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range msgs {
		if m.To == email {
			if s := memberLinkRE.FindStringSubmatch(m.Body); s != nil {
				return s[1]
			}
		}
	}
	e.t.Fatalf("no sign-in link mailed to %s", email)
	return ""
}

// coursesFill puts B's course objects in a route's path.
func (e *tenantEnv) coursesFill(obj, p string) (string, string) {
	b := e.courseFixture(e.B.T, e.B.Owner)
	switch obj {
	case objCourseMember:
		return strconv.FormatInt(b.Member.ID, 10), p
	case objCourseSlug:
		return "1", strings.ReplaceAll(p, ":slug", b.Course.Slug)
	case objCourseLesson:
		if strings.HasPrefix(p, "/learn/files/") { // course_files_test.go
			return strconv.FormatInt(e.courseFileFill(b), 10), p
		}
		if strings.Contains(p, ":file") {
			p = strings.ReplaceAll(p, ":file", strconv.FormatInt(e.courseFileFill(b), 10))
		}
		if strings.HasPrefix(p, "/learn/") {
			return strconv.FormatInt(b.Lessons[0].ID, 10), p
		}
		return strconv.FormatInt(b.Course.ID, 10), strings.ReplaceAll(p, ":lesson", strconv.FormatInt(b.Lessons[0].ID, 10))
	}
	return strconv.FormatInt(b.Course.ID, 10), strings.ReplaceAll(p, ":tenant", strconv.FormatInt(e.B.T.ID, 10))
}

// isoMember checks a member route: A's member never reaches B's
// lessons (404) nor sees B's texts; a staff session is not a member's.
func (e *tenantEnv) isoMember(t *testing.T, r isoRoute, base treq) {
	a := e.courseFixture(e.A.T, e.A.Owner)
	b := e.courseFixture(e.B.T, e.B.Owner)
	req := base
	req.Cookies = map[string]string{"msid": a.Cookie}
	status, body, _ := e.do(req)
	if r.Line.Obj != "" && status != http.StatusNotFound {
		t.Errorf("A's member on B's %s: status %d, want 404", r.Line.Obj, status)
	}
	if status >= 500 {
		t.Errorf("A's member: status %d", status)
	}
	for _, m := range append(e.bMarkers(), b.Course.Title, b.Lessons[0].Body, b.Member.Email) {
		if strings.Contains(body, m) {
			t.Errorf("A's member's response contains B's %q", m)
		}
	}
	staff := base
	staff.Cookies = map[string]string{"psid": e.A.Cookie}
	if st, _, resp := e.do(staff); !isoAuthRefusal(st, resp) {
		t.Errorf("staff session on a member route: status %d (location %q)", st, resp.Header.Get("Location"))
	}
	// B's member on A's custom domain is nobody there.
	if r.Line.Obj == "" && r.Method == http.MethodGet {
		e.courseDomains()
		x := base
		x.Host = "learn.alpha.test"
		x.Cookies = map[string]string{"msid": b.Cookie}
		if st, _, resp := e.do(x); !isoAuthRefusal(st, resp) {
			t.Errorf("B's member on A's domain: status %d", st)
		}
	}
}

var courseDomainOnce sync.Map

func (e *tenantEnv) courseDomains() {
	if _, done := courseDomainOnce.LoadOrStore(e, true); !done {
		e.addDomain("learn.alpha.test", e.A.T.ID)
		e.addDomain("learn.bravo.test", e.B.T.ID)
	}
}

// A tenant's staff builds a course in the portal; on the tenant's own
// domain a visitor joins from the landing page, signs in with the
// emailed link, opens and completes a lesson, is told when a dripped
// lesson opens, and the staff sees the engagement.
func TestCourses_PortalToMember(t *testing.T) {
	e := newTenantEnv(t)
	e.courseDomains()
	owner := map[string]string{"psid": e.A.Cookie}
	post := func(host, path string, cookies map[string]string, form url.Values) (int, string, *http.Response) {
		return e.do(treq{Host: host, Method: "POST", Path: path, Form: form, Cookies: cookies, CSRF: true})
	}
	get := func(host, path string, cookies map[string]string) (int, string, *http.Response) {
		return e.do(treq{Host: host, Method: "GET", Path: path, Cookies: cookies})
	}
	// Bad input names the field and writes nothing.
	if st, body, _ := post(ui.HostPortal, "/courses", owner, url.Values{"title": {""}}); st != 422 || !strings.Contains(body, "Title required.") {
		t.Fatalf("empty title: %d", st)
	}
	st, _, resp := post(ui.HostPortal, "/courses", owner, url.Values{"title": {"Cold Calling 101"}, "published": {"1"}, "open_enrolment": {"1"}, "description": {"Learn **fast**. <script>x</script>"}})
	if st != 303 {
		t.Fatalf("create: %d", st)
	}
	coursePath := resp.Header.Get("Location")
	courseID, _ := strconv.ParseInt(strings.TrimPrefix(coursePath, "/courses/"), 10, 64)
	if st, _, _ := post(ui.HostPortal, coursePath+"/modules", owner, url.Values{"title": {"Openers"}}); st != 303 {
		t.Fatalf("module: %d", st)
	}
	ctxA := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner)
	c, err := e.App.Courses.Course(ctxA, courseID)
	if err != nil || len(c.Modules) != 1 {
		t.Fatalf("course %+v %v", c, err)
	}
	mod := strconv.FormatInt(c.Modules[0].ID, 10)
	if st, body, _ := post(ui.HostPortal, coursePath+"/lessons", owner, url.Values{"module_id": {mod}, "title": {"Bad video"}, "video_url": {"https://evil.test/v.mp4"}}); st != 422 || !strings.Contains(body, "Video must be a YouTube or Vimeo link") {
		t.Errorf("bad video: %d", st)
	}
	if st, body, _ := post(ui.HostPortal, coursePath+"/lessons", owner, url.Values{"module_id": {mod}, "title": {"Both"}, "drip_days": {"2"}, "drip_date": {"2027-01-01"}}); st != 422 || !strings.Contains(body, "either days after enrolment or a release date") {
		t.Errorf("both drips: %d", st)
	}
	for _, f := range []url.Values{
		{"module_id": {mod}, "title": {"The first ten seconds"}, "body": {"Say **who** you are. <img src=x onerror=alert(1)>"}, "video_url": {"https://youtu.be/dQw4w9WgXcQ"}},
		{"module_id": {mod}, "title": {"Objections"}, "drip_days": {"3"}},
	} {
		if st, _, _ := post(ui.HostPortal, coursePath+"/lessons", owner, f); st != 303 {
			t.Fatalf("lesson %s: %d", f.Get("title"), st)
		}
	}
	c, _ = e.App.Courses.Course(ctxA, courseID)
	ls := c.Lessons()
	if len(ls) != 2 {
		t.Fatalf("lessons %d", len(ls))
	}

	// The landing page on A's domain, white label.
	st, body, _ := get("learn.alpha.test", "/learn/c/"+c.Slug, nil)
	if st != 200 || !strings.Contains(body, "Cold Calling 101") || !strings.Contains(body, "<strong>fast</strong>") || strings.Contains(body, "<script>x") || !strings.Contains(body, `id="join-form"`) {
		t.Fatalf("landing: %d %.300s", st, body)
	}
	// B's domain does not know A's course.
	if st, _, _ := get("learn.bravo.test", "/learn/c/"+c.Slug, nil); st != 404 {
		t.Errorf("A's course on B's domain: %d", st)
	}
	if st, body, _ := post("learn.alpha.test", "/learn/c/"+c.Slug+"/join", nil, url.Values{"email": {"not an email"}}); st != 422 || !strings.Contains(body, "valid email") {
		t.Errorf("bad join: %d", st)
	}
	if st, body, _ := post("learn.alpha.test", "/learn/c/"+c.Slug+"/join", nil, url.Values{"email": {"Pat@Example.com"}, "name": {"Pat Doe"}}); st != 200 || !strings.Contains(body, `id="join-sent"`) {
		t.Fatalf("join: %d", st)
	}
	tok := e.memberToken("pat@example.com")
	// A GET shows a button and spends nothing (mail scanners).
	if st, body, _ := get("learn.alpha.test", "/learn/link?token="+tok, nil); st != 200 || !strings.Contains(body, `id="link-form"`) {
		t.Fatalf("link view: %d", st)
	}
	// The link does not work on B's domain, and is not spent there.
	if st, _, _ := post("learn.bravo.test", "/learn/link", nil, url.Values{"token": {tok}}); st != 404 {
		t.Errorf("A's link on B's domain: %d", st)
	}
	st, _, resp = post("learn.alpha.test", "/learn/link", nil, url.Values{"token": {tok}})
	if st != 303 || resp.Header.Get("Location") != "/learn/account" {
		t.Fatalf("redeem: %d %s", st, resp.Header.Get("Location"))
	}
	var msid string
	for _, ck := range resp.Cookies() {
		if ck.Name == "msid" {
			msid = ck.Value
		}
	}
	if msid == "" {
		t.Fatal("no member session cookie")
	}
	if st, _, _ := post("learn.alpha.test", "/learn/link", nil, url.Values{"token": {tok}}); st != 404 {
		t.Errorf("link used twice: %d", st)
	}
	mem := map[string]string{"msid": msid}
	patEmail := "pat@example.com"
	// The member is a CRM person tagged member.
	people, _, err := e.Server.CRM.FindPeople(app.NewContextWithTenant(context.Background(), e.A.T), app.PersonFilter{Email: &patEmail})
	if err != nil || len(people) != 1 || !strings.Contains(strings.Join(people[0].Tags, ","), "member") {
		t.Errorf("CRM person: %+v %v", people, err)
	}

	// The first lesson: video from the allow-listed player, safe text.
	lp := "/learn/lessons/" + strconv.FormatInt(ls[0].ID, 10)
	st, body, resp = get("learn.alpha.test", lp, mem)
	if st != 200 || !strings.Contains(body, "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ") || !strings.Contains(body, "<strong>who</strong>") || strings.Contains(body, "onerror") {
		t.Fatalf("lesson: %d %.400s", st, body)
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-src https://www.youtube-nocookie.com https://player.vimeo.com") {
		t.Errorf("lesson CSP %q", csp)
	}
	// The dripped lesson says when it opens, in the member's zone.
	drip := "/learn/lessons/" + strconv.FormatInt(ls[1].ID, 10)
	if st, body, _ := get("learn.alpha.test", drip, mem); st != 403 || !strings.Contains(body, "This lesson opens on") || !strings.Contains(body, "(UTC)") {
		t.Errorf("dripped lesson: %d", st)
	}
	if st, _, _ := post("learn.alpha.test", "/learn/account", mem, url.Values{"name": {"Pat Doe"}, "time_zone": {"Asia/Tokyo"}}); st != 303 {
		t.Errorf("account: %d", st)
	}
	if _, body, _ := get("learn.alpha.test", drip, mem); !strings.Contains(body, "(Asia/Tokyo)") {
		t.Errorf("dripped lesson after the zone change: %.300s", body)
	}
	if st, _, _ := post("learn.alpha.test", drip+"/complete", mem, nil); st != 403 {
		t.Errorf("completing a locked lesson: %d", st)
	}
	if st, _, resp := post("learn.alpha.test", lp+"/complete", mem, nil); st != 303 || resp.Header.Get("Location") != drip {
		t.Errorf("complete: %d %s", st, resp.Header.Get("Location"))
	}
	if _, body, _ := get("learn.alpha.test", "/learn", mem); !strings.Contains(body, "1 of 2 lessons (50%)") {
		t.Errorf("home progress: %.500s", body)
	}
	// The member's session is nothing on B's domain nor in the staff portal.
	if st, _, resp := get("learn.bravo.test", lp, mem); !isoAuthRefusal(st, resp) {
		t.Errorf("A's member on B's domain: %d", st)
	}
	if st, _, resp := get("learn.alpha.test", "/courses", mem); st != 303 || resp.Header.Get("Location") != "/login" {
		t.Errorf("member on the staff pages: %d %s", st, resp.Header.Get("Location"))
	}

	// The staff sees the engagement and the member's progress.
	st, body, _ = get(ui.HostPortal, coursePath, owner)
	if st != 200 || !strings.Contains(body, "1 enrolled · 1 started · 0 completed") || !strings.Contains(body, "<svg") || !strings.Contains(body, "Pat Doe") {
		t.Errorf("course page: %d %.300s", st, body)
	}
	eng, _ := e.App.Courses.Engagement(ctxA, courseID)
	if eng.Lessons[0].Started != 1 || eng.Lessons[0].Completed != 1 || eng.Lessons[1].Started != 0 {
		t.Errorf("engagement %+v", eng)
	}
	// Suspending the member signs them out at once; reactivating lets
	// them sign in again (by link).
	ms, _ := e.App.Courses.Members(ctxA)
	var patID int64
	for _, m := range ms {
		if m.Email == "pat@example.com" {
			patID = m.ID
		}
	}
	statusPath := "/courses/members/" + strconv.FormatInt(patID, 10) + "/status"
	if st, body, _ := post(ui.HostPortal, statusPath, owner, url.Values{"status": {"gone"}}); st != 400 && st != 422 || !strings.Contains(body, "Status must be") {
		t.Errorf("bad status: %d", st)
	}
	if st, _, _ := post(ui.HostPortal, statusPath, owner, url.Values{"status": {"banned"}}); st != 303 {
		t.Fatalf("suspend: %d", st)
	}
	if st, _, resp := get("learn.alpha.test", lp, mem); !isoAuthRefusal(st, resp) {
		t.Errorf("suspended member's session: %d", st)
	}
	if st, _, _ := post(ui.HostPortal, statusPath, map[string]string{"psid": e.B.Cookie}, url.Values{"status": {"active"}}); st != 404 {
		t.Errorf("B's owner reactivating A's member: %d", st)
	}
	if st, _, _ := post(ui.HostPortal, statusPath, owner, url.Values{"status": {"active"}}); st != 303 {
		t.Errorf("reactivate: %d", st)
	}
	// B's owner reaches none of it.
	if st, _, _ := get(ui.HostPortal, coursePath, map[string]string{"psid": e.B.Cookie}); st != 404 {
		t.Errorf("B's owner on A's course: %d", st)
	}
}

// courseContractCalls are the courses API's contract requests, on
// tenant A's course fixture.
func (e *tenantEnv) courseContractCalls(calls map[string]contractCall, rk, wk string) {
	a := e.courseFixture(e.A.T, e.A.Owner)
	c := "/api/v1/courses/" + strconv.FormatInt(a.Course.ID, 10)
	mod := strconv.FormatInt(a.Lessons[0].ModuleID, 10)
	calls["getCourses"] = contractCall{ui.HostPortal, "GET", "/api/v1/courses", rk, "", 200}
	calls["postCourses"] = contractCall{ui.HostPortal, "POST", "/api/v1/courses", wk, `{"title":"Negotiation","summary":"Win-win","published":true}`, 201}
	calls["getCoursesId"] = contractCall{ui.HostPortal, "GET", c, rk, "", 200}
	calls["postCoursesIdModules"] = contractCall{ui.HostPortal, "POST", c + "/modules", wk, `{"title":"Advanced"}`, 201}
	calls["postCoursesIdLessons"] = contractCall{ui.HostPortal, "POST", c + "/lessons", wk, `{"module_id":` + mod + `,"title":"Recap","body":"**Done**","drip_date":"2027-02-01"}`, 201}
	calls["postCoursesIdEnrolments"] = contractCall{ui.HostPortal, "POST", c + "/enrolments", wk, `{"email":"api-learner@alpha.test","name":"Api Learner"}`, 201}
	calls["getCoursesIdEngagement"] = contractCall{ui.HostPortal, "GET", c + "/engagement", rk, "", 200}
	calls["getCourseMembers"] = contractCall{ui.HostPortal, "GET", "/api/v1/course-members", rk, "", 200}
	calls["getCourseMembersId"] = contractCall{ui.HostPortal, "GET", "/api/v1/course-members/" + strconv.FormatInt(a.Member.ID, 10), rk, "", 200}
}

// The staff adds a quiz to a lesson; the member fails it (told the score
// and which questions), passes it, finishes the course and downloads a
// certificate whose text names them, the course and the tenant's brand.
func TestCourses_QuizAndCertificate(t *testing.T) {
	e := newTenantEnv(t)
	a := e.courseFixture(e.A.T, e.A.Owner)
	owner := map[string]string{"psid": e.A.Cookie}
	mem := map[string]string{"msid": a.Cookie}
	do := func(method, path string, cookies map[string]string, form url.Values) (int, string, *http.Response) {
		return e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Form: form, Cookies: cookies, CSRF: method == "POST"})
	}
	third := a.Lessons[2]
	edit := "/courses/" + strconv.FormatInt(a.Course.ID, 10) + "/lessons/" + strconv.FormatInt(third.ID, 10)
	form := url.Values{"module_id": {strconv.FormatInt(third.ModuleID, 10)}, "title": {third.Title}, "prerequisite_id": {strconv.FormatInt(third.PrerequisiteID, 10)},
		"quiz": {"? Best time to call?\n- Midnight\n* Mid-morning\n? Good openers?\n* Your name\n* Why you call\n- A joke"}, "pass_mark": {"100"}}
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("quiz", "? Only one option\n* yes")
	if st, body, _ := do("POST", edit, owner, bad); st != 422 || !strings.Contains(body, "Question 1 needs at least two options.") {
		t.Errorf("bad quiz: %d", st)
	}
	if st, _, _ := do("POST", edit, owner, form); st != 303 {
		t.Fatalf("save quiz: %d", st)
	}
	lp := "/learn/lessons/" + strconv.FormatInt(third.ID, 10)
	if st, _, _ := do("POST", "/learn/lessons/"+strconv.FormatInt(a.Lessons[0].ID, 10)+"/complete", mem, nil); st != 303 {
		t.Fatalf("complete lesson 1: %d", st)
	}
	if st, body, _ := do("GET", lp, mem, nil); st != 200 || !strings.Contains(body, `id="quiz-form"`) || strings.Contains(body, `id="complete-form"`) {
		t.Fatalf("quiz lesson: %d", st)
	}
	if st, _, _ := do("POST", lp+"/complete", mem, nil); st != 403 {
		t.Errorf("complete without the quiz: %d", st)
	}
	if st, body, _ := do("POST", lp+"/quiz", mem, url.Values{"q1": {"1"}}); st != 422 || !strings.Contains(body, "Answer question 2.") {
		t.Errorf("unanswered: %d", st)
	}
	if st, body, _ := do("POST", lp+"/quiz", mem, url.Values{"q1": {"1"}, "q2": {"0"}}); st != 200 || !strings.Contains(body, "You scored 50% (1 of 2 right)") || !strings.Contains(body, "Check question 2") {
		t.Errorf("failed attempt: %d %.300s", st, body)
	}
	if st, _, _ := do("POST", lp+"/quiz", mem, url.Values{"q1": {"1"}, "q2": {"0", "1"}}); st != 303 {
		t.Fatalf("passing attempt: %d", st)
	}
	cert := "/learn/c/" + a.Course.Slug + "/certificate"
	if st, body, _ := do("GET", cert, mem, nil); st != 403 || !strings.Contains(body, "Complete every lesson") {
		t.Errorf("certificate before the end: %d", st)
	}
	e.App.Courses.Now = func() time.Time { return time.Now().AddDate(0, 0, 4) }
	t.Cleanup(func() { e.App.Courses.Now = nil })
	if st, _, _ := do("POST", "/learn/lessons/"+strconv.FormatInt(a.Lessons[1].ID, 10)+"/complete", mem, nil); st != 303 {
		t.Fatalf("complete the dripped lesson: %d", st)
	}
	if _, body, _ := do("GET", "/learn/c/"+a.Course.Slug, mem, nil); !strings.Contains(body, `id="certificate-link"`) {
		t.Error("no certificate link on the completed course")
	}
	st, body, resp := do("GET", cert, mem, nil)
	if st != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("certificate: %d %s", st, resp.Header.Get("Content-Type"))
	}
	r, err := pdf.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	rows, err := r.Page(1).GetTextByRow()
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, row := range rows {
		for _, w := range row.Content {
			text.WriteString(w.S)
		}
		text.WriteString("\n")
	}
	for _, w := range []string{e.A.T.BrandName(), a.Member.Name, a.Course.Title, "Certificate of completion"} {
		if !strings.Contains(text.String(), w) {
			t.Errorf("certificate lacks %q:\n%s", w, text.String())
		}
	}
	// B's member has no certificate of A's course.
	b := e.courseFixture(e.B.T, e.B.Owner)
	if st, _, _ := do("GET", cert, map[string]string{"msid": b.Cookie}, nil); st != 404 {
		t.Errorf("B's member on A's certificate: %d", st)
	}
}

// The members' area fires its workflow triggers with the member, course
// and lesson as trigger fields; another tenant's workflows never run.
func TestCourses_WorkflowTriggers(t *testing.T) {
	e := newTenantEnv(t)
	ws := store.NewWorkflowStore(e.DB)
	ctx := context.Background()
	wf := map[string]*app.Workflow{}
	for _, tr := range app.CourseTriggers {
		w := &app.Workflow{TenantID: e.A.T.ID, Name: "On " + tr, Trigger: tr, Enabled: true, Definition: &app.Definition{Steps: []app.Step{{Type: app.StepContact}}}}
		if err := ws.SaveWorkflow(ctx, w); err != nil {
			t.Fatal(err)
		}
		wf[tr] = w
	}
	other := &app.Workflow{TenantID: e.B.T.ID, Name: "B's", Trigger: app.TriggerLessonCompleted, Enabled: true, Definition: &app.Definition{Steps: []app.Step{{Type: app.StepContact}}}}
	if err := ws.SaveWorkflow(ctx, other); err != nil {
		t.Fatal(err)
	}
	a := e.courseFixture(e.A.T, e.A.Owner) // invites and enrols A's learner
	actx := app.NewContextWithTenant(ctx, e.A.T)
	l := *a.Lessons[2]
	l.Quiz, _ = courses.ParseQuiz("? Q?\n* yes\n- no", 100)
	if err := e.App.Courses.UpdateLesson(app.NewContextWithUser(actx, e.A.Owner), a.Course.ID, &l); err != nil {
		t.Fatal(err)
	}
	if _, err := e.App.Courses.CompleteLesson(actx, a.Member, a.Lessons[0].ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.App.Courses.SubmitQuiz(actx, a.Member, l.ID, [][]int{{1}}); err != nil {
		t.Fatal(err)
	}
	runs := func(w *app.Workflow) []*app.Run {
		rs, err := ws.FindRuns(ctx, app.RunFilter{TenantID: w.TenantID, WorkflowID: w.ID, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	for tr, want := range map[string]int{app.TriggerCourseEnrolled: 1, app.TriggerLessonCompleted: 1, app.TriggerQuizFailed: 1, app.TriggerCourseCompleted: 0} {
		rs := runs(wf[tr])
		if len(rs) != want {
			t.Errorf("%s: %d runs, want %d", tr, len(rs), want)
			continue
		}
		if want == 1 && (rs[0].Payload["email"] != a.Member.Email || rs[0].Payload["course_id"] != strconv.FormatInt(a.Course.ID, 10) || rs[0].Payload["person_id"] != strconv.FormatInt(a.Member.PersonID, 10)) {
			t.Errorf("%s payload %v", tr, rs[0].Payload)
		}
	}
	if rs := runs(wf[app.TriggerLessonCompleted]); rs[0].Payload["lesson_id"] != strconv.FormatInt(a.Lessons[0].ID, 10) || rs[0].Payload["lesson_title"] != "Welcome" {
		t.Errorf("lesson_completed payload %v", rs[0].Payload)
	}
	if rs := runs(other); len(rs) != 0 {
		t.Errorf("B's workflow ran %d times on A's member", len(rs))
	}
}

// TestNexus_Courses: Nexus > Courses lists every client's courses with
// their engagement counts, and a course's page shows its drop-off per
// lesson; a tenant's user never reaches either.
func TestNexus_Courses(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	a := e.courseFixture(e.A.T, e.A.Owner)
	b := e.courseFixture(e.B.T, e.B.Owner)
	// A's member completes the first lesson; B's has started nothing.
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, e.A.T), e.A.Owner)
	if _, err := e.App.Courses.CompleteLesson(app.NewContextWithTenant(ctx, e.A.T), a.Member, a.Lessons[0].ID); err != nil {
		t.Fatal(err)
	}
	want, err := e.App.Courses.Engagement(actx, a.Course.ID)
	if err != nil {
		t.Fatal(err)
	}
	admin := map[string]string{"orengen_session": e.AdminCookie}
	st, body, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/courses", Cookies: admin})
	if st != 200 || !strings.Contains(body, a.Course.Title) || !strings.Contains(body, b.Course.Title) || !strings.Contains(body, `href="/courses"`) {
		t.Fatalf("nexus courses: %d %.3000s", st, body)
	}
	row := regexp.MustCompile(`(?s)` + regexp.QuoteMeta(a.Course.Title) + `</a></td><td>Published</td><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>`).FindStringSubmatch(body)
	if row == nil || row[1] != strconv.Itoa(want.Enrolled) || row[2] != strconv.Itoa(want.Started) || want.Enrolled < 1 || want.Started != 1 {
		t.Fatalf("A's course row %v, engagement %+v", row, want)
	}
	path := "/courses/tenants/" + strconv.FormatInt(e.A.T.ID, 10) + "/courses/" + strconv.FormatInt(a.Course.ID, 10)
	st, body, _ = e.do(treq{Host: ui.HostNexus, Method: "GET", Path: path, Cookies: admin})
	if st != 200 || !strings.Contains(body, `id="course-engagement"`) || !strings.Contains(body, "<svg") || !strings.Contains(body, a.Lessons[0].Title) {
		t.Fatalf("nexus course page: %d %.3000s", st, body)
	}
	// B's course under A's tenant id: not found.
	if st, _, _ := e.do(treq{Host: ui.HostNexus, Method: "GET", Path: "/courses/tenants/" + strconv.FormatInt(e.A.T.ID, 10) + "/courses/" + strconv.FormatInt(b.Course.ID, 10), Cookies: admin}); st != 404 {
		t.Fatalf("B's course under A: %d", st)
	}
}

// TestCourses_FormEnrols: a form grants a course. A workflow on one
// form's submissions runs "Enrol in a course"; a visitor submits the
// hosted form and is a member enrolled in the course, with a sign-in
// link mailed that opens it; another form's submission enrols nobody.
func TestCourses_FormEnrols(t *testing.T) {
	e := newTenantEnv(t)
	ctx := context.Background()
	a := e.courseFixture(e.A.T, e.A.Owner)
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, e.A.T), e.A.Owner)
	join := e.newForm(actx, "Join the course")
	news := e.newForm(actx, "Newsletter")
	def := fmt.Sprintf(`{"when":{"form":"form-%d"},"steps":[{"id":"c","type":"contact"},{"id":"e","type":"member_enrol","course":"%s"}]}`, join, a.Course.Slug)
	w, err := e.Server.Automations.SaveDefinition(actx, 0, "Enrol from the form", app.TriggerFormSubmitted, []byte(def), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Server.Automations.SetEnabled(actx, w.ID, true); err != nil {
		t.Fatal(err)
	}
	submit := func(form int64, email string) {
		t.Helper()
		st, body, _ := e.do(treq{Host: "portal", Method: "POST", Path: "/f/" + strconv.FormatInt(form, 10),
			Form: url.Values{"name": {"Sam Student"}, "email": {email}, "_ts": {e.formStamp(form, time.Now().Add(-10*time.Second))}}})
		if st >= 400 {
			t.Fatalf("submit form %d: %d %.500s", form, st, body)
		}
	}
	submit(news, "news@alpha.test")
	submit(join, "sam@alpha.test")
	for {
		more, err := e.App.Engine.RunOnce(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	tctx := app.NewContextWithTenant(ctx, e.A.T)
	m, _, err := e.App.Stores.Courses.FindMemberByEmail(tctx, "sam@alpha.test")
	if err != nil {
		t.Fatalf("the form's visitor is no member: %v", err)
	}
	es, err := e.App.Stores.Courses.FindCourseEnrolments(tctx, a.Course.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(es, func(x *courses.Enrolment) bool { return x.MemberID == m.ID }) {
		t.Fatalf("member %d not enrolled: %+v", m.ID, es)
	}
	if _, _, err := e.App.Stores.Courses.FindMemberByEmail(tctx, "news@alpha.test"); app.ErrorCode(err) != app.ENOTFOUND {
		t.Fatalf("the other form's visitor became a member: %v", err)
	}
	sess, _, err := e.App.Courses.RedeemLink(tctx, e.memberToken("sam@alpha.test"))
	if err != nil {
		t.Fatal(err)
	}
	st, body, _ := e.do(treq{Host: "portal", Method: "GET", Path: "/learn?tenant=" + e.A.T.Slug, Cookies: map[string]string{"msid": sess.ID}})
	if st != 200 || !strings.Contains(body, a.Course.Title) {
		t.Fatalf("the member's area: %d %.1500s", st, body)
	}
}
