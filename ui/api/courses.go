package api

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// Courses API (#24): the key's tenant's courses (list, create, outline),
// modules and lessons, enrolments by email, engagement, and members with
// their progress. Admin keys name the tenant with ?tenant= (default: the
// house tenant).

func (s *Handler) registerCourseAPIRoutes(api fiber.Router) {
	if s.Courses == nil {
		return
	}
	api.Get("/courses", s.apiCourses)
	api.Post("/courses", web.RequireWriteKey, s.apiCourseCreate)
	api.Get("/courses/:id", s.apiCourse)
	api.Post("/courses/:id/modules", web.RequireWriteKey, s.apiCourseModule)
	api.Post("/courses/:id/lessons", web.RequireWriteKey, s.apiCourseLesson)
	api.Post("/courses/:id/enrolments", web.RequireWriteKey, s.apiCourseEnrol)
	api.Get("/courses/:id/engagement", s.apiCourseEngagement)
	api.Get("/course-members", s.apiCourseMembers)
	api.Get("/course-members/:id", s.apiCourseMember)
	if s.Courses.Community != nil {
		api.Post("/course-members/:id/access", web.RequireWriteKey, s.apiMemberAccess)
		api.Put("/course-members/:id/digest", web.RequireWriteKey, s.apiMemberDigest)
	}
	s.registerCourseFileAPIRoutes(api) // course_files.go
}

// courseCtx is the tenant context of a courses API request.
func (s *Handler) courseCtx(c *fiber.Ctx) (context.Context, error) {
	ctx := c.UserContext()
	if k := app.APIKeyFromContext(ctx); k != nil && k.Admin() {
		ref := utils.CopyString(c.Query("tenant"))
		if ref == "" {
			ref = strconv.FormatInt(app.HouseTenantID, 10)
		}
		t, err := s.Tenants.TenantByRef(ctx, ref)
		if err != nil {
			return nil, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
		}
		return app.NewContextWithTenant(ctx, t), nil
	}
	return ctx, nil
}

type apiLesson struct {
	ID             int64  `json:"id"`
	ModuleID       int64  `json:"module_id"`
	Position       int    `json:"position"`
	Title          string `json:"title"`
	Body           string `json:"body"`
	VideoURL       string `json:"video_url"`
	DripDays       int    `json:"drip_days"`
	DripDate       string `json:"drip_date"`
	PrerequisiteID int64  `json:"prerequisite_id"`
}

type apiModule struct {
	ID       int64       `json:"id"`
	Position int         `json:"position"`
	Title    string      `json:"title"`
	Lessons  []apiLesson `json:"lessons"`
}

type apiCourse struct {
	ID            int64       `json:"id"`
	Slug          string      `json:"slug"`
	Title         string      `json:"title"`
	Summary       string      `json:"summary"`
	Description   string      `json:"description"`
	Published     bool        `json:"published"`
	OpenEnrolment bool        `json:"open_enrolment"`
	CreatedAt     time.Time   `json:"created_at"`
	UpdatedAt     time.Time   `json:"updated_at"`
	Modules       []apiModule `json:"modules,omitempty"`
}

func toAPILesson(l *courses.Lesson) apiLesson {
	return apiLesson{l.ID, l.ModuleID, l.Position, l.Title, l.Body, l.VideoURL, l.DripDays, l.DripDate, l.PrerequisiteID}
}

func toAPICourse(c *courses.Course) apiCourse {
	out := apiCourse{c.ID, c.Slug, c.Title, c.Summary, c.Description, c.Published, c.OpenEnrolment, c.CreatedAt, c.UpdatedAt, nil}
	for _, m := range c.Modules {
		am := apiModule{m.ID, m.Position, m.Title, []apiLesson{}}
		for _, l := range m.Lessons {
			am.Lessons = append(am.Lessons, toAPILesson(l))
		}
		out.Modules = append(out.Modules, am)
	}
	return out
}

