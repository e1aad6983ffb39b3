package api

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"orengen/app/creators"
	"orengen/ui/web"
)

// Creators (UGC) API (issue #22): a tenant key works on its own creators
// and campaigns; an admin key on ?tenant= (ID or slug; without it the
// agency's). The same creators.Service calls as the pages.

func (s *Handler) registerCreatorAPIRoutes(api fiber.Router) {
	if s.Creators == nil {
		return
	}
	b := func(fn fiber.Handler) fiber.Handler { return s.brandScope(fn) } // brand.go: ?tenant= for admin keys
	api.Get("/creators", b(s.apiCreators))
	api.Post("/creators", web.RequireWriteKey, b(s.apiCreatorCreate))
	api.Put("/creators/:id", web.RequireWriteKey, b(s.apiCreatorUpdate))
	api.Get("/creator-campaigns", b(s.apiCreatorCampaigns))
	api.Post("/creator-campaigns", web.RequireWriteKey, b(s.apiCreatorCampaignCreate))
	api.Get("/creator-campaigns/:id", b(s.apiCreatorCampaign))
	api.Delete("/creator-campaigns/:id", web.RequireWriteKey, b(s.apiCreatorCampaignDelete))
	api.Post("/creator-campaigns/:id/deliverables", web.RequireWriteKey, b(s.apiCreatorDeliverableCreate))
	api.Get("/creator-deliverables/:id", b(s.apiCreatorDeliverable))
	api.Put("/creator-deliverables/:id", web.RequireWriteKey, b(s.apiCreatorDeliverableUpdate))
	api.Delete("/creator-deliverables/:id", web.RequireWriteKey, b(s.apiCreatorDeliverableDelete))
	api.Post("/creator-deliverables/:id/status", web.RequireWriteKey, b(s.apiCreatorStatus))
	api.Put("/creator-deliverables/:id/paid", web.RequireWriteKey, b(s.apiCreatorPaid))
}

type apiCreator struct {
	ID        int64             `json:"id"`
	PersonID  int64             `json:"person_id"`
	Name      string            `json:"name"`
	Email     string            `json:"email"`
	Handles   map[string]string `json:"handles"`
	Audience  int64             `json:"audience"`
	RateCents int64             `json:"rate_cents"`
	Niches    []string          `json:"niches"`
	Samples   []string          `json:"sample_links"`
	CreatedAt time.Time         `json:"created_at"`
}

func toAPICreator(p *creators.Profile) apiCreator {
	n, sm := p.Niches, p.Samples
	if n == nil {
		n = []string{}
	}
	if sm == nil {
		sm = []string{}
	}
	h := p.Handles
	if h == nil {
		h = map[string]string{}
	}
	return apiCreator{p.ID, p.PersonID, p.PersonName, p.PersonEmail, h, p.Audience, p.RateCents, n, sm, p.CreatedAt}
}

func (s *Handler) apiCreators(c *fiber.Ctx) error {
	ps, err := s.Creators.Profiles(c.UserContext())
	if err != nil {
		return err
	}
	return sendAll(c, ps, toAPICreator)
}

func (s *Handler) apiCreatorCreate(c *fiber.Ctx) error {
	var in struct {
		PersonID int64 `json:"person_id"`
		creatorIn
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	p := in.profile(in.PersonID)
	if err := s.Creators.CreateProfile(c.UserContext(), p); err != nil {
		return err
	}
	p, err := s.Creators.Profile(c.UserContext(), p.ID)
	if err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPICreator(p)})
}

// creatorIn is a creator profile's fields in a request.
type creatorIn struct {
	Handles   map[string]string `json:"handles"`
	Audience  int64             `json:"audience"`
	RateCents int64             `json:"rate_cents"`
	Niches    []string          `json:"niches"`
	Samples   []string          `json:"sample_links"`
}

func (in creatorIn) profile(personID int64) *creators.Profile {
	return &creators.Profile{PersonID: personID, Handles: in.Handles, Audience: in.Audience, RateCents: in.RateCents, Niches: in.Niches, Samples: in.Samples}
}

// apiCreatorUpdate replaces a creator's profile (the person stays).
func (s *Handler) apiCreatorUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Creators.Profile(c.UserContext(), id); err != nil {
		return err
	}
	var in creatorIn
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	p := in.profile(0)
	if err := s.Creators.UpdateProfile(c.UserContext(), id, p); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPICreator(p)})
}

