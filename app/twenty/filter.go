package twenty

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"orengen/app"
)

// Node is a filter as Twenty's APIs write it: a group (And, Or, Not) or
// one comparison of a field (a dotted path such as name.firstName) with
// a value. The REST filter parameter and the GraphQL filter argument
// both become a Node.
type Node struct {
	And, Or []*Node
	Not     *Node
	Field   string
	Op      string // a Comparators value
	Value   string // for in, a JSON array
}

// Comparators are the comparisons Twenty's filters take.
var Comparators = []string{"eq", "neq", "in", "is", "gt", "gte", "lt", "lte", "startsWith", "like", "ilike", "containsIlike"}

// MaxFilterLength bounds a REST filter parameter.
const MaxFilterLength = 4000

// ParseFilter reads a REST filter parameter:
// field[comparator]:value pairs separated by commas (all must match),
// or grouped as and(...), or(...) and not(...) (one condition), nested.
// Values may be quoted ("a,b" keeps its comma); in takes [v1,v2];
// is takes NULL or NOT_NULL. Returns EINVALID naming "filter" with what
// is wrong and an example.
func ParseFilter(s string) (*Node, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	if len(s) > MaxFilterLength {
		return nil, app.FieldErrorf("filter", "filter must be at most %d characters.", MaxFilterLength)
	}
	// Twenty's default root conjunction: a filter without groups is and(...).
	if !strings.Contains(s, "(") || !strings.Contains(s, ")") {
		s = "and(" + s + ")"
	}
	return parseNode(s, 0)
}

func parseNode(s string, depth int) (*Node, error) {
	s = strings.TrimSpace(s)
	if depth > app.MaxFilterDepth {
		return nil, app.FieldErrorf("filter", "filter groups nest at most %d deep.", app.MaxFilterDepth)
	}
	for _, conj := range []string{"and", "or", "not"} {
		inner, ok := strings.CutPrefix(s, conj+"(")
		if !ok {
			continue
		}
		if !strings.HasSuffix(inner, ")") {
			return nil, app.FieldErrorf("filter", "filter: %s( is not closed in %q.", conj, s)
		}
		parts, err := splitTop(strings.TrimSuffix(inner, ")"))
		if err != nil {
			return nil, err
		}
		var kids []*Node
		for _, p := range parts {
			k, err := parseNode(p, depth+1)
			if err != nil {
				return nil, err
			}
			kids = append(kids, k)
		}
		switch conj {
		case "and":
			return &Node{And: kids}, nil
		case "or":
			return &Node{Or: kids}, nil
		}
		if len(kids) != 1 {
			return nil, app.FieldErrorf("filter", "filter: not(...) takes exactly one condition, e.g. not(id[is]:NULL).")
		}
		return &Node{Not: kids[0]}, nil
	}
	return parseBase(s)
}

// splitTop splits a group's content at the commas outside brackets,
// parentheses and quotes.
func splitTop(s string) ([]string, error) {
	var out []string
	depth, start := 0, 0
	var quote rune
	for i, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '(' || r == '[':
			depth++
		case r == ')' || r == ']':
			depth--
			if depth < 0 {
				return nil, app.FieldErrorf("filter", "filter: unbalanced %q in %q.", r, s)
			}
		case r == ',' && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	if quote != 0 || depth != 0 {
		return nil, app.FieldErrorf("filter", "filter: unclosed quote or bracket in %q.", s)
	}
	out = append(out, s[start:])
	for i, p := range out {
		if strings.TrimSpace(p) == "" {
			return nil, app.FieldErrorf("filter", "filter: empty condition %d in %q.", i+1, s)
		}
	}
	return out, nil
}

// parseBase reads field[comparator]:value.
func parseBase(s string) (*Node, error) {
	open := strings.IndexByte(s, '[')
	closeAt := strings.IndexByte(s, ']')
	if open <= 0 || closeAt < open+2 || closeAt+1 >= len(s) || s[closeAt+1] != ':' || closeAt+2 >= len(s) {
		return nil, app.FieldErrorf("filter", "filter %q is not field[comparator]:value, e.g. createdAt[gte]:\"2023-01-01\".", s)
	}
	n := &Node{Field: strings.TrimSpace(s[:open]), Op: s[open+1 : closeAt]}
	if !slices.Contains(Comparators, n.Op) {
		return nil, app.FieldErrorf("filter", "filter %q: comparator %s is not one of %s.", s, n.Op, strings.Join(Comparators, ", "))
	}
	v := strings.TrimSpace(s[closeAt+2:])
	switch n.Op {
	case "in":
		if !strings.HasPrefix(v, "[") || !strings.HasSuffix(v, "]") {
			return nil, app.FieldErrorf("filter", "filter %q: in takes a list, e.g. field[in]:[value_1,value_2].", s)
		}
		items, err := splitTop(v[1 : len(v)-1])
		if err != nil {
			return nil, err
		}
		vals := make([]string, len(items))
		for i, it := range items {
			vals[i] = unquote(strings.TrimSpace(it))
		}
		b, _ := json.Marshal(vals)
		n.Value = string(b)
	case "is":
		if v != "NULL" && v != "NOT_NULL" {
			return nil, app.FieldErrorf("filter", "filter %q: is takes NULL or NOT_NULL.", s)
		}
		n.Value = v
	default:
		n.Value = unquote(v)
	}
	return n, nil
}

