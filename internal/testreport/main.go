// Command testreport runs `go test -json`, keeps its JSON in a file and
// prints what a plain `go test` prints (package results, and the output of
// failed tests only), and checks the skipped tests of such a file against
// an allow-list.
//
//	go run ./internal/testreport -json FILE -- go test -json ./...
//	go run ./internal/testreport -skips .ci/skips-allowed FILE
//
// The first form exits with the test command's status (1 as well when a
// test failed). The second exits 1 when a test skipped that the allow-list
// does not name, printing each with its reason: CI runs it after make test
// so a component that silently went missing cannot turn into a skip.
//
// testreport imports no project package.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	jsonOut := flag.String("json", "", "run the command after -- and write its JSON output to `file`")
	skips := flag.String("skips", "", "check the skips in the JSON file argument against the allow-list `file`")
	flag.Parse()
	var err error
	switch {
	case *jsonOut != "" && flag.NArg() > 0:
		err = run(*jsonOut, flag.Args(), os.Stdout)
	case *skips != "" && flag.NArg() == 1:
		err = checkSkips(*skips, flag.Arg(0), os.Stdout)
	default:
		fmt.Fprintln(os.Stderr, "usage: testreport -json FILE -- go test -json ...\n       testreport -skips ALLOWLIST FILE")
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testreport:", err)
		os.Exit(1)
	}
}

// run runs argv, tees its standard output to file and prints the summary.
func run(file string, argv []string, w io.Writer) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	failed, perr := summarize(io.TeeReader(out, f), w)
	werr := cmd.Wait()
	switch {
	case perr != nil:
		return perr
	case werr != nil:
		return fmt.Errorf("%s: %w", strings.Join(argv[:min(len(argv), 3)], " "), werr)
	case failed > 0:
		return fmt.Errorf("%d tests failed", failed)
	}
	return nil
}

// summarize prints package lines and the output of failed tests, and
// returns how many tests failed.
func summarize(r io.Reader, w io.Writer) (int, error) {
	type key struct{ pkg, test string }
	buf := map[key][]string{}
	failed, skipped := 0, 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			fmt.Fprintln(w, sc.Text()) // build errors and the like are plain text
			continue
		}
		k := key{e.Package, e.Test}
		switch {
		case e.Test == "" && e.Action == "output":
			if s := strings.TrimSpace(e.Output); s != "PASS" && !strings.HasPrefix(s, "=== ") {
				fmt.Fprint(w, e.Output)
			}
		case e.Action == "output":
			buf[k] = append(buf[k], e.Output)
		case e.Action == "fail" && e.Test != "":
			failed++
			for _, l := range buf[k] {
				fmt.Fprint(w, l)
			}
			delete(buf, k)
		case e.Action == "skip" && e.Test != "":
			skipped++
			fmt.Fprintf(w, "SKIP %s %s: %s\n", e.Package, e.Test, skipReason(buf[k]))
			delete(buf, k)
		case e.Action == "pass":
			delete(buf, k)
		}
	}
	fmt.Fprintf(w, "testreport: %d failed, %d skipped\n", failed, skipped)
	return failed, sc.Err()
}

// skipReason is the message given to t.Skip, from the test's output.
func skipReason(lines []string) string {
	var out []string
	for _, l := range lines {
		s := strings.TrimSpace(l)
		if s == "" || strings.HasPrefix(s, "=== ") || strings.HasPrefix(s, "--- SKIP") {
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// allowed is one allow-list line: a package and a test-name pattern.
type allowed struct {
	pkg  string
	test *regexp.Regexp
	line string
}

// readAllowList parses lines of "package TestPattern  # why"; blank lines
// and lines starting with # are comments. The pattern is a Go regular
// expression matched against the whole test name (subtests included).
func readAllowList(file string) ([]allowed, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []allowed
	for i, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if c, _, _ := strings.Cut(line, "#"); strings.TrimSpace(c) == "" {
			continue
		} else {
			line = strings.TrimSpace(c)
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("%s:%d: want \"package TestPattern  # why\", got %q", file, i+1, line)
		}
		re, err := regexp.Compile("^(?:" + f[1] + ")$")
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, i+1, err)
		}
		out = append(out, allowed{f[0], re, line})
	}
	return out, nil
}

// checkSkips reports skipped tests that the allow-list does not name.
func checkSkips(allowFile, jsonFile string, w io.Writer) error {
	allow, err := readAllowList(allowFile)
	if err != nil {
		return err
	}
	f, err := os.Open(jsonFile)
	if err != nil {
		return err
	}
	defer f.Close()
	type key struct{ pkg, test string }
	outputs := map[key][]string{}
	var unlisted []string
	total := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil || e.Test == "" {
			continue
		}
		k := key{e.Package, e.Test}
		switch e.Action {
		case "output":
			outputs[k] = append(outputs[k], e.Output)
		case "skip":
			total++
			ok := false
			for _, a := range allow {
				ok = ok || (a.pkg == e.Package && a.test.MatchString(e.Test))
			}
			if !ok {
				unlisted = append(unlisted, fmt.Sprintf("%s %s: %s", e.Package, e.Test, skipReason(outputs[k])))
			}
			delete(outputs, k)
		case "pass", "fail":
			delete(outputs, k)
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if total == 0 && len(unlisted) == 0 {
		// A file without a single test event is no report at all.
		if fi, err := f.Stat(); err == nil && fi.Size() == 0 {
			return errors.New(jsonFile + " is empty: run make test first")
		}
	}
	sort.Strings(unlisted)
	fmt.Fprintf(w, "skips: %d skipped, %d not in %s\n", total, len(unlisted), allowFile)
	for _, u := range unlisted {
		fmt.Fprintln(w, "  unlisted skip:", u)
	}
	if len(unlisted) > 0 {
		return fmt.Errorf("%d skipped tests are not in %s: install what they need (.ci/run) or list them with the reason", len(unlisted), allowFile)
	}
	return nil
}
