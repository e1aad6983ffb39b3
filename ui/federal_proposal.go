package ui

import (
	"bytes"
	"errors"
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/federal"
)

// Proposal Studio, Grant Studio, alerts and the daily digest.

func (s *Server) registerFederalStudioRoutes(g fiber.Router, csrf fiber.Handler) {
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
	Layout
	Notice   *federal.StoredNotice
	Pursued  bool
	Sections []sectionView
	Coverage federal.ProposalCoverage
	Matrix   int
	Form     federal.ProposalSection
	Errors   map[string]string
	Statuses []string
}

func (s *Server) renderFederalProposal(c *fiber.Ctx, p *federalProposalPage) error {
	ctx, tid, id := c.UserContext(), fedTenant(c), s.noticeID(c)
	var err error
	if p.Notice, err = s.Federal.Store.FindNotice(ctx, tid, id); err != nil {
		return err
	}
	if _, err := s.Federal.Store.FindPipelineEntry(ctx, tid, id); err == nil {
		p.Pursued = true
	} else if app.ErrorCode(err) != app.ENOTFOUND {
		return err
	}
	secs, err := s.Federal.Store.FindSections(ctx, tid, id)
	if err != nil {
		return err
	}
	rows, err := s.Federal.Store.FindMatrix(ctx, tid, id)
	if err != nil {
		return err
	}
	p.Matrix = len(rows)
	p.Coverage = federal.Coverage(rows, secs)
	for _, sec := range secs {
		p.Sections = append(p.Sections, sectionView{ProposalSection: sec, Preview: renderMarkdown(sec.Body), Requirements: p.Coverage.BySection[sec.Title]})
	}
	p.Statuses = federal.SectionStatuses
	p.Layout = s.layout(c, HostNexus, "Proposal: "+p.Notice.Title)
	return s.render(c, "nexus/federal_proposal", p)
}

func (s *Server) handleFederalProposal(c *fiber.Ctx) error {
	return s.renderFederalProposal(c, &federalProposalPage{})
}

func sectionFromForm(c *fiber.Ctx) (federal.ProposalSection, error) {
	sec := federal.ProposalSection{Title: utils.CopyString(c.FormValue("title")), Body: utils.CopyString(c.FormValue("body")),
		Owner: utils.CopyString(c.FormValue("owner")), Status: utils.CopyString(c.FormValue("status"))}
	pos, err := atoiDefault(strings.TrimSpace(c.FormValue("position")), 0)
	if err != nil {
		return sec, app.FieldErrorf("position", "Order must be a whole number.")
	}
	sec.Position = pos
	return sec, nil
}

func proposalURL(noticeID string) string {
	return "/federal/opportunities/" + url.PathEscape(noticeID) + "/proposal"
}

