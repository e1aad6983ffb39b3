package api

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"

	"orengen/app"
	"orengen/app/sheets"
	"orengen/ui/web"
)

// Data & Sheets API: tables (typed columns) and their rows. The portal
// host takes tenant keys (the key's tenant); Nexus admin keys name the
// tenant with ?tenant= to list or create tables, and reach any table by
// its ID. Row values are JSON by column key: text, number, currency (a
// number of major units, or a string like "1,250.50"), date
// ("YYYY-MM-DD"), checkbox (true/false), select (one of the options),
// link (a CRM record ID; on write also a person's email or a company's
// or deal's name). A value of the wrong type is a 400 naming the column
// (field "values.price", "records[3].values.price").

func (s *Handler) registerSheetAPIRoutes(api fiber.Router) {
	if s.Sheets == nil {
		return
	}
	api.Get("/tables", s.apiTables)
	api.Post("/tables", web.RequireWriteKey, s.apiTableCreate)
	api.Get("/tables/:id", s.apiTable)
	api.Patch("/tables/:id", web.RequireWriteKey, s.apiTableUpdate)
	api.Delete("/tables/:id", web.RequireWriteKey, s.apiTableDelete)
	api.Get("/tables/:id/rows", s.apiRows)
	api.Post("/tables/:id/rows", web.RequireWriteKey, s.apiRowCreate)
	api.Post("/tables/:id/rows/batch", web.RequireWriteKey, s.apiRowBatch)
	api.Post("/tables/:id/rows/delete", web.RequireWriteKey, s.apiRowsDelete)
	api.Get("/tables/:id/rows/:row", s.apiRow)
	api.Patch("/tables/:id/rows/:row", web.RequireWriteKey, s.apiRowUpdate)
	api.Delete("/tables/:id/rows/:row", web.RequireWriteKey, s.apiRowDelete)
}

// tenantScope is the tenant of an API request: the tenant key's, or for
// an admin key ?tenant= (ID or slug; required).
func (s *Handler) tenantScope(c *fiber.Ctx) (context.Context, error) {
	ctx := c.UserContext()
	if k := app.APIKeyFromContext(ctx); k == nil || !k.Admin() {
		return ctx, nil
	}
	ref := utils.CopyString(c.Query("tenant"))
	if ref == "" {
		return nil, app.FieldErrorf("tenant", "Add ?tenant=ID or slug: admin keys act in a named tenant.")
	}
	t, err := s.Tenants.TenantByRef(ctx, ref)
	if err != nil {
		return nil, app.FieldErrorf("tenant", "Unknown tenant %q.", ref)
	}
	return app.NewContextWithTenant(ctx, t), nil
}

// apiTableOf resolves :id for the key: its tenant's table, or (admin) any.
func (s *Handler) apiTableOf(c *fiber.Ctx) (context.Context, *sheets.Table, error) {
	id, err := web.ParamID(c, "id")
	if err != nil {
		return nil, nil, err
	}
	ctx := c.UserContext()
	if k := app.APIKeyFromContext(ctx); k != nil && k.Admin() {
		return s.Sheets.AdminTable(ctx, id)
	}
	t, err := s.Sheets.Table(ctx, id)
	return ctx, t, err
}

