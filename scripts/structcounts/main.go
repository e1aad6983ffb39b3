// Command structcounts measures the structure figures of issue #14 on a
// checkout of the repository, so the before and after counts come from the
// same code:
//
//   - direct store calls from ui: method calls, in the non-test files of
//     the ui packages, whose receiver is a value of a named interface type
//     declared in a project package with a name ending in "Store" (what
//     the store package implements), or a method of such an interface
//     reached through embedding;
//   - the largest functions (lines from "func" to the closing brace) in the
//     non-test Go files;
//   - the method count of every *Store interface in app (the CRM's
//     per-record stores among them);
//   - the switch statements on a CRM record type: a switch with a case
//     naming RecordPerson, RecordCompany or RecordDeal, or naming at least
//     two record kinds as strings ("person"/"people", "company"/
//     "companies", "deal"/"deals"/"opportunity"/"opportunities").
//
// Usage: go run ./scripts/structcounts [-dir checkout] [-tags sqlite_fts5]
//
// It type-checks the ui packages from the export data `go list -export`
// leaves in the build cache, so it needs nothing outside the standard
// library. It imports no project package and is not part of the binary.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

type listed struct {
	ImportPath string
	Dir        string
	Export     string
	GoFiles    []string
	CgoFiles   []string
	Standard   bool
	DepOnly    bool
}

func main() {
	dir := flag.String("dir", ".", "repository checkout to measure")
	tags := flag.String("tags", "sqlite_fts5", "build tags")
	top := flag.Int("top", 5, "how many of the largest functions to list")
	verbose := flag.Bool("v", false, "list every direct store call and record-type switch")
	flag.Parse()
	if err := run(*dir, *tags, *top, *verbose); err != nil {
		fmt.Fprintln(os.Stderr, "structcounts:", err)
		os.Exit(1)
	}
}

func run(dir, tags string, top int, verbose bool) error {
	pkgs, err := goList(dir, tags, "./ui/...", "./app/...")
	if err != nil {
		return err
	}
	exports := map[string]string{}
	for _, p := range pkgs {
		if p.Export != "" {
			exports[p.ImportPath] = p.Export
		}
	}
	fset := token.NewFileSet()
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})

	calls := 0
	byMethod := map[string]int{}
	var callSites []string
	storeIfaces := map[string]int{}
	for _, p := range pkgs {
		if p.DepOnly || p.Standard {
			continue
		}
		isUI := p.ImportPath == "orengen/ui" || strings.HasPrefix(p.ImportPath, "orengen/ui/")
		isApp := p.ImportPath == "orengen/app" || strings.HasPrefix(p.ImportPath, "orengen/app/")
		if !isUI && !isApp {
			continue
		}
		var files []*ast.File
		for _, name := range append(append([]string{}, p.GoFiles...), p.CgoFiles...) {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return err
			}
			files = append(files, f)
		}
		info := &types.Info{Selections: map[*ast.SelectorExpr]*types.Selection{}, Types: map[ast.Expr]types.TypeAndValue{}}
		conf := types.Config{Importer: imp, Error: func(error) {}}
		tp, _ := conf.Check(p.ImportPath, fset, files, info)
		if isApp && tp != nil {
			for _, name := range tp.Scope().Names() {
				tn, ok := tp.Scope().Lookup(name).(*types.TypeName)
				if !ok || !strings.HasSuffix(name, "Store") {
					continue
				}
				if it, ok := tn.Type().Underlying().(*types.Interface); ok {
					storeIfaces[p.ImportPath+"."+name] = it.NumMethods()
				}
			}
		}
		if !isUI {
			continue
		}
		for _, f := range files {
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				s := info.Selections[sel]
				if s == nil || s.Kind() != types.MethodVal {
					return true
				}
				if name, ok := storeInterface(s.Recv()); ok {
					calls++
					byMethod[name]++
					if verbose {
						callSites = append(callSites, fmt.Sprintf("%s: %s.%s", fset.Position(call.Pos()), name, sel.Sel.Name))
					}
				}
				return true
			})
		}
	}

	fmt.Printf("direct store calls from ui: %d\n", calls)
	for _, k := range sortedKeys(byMethod) {
		fmt.Printf("  via %s: %d\n", k, byMethod[k])
	}
	for _, s := range callSites {
		fmt.Println("   ", s)
	}
	fmt.Println("store interfaces in app (methods):")
	for _, k := range sortedKeys(storeIfaces) {
		fmt.Printf("  %s: %d\n", k, storeIfaces[k])
	}
	return astCounts(dir, top, verbose)
}

