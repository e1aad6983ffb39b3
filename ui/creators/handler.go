// Package creators serves creator (UGC) management (issue #22): in the
// portal (/creators, the signed-in tenant's; owners change it) and in
// Nexus (/creators: every client's, at /creators/tenants/:id) the
// creators, campaigns with their brief, a board per campaign (columns by
// status, cards moved with buttons that post: no JavaScript needed) and
// a deliverable's page (submission, comments, approve or ask for a
// revision, amounts paid, the private link); and the creator's private
// page (/c/:token on the portal hosts, no account) where a deliverable
// is submitted as a link or a file. The JSON API is in ui/api.
//
// creators imports app, app/creators and ui/web; never a store.
package creators

import (
	"context"
	"embed"
	"html/template"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/creators"
	"orengen/ui/web"
)

// Templates are this package's pages.
//
//go:embed templates
var Templates embed.FS

// Handler serves the creators' pages.
type Handler struct {
	*web.Kit
	Creators *creators.Service // nil: no routes
	Tenants  *app.TenantService
	CRM      *app.CRMService
}

// On reports whether creators are wired.
func (s *Handler) On() bool { return s != nil && s.Creators != nil }

// Mount adds the pages behind the host's sign-in.
func (s *Handler) Mount(r fiber.Router, csrf fiber.Handler, sc web.Scope) {
	if !s.On() {
		return
	}
	base := "/creators"
	if sc.Nexus() {
		r.Get("/creators", s.handleNexusIndex)
		base = "/creators/tenants/:id"
	}
	k := func(fn func(c *fiber.Ctx, kc *scope) error) fiber.Handler {
		return web.TenantRoute(s.Tenants, sc, "/creators", fn)
	}
	r.Get(base, k(s.handleIndex))
	r.Post(base+"/profiles", csrf, k(s.handleProfileCreate))
	r.Post(base+"/profiles/:profile", csrf, k(s.handleProfileUpdate))
	r.Post(base+"/campaigns", csrf, k(s.handleCampaignCreate))
	r.Get(base+"/campaigns/:campaign", k(s.handleBoard))
	r.Post(base+"/campaigns/:campaign", csrf, k(s.handleCampaignUpdate))
	r.Post(base+"/campaigns/:campaign/delete", csrf, k(s.handleCampaignDelete))
	r.Post(base+"/campaigns/:campaign/deliverables", csrf, k(s.handleDeliverableCreate))
	r.Get(base+"/deliverables/:deliverable", k(s.handleDeliverable))
	r.Post(base+"/deliverables/:deliverable", csrf, k(s.deliverableAction("kind", s.updateDeliverable)))
	r.Post(base+"/deliverables/:deliverable/delete", csrf, k(s.handleDeliverableDelete))
	r.Post(base+"/deliverables/:deliverable/status", csrf, k(s.deliverableAction("status", s.moveDeliverable)))
	r.Post(base+"/deliverables/:deliverable/paid", csrf, k(s.deliverableAction("paid", s.payDeliverable)))
	r.Post(base+"/deliverables/:deliverable/link", csrf, k(s.handleNewLink))
	r.Get(base+"/deliverables/:deliverable/file", k(s.handleFile))
}

// scope is the tenant a request works on: the signed-in tenant's in the
// portal, the :id tenant's in Nexus.
type scope = web.TenantPage

func canEdit(c *fiber.Ctx, kc *scope) bool {
	return kc.Scope.Nexus() || web.User(c) != nil && web.User(c).Role == app.UserRoleOwner
}

func (s *Handler) title(kc *scope, t string) string {
	if kc.Scope.Nexus() {
		return t + " · " + kc.Tenant.BrandName()
	}
	return t
}

type indexPage struct {
	web.Layout
	Base      string
	Profiles  []*creators.Profile
	Campaigns []*creators.Campaign
	People    []*app.Person
	Platforms []string
	CanEdit   bool
	Errors    map[string]string
	// Edit is the profile whose edit form is open (a refused save).
	Edit int64
}

func (s *Handler) handleIndex(c *fiber.Ctx, kc *scope) error { return s.renderIndex(c, kc, nil) }

