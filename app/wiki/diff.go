package wiki

import (
	"strings"
	"time"

	"github.com/sergi/go-diff/diffmatchpatch"
)

// Diffs are line diffs from github.com/sergi/go-diff (diff-match-patch:
// Myers' algorithm with a deadline, maintained): its line mode maps each
// distinct line to one rune, diffs the runes and maps back, which is fast
// on long pages and never splits a line.

// Diff line kinds.
const (
	DiffSame = "same"
	DiffAdd  = "add"
	DiffDel  = "del"
	DiffSkip = "skip" // unchanged lines left out of the view
)

// DiffContext is how many unchanged lines are shown around a change.
const DiffContext = 3

// DiffLine is one line of a diff view.
type DiffLine struct {
	Kind  string
	Old   int // line number in the old text (0: none)
	New   int // line number in the new text (0: none)
	Text  string
	Count int // skip: how many lines are left out
}

// DiffResult is the comparison of two revisions.
type DiffResult struct {
	From, To       *Revision
	Lines          []DiffLine
	Added, Removed int
	TitleChanged   bool
}

// Same reports whether the two texts are equal.
func (d *DiffResult) Same() bool { return d.Added == 0 && d.Removed == 0 && !d.TitleChanged }

// DiffLines compares two texts line by line and returns the changed lines
// with DiffContext lines around each change (the rest as skip lines).
func DiffLines(a, b string) (lines []DiffLine, added, removed int) {
	a, b = withNewline(a), withNewline(b)
	dmp := diffmatchpatch.New()
	dmp.DiffTimeout = 2 * time.Second
	ra, rb, table := dmp.DiffLinesToRunes(a, b)
	diffs := dmp.DiffCharsToLines(dmp.DiffMainRunes(ra, rb, false), table)
	var all []DiffLine
	oldNo, newNo := 0, 0
	for _, d := range diffs {
		for _, l := range splitLines(d.Text) {
			switch d.Type {
			case diffmatchpatch.DiffEqual:
				oldNo++
				newNo++
				all = append(all, DiffLine{Kind: DiffSame, Old: oldNo, New: newNo, Text: l})
			case diffmatchpatch.DiffDelete:
				oldNo++
				removed++
				all = append(all, DiffLine{Kind: DiffDel, Old: oldNo, Text: l})
			case diffmatchpatch.DiffInsert:
				newNo++
				added++
				all = append(all, DiffLine{Kind: DiffAdd, New: newNo, Text: l})
			}
		}
	}
	// Keep the changes and their context.
	keep := make([]bool, len(all))
	for i, l := range all {
		if l.Kind == DiffSame {
			continue
		}
		for j := max(0, i-DiffContext); j <= min(len(all)-1, i+DiffContext); j++ {
			keep[j] = true
		}
	}
	for i := 0; i < len(all); {
		if keep[i] {
			lines = append(lines, all[i])
			i++
			continue
		}
		j := i
		for j < len(all) && !keep[j] {
			j++
		}
		lines = append(lines, DiffLine{Kind: DiffSkip, Count: j - i})
		i = j
	}
	return lines, added, removed
}

// withNewline ends a non-empty text with a newline, so a last line
// without one compares equal to the same line with one.
func withNewline(s string) string {
	if s != "" && !strings.HasSuffix(s, "\n") {
		return s + "\n"
	}
	return s
}

// splitLines splits diff text into lines without their newlines.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	return strings.Split(s, "\n")
}
