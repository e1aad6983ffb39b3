package api

import (
	"context"
	"encoding/json"
	fedui "orengen/ui/federal"
	"orengen/ui/web"
	"reflect"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/federal"
)

// Federal API on nexus.DOMAIN (admin keys): opportunities with filters,
// full-text search and cursor pagination, saved searches, grants. Lists
// answer {"data":[...],"next_cursor":...} (null on the last page).

func (s *Handler) registerFederalAPIRoutes(api fiber.Router) {
	g := api.Group("/federal", s.FederalPages.RequireFederal)
	g.Get("/opportunities", s.handleAPIFederalOpportunities)
	g.Get("/opportunities/:noticeId", s.handleAPIFederalOpportunity)
	g.Get("/searches", s.handleAPIFederalSearches)
	g.Post("/searches", web.RequireWriteKey, s.handleAPIFederalSearchCreate)
	g.Delete("/searches/:id", web.RequireWriteKey, s.handleAPIFederalSearchDelete)
	g.Get("/grants", s.handleAPIFederalGrants)
}

type apiReason struct {
	Factor string `json:"factor"`
	Points int    `json:"points"`
	Text   string `json:"text"`
}

type apiContact struct {
	Type     string `json:"type"`
	FullName string `json:"full_name"`
	Title    string `json:"title"`
	Email    string `json:"email"`
	Phone    string `json:"phone"`
}

