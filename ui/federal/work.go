package federal

import (
	"context"
	"html/template"
	"orengen/ui/web"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/federal"
)

// Tasks and notes of a pursuit (a notice or grant in a pipeline) are the
// CRM's own, linked with record_type "pursuit" or "grant_pursuit" to the
// pipeline entry's ID: the CRM store checks the link against the tenant
// the Federal pages work for (FedTenant), writes the timeline entry, and
// the API lists them with every other task and note.

func (s *Handler) registerFederalWorkRoutes(g fiber.Router, csrf fiber.Handler) {
	if s.CRM == nil {
		return
	}
	g.Post("/opportunities/:noticeId/tasks", csrf, s.handleFederalWorkTask(false))
	g.Post("/opportunities/:noticeId/tasks/:id/done", csrf, s.handleFederalWorkTaskDone(false))
	g.Post("/opportunities/:noticeId/notes", csrf, s.handleFederalWorkNote(false))
	g.Post("/grants/:grantId/tasks", csrf, s.handleFederalWorkTask(true))
	g.Post("/grants/:grantId/tasks/:id/done", csrf, s.handleFederalWorkTaskDone(true))
	g.Post("/grants/:grantId/notes", csrf, s.handleFederalWorkNote(true))
}

// pursuitWork is the Tasks and Notes panel of a pursuit page.
type pursuitWork struct {
	Action    string // the pursuit page's path; forms post below it
	CSRF      string
	Tasks     []*app.Task
	Notes     []pursuitNote
	Users     []*app.User // assignee choices: the tenant's users
	UserNames map[int64]string
	TaskError string
	NoteError string
	Form      map[string]string // the task form shown again after an error
}

type pursuitNote struct {
	*app.Note
	HTML template.HTML // rendered like CRM notes: markdown, raw HTML escaped
}

// FedContext is the request's context scoped to the tenant the Federal
// pages work for (FedTenant): the federal service and the CRM store take
// the tenant from it, so they read and write that tenant's rows only.
func FedContext(c *fiber.Ctx) context.Context {
	return app.NewContextWithTenant(c.UserContext(), &app.Tenant{ID: FedTenant(c)})
}

// pursuitRef resolves the pursuit of the page: its record type and ID and
// the page path. Returns ENOTFOUND when the notice or grant is not pursued
// by the Federal tenant.
func (s *Handler) pursuitRef(c *fiber.Ctx, grant bool) (typ string, id int64, path string, err error) {
	ctx := FedContext(c)
	if grant {
		gid := s.grantID(c)
		e, err := s.Federal.FindGrantPipelineEntry(ctx, gid)
		if err != nil {
			return "", 0, "", err
		}
		return app.RecordGrantPursuit, e.ID, GrantURL(gid), nil
	}
	nid := s.NoticeID(c)
	e, err := s.Federal.FindPipelineEntry(ctx, nid)
	if err != nil {
		return "", 0, "", err
	}
	return app.RecordPursuit, e.ID, NoticeURL(nid), nil
}

// loadPursuitWork fills the panel for the pursuit typ/id shown at path.
func (s *Handler) loadPursuitWork(c *fiber.Ctx, typ string, id int64, path string, w *pursuitWork) error {
	if s.CRM == nil {
		return nil
	}
	ctx := FedContext(c)
	w.Action = path
	var err error
	if w.Tasks, _, err = s.CRM.FindTasks(ctx, app.TaskFilter{RecordType: &typ, RecordID: &id, ListOptions: app.ListOptions{Limit: app.MaxPageSize, Sort: "created_at"}}); err != nil {
		return err
	}
	ns, _, err := s.CRM.FindNotes(ctx, app.NoteFilter{RecordType: &typ, RecordID: &id, ListOptions: app.ListOptions{Limit: app.MaxPageSize}})
	if err != nil {
		return err
	}
	w.Notes = w.Notes[:0]
	for _, n := range ns {
		w.Notes = append(w.Notes, pursuitNote{Note: n, HTML: web.Markdown(n.Body)})
	}
	if s.Users != nil {
		if w.Users, err = s.Users.ListUsers(ctx); err != nil {
			return err
		}
	}
	w.UserNames = map[int64]string{}
	for _, u := range w.Users {
		w.UserNames[u.ID] = firstNonBlank(u.Name, u.Email)
	}
	return nil
}

func firstNonBlank(v ...string) string {
	for _, s := range v {
		if s != "" {
			return s
		}
	}
	return ""
}

