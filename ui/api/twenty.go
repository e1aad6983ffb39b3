package api

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/twenty"
	"orengen/ui/web"
)

// Twenty-compatible REST at /rest (tenant keys on the portal hosts, admin
// keys on Nexus with ?tenant=): Twenty's paths (/rest/people,
// /rest/people/{id}, /rest/batch/people), query parameters (filter,
// order_by, limit, starting_after, ending_before, depth) and envelopes
// ({"data":{"people":[...]},"pageInfo":{...},"totalCount":n};
// {"data":{"createPerson":{...}}}), and its error body
// ({"statusCode":400,"error":"BadRequestException","messages":[...]}),
// so scripts and n8n workflows written for Twenty run unchanged.

// twentyObjects are the objects in route order.
var twentyObjects = []*twenty.Object{twenty.People, twenty.Companies, twenty.Opportunities, twenty.Notes, twenty.Tasks}

// MountTwenty serves /rest on a host (web.HostPortal or web.HostNexus).
func (s *Handler) MountTwenty(r fiber.Router, host string) {
	if s.Twenty == nil {
		return
	}
	g := r.Group("/rest", twentyErrors, s.requireAPIKey(host))
	for _, o := range twentyObjects {
		o := o
		g.Get("/"+o.Plural, s.twentyCall(o, s.handleTwentyList))
		g.Post("/"+o.Plural, web.RequireWriteKey, s.twentyCall(o, s.handleTwentyCreate))
		g.Post("/batch/"+o.Plural, web.RequireWriteKey, s.twentyCall(o, s.handleTwentyBatch))
		g.Get("/"+o.Plural+"/:id", s.twentyCall(o, s.handleTwentyGet))
		g.Patch("/"+o.Plural+"/:id", web.RequireWriteKey, s.twentyCall(o, s.handleTwentyUpdate))
		g.Put("/"+o.Plural+"/:id", web.RequireWriteKey, s.twentyCall(o, s.handleTwentyUpdate))
		g.Delete("/"+o.Plural+"/:id", web.RequireWriteKey, s.twentyCall(o, s.handleTwentyDelete))
	}
	g.Use(func(c *fiber.Ctx) error {
		return app.Errorf(app.ENOTFOUND, "No REST endpoint %s %s; objects here are people, companies, opportunities, notes and tasks.", c.Method(), c.Path())
	})
}

// twentyExceptions are the NestJS exception names Twenty's errors carry.
var twentyExceptions = map[int]string{400: "BadRequestException", 401: "UnauthorizedException", 403: "ForbiddenException",
	404: "NotFoundException", 405: "MethodNotAllowedException", 409: "ConflictException", 413: "PayloadTooLargeException",
	429: "ThrottlerException", 500: "InternalServerErrorException"}

// twentyErrors writes the errors of /rest in Twenty's shape, with the
// field at fault as "field".
func twentyErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	status, msg := web.ErrorStatus(app.ErrorCode(err)), app.ErrorMessage(err)
	var fe *fiber.Error
	if errors.As(err, &fe) {
		status, msg = fe.Code, fe.Message
	} else if app.ErrorCode(err) == app.EINTERNAL {
		return err // logged and answered by the error handler
	}
	var rl *app.RateLimitError
	if errors.As(err, &rl) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(rl.RetryAfter.Seconds())))
	}
	name := twentyExceptions[status]
	if name == "" {
		name = "HttpException"
	}
	body := fiber.Map{"statusCode": status, "error": name, "messages": []string{msg}}
	if f := app.ErrorField(err); f != "" {
		body["field"] = f
	}
	return c.Status(status).JSON(body)
}

type twentyCallCtx struct {
	ctx context.Context
	o   *twenty.Object
	id  string
}

// twentyCall resolves the tenant a request acts in (an admin key's: the
// ?tenant= one; for a change to one record, that record's) and calls h.
func (s *Handler) twentyCall(o *twenty.Object, h func(*fiber.Ctx, twentyCallCtx) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		call := twentyCallCtx{ctx: c.UserContext(), o: o, id: utils.CopyString(c.Params("id"))}
		if k := app.APIKeyFromContext(call.ctx); k != nil && k.Admin() {
			var id int64
			if call.id != "" {
				n, err := twenty.RecordID(o, call.id)
				if err != nil {
					return err
				}
				id = n
			}
			ctx, err := s.adminScope(c, call.ctx, o.Record, id)
			if err != nil {
				return err
			}
			call.ctx = ctx
		}
		return h(c, call)
	}
}

// adminScope picks the tenant an admin request acts in: ?tenant=ID|slug;
// else reads span every tenant, a change to one record acts in the
// record's tenant and a create needs ?tenant.
func (s *Handler) adminScope(c *fiber.Ctx, ctx context.Context, record string, id int64) (context.Context, error) {
	ctx = app.NewContextAcrossTenants(ctx)
	if ref := strings.TrimSpace(c.Query("tenant")); ref != "" {
		t, err := s.Tenants.TenantByRef(ctx, utils.CopyString(ref))
		if err != nil {
			return nil, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
		}
		return app.NewContextWithTenant(ctx, t), nil
	}
	if c.Method() == fiber.MethodGet {
		return ctx, nil
	}
	if id == 0 {
		return nil, app.FieldErrorf("tenant", "Add ?tenant=ID or slug: admin keys create records in a named tenant.")
	}
	tid, err := s.CRM.RecordTenant(ctx, record, id)
	if err != nil {
		return nil, err
	}
	t, err := s.Tenants.TenantByID(ctx, tid)
	if err != nil {
		return nil, err
	}
	return app.NewContextWithTenant(ctx, t), nil
}

