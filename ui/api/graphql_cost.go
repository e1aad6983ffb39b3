package api

import (
	"fmt"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"

	"orengen/app"
	"orengen/app/twenty"
)

// GraphQL limits, checked before anything runs: a query past one is
// refused with 400 naming the limit, and nothing is read or written.
const (
	// GraphQLMaxDepth is how deeply fields nest (people > edges > node >
	// company > people > edges > node > id is 8). Introspection is not
	// counted: its queries are deep but cheap.
	GraphQLMaxDepth = 10
	// GraphQLMaxCost bounds the fields a query may return: each field
	// costs 1 per parent row, a list multiplies its fields by its first
	// or last (default 60), a batch create by its records.
	GraphQLMaxCost = 50000
	// GraphQLMaxQueryLength bounds the query text.
	GraphQLMaxQueryLength = 64 << 10
)

// listFields are the fields whose children repeat per row.
var listFields = map[string]bool{"people": true, "companies": true, "opportunities": true, "notes": true, "tasks": true}

// gqlPlan is what a query asks, read before it runs.
type gqlPlan struct {
	Mutation bool
	Cost     int
	Depth    int
}

// planGraphQL parses a query (gqlparser: the executor's own parser is
// internal) and measures it. Returns EINVALID naming query,
// operationName, depth or cost.
func planGraphQL(query, opName string, vars map[string]any) (*gqlPlan, error) {
	if len(query) > GraphQLMaxQueryLength {
		return nil, app.FieldErrorf("query", "The query is %d bytes; the limit is %d.", len(query), GraphQLMaxQueryLength)
	}
	doc, err := parser.ParseQuery(&ast.Source{Input: query})
	if err != nil {
		return nil, app.FieldErrorf("query", "Malformed GraphQL: %s", err.Error())
	}
	if len(doc.Operations) == 0 {
		return nil, app.FieldErrorf("query", "The document has no operation.")
	}
	op := doc.Operations[0]
	if opName != "" {
		if op = doc.Operations.ForName(opName); op == nil {
			return nil, app.FieldErrorf("operationName", "The document has no operation %q.", opName)
		}
	} else if len(doc.Operations) > 1 {
		return nil, app.FieldErrorf("operationName", "The document has %d operations: name the one to run with operationName.", len(doc.Operations))
	}
	m := &measure{doc: doc, vars: vars}
	cost, depth := m.selection(op.SelectionSet, 1, 1, 0)
	if m.err != nil {
		return nil, m.err
	}
	p := &gqlPlan{Mutation: op.Operation == ast.Mutation, Cost: cost, Depth: depth}
	if depth > GraphQLMaxDepth {
		return nil, app.FieldErrorf("depth", "The query nests %d fields deep; the limit is %d.", depth, GraphQLMaxDepth)
	}
	if cost > GraphQLMaxCost {
		return nil, app.FieldErrorf("cost", "The query costs %d (each field per row it may return); the limit is %d: ask for fewer rows (first) or fields.", cost, GraphQLMaxCost)
	}
	return p, nil
}

type measure struct {
	doc  *ast.QueryDocument
	vars map[string]any
	err  error
	// spreads counts fragment expansions, against fragment cycles.
	spreads int
}

// selection returns the cost and depth of a selection set at depth d,
// whose fields each return mult rows.
func (m *measure) selection(set ast.SelectionSet, mult, d, guard int) (cost, depth int) {
	if guard > 50 || m.spreads > 1000 {
		if m.err == nil {
			m.err = app.FieldErrorf("query", "Fragments expand too deeply.")
		}
		return 0, 0
	}
	for _, sel := range set {
		var c, dd int
		switch s := sel.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" || s.Name == "__typename" {
				continue
			}
			rows := mult
			if listFields[s.Name] || len(s.Name) > 6 && s.Name[:6] == "create" && isPlural(s.Name[6:]) {
				rows = mult * m.rows(s)
			}
			c, dd = 1*mult, d
			if len(s.SelectionSet) > 0 {
				cc, cd := m.selection(s.SelectionSet, rows, d+1, guard+1)
				c += cc
				dd = max(dd, cd)
			}
		case *ast.InlineFragment:
			c, dd = m.selection(s.SelectionSet, mult, d, guard+1)
		case *ast.FragmentSpread:
			m.spreads++
			f := m.doc.Fragments.ForName(s.Name)
			if f == nil {
				if m.err == nil {
					m.err = app.FieldErrorf("query", "Unknown fragment %q.", s.Name)
				}
				continue
			}
			c, dd = m.selection(f.SelectionSet, mult, d, guard+1)
		}
		cost += c
		depth = max(depth, dd)
		if cost > GraphQLMaxCost*10 {
			return cost, depth // already far past the limit
		}
	}
	return cost, depth
}

func isPlural(name string) bool {
	for _, o := range twentyObjects {
		if capitalize(o.Plural) == name {
			return true
		}
	}
	return false
}

// rows is how many rows a list field returns at most: its first or last
// (default twenty.DefaultLimit), or a batch create's records.
func (m *measure) rows(f *ast.Field) int {
	n := twenty.DefaultLimit
	for _, a := range f.Arguments {
		switch a.Name {
		case "first", "last":
			if v, ok := m.value(a.Value).(float64); ok && v >= 0 {
				n = int(v)
			} else if s, ok := m.value(a.Value).(string); ok {
				if x, err := strconv.Atoi(s); err == nil && x >= 0 {
					n = x
				}
			}
		case "data":
			switch v := m.value(a.Value).(type) {
			case []any:
				n = len(v)
			case int:
				n = v
			}
		}
	}
	return max(n, 1)
}

// value reads an argument: a literal or a variable (numbers as float64,
// lists as []any or their length).
func (m *measure) value(v *ast.Value) any {
	if v == nil {
		return nil
	}
	switch v.Kind {
	case ast.Variable:
		x := m.vars[v.Raw]
		switch x := x.(type) {
		case int:
			return float64(x)
		case int64:
			return float64(x)
		}
		return x
	case ast.IntValue, ast.FloatValue:
		f, err := strconv.ParseFloat(v.Raw, 64)
		if err != nil {
			return nil
		}
		return f
	case ast.ListValue:
		return len(v.Children)
	}
	return fmt.Sprint(v.Raw)
}
