package api

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
	"orengen/app/courses"
	"orengen/ui/web"
)

// Community API (#24): the key's tenant's community spaces (list,
// create, edit, archive), a space's feed (newest first, keyset cursor,
// hidden posts included), posts as the team, a post with its comments,
// moderation (hide, unhide, pin, unpin, dismiss reports), open reports,
// the word filter and flood limit, and community bans of members. Admin
// keys name the tenant with ?tenant=.

func (s *Handler) registerCommunityAPIRoutes(api fiber.Router) {
	if s.Courses == nil || s.Courses.Community == nil {
		return
	}
	api.Get("/community/spaces", s.apiSpaces)
	api.Post("/community/spaces", web.RequireWriteKey, s.apiSpaceCreate)
	api.Patch("/community/spaces/:id", web.RequireWriteKey, s.apiSpaceUpdate)
	api.Get("/community/spaces/:id/posts", s.apiSpacePosts)
	api.Post("/community/spaces/:id/posts", web.RequireWriteKey, s.apiSpacePost)
	api.Get("/community/posts/:id", s.apiPost)
	api.Post("/community/posts/:id/moderation", web.RequireWriteKey, s.apiModerate)
	api.Get("/community/reports", s.apiReports)
	api.Get("/community/settings", s.apiCommunitySettings)
	api.Put("/community/settings", web.RequireWriteKey, s.apiCommunitySettingsSave)
	api.Post("/course-members/:id/community-ban", web.RequireWriteKey, s.apiCommunityBan)
	api.Post("/community/comments/:id/moderation", web.RequireWriteKey, s.apiModerateComment)
}

type apiSpace struct {
	ID          int64      `json:"id"`
	Slug        string     `json:"slug"`
	Name        string     `json:"name"`
	Description string     `json:"description"`
	Access      string     `json:"access"`
	CourseID    int64      `json:"course_id"`
	Tag         string     `json:"tag"`
	Archived    bool       `json:"archived"`
	ArchivedAt  *time.Time `json:"archived_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

func toAPISpace(sp *courses.Space) apiSpace {
	return apiSpace{sp.ID, sp.Slug, sp.Name, sp.Description, sp.Access, sp.CourseID, sp.Tag, sp.ArchivedAt != nil, sp.ArchivedAt, sp.CreatedAt}
}

type apiPost struct {
	ID         int64          `json:"id"`
	SpaceID    int64          `json:"space_id"`
	MemberID   int64          `json:"member_id"`
	AuthorName string         `json:"author_name"`
	Title      string         `json:"title"`
	Body       string         `json:"body"`
	Pinned     bool           `json:"pinned"`
	Hidden     bool           `json:"hidden"`
	Comments   int            `json:"comments"`
	Reactions  map[string]int `json:"reactions"`
	Edited     bool           `json:"edited"`
	CreatedAt  time.Time      `json:"created_at"`
}

func toAPIPost(p *courses.Post) apiPost {
	r := p.Reactions
	if r == nil {
		r = map[string]int{}
	}
	return apiPost{p.ID, p.SpaceID, p.MemberID, p.AuthorName, p.Title, p.Body, p.Pinned, p.HiddenAt != nil, p.Comments, r, p.EditedAt != nil, p.CreatedAt}
}

func (s *Handler) apiSpaces(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	sps, err := s.Courses.Spaces(ctx)
	if err != nil {
		return err
	}
	out := make([]apiSpace, 0, len(sps))
	for _, sp := range sps {
		out = append(out, toAPISpace(sp))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiSpaceInput struct {
	Name        *string `json:"name"`
	Slug        *string `json:"slug"`
	Description *string `json:"description"`
	Access      *string `json:"access"`
	CourseID    *int64  `json:"course_id"`
	Tag         *string `json:"tag"`
	Archived    *bool   `json:"archived"`
}

// apply sets the fields present in the input.
func (in *apiSpaceInput) apply(sp *courses.Space) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&sp.Name, in.Name)
	set(&sp.Slug, in.Slug)
	set(&sp.Description, in.Description)
	set(&sp.Access, in.Access)
	set(&sp.Tag, in.Tag)
	if in.CourseID != nil {
		sp.CourseID = *in.CourseID
	}
	if in.Archived != nil {
		if !*in.Archived {
			sp.ArchivedAt = nil
		} else if sp.ArchivedAt == nil {
			now := time.Now()
			sp.ArchivedAt = &now
		}
	}
}

func (s *Handler) apiSpaceCreate(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	var in apiSpaceInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	sp := &courses.Space{}
	in.Archived = nil
	in.apply(sp)
	if err := s.Courses.CreateSpace(ctx, sp); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPISpace(sp)})
}

func (s *Handler) apiSpaceUpdate(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in apiSpaceInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	sp, err := s.Courses.Space(ctx, id)
	if err != nil {
		return err
	}
	in.apply(sp)
	if err := s.Courses.UpdateSpace(ctx, sp); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISpace(sp)})
}

func (s *Handler) apiSpacePosts(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var before int64
	if v := c.Query("cursor"); v != "" {
		if before, err = strconv.ParseInt(v, 10, 64); err != nil || before < 1 {
			return app.FieldErrorf("cursor", "The cursor must be the next_cursor of the previous page.")
		}
	}
	_, f, err := s.Courses.SpaceFeed(ctx, id, before)
	if err != nil {
		return err
	}
	out := make([]apiPost, 0, len(f.Posts))
	for _, p := range f.Posts {
		out = append(out, toAPIPost(p))
	}
	var next any
	if f.Next != 0 {
		next = strconv.FormatInt(f.Next, 10)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": next})
}

func (s *Handler) apiSpacePost(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in struct {
		Title string `json:"title"`
		Body  string `json:"body"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	p, err := s.Courses.CreateStaffPost(ctx, id, in.Title, in.Body)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPIPost(p)})
}

