package app

import (
	"context"
	"encoding/json"
	"math"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Custom field types.
const (
	CustomText        = "text"
	CustomNumber      = "number"
	CustomDate        = "date"
	CustomSelect      = "select"
	CustomMultiSelect = "multi_select"
	CustomCheckbox    = "checkbox"
	CustomURL         = "url"
)

// CustomTypes lists the custom field types.
var CustomTypes = []string{CustomText, CustomNumber, CustomDate, CustomSelect, CustomMultiSelect, CustomCheckbox, CustomURL}

// CustomField is a field a tenant adds to people, companies or deals. Its
// values are kept in the record's Custom map under Key.
type CustomField struct {
	ID        int64
	TenantID  int64
	Object    string // person, company or deal
	Key       string // lowercase snake_case, unique per object
	Label     string
	Type      string
	Options   []string // select and multi_select
	Position  int
	CreatedAt time.Time
}

var customKeyRE = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`) })

// Validate checks a definition. Returns EINVALID naming the field.
func (f *CustomField) Validate() error {
	f.Key, f.Label = strings.TrimSpace(f.Key), clean(f.Label)
	if f.Object != RecordPerson && f.Object != RecordCompany && f.Object != RecordDeal {
		return FieldErrorf("object", "object must be person, company or deal.")
	}
	if !customKeyRE().MatchString(f.Key) {
		return FieldErrorf("key", "key must be lowercase letters, digits and underscores, starting with a letter (at most 40).")
	}
	if f.Label == "" {
		f.Label = f.Key
	}
	if len(f.Label) > 100 {
		return FieldErrorf("label", "label must be at most 100 characters.")
	}
	if !slices.Contains(CustomTypes, f.Type) {
		return FieldErrorf("type", "type must be one of %s.", strings.Join(CustomTypes, ", "))
	}
	var opts []string
	for _, o := range f.Options {
		if o = clean(o); o != "" && !slices.Contains(opts, o) {
			opts = append(opts, o)
		}
	}
	f.Options = opts
	if (f.Type == CustomSelect || f.Type == CustomMultiSelect) != (len(f.Options) > 0) {
		return FieldErrorf("options", "select and multi_select fields need options; other types take none.")
	}
	if len(f.Options) > 100 {
		return FieldErrorf("options", "At most 100 options.")
	}
	return nil
}

// Check validates and normalises one value of the field (as decoded from
// JSON or a form). Returns EINVALID naming custom.<key>.
func (f *CustomField) Check(v any) (any, error) {
	field := "custom." + f.Key
	bad := func(want string) (any, error) { return nil, FieldErrorf(field, "%s must be %s.", f.Label, want) }
	switch f.Type {
	case CustomText:
		s, ok := v.(string)
		if !ok || len(s) > 2000 {
			return bad("text of at most 2000 characters")
		}
		return strings.TrimSpace(s), nil
	case CustomNumber:
		switch n := v.(type) {
		case float64:
			if math.IsNaN(n) || math.IsInf(n, 0) {
				return bad("a number")
			}
			return n, nil
		case json.Number:
			x, err := n.Float64()
			if err != nil {
				return bad("a number")
			}
			return x, nil
		}
		return bad("a number")
	case CustomDate:
		s, ok := v.(string)
		if !ok {
			return bad("a date like 2026-12-31")
		}
		if _, err := time.Parse("2006-01-02", s); err != nil {
			return bad("a date like 2026-12-31")
		}
		return s, nil
	case CustomSelect:
		s, ok := v.(string)
		if !ok || !slices.Contains(f.Options, s) {
			return bad("one of " + strings.Join(f.Options, ", "))
		}
		return s, nil
	case CustomMultiSelect:
		list, ok := v.([]any)
		if !ok {
			return bad("a list of " + strings.Join(f.Options, ", "))
		}
		out := []string{}
		for _, x := range list {
			s, ok := x.(string)
			if !ok || !slices.Contains(f.Options, s) {
				return bad("a list of " + strings.Join(f.Options, ", "))
			}
			if !slices.Contains(out, s) {
				out = append(out, s)
			}
		}
		return out, nil
	case CustomCheckbox:
		b, ok := v.(bool)
		if !ok {
			return bad("true or false")
		}
		return b, nil
	case CustomURL:
		s, ok := v.(string)
		u, err := url.Parse(s)
		if !ok || err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(s) > 2000 {
			return bad("an http(s) URL")
		}
		return s, nil
	}
	return bad("valid")
}

// CheckCustom validates a record's custom values against the tenant's
// definitions for its object: unknown keys and wrong types are EINVALID
// naming custom.<key>; nil values are dropped.
func CheckCustom(defs []*CustomField, vals map[string]any) (map[string]any, error) {
	out := map[string]any{}
	keys := make([]string, 0, len(vals))
	for k := range vals {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := vals[k]
		if v == nil {
			continue
		}
		i := slices.IndexFunc(defs, func(d *CustomField) bool { return d.Key == k })
		if i < 0 {
			return nil, FieldErrorf("custom."+k, "Unknown custom field %q; define it first.", k)
		}
		x, err := defs[i].Check(v)
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	return out, nil
}

// MergeCustom applies a partial update: keys with a nil value are removed.
func MergeCustom(cur, upd map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cur {
		out[k] = v
	}
	for k, v := range upd {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// CustomFieldStore keeps a tenant's custom field definitions (tenant from
// ctx).
type CustomFieldStore interface {
	// FindCustomFields lists the definitions of an object ("" for all).
	FindCustomFields(ctx context.Context, object string) ([]*CustomField, error)
	// CreateCustomField returns EINVALID or ECONFLICT (key taken).
	CreateCustomField(ctx context.Context, f *CustomField) error
	// DeleteCustomField removes a definition and its values from every
	// record. Returns ENOTFOUND.
	DeleteCustomField(ctx context.Context, id int64) error
}