// pursuitWorkFor fills *w for the pursued notice e or grant g (the one not
// nil); a page of a notice or grant not pursued has no panel. The entry
// shown after a failed pipeline save has no ID: it is looked up again.
func (s *Handler) pursuitWorkFor(c *fiber.Ctx, e *federal.PipelineEntry, g *federal.GrantPipelineEntry, w **pursuitWork) error {
	if s.CRM == nil || (e == nil && g == nil) {
		*w = nil
		return nil
	}
	ctx := FedContext(c)
	var typ, path string
	var id int64
	if e != nil {
		if e.ID == 0 {
			found, err := s.Federal.FindPipelineEntry(ctx, e.NoticeID)
			if app.ErrorCode(err) == app.ENOTFOUND {
				*w = nil
				return nil
			} else if err != nil {
				return err
			}
			e = found
		}
		typ, id, path = app.RecordPursuit, e.ID, NoticeURL(e.NoticeID)
	} else {
		if g.ID == 0 {
			found, err := s.Federal.FindGrantPipelineEntry(ctx, g.GrantID)
			if app.ErrorCode(err) == app.ENOTFOUND {
				*w = nil
				return nil
			} else if err != nil {
				return err
			}
			g = found
		}
		typ, id, path = app.RecordGrantPursuit, g.ID, GrantURL(g.GrantID)
	}
	if *w == nil {
		*w = &pursuitWork{}
	}
	return s.loadPursuitWork(c, typ, id, path, *w)
}

// renderPursuit shows the pursuit page again with w (an error in the task
// or note form), status 400.
func (s *Handler) renderPursuit(c *fiber.Ctx, grant bool, w *pursuitWork) error {
	c.Status(fiber.StatusBadRequest)
	if grant {
		return s.renderFederalGrant(c, &federalGrantPage{Work: w})
	}
	return s.renderFederalNotice(c, &federalNoticePage{Work: w})
}

func (s *Handler) handleFederalWorkTask(grant bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		typ, id, path, err := s.pursuitRef(c, grant)
		if err != nil {
			return err
		}
		form := web.FormMap(c, "title", "due", "assignee_id")
		t := &app.Task{RecordType: typ, RecordID: id, Title: form["title"]}
		t.Due, err = app.ParseDate("due", form["due"])
		if err == nil && form["assignee_id"] != "" {
			if t.AssigneeID, err = strconv.ParseInt(form["assignee_id"], 10, 64); err != nil || t.AssigneeID <= 0 {
				err = app.FieldErrorf("assignee_id", "Choose an assignee from the list.")
			}
		}
		if err == nil {
			err = s.CRM.CreateTask(FedContext(c), t)
		}
		if err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			return s.renderPursuit(c, grant, &pursuitWork{TaskError: app.ErrorMessage(err), Form: form})
		}
		s.Audit.Record(c.UserContext(), "federal.task.create", typ+":"+strconv.FormatInt(id, 10), "task:"+strconv.FormatInt(t.ID, 10))
		s.SetFlash(c, "ok", "Task added.")
		return c.Redirect(path+"#work", fiber.StatusSeeOther)
	}
}

// handleFederalWorkTaskDone marks a task of this pursuit done (or open
// again with done=0). A task of another record is not found here.
func (s *Handler) handleFederalWorkTaskDone(grant bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		typ, id, path, err := s.pursuitRef(c, grant)
		if err != nil {
			return err
		}
		tid, err := web.ParamID(c, "id")
		if err != nil {
			return err
		}
		ctx := FedContext(c)
		t, err := s.CRM.FindTask(ctx, tid)
		if err != nil {
			return err
		}
		if t.RecordType != typ || t.RecordID != id {
			return app.Errorf(app.ENOTFOUND, "Task not found.")
		}
		done := c.FormValue("done") != "0"
		if _, err := s.CRM.UpdateTask(ctx, tid, app.TaskUpdate{Done: &done}); err != nil {
			return err
		}
		return c.Redirect(path+"#work", fiber.StatusSeeOther)
	}
}

func (s *Handler) handleFederalWorkNote(grant bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		typ, id, path, err := s.pursuitRef(c, grant)
		if err != nil {
			return err
		}
		n := &app.Note{RecordType: typ, RecordID: id, Body: utils.CopyString(c.FormValue("body"))}
		if err := s.CRM.CreateNote(FedContext(c), n); err != nil {
			if app.ErrorCode(err) != app.EINVALID {
				return err
			}
			return s.renderPursuit(c, grant, &pursuitWork{NoteError: app.ErrorMessage(err)})
		}
		s.SetFlash(c, "ok", "Note added.")
		return c.Redirect(path+"#work", fiber.StatusSeeOther)
	}
}