func (s *Handler) apiCourses(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	cs, err := s.Courses.Courses(ctx)
	if err != nil {
		return err
	}
	out := make([]apiCourse, 0, len(cs))
	for _, cr := range cs {
		out = append(out, toAPICourse(cr))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiCourseInput struct {
	Title         string `json:"title"`
	Slug          string `json:"slug"`
	Summary       string `json:"summary"`
	Description   string `json:"description"`
	Published     bool   `json:"published"`
	OpenEnrolment bool   `json:"open_enrolment"`
}

func (s *Handler) apiCourseCreate(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	var in apiCourseInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	cr := &courses.Course{Title: in.Title, Slug: in.Slug, Summary: in.Summary, Description: in.Description, Published: in.Published, OpenEnrolment: in.OpenEnrolment}
	if err := s.Courses.CreateCourse(ctx, cr); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPICourse(cr)})
}

func (s *Handler) apiCourseID(c *fiber.Ctx) (context.Context, int64, error) {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return nil, 0, err
	}
	id, err := web.ParamID(c, "id")
	return ctx, id, err
}

func (s *Handler) apiCourse(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	cr, err := s.Courses.Course(ctx, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPICourse(cr)})
}

func (s *Handler) apiCourseModule(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in struct {
		Title string `json:"title"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	m, err := s.Courses.AddModule(ctx, id, in.Title)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": apiModule{m.ID, m.Position, m.Title, []apiLesson{}}})
}

func (s *Handler) apiCourseLesson(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in apiLesson
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	l := &courses.Lesson{ModuleID: in.ModuleID, Title: in.Title, Body: in.Body, VideoURL: in.VideoURL, DripDays: in.DripDays, DripDate: in.DripDate, PrerequisiteID: in.PrerequisiteID}
	if err := s.Courses.AddLesson(ctx, id, l); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPILesson(l)})
}

type apiMember struct {
	ID          int64      `json:"id"`
	PersonID    int64      `json:"person_id"`
	Email       string     `json:"email"`
	Name        string     `json:"name"`
	TimeZone    string     `json:"time_zone"`
	Status      string     `json:"status"`
	CreatedAt   time.Time  `json:"created_at"`
	LastLoginAt *time.Time `json:"last_login_at"`
}

func toAPIMember(m *courses.Member) apiMember {
	return apiMember{m.ID, m.PersonID, m.Email, m.Name, m.TimeZone, m.Status, m.CreatedAt, m.LastLoginAt}
}

func (s *Handler) apiCourseEnrol(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in struct {
		Email string `json:"email"`
		Name  string `json:"name"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	m, err := s.Courses.Invite(ctx, in.Email, in.Name, id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPIMember(m)})
}

type apiLessonEngagement struct {
	LessonID  int64  `json:"lesson_id"`
	Title     string `json:"title"`
	Started   int    `json:"started"`
	Completed int    `json:"completed"`
}

func (s *Handler) apiCourseEngagement(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	e, err := s.Courses.Engagement(ctx, id)
	if err != nil {
		return err
	}
	ls := make([]apiLessonEngagement, 0, len(e.Lessons))
	for _, l := range e.Lessons {
		ls = append(ls, apiLessonEngagement{l.LessonID, l.Title, l.Started, l.Completed})
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"enrolled": e.Enrolled, "started": e.Started, "completed": e.Completed, "lessons": ls}})
}