func unquote(v string) string {
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		return v[1 : len(v)-1]
	}
	return v
}

// Where turns a filter into the CRM's conditions for the object. Returns
// EINVALID naming "filter" and the field at fault (an unknown field, a
// comparator the field does not take, a bad value).
func (o *Object) Where(n *Node) (app.Where, error) {
	if n == nil {
		return app.Where{}, nil
	}
	return o.where(n)
}

func (o *Object) where(n *Node) (app.Where, error) {
	switch {
	case n.And != nil || n.Or != nil:
		kids, match := n.And, "and"
		if n.Or != nil {
			kids, match = n.Or, "or"
		}
		w := app.Where{Match: match}
		for _, k := range kids {
			g, err := o.where(k)
			if err != nil {
				return w, err
			}
			// A leaf's one condition joins this group directly.
			if len(g.Groups) == 0 && !g.Not && (len(g.Conditions) == 1 || g.Match == match) {
				w.Conditions = append(w.Conditions, g.Conditions...)
			} else {
				w.Groups = append(w.Groups, g)
			}
		}
		return w, nil
	case n.Not != nil:
		g, err := o.where(n.Not)
		if err != nil {
			return g, err
		}
		if g.Not { // not(not(x)) is x
			g.Not = false
			return g, nil
		}
		g.Not = true
		return g, nil
	}
	return o.leaf(n)
}

// ops maps Twenty's comparators to the CRM's operators.
var ops = map[string]string{"eq": "eq", "neq": "neq", "in": "in", "gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte",
	"startsWith": "starts_with", "like": "like", "ilike": "like", "containsIlike": "contains"}

