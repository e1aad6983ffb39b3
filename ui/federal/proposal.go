package federal

import (
	"bytes"
	"errors"
	"html/template"
	"net/url"
	"orengen/ui/web"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/federal"
)

// Proposal Studio, Grant Studio, alerts and the daily digest.

func (s *Handler) registerFederalStudioRoutes(g fiber.Router, csrf fiber.Handler) {
	g.Get("/opportunities/:noticeId/proposal", s.handleFederalProposal)
	g.Post("/opportunities/:noticeId/proposal/sections", csrf, s.handleFederalSectionCreate)
	g.Post("/opportunities/:noticeId/proposal/from-matrix", csrf, s.handleFederalSectionsFromMatrix)
	g.Get("/opportunities/:noticeId/proposal/sections/:id", s.handleFederalSection)
	g.Post("/opportunities/:noticeId/proposal/sections/:id", csrf, s.handleFederalSectionUpdate)
	g.Post("/opportunities/:noticeId/proposal/sections/:id/delete", csrf, s.handleFederalSectionDelete)
	g.Get("/opportunities/:noticeId/proposal/docx", s.handleFederalProposalExport)
	g.Get("/opportunities/:noticeId/proposal/pdf", s.handleFederalProposalExport)
	g.Get("/grant-pipeline", s.handleFederalGrantPipeline)
	g.Get("/grants/:grantId", s.handleFederalGrant)
	g.Post("/grants/:grantId/pursue", csrf, s.handleFederalGrantPursue)
	g.Post("/grants/:grantId/pipeline", csrf, s.handleFederalGrantPipelineSave)
	g.Post("/grants/:grantId/fetch", csrf, s.handleFederalGrantFetch)
	g.Get("/digest", s.handleFederalDigest)
	g.Post("/alerts/run", csrf, s.handleFederalAlertsRun)
}

// sectionView is a section with its safe preview and the matrix rows
// answered in it.
type sectionView struct {
	*federal.ProposalSection
	Preview      template.HTML
	Requirements []*federal.MatrixRow
}

type federalProposalPage struct {
	web.Layout
	Notice   *federal.StoredNotice
	Pursued  bool
	Sections []sectionView
	Coverage federal.ProposalCoverage
	Matrix   int
	Form     federal.ProposalSection
	Errors   map[string]string
	Statuses []string
}