func (s *Handler) renderIndex(c *fiber.Ctx, kc *scope, errs map[string]string) error {
	pg := &indexPage{Base: kc.Base, Platforms: creators.Platforms, CanEdit: canEdit(c, kc), Errors: errs}
	pg.Edit, _ = strconv.ParseInt(c.Query("edit"), 10, 64)
	var err error
	if pg.Profiles, err = s.Creators.Profiles(kc.Ctx); err != nil {
		return err
	}
	if pg.Campaigns, err = s.Creators.Campaigns(kc.Ctx); err != nil {
		return err
	}
	if pg.CanEdit && s.CRM != nil {
		if pg.People, _, err = s.CRM.FindPeople(kc.Ctx, app.PersonFilter{ListOptions: app.ListOptions{Limit: 200, Sort: "name"}}); err != nil {
			return err
		}
	}
	pg.Layout = s.Layout(c, kc.Scope.Host, s.title(kc, "Creators"))
	return s.Render(c, kc.Scope.Page("creators"), pg)
}

// profileForm reads the profile form (add and edit).
func profileForm(c *fiber.Ctx) (*creators.Profile, error) {
	g := web.FormGetter(c)
	pid, _ := strconv.ParseInt(g("person_id"), 10, 64)
	p := &creators.Profile{PersonID: pid, Handles: map[string]string{}, Niches: web.SplitList(g("niches")), Samples: strings.Fields(g("samples"))}
	if v := strings.ReplaceAll(strings.TrimSpace(g("audience")), ",", ""); v != "" {
		aud, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, app.FieldErrorf("audience", "Audience size must be a whole number, like 12500.")
		}
		p.Audience = aud
	}
	for _, pl := range creators.Platforms {
		p.Handles[pl] = g("handle_" + pl)
	}
	rate, err := creators.ParseCents("rate", g("rate"))
	p.RateCents = rate
	return p, err
}

