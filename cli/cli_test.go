package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"orengen/internal/realtest"
)

func runMain(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(context.Background(), args, &out, &errb, envFrom(env))
	return code, out.String(), errb.String()
}

// TestHelp_NeverRuns: "orengen X help" prints X's help and exits 0 for
// every command; the commands that used to run instead (serve, migrate,
// restore, replicate, doctor) create nothing in the data directory.
func TestHelp_NeverRuns(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.Name, func(t *testing.T) {
			data := filepath.Join(t.TempDir(), "data")
			env := map[string]string{"ORENGEN_DATA_DIR": data, "ORENGEN_BACKUP_DIR": ""}
			code, out, errOut := runMain(t, env, c.Name, "help")
			if code != 0 {
				t.Fatalf("exit %d\n%s%s", code, out, errOut)
			}
			if !strings.Contains(out+errOut, "Usage: orengen "+c.Name) {
				t.Fatalf("no usage for %s:\n%s%s", c.Name, out, errOut)
			}
			if _, err := os.Stat(data); !os.IsNotExist(err) {
				t.Fatalf("%s help touched the data directory (%v)", c.Name, err)
			}
		})
	}
	// A stray word is an error, not a run.
	data := filepath.Join(t.TempDir(), "data")
	if code, _, errOut := runMain(t, map[string]string{"ORENGEN_DATA_DIR": data}, "serve", "--http-addr", "127.0.0.1:0", "bogus"); code != 2 || !strings.Contains(errOut, `unexpected argument "bogus"`) {
		t.Fatalf("serve bogus: exit %d\n%s", code, errOut)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatal("serve with a stray argument created the data directory")
	}
	if code, _, _ := runMain(t, nil, "migrate", "--data-dir", data, "help"); code != 0 {
		t.Fatalf("help after flags: exit %d", code)
	}
}

// TestRootHelp lists every command of the table, federal and completion
// included; an unknown command is a usage error.
func TestRootHelp(t *testing.T) {
	code, out, _ := runMain(t, nil, "help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, c := range append(commands(), command{Name: "federal"}, command{Name: "completion"}) {
		if !strings.Contains(out, "\n  "+c.Name+" ") {
			t.Errorf("root help lacks %s:\n%s", c.Name, out)
		}
	}
	if code, _, errOut := runMain(t, nil, "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: exit %d %s", code, errOut)
	}
}

