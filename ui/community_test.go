package ui_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/courses"
	"orengen/store"
	"orengen/ui"
)

// Community objects of tenant B (isolation matrix).
const (
	objSpace     = "cspace"     // :id a space
	objSpaceSlug = "cspaceslug" // :slug a space's address
	objPost      = "cpost"      // :id a post
)

// communityIsolation are the community's lines of the isolation matrix:
// the member pages need a member session, the staff pages a portal user.
var communityIsolation = map[string]isoLine{
	"portal|GET|/learn/community":                          {accMember, ""},
	"portal|GET|/learn/community/members":                  {accMember, ""},
	"portal|GET|/learn/community/s/:slug":                  {accMember, objSpaceSlug},
	"portal|POST|/learn/community/s/:slug":                 {accMember, objSpaceSlug},
	"portal|GET|/learn/community/posts/:id":                {accMember, objPost},
	"portal|POST|/learn/community/posts/:id/comments":      {accMember, objPost},
	"portal|POST|/learn/community/posts/:id/react":         {accMember, objPost},
	"portal|POST|/learn/community/posts/:id/report":        {accMember, objPost},
	"portal|GET|/community":                                {accUser, ""},
	"portal|POST|/community/spaces":                        {accUser, ""},
	"portal|POST|/community/settings":                      {accUser, ""},
	"portal|GET|/community/spaces/:id":                     {accUser, objSpace},
	"portal|POST|/community/spaces/:id":                    {accUser, objSpace},
	"portal|POST|/community/spaces/:id/posts":              {accUser, objSpace},
	"portal|GET|/community/posts/:id":                      {accUser, objPost},
	"portal|POST|/community/posts/:id/moderate":            {accUser, objPost},
	"portal|POST|/community/members/:id/ban":               {accUser, objCourseMember},
	"portal|GET|/learn/unsubscribe":                        {accPublic, ""},
	"portal|POST|/learn/unsubscribe":                       {accPublic, ""},
	"portal|GET|/api/v1/community/spaces":                  {accTenantKey, ""},
	"portal|POST|/api/v1/community/spaces":                 {accTenantKeyW, ""},
	"portal|PATCH|/api/v1/community/spaces/:id":            {accTenantKeyW, objSpace},
	"portal|GET|/api/v1/community/spaces/:id/posts":        {accTenantKey, objSpace},
	"portal|POST|/api/v1/community/spaces/:id/posts":       {accTenantKeyW, objSpace},
	"portal|GET|/api/v1/community/posts/:id":               {accTenantKey, objPost},
	"portal|POST|/api/v1/community/posts/:id/moderation":   {accTenantKeyW, objPost},
	"portal|GET|/api/v1/community/reports":                 {accTenantKey, ""},
	"portal|GET|/api/v1/community/settings":                {accTenantKey, ""},
	"portal|PUT|/api/v1/community/settings":                {accTenantKeyW, ""},
	"portal|POST|/api/v1/course-members/:id/community-ban": {accTenantKeyW, objCourseMember},
	"nexus|GET|/api/v1/community/spaces":                   {accAdminKey, ""},
	"nexus|POST|/api/v1/community/spaces":                  {accAdminKeyW, ""},
	"nexus|PATCH|/api/v1/community/spaces/:id":             {accAdminKeyW, objSpace},
	"nexus|GET|/api/v1/community/spaces/:id/posts":         {accAdminKey, objSpace},
	"nexus|POST|/api/v1/community/spaces/:id/posts":        {accAdminKeyW, objSpace},
	"nexus|GET|/api/v1/community/posts/:id":                {accAdminKey, objPost},
	"nexus|POST|/api/v1/community/posts/:id/moderation":    {accAdminKeyW, objPost},
	"nexus|GET|/api/v1/community/reports":                  {accAdminKey, ""},
	"nexus|GET|/api/v1/community/settings":                 {accAdminKey, ""},
	"nexus|PUT|/api/v1/community/settings":                 {accAdminKeyW, ""},
	"nexus|POST|/api/v1/course-members/:id/community-ban":  {accAdminKeyW, objCourseMember},
}

var isoCommunitySeq int

// isoCommunityRequest gives the community API's writes valid bodies (on
// B's objects), and the admin key's requests ?tenant=B, so they succeed.
func (e *tenantEnv) isoCommunityRequest(r isoRoute, req *treq) {
	switch {
	case strings.HasSuffix(r.Path, "/community-ban"):
		req.JSON = `{"banned":false}` // ?tenant= added by isoCourseRequest
		return
	case strings.HasSuffix(r.Path, "/course-members/:id/access"):
		req.JSON = fmt.Sprintf(`{"space_id":%d,"revoke":true}`, e.communityFixture(e.B.T, e.B.Owner).Space.ID)
		return
	case strings.HasSuffix(r.Path, "/course-members/:id/digest"):
		req.JSON = `{"digest":"weekly"}`
		return
	case !strings.HasPrefix(r.Path, "/api/v1/community/"):
		return
	}
	if strings.HasPrefix(r.Path, "/api/v1/community/comments/") {
		req.JSON = `{"action":"dismiss"}`
		if r.Host == ui.HostNexus {
			req.Path += "?tenant=" + e.B.T.Slug
		}
		return
	}
	if strings.HasPrefix(r.Path, "/api/v1/community/events") {
		e.isoEventRequest(r, req) // community_events_test.go
		if r.Host == ui.HostNexus {
			req.Path += "?tenant=" + e.B.T.Slug
		}
		return
	}
	e.communityFixture(e.B.T, e.B.Owner)
	if r.Host == ui.HostNexus {
		req.Path += "?tenant=" + e.B.T.Slug
	}
	isoCommunitySeq++
	n := strconv.Itoa(isoCommunitySeq)
	switch {
	case r.Method == http.MethodGet:
	case strings.HasSuffix(r.Path, "/settings"):
		req.JSON = `{"banned_words":["casino"],"flood_limit":20}`
	case strings.HasSuffix(r.Path, "/moderation"):
		req.JSON = `{"action":"pin"}`
	case strings.HasSuffix(r.Path, "/posts"):
		req.JSON = `{"body":"Iso post ` + n + `"}`
	case r.Method == http.MethodPatch:
		req.JSON = `{"description":"Iso ` + n + `"}`
	default:
		req.JSON = `{"name":"Iso space ` + n + `"}`
	}
}