// twentyParams are the list parameters Twenty's REST API takes.
var twentyParams = map[string]bool{"filter": true, "order_by": true, "limit": true, "starting_after": true, "ending_before": true, "depth": true, "tenant": true}

// depthParam reads depth (0, 1 or 2; default 1, as Twenty).
func depthParam(c *fiber.Ctx) (int, error) {
	d, err := web.AtoiDefault(c.Query("depth"), 1)
	if err != nil || d < 0 || d > 2 {
		return 0, app.FieldErrorf("depth", "depth must be 0, 1 or 2.")
	}
	return d, nil
}

func (s *Handler) handleTwentyList(c *fiber.Ctx, call twentyCallCtx) error {
	var bad string
	c.Context().QueryArgs().VisitAll(func(k, _ []byte) {
		if !twentyParams[string(k)] && bad == "" {
			bad = string(k)
		}
	})
	if bad != "" {
		return app.FieldErrorf(bad, "Unknown query parameter %q; lists take filter, order_by, limit, starting_after, ending_before and depth.", bad)
	}
	q := twenty.Query{After: utils.CopyString(c.Query("starting_after")), Before: utils.CopyString(c.Query("ending_before")), Count: true}
	var err error
	if q.Filter, err = twenty.ParseFilter(c.Query("filter")); err != nil {
		return err
	}
	if q.Order, err = twenty.ParseOrderBy(c.Query("order_by")); err != nil {
		return err
	}
	if q.Limit, err = web.AtoiDefault(c.Query("limit"), twenty.DefaultLimit); err != nil || q.Limit < 1 || q.Limit > app.MaxPageSize {
		return app.FieldErrorf("limit", "limit must be a number from 1 to %d.", app.MaxPageSize)
	}
	if q.Depth, err = depthParam(c); err != nil {
		return err
	}
	p, err := s.Twenty.List(call.ctx, call.o, q)
	if err != nil {
		return err
	}
	return c.JSON(twentyPage(call.o, p))
}

// twentyPage is a list page in Twenty's envelope.
func twentyPage(o *twenty.Object, p *twenty.Page) fiber.Map {
	recs := p.Records
	if recs == nil {
		recs = []any{}
	}
	var start, end any
	if p.StartCursor != "" {
		start, end = p.StartCursor, p.EndCursor
	}
	return fiber.Map{"data": fiber.Map{o.Plural: recs},
		"pageInfo":   fiber.Map{"hasNextPage": p.HasNext, "hasPreviousPage": p.HasPrevious, "startCursor": start, "endCursor": end},
		"totalCount": p.TotalCount}
}

func capitalize(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func (s *Handler) handleTwentyGet(c *fiber.Ctx, call twentyCallCtx) error {
	depth, err := depthParam(c)
	if err != nil {
		return err
	}
	rec, err := s.Twenty.Get(call.ctx, call.o, call.id, depth)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{call.o.Singular: rec}})
}

func (s *Handler) handleTwentyCreate(c *fiber.Ctx, call twentyCallCtx) error {
	in, err := twenty.DecodeInput(c.Body())
	if err != nil {
		return err
	}
	rec, err := s.Twenty.Create(call.ctx, call.o, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": fiber.Map{"create" + capitalize(call.o.Singular): rec}})
}

func (s *Handler) handleTwentyBatch(c *fiber.Ctx, call twentyCallCtx) error {
	var raw []json.RawMessage
	if err := json.Unmarshal(c.Body(), &raw); err != nil {
		return app.Errorf(app.EINVALID, "The body must be a JSON array of records.")
	}
	ins := make([]twenty.Input, len(raw))
	for i, r := range raw {
		in, err := twenty.DecodeInput(r)
		if err != nil {
			return app.BatchFail(i, err)
		}
		ins[i] = in
	}
	recs, err := s.Twenty.CreateMany(call.ctx, call.o, ins)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": fiber.Map{"create" + capitalize(call.o.Plural): recs}})
}

func (s *Handler) handleTwentyUpdate(c *fiber.Ctx, call twentyCallCtx) error {
	in, err := twenty.DecodeInput(c.Body())
	if err != nil {
		return err
	}
	rec, err := s.Twenty.Update(call.ctx, call.o, call.id, in)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"update" + capitalize(call.o.Singular): rec}})
}

func (s *Handler) handleTwentyDelete(c *fiber.Ctx, call twentyCallCtx) error {
	id, err := s.Twenty.Delete(call.ctx, call.o, call.id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"delete" + capitalize(call.o.Singular): fiber.Map{"id": id}}})
}