func (s *Handler) apiCourseMembers(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	ms, err := s.Courses.Members(ctx)
	if err != nil {
		return err
	}
	out := make([]apiMember, 0, len(ms))
	for _, m := range ms {
		out = append(out, toAPIMember(m))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiMemberCourse struct {
	CourseID    int64      `json:"course_id"`
	Title       string     `json:"title"`
	EnrolledAt  time.Time  `json:"enrolled_at"`
	CompletedAt *time.Time `json:"completed_at"`
	Done        int        `json:"lessons_completed"`
	Total       int        `json:"lessons"`
	Completed   []int64    `json:"completed_lesson_ids"`
}

func (s *Handler) apiCourseMember(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	m, prog, err := s.Courses.Member(ctx, id)
	if err != nil {
		return err
	}
	cs := make([]apiMemberCourse, 0, len(prog))
	for _, p := range prog {
		mc := apiMemberCourse{p.Course.ID, p.Course.Title, p.Enrolment.EnrolledAt, p.Enrolment.CompletedAt, p.Done, p.Total, []int64{}}
		for _, l := range p.Lessons {
			if l.Completed {
				mc.Completed = append(mc.Completed, l.ID)
			}
		}
		cs = append(cs, mc)
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"member": toAPIMember(m), "courses": cs}})
}

func addCourseAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenantParam := qparam("tenant", "Nexus (admin keys) only: the tenant, ID or slug (default: the house tenant)", str)
	boolean := obj{"type": "boolean"}
	lesson := obj{"id": integ, "module_id": integ, "position": integ, "title": str, "body": obj{"type": "string", "description": "Markdown"},
		"video_url":       obj{"type": "string", "description": "a YouTube or Vimeo link (others are refused)"},
		"drip_days":       obj{"type": "integer", "minimum": 0, "maximum": courses.MaxDripDays, "description": "opens this many days after enrolment, at midnight in the member's time zone"},
		"drip_date":       obj{"type": "string", "description": "YYYY-MM-DD: opens at midnight of that date in the member's time zone (not with drip_days)"},
		"prerequisite_id": obj{"type": "integer", "description": "a lesson of the course to complete first (0: none)"}}
	schemas["Lesson"] = props([]string{"id", "module_id", "position", "title"}, lesson)
	schemas["LessonInput"] = props([]string{"module_id", "title"}, lesson)
	schemas["CourseModule"] = props([]string{"id", "position", "title", "lessons"}, obj{"id": integ, "position": integ, "title": str,
		"lessons": obj{"type": "array", "items": ref("Lesson")}})
	schemas["Course"] = props([]string{"id", "slug", "title", "published", "open_enrolment", "created_at", "updated_at"}, obj{"id": integ,
		"slug": obj{"type": "string", "description": "the landing page is /learn/c/SLUG on the tenant's host"}, "title": str, "summary": str,
		"description": obj{"type": "string", "description": "Markdown of the landing page"}, "published": boolean,
		"open_enrolment": obj{"type": "boolean", "description": "anyone may join from the landing page"}, "created_at": tstamp, "updated_at": tstamp,
		"modules": obj{"type": "array", "items": ref("CourseModule"), "description": "GET /courses/{id} only"}})
	schemas["CourseInput"] = props([]string{"title"}, obj{"title": str, "slug": str, "summary": str, "description": str, "published": boolean, "open_enrolment": boolean})
	schemas["CourseMember"] = props([]string{"id", "email", "status", "created_at"}, obj{"id": integ,
		"person_id": obj{"type": "integer", "description": "the CRM person (tagged member)"}, "email": str, "name": str, "time_zone": str,
		"status": obj{"type": "string", "enum": []string{courses.MemberActive, courses.MemberBanned}}, "created_at": tstamp, "last_login_at": nTime})
	paths["/api/v1/courses"] = obj{"parameters": []obj{tenantParam},
		"get":  obj{"summary": "Courses", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Course")))}, "400")},
		"post": obj{"summary": "Create a course", "requestBody": jsonBody(ref("CourseInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("Course")))}, "400", "403")}}
	paths["/api/v1/courses/{id}"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "A course with its modules and lessons", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("Course")))}, "404")}}
	paths["/api/v1/courses/{id}/modules"] = obj{"parameters": []obj{idParam, tenantParam},
		"post": obj{"summary": "Append a module", "requestBody": jsonBody(props([]string{"title"}, obj{"title": str})),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("CourseModule")))}, "400", "403", "404")}}
	paths["/api/v1/courses/{id}/lessons"] = obj{"parameters": []obj{idParam, tenantParam},
		"post": obj{"summary": "Append a lesson to a module of the course", "requestBody": jsonBody(ref("LessonInput")),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("Lesson")))}, "400", "403", "404")}}
	paths["/api/v1/courses/{id}/enrolments"] = obj{"parameters": []obj{idParam, tenantParam},
		"post": obj{"summary": "Enrol an email (a new member is created as a CRM person tagged member) and email a sign-in link",
			"requestBody": jsonBody(props([]string{"email"}, obj{"email": str, "name": str})),
			"responses":   std(obj{"201": jsonResp("Enrolled", dataOf(ref("CourseMember")))}, "400", "403", "404")}}
	paths["/api/v1/courses/{id}/engagement"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "Enrolled, started and completed members, and per lesson who started and completed it",
			"responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"enrolled", "started", "completed", "lessons"}, obj{"enrolled": integ, "started": integ, "completed": integ,
				"lessons": obj{"type": "array", "items": props([]string{"lesson_id", "title", "started", "completed"}, obj{"lesson_id": integ, "title": str, "started": integ, "completed": integ})}})))}, "404")}}
	paths["/api/v1/course-members"] = obj{"parameters": []obj{tenantParam},
		"get": obj{"summary": "Members of the members' area", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("CourseMember")))}, "400")}}
	paths["/api/v1/course-members/{id}"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "A member and their progress in each course",
			"responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"member", "courses"}, obj{"member": ref("CourseMember"),
				"courses": obj{"type": "array", "items": props([]string{"course_id", "title", "enrolled_at", "lessons_completed", "lessons"}, obj{"course_id": integ, "title": str,
					"enrolled_at": tstamp, "completed_at": nTime, "lessons_completed": integ, "lessons": integ, "completed_lesson_ids": obj{"type": "array", "items": integ}})}})))}, "404")}}
	addCourseFileAPI(paths, schemas, std, idParam, tenantParam)
}