type apiComment struct {
	ID         int64     `json:"id"`
	MemberID   int64     `json:"member_id"`
	AuthorName string    `json:"author_name"`
	Body       string    `json:"body"`
	Hidden     bool      `json:"hidden"`
	Edited     bool      `json:"edited"`
	CreatedAt  time.Time `json:"created_at"`
}

func (s *Handler) apiPost(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	p, cs, err := s.Courses.StaffPost(ctx, id)
	if err != nil {
		return err
	}
	out := make([]apiComment, 0, len(cs))
	for _, cm := range cs {
		out = append(out, toAPIComment(cm))
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"post": toAPIPost(p), "comments": out}})
}

func (s *Handler) apiModerate(c *fiber.Ctx) error {
	return moderate(s, c, s.Courses.Moderate, toAPIPost)
}

// moderate reads {"action": ...} for the post or comment of the path,
// applies it and answers the moderated record.
func moderate[T, Out any](s *Handler, c *fiber.Ctx, act func(ctx context.Context, id int64, action string) (T, error), toAPI func(T) Out) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in struct {
		Action string `json:"action"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	x, err := act(ctx, id, in.Action)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPI(x)})
}

type apiReport struct {
	ID         int64       `json:"id"`
	Kind       string      `json:"kind"`
	PostID     int64       `json:"post_id"`
	CommentID  int64       `json:"comment_id"`
	MemberID   int64       `json:"member_id"`
	MemberName string      `json:"member_name"`
	Reason     string      `json:"reason"`
	CreatedAt  time.Time   `json:"created_at"`
	Post       *apiPost    `json:"post"`
	Comment    *apiComment `json:"comment"`
}

func toAPIComment(cm *courses.Comment) apiComment {
	return apiComment{cm.ID, cm.MemberID, cm.AuthorName, cm.Body, cm.HiddenAt != nil, cm.EditedAt != nil, cm.CreatedAt}
}

func (s *Handler) apiModerateComment(c *fiber.Ctx) error {
	return moderate(s, c, s.Courses.ModerateComment, toAPIComment)
}

func (s *Handler) apiReports(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	rs, err := s.Courses.Reports(ctx)
	if err != nil {
		return err
	}
	out := make([]apiReport, 0, len(rs))
	for _, r := range rs {
		ar := apiReport{ID: r.ID, Kind: "post", PostID: r.PostID, CommentID: r.CommentID, MemberID: r.MemberID, MemberName: r.MemberName, Reason: r.Reason, CreatedAt: r.CreatedAt}
		if r.Comment != nil {
			cm := toAPIComment(r.Comment)
			ar.Kind, ar.Comment = "comment", &cm
		} else if r.Post != nil {
			p := toAPIPost(r.Post)
			ar.Post = &p
		}
		out = append(out, ar)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type apiCommunitySettings struct {
	BannedWords []string `json:"banned_words"`
	FloodLimit  int      `json:"flood_limit"`
}

func toAPISettings(st *courses.CommunitySettings) apiCommunitySettings {
	w := st.BannedWords
	if w == nil {
		w = []string{}
	}
	return apiCommunitySettings{w, st.FloodLimit}
}

func (s *Handler) apiCommunitySettings(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	if _, err := s.Courses.Spaces(ctx); err != nil { // staff only
		return err
	}
	st, err := s.Courses.Settings(ctx)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISettings(st)})
}

func (s *Handler) apiCommunitySettingsSave(c *fiber.Ctx) error {
	ctx, err := s.courseCtx(c)
	if err != nil {
		return err
	}
	var in apiCommunitySettings
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	words := ""
	for _, w := range in.BannedWords {
		words += w + "\n"
	}
	st, err := s.Courses.SaveSettings(ctx, words, in.FloodLimit)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPISettings(st)})
}

func (s *Handler) apiCommunityBan(c *fiber.Ctx) error {
	ctx, id, err := s.apiCourseID(c)
	if err != nil {
		return err
	}
	var in struct {
		Banned *bool `json:"banned"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if in.Banned == nil {
		return app.FieldErrorf("banned", "banned (true or false) required.")
	}
	m, err := s.Courses.BanFromCommunity(ctx, id, *in.Banned)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"member": toAPIMember(m), "community_banned": m.CommunityBanned}})
}

func addCommunityAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenantParam := qparam("tenant", "Nexus (admin keys) only: the tenant, ID or slug (default: the house tenant)", str)
	boolean := obj{"type": "boolean"}
	space := obj{"id": integ, "slug": obj{"type": "string", "description": "members open it at /learn/community/s/SLUG"}, "name": str, "description": str,
		"access":    obj{"type": "string", "enum": []string{courses.AccessAll, courses.AccessCourse, courses.AccessTag}, "description": "who sees it: every member, the members of course_id, or members whose CRM person has tag"},
		"course_id": integ, "tag": str, "archived": boolean, "archived_at": nTime, "created_at": tstamp}
	schemas["CommunitySpace"] = props([]string{"id", "slug", "name", "access", "archived", "created_at"}, space)
	schemas["CommunitySpaceInput"] = props(nil, obj{"name": str, "slug": str, "description": str, "access": space["access"], "course_id": integ, "tag": str,
		"archived": obj{"type": "boolean", "description": "PATCH only: archive (members no longer see it) or restore"}})
	schemas["CommunityPost"] = props([]string{"id", "space_id", "author_name", "body", "pinned", "hidden", "comments", "reactions", "created_at"}, obj{
		"id": integ, "space_id": integ, "member_id": obj{"type": "integer", "description": "the author (0: the team)"}, "author_name": str, "title": str,
		"body": obj{"type": "string", "description": "Markdown"}, "pinned": boolean, "hidden": obj{"type": "boolean", "description": "hidden from members by the staff"},
		"comments": integ, "reactions": obj{"type": "object", "additionalProperties": integ, "description": "count per reaction: like, love, celebrate, insightful"},
		"edited": obj{"type": "boolean", "description": "changed by its author since it was posted"}, "created_at": tstamp})
	schemas["CommunitySettings"] = props([]string{"banned_words", "flood_limit"}, obj{
		"banned_words": obj{"type": "array", "items": str, "description": "words and phrases refused in posts and comments (whole words, any case)"},
		"flood_limit":  obj{"type": "integer", "minimum": 1, "maximum": 100, "description": "posts and comments a member may write per minute"}})
	schemas["CommunityComment"] = props([]string{"id", "author_name", "body", "hidden", "edited", "created_at"}, obj{"id": integ, "member_id": integ, "author_name": str, "body": str,
		"hidden": boolean, "edited": obj{"type": "boolean", "description": "changed by its author"}, "created_at": tstamp})
	comment := ref("CommunityComment")
	paths["/api/v1/community/spaces"] = obj{"parameters": []obj{tenantParam},
		"get":  obj{"summary": "Community spaces (archived included)", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("CommunitySpace")))}, "400")},
		"post": obj{"summary": "Create a space", "requestBody": jsonBody(ref("CommunitySpaceInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("CommunitySpace")))}, "400", "403")}}
	paths["/api/v1/community/spaces/{id}"] = obj{"parameters": []obj{idParam, tenantParam},
		"patch": obj{"summary": "Change a space (the fields given), archive or restore it", "requestBody": jsonBody(ref("CommunitySpaceInput")),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("CommunitySpace")))}, "400", "403", "404")}}
	paths["/api/v1/community/spaces/{id}/posts"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "A space's posts, newest first (hidden ones included)", "parameters": []obj{qparam("cursor", "next_cursor of the previous page", str)},
			"responses": std(obj{"200": jsonResp("OK", pageOf(ref("CommunityPost")))}, "400", "404")},
		"post": obj{"summary": "Post in the space as the team", "requestBody": jsonBody(props([]string{"body"}, obj{"title": str, "body": obj{"type": "string", "description": "Markdown"}})),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("CommunityPost")))}, "400", "403", "404")}}
	paths["/api/v1/community/posts/{id}"] = obj{"parameters": []obj{idParam, tenantParam},
		"get": obj{"summary": "A post with its comments", "responses": std(obj{"200": jsonResp("OK", dataOf(props([]string{"post", "comments"}, obj{"post": ref("CommunityPost"),
			"comments": obj{"type": "array", "items": comment}})))}, "404")}}
	paths["/api/v1/community/posts/{id}/moderation"] = obj{"parameters": []obj{idParam, tenantParam},
		"post": obj{"summary": "Hide, show, pin or unpin a post, or dismiss its reports (hiding closes them)",
			"requestBody": jsonBody(props([]string{"action"}, obj{"action": obj{"type": "string", "enum": []string{courses.ModHide, courses.ModUnhide, courses.ModPin, courses.ModUnpin, courses.ModDismiss}}})),
			"responses":   std(obj{"200": jsonResp("OK", dataOf(ref("CommunityPost")))}, "400", "403", "404")}}
	paths["/api/v1/community/reports"] = obj{"parameters": []obj{tenantParam},
		"get": obj{"summary": "Open reports of posts and comments by members", "responses": std(obj{"200": jsonResp("OK", pageOf(props([]string{"id", "kind", "post_id", "member_id", "reason", "created_at"},
			obj{"id": integ, "kind": obj{"type": "string", "enum": []string{"post", "comment"}}, "post_id": integ, "comment_id": obj{"type": "integer", "description": "0 for a post's report"},
				"member_id": integ, "member_name": str, "reason": str, "created_at": tstamp,
				"post":    obj{"description": "the reported post (kind post)", "oneOf": []obj{ref("CommunityPost"), {"type": "null"}}},
				"comment": obj{"description": "the reported comment (kind comment)", "oneOf": []obj{ref("CommunityComment"), {"type": "null"}}}})))}, "400")}}
	paths["/api/v1/community/comments/{id}/moderation"] = obj{"parameters": []obj{idParam, tenantParam},
		"post": obj{"summary": "Hide or show a comment, or dismiss its reports (hiding closes them)",
			"requestBody": jsonBody(props([]string{"action"}, obj{"action": obj{"type": "string", "enum": []string{courses.ModHide, courses.ModUnhide, courses.ModDismiss}}})),
			"responses":   std(obj{"200": jsonResp("OK", dataOf(ref("CommunityComment")))}, "400", "403", "404")}}
	paths["/api/v1/community/settings"] = obj{"parameters": []obj{tenantParam},
		"get": obj{"summary": "The word filter and the flood limit", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("CommunitySettings")))}, "400")},
		"put": obj{"summary": "Save the word filter and the flood limit", "requestBody": jsonBody(ref("CommunitySettings")),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("CommunitySettings")))}, "400", "403")}}
	paths["/api/v1/course-members/{id}/community-ban"] = obj{"parameters": []obj{idParam, tenantParam},
		"post": obj{"summary": "Ban a member from the community, or lift the ban (they keep their courses)",
			"requestBody": jsonBody(props([]string{"banned"}, obj{"banned": boolean})),
			"responses":   std(obj{"200": jsonResp("OK", dataOf(props([]string{"member", "community_banned"}, obj{"member": ref("CourseMember"), "community_banned": boolean})))}, "400", "403", "404")}}
}
