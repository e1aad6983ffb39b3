package crm

import (
	"bufio"
	"encoding/csv"
	"io"

	"github.com/gofiber/fiber/v2"

	"orengen/app"
)

// CSV export of any list or view, streamed page by page.

// handleCRMExport streams a list as CSV: every record of the tenant, or
// those of a view (?view=ID or the list's columns-and-filters query),
// with the view's columns and sort. Pages of app.MaxPageSize rows are
// read one after the other with a cursor, so memory stays flat whatever
// the size, and there is no row cap.
func (s *Handler) handleCRMExport(seg string) fiber.Handler {
	object := crmKinds[seg]
	return func(c *fiber.Ctx) error {
		ctx := c.UserContext()
		v, err := s.listView(c, ctx, object)
		if err != nil {
			return err
		}
		defs, err := s.CRM.FindCustomFields(ctx, object)
		if err != nil {
			return err
		}
		cols, where, sort := exportColumns(object, defs), app.Where{}, "created_at"
		if v != nil {
			cols, where, sort = v.Columns, v.Where, v.Sort
		}
		view := "all"
		if v != nil {
			view = "view " + v.Name
		}
		s.Audit.Record(ctx, "crm.export", seg, view)
		fetch := func(cursor string) ([]any, string, error) {
			return s.CRM.FindRecords(ctx, object, app.ListOptions{Limit: app.MaxPageSize, Sort: sort, Cursor: cursor, Where: where})
		}
		// Fail before the 200 if the first page cannot be read.
		first, next, err := fetch("")
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+seg+`.csv"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		logger, crm := s.Logger, s.CRM
		c.Context().SetBodyStreamWriter(func(bw *bufio.Writer) {
			if err := writeCSV(bw, cols, newCellNames(ctx, crm), first, next, fetch); err != nil {
				logger.Error("crm export", "object", object, "err", err)
			}
		})
		return nil
	}
}

func writeCSV(w io.Writer, cols []string, names *cellNames, page []any, next string, fetch func(string) ([]any, string, error)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(cols); err != nil {
		return err
	}
	for {
		for _, rec := range page {
			row := recordCells(rec, cols, names)
			for i := range row {
				row[i] = app.CSVCell(row[i])
			}
			if err := cw.Write(row); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil || next == "" {
			return err
		}
		var err error
		if page, next, err = fetch(next); err != nil {
			return err
		}
	}
}