// TestVersion prints version, commit, build date and Go version, refuses
// unknown flags and arguments, and has a JSON form.
func TestVersion(t *testing.T) {
	old := [3]string{Version, Commit, BuildDate}
	defer func() { Version, Commit, BuildDate = old[0], old[1], old[2] }()
	Version, Commit, BuildDate = "v1.2.3", "0123456789abcdef0123456789abcdef01234567", "2026-12-04T10:00:00Z"
	code, out, _ := runMain(t, nil, "version")
	want := "orengen v1.2.3\ncommit:     0123456789abcdef0123456789abcdef01234567\nbuilt:      2026-12-04T10:00:00Z\ngo version: " + runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH + "\n"
	if code != 0 || out != want {
		t.Fatalf("exit %d:\n%q\nwant\n%q", code, out, want)
	}
	for _, args := range [][]string{{"version", "--bogus"}, {"version", "extra"}} {
		if code, _, _ := runMain(t, nil, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
	}
	code, out, _ = runMain(t, nil, "version", "--json")
	var b BuildInfo
	if err := json.Unmarshal([]byte(out), &b); code != 0 || err != nil || b.Version != "v1.2.3" || b.Commit != Commit || b.GoVersion != runtime.Version() {
		t.Fatalf("--json: exit %d %v %+v", code, err, b)
	}
	// Without ldflags the version says it is a development build.
	Version, Commit, BuildDate = "", "", ""
	if b := ReadBuildInfo(); !strings.HasPrefix(b.Version, "dev") || b.GoVersion != runtime.Version() {
		t.Fatalf("no ldflags: %+v", b)
	}
}

// completionScript writes `orengen completion SHELL` to a file.
func completionScript(t *testing.T, shell string) string {
	t.Helper()
	code, out, errOut := runMain(t, nil, "completion", shell)
	if code != 0 || out == "" {
		t.Fatalf("completion %s: exit %d %s", shell, code, errOut)
	}
	p := filepath.Join(t.TempDir(), "orengen."+shell)
	if err := os.WriteFile(p, []byte(out), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// completionCases are command lines (the last word being completed) and
// words the completion must offer (or, with "-", must not).
var completionCases = []struct {
	line string
	want []string
}{
	{"orengen ", []string{"serve", "federal", "completion", "version", "help"}},
	{"orengen fe", []string{"federal", "-serve"}},
	{"orengen user ", []string{"create", "reset-password", "list", "setup-link"}},
	{"orengen user create --e", []string{"--email", "-create"}},
	{"orengen serve --data-", []string{"--data-dir"}},
	{"orengen federal search ", []string{"add", "list"}},
	{"orengen federal search add --na", []string{"--naics", "--name"}},
	{"orengen federal search add --naics 541511 --set", []string{"--set-aside"}},
	{"orengen completion ", []string{"bash", "zsh"}},
	{"orengen version --", []string{"--json"}},
	{"orengen serve --data-dir ", []string{"-help", "-serve", "-completion"}}, // a flag's value: file names, not words
	{"orengen crm import --tenant acme ", []string{"--object", "--dedupe"}},
}

// TestCompletion_Bash sources the bash script in a bash subprocess and
// asks it for completions as bash would (COMP_WORDS, COMP_CWORD).
func TestCompletion_Bash(t *testing.T) {
	bash := realtest.LookPath(t, "bash", "apt-get install -y bash")
	script := completionScript(t, "bash")
	for _, tc := range completionCases {
		words := strings.Split(tc.line, " ")
		prog := "source " + script + "\ncomplete -p orengen >/dev/null || exit 3\nCOMP_WORDS=(" + shellWords(words) + ")\nCOMP_CWORD=" +
			strconv.Itoa(len(words)-1) + "\n_orengen\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command(bash, "--norc", "--noprofile", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.line, err, out)
		}
		checkOffered(t, tc.line, strings.Fields(string(out)), tc.want)
	}
}

// TestCompletion_Zsh loads the zsh script in a zsh subprocess (compdef and
// compadd stubbed: no terminal) and asks it the same questions.
func TestCompletion_Zsh(t *testing.T) {
	zsh := realtest.LookPath(t, "zsh", "apt-get install -y zsh")
	script := completionScript(t, "zsh")
	for _, tc := range completionCases {
		words := strings.Split(tc.line, " ")
		prog := "compdef() { registered=$*; }\ncompadd() { shift; print -l -- \"$@\"; }\n_files() { print FILES; }\nsource " + script +
			"\n[[ $registered == '_orengen orengen' ]] || exit 3\nwords=(" + shellWords(words) + ")\nCURRENT=" + strconv.Itoa(len(words)) + "\n_orengen\n"
		out, err := exec.Command(zsh, "-f", "-c", prog).CombinedOutput()
		if err != nil {
			t.Fatalf("%q: %v\n%s", tc.line, err, out)
		}
		got := strings.Fields(string(out))
		// compadd gets every word; zsh filters by the prefix itself.
		var filtered []string
		cur := words[len(words)-1]
		for _, g := range got {
			if strings.HasPrefix(g, cur) || g == "FILES" {
				filtered = append(filtered, g)
			}
		}
		checkOffered(t, tc.line, filtered, tc.want)
	}
}

func checkOffered(t *testing.T, line string, got, want []string) {
	t.Helper()
	has := map[string]bool{}
	for _, g := range got {
		has[g] = true
	}
	for _, w := range want {
		if no, ok := strings.CutPrefix(w, "-"); ok && !strings.HasPrefix(w, "--") {
			if has[no] {
				t.Errorf("%q offers %s: %v", line, no, got)
			}
		} else if !has[w] {
			t.Errorf("%q does not offer %s: %v", line, w, got)
		}
	}
}

// shellWords quotes words for a shell array (the test lines hold no ').
func shellWords(words []string) string {
	var quoted []string
	for _, w := range words {
		quoted = append(quoted, "'"+w+"'")
	}
	return strings.Join(quoted, " ")
}