type apiTable struct {
	ID          int64           `json:"id"`
	TenantID    int64           `json:"tenant_id"`
	Name        string          `json:"name"`
	Description string          `json:"description"`
	Columns     []sheets.Column `json:"columns"`
	RowCount    int             `json:"row_count"`
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

func toAPITable(t *sheets.Table) apiTable {
	cols := make([]sheets.Column, len(t.Columns))
	for i, c := range t.Columns {
		c.Slot = 0 // storage, not the API's business
		cols[i] = c
	}
	return apiTable{t.ID, t.TenantID, t.Name, t.Description, cols, t.RowCount, t.CreatedAt, t.UpdatedAt}
}

type apiRow struct {
	ID        int64             `json:"id"`
	Values    map[string]any    `json:"values"`
	Links     map[string]string `json:"links,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

func toAPIRow(r *sheets.Row) apiRow {
	vals := make(map[string]any, len(r.Values))
	for k, v := range r.Values {
		vals[k] = sheets.JSONValue(v)
	}
	return apiRow{r.ID, vals, r.LinkNames, r.CreatedAt, r.UpdatedAt}
}

func (s *Handler) apiTables(c *fiber.Ctx) error {
	ctx, err := s.tenantScope(c)
	if err != nil {
		return err
	}
	ts, err := s.Sheets.Tables(ctx)
	if err != nil {
		return err
	}
	out := make([]apiTable, len(ts))
	for i, t := range ts {
		out[i] = toAPITable(t)
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nil})
}

type tableInput struct {
	Name        *string          `json:"name"`
	Description *string          `json:"description"`
	Columns     *[]sheets.Column `json:"columns"`
}

func (s *Handler) apiTableCreate(c *fiber.Ctx) error {
	ctx, err := s.tenantScope(c)
	if err != nil {
		return err
	}
	var in tableInput
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	t := &sheets.Table{}
	if in.Name != nil {
		t.Name = *in.Name
	}
	if in.Description != nil {
		t.Description = *in.Description
	}
	if in.Columns != nil {
		t.Columns = *in.Columns
	}
	if err := s.Sheets.CreateTable(ctx, t); err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPITable(t)})
}

func (s *Handler) apiTable(c *fiber.Ctx) error {
	_, t, err := s.apiTableOf(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPITable(t)})
}

// apiTableUpdate changes the name, description or columns (the whole
// list: columns with a known key keep their values, converted when their
// type changes; columns left out are deleted with their values).
func (s *Handler) apiTableUpdate(c *fiber.Ctx) error {
	ctx, t, err := s.apiTableOf(c)
	if err != nil {
		return err
	}
	var in tableInput
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	nt := *t
	if in.Name != nil {
		nt.Name = *in.Name
	}
	if in.Description != nil {
		nt.Description = *in.Description
	}
	if in.Columns != nil {
		nt.Columns = *in.Columns
	}
	if err := s.Sheets.UpdateTable(ctx, &nt); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPITable(&nt)})
}

func (s *Handler) apiTableDelete(c *fiber.Ctx) error {
	ctx, t, err := s.apiTableOf(c)
	if err != nil {
		return err
	}
	if err := s.Sheets.DeleteTable(ctx, t.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiRows lists rows: where=column:op:value (repeatable), match=any,
// sort (a column key, id, created_at or updated_at; - for descending),
// limit (1..500, default 100), cursor.
func (s *Handler) apiRows(c *fiber.Ctx) error {
	ctx, t, err := s.apiTableOf(c)
	if err != nil {
		return err
	}
	q, _ := url.ParseQuery(string(c.Request().URI().QueryArgs().QueryString()))
	for k := range q {
		switch k {
		case "where", "match", "sort", "limit", "cursor", "tenant":
		default:
			return app.FieldErrorf(k, "Unknown query parameter %q; rows take where=column:op:value, match, sort, limit and cursor.", k)
		}
	}
	f := sheets.Filter{Any: q.Get("match") == "any", Sort: q.Get("sort"), Cursor: q.Get("cursor")}
	if m := q.Get("match"); m != "" && m != "any" && m != "all" {
		return app.FieldErrorf("match", "match must be all or any.")
	}
	if f.Limit, err = web.AtoiDefault(q.Get("limit"), sheets.DefaultPageSize); err != nil || f.Limit < 1 || f.Limit > sheets.MaxPageSize {
		return app.FieldErrorf("limit", "limit must be a number from 1 to %d.", sheets.MaxPageSize)
	}
	for _, w := range q["where"] {
		cond, err := sheets.ParseWhere(w)
		if err != nil {
			return err
		}
		f.Where = append(f.Where, cond)
	}
	rows, next, _, err := s.Sheets.Rows(ctx, t, f)
	if err != nil {
		return err
	}
	out := make([]apiRow, len(rows))
	for i, r := range rows {
		out[i] = toAPIRow(r)
	}
	var nc any
	if next != "" {
		nc = next
	}
	return c.JSON(fiber.Map{"data": out, "next_cursor": nc})
}

type rowInput struct {
	ID     json.Number    `json:"id"`
	Values map[string]any `json:"values"`
}

func (s *Handler) apiRowCreate(c *fiber.Ctx) error {
	ctx, t, err := s.apiTableOf(c)
	if err != nil {
		return err
	}
	var in rowInput
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	rows, err := s.Sheets.SaveRows(ctx, t, []map[string]any{in.Values}, func(_ int, k string) string { return "values." + k })
	if err != nil {
		return err
	}
	r, err := s.Sheets.Row(ctx, t, rows[0].ID)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"data": toAPIRow(r)})
}

// apiRowBatch upserts up to 1000 rows in one transaction: records with an
// id change the values given, others are created; one bad record fails
// the batch, naming it.
func (s *Handler) apiRowBatch(c *fiber.Ctx) error {
	ctx, t, err := s.apiTableOf(c)
	if err != nil {
		return err
	}
	var in struct {
		Records []rowInput `json:"records"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	recs := make([]map[string]any, len(in.Records))
	for i, r := range in.Records {
		m := map[string]any{}
		for k, v := range r.Values {
			m[k] = v
		}
		if r.ID != "" {
			id, err := r.ID.Int64()
			if err != nil || id <= 0 {
				return app.FieldErrorf(fmt.Sprintf("records[%d].id", i), "id must be a row ID.")
			}
			m["id"] = id
		}
		recs[i] = m
	}
	rows, err := s.Sheets.SaveRows(ctx, t, recs, func(i int, k string) string {
		if k == "id" {
			return fmt.Sprintf("records[%d].id", i)
		}
		return fmt.Sprintf("records[%d].values.%s", i, k)
	})
	if err != nil {
		return err
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"ids": ids, "count": len(ids)}})
}

