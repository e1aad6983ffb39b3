package store

import (
	"strings"
	"time"

	"orengen/app"
)

// The columns of a CRM kind's descriptor fields (app.Field): selected
// after a record's own columns, written after its own values. A new
// built-in field needs its migration and its descriptor, nothing here.

// fieldCols is ", r.col1, r.col2 ..." for the kind's fields.
func fieldCols(k *app.RecordKind) string {
	var b strings.Builder
	for _, f := range k.Fields {
		b.WriteString(", r." + f.Column)
	}
	return b.String()
}

// fieldNames is ", col1, col2 ..." and fieldMarks ", ?, ? ..." for an
// INSERT; fieldSets is "col1 = ?, col2 = ?, ..." for an UPDATE.
func fieldNames(k *app.RecordKind) string {
	var b strings.Builder
	for _, f := range k.Fields {
		b.WriteString(", " + f.Column)
	}
	return b.String()
}

func fieldMarks(k *app.RecordKind) string { return strings.Repeat(", ?", len(k.Fields)) }

func fieldSets(k *app.RecordKind) string {
	var b strings.Builder
	for _, f := range k.Fields {
		b.WriteString(f.Column + " = ?, ")
	}
	return b.String()
}

// fieldDests are the scan destinations of rec's fields, in fieldCols
// order.
func fieldDests(k *app.RecordKind, rec any) []any {
	out := make([]any, len(k.Fields))
	for i, f := range k.Fields {
		switch p := f.Ptr(rec).(type) {
		case **time.Time:
			out[i] = NullTime{}.into(p)
		default:
			out[i] = p
		}
	}
	return out
}

// fieldArgs are the values of rec's fields to write, in fieldNames order.
func fieldArgs(k *app.RecordKind, rec any) []any {
	out := make([]any, len(k.Fields))
	for i, f := range k.Fields {
		switch p := f.Ptr(rec).(type) {
		case **time.Time:
			out[i] = nullTime(*p)
		case *string:
			out[i] = *p
		}
	}
	return out
}

// fieldTexts are rec's fields as the timeline's changes compare them:
// its heading fields (the name) or the others.
func fieldTexts(k *app.RecordKind, rec any, heading bool) [][2]string {
	var out [][2]string
	for _, f := range k.Fields {
		if f.Heading == heading {
			out = append(out, [2]string{f.Key, f.Text(rec)})
		}
	}
	return out
}

// joinArgs joins argument lists.
func joinArgs(lists ...[]any) []any {
	var out []any
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// fieldFilters adds the exact-match filters of a list (app's Filter
// fields, by key).
func fieldFilters(l *list, k *app.RecordKind, vals map[string]string) {
	for _, f := range k.Fields {
		if v, ok := vals[f.Key]; ok {
			l.filter(`r.`+f.Column+` = ?`, v)
		}
	}
}