func (s *Handler) renderFederalProposal(c *fiber.Ctx, p *federalProposalPage) error {
	ctx, id := FedContext(c), s.NoticeID(c)
	var err error
	if p.Notice, err = s.Federal.FindNotice(ctx, id); err != nil {
		return err
	}
	if _, err := s.Federal.FindPipelineEntry(ctx, id); err == nil {
		p.Pursued = true
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	secs, err := s.Federal.FindSections(ctx, id)
	if err != nil {
		return err
	}
	rows, err := s.Federal.FindMatrix(ctx, id)
	if err != nil {
		return err
	}
	p.Matrix = len(rows)
	p.Coverage = federal.Coverage(rows, secs)
	for _, sec := range secs {
		p.Sections = append(p.Sections, sectionView{ProposalSection: sec, Preview: web.Markdown(sec.Body), Requirements: p.Coverage.BySection[sec.Title]})
	}
	p.Statuses = federal.SectionStatuses
	p.Layout = s.Layout(c, web.HostNexus, "Proposal: "+p.Notice.Title)
	return s.Render(c, "nexus/federal_proposal", p)
}

func (s *Handler) handleFederalProposal(c *fiber.Ctx) error {
	return s.renderFederalProposal(c, &federalProposalPage{})
}

func sectionFromForm(c *fiber.Ctx) (federal.ProposalSection, error) {
	sec := federal.ProposalSection{Title: utils.CopyString(c.FormValue("title")), Body: utils.CopyString(c.FormValue("body")),
		Owner: utils.CopyString(c.FormValue("owner")), Status: utils.CopyString(c.FormValue("status"))}
	pos, err := web.AtoiDefault(strings.TrimSpace(c.FormValue("position")), 0)
	if err != nil {
		return sec, app.FieldErrorf("position", "Order must be a whole number.")
	}
	sec.Position = pos
	return sec, nil
}

func proposalURL(NoticeID string) string {
	return "/federal/opportunities/" + url.PathEscape(NoticeID) + "/proposal"
}

func (s *Handler) handleFederalSectionCreate(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	sec, err := sectionFromForm(c)
	sec.TenantID, sec.NoticeID = FedTenant(c), id
	if err == nil {
		err = s.Federal.CreateSection(FedContext(c), &sec)
	}
	if err != nil {
		err = Err(err)
		code := app.ErrorCode(err)
		if code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		c.Status(web.ErrorStatus(code))
		return s.renderFederalProposal(c, &federalProposalPage{Form: sec, Errors: map[string]string{"section": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.proposal.section.create", "notice:"+id, sec.Title)
	s.SetFlash(c, "ok", "Section “"+sec.Title+"” added.")
	return c.Redirect(proposalURL(id)+"/sections/"+strconv.FormatInt(sec.ID, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleFederalSectionsFromMatrix(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	n, err := s.Federal.CreateSectionsFromMatrix(FedContext(c), id)
	if err != nil {
		err = Err(err)
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderFederalProposal(c, &federalProposalPage{Errors: map[string]string{"matrix": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.proposal.from_matrix", "notice:"+id, strconv.Itoa(n)+" sections")
	s.SetFlash(c, "ok", strconv.Itoa(n)+" section(s) added from the compliance matrix; its requirements now point at them.")
	return c.Redirect(proposalURL(id), fiber.StatusSeeOther)
}

type federalSectionPage struct {
	web.Layout
	Notice   *federal.StoredNotice
	Section  *federal.ProposalSection
	Preview  template.HTML
	Statuses []string
	Errors   map[string]string
}

func (s *Handler) renderFederalSection(c *fiber.Ctx, p *federalSectionPage) error {
	ctx, id := FedContext(c), s.NoticeID(c)
	sid, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if p.Notice, err = s.Federal.FindNotice(ctx, id); err != nil {
		return err
	}
	if p.Section == nil {
		if p.Section, err = s.Federal.FindSection(ctx, id, sid); err != nil {
			return err
		}
	}
	p.Preview, p.Statuses = web.Markdown(p.Section.Body), federal.SectionStatuses
	p.Layout = s.Layout(c, web.HostNexus, p.Section.Title)
	return s.Render(c, "nexus/federal_section", p)
}

func (s *Handler) handleFederalSection(c *fiber.Ctx) error {
	return s.renderFederalSection(c, &federalSectionPage{})
}

func (s *Handler) handleFederalSectionUpdate(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	sid, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Federal.FindSection(FedContext(c), id, sid); err != nil {
		return err
	}
	sec, err := sectionFromForm(c)
	sec.ID, sec.TenantID, sec.NoticeID = sid, FedTenant(c), id
	if err == nil {
		err = s.Federal.UpdateSection(FedContext(c), &sec)
	}
	if err != nil {
		err = Err(err)
		code := app.ErrorCode(err)
		if code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		c.Status(web.ErrorStatus(code))
		return s.renderFederalSection(c, &federalSectionPage{Section: &sec, Errors: map[string]string{"section": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.proposal.section.update", "notice:"+id, sec.Title)
	s.SetFlash(c, "ok", "Section saved.")
	if c.FormValue("next") == "proposal" {
		return c.Redirect(proposalURL(id), fiber.StatusSeeOther)
	}
	return c.Redirect(proposalURL(id)+"/sections/"+strconv.FormatInt(sid, 10), fiber.StatusSeeOther)
}

func (s *Handler) handleFederalSectionDelete(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	sid, err := web.ParamID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Federal.DeleteSection(FedContext(c), id, sid); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "federal.proposal.section.delete", "notice:"+id, strconv.FormatInt(sid, 10))
	s.SetFlash(c, "ok", "Section deleted.")
	return c.Redirect(proposalURL(id), fiber.StatusSeeOther)
}

var unsafeFileChars = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[^A-Za-z0-9._-]+`) })

// handleFederalProposalExport answers the proposal as DOCX or PDF (the
// last path segment).
func (s *Handler) handleFederalProposalExport(c *fiber.Ctx) error {
	id := s.NoticeID(c)
	p, err := s.Federal.Proposal(FedContext(c), id)
	if err != nil {
		err = Err(err)
		if app.ErrorCode(err) == app.EINVALID {
			s.SetFlash(c, "error", "Add at least one section before exporting the proposal.")
			return c.Redirect(proposalURL(id), fiber.StatusSeeOther)
		}
		return err
	}
	var buf bytes.Buffer
	name := "proposal-" + strings.Trim(unsafeFileChars().ReplaceAllString(id, "-"), "-")
	if strings.HasSuffix(c.Path(), "/pdf") {
		err = s.Federal.WriteProposal(&buf, p, federal.FormatPDF)
		c.Set(fiber.HeaderContentType, "application/pdf")
		name += ".pdf"
	} else {
		err = s.Federal.WriteProposal(&buf, p, federal.FormatDOCX)
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
		name += ".docx"
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	s.Audit.Record(c.UserContext(), "federal.proposal.export", "notice:"+id, name)
	return c.Send(buf.Bytes())
}

type federalGrantPage struct {
	web.Layout
	Grant       *federal.StoredGrant
	Pipeline    *federal.GrantPipelineEntry
	Stages      []struct{ Code, Label string }
	Description string // the synopsis as text (Grants.gov sends HTML)
	Errors      map[string]string
	Work        *pursuitWork // tasks and notes, once the grant is pursued
}

func (s *Handler) grantID(c *fiber.Ctx) string {
	return utils.CopyString(strings.TrimSpace(c.Params("grantId")))
}

func (s *Handler) renderFederalGrant(c *fiber.Ctx, p *federalGrantPage) error {
	ctx, id := FedContext(c), s.grantID(c)
	var err error
	if p.Grant, err = s.Federal.FindGrant(ctx, id); err != nil {
		return err
	}
	if p.Pipeline == nil {
		if e, err := s.Federal.FindGrantPipelineEntry(ctx, id); err == nil {
			p.Pipeline = e
		} else if app.ErrorCode(err) != app.ENOTFOUND {
			return err
		}
	}
	if p.Grant.Description != "" {
		// Grants.gov synopses are HTML: show their text, never their markup.
		p.Description = federal.PlainText(p.Grant.Description)
	}
	p.Stages = federal.GrantStages
	if err := s.pursuitWorkFor(c, nil, p.Pipeline, &p.Work); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostNexus, p.Grant.Title)
	if p.Work != nil {
		p.Work.CSRF = p.CSRF
	}
	return s.Render(c, "nexus/federal_grant", p)
}

func (s *Handler) handleFederalGrant(c *fiber.Ctx) error {
	return s.renderFederalGrant(c, &federalGrantPage{})
}

func GrantURL(id string) string { return "/federal/grants/" + url.PathEscape(id) }

func (s *Handler) handleFederalGrantPursue(c *fiber.Ctx) error {
	id := s.grantID(c)
	if _, err := s.Federal.PursueGrant(FedContext(c), id); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "federal.grant.pursue", "grant:"+id, "")
	s.SetFlash(c, "ok", "Added to the grant pipeline at Triage.")
	return c.Redirect(GrantURL(id), fiber.StatusSeeOther)
}

func (s *Handler) handleFederalGrantPipelineSave(c *fiber.Ctx) error {
	id := s.grantID(c)
	if _, err := s.Federal.FindGrantPipelineEntry(FedContext(c), id); err != nil {
		return err
	}
	e := &federal.GrantPipelineEntry{TenantID: FedTenant(c), GrantID: id, Stage: utils.CopyString(c.FormValue("stage")),
		Owner: strings.TrimSpace(utils.CopyString(c.FormValue("owner")))}
	if err := s.Federal.SaveGrantPipelineEntry(FedContext(c), e); err != nil {
		err = Err(err)
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderFederalGrant(c, &federalGrantPage{Pipeline: e, Errors: map[string]string{"pipeline": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.grant.pipeline", "grant:"+id, "stage "+e.Stage)
	s.SetFlash(c, "ok", "Grant pipeline saved: "+federal.GrantStageLabel(e.Stage)+".")
	return c.Redirect(GrantURL(id), fiber.StatusSeeOther)
}

func (s *Handler) handleFederalGrantFetch(c *fiber.Ctx) error {
	id := s.grantID(c)
	if err := s.Federal.FetchGrantDetail(FedContext(c), id); err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return err
		}
		var v *federal.ValidationError
		msg := "Grants.gov did not answer: " + federal.ErrorMessage(err)
		if errors.As(err, &v) {
			msg = app.ErrorMessage(Err(err))
		}
		s.SetFlash(c, "error", msg)
		return c.Redirect(GrantURL(id), fiber.StatusSeeOther)
	}
	s.SetFlash(c, "ok", "Details fetched from Grants.gov.")
	return c.Redirect(GrantURL(id), fiber.StatusSeeOther)
}

type federalGrantPipelinePage struct {
	web.Layout
	Entries []*federal.GrantPipelineEntry
	Stages  []struct{ Code, Label string }
	ByStage map[string]int
}

func (s *Handler) handleFederalGrantPipeline(c *fiber.Ctx) error {
	es, err := s.Federal.FindGrantPipeline(FedContext(c))
	if err != nil {
		return err
	}
	p := &federalGrantPipelinePage{Entries: es, Stages: federal.GrantStages, ByStage: map[string]int{}}
	for _, e := range es {
		p.ByStage[e.Stage]++
	}
	p.Layout = s.Layout(c, web.HostNexus, "Grant pipeline")
	return s.Render(c, "nexus/federal_grant_pipeline", p)
}

type federalDigestPage struct {
	web.Layout
	Day     string
	Prev    string
	Next    string
	Digest  *federal.Digest
	Text    string
	History []*federal.FederalAlert
}

func (s *Handler) handleFederalDigest(c *fiber.Ctx) error {
	day := time.Now().UTC()
	if v := strings.TrimSpace(c.Query("day")); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return app.FieldErrorf("day", "Day must be a date like 2026-11-24.")
		}
		day = t
	}
	dg, err := s.Federal.Digest(FedContext(c), day)
	if err != nil {
		return err
	}
	p := &federalDigestPage{Digest: dg, Text: dg.Text(), Day: dg.Day.Format(time.DateOnly),
		Prev: dg.Day.AddDate(0, 0, -1).Format(time.DateOnly), Next: dg.Day.AddDate(0, 0, 1).Format(time.DateOnly)}
	if p.History, err = s.Federal.FindAlerts(FedContext(c), federal.AlertFilter{Kind: federal.AlertDigest, Limit: 30}); err != nil {
		return err
	}
	p.Layout = s.Layout(c, web.HostNexus, "Daily digest")
	return s.Render(c, "nexus/federal_digest", p)
}

func (s *Handler) handleFederalAlertsRun(c *fiber.Ctx) error {
	n, err := s.Federal.RunAlerts(FedContext(c))
	if err != nil {
		return err
	}
	if _, err := s.Federal.RunDigest(FedContext(c)); err != nil {
		return err
	}
	s.SetFlash(c, "ok", strconv.Itoa(n)+" new alert(s).")
	return c.Redirect("/federal/compliance", fiber.StatusSeeOther)
}
