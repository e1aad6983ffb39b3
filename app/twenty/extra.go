package twenty

import (
	"maps"
	"strings"

	"orengen/app"
)

// Extra fields: a kind's descriptor fields (app.Field) that Twenty's own
// model lacks, marked by an empty Field.Twenty (a person's birthday).
// Twenty carries its custom fields at the record's top level; these sit
// there too, under their key in lowerCamelCase, and are written, read,
// filtered and sorted from the descriptor, so a new CRM field reaches
// this API with no code here. Fields Twenty has are mapped by hand in
// records.go and in the objects' filter and sort maps (twenty.go).

// ExtraFields lists k's fields Twenty's model lacks.
func ExtraFields(k *app.RecordKind) []*app.Field {
	return k.FieldsWhere(func(f *app.Field) bool { return f.Twenty == "" })
}

// ExtraName is an extra field's name in Twenty's shape: its key in
// lowerCamelCase (date_of_birth is dateOfBirth).
func ExtraName(f *app.Field) string {
	parts := strings.Split(f.Key, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

// extraValues returns rec's extra fields by name, as the API writes
// them (dates YYYY-MM-DD or null); nil when k has none.
func extraValues(k *app.RecordKind, rec any) map[string]any {
	var out map[string]any
	for _, f := range ExtraFields(k) {
		if out == nil {
			out = map[string]any{}
		}
		out[ExtraName(f)] = f.JSON(rec)
	}
	return out
}

// extras reads the extra fields of k the input sent into vals: a string
// (a date as YYYY-MM-DD), null clearing it. A bad value fails naming the
// field as sent.
func (r *reader) extras(k *app.RecordKind, vals *app.FieldValues) {
	for _, f := range ExtraFields(k) {
		name := ExtraName(f)
		s, ok := r.str(name)
		if !ok {
			continue
		}
		v, err := f.Parse(s)
		if err != nil {
			if r.err == nil {
				r.err = app.FieldErrorf(r.name(name), "%s", app.ErrorMessage(err))
			}
			continue
		}
		vals.Put(f.Key, v)
	}
}

// withExtraFilters adds k's extra fields to an object's filter fields.
func withExtraFilters(k *app.RecordKind, fields map[string]fieldMap) map[string]fieldMap {
	for _, f := range ExtraFields(k) {
		fields[ExtraName(f)] = fieldMap{field: f.Key}
	}
	return fields
}

// withExtraSorts adds k's sortable extra fields to an object's sorts.
func withExtraSorts(k *app.RecordKind, sorts map[string]string) map[string]string {
	for _, f := range ExtraFields(k) {
		if f.Sort {
			sorts[ExtraName(f)] = f.Key
		}
	}
	return sorts
}

// topLevel is the extra and custom fields a record writes after its own;
// an extra field wins over a custom field of the same name (withCustom
// leaves out the names the record itself has).
func topLevel(extra, custom map[string]any) map[string]any {
	if len(extra) == 0 {
		return custom
	}
	out := maps.Clone(custom)
	if out == nil {
		out = map[string]any{}
	}
	maps.Copy(out, extra)
	return out
}
