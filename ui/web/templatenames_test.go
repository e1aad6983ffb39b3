package web

import (
	"io/fs"
	"regexp"
	"slices"
	"testing"
)

// TestTemplateNames_AsTheRegexp: templateNames finds what the regular
// expressions it replaced find, in every shape of action and in web's
// own template files.
func TestTemplateNames_AsTheRegexp(t *testing.T) {
	use := regexp.MustCompile(`{{-?\s*(?:template|block)\s+"([^"]+)"`)
	def := regexp.MustCompile(`{{-?\s*(?:define|block)\s+"([^"]+)"`)
	inputs := []string{
		`{{template "a" .}}{{- template "b"}}{{-template "c"}}{{ block "d" .}}x{{end}}`,
		"{{\t\ntemplate\n\"multi\nline\"}}",
		`{{template ""}}{{template "x}}`,
		`{{templatex "no"}}{{template"no"}}{{ - template "no"}}`,
		`{{{template "brace"}} {{{{block "two"}}`,
		`{{template "a{{template "inner"}}"}}`,
		`{{define "p"}}{{block "q" .}}{{end}}{{end}}{{ define  "r" }}`,
		"{{template \"v\x0b\"}}{{\x0btemplate \"vt\"}}",
		`{{/* {{template "in a comment"}} */}}`,
		`{{template "unclosed`, `{{`, `{{-`, `{{ template`, ``,
	}
	err := fs.WalkDir(templateFS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(templateFS, p)
			inputs = append(inputs, string(b))
		}
		return err
	})
	if err != nil || len(inputs) < 20 {
		t.Fatalf("templates: %v, %d inputs", err, len(inputs))
	}
	found := 0
	for _, in := range inputs {
		for _, c := range []struct {
			re       *regexp.Regexp
			keywords []string
		}{{use, []string{"template", "block"}}, {def, []string{"define", "block"}}} {
			var want []string
			for _, m := range c.re.FindAllStringSubmatch(in, -1) {
				want = append(want, m[1])
			}
			got := templateNames([]byte(in), c.keywords...)
			if !slices.Equal(got, want) {
				t.Errorf("%v in %.80q: %q, the regexp %q", c.keywords, in, got, want)
			}
			found += len(got)
		}
	}
	if found < 20 {
		t.Fatalf("only %d names found", found)
	}
}
