package platform

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

var updateLicences = flag.Bool("update-licences", false, "rewrite licences.go from the module cache")

// licenceOverrides are modules whose licence file no rule below reads
// right; each says why.
var licenceOverrides = map[string]string{
	// Its LICENSE says the project moves from MIT to Apache-2.0: code is
	// under one or the other by contribution date.
	"github.com/modelcontextprotocol/go-sdk": "Apache-2.0 OR MIT",
}

var (
	reApache = regexp.MustCompile(`(?s)Apache License.{0,80}Version 2\.0`)
	reMPL    = regexp.MustCompile(`Mozilla Public License,? [Vv]ersion 2\.0`)
)

// detectLicence names a licence text's SPDX identifier by the sentences
// each licence is made of ("" when none fits: a person reads the file).
func detectLicence(text string) string {
	t := strings.Join(strings.Fields(text), " ")
	switch {
	case reApache.MatchString(text) || strings.Contains(t, "Licensed under the Apache License, Version 2.0"):
		return "Apache-2.0"
	case reMPL.MatchString(t):
		return "MPL-2.0"
	case strings.Contains(t, "Permission is hereby granted, free of charge, to any person obtaining a copy"):
		return "MIT"
	case strings.Contains(t, "Redistribution and use in source and binary forms"):
		if strings.Contains(t, "Neither the name") || strings.Contains(t, "names of its contributors may be used") || strings.Contains(t, "name of the copyright holder nor") {
			return "BSD-3-Clause"
		}
		return "BSD-2-Clause"
	case strings.Contains(t, "Permission to use, copy, modify, and/or distribute this software for any purpose"):
		return "ISC"
	case strings.Contains(t, "CC0 1.0"):
		return "CC0-1.0"
	}
	return ""
}

func TestDetectLicence(t *testing.T) {
	for text, want := range map[string]string{
		"                                 Apache License\n                           Version 2.0, January 2004": "Apache-2.0",
		"MIT License\n\nPermission is hereby granted, free of charge, to any person obtaining a copy\nof this":  "MIT",
		"Redistribution and use in source and binary forms, with or without\n* Neither the name of Google":      "BSD-3-Clause",
		"Redistribution and use in source and binary forms, with or without modification, are permitted":        "BSD-2-Clause",
		"Permission to use, copy, modify, and/or distribute this software for any purpose with or":              "ISC",
		"All rights reserved. Use at your own risk.":                                                            "",
	} {
		if got := detectLicence(text); got != want {
			t.Errorf("detectLicence(%.40q) = %q, want %q", text, got, want)
		}
	}
}

// TestLicences_Current: every module the binary links has its licence in
// licences.go, read from the licence file in the module cache, and the
// table names no module the binary no longer links. After a dependency
// change: go test -tags sqlite_fts5 ./app/platform -run TestLicences_Current -update-licences
func TestLicences_Current(t *testing.T) {
	if testing.Short() {
		t.Skip("reads every dependency's licence file")
	}
	cmd := exec.Command("go", "list", "-deps", "-tags", "sqlite_fts5", "-f", "{{with .Module}}{{if not .Main}}{{.Path}}\t{{.Dir}}{{end}}{{end}}", "orengen")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	found := map[string]string{}
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		path, dir, _ := strings.Cut(line, "\t")
		if path == "" || found[path] != "" {
			continue
		}
		if l, ok := licenceOverrides[path]; ok {
			found[path] = l
			continue
		}
		if dir == "" {
			problems = append(problems, path+": not in the module cache (go mod download)")
			continue
		}
		l := ""
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			n := strings.ToLower(e.Name())
			if strings.HasPrefix(n, "licen") || strings.HasPrefix(n, "copying") {
				b, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err == nil {
					if l = detectLicence(string(b)); l != "" {
						break
					}
				}
			}
		}
		if l == "" {
			problems = append(problems, path+": no licence file a rule reads; read it and add a line to licenceOverrides")
			continue
		}
		found[path] = l
	}
	if len(found) < 20 {
		t.Fatalf("go list found %d modules", len(found))
	}
	for _, p := range problems {
		t.Error(p)
	}
	if *updateLicences {
		writeLicences(t, found)
		return
	}
	for path, l := range found {
		if got := moduleLicences[path]; got != l {
			t.Errorf("%s: licences.go says %q, its licence file %q (run with -update-licences)", path, got, l)
		}
	}
	for path := range moduleLicences {
		if _, ok := found[path]; !ok {
			t.Errorf("%s is in licences.go but the binary no longer links it (run with -update-licences)", path)
		}
	}
}

func writeLicences(t *testing.T, found map[string]string) {
	paths := make([]string, 0, len(found))
	for p := range found {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var b bytes.Buffer
	b.WriteString("// Code generated by TestLicences_Current -update-licences; DO NOT EDIT.\n\npackage platform\n\n")
	b.WriteString("// moduleLicences is the SPDX licence of each module the binary links,\n// read from its licence file in the module cache.\nvar moduleLicences = map[string]string{\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "\t%q: %q,\n", p, found[p])
	}
	b.WriteString("}\n")
	src, err := format.Source(b.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile("licences.go", src, 0o644); err != nil {
		t.Fatal(err)
	}
}