func init() {
	for k, v := range communityIsolation {
		isolationMatrix[k] = v
	}
}

// communitySide is one tenant's community fixtures: a space every member
// sees, with a member's post (its text carries the tenant's name, one of
// bMarkers) and a comment.
type communitySide struct {
	Space *courses.Space
	Post  *courses.Post
}

var communityFixtures sync.Map // *tenantEnv -> *sync.Map (tenant ID -> *communitySide)

func (e *tenantEnv) communityFixture(t *app.Tenant, owner *app.User) *communitySide {
	e.t.Helper()
	v, _ := communityFixtures.LoadOrStore(e, &sync.Map{})
	if cs, ok := v.(*sync.Map).Load(t.ID); ok {
		return cs.(*communitySide)
	}
	cf := e.courseFixture(t, owner)
	svc := e.App.Courses
	ctx := app.NewContextWithTenant(context.Background(), t)
	side := &communitySide{Space: &courses.Space{Name: t.Name + " lounge", Slug: t.Slug + "-lounge"}}
	if err := svc.CreateSpace(app.NewContextWithUser(ctx, owner), side.Space); err != nil {
		e.t.Fatal(err)
	}
	var err error
	if side.Post, err = svc.CreatePost(ctx, cf.Member, side.Space.Slug, "Hello", t.Name+" secret post"); err != nil {
		e.t.Fatal(err)
	}
	if _, err := svc.AddComment(ctx, cf.Member, side.Post.ID, t.Name+" secret comment"); err != nil {
		e.t.Fatal(err)
	}
	v.(*sync.Map).Store(t.ID, side)
	return side
}

// communityFill puts B's community objects in a route's path.
func (e *tenantEnv) communityFill(obj, p string) (string, string) {
	b := e.communityFixture(e.B.T, e.B.Owner)
	switch obj {
	case objSpace:
		return strconv.FormatInt(b.Space.ID, 10), p
	case objSpaceSlug:
		return "1", strings.ReplaceAll(p, ":slug", b.Space.Slug)
	case objEvent:
		return e.eventFill(p) // community_events_test.go
	case objComment:
		return strconv.FormatInt(e.commentFixture(e.B.T, e.B.Owner), 10), p // community_moderation_test.go
	}
	return strconv.FormatInt(b.Post.ID, 10), p
}

// communityContractCalls are the community API's contract requests, on
// tenant A's fixtures.
func (e *tenantEnv) communityContractCalls(calls map[string]contractCall, rk, wk string) {
	a := e.communityFixture(e.A.T, e.A.Owner)
	m := e.courseFixture(e.A.T, e.A.Owner).Member
	sp := "/api/v1/community/spaces/" + strconv.FormatInt(a.Space.ID, 10)
	post := "/api/v1/community/posts/" + strconv.FormatInt(a.Post.ID, 10)
	calls["getCommunitySpaces"] = contractCall{ui.HostPortal, "GET", "/api/v1/community/spaces", rk, "", 200}
	calls["postCommunitySpaces"] = contractCall{ui.HostPortal, "POST", "/api/v1/community/spaces", wk, `{"name":"Wins","access":"tag","tag":"vip"}`, 201}
	calls["patchCommunitySpacesId"] = contractCall{ui.HostPortal, "PATCH", sp, wk, `{"description":"Say hi"}`, 200}
	calls["getCommunitySpacesIdPosts"] = contractCall{ui.HostPortal, "GET", sp + "/posts", rk, "", 200}
	calls["postCommunitySpacesIdPosts"] = contractCall{ui.HostPortal, "POST", sp + "/posts", wk, `{"title":"Welcome","body":"**Hello**"}`, 201}
	calls["getCommunityPostsId"] = contractCall{ui.HostPortal, "GET", post, rk, "", 200}
	calls["postCommunityPostsIdModeration"] = contractCall{ui.HostPortal, "POST", post + "/moderation", wk, `{"action":"pin"}`, 200}
	calls["getCommunityReports"] = contractCall{ui.HostPortal, "GET", "/api/v1/community/reports", rk, "", 200}
	calls["getCommunitySettings"] = contractCall{ui.HostPortal, "GET", "/api/v1/community/settings", rk, "", 200}
	calls["putCommunitySettings"] = contractCall{ui.HostPortal, "PUT", "/api/v1/community/settings", wk, `{"banned_words":["casino"],"flood_limit":10}`, 200}
	e.eventContractCalls(calls, rk, wk) // community_events_test.go
	mid := "/api/v1/course-members/" + strconv.FormatInt(m.ID, 10)
	calls["postCourseMembersIdAccess"] = contractCall{ui.HostPortal, "POST", mid + "/access", wk, fmt.Sprintf(`{"space_id":%d,"expires_at":%q}`, a.Space.ID, time.Now().Add(48*time.Hour).UTC().Format(time.RFC3339)), 200}
	calls["putCourseMembersIdDigest"] = contractCall{ui.HostPortal, "PUT", mid + "/digest", wk, `{"digest":"daily"}`, 200}
	calls["postCommunityCommentsIdModeration"] = contractCall{ui.HostPortal, "POST", "/api/v1/community/comments/" + strconv.FormatInt(e.commentFixture(e.A.T, e.A.Owner), 10) + "/moderation", wk, `{"action":"unhide"}`, 200}
	calls["postCourseMembersIdCommunityBan"] = contractCall{ui.HostPortal, "POST", "/api/v1/course-members/" + strconv.FormatInt(m.ID, 10) + "/community-ban", wk, `{"banned":false}`, 200}
}