func (s *Server) handleFederalSectionCreate(c *fiber.Ctx) error {
	id := s.noticeID(c)
	sec, err := sectionFromForm(c)
	sec.TenantID, sec.NoticeID = fedTenant(c), id
	if err == nil {
		err = s.Federal.CreateSection(c.UserContext(), &sec)
	}
	if err != nil {
		err = fedErr(err)
		code := app.ErrorCode(err)
		if code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		c.Status(ErrorStatus(code))
		return s.renderFederalProposal(c, &federalProposalPage{Form: sec, Errors: map[string]string{"section": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.proposal.section.create", "notice:"+id, sec.Title)
	s.setFlash(c, "ok", "Section “"+sec.Title+"” added.")
	return c.Redirect(proposalURL(id)+"/sections/"+strconv.FormatInt(sec.ID, 10), fiber.StatusSeeOther)
}

func (s *Server) handleFederalSectionsFromMatrix(c *fiber.Ctx) error {
	id := s.noticeID(c)
	n, err := s.Federal.CreateSectionsFromMatrix(c.UserContext(), fedTenant(c), id)
	if err != nil {
		err = fedErr(err)
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderFederalProposal(c, &federalProposalPage{Errors: map[string]string{"matrix": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.proposal.from_matrix", "notice:"+id, strconv.Itoa(n)+" sections")
	s.setFlash(c, "ok", strconv.Itoa(n)+" section(s) added from the compliance matrix; its requirements now point at them.")
	return c.Redirect(proposalURL(id), fiber.StatusSeeOther)
}

type federalSectionPage struct {
	Layout
	Notice   *federal.StoredNotice
	Section  *federal.ProposalSection
	Preview  template.HTML
	Statuses []string
	Errors   map[string]string
}

func (s *Server) renderFederalSection(c *fiber.Ctx, p *federalSectionPage) error {
	ctx, tid, id := c.UserContext(), fedTenant(c), s.noticeID(c)
	sid, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if p.Notice, err = s.Federal.Store.FindNotice(ctx, tid, id); err != nil {
		return err
	}
	if p.Section == nil {
		if p.Section, err = s.Federal.Store.FindSection(ctx, tid, id, sid); err != nil {
			return err
		}
	}
	p.Preview, p.Statuses = renderMarkdown(p.Section.Body), federal.SectionStatuses
	p.Layout = s.layout(c, HostNexus, p.Section.Title)
	return s.render(c, "nexus/federal_section", p)
}

func (s *Server) handleFederalSection(c *fiber.Ctx) error {
	return s.renderFederalSection(c, &federalSectionPage{})
}

func (s *Server) handleFederalSectionUpdate(c *fiber.Ctx) error {
	id := s.noticeID(c)
	sid, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Federal.Store.FindSection(c.UserContext(), fedTenant(c), id, sid); err != nil {
		return err
	}
	sec, err := sectionFromForm(c)
	sec.ID, sec.TenantID, sec.NoticeID = sid, fedTenant(c), id
	if err == nil {
		err = s.Federal.UpdateSection(c.UserContext(), &sec)
	}
	if err != nil {
		err = fedErr(err)
		code := app.ErrorCode(err)
		if code != app.EINVALID && code != app.ECONFLICT {
			return err
		}
		c.Status(ErrorStatus(code))
		return s.renderFederalSection(c, &federalSectionPage{Section: &sec, Errors: map[string]string{"section": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.proposal.section.update", "notice:"+id, sec.Title)
	s.setFlash(c, "ok", "Section saved.")
	if c.FormValue("next") == "proposal" {
		return c.Redirect(proposalURL(id), fiber.StatusSeeOther)
	}
	return c.Redirect(proposalURL(id)+"/sections/"+strconv.FormatInt(sid, 10), fiber.StatusSeeOther)
}

func (s *Server) handleFederalSectionDelete(c *fiber.Ctx) error {
	id := s.noticeID(c)
	sid, err := paramID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Federal.Store.DeleteSection(c.UserContext(), fedTenant(c), id, sid); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "federal.proposal.section.delete", "notice:"+id, strconv.FormatInt(sid, 10))
	s.setFlash(c, "ok", "Section deleted.")
	return c.Redirect(proposalURL(id), fiber.StatusSeeOther)
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// handleFederalProposalExport answers the proposal as DOCX or PDF (the
// last path segment).
func (s *Server) handleFederalProposalExport(c *fiber.Ctx) error {
	id := s.noticeID(c)
	p, err := s.Federal.Proposal(c.UserContext(), fedTenant(c), id)
	if err != nil {
		err = fedErr(err)
		if app.ErrorCode(err) == app.EINVALID {
			s.setFlash(c, "error", "Add at least one section before exporting the proposal.")
			return c.Redirect(proposalURL(id), fiber.StatusSeeOther)
		}
		return err
	}
	var buf bytes.Buffer
	name := "proposal-" + strings.Trim(unsafeFileChars.ReplaceAllString(id, "-"), "-")
	if strings.HasSuffix(c.Path(), "/pdf") {
		err = p.WritePDF(&buf)
		c.Set(fiber.HeaderContentType, "application/pdf")
		name += ".pdf"
	} else {
		err = p.WriteDOCX(&buf)
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
	Layout
	Grant       *federal.StoredGrant
	Pipeline    *federal.GrantPipelineEntry
	Stages      []struct{ Code, Label string }
	Description string // the synopsis as text (Grants.gov sends HTML)
	Errors      map[string]string
	Work        *pursuitWork // tasks and notes, once the grant is pursued
}

func (s *Server) grantID(c *fiber.Ctx) string {
	return utils.CopyString(strings.TrimSpace(c.Params("grantId")))
}

func (s *Server) renderFederalGrant(c *fiber.Ctx, p *federalGrantPage) error {
	ctx, tid, id := c.UserContext(), fedTenant(c), s.grantID(c)
	var err error
	if p.Grant, err = s.Federal.Store.FindGrant(ctx, tid, id); err != nil {
		return err
	}
	if p.Pipeline == nil {
		if e, err := s.Federal.Store.FindGrantPipelineEntry(ctx, tid, id); err == nil {
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
	p.Layout = s.layout(c, HostNexus, p.Grant.Title)
	if p.Work != nil {
		p.Work.CSRF = p.CSRF
	}
	return s.render(c, "nexus/federal_grant", p)
}

func (s *Server) handleFederalGrant(c *fiber.Ctx) error {
	return s.renderFederalGrant(c, &federalGrantPage{})
}

func grantURL(id string) string { return "/federal/grants/" + url.PathEscape(id) }

func (s *Server) handleFederalGrantPursue(c *fiber.Ctx) error {
	id := s.grantID(c)
	if _, err := s.Federal.PursueGrant(c.UserContext(), fedTenant(c), id); err != nil {
		return err
	}
	s.Audit.Record(c.UserContext(), "federal.grant.pursue", "grant:"+id, "")
	s.setFlash(c, "ok", "Added to the grant pipeline at Triage.")
	return c.Redirect(grantURL(id), fiber.StatusSeeOther)
}

func (s *Server) handleFederalGrantPipelineSave(c *fiber.Ctx) error {
	id := s.grantID(c)
	if _, err := s.Federal.Store.FindGrantPipelineEntry(c.UserContext(), fedTenant(c), id); err != nil {
		return err
	}
	e := &federal.GrantPipelineEntry{TenantID: fedTenant(c), GrantID: id, Stage: utils.CopyString(c.FormValue("stage")),
		Owner: strings.TrimSpace(utils.CopyString(c.FormValue("owner")))}
	if err := s.Federal.SaveGrantPipelineEntry(c.UserContext(), e); err != nil {
		err = fedErr(err)
		if app.ErrorCode(err) != app.EINVALID {
			return err
		}
		c.Status(fiber.StatusBadRequest)
		return s.renderFederalGrant(c, &federalGrantPage{Pipeline: e, Errors: map[string]string{"pipeline": app.ErrorMessage(err)}})
	}
	s.Audit.Record(c.UserContext(), "federal.grant.pipeline", "grant:"+id, "stage "+e.Stage)
	s.setFlash(c, "ok", "Grant pipeline saved: "+federal.GrantStageLabel(e.Stage)+".")
	return c.Redirect(grantURL(id), fiber.StatusSeeOther)
}

func (s *Server) handleFederalGrantFetch(c *fiber.Ctx) error {
	id := s.grantID(c)
	if err := s.Federal.FetchGrantDetail(c.UserContext(), fedTenant(c), id); err != nil {
		if app.ErrorCode(err) == app.ENOTFOUND {
			return err
		}
		var v *federal.ValidationError
		msg := "Grants.gov did not answer: " + federal.ErrorMessage(err)
		if errors.As(err, &v) {
			msg = app.ErrorMessage(fedErr(err))
		}
		s.setFlash(c, "error", msg)
		return c.Redirect(grantURL(id), fiber.StatusSeeOther)
	}
	s.setFlash(c, "ok", "Details fetched from Grants.gov.")
	return c.Redirect(grantURL(id), fiber.StatusSeeOther)
}

type federalGrantPipelinePage struct {
	Layout
	Entries []*federal.GrantPipelineEntry
	Stages  []struct{ Code, Label string }
	ByStage map[string]int
}

func (s *Server) handleFederalGrantPipeline(c *fiber.Ctx) error {
	es, err := s.Federal.Store.FindGrantPipeline(c.UserContext(), fedTenant(c))
	if err != nil {
		return err
	}
	p := &federalGrantPipelinePage{Entries: es, Stages: federal.GrantStages, ByStage: map[string]int{}}
	for _, e := range es {
		p.ByStage[e.Stage]++
	}
	p.Layout = s.layout(c, HostNexus, "Grant pipeline")
	return s.render(c, "nexus/federal_grant_pipeline", p)
}

type federalDigestPage struct {
	Layout
	Day     string
	Prev    string
	Next    string
	Digest  *federal.Digest
	Text    string
	History []*federal.FederalAlert
}

func (s *Server) handleFederalDigest(c *fiber.Ctx) error {
	day := time.Now().UTC()
	if v := strings.TrimSpace(c.Query("day")); v != "" {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return app.FieldErrorf("day", "Day must be a date like 2026-11-24.")
		}
		day = t
	}
	dg, err := s.Federal.Digest(c.UserContext(), fedTenant(c), day)
	if err != nil {
		return err
	}
	p := &federalDigestPage{Digest: dg, Text: dg.Text(), Day: dg.Day.Format(time.DateOnly),
		Prev: dg.Day.AddDate(0, 0, -1).Format(time.DateOnly), Next: dg.Day.AddDate(0, 0, 1).Format(time.DateOnly)}
	if p.History, err = s.Federal.Store.FindAlerts(c.UserContext(), fedTenant(c), federal.AlertFilter{Kind: federal.AlertDigest, Limit: 30}); err != nil {
		return err
	}
	p.Layout = s.layout(c, HostNexus, "Daily digest")
	return s.render(c, "nexus/federal_digest", p)
}

func (s *Server) handleFederalAlertsRun(c *fiber.Ctx) error {
	n, err := s.Federal.RunAlerts(c.UserContext(), fedTenant(c))
	if err != nil {
		return err
	}
	if _, err := s.Federal.RunDigest(c.UserContext(), fedTenant(c)); err != nil {
		return err
	}
	s.setFlash(c, "ok", strconv.Itoa(n)+" new alert(s).")
	return c.Redirect("/federal/compliance", fiber.StatusSeeOther)
}

func init() {
	funcs["grantStageLabel"] = federal.GrantStageLabel
}