type apiCampaign struct {
	ID           int64            `json:"id"`
	Name         string           `json:"name"`
	Brief        string           `json:"brief"`
	Deliverables int              `json:"deliverables"`
	OwedCents    int64            `json:"owed_cents"`
	PaidCents    int64            `json:"paid_cents"`
	Items        []apiDeliverable `json:"items,omitempty"`
	CreatedAt    time.Time        `json:"created_at"`
}

func toAPICampaign(cp *creators.Campaign) apiCampaign {
	return apiCampaign{ID: cp.ID, Name: cp.Name, Brief: cp.Brief, Deliverables: cp.Deliverables, OwedCents: cp.OwedCents, PaidCents: cp.PaidCents, CreatedAt: cp.CreatedAt}
}

type apiCreatorComment struct {
	Author    string    `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

type apiDeliverable struct {
	ID             int64               `json:"id"`
	CampaignID     int64               `json:"campaign_id"`
	CreatorID      int64               `json:"creator_id"`
	CreatorName    string              `json:"creator_name"`
	Kind           string              `json:"kind"`
	Due            string              `json:"due"`
	Status         string              `json:"status"`
	AmountCents    int64               `json:"amount_cents"`
	PaidCents      int64               `json:"paid_cents"`
	UsageUntil     string              `json:"usage_until"`
	RemindedAt     *time.Time          `json:"reminded_at"`
	SubmissionURL  string              `json:"submission_url"`
	SubmissionNote string              `json:"submission_note"`
	FileName       string              `json:"file_name"`
	SubmittedAt    *time.Time          `json:"submitted_at"`
	PrivatePath    string              `json:"private_path,omitempty"`
	LinkExpiresAt  time.Time           `json:"link_expires_at"`
	Comments       []apiCreatorComment `json:"comments,omitempty"`
}

func toAPIDeliverable(d *creators.Deliverable) apiDeliverable {
	return apiDeliverable{ID: d.ID, CampaignID: d.CampaignID, CreatorID: d.CreatorID, CreatorName: d.CreatorName, Kind: d.Kind, Due: d.Due, Status: d.Status,
		AmountCents: d.AmountCents, PaidCents: d.PaidCents, UsageUntil: d.UsageUntil, RemindedAt: d.RemindedAt, SubmissionURL: d.SubmissionURL,
		SubmissionNote: d.SubmissionNote, FileName: d.FileName, SubmittedAt: d.SubmittedAt, LinkExpiresAt: d.LinkExpiresAt}
}

func (s *Handler) apiCreatorCampaigns(c *fiber.Ctx) error {
	cs, err := s.Creators.Campaigns(c.UserContext())
	if err != nil {
		return err
	}
	return sendAll(c, cs, toAPICampaign)
}

func (s *Handler) apiCreatorCampaignCreate(c *fiber.Ctx) error {
	var in struct {
		Name  string `json:"name"`
		Brief string `json:"brief"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	cp := &creators.Campaign{Name: in.Name, Brief: in.Brief}
	if err := s.Creators.SaveCampaign(c.UserContext(), cp); err != nil {
		return err
	}
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPICampaign(cp)})
}

func (s *Handler) apiCreatorCampaign(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	b, err := s.Creators.Board(c.UserContext(), id)
	if err != nil {
		return err
	}
	out := toAPICampaign(b.Campaign)
	out.Items = []apiDeliverable{}
	for _, col := range b.Columns {
		for _, d := range col.Cards {
			out.Items = append(out.Items, toAPIDeliverable(d))
		}
	}
	return c.JSON(fiber.Map{"data": out})
}

func (s *Handler) apiCreatorCampaignDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Creators.DeleteCampaign(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// deliverableIn is a deliverable's fields in a request.
type deliverableIn struct {
	Kind        string `json:"kind"`
	Due         string `json:"due"`
	AmountCents int64  `json:"amount_cents"`
	UsageUntil  string `json:"usage_until"`
}

func (in deliverableIn) deliverable() *creators.Deliverable {
	return &creators.Deliverable{Kind: in.Kind, Due: in.Due, AmountCents: in.AmountCents, UsageUntil: in.UsageUntil}
}

// apiCreatorDeliverableUpdate replaces a deliverable's type, due date,
// amount and usage end.
func (s *Handler) apiCreatorDeliverableUpdate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Creators.Deliverable(c.UserContext(), id); err != nil {
		return err
	}
	var in deliverableIn
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if err := s.Creators.UpdateDeliverable(c.UserContext(), id, in.deliverable()); err != nil {
		return err
	}
	return s.sendDeliverable(c, id, fiber.StatusOK)
}

func (s *Handler) apiCreatorDeliverableDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Creators.DeleteDeliverable(c.UserContext(), id); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Handler) apiCreatorDeliverableCreate(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Creators.Campaign(c.UserContext(), id); err != nil {
		return err
	}
	var in struct {
		CreatorID int64 `json:"creator_id"`
		deliverableIn
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	d := in.deliverable()
	d.CampaignID, d.CreatorID = id, in.CreatorID
	if err := s.Creators.AddDeliverable(c.UserContext(), d); err != nil {
		return err
	}
	return s.sendDeliverable(c, d.ID, fiber.StatusCreated)
}

func (s *Handler) sendDeliverable(c *fiber.Ctx, id int64, status int) error {
	ctx := c.UserContext()
	d, err := s.Creators.Deliverable(ctx, id)
	if err != nil {
		return err
	}
	out := toAPIDeliverable(d)
	out.PrivatePath = "/c/" + s.Creators.Token(d)
	cs, err := s.Creators.Comments(ctx, id)
	if err != nil {
		return err
	}
	out.Comments = []apiCreatorComment{}
	for _, cm := range cs {
		out.Comments = append(out.Comments, apiCreatorComment{cm.Author, cm.Body, cm.CreatedAt})
	}
	c.Status(status)
	return c.JSON(fiber.Map{"data": out})
}

func (s *Handler) apiCreatorDeliverable(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	return s.sendDeliverable(c, id, fiber.StatusOK)
}

func (s *Handler) apiCreatorStatus(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Creators.Deliverable(c.UserContext(), id); err != nil {
		return err
	}
	var in struct {
		Status  string `json:"status"`
		Comment string `json:"comment"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if err := s.Creators.Move(c.UserContext(), id, in.Status, in.Comment); err != nil {
		return err
	}
	return s.sendDeliverable(c, id, fiber.StatusOK)
}

func (s *Handler) apiCreatorPaid(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Creators.Deliverable(c.UserContext(), id); err != nil {
		return err
	}
	var in struct {
		PaidCents int64 `json:"paid_cents"`
	}
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if err := s.Creators.SetPaid(c.UserContext(), id, in.PaidCents); err != nil {
		return err
	}
	return s.sendDeliverable(c, id, fiber.StatusOK)
}

// addCreatorAPI documents the creators (UGC) endpoints.
func addCreatorAPI(paths, schemas obj, std func(obj, ...string) obj, idParam obj) {
	tenant := qparam("tenant", "admin keys: the tenant (ID or slug); default the agency (house tenant)", str)
	status := obj{"type": "string", "enum": creators.Statuses}
	date := obj{"type": "string", "description": "YYYY-MM-DD or empty"}
	strs := obj{"type": "array", "items": str}
	schemas["Creator"] = props([]string{"id", "person_id", "name"}, obj{"id": integ, "person_id": integ, "name": str, "email": str,
		"handles": obj{"type": "object", "additionalProperties": str, "description": "platform: @handle"}, "audience": integ, "rate_cents": integ,
		"niches": strs, "sample_links": strs, "created_at": tstamp})
	profile := obj{"handles": obj{"type": "object", "additionalProperties": str,
		"propertyNames": obj{"enum": creators.Platforms}}, "audience": integ, "rate_cents": integ, "niches": strs, "sample_links": strs}
	schemas["CreatorProfileInput"] = props(nil, profile)
	withPerson := obj{"person_id": integ}
	for k, v := range profile {
		withPerson[k] = v
	}
	schemas["CreatorInput"] = props([]string{"person_id"}, withPerson)
	comment := props([]string{"author", "body"}, obj{"author": obj{"type": "string", "enum": []string{creators.AuthorOwner, creators.AuthorCreator}}, "body": str, "created_at": tstamp})
	schemas["CreatorDeliverable"] = props([]string{"id", "campaign_id", "creator_id", "kind", "status"}, obj{"id": integ, "campaign_id": integ, "creator_id": integ,
		"creator_name": str, "kind": str, "due": date, "status": status, "amount_cents": integ, "paid_cents": integ, "usage_until": date, "reminded_at": nTime,
		"submission_url": str, "submission_note": str, "file_name": str, "submitted_at": nTime, "link_expires_at": tstamp,
		"private_path": obj{"type": "string", "description": "the creator's private page on the portal host: /c/TOKEN"},
		"comments":     obj{"type": "array", "items": comment}})
	schemas["CreatorCampaign"] = props([]string{"id", "name"}, obj{"id": integ, "name": str, "brief": obj{"type": "string", "description": "markdown"},
		"deliverables": integ, "owed_cents": integ, "paid_cents": integ, "created_at": tstamp, "items": obj{"type": "array", "items": ref("CreatorDeliverable")}})
	paths["/api/v1/creators"] = obj{"parameters": []obj{tenant},
		"get":  obj{"summary": "Creators: CRM people with a creator profile", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("Creator")))})},
		"post": obj{"summary": "Make a CRM person a creator", "requestBody": jsonBody(ref("CreatorInput")), "responses": std(obj{"201": jsonResp("Created", dataOf(ref("Creator")))}, "400", "403", "409")}}
	paths["/api/v1/creators/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"put": obj{"summary": "Replace a creator's profile: handles, audience, rate, niches, sample links (the CRM person stays)", "requestBody": jsonBody(ref("CreatorProfileInput")),
			"responses": std(obj{"200": jsonResp("Saved", dataOf(ref("Creator")))}, "400", "403", "404")}}
	paths["/api/v1/creator-campaigns"] = obj{"parameters": []obj{tenant},
		"get": obj{"summary": "Campaigns with their totals owed and paid", "responses": std(obj{"200": jsonResp("OK", pageOf(ref("CreatorCampaign")))})},
		"post": obj{"summary": "Create a campaign with a brief (markdown)", "requestBody": jsonBody(props([]string{"name"}, obj{"name": str, "brief": str})),
			"responses": std(obj{"201": jsonResp("Created", dataOf(ref("CreatorCampaign")))}, "400", "403")}}
	paths["/api/v1/creator-campaigns/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"get":    obj{"summary": "A campaign with its deliverables (the board)", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("CreatorCampaign")))}, "404")},
		"delete": obj{"summary": "Delete a campaign with its deliverables, their submissions and comments", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")}}
	paths["/api/v1/creator-campaigns/{id}/deliverables"] = obj{"parameters": []obj{idParam, tenant},
		"post": obj{"summary": "Add a deliverable (briefed, with a private link for the creator)",
			"requestBody": jsonBody(props([]string{"creator_id", "kind"}, obj{"creator_id": integ, "kind": str, "due": date, "amount_cents": integ, "usage_until": date})),
			"responses":   std(obj{"201": jsonResp("Created", dataOf(ref("CreatorDeliverable")))}, "400", "403", "404")}}
	paths["/api/v1/creator-deliverables/{id}"] = obj{"parameters": []obj{idParam, tenant},
		"get": obj{"summary": "A deliverable with its submission, comments and private link", "responses": std(obj{"200": jsonResp("OK", dataOf(ref("CreatorDeliverable")))}, "404")},
		"put": obj{"summary": "Replace a deliverable's type, due date, amount and usage rights' end (a new end is reminded again); status, payment and submission stay",
			"requestBody": jsonBody(props([]string{"kind"}, obj{"kind": str, "due": date, "amount_cents": integ, "usage_until": date})),
			"responses":   std(obj{"200": jsonResp("Saved", dataOf(ref("CreatorDeliverable")))}, "400", "403", "404")},
		"delete": obj{"summary": "Delete a deliverable with its submission and comments", "responses": std(obj{"204": obj{"description": "Deleted"}}, "403", "404")}}
	paths["/api/v1/creator-deliverables/{id}/status"] = obj{"parameters": []obj{idParam, tenant},
		"post": obj{"summary": "Move a deliverable (approve, ask for a revision: comment required, publish...)",
			"requestBody": jsonBody(props([]string{"status"}, obj{"status": status, "comment": str})),
			"responses":   std(obj{"200": jsonResp("OK", dataOf(ref("CreatorDeliverable")))}, "400", "403", "404")}}
	paths["/api/v1/creator-deliverables/{id}/paid"] = obj{"parameters": []obj{idParam, tenant},
		"put": obj{"summary": "Record the amount paid for a deliverable", "requestBody": jsonBody(props([]string{"paid_cents"}, obj{"paid_cents": integ})),
			"responses": std(obj{"200": jsonResp("OK", dataOf(ref("CreatorDeliverable")))}, "400", "403", "404")}}
}