func (o *Object) leaf(n *Node) (app.Where, error) {
	f, ok := o.fields[n.Field]
	if !ok {
		return app.Where{}, app.FieldErrorf("filter", "filter: %s has no field %q; filter on %s.", o.Plural, n.Field, strings.Join(o.FilterFields(), ", "))
	}
	op := ops[n.Op]
	if n.Op == "is" {
		op = "empty"
		if n.Value == "NOT_NULL" {
			op = "not_empty"
		}
	}
	bad := func(format string, a ...any) (app.Where, error) {
		return app.Where{}, app.FieldErrorf("filter", "filter: "+n.Field+" "+format, a...)
	}
	conv := func(v string) (string, error) { return v, nil }
	switch kind := f.kind; {
	case kind == "id" || strings.HasPrefix(kind, "target:"):
		conv = func(v string) (string, error) {
			id, err := ParseID("filter", o.Label, v)
			if app.ErrorCode(err) == app.ENOTFOUND {
				return "0", nil // another system's UUID matches nothing
			} else if err != nil {
				return "", app.FieldErrorf("filter", "filter: %s takes IDs like %s.", n.Field, FormatID(1234))
			}
			return strconv.FormatInt(id, 10), nil
		}
	case kind == "micros":
		conv = func(v string) (string, error) {
			m, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil || m < 0 {
				return "", app.FieldErrorf("filter", "filter: %s takes a whole number of micros (1 = 0.000001), e.g. 1500000000 for 1500.", n.Field)
			}
			c := m / 10000
			return fmt.Sprintf("%d.%02d", c/100, c%100), nil
		}
	case kind == "stage":
		conv = func(v string) (string, error) {
			if alias := app.TwentyStage(v); alias != "" && (op == "eq" || op == "neq" || op == "in") {
				return alias, nil
			}
			return strings.ReplaceAll(v, "_", " "), nil
		}
	case kind == "status":
		if op != "eq" && op != "neq" && op != "empty" && op != "not_empty" {
			return bad("takes eq or neq with TODO, IN_PROGRESS or DONE.")
		}
		conv = func(v string) (string, error) {
			switch v {
			case "DONE":
				return "true", nil
			case "TODO", "IN_PROGRESS":
				return "false", nil
			}
			return "", app.FieldErrorf("filter", "filter: status is TODO, IN_PROGRESS or DONE.")
		}
	case kind == "employees":
		if op != "eq" && op != "neq" && op != "in" && op != "empty" && op != "not_empty" {
			return bad("takes eq, neq, in or is: companies keep a size band (1-10, 11-50 ...), not a head count.")
		}
		conv = func(v string) (string, error) {
			c, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil || c < 1 {
				return "", app.FieldErrorf("filter", "filter: employees takes a head count, e.g. 25.")
			}
			return app.SizeForEmployees(c), nil
		}
	case kind == "domain":
		if op == "eq" || op == "neq" || op == "in" {
			conv = func(v string) (string, error) {
				c := &app.Company{Name: "x", Domain: v}
				if err := c.Validate(); err != nil {
					return v, nil
				}
				return c.Domain, nil
			}
		}
	}
	if f.kind == "title" {
		return titleWhere(n, op)
	}
	c := app.Condition{Field: f.field, Op: op}
	switch op {
	case "empty", "not_empty":
	case "in":
		var vals []string
		if err := json.Unmarshal([]byte(n.Value), &vals); err != nil {
			return bad("in takes a list of values.")
		}
		for i, v := range vals {
			cv, err := conv(v)
			if err != nil {
				return app.Where{}, err
			}
			vals[i] = cv
		}
		b, _ := json.Marshal(vals)
		c.Value = string(b)
	default:
		cv, err := conv(n.Value)
		if err != nil {
			return app.Where{}, err
		}
		c.Value = cv
	}
	w := app.Where{Match: "and", Conditions: []app.Condition{c}}
	if typ, ok := strings.CutPrefix(f.kind, "target:"); ok {
		// personId and its kin: the link's type and ID together.
		link := app.Condition{Field: "record_type", Op: "eq", Value: typ}
		switch op {
		case "empty":
			w.Conditions = []app.Condition{{Field: "record_type", Op: "neq", Value: typ}}
		case "not_empty":
			w.Conditions = []app.Condition{link}
		default:
			w.Conditions = append([]app.Condition{link}, c)
		}
	}
	return w, nil
}

// Order is one ordering field; Field is Twenty's name.
type Order struct {
	Field string
	Desc  bool
}

// Directions are Twenty's order directions.
var Directions = []string{"AscNullsFirst", "AscNullsLast", "DescNullsFirst", "DescNullsLast"}

// ParseOrderBy reads the REST order_by parameter:
// field_1,field_2[DIRECTION_2] (default AscNullsFirst). Returns EINVALID
// naming order_by.
func ParseOrderBy(s string) ([]Order, error) {
	var out []Order
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		o := Order{Field: item}
		if i := strings.IndexByte(item, '['); i >= 0 {
			dir := strings.TrimSuffix(item[i+1:], "]")
			if !slices.Contains(Directions, dir) || !strings.HasSuffix(item, "]") {
				return nil, app.FieldErrorf("order_by", "order_by direction %q is not one of %s, e.g. ?order_by=createdAt[DescNullsLast].", dir, strings.Join(Directions, ", "))
			}
			o.Field, o.Desc = item[:i], strings.HasPrefix(dir, "Desc")
		}
		out = append(out, o)
	}
	return out, nil
}

// sortKey turns orderings into the CRM's one sort key (default: oldest
// first, as Twenty lists by position). A trailing id is the CRM's own
// tie-break. Returns EINVALID naming order_by.
func (o *Object) sortKey(orders []Order) (string, error) {
	if len(orders) > 1 && orders[len(orders)-1].Field == "id" {
		orders = orders[:len(orders)-1]
	}
	if len(orders) == 0 {
		return "created_at", nil
	}
	if len(orders) > 1 {
		return "", app.FieldErrorf("order_by", "order_by takes one field here (ties are broken by id); sort %s by one of %s.", o.Plural, strings.Join(o.SortFields(), ", "))
	}
	key, ok := o.sorts[orders[0].Field]
	if !ok {
		return "", app.FieldErrorf("order_by", "%s cannot be ordered by %q; order by one of %s.", o.Plural, orders[0].Field, strings.Join(o.SortFields(), ", "))
	}
	if orders[0].Desc {
		key = "-" + key
	}
	return key, nil
}