func (s *Handler) handleProfileCreate(c *fiber.Ctx, kc *scope) error {
	p, err := profileForm(c)
	if err == nil {
		err = s.Creators.CreateProfile(kc.Ctx, p)
	}
	if err != nil {
		return web.FormError(c, err, "person_id", func(e map[string]string) error { return s.renderIndex(c, kc, e) })
	}
	s.SetFlash(c, "ok", "Creator added.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

// handleProfileUpdate saves a creator's edited profile; a refusal comes
// back as a flash naming the field, the edit form open.
func (s *Handler) handleProfileUpdate(c *fiber.Ctx, kc *scope) error {
	id, err := web.ParamID(c, "profile")
	if err != nil {
		return err
	}
	p, err := profileForm(c)
	if err == nil {
		err = s.Creators.UpdateProfile(kc.Ctx, id, p)
	}
	if app.ErrorCode(err) == app.EINVALID {
		s.SetFlash(c, "error", "Creator not saved: "+app.ErrorMessage(err))
		return c.Redirect(kc.Base+"?edit="+strconv.FormatInt(id, 10)+"#creator-"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
	} else if err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Creator "+p.PersonName+" saved.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

// campaign is the campaign in the path (ENOTFOUND for another tenant's).
func (s *Handler) campaign(c *fiber.Ctx, kc *scope) (*creators.Campaign, error) {
	id, err := web.ParamID(c, "campaign")
	if err != nil {
		return nil, err
	}
	return s.Creators.Campaign(kc.Ctx, id)
}

func (s *Handler) handleCampaignDelete(c *fiber.Ctx, kc *scope) error {
	cp, err := s.campaign(c, kc)
	if err != nil {
		return err
	}
	if err := s.Creators.DeleteCampaign(kc.Ctx, cp.ID); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "Campaign "+cp.Name+" deleted with its "+strconv.Itoa(cp.Deliverables)+" deliverables.")
	return c.Redirect(kc.Base, fiber.StatusSeeOther)
}

func (s *Handler) handleCampaignCreate(c *fiber.Ctx, kc *scope) error {
	g := web.FormGetter(c)
	cp := &creators.Campaign{Name: g("name"), Brief: g("brief")}
	if err := s.Creators.SaveCampaign(kc.Ctx, cp); err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error { return s.renderIndex(c, kc, e) })
	}
	s.SetFlash(c, "ok", "Campaign created.")
	return c.Redirect(kc.Base+"/campaigns/"+strconv.FormatInt(cp.ID, 10), fiber.StatusSeeOther)
}

type boardPage struct {
	web.Layout
	Base     string
	Board    *creators.Board
	Brief    template.HTML
	Profiles []*creators.Profile
	Statuses []string
	CanEdit  bool
	Errors   map[string]string
}

func (s *Handler) handleBoard(c *fiber.Ctx, kc *scope) error { return s.renderBoard(c, kc, nil) }

func (s *Handler) renderBoard(c *fiber.Ctx, kc *scope, errs map[string]string) error {
	id, err := web.ParamID(c, "campaign")
	if err != nil {
		return err
	}
	b, err := s.Creators.Board(kc.Ctx, id)
	if err != nil {
		return err
	}
	pg := &boardPage{Base: kc.Base, Board: b, Brief: template.HTML(creators.RenderBrief(b.Campaign.Brief)), Statuses: creators.Statuses, CanEdit: canEdit(c, kc), Errors: errs}
	if pg.CanEdit {
		if pg.Profiles, err = s.Creators.Profiles(kc.Ctx); err != nil {
			return err
		}
	}
	pg.Layout = s.Layout(c, kc.Scope.Host, s.title(kc, b.Campaign.Name))
	return s.Render(c, kc.Scope.Page("creators_board"), pg)
}

func (s *Handler) handleCampaignUpdate(c *fiber.Ctx, kc *scope) error {
	cp, err := s.campaign(c, kc)
	if err != nil {
		return err
	}
	id := cp.ID
	g := web.FormGetter(c)
	cp.Name, cp.Brief = g("name"), g("brief")
	if err := s.Creators.SaveCampaign(kc.Ctx, cp); err != nil {
		return web.FormError(c, err, "name", func(e map[string]string) error { return s.renderBoard(c, kc, e) })
	}
	s.SetFlash(c, "ok", "Brief saved.")
	return c.Redirect(kc.Base+"/campaigns/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleDeliverableCreate(c *fiber.Ctx, kc *scope) error {
	id, err := web.ParamID(c, "campaign")
	if err != nil {
		return err
	}
	d, err := deliverableForm(c)
	if err == nil {
		d.CampaignID = id
		err = s.Creators.AddDeliverable(kc.Ctx, d)
	}
	if err != nil {
		return web.FormError(c, err, "kind", func(e map[string]string) error { return s.renderBoard(c, kc, e) })
	}
	s.SetFlash(c, "ok", "Deliverable added.")
	return c.Redirect(kc.Base+"/campaigns/"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

type deliverablePage struct {
	web.Layout
	Base        string
	D           *creators.Deliverable
	Campaign    *creators.Campaign
	Comments    []*creators.Comment
	Statuses    []string
	PrivateLink string
	CanEdit     bool
	Errors      map[string]string
}

func (s *Handler) deliverable(c *fiber.Ctx, kc *scope) (*creators.Deliverable, error) {
	id, err := web.ParamID(c, "deliverable")
	if err != nil {
		return nil, err
	}
	return s.Creators.Deliverable(kc.Ctx, id)
}

func (s *Handler) handleDeliverable(c *fiber.Ctx, kc *scope) error {
	return s.renderDeliverable(c, kc, nil)
}

func (s *Handler) renderDeliverable(c *fiber.Ctx, kc *scope, errs map[string]string) error {
	d, err := s.deliverable(c, kc)
	if err != nil {
		return err
	}
	pg := &deliverablePage{Base: kc.Base, D: d, Statuses: creators.Statuses, CanEdit: canEdit(c, kc), Errors: errs}
	if pg.Campaign, err = s.Creators.Campaign(kc.Ctx, d.CampaignID); err != nil {
		return err
	}
	if pg.Comments, err = s.Creators.Comments(kc.Ctx, d.ID); err != nil {
		return err
	}
	if pg.CanEdit {
		pg.PrivateLink = s.privateBase(kc) + "/c/" + s.Creators.Token(d)
	}
	pg.Layout = s.Layout(c, kc.Scope.Host, s.title(kc, d.Kind+" by "+d.CreatorName))
	return s.Render(c, kc.Scope.Page("creators_deliverable"), pg)
}

// privateBase is where the creator's private page is: the tenant's own
// domain when it has one, else app.DOMAIN.
func (s *Handler) privateBase(kc *scope) string {
	if s.Tenants.Domains != nil {
		if ds, err := s.Tenants.Domains.DomainsByTenant(kc.Ctx, kc.Tenant.ID); err == nil && len(ds) > 0 {
			return s.TenantURL(ds[0])
		}
	}
	return s.URL(web.HostPortal)
}

func (s *Handler) back(c *fiber.Ctx, kc *scope, d *creators.Deliverable) error {
	if web.FormGetter(c)("back") == "board" {
		return c.Redirect(kc.Base+"/campaigns/"+strconv.FormatInt(d.CampaignID, 10), fiber.StatusSeeOther)
	}
	return c.Redirect(kc.Base+"/deliverables/"+strconv.FormatInt(d.ID, 10), fiber.StatusSeeOther)
}

// deliverableForm reads the deliverable form (add and edit).
func deliverableForm(c *fiber.Ctx) (*creators.Deliverable, error) {
	g := web.FormGetter(c)
	cid, _ := strconv.ParseInt(g("creator_id"), 10, 64)
	d := &creators.Deliverable{CreatorID: cid, Kind: g("kind"), Due: g("due"), UsageUntil: g("usage_until")}
	var err error
	d.AmountCents, err = creators.ParseCents("amount", g("amount"))
	return d, err
}

// deliverableAction runs a form's action on the deliverable in the path:
// a refusal shows its page again with the error at field; success
// flashes the message act returns and goes back (board or page).
func (s *Handler) deliverableAction(field string, act func(c *fiber.Ctx, kc *scope, d *creators.Deliverable) (string, error)) func(*fiber.Ctx, *scope) error {
	return func(c *fiber.Ctx, kc *scope) error {
		d, err := s.deliverable(c, kc)
		if err != nil {
			return err
		}
		msg, err := act(c, kc, d)
		if err != nil {
			return web.FormError(c, err, field, func(e map[string]string) error { return s.renderDeliverable(c, kc, e) })
		}
		s.SetFlash(c, "ok", msg)
		return s.back(c, kc, d)
	}
}

func (s *Handler) updateDeliverable(c *fiber.Ctx, kc *scope, d *creators.Deliverable) (string, error) {
	in, err := deliverableForm(c)
	if err == nil {
		err = s.Creators.UpdateDeliverable(kc.Ctx, d.ID, in)
	}
	return "Deliverable saved.", err
}

func (s *Handler) handleDeliverableDelete(c *fiber.Ctx, kc *scope) error {
	d, err := s.deliverable(c, kc)
	if err != nil {
		return err
	}
	if err := s.Creators.DeleteDeliverable(kc.Ctx, d.ID); err != nil {
		return err
	}
	s.SetFlash(c, "ok", d.Kind+" by "+d.CreatorName+" deleted.")
	return c.Redirect(kc.Base+"/campaigns/"+strconv.FormatInt(d.CampaignID, 10), fiber.StatusSeeOther)
}

func (s *Handler) moveDeliverable(c *fiber.Ctx, kc *scope, d *creators.Deliverable) (string, error) {
	g := web.FormGetter(c)
	return "Moved to " + creators.StatusLabel(g("status")) + ".", s.Creators.Move(kc.Ctx, d.ID, g("status"), g("comment"))
}

func (s *Handler) payDeliverable(c *fiber.Ctx, kc *scope, d *creators.Deliverable) (string, error) {
	paid, err := creators.ParseCents("paid", web.FormGetter(c)("paid"))
	if err == nil {
		err = s.Creators.SetPaid(kc.Ctx, d.ID, paid)
	}
	return "Payment recorded.", err
}

func (s *Handler) handleNewLink(c *fiber.Ctx, kc *scope) error {
	d, err := s.deliverable(c, kc)
	if err != nil {
		return err
	}
	if err := s.Creators.NewLink(kc.Ctx, d.ID); err != nil {
		return err
	}
	s.SetFlash(c, "ok", "New private link made; the old one no longer works.")
	return s.back(c, kc, d)
}

func (s *Handler) handleFile(c *fiber.Ctx, kc *scope) error {
	d, err := s.deliverable(c, kc)
	if err != nil {
		return err
	}
	d, b, err := s.Creators.DeliverableFile(kc.Ctx, d.ID)
	if err != nil {
		return err
	}
	return web.SendAttachment(c, d.FileName, web.InertType(b), false, b, "private, no-store")
}

type nexusIndexPage struct {
	web.Layout
	Tenants []*app.Tenant
}

func (s *Handler) handleNexusIndex(c *fiber.Ctx) error {
	ts, err := s.Tenants.ListTenants(c.UserContext())
	if err != nil {
		return err
	}
	pg := &nexusIndexPage{Tenants: ts}
	pg.Layout = s.Layout(c, web.HostNexus, "Creators")
	return s.Render(c, "nexus/creators_index", pg)
}

// MountPublic adds the creator's private page on the portal hosts.
func (s *Handler) MountPublic(r fiber.Router, csrf fiber.Handler) {
	if !s.On() {
		return
	}
	r.Get("/c/:token", s.handlePrivate)
	r.Post("/c/:token", csrf, s.handlePrivateSubmit)
}

type privatePage struct {
	web.Layout
	Token    string
	D        *creators.Deliverable
	Campaign *creators.Campaign
	Brief    template.HTML
	Comments []*creators.Comment
	Status   string
	Closed   bool
	Errors   map[string]string
}

// private resolves a private link: its tenant (the custom domain's, if
// the request came on one, must be the same) and deliverable. A wrong,
// replaced or expired link is refused with its reason.
func (s *Handler) private(c *fiber.Ctx) (context.Context, *creators.Link, *creators.Deliverable, error) {
	l, err := s.Creators.ParseToken(utils.CopyString(c.Params("token")))
	if err != nil {
		return nil, nil, nil, err
	}
	if dt := web.DomainTenant(c); dt != nil && dt.ID != l.TenantID {
		return nil, nil, nil, app.Errorf(app.ENOTFOUND, "This link is not valid. Ask for a new one.")
	}
	t, err := s.Tenants.TenantByID(c.UserContext(), l.TenantID)
	if err != nil || !t.Active() {
		return nil, nil, nil, app.Errorf(app.ENOTFOUND, "This link is not valid. Ask for a new one.")
	}
	web.SetSessionTenant(c, t) // the page shows the tenant's brand
	ctx := app.NewContextWithTenant(app.WithoutValues(c.UserContext()), t)
	d, err := s.Creators.LinkDeliverable(ctx, l)
	if err != nil {
		return nil, nil, nil, err
	}
	return ctx, l, d, nil
}

func (s *Handler) handlePrivate(c *fiber.Ctx) error { return s.renderPrivate(c, nil) }

func (s *Handler) renderPrivate(c *fiber.Ctx, errs map[string]string) error {
	ctx, _, d, err := s.private(c)
	if err != nil {
		return err
	}
	pg := &privatePage{Token: utils.CopyString(c.Params("token")), D: d, Status: creators.StatusLabel(d.Status), Errors: errs,
		Closed: d.Status == creators.Approved || d.Status == creators.Published}
	if pg.Campaign, err = s.Creators.Campaign(ctx, d.CampaignID); err != nil {
		return err
	}
	pg.Brief = template.HTML(creators.RenderBrief(pg.Campaign.Brief))
	if pg.Comments, err = s.Creators.Comments(ctx, d.ID); err != nil {
		return err
	}
	pg.Layout = s.Layout(c, web.HostPortal, d.Kind+" for "+pg.Campaign.Name)
	c.Set("Referrer-Policy", "no-referrer") // the token is in the address
	return s.Render(c, "portal/creators_private", pg)
}

func (s *Handler) handlePrivateSubmit(c *fiber.Ctx) error {
	ctx, l, _, err := s.private(c)
	if err != nil {
		return err
	}
	g := web.FormGetter(c)
	sub := &creators.Submission{URL: g("url"), Note: g("note")}
	if fh, ferr := c.FormFile("file"); ferr == nil && fh.Size > 0 {
		f, err := fh.Open()
		if err != nil {
			return err
		}
		sub.File, err = io.ReadAll(io.LimitReader(f, creators.MaxFileBytes+1))
		f.Close()
		if err != nil {
			return err
		}
		sub.FileName = utils.CopyString(fh.Filename)
	}
	if err := s.Creators.Submit(ctx, l, sub); err != nil {
		return web.FormError(c, err, "url", func(e map[string]string) error { return s.renderPrivate(c, e) })
	}
	s.SetFlash(c, "ok", "Thank you: your work was sent for review.")
	return c.Redirect("/c/"+utils.CopyString(c.Params("token")), fiber.StatusSeeOther)
}