// storeInterface reports whether t (or what it points to) is a named
// interface of the project whose name ends in Store.
func storeInterface(t types.Type) (string, bool) {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := t.(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return "", false
	}
	if _, ok := n.Underlying().(*types.Interface); !ok {
		return "", false
	}
	path := n.Obj().Pkg().Path()
	if path != "orengen" && !strings.HasPrefix(path, "orengen/") {
		return "", false
	}
	if !strings.HasSuffix(n.Obj().Name(), "Store") {
		return "", false
	}
	return path + "." + n.Obj().Name(), true
}

// recordKinds maps the spellings of a record type to its kind.
var recordKinds = map[string]string{
	"RecordPerson": "person", "RecordCompany": "company", "RecordDeal": "deal",
	"person": "person", "people": "person", "company": "company", "companies": "company",
	"deal": "deal", "deals": "deal", "opportunity": "deal", "opportunities": "deal",
}

// astCounts parses every non-test Go file of the checkout (no types) for
// the function sizes and the record-type switches.
func astCounts(dir string, top int, verbose bool) error {
	type fn struct {
		name  string
		lines int
	}
	var fns []fn
	var switches []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			base := d.Name()
			if path != dir && (strings.HasPrefix(base, ".") || base == "testdata" || base == "node_modules" || base == "scripts") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		for _, decl := range f.Decls {
			fd, ok := decl.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			name := fd.Name.Name
			if fd.Recv != nil && len(fd.Recv.List) > 0 {
				name = recvName(fd.Recv.List[0].Type) + "." + name
			}
			lines := fset.Position(fd.End()).Line - fset.Position(fd.Pos()).Line + 1
			fns = append(fns, fn{rel + " " + name, lines})
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sw, ok := n.(*ast.SwitchStmt)
			if !ok {
				return true
			}
			if switchOnRecord(sw) {
				switches = append(switches, fmt.Sprintf("%s:%d", rel, fset.Position(sw.Pos()).Line))
			}
			return true
		})
		return nil
	})
	if err != nil {
		return err
	}
	sort.Slice(fns, func(i, j int) bool { return fns[i].lines > fns[j].lines })
	fmt.Println("largest functions (lines):")
	for i := 0; i < top && i < len(fns); i++ {
		fmt.Printf("  %d %s\n", fns[i].lines, fns[i].name)
	}
	fmt.Printf("switch statements on a record type: %d\n", len(switches))
	if verbose {
		for _, s := range switches {
			fmt.Println("   ", s)
		}
	}
	return nil
}

// switchOnRecord reports whether a switch's cases name a Record* constant
// or, as strings, at least two record kinds (one kind alone is a field
// switch with a "company" column, not a switch on the record type).
func switchOnRecord(sw *ast.SwitchStmt) bool {
	kinds := map[string]bool{}
	for _, st := range sw.Body.List {
		for _, e := range st.(*ast.CaseClause).List {
			switch e := e.(type) {
			case *ast.Ident:
				if strings.HasPrefix(e.Name, "Record") && recordKinds[e.Name] != "" {
					return true
				}
			case *ast.SelectorExpr:
				if strings.HasPrefix(e.Sel.Name, "Record") && recordKinds[e.Sel.Name] != "" {
					return true
				}
			case *ast.BasicLit:
				if e.Kind == token.STRING {
					if s, err := strconv.Unquote(e.Value); err == nil && recordKinds[s] != "" {
						kinds[recordKinds[s]] = true
					}
				}
			}
		}
	}
	return len(kinds) >= 2
}

func recvName(e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return recvName(e.X)
	case *ast.Ident:
		return e.Name
	case *ast.IndexExpr:
		return recvName(e.X)
	case *ast.IndexListExpr:
		return recvName(e.X)
	}
	return "?"
}

func goList(dir, tags string, patterns ...string) ([]listed, error) {
	args := append([]string{"list", "-e", "-export", "-deps", "-json", "-tags", tags}, patterns...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go list: %v: %s", err, errb.String())
	}
	var pkgs []listed
	dec := json.NewDecoder(&out)
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			return nil, err
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