type apiOpportunity struct {
	NoticeID           string       `json:"notice_id"`
	Title              string       `json:"title"`
	SolicitationNumber string       `json:"solicitation_number"`
	Agency             string       `json:"agency"`
	AgencyPath         string       `json:"agency_path"`
	Type               string       `json:"type"`
	BaseType           string       `json:"base_type"`
	SetAside           string       `json:"set_aside"`
	SetAsideDesc       string       `json:"set_aside_description"`
	NAICS              []string     `json:"naics"`
	PSC                string       `json:"psc"`
	Active             bool         `json:"active"`
	PostedDate         *time.Time   `json:"posted_date"`
	ResponseDeadline   *time.Time   `json:"response_deadline"`
	State              string       `json:"state"`
	UILink             string       `json:"ui_link"`
	FitScore           int          `json:"fit_score"`
	Reasons            []apiReason  `json:"reasons"`
	Stage              string       `json:"pipeline_stage"`
	Versions           int          `json:"versions"`
	FirstSeenAt        time.Time    `json:"first_seen_at"`
	UpdatedAt          time.Time    `json:"updated_at"`
	Contacts           []apiContact `json:"contacts,omitempty"`
	ResourceLinks      []string     `json:"resource_links,omitempty"`
	Description        string       `json:"description_text,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func toAPIOpportunity(n *federal.StoredNotice, full bool) apiOpportunity {
	o := apiOpportunity{NoticeID: n.NoticeID, Title: n.Title, SolicitationNumber: n.SolicitationNumber, Agency: n.Department,
		AgencyPath: n.FullParentPathName, Type: n.Type, BaseType: n.BaseType, SetAside: n.SetAside, SetAsideDesc: n.SetAsideDesc,
		NAICS: n.AllNAICS(), PSC: n.ClassificationCode, Active: n.Active, PostedDate: optTime(n.PostedDate),
		ResponseDeadline: optTime(n.ResponseDeadline), UILink: n.UILink, FitScore: n.Fit.Score, Reasons: []apiReason{},
		Stage: n.Stage, Versions: n.Versions, FirstSeenAt: n.FirstSeenAt, UpdatedAt: n.UpdatedAt}
	if n.PlaceOfPerformance != nil {
		o.State = n.PlaceOfPerformance.State.Code
	}
	for _, r := range n.Fit.Reasons {
		o.Reasons = append(o.Reasons, apiReason{r.Factor, r.Points, r.Text})
	}
	if full {
		for _, c := range n.PointsOfContact {
			o.Contacts = append(o.Contacts, apiContact{c.Type, c.FullName, c.Title, c.Email, c.Phone})
		}
		o.ResourceLinks = n.ResourceLinks
		o.Description = n.DescriptionText
	}
	return o
}

func nextCursor(next string) any {
	if next == "" {
		return nil
	}
	return next
}

// houseFedContext is the request's context scoped to the house tenant,
// whose federal work the API serves: the federal service takes the tenant
// from the context.
func houseFedContext(c *fiber.Ctx) context.Context {
	return app.NewContextWithTenant(c.UserContext(), &app.Tenant{ID: app.HouseTenantID})
}

func (s *Handler) handleAPIFederalOpportunities(c *fiber.Ctx) error {
	f, err := fedui.NoticeFilterFrom(c)
	if err != nil {
		return err
	}
	ns, next, err := s.Federal.FindNotices(houseFedContext(c), f)
	if err != nil {
		return err
	}
	out := make([]apiOpportunity, 0, len(ns))
	for _, n := range ns {
		out = append(out, toAPIOpportunity(n, false))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nextCursor(next)})
}

func (s *Handler) handleAPIFederalOpportunity(c *fiber.Ctx) error {
	id := s.FederalPages.NoticeID(c)
	n, err := s.Federal.FindNotice(houseFedContext(c), id)
	if err != nil {
		return err
	}
	ch, err := s.Federal.FindNoticeChanges(houseFedContext(c), id)
	if err != nil {
		return err
	}
	type change struct {
		ChangedAt time.Time             `json:"changed_at"`
		Fields    []federal.FieldChange `json:"fields"`
	}
	changes := make([]change, 0, len(ch))
	for _, x := range ch {
		changes = append(changes, change{x.ChangedAt, x.Changes})
	}
	return c.JSON(fiber.Map{"data": toAPIOpportunity(n, true), "amendments": changes})
}

type apiSearch struct {
	ID                int64      `json:"id"`
	Kind              string     `json:"kind"`
	Name              string     `json:"name"`
	NAICS             []string   `json:"naics"`
	PSC               []string   `json:"psc"`
	SetAsides         []string   `json:"set_asides"`
	State             string     `json:"state"`
	Title             string     `json:"title"`
	ProcurementTypes  []string   `json:"procurement_types"`
	PostedDays        int        `json:"posted_days"`
	FetchDescriptions bool       `json:"fetch_descriptions"`
	RequestsPerRun    int        `json:"requests_per_run"`
	LastRunAt         *time.Time `json:"last_run_at"`
	LastStatus        string     `json:"last_status"`
	LastError         string     `json:"last_error"`
	CreatedAt         time.Time  `json:"created_at"`
}

// apiSearchInput is the body of POST /api/v1/federal/searches. The code
// lists take a JSON array or a string of comma-separated codes (a single
// code, as before lists existed); set_aside is the old name of set_asides.
type apiSearchInput struct {
	Kind              string    `json:"kind"`
	Name              string    `json:"name"`
	NAICS             codesJSON `json:"naics"`
	PSC               codesJSON `json:"psc"`
	SetAsides         codesJSON `json:"set_asides"`
	SetAside          codesJSON `json:"set_aside"`
	State             string    `json:"state"`
	Title             string    `json:"title"`
	ProcurementTypes  codesJSON `json:"procurement_types"`
	PostedDays        int       `json:"posted_days"`
	FetchDescriptions bool      `json:"fetch_descriptions"`
}

// codesJSON reads a list of codes from a JSON array of strings or from a
// string of comma-separated codes.
type codesJSON []string

func (c *codesJSON) UnmarshalJSON(b []byte) error {
	var one string
	if err := json.Unmarshal(b, &one); err == nil {
		*c = federal.SplitCodes(one)
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		got := map[byte]string{'[': "a list that holds something other than strings", '{': "object", 't': "bool", 'f': "bool", 'n': "null"}[b[0]]
		if got == "" {
			got = "number"
		}
		return &json.UnmarshalTypeError{Value: got, Type: reflect.TypeFor[[]string]()}
	}
	*c = list
	return nil
}

func orEmpty(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func toAPISearch(ss *federal.SavedSearch) apiSearch {
	return apiSearch{ss.ID, ss.Kind, ss.Name, orEmpty(ss.NAICS), orEmpty(ss.PSC), orEmpty(ss.SetAsides), ss.State, ss.Title, orEmpty(ss.ProcurementTypes),
		ss.PostedDays, ss.FetchDescriptions, ss.RequestCount(), ss.LastRunAt, ss.LastStatus, ss.LastError, ss.CreatedAt}
}

func (s *Handler) handleAPIFederalSearches(c *fiber.Ctx) error {
	list, err := s.Federal.FindSavedSearches(houseFedContext(c))
	if err != nil {
		return err
	}
	out := make([]apiSearch, 0, len(list))
	for _, ss := range list {
		out = append(out, toAPISearch(ss))
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

func (s *Handler) handleAPIFederalSearchCreate(c *fiber.Ctx) error {
	var in apiSearchInput
	if err := web.DecodeJSON(c.Body(), &in); err != nil {
		return err
	}
	ss := &federal.SavedSearch{TenantID: app.HouseTenantID, Kind: in.Kind, Name: in.Name, NAICS: in.NAICS, PSC: in.PSC, SetAsides: append(in.SetAsides, in.SetAside...),
		State: in.State, Title: in.Title, ProcurementTypes: in.ProcurementTypes, PostedDays: in.PostedDays, FetchDescriptions: in.FetchDescriptions}
	if err := s.Federal.CreateSearch(houseFedContext(c), ss); err != nil {
		return fedui.Err(err)
	}
	s.Audit.Record(c.UserContext(), "federal.search.create", "search:"+web.Itoa(int(ss.ID)), ss.Name)
	c.Status(fiber.StatusCreated)
	return c.JSON(fiber.Map{"data": toAPISearch(ss)})
}

func (s *Handler) handleAPIFederalSearchDelete(c *fiber.Ctx) error {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Federal.DeleteSavedSearch(houseFedContext(c), id); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "federal.search.delete", "search:"+web.Itoa(int(id)), "")
	return c.SendStatus(fiber.StatusNoContent)
}

type apiGrant struct {
	ID         string     `json:"id"`
	Number     string     `json:"number"`
	Title      string     `json:"title"`
	AgencyCode string     `json:"agency_code"`
	AgencyName string     `json:"agency_name"`
	OpenDate   *time.Time `json:"open_date"`
	CloseDate  *time.Time `json:"close_date"`
	Status     string     `json:"status"`
	DocType    string     `json:"doc_type"`
	ALNs       []string   `json:"alns"`
}

func (s *Handler) handleAPIFederalGrants(c *fiber.Ctx) error {
	limit, err := web.AtoiDefault(c.Query("limit"), 50)
	if err != nil || limit < 1 || limit > 500 {
		return app.FieldErrorf("limit", "limit must be a number from 1 to 500.")
	}
	gs, next, err := s.Federal.FindGrants(houseFedContext(c), federal.GrantFilter{
		Query: utils.CopyString(c.Query("q")), OpenOnly: c.Query("open") == "1" || c.Query("open") == "true",
		AgencyCode: utils.CopyString(c.Query("agency")), Cursor: utils.CopyString(c.Query("cursor")), Limit: limit})
	if err != nil {
		return err
	}
	out := make([]apiGrant, 0, len(gs))
	for _, g := range gs {
		alns := g.ALNs
		if alns == nil {
			alns = []string{}
		}
		out = append(out, apiGrant{g.ID, g.Number, g.Title, g.AgencyCode, g.AgencyName, optTime(g.OpenDate), optTime(g.CloseDate), g.Status, g.DocType, alns})
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nextCursor(next)})
}
