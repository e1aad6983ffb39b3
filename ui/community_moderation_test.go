package ui_test

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"orengen/app"
	"orengen/ui"
)

// A comment of tenant B (isolation matrix).
const objComment = "ccomment" // :id a comment

var communityModerationIsolation = map[string]isoLine{
	"portal|POST|/learn/community/posts/:id/edit":           {accMember, objPost},
	"portal|POST|/learn/community/posts/:id/delete":         {accMember, objPost},
	"portal|POST|/learn/community/comments/:id/edit":        {accMember, objComment},
	"portal|POST|/learn/community/comments/:id/delete":      {accMember, objComment},
	"portal|POST|/learn/community/comments/:id/report":      {accMember, objComment},
	"portal|POST|/community/comments/:id/moderate":          {accUser, objComment},
	"portal|POST|/api/v1/community/comments/:id/moderation": {accTenantKeyW, objComment},
	"nexus|POST|/api/v1/community/comments/:id/moderation":  {accAdminKeyW, objComment},
}

func init() {
	for k, v := range communityModerationIsolation {
		isolationMatrix[k] = v
	}
}

// commentFixture is the ID of the comment on the tenant's fixture post.
func (e *tenantEnv) commentFixture(t *app.Tenant, owner *app.User) int64 {
	e.t.Helper()
	side := e.communityFixture(t, owner)
	_, cs, err := e.App.Courses.StaffPost(app.NewContextWithUser(app.NewContextWithTenant(context.Background(), t), owner), side.Post.ID)
	if err != nil || len(cs) == 0 {
		e.t.Fatalf("fixture comment: %v", err)
	}
	return cs[0].ID
}