// NodeFromTree reads a filter written as Twenty's GraphQL filter objects
// decode: {"and":[...]}, {"or":[...]}, {"not":{...}} and fields down to
// their comparators ({"name":{"firstName":{"eq":"Jane"}}}); several keys
// must all match. Returns EINVALID naming filter, or nil for an empty
// filter.
func NodeFromTree(tree map[string]any) (*Node, error) {
	return nodeFromTree(tree, "", 0)
}

func nodeFromTree(tree map[string]any, path string, depth int) (*Node, error) {
	if depth > 3*app.MaxFilterDepth {
		return nil, app.FieldErrorf("filter", "filter groups nest at most %d deep.", app.MaxFilterDepth)
	}
	keys := make([]string, 0, len(tree))
	for k := range tree {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []*Node
	for _, k := range keys {
		v := tree[k]
		switch {
		case path == "" && (k == "and" || k == "or"):
			list, _ := v.([]any)
			var kids []*Node
			for _, x := range list {
				m, _ := x.(map[string]any)
				n, err := nodeFromTree(m, "", depth+1)
				if err != nil {
					return nil, err
				}
				if n != nil {
					kids = append(kids, n)
				}
			}
			if len(kids) == 0 {
				continue
			}
			if k == "and" {
				parts = append(parts, &Node{And: kids})
			} else {
				parts = append(parts, &Node{Or: kids})
			}
		case path == "" && k == "not":
			m, _ := v.(map[string]any)
			n, err := nodeFromTree(m, "", depth+1)
			if err != nil {
				return nil, err
			}
			if n != nil {
				parts = append(parts, &Node{Not: n})
			}
		case path != "" && slices.Contains(Comparators, k):
			leaf := &Node{Field: path, Op: k}
			switch x := v.(type) {
			case nil:
				return nil, app.FieldErrorf("filter", "filter: %s: %s null: write is: NULL.", path, k)
			case []any:
				vals := make([]string, len(x))
				for i, e := range x {
					vals[i] = scalarText(e)
				}
				b, _ := json.Marshal(vals)
				leaf.Value = string(b)
			default:
				leaf.Value = scalarText(x)
			}
			parts = append(parts, leaf)
		default:
			m, ok := v.(map[string]any)
			if !ok {
				return nil, app.FieldErrorf("filter", "filter: %s is not a comparison.", strings.TrimPrefix(path+"."+k, "."))
			}
			n, err := nodeFromTree(m, strings.TrimPrefix(path+"."+k, "."), depth+1)
			if err != nil {
				return nil, err
			}
			if n != nil {
				parts = append(parts, n)
			}
		}
	}
	switch len(parts) {
	case 0:
		return nil, nil
	case 1:
		return parts[0], nil
	}
	return &Node{And: parts}, nil
}

func scalarText(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// OrdersFromTree reads orderings written as Twenty's GraphQL orderBy
// objects decode: {"createdAt":"DescNullsLast"} or
// {"name":{"firstName":"AscNullsFirst"}}.
func OrdersFromTree(tree map[string]any) []Order {
	var out []Order
	keys := make([]string, 0, len(tree))
	for k := range tree {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch v := tree[k].(type) {
		case string:
			out = append(out, Order{Field: k, Desc: strings.HasPrefix(v, "Desc")})
		case map[string]any:
			for _, o := range OrdersFromTree(v) {
				o.Field = k + "." + o.Field
				out = append(out, o)
			}
		}
	}
	return out
}

// titleWhere filters notes by their title: the body's leading "# Title"
// line.
func titleWhere(n *Node, op string) (app.Where, error) {
	body := func(op, v string) app.Condition { return app.Condition{Field: "body", Op: op, Value: v} }
	is := app.Where{Match: "or", Conditions: []app.Condition{body("eq", "# "+n.Value), body("starts_with", "# "+n.Value+"\n")}}
	switch op {
	case "eq":
		return is, nil
	case "neq":
		is.Not = true
		return is, nil
	case "starts_with":
		return app.Where{Match: "and", Conditions: []app.Condition{body("starts_with", "# "+n.Value)}}, nil
	case "like":
		return app.Where{Match: "and", Conditions: []app.Condition{body("like", "# "+n.Value)}}, nil
	case "contains":
		return app.Where{Match: "and", Conditions: []app.Condition{body("starts_with", "# "), body("contains", n.Value)}}, nil
	case "empty":
		return app.Where{Match: "and", Conditions: []app.Condition{body("starts_with", "# ")}, Not: true}, nil
	case "not_empty":
		return app.Where{Match: "and", Conditions: []app.Condition{body("starts_with", "# ")}}, nil
	}
	return app.Where{}, app.FieldErrorf("filter", "filter: a note's title takes eq, neq, startsWith, like, ilike, containsIlike or is.")
}
