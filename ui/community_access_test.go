package ui_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui"
)

func init() {
	for k, v := range map[string]isoLine{
		"portal|POST|/api/v1/course-members/:id/access": {accTenantKeyW, objCourseMember},
		"portal|PUT|/api/v1/course-members/:id/digest":  {accTenantKeyW, objCourseMember},
		"nexus|POST|/api/v1/course-members/:id/access":  {accAdminKeyW, objCourseMember},
		"nexus|PUT|/api/v1/course-members/:id/digest":   {accAdminKeyW, objCourseMember},
	} {
		isolationMatrix[k] = v
	}
}

// The access API grants and revokes a course or a space, with an end,
// and sets a member's digest; bad input names the field.
func TestCommunity_AccessAPI(t *testing.T) {
	e := newTenantEnv(t)
	cf := e.courseFixture(e.A.T, e.A.Owner)
	actx := app.NewContextWithUser(app.NewContextWithTenant(context.Background(), e.A.T), e.A.Owner)
	vip := &courses.Space{Name: "VIP room", Access: courses.AccessTag, Tag: "vip"}
	if err := e.App.Courses.CreateSpace(actx, vip); err != nil {
		t.Fatal(err)
	}
	jane, janeC := e.signInMember(e.A.T, e.A.Owner, "jane@alpha.test", "Jane Doe", 0)
	path := "/api/v1/course-members/" + strconv.FormatInt(jane.ID, 10)
	api := func(method, p, body string) (int, string) {
		t.Helper()
		st, b, _ := e.do(treq{Host: ui.HostPortal, Method: method, Path: p, Bearer: e.A.KeyWrite, JSON: body})
		return st, b
	}
	page := func(p string) string {
		t.Helper()
		_, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: p, Cookies: janeC})
		return body
	}
	soon := time.Now().Add(48 * time.Hour).UTC().Format(time.RFC3339)
	for _, c := range []struct{ body, field string }{
		{`{}`, "course_id"},
		{fmt.Sprintf(`{"course_id":%d,"space_id":%d}`, cf.Course.ID, vip.ID), "course_id"},
		{fmt.Sprintf(`{"space_id":%d,"expires_at":"2001-01-01T00:00:00Z"}`, vip.ID), "expires_at"},
		{`{"space_id":"vip"}`, "space_id"},
		{fmt.Sprintf(`{"course_id":%d}`, e.courseFixture(e.B.T, e.B.Owner).Course.ID), "course_id"},
	} {
		if st, body := api("POST", path+"/access", c.body); st != 400 || !strings.Contains(body, `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s, want 400 naming %s", c.body, st, body, c.field)
		}
	}
	// A space, then revoked.
	if strings.Contains(page("/learn/community"), "vip-room") {
		t.Fatal("Jane sees the VIP room before the grant")
	}
	if st, body := api("POST", path+"/access", fmt.Sprintf(`{"space_id":%d,"expires_at":%q}`, vip.ID, soon)); st != 200 {
		t.Fatalf("grant space: %d %s", st, body)
	}
	if !strings.Contains(page("/learn/community"), "/learn/community/s/vip-room") {
		t.Errorf("granted space not shown")
	}
	if st, _ := api("POST", path+"/access", fmt.Sprintf(`{"space_id":%d,"revoke":true}`, vip.ID)); st != 200 {
		t.Fatalf("revoke space: %d", st)
	}
	if strings.Contains(page("/learn/community"), "vip-room") {
		t.Errorf("revoked space still shown")
	}
	// A course, then revoked: its page says the access ended.
	if st, body := api("POST", path+"/access", fmt.Sprintf(`{"course_id":%d,"expires_at":%q}`, cf.Course.ID, soon)); st != 200 {
		t.Fatalf("grant course: %d %s", st, body)
	}
	lesson := "/learn/lessons/" + strconv.FormatInt(cf.Lessons[0].ID, 10)
	if st, _, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: lesson, Cookies: janeC}); st != 200 {
		t.Errorf("granted lesson: %d", st)
	}
	if st, _ := api("POST", path+"/access", fmt.Sprintf(`{"course_id":%d,"revoke":true}`, cf.Course.ID)); st != 200 {
		t.Fatalf("revoke course: %d", st)
	}
	if st, body, _ := e.do(treq{Host: ui.HostPortal, Method: "GET", Path: lesson, Cookies: janeC}); st != 403 || !strings.Contains(body, "Your access to") {
		t.Errorf("revoked lesson: %d", st)
	}
	// The digest.
	if st, body := api("PUT", path+"/digest", `{"digest":"sometimes"}`); st != 400 || !strings.Contains(body, `"field":"digest"`) {
		t.Errorf("bad digest: %d %s", st, body)
	}
	if st, body := api("PUT", path+"/digest", `{"digest":"weekly"}`); st != 200 || !strings.Contains(body, `"digest":"weekly"`) {
		t.Errorf("digest: %d %s", st, body)
	}
	if !strings.Contains(page("/learn/account"), `value="weekly" selected`) {
		t.Errorf("account page does not show the weekly digest: %s", page("/learn/account"))
	}
}
