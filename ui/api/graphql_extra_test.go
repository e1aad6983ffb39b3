package api

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"

	"orengen/app/twenty"
)

var updateGraphQL = flag.Bool("update-graphql", false, "rewrite graphql_extra_gen.go from the CRM field descriptors")

// TestGraphQL_ExtraGenerated: graphql_extra_gen.go is what the field
// descriptors generate today (a new extra field needs the file
// regenerated: run this test with -update-graphql), and the schema built
// with it has every extra field of every kind in its type and in its
// create, update, filter and (when sortable) order inputs.
func TestGraphQL_ExtraGenerated(t *testing.T) {
	src, err := extraGo()
	if err != nil {
		t.Fatal(err)
	}
	if *updateGraphQL {
		if err := os.WriteFile("graphql_extra_gen.go", src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old, err := os.ReadFile("graphql_extra_gen.go")
	if err != nil || !bytes.Equal(old, src) {
		t.Fatalf("graphql_extra_gen.go is not what the field descriptors generate: run go test -tags sqlite_fts5 ./ui/api -run TestGraphQL_ExtraGenerated -update-graphql")
	}
	s, err := gqlSchema()
	if err != nil {
		t.Fatalf("schema: %v", err)
	}
	// The parsed schema, read back through introspection.
	var out struct {
		Schema struct {
			Types []struct {
				Name        string
				Fields      []struct{ Name string }
				InputFields []struct{ Name string }
			}
		} `json:"__schema"`
	}
	res := s.Exec(t.Context(), `{ __schema { types { name fields { name } inputFields { name } } } }`, "", nil)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if err := json.Unmarshal(res.Data, &out); err != nil {
		t.Fatal(err)
	}
	has := map[string]bool{}
	for _, ty := range out.Schema.Types {
		for _, f := range ty.Fields {
			has[ty.Name+"."+f.Name] = true
		}
		for _, f := range ty.InputFields {
			has[ty.Name+"."+f.Name] = true
		}
	}
	n := 0
	for _, g := range gqlKinds {
		for _, f := range twenty.ExtraFields(g.kind) {
			n++
			want := []string{"", "CreateInput", "UpdateInput", "FilterInput"}
			if f.Sort {
				want = append(want, "OrderByInput")
			}
			for _, suffix := range want {
				if k := g.typ + suffix + "." + twenty.ExtraName(f); !has[k] {
					t.Errorf("schema lacks %s", k)
				}
			}
		}
	}
	if n == 0 || !strings.Contains(string(src), ") Birthday() *dateOut") {
		t.Errorf("no extra field generated (a person's birthday is one): %d\n%s", n, src)
	}
}