// signInMember invites email into tenant t's members' area (enrolled in
// courseID unless 0) and returns the member and their session cookie.
func (e *tenantEnv) signInMember(t *app.Tenant, owner *app.User, email, name string, courseID int64) (*courses.Member, map[string]string) {
	e.t.Helper()
	ctx := app.NewContextWithTenant(context.Background(), t)
	m, err := e.App.Courses.Invite(app.NewContextWithUser(ctx, owner), email, name, courseID)
	if err != nil {
		e.t.Fatal(err)
	}
	sess, m, err := e.App.Courses.RedeemLink(ctx, e.memberToken(email))
	if err != nil {
		e.t.Fatal(err)
	}
	return m, map[string]string{"msid": sess.ID}
}

var postIDRE = regexp.MustCompile(`#post-(\d+)$`)

// Staff create spaces (all members, a course's, a tag's); members see the
// spaces meant for them, post in Markdown (rendered safely), mention,
// comment, react, report; the staff hides, pins and bans; the word
// filter and the flood limit refuse with clear messages; a workflow
// listening for "community_posted" runs.
func TestCommunity_MembersTalk(t *testing.T) {
	e := newTenantEnv(t)
	a := e.courseFixture(e.A.T, e.A.Owner)
	owner := map[string]string{"psid": e.A.Cookie}
	do := func(method, path string, cookies map[string]string, form url.Values) (int, string, *http.Response) {
		t.Helper()
		return e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Form: form, Cookies: cookies, CSRF: method == "POST"})
	}
	ws := store.NewWorkflowStore(e.DB)
	wf := &app.Workflow{TenantID: e.A.T.ID, Name: "On post", Trigger: app.TriggerCommunityPosted, Enabled: true, Definition: &app.Definition{Steps: []app.Step{{Type: app.StepContact}}}}
	if err := ws.SaveWorkflow(context.Background(), wf); err != nil {
		t.Fatal(err)
	}

	// Spaces: bad input names the field; three spaces.
	if st, body, _ := do("POST", "/community/spaces", owner, url.Values{"name": {""}}); st != 422 || !strings.Contains(body, "Name required.") {
		t.Errorf("empty name: %d", st)
	}
	if st, body, _ := do("POST", "/community/spaces", owner, url.Values{"name": {"Club"}, "access": {"course"}}); st != 422 || !strings.Contains(body, "Choose the course whose members see this space.") {
		t.Errorf("course space without a course: %d", st)
	}
	mk := func(form url.Values) string {
		t.Helper()
		st, _, resp := do("POST", "/community/spaces", owner, form)
		if st != 303 {
			t.Fatalf("create space %v: %d", form, st)
		}
		return resp.Header.Get("Location")
	}
	mk(url.Values{"name": {"Lounge"}, "description": {"Say hello"}})
	mk(url.Values{"name": {"Course club"}, "access": {"course"}, "course_id": {strconv.FormatInt(a.Course.ID, 10)}})
	vipPath := mk(url.Values{"name": {"VIP room"}, "access": {"tag"}, "tag": {"vip"}})
	if st, body, _ := do("POST", "/community/spaces", owner, url.Values{"name": {"Lounge"}}); st != 422 || !strings.Contains(body, `Another space has the address &#34;lounge&#34;`) {
		t.Errorf("duplicate slug: %d", st)
	}
	if st, _, _ := do("POST", "/community/settings", owner, url.Values{"banned_words": {"casino\nfree money"}, "flood_limit": {"50"}}); st != 303 {
		t.Fatalf("settings: %d", st)
	}
	if st, body, _ := do("POST", "/community/settings", owner, url.Values{"banned_words": {"x"}, "flood_limit": {"0"}}); st != 422 || !strings.Contains(body, "Posts per minute must be between 1 and 100.") {
		t.Errorf("bad flood limit: %d", st)
	}

	// Who sees what: the enrolled member sees the lounge and the course
	// club; Jane (not enrolled) only the lounge; nobody the VIP room.
	mem := map[string]string{"msid": a.Cookie}
	jane, janeC := e.signInMember(e.A.T, e.A.Owner, "jane@alpha.test", "Jane Doe", 0)
	_, body, _ := do("GET", "/learn/community", mem, nil)
	if !strings.Contains(body, "/learn/community/s/lounge") || !strings.Contains(body, "/learn/community/s/course-club") || strings.Contains(body, "vip-room") {
		t.Errorf("member's spaces: %s", body)
	}
	_, body, _ = do("GET", "/learn/community", janeC, nil)
	if !strings.Contains(body, "/learn/community/s/lounge") || strings.Contains(body, "course-club") {
		t.Errorf("Jane's spaces: %s", body)
	}
	if st, _, _ := do("GET", "/learn/community/s/course-club", janeC, nil); st != 404 {
		t.Errorf("Jane on the course club: %d", st)
	}
	if st, _, _ := do("POST", "/learn/community/s/course-club", janeC, url.Values{"body": {"sneaking in"}}); st != 404 {
		t.Errorf("Jane posting in the course club: %d", st)
	}
	// Tagging Jane's CRM person "vip" opens the VIP room to her.
	actx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner)
	if err := e.DB.Update(actx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(actx, `UPDATE crm_people SET tags = json_insert(tags, '$[#]', 'vip') WHERE id = ? AND tenant_id = ?`, jane.PersonID, e.A.T.ID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if st, _, _ := do("GET", "/learn/community/s/vip-room", janeC, nil); st != 200 {
		t.Errorf("tagged Jane on the VIP room: %d", st)
	}
	if st, _, _ := do("GET", "/learn/community/s/vip-room", mem, nil); st != 404 {
		t.Errorf("untagged member on the VIP room: %d", st)
	}

	// Posting: empty refused naming the field; Markdown rendered, raw
	// HTML dropped; the mention reaches Jane.
	if st, body, _ := do("POST", "/learn/community/s/lounge", mem, url.Values{"body": {"  "}}); st != 422 || !strings.Contains(body, "Post required.") {
		t.Errorf("empty post: %d", st)
	}
	st, _, resp := do("POST", "/learn/community/s/lounge", mem, url.Values{"title": {"First day"}, "body": {"Hello **everyone**, @jane.doe welcome! <script>alert(1)</script>"}})
	if st != 303 {
		t.Fatalf("post: %d", st)
	}
	m := postIDRE.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("post location %q", resp.Header.Get("Location"))
	}
	postPath := "/learn/community/posts/" + m[1]
	_, body, _ = do("GET", "/learn/community/s/lounge", janeC, nil)
	if !strings.Contains(body, "<strong>everyone</strong>") || strings.Contains(body, "<script>alert") || !strings.Contains(body, "First day") {
		t.Errorf("feed: %s", body)
	}
	_, body, _ = do("GET", "/learn/community", janeC, nil)
	if !strings.Contains(body, "mentioned you in “First day”") || !strings.Contains(body, postPath) {
		t.Errorf("Jane's mentions: %s", body)
	}

	// Comments and reactions (a reaction toggles).
	if st, _, _ := do("POST", postPath+"/comments", janeC, url.Values{"body": {"Thanks, glad to be here"}}); st != 303 {
		t.Errorf("comment: %d", st)
	}
	if st, _, _ := do("POST", postPath+"/react", janeC, url.Values{"kind": {"celebrate"}}); st != 303 {
		t.Errorf("react: %d", st)
	}
	if st, body, _ := do("POST", postPath+"/react", janeC, url.Values{"kind": {"angry"}}); st != 422 || !strings.Contains(body, "Reaction must be one of") {
		t.Errorf("unknown reaction: %d", st)
	}
	_, body, _ = do("GET", postPath, mem, nil)
	if !strings.Contains(body, "Thanks, glad to be here") || !strings.Contains(body, "🎉 1") {
		t.Errorf("post page: %s", body)
	}
	do("POST", postPath+"/react", janeC, url.Values{"kind": {"celebrate"}})
	if _, body, _ = do("GET", postPath, mem, nil); strings.Contains(body, "🎉 1") {
		t.Errorf("reaction not removed")
	}

	// Word filter: refused naming the word and where; nothing written.
	count := func() int {
		var n int
		if err := e.DB.ReadDB().QueryRow(`SELECT count(*) FROM community_posts WHERE tenant_id = ?`, e.A.T.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	st, body, _ = do("POST", "/learn/community/s/lounge", mem, url.Values{"body": {"Great deals\nat my Casino tonight"}})
	if st != 422 || !strings.Contains(body, "“casino” is not allowed in this community (line 2, character 7).") || !strings.Contains(body, "at my Casino tonight") {
		t.Errorf("banned word: %d", st)
	}
	if st, body, _ := do("POST", postPath+"/comments", janeC, url.Values{"body": {"get FREE MONEY"}}); st != 422 || !strings.Contains(body, "“free money” is not allowed") {
		t.Errorf("banned phrase in a comment: %d", st)
	}
	if count() != before {
		t.Errorf("a refused post was written")
	}

	// Reports: once per member; the staff sees it, hides the post (members
	// no longer see it), shows it again, pins it.
	if st, body, _ := do("POST", postPath+"/report", janeC, url.Values{"reason": {""}}); st != 422 || !strings.Contains(body, "Reason required.") {
		t.Errorf("report without reason: %d", st)
	}
	if st, _, _ := do("POST", postPath+"/report", janeC, url.Values{"reason": {"Off topic"}}); st != 303 {
		t.Errorf("report: %d", st)
	}
	if st, body, _ := do("POST", postPath+"/report", janeC, url.Values{"reason": {"again"}}); st != 409 || !strings.Contains(body, "already reported") {
		t.Errorf("second report: %d", st)
	}
	_, body, _ = do("GET", "/community", owner, nil)
	if !strings.Contains(body, "Off topic") || !strings.Contains(body, "First day") {
		t.Errorf("reports queue: %s", body)
	}
	mod := "/community/posts/" + m[1] + "/moderate"
	if st, _, _ := do("POST", mod, owner, url.Values{"action": {"hide"}}); st != 303 {
		t.Errorf("hide: %d", st)
	}
	if st, _, _ := do("GET", postPath, janeC, nil); st != 404 {
		t.Errorf("hidden post: %d", st)
	}
	if _, body, _ = do("GET", "/learn/community/s/lounge", janeC, nil); strings.Contains(body, "First day") {
		t.Errorf("hidden post in the feed")
	}
	if _, body, _ = do("GET", "/community", owner, nil); strings.Contains(body, "Off topic") {
		t.Errorf("hiding left the report open")
	}
	if _, body, _ = do("GET", "/community/posts/"+m[1], owner, nil); !strings.Contains(body, "hidden</strong> from members") {
		t.Errorf("staff view of a hidden post: %s", body)
	}
	do("POST", mod, owner, url.Values{"action": {"unhide"}})
	do("POST", mod, owner, url.Values{"action": {"pin"}})
	if _, body, _ = do("GET", "/learn/community/s/lounge", janeC, nil); !strings.Contains(body, `<div id="pinned"><article class="post pinned" id="post-`+m[1]) {
		t.Errorf("pinned post not on top: %s", body)
	}
	if st, _, _ := do("POST", mod, owner, url.Values{"action": {"explode"}}); st != 422 && st != 400 {
		t.Errorf("unknown action: %d", st)
	}

	// The staff posts as the team.
	if st, _, _ := do("POST", vipPath+"/posts", owner, url.Values{"body": {"Welcome, VIPs"}}); st != 303 {
		t.Errorf("staff post: %d", st)
	}
	if _, body, _ = do("GET", "/learn/community/s/vip-room", janeC, nil); !strings.Contains(body, "Welcome, VIPs") || !strings.Contains(body, `<span class="badge">Team</span>`) {
		t.Errorf("team post: %s", body)
	}

	// A ban: the member is told, writes nothing, still learns.
	ban := "/community/members/" + strconv.FormatInt(a.Member.ID, 10) + "/ban"
	if st, _, _ := do("POST", ban, owner, url.Values{"banned": {"1"}}); st != 303 {
		t.Fatalf("ban: %d", st)
	}
	st, body, _ = do("POST", "/learn/community/s/lounge", mem, url.Values{"body": {"let me in"}})
	if st != 403 || !strings.Contains(body, "You have been banned from this community") {
		t.Errorf("banned member posting: %d", st)
	}
	if st, _, _ := do("POST", postPath+"/react", mem, url.Values{"kind": {"like"}}); st != 403 {
		t.Errorf("banned member reacting: %d", st)
	}
	if st, _, _ := do("GET", "/learn/lessons/"+strconv.FormatInt(a.Lessons[0].ID, 10), mem, nil); st != 200 {
		t.Errorf("banned member's lesson: %d", st)
	}
	if _, body, _ = do("GET", "/courses/members/"+strconv.FormatInt(a.Member.ID, 10), owner, nil); !strings.Contains(body, "Lift the community ban") {
		t.Errorf("member page without the ban")
	}
	do("POST", ban, owner, url.Values{"banned": {"0"}})
	if st, _, _ := do("POST", "/learn/community/s/lounge", mem, url.Values{"body": {"back again"}}); st != 303 {
		t.Errorf("post after the ban is lifted: %d", st)
	}

	// Flood: a fresh member at 2 a minute; the third is told to wait.
	if st, _, _ := do("POST", "/community/settings", owner, url.Values{"banned_words": {"casino"}, "flood_limit": {"2"}}); st != 303 {
		t.Fatalf("settings: %d", st)
	}
	_, floC := e.signInMember(e.A.T, e.A.Owner, "flo@alpha.test", "Flo", 0)
	for i := 1; i <= 2; i++ {
		if st, _, _ := do("POST", "/learn/community/s/lounge", floC, url.Values{"body": {fmt.Sprintf("post %d", i)}}); st != 303 {
			t.Fatalf("flo's post %d: %d", i, st)
		}
	}
	st, body, resp = do("POST", "/learn/community/s/lounge", floC, url.Values{"body": {"post 3"}})
	if st != 429 || !regexp.MustCompile(`Wait \d+ seconds and try again`).MatchString(body) || resp.Header.Get("Retry-After") == "" {
		t.Errorf("flood: %d %q", st, resp.Header.Get("Retry-After"))
	}

	// Directory: Jane by handle, until she opts out (she still sees herself).
	if _, body, _ = do("GET", "/learn/community/members", mem, nil); !strings.Contains(body, "@jane.doe") || strings.Contains(body, "jane@alpha.test") {
		t.Errorf("directory: %s", body)
	}
	if st, _, _ := do("POST", "/learn/account", janeC, url.Values{"name": {"Jane Doe"}, "time_zone": {"UTC"}, "hide_directory": {"1"}}); st != 303 {
		t.Errorf("account: %d", st)
	}
	if _, body, _ = do("GET", "/learn/community/members", mem, nil); strings.Contains(body, "@jane.doe") {
		t.Errorf("opted-out Jane in the directory")
	}

	// The workflow ran for each member's post, with the post's fields.
	rs, err := ws.FindRuns(context.Background(), app.RunFilter{TenantID: e.A.T.ID, WorkflowID: wf.ID, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range rs {
		if r.Payload["post_id"] == m[1] && r.Payload["space_slug"] == "lounge" && r.Payload["email"] == a.Member.Email && r.Payload["post_title"] == "First day" {
			found = true
		}
	}
	if !found || len(rs) != 4 { // first day, back again, flo's two
		t.Errorf("posted runs: %d, first found %v", len(rs), found)
	}
}

// The feed pages newest first by keyset: 45 posts are three pages with
// no post twice, each page linking the next; a bad cursor names it.
func TestCommunity_FeedKeyset(t *testing.T) {
	e := newTenantEnv(t)
	a := e.courseFixture(e.A.T, e.A.Owner)
	ctx := app.NewContextWithTenant(context.Background(), e.A.T)
	sp := &courses.Space{Name: "Busy"}
	if err := e.App.Courses.CreateSpace(app.NewContextWithUser(ctx, e.A.Owner), sp); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 45; i++ {
		if err := e.App.Courses.Community.CreatePost(ctx, &courses.Post{SpaceID: sp.ID, MemberID: a.Member.ID, AuthorName: "x", Body: fmt.Sprintf("message-%02d.", i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	cookie := map[string]string{"msid": a.Cookie}
	path := "/learn/community/s/busy"
	var seen []int
	olderRE := regexp.MustCompile(`href="(/learn/community/s/busy\?before=\d+)" id="older"`)
	msgRE := regexp.MustCompile(`message-(\d\d)\.`)
	for page := 0; path != "" && page < 5; page++ {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: cookie})
		if st != 200 {
			t.Fatalf("%s: %d", path, st)
		}
		for _, m := range msgRE.FindAllStringSubmatch(body, -1) {
			n, _ := strconv.Atoi(m[1])
			seen = append(seen, n)
		}
		path = ""
		if m := olderRE.FindStringSubmatch(body); m != nil {
			path = m[1]
		}
	}
	if len(seen) != 45 {
		t.Fatalf("saw %d posts: %v", len(seen), seen)
	}
	for i, n := range seen {
		if n != 45-i {
			t.Fatalf("order: %v", seen)
		}
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/learn/community/s/busy?before=abc", Cookies: cookie}); st != 422 && st != 400 || !strings.Contains(body, "cursor") {
		t.Errorf("bad cursor: %d", st)
	}
}

// The staff's API: a space, team posts paged by cursor, moderation
// (a hidden post leaves the members' feed), bad input naming the field,
// settings and a ban that refuses the member's next post.
func TestCommunity_API(t *testing.T) {
	e := newTenantEnv(t)
	a := e.courseFixture(e.A.T, e.A.Owner)
	api := func(method, path, body string) (int, string) {
		t.Helper()
		st, b, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, JSON: body, Bearer: e.A.KeyWrite})
		return st, b
	}
	if st, body := api("POST", "/api/v1/community/spaces", `{"name":"Club","access":"course","course_id":999999}`); st != 400 && st != 422 || !strings.Contains(body, `"course_id"`) {
		t.Errorf("another course: %d %s", st, body)
	}
	st, body := api("POST", "/api/v1/community/spaces", `{"name":"Announcements"}`)
	idRE := regexp.MustCompile(`"id":(\d+)`)
	if st != 201 || idRE.FindStringSubmatch(body) == nil {
		t.Fatalf("create: %d %s", st, body)
	}
	sp := "/api/v1/community/spaces/" + idRE.FindStringSubmatch(body)[1]
	var first string
	for i := 1; i <= 25; i++ {
		st, body := api("POST", sp+"/posts", fmt.Sprintf(`{"body":"news %d"}`, i))
		if st != 201 {
			t.Fatalf("post %d: %d %s", i, st, body)
		}
		if i == 1 {
			first = idRE.FindStringSubmatch(body)[1]
		}
	}
	st, body = api("GET", sp+"/posts", "")
	cur := regexp.MustCompile(`"next_cursor":"(\d+)"`).FindStringSubmatch(body)
	if st != 200 || strings.Count(body, `"author_name"`) != 20 || !strings.Contains(body, "news 25") || cur == nil {
		t.Fatalf("page 1: %d %s", st, body)
	}
	st, body = api("GET", sp+"/posts?cursor="+cur[1], "")
	if st != 200 || strings.Count(body, `"author_name"`) != 5 || !strings.Contains(body, `"news 1"`) || !strings.Contains(body, `"next_cursor":null`) {
		t.Errorf("page 2: %d %s", st, body)
	}
	if st, body := api("POST", "/api/v1/community/posts/"+first+"/moderation", `{"action":"delete"}`); st != 400 && st != 422 || !strings.Contains(body, `"action"`) {
		t.Errorf("bad action: %d %s", st, body)
	}
	if st, body := api("POST", "/api/v1/community/posts/"+first+"/moderation", `{"action":"hide"}`); st != 200 || !strings.Contains(body, `"hidden":true`) {
		t.Errorf("hide: %d %s", st, body)
	}
	_, page, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/learn/community/s/announcements?before=" + cur[1], Cookies: map[string]string{"msid": a.Cookie}})
	if strings.Contains(page, "news 1<") || !strings.Contains(page, "news 2<") {
		t.Errorf("members' feed after hiding: %s", page)
	}
	if st, body := api("PUT", "/api/v1/community/settings", `{"banned_words":["casino"],"flood_limit":500}`); st != 400 && st != 422 || !strings.Contains(body, `"flood_limit"`) {
		t.Errorf("bad flood limit: %d %s", st, body)
	}
	if st, body := api("PUT", "/api/v1/community/settings", `{"banned_words":["Casino"," "],"flood_limit":10}`); st != 200 || !strings.Contains(body, `"banned_words":["casino"]`) {
		t.Errorf("settings: %d %s", st, body)
	}
	ban := "/api/v1/course-members/" + strconv.FormatInt(a.Member.ID, 10) + "/community-ban"
	if st, body := api("POST", ban, `{}`); st != 400 && st != 422 || !strings.Contains(body, `"banned"`) {
		t.Errorf("ban without banned: %d %s", st, body)
	}
	if st, body := api("POST", ban, `{"banned":true}`); st != 200 || !strings.Contains(body, `"community_banned":true`) {
		t.Errorf("ban: %d %s", st, body)
	}
	st, _, _ = e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/learn/community/s/announcements", Form: url.Values{"body": {"hi"}}, Cookies: map[string]string{"msid": a.Cookie}, CSRF: true})
	if st != 403 {
		t.Errorf("banned member posting: %d", st)
	}
	if st, _ := api("GET", "/api/v1/community/spaces", ""); st != 200 {
		t.Errorf("list: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: sp + "/posts", JSON: `{"body":"x"}`, Bearer: e.A.KeyRead}); st != 403 {
		t.Errorf("read key posting: %d", st)
	}
}

// The digest: a member gets the new posts of their spaces, the replies to
// their posts and their mentions, once per period (a second run, as after
// a restart, sends nothing), never another tenant's posts; weekly members
// wait a week; the unsubscribe link (confirmed by a button) stops it.
func TestCommunity_Digest(t *testing.T) {
	e := newTenantEnv(t)
	a := e.communityFixture(e.A.T, e.A.Owner)
	e.communityFixture(e.B.T, e.B.Owner) // B's post must never reach A's members
	svc := e.App.Courses
	actx := app.NewContextWithTenant(context.Background(), e.A.T)
	learner := e.courseFixture(e.A.T, e.A.Owner).Member
	jane, janeC := e.signInMember(e.A.T, e.A.Owner, "jane@alpha.test", "Jane Doe", 0)
	wes, _ := e.signInMember(e.A.T, e.A.Owner, "wes@alpha.test", "Wes Weekly", 0)
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/learn/account", Cookies: janeC, CSRF: true,
		Form: url.Values{"name": {"Jane Doe"}, "time_zone": {"UTC"}, "digest": {"sometimes"}}}); st != 422 {
		t.Errorf("bad digest choice: %d", st)
	}
	if err := svc.SetDigest(actx, wes, courses.DigestWeekly); err != nil {
		t.Fatal(err)
	}
	// Jane posts; the learner replies and mentions her; the learner posts.
	jp, err := svc.CreatePost(actx, jane, a.Space.Slug, "Jane's question", "How do I start?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.AddComment(actx, learner, jp.ID, "Start with lesson one, @jane.doe"); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.CreatePost(actx, learner, a.Space.Slug, "Weekly wins", "I closed a deal"); err != nil {
		t.Fatal(err)
	}
	at := func(d time.Duration) {
		now := time.Now().Add(d)
		svc.Now = func() time.Time { return now }
	}
	defer func() { svc.Now = nil }()
	digests := func(to string) []string {
		msgs, _, err := e.Outbox.FindOutboxMessages(context.Background(), 200)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, m := range msgs {
			if m.To == to && strings.Contains(m.Subject, "community") {
				out = append(out, m.Body)
			}
		}
		return out
	}
	at(25 * time.Hour)
	n, err := svc.SendDigests(context.Background())
	if err != nil || n == 0 {
		t.Fatalf("digests: %d %v", n, err)
	}
	if n2, err := svc.SendDigests(context.Background()); err != nil || n2 != 0 {
		t.Errorf("second run sent %d (%v)", n2, err)
	}
	jd := digests("jane@alpha.test")
	if len(jd) != 1 {
		t.Fatalf("Jane's digests: %d", len(jd))
	}
	for _, want := range []string{"Mentions of you", "mentioned you in “Jane's question”", "Replies to your posts", "Start with lesson one",
		"New posts in your spaces", "Weekly wins", "/learn/community/posts/", "/learn/unsubscribe?token="} {
		if !strings.Contains(jd[0], want) {
			t.Errorf("Jane's digest lacks %q:\n%s", want, jd[0])
		}
	}
	if strings.Contains(jd[0], "How do I start?") || strings.Contains(jd[0], e.B.T.Name) {
		t.Errorf("Jane's digest has her own post or B's:\n%s", jd[0])
	}
	if bd := digests(e.courseFixture(e.B.T, e.B.Owner).Member.Email); len(bd) != 0 && strings.Contains(bd[0], "Weekly wins") {
		t.Errorf("B's member got A's posts")
	}
	if len(digests("wes@alpha.test")) != 0 {
		t.Errorf("weekly member got a daily digest")
	}
	at(8 * 24 * time.Hour)
	svc.SendDigests(context.Background())
	if wd := digests("wes@alpha.test"); len(wd) != 1 || !strings.Contains(wd[0], "this week") {
		t.Errorf("Wes's weekly digest: %q", wd)
	}
	// Unsubscribe: the link's page asks first; a wrong token is refused.
	tok := regexp.MustCompile(`/learn/unsubscribe\?token=([A-Za-z0-9_-]+)&tenant=`).FindStringSubmatch(jd[0])
	if tok == nil {
		t.Fatal("no unsubscribe token")
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/learn/unsubscribe?token=" + tok[1] + "&tenant=" + e.A.T.Slug}); st != 200 || !strings.Contains(body, "unsubscribe-form") {
		t.Errorf("unsubscribe page: %d", st)
	}
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/learn/unsubscribe?tenant=" + e.B.T.Slug, Form: url.Values{"token": {tok[1]}}, CSRF: true}); st != 404 {
		t.Errorf("A's token on B: %d", st)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: "/learn/unsubscribe?tenant=" + e.A.T.Slug, Form: url.Values{"token": {tok[1]}}, CSRF: true}); st != 200 || !strings.Contains(body, "You will no longer get the community digest") {
		t.Errorf("unsubscribe: %d", st)
	}
	if _, err := svc.CreatePost(actx, learner, a.Space.Slug, "More news", "x"); err != nil {
		t.Fatal(err)
	}
	at(10 * 24 * time.Hour)
	svc.SendDigests(context.Background())
	if len(digests("jane@alpha.test")) != 1 {
		t.Errorf("Jane got a digest after unsubscribing")
	}
}

// Workflow steps (end to end): a run enrols its contact in a course with
// an end date (a member made, a sign-in link mailed), grants a space,
// revokes it; a course whose access ended says so on its page.
func TestCommunity_AccessSteps(t *testing.T) {
	e := newTenantEnv(t)
	a := e.courseFixture(e.A.T, e.A.Owner)
	ctx := context.Background()
	actx := app.NewContextWithUser(app.NewContextWithTenant(ctx, e.A.T), e.A.Owner)
	vip := &courses.Space{Name: "VIP", Access: courses.AccessTag, Tag: "vip"}
	if err := e.App.Courses.CreateSpace(actx, vip); err != nil {
		t.Fatal(err)
	}
	if _, err := app.ParseDefinition([]byte(`{"steps":[{"type":"member_grant","course":"x","space":"y"}]}`)); err == nil || !strings.Contains(app.ErrorMessage(err), "either a course or a space") {
		t.Errorf("grant with both: %v", err)
	}
	ws := store.NewWorkflowStore(e.DB)
	run := func(steps string) {
		t.Helper()
		def, err := app.ParseDefinition([]byte(`{"steps":[{"type":"contact"},` + steps + `]}`))
		if err != nil {
			t.Fatal(err)
		}
		w := &app.Workflow{TenantID: e.A.T.ID, Name: fmt.Sprintf("Access %d", len(steps)), Trigger: app.TriggerWebhook, Enabled: true, Definition: def}
		if err := ws.SaveWorkflow(ctx, w); err != nil {
			t.Fatal(err)
		}
		if _, err := e.App.Automations.Trigger(ctx, e.A.T.ID, app.TriggerWebhook, []byte(`{"email":"buyer@alpha.test","first_name":"Bea","last_name":"Buyer"}`)); err != nil {
			t.Fatal(err)
		}
		for {
			more, err := e.App.Engine.RunOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				break
			}
		}
		rs, err := ws.FindRuns(ctx, app.RunFilter{TenantID: e.A.T.ID, WorkflowID: w.ID, Limit: 5})
		if err != nil || len(rs) != 1 || rs[0].Status != app.RunSucceeded {
			t.Fatalf("run of %s: %+v %v", steps, rs, err)
		}
		w.Enabled = false // the next trigger runs only the next workflow
		if err := ws.SaveWorkflow(ctx, w); err != nil {
			t.Fatal(err)
		}
	}
	run(`{"type":"member_enrol","course":"` + a.Course.Slug + `","days":30},{"type":"member_grant","space":"` + vip.Slug + `"}`)
	if _, _, err := e.App.Stores.Courses.FindMemberByEmail(app.NewContextWithTenant(ctx, e.A.T), "buyer@alpha.test"); err != nil {
		t.Fatalf("member not made: %v", err)
	}
	sess, _, err := e.App.Courses.RedeemLink(app.NewContextWithTenant(ctx, e.A.T), e.memberToken("buyer@alpha.test"))
	if err != nil {
		t.Fatal(err)
	}
	cookie := map[string]string{"msid": sess.ID}
	get := func(path string) (int, string) {
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: path, Cookies: cookie})
		return st, body
	}
	if st, _ := get("/learn/lessons/" + strconv.FormatInt(a.Lessons[0].ID, 10)); st != 200 {
		t.Errorf("enrolled buyer's lesson: %d", st)
	}
	if st, _ := get("/learn/community/s/" + vip.Slug); st != 200 {
		t.Errorf("granted space: %d", st)
	}
	run(`{"type":"member_revoke","space":"` + vip.Slug + `"},{"type":"member_revoke","course":"` + a.Course.Slug + `"}`)
	if st, _ := get("/learn/community/s/" + vip.Slug); st != 404 {
		t.Errorf("revoked space: %d", st)
	}
	if st, body := get("/learn/c/" + a.Course.Slug); st != 200 || !strings.Contains(body, "Your access to "+a.Course.Title+" ended on") {
		t.Errorf("ended course page: %d", st)
	}
	if st, body := get("/learn/lessons/" + strconv.FormatInt(a.Lessons[0].ID, 10)); st != 403 || !strings.Contains(body, "ended on") {
		t.Errorf("ended lesson: %d", st)
	}
}