// addCourseFileAPI documents the lesson files API (course_files.go).
func addCourseFileAPI(paths, schemas obj, std func(obj, ...string) obj, idParam, tenantParam obj) {
	lessonParam := obj{"name": "lesson", "in": "path", "required": true, "schema": integ}
	uploadParam := obj{"name": "upload", "in": "path", "required": true, "schema": str}
	schemas["LessonFile"] = props([]string{"id", "lesson_id", "kind", "name", "content_type", "size", "sha256", "url", "created_at"}, obj{"id": integ, "lesson_id": integ,
		"kind":         obj{"type": "string", "enum": []string{courses.FileVideo, courses.FileDownload}, "description": "video: shown in the lesson page (one per lesson, an upload replaces it); download: listed under the lesson"},
		"name":         str,
		"content_type": obj{"type": "string", "description": "decided from the content (video/mp4, video/webm, application/pdf ...)"}, "size": integ, "sha256": str,
		"url": obj{"type": "string", "description": "where members with access to the lesson get it, on the tenant's host (a video with range requests)"}, "created_at": tstamp})
	paths["/api/v1/courses/{id}/lessons/{lesson}/files"] = obj{"parameters": []obj{idParam, lessonParam, tenantParam},
		"get": obj{"summary": "A lesson's uploaded video and downloadable files", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("LessonFile")))}, "404")}}
	paths["/api/v1/courses/{id}/lessons/{lesson}/files/{file}"] = obj{"parameters": []obj{idParam, lessonParam, {"name": "file", "in": "path", "required": true, "schema": integ}, tenantParam},
		"delete": obj{"summary": "Delete a lesson's file", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")}}
	paths["/api/v1/courses/{id}/lessons/{lesson}/uploads"] = obj{"parameters": []obj{idParam, lessonParam, tenantParam,
		qparam("kind", "video (MP4 or WebM) or download (PDF, images, text, Office files)", str), qparam("name", "The file's name.", str), qparam("size", "The file's size in bytes (over the kind's cap: 413).", integ)},
		"post": obj{"summary": "Start a chunked upload of a lesson's video or file", "responses": std(obj{"201": jsonResp("Created", ref("UploadStarted"))}, "400", "403", "404", "413")}}
	paths["/api/v1/courses/{id}/lessons/{lesson}/uploads/{upload}"] = obj{"parameters": []obj{idParam, lessonParam, uploadParam, tenantParam, qparam("offset", "Bytes already sent: the chunk's start.", integ)},
		"post": obj{"summary": "Append a chunk (the raw bytes as the body)", "requestBody": obj{"required": true, "content": obj{"application/octet-stream": obj{"schema": obj{"type": "string", "format": "binary"}}}},
			"responses": std(obj{"200": jsonResp("OK", ref("UploadChunk"))}, "400", "403", "404", "409", "413")}}
	paths["/api/v1/courses/{id}/lessons/{lesson}/uploads/{upload}/finish"] = obj{"parameters": []obj{idParam, lessonParam, uploadParam, tenantParam},
		"post": obj{"summary": "Finish the upload: the content is checked (a video must be MP4 or WebM) and stored as the lesson's file",
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("LessonFile")))}, "400", "403", "404", "409", "413")}}
}

