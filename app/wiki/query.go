package wiki

import (
	"strconv"
	"strings"
	"unicode"
)

// MaxQueryTerms is how many words of a search are used.
const MaxQueryTerms = 16

// Query builds the FTS5 MATCH expression for what a user typed (the
// store adds the spaces' scope): every word and "quoted phrase" required, -word
// excluded, the last word matched as a prefix (search as you type). Each
// term is quoted, so FTS5 syntax typed by a user (AND, NEAR, column:,
// parentheses, *) is searched as text and can never make the query fail.
// Returns "" when nothing is searchable.
func Query(q string) string {
	var must, not []string
	prefix := -1
	for _, t := range queryTerms(q) {
		if len(must)+len(not) >= MaxQueryTerms {
			break
		}
		if t.neg {
			not = append(not, quoteTerm(t.text))
			continue
		}
		must = append(must, quoteTerm(t.text))
		prefix = -1
		if !t.phrase {
			prefix = len(must) - 1
		}
	}
	if len(must) == 0 {
		return ""
	}
	if prefix >= 0 {
		must[prefix] += "*"
	}
	expr := "{title body} : (" + strings.Join(must, " AND ")
	if len(not) > 0 {
		expr += " NOT (" + strings.Join(not, " OR ") + ")"
	}
	return expr + ")"
}

// ScopeToken is the token of a space in the index's scope column.
func ScopeToken(spaceID int64) string { return "s" + strconv.FormatInt(spaceID, 10) }

type queryTerm struct {
	text   string
	phrase bool
	neg    bool
}

// queryTerms splits a search into words and quoted phrases, dropping
// characters the tokenizer would drop anyway.
func queryTerms(q string) []queryTerm {
	var out []queryTerm
	rs := []rune(q)
	for i := 0; i < len(rs); {
		switch {
		case unicode.IsSpace(rs[i]):
			i++
		case rs[i] == '"':
			j := i + 1
			for j < len(rs) && rs[j] != '"' {
				j++
			}
			if t := wordsOnly(string(rs[i+1 : j])); t != "" {
				out = append(out, queryTerm{text: t, phrase: true})
			}
			i = j + 1
		default:
			neg := rs[i] == '-'
			if neg {
				i++
			}
			j := i
			for j < len(rs) && !unicode.IsSpace(rs[j]) && rs[j] != '"' {
				j++
			}
			for _, w := range strings.Fields(wordsOnly(string(rs[i:j]))) {
				out = append(out, queryTerm{text: w, neg: neg})
			}
			i = j
		}
	}
	return out
}

// wordsOnly keeps letters, digits and single spaces.
func wordsOnly(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }), " ")
}

func quoteTerm(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// SnippetQuery rewrites a Query expression for the snippet of one chunk
// known to match it: its prefix term (the last word, searched as you
// type) becomes the chunk's own words that start with it. FTS5 reads a
// prefix term by merging the whole doclist of every word it covers, once
// per snippet; full words are found by rowid. text is the chunk's
// indexed text (title and body). Without such a word the expression is
// returned unchanged.
func SnippetQuery(expr, text string) string {
	i := strings.LastIndex(expr, `"*`)
	if i < 0 {
		return expr
	}
	j := strings.LastIndex(expr[:i], `"`)
	if j < 0 {
		return expr
	}
	prefix := strings.ToLower(strings.ReplaceAll(expr[j+1:i], `""`, `"`))
	seen := map[string]bool{}
	var words []string
	for _, w := range strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		lw := strings.ToLower(w)
		if strings.HasPrefix(lw, prefix) && !seen[lw] && len(words) < MaxQueryTerms {
			seen[lw] = true
			words = append(words, quoteTerm(lw))
		}
	}
	if len(words) == 0 {
		return expr
	}
	return expr[:j] + "(" + strings.Join(words, " OR ") + ")" + expr[i+2:]
}
