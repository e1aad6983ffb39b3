package cli

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
)

const completionUsage = `Usage: orengen completion bash|zsh

Prints a completion script for the shell, generated from the command table
(commands, subcommands and each one's flags). Load it with:

  bash:  source <(orengen completion bash)     (or save it to /etc/bash_completion.d/orengen)
  zsh:   source <(orengen completion zsh)      (after compinit; or save it as _orengen in $fpath)
`

// completionNode is a command or subcommand path ("user create") with the
// words that may follow it: its subcommands, or its flags.
type completionNode struct {
	Key        string
	Words      []string
	ValueFlags []string // flags that take a value (the next word is not completed from Words)
}

// runCompletion is `orengen completion bash|zsh`.
func runCompletion(ctx context.Context, args []string, stdout, stderr io.Writer, _ func(string) string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, completionUsage)
		if len(args) == 0 {
			return usageError{errors.New("completion: bash or zsh is required")}
		}
		return nil
	}
	if len(args) > 1 {
		return usageError{fmt.Errorf("completion: unexpected argument %q", args[1])}
	}
	nodes := completionNodes(ctx)
	switch args[0] {
	case "bash":
		writeCompletion(stdout, nodes, bashTemplate)
	case "zsh":
		writeCompletion(stdout, nodes, zshTemplate)
	default:
		fmt.Fprint(stderr, completionUsage)
		return usageError{fmt.Errorf("completion: unknown shell %q (bash or zsh)", args[0])}
	}
	return nil
}

// flagLine matches a flag in flag.PrintDefaults output: "  -name" for a
// boolean, "  -name type" for a flag that takes a value.
var flagLine = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?m)^  -([A-Za-z0-9][A-Za-z0-9_-]*)(?: (\S+))?`) })

// completionNodes walks the command table. The flags of each command and
// subcommand come from its own flag set: its --help output, parsed, so the
// scripts never fall behind the flags. --help returns before a command
// touches anything.
func completionNodes(ctx context.Context) []completionNode {
	root := completionNode{Key: "", Words: []string{"help"}}
	var nodes []completionNode
	noEnv := func(string) string { return "" }
	flagsOf := func(c command, path []string) completionNode {
		var out bytes.Buffer
		_ = c.Run(ctx, append(append([]string(nil), path...), "--help"), &out, &out, noEnv)
		n := completionNode{Key: strings.Join(append([]string{c.Name}, path...), " ")}
		for _, m := range flagLine().FindAllStringSubmatch(out.String(), -1) {
			n.Words = append(n.Words, "--"+m[1])
			if m[2] != "" {
				n.ValueFlags = append(n.ValueFlags, "--"+m[1])
			}
		}
		return n
	}
	for _, c := range commands() {
		root.Words = append(root.Words, c.Name)
		switch {
		case c.Name == "completion":
			nodes = append(nodes, completionNode{Key: c.Name, Words: c.Subcommands})
		case len(c.Subcommands) == 0:
			n := flagsOf(c, nil)
			n.Words = append(n.Words, "help")
			nodes = append(nodes, n)
		default:
			top := completionNode{Key: c.Name, Words: []string{"help"}}
			groups := map[string][]string{} // "search" -> add, list
			for _, sub := range c.Subcommands {
				path := strings.Fields(sub)
				if len(path) == 2 {
					if _, ok := groups[path[0]]; !ok {
						top.Words = append(top.Words, path[0])
					}
					groups[path[0]] = append(groups[path[0]], path[1])
				} else {
					top.Words = append(top.Words, sub)
				}
				nodes = append(nodes, flagsOf(c, path))
			}
			nodes = append(nodes, top)
			for g, subs := range groups {
				nodes = append(nodes, completionNode{Key: c.Name + " " + g, Words: subs})
			}
		}
	}
	nodes = append(nodes, root)
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].Key < nodes[j].Key })
	return nodes
}

// writeCompletion fills the shell template with the case tables.
func writeCompletion(w io.Writer, nodes []completionNode, tmpl string) {
	var words, vflags strings.Builder
	for _, n := range nodes {
		fmt.Fprintf(&words, "    %q) echo %q ;;\n", n.Key, strings.Join(n.Words, " "))
		if len(n.ValueFlags) > 0 {
			fmt.Fprintf(&vflags, "    %q) echo %q ;;\n", n.Key, strings.Join(n.ValueFlags, " "))
		}
	}
	r := strings.NewReplacer("@WORDS@", words.String(), "@VFLAGS@", vflags.String())
	io.WriteString(w, r.Replace(tmpl))
}

// The two scripts share the table functions (POSIX case syntax works in
// both shells): _orengen_words KEY prints what may follow the command path
// KEY and fails for a path that is not one; _orengen_vflags KEY prints the
// flags of KEY that take a value.
const completionTables = `_orengen_words() {
  case "$1" in
@WORDS@    *) return 1 ;;
  esac
}
_orengen_vflags() {
  case "$1" in
@VFLAGS@  esac
}
# _orengen_key prints the command path among the words typed before the
# current one ("user create"), or - when the current word is a flag's value.
_orengen_key() {
  local key="" w skip=0
  for w in "$@"; do
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      -*=*) ;;
      -*) [[ " $(_orengen_vflags "$key") " == *" $w "* ]] && skip=1 ;;
      *) if _orengen_words "${key:+$key }$w" >/dev/null; then key="${key:+$key }$w"; fi ;;
    esac
  done
  if ((skip)); then printf "%s\n" -; else printf "%s\n" "$key"; fi
}
`

const bashTemplate = `# bash completion for orengen (generated by 'orengen completion bash')
` + completionTables + `_orengen() {
  local cur="${COMP_WORDS[COMP_CWORD]}" key
  key=$(_orengen_key "${COMP_WORDS[@]:1:COMP_CWORD-1}")
  COMPREPLY=()
  [[ $key == - ]] && return 0 # a flag's value: file names (complete -o default)
  local IFS=$' \t\n'
  COMPREPLY=($(compgen -W "$(_orengen_words "$key")" -- "$cur"))
}
complete -o default -F _orengen orengen
`

const zshTemplate = `#compdef orengen
# zsh completion for orengen (generated by 'orengen completion zsh')
` + completionTables + `_orengen() {
  local key
  key=$(_orengen_key "${(@)words[2,CURRENT-1]}")
  if [[ $key == - ]]; then _files; return; fi
  local -a opts
  opts=(${=$(_orengen_words "$key")})
  if ((${#opts})); then compadd -- $opts; else _files; fi
}
if [ "$funcstack[1]" = "_orengen" ]; then
  _orengen "$@"
else
  compdef _orengen orengen
fi
`