// Members edit (an "edited" mark, the word filter again) and delete
// their own posts and comments, never others'; they report comments,
// which the staff hide or dismiss from the reports queue, in the portal
// and through the API.
func TestCommunity_Moderation(t *testing.T) {
	e := newTenantEnv(t)
	side := e.communityFixture(e.A.T, e.A.Owner)
	learner := e.courseFixture(e.A.T, e.A.Owner)
	mem := map[string]string{"msid": learner.Cookie}
	_, janeC := e.signInMember(e.A.T, e.A.Owner, "jane@alpha.test", "Jane Doe", 0)
	owner := map[string]string{"psid": e.A.Cookie}
	do := func(method, path string, cookies map[string]string, form url.Values) (int, string) {
		t.Helper()
		st, body, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: path, Form: form, Cookies: cookies, CSRF: method == "POST"})
		return st, body
	}
	if st, _ := do("POST", "/community/settings", owner, url.Values{"banned_words": {"casino"}, "flood_limit": {"50"}}); st != 303 {
		t.Fatalf("settings: %d", st)
	}
	post := "/learn/community/posts/" + strconv.FormatInt(side.Post.ID, 10)

	// The author edits; the page marks it edited; a banned word is refused.
	if _, body := do("GET", post, mem, nil); strings.Contains(body, `class="edited"`) || !strings.Contains(body, `id="edit-post"`) {
		t.Errorf("unedited post page: %s", body)
	}
	if st, _ := do("POST", post+"/edit", mem, url.Values{"title": {"Hello again"}, "body": {"Updated **text**"}}); st != 303 {
		t.Fatalf("edit post: %d", st)
	}
	if _, body := do("GET", post, janeC, nil); !strings.Contains(body, "Updated <strong>text</strong>") || !strings.Contains(body, `<span class="edited">edited</span>`) || strings.Contains(body, `id="edit-post"`) {
		t.Errorf("edited post seen by Jane: %s", body)
	}
	if st, body := do("POST", post+"/edit", mem, url.Values{"body": {"Win at the\nbig casino now"}}); st != 422 || !strings.Contains(body, "“casino” is not allowed in this community (line 2, character 5)") {
		t.Errorf("edit with a banned word: %d", st)
	}
	if st, body := do("POST", post+"/edit", janeC, url.Values{"body": {"mine now"}}); st != 403 || !strings.Contains(body, "You can only change your own posts.") {
		t.Errorf("Jane editing the learner's post: %d", st)
	}
	if st, _ := do("POST", post+"/delete", janeC, nil); st != 403 {
		t.Errorf("Jane deleting the learner's post: %d", st)
	}

	// Jane comments, edits her comment; the learner cannot touch it but
	// reports it (once).
	if st, _ := do("POST", post+"/comments", janeC, url.Values{"body": {"First draft"}}); st != 303 {
		t.Fatalf("comment: %d", st)
	}
	_, cs, err := e.App.Courses.StaffPost(app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner), side.Post.ID)
	if err != nil {
		t.Fatal(err)
	}
	jc := cs[len(cs)-1]
	cpath := "/learn/community/comments/" + strconv.FormatInt(jc.ID, 10)
	if st, _ := do("POST", cpath+"/edit", janeC, url.Values{"body": {"Second thoughts"}}); st != 303 {
		t.Fatalf("edit comment: %d", st)
	}
	if st, body := do("POST", cpath+"/edit", janeC, url.Values{"body": {"casino"}}); st != 422 || !strings.Contains(body, "“casino” is not allowed") {
		t.Errorf("comment edit with a banned word: %d", st)
	}
	_, body := do("GET", post, mem, nil)
	if !strings.Contains(body, "Second thoughts") || strings.Count(body, `<span class="edited">edited</span>`) != 2 {
		t.Errorf("edited comment: %s", body)
	}
	if st, body := do("POST", cpath+"/delete", mem, nil); st != 403 || !strings.Contains(body, "You can only delete your own comments.") {
		t.Errorf("learner deleting Jane's comment: %d", st)
	}
	if st, _ := do("POST", cpath+"/report", mem, url.Values{"reason": {"rude"}}); st != 303 {
		t.Fatalf("report comment: %d", st)
	}
	if st, body := do("POST", cpath+"/report", mem, url.Values{"reason": {"still rude"}}); st != 409 || !strings.Contains(body, "already reported this comment") {
		t.Errorf("second report: %d", st)
	}
	if st, _ := do("POST", cpath+"/report", mem, url.Values{"reason": {""}}); st != 422 {
		t.Errorf("report without a reason: %d", st)
	}

	// The staff's queue lists the comment's report; hiding it closes it
	// and members no longer see the comment.
	_, body = do("GET", "/community", owner, nil)
	if !strings.Contains(body, "Comment Second thoughts") || !strings.Contains(body, "Hide comment") || !strings.Contains(body, "rude") {
		t.Errorf("reports queue: %s", body)
	}
	st, reports, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: "/api/v1/community/reports", Bearer: e.A.KeyRead})
	if st != 200 || !strings.Contains(reports, `"kind":"comment"`) || !strings.Contains(reports, `"comment_id":`+strconv.FormatInt(jc.ID, 10)) {
		t.Errorf("api reports: %d %s", st, reports)
	}
	if st, _ := do("POST", "/community/comments/"+strconv.FormatInt(jc.ID, 10)+"/moderate", owner, url.Values{"action": {"hide"}}); st != 303 {
		t.Fatalf("hide comment: %d", st)
	}
	if _, body := do("GET", post, mem, nil); strings.Contains(body, "Second thoughts") {
		t.Errorf("hidden comment shown to members")
	}
	if _, body := do("GET", "/community", owner, nil); strings.Contains(body, "Comment Second thoughts") {
		t.Errorf("hiding left the report open")
	}
	if st, _ := do("POST", cpath+"/edit", janeC, url.Values{"body": {"sneaky"}}); st != 404 {
		t.Errorf("editing a hidden comment: %d", st)
	}
	api := "/api/v1/community/comments/" + strconv.FormatInt(jc.ID, 10) + "/moderation"
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: api, Bearer: e.A.KeyWrite, JSON: `{"action":"pin"}`}); st != 400 || !strings.Contains(body, "action") {
		t.Errorf("api bad action: %d %s", st, body)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "POST", Path: api, Bearer: e.A.KeyWrite, JSON: `{"action":"unhide"}`}); st != 200 || !strings.Contains(body, `"hidden":false`) || !strings.Contains(body, `"edited":true`) {
		t.Errorf("api unhide: %d %s", st, body)
	}

	// Deleting: Jane's comment (the post's count follows), the learner's post.
	if st, _ := do("POST", cpath+"/delete", janeC, nil); st != 303 {
		t.Fatalf("delete comment: %d", st)
	}
	p, cs, err := e.App.Courses.StaffPost(app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner), side.Post.ID)
	if err != nil || p.Comments != len(cs) || len(cs) != 1 {
		t.Errorf("after deleting: count %d, comments %d (%v)", p.Comments, len(cs), err)
	}
	if st, _ := do("POST", post+"/delete", mem, nil); st != 303 {
		t.Fatalf("delete post: %d", st)
	}
	if st, _ := do("GET", post, mem, nil); st != 404 {
		t.Errorf("deleted post: %d", st)
	}
}