func (s *Handler) apiMemberAccess(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in struct {
		CourseID  int64      `json:"course_id"`
		SpaceID   int64      `json:"space_id"`
		ExpiresAt *time.Time `json:"expires_at"`
		Revoke    bool       `json:"revoke"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	m, err := s.Courses.MemberAccess(ctx, id, in.CourseID, in.SpaceID, in.ExpiresAt, in.Revoke)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"member": toAPIMember(m), "course_id": in.CourseID, "space_id": in.SpaceID, "expires_at": in.ExpiresAt, "revoked": in.Revoke}})
}

func (s *Handler) apiMemberDigest(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in struct {
		Digest string `json:"digest"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	m, err := s.Courses.SetMemberDigest(ctx, id, in.Digest)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"member": toAPIMember(m), "digest": m.Digest}})
}

func addMemberAccessAPI(paths obj, std func(obj, ...string) obj, idParam obj) {
	tenantParam := qparam("tenant", "Nexus (admin keys) only: the tenant, ID or slug (default: the house tenant)", str)
	paths["/api/v1/course-members/{id}/access"] = obj{"parameters": []obj{idParam, tenantParam},
		"post": obj{"summary": "Grant a member a course or a space (until expires_at, or for good), or revoke it (revoke: true; a course ends now)",
			"requestBody": jsonBody(props(nil, obj{"course_id": obj{"type": "integer", "description": "a course (or space_id)"}, "space_id": obj{"type": "integer", "description": "a community space (or course_id)"},
				"expires_at": obj{"description": "the end of access (RFC 3339; null: for good)", "oneOf": []obj{tstamp, {"type": "null"}}}, "revoke": obj{"type": "boolean"}})),
			"responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"member", "course_id", "space_id", "revoked"}, obj{"member": ref("CourseMember"), "course_id": integ, "space_id": integ,
				"expires_at": nTime, "revoked": obj{"type": "boolean"}})))}, "400", "403", "404")}}
	paths["/api/v1/course-members/{id}/digest"] = obj{"parameters": []obj{idParam, tenantParam},
		"put": obj{"summary": "How often the member gets the community email digest",
			"requestBody": jsonBody(props([]string{"digest"}, obj{"digest": obj{"type": "string", "enum": []string{courses.DigestDaily, courses.DigestWeekly, courses.DigestOff}}})),
			"responses":   std(obj{"200": jsonResp("OK", dataOf(props([]string{"member", "digest"}, obj{"member": ref("CourseMember"), "digest": str})))}, "400", "403", "404")}}
}
