package app

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Column is a column of a kind's tables, views and CSV export that is not
// one of its Fields: the ID, the record's lists (emails, tags), references
// shown by name, consent, amounts, timestamps. Its cell is the value as a
// table and CSV show it. A new column of a kind is one entry in the
// kind's Columns; its view field follows from it.
type Column struct {
	Key string
	// Label is the column's header among the view fields; "" for a
	// column that is exported but not chosen in a view (the ID).
	Label string
	// Lead lists the column before the kind's Fields among the view
	// fields (a person's name), not after them.
	Lead bool
	cell func(k *RecordKind, rec any, names CellNames) string
}

// CellNames resolves the names a record's cells show for its references,
// caching them for one page or export.
type CellNames interface {
	CompanyName(id int64) string
	PipelineName(id int64) string
}

// recordMeta is what every kind's record has, read by the columns all
// kinds share.
type recordMeta struct {
	ID                   int64
	Tags                 []string
	Custom               map[string]any
	CreatedAt, UpdatedAt time.Time
}

// cellOf is a column of records of type T.
func cellOf[T any](key, label string, cell func(r *T, names CellNames) string) *Column {
	return &Column{Key: key, Label: label, cell: func(_ *RecordKind, rec any, names CellNames) string { return cell(rec.(*T), names) }}
}

func (c *Column) lead() *Column {
	c.Lead = true
	return c
}

// metaColumn is a column every kind has, read from the record's meta.
func metaColumn(key, label string, cell func(m recordMeta) string) *Column {
	return &Column{Key: key, Label: label, cell: func(k *RecordKind, rec any, _ CellNames) string { return cell(k.meta(rec)) }}
}

const cellTime = "2006-01-02T15:04:05Z"

func timeCell(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(cellTime)
}

// The columns every kind has.
var (
	idColumn      = metaColumn("id", "", func(m recordMeta) string { return strconv.FormatInt(m.ID, 10) })
	tagColumn     = metaColumn("tag", "Tags", func(m recordMeta) string { return strings.Join(m.Tags, ", ") })
	createdColumn = metaColumn("created_at", "Created", func(m recordMeta) string { return timeCell(m.CreatedAt) })
	updatedColumn = metaColumn("updated_at", "Updated", func(m recordMeta) string { return timeCell(m.UpdatedAt) })
)

// Each kind's columns, in view field order (the ID first, not a view
// field).
var (
	personColumns = []*Column{idColumn,
		cellOf("name", "Name", func(p *Person, _ CellNames) string { return p.Name() }).lead(),
		cellOf("email", "Emails", func(p *Person, _ CellNames) string { return strings.Join(p.Emails, "; ") }),
		cellOf("phone", "Phones", func(p *Person, _ CellNames) string { return strings.Join(p.Phones, "; ") }),
		cellOf("company", "Company", func(p *Person, _ CellNames) string { return p.CompanyName }),
		tagColumn,
		cellOf("consent_email", "Consent: email", func(p *Person, _ CellNames) string { return strconv.FormatBool(p.Consent.Email) }),
		cellOf("consent_sms", "Consent: SMS", func(p *Person, _ CellNames) string { return strconv.FormatBool(p.Consent.SMS) }),
		cellOf("consent_calls", "Consent: calls", func(p *Person, _ CellNames) string { return strconv.FormatBool(p.Consent.Calls) }),
		createdColumn, updatedColumn,
	}
	companyColumns = []*Column{idColumn, tagColumn, createdColumn, updatedColumn}
	dealColumns    = []*Column{idColumn,
		cellOf("amount", "Amount", func(d *Deal, _ CellNames) string { return fmt.Sprintf("%d.%02d", d.Amount/100, d.Amount%100) }),
		cellOf("currency", "Currency", func(d *Deal, _ CellNames) string { return d.Currency }),
		cellOf("pipeline", "Pipeline", func(d *Deal, n CellNames) string { return n.PipelineName(d.PipelineID) }),
		cellOf("stage", "Stage", func(d *Deal, _ CellNames) string { return d.Stage }),
		cellOf("expected_close", "Expected close", func(d *Deal, _ CellNames) string {
			if d.ExpectedClose == nil {
				return ""
			}
			return d.ExpectedClose.Format("2006-01-02")
		}),
		cellOf("probability", "Probability", func(d *Deal, _ CellNames) string {
			if d.Probability == nil {
				return ""
			}
			return strconv.Itoa(*d.Probability)
		}),
		cellOf("company", "Company", func(d *Deal, n CellNames) string { return n.CompanyName(d.CompanyID) }),
		tagColumn, createdColumn, updatedColumn,
	}
)

func personMeta(rec any) recordMeta {
	p := rec.(*Person)
	return recordMeta{p.ID, p.Tags, p.Custom, p.CreatedAt, p.UpdatedAt}
}

func companyMeta(rec any) recordMeta {
	c := rec.(*Company)
	return recordMeta{c.ID, c.Tags, c.Custom, c.CreatedAt, c.UpdatedAt}
}

func dealMeta(rec any) recordMeta {
	d := rec.(*Deal)
	return recordMeta{d.ID, d.Tags, d.Custom, d.CreatedAt, d.UpdatedAt}
}

// column returns the kind's column with key, or nil.
func (k *RecordKind) column(key string) *Column {
	for _, c := range k.Columns {
		if c.Key == key {
			return c
		}
	}
	return nil
}

// Cell is rec's value for the column key (a Field, a Column or
// "custom.<key>") as tables and CSV show it: lists joined with "; " or
// ", ", amounts as decimals, dates as YYYY-MM-DD, times in UTC; "" for a
// key the kind lacks. names resolves referenced records' names.
func (k *RecordKind) Cell(rec any, key string, names CellNames) string {
	if ck, ok := strings.CutPrefix(key, "custom."); ok {
		return CustomCell(k.meta(rec).Custom[ck])
	}
	if f := k.Field(key); f != nil {
		return f.Text(rec)
	}
	if c := k.column(key); c != nil {
		return c.cell(k, rec, names)
	}
	return ""
}

// viewFields lists the fields a view of the kind shows and filters on:
// its lead columns, its Fields, then its other labelled columns.
func (k *RecordKind) viewFields() []ImportField {
	var head, tail []ImportField
	for _, c := range k.Columns {
		switch {
		case c.Label == "":
		case c.Lead:
			head = append(head, ImportField{c.Key, c.Label})
		default:
			tail = append(tail, ImportField{c.Key, c.Label})
		}
	}
	return k.fieldItems(head, nil, (*Field).ColumnTitle, tail...)
}

// CustomCell is a custom field's value as a cell: lists joined with ", ".
func CustomCell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case []string:
		return strings.Join(x, ", ")
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i] = fmt.Sprint(p)
		}
		return strings.Join(parts, ", ")
	}
	return fmt.Sprint(v)
}