func (s *Handler) apiRowsDelete(c *fiber.Ctx) error {
	ctx, t, err := s.apiTableOf(c)
	if err != nil {
		return err
	}
	var in struct {
		IDs []int64 `json:"ids"`
	}
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if len(in.IDs) == 0 || len(in.IDs) > sheets.MaxBatch {
		return app.FieldErrorf("ids", "ids: 1 to %d row IDs.", sheets.MaxBatch)
	}
	n, err := s.Sheets.DeleteRows(ctx, t, in.IDs)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": fiber.Map{"count": n}})
}

func (s *Handler) apiRowOf(c *fiber.Ctx) (context.Context, *sheets.Table, int64, error) {
	ctx, t, err := s.apiTableOf(c)
	if err != nil {
		return nil, nil, 0, err
	}
	id, err := strconv.ParseInt(c.Params("row"), 10, 64)
	if err != nil || id <= 0 {
		return nil, nil, 0, app.Errorf(app.ENOTFOUND, "Row not found.")
	}
	return ctx, t, id, nil
}

func (s *Handler) apiRow(c *fiber.Ctx) error {
	ctx, t, id, err := s.apiRowOf(c)
	if err != nil {
		return err
	}
	r, err := s.Sheets.Row(ctx, t, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIRow(r)})
}

func (s *Handler) apiRowUpdate(c *fiber.Ctx) error {
	ctx, t, id, err := s.apiRowOf(c)
	if err != nil {
		return err
	}
	var in rowInput
	if err := decodeJSON(c.Body(), &in); err != nil {
		return err
	}
	if _, err := s.Sheets.Row(ctx, t, id); err != nil {
		return err
	}
	m := map[string]any{"id": id}
	for k, v := range in.Values {
		m[k] = v
	}
	if _, err := s.Sheets.SaveRows(ctx, t, []map[string]any{m}, func(_ int, k string) string { return "values." + k }); err != nil {
		return err
	}
	r, err := s.Sheets.Row(ctx, t, id)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"data": toAPIRow(r)})
}

func (s *Handler) apiRowDelete(c *fiber.Ctx) error {
	ctx, t, id, err := s.apiRowOf(c)
	if err != nil {
		return err
	}
	n, err := s.Sheets.DeleteRows(ctx, t, []int64{id})
	if err != nil {
		return err
	}
	if n == 0 {
		return app.Errorf(app.ENOTFOUND, "Row not found.")
	}
	return c.SendStatus(fiber.StatusNoContent)
}
