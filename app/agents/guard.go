package agents

import (
	"hash/fnv"
	"strings"
	"unicode"
)

// Fallbacks say what happens, in the channel's words, when the agent
// cannot answer. They never name the provider, the key or the error.
var fallbackText = map[string]string{
	"model":    "Sorry, I can't answer right now. I've passed your message to the team and someone will get back to you.",
	"voice":    "Sorry, I'm having trouble right now.",
	"budget":   "Sorry, I can't take more questions right now. I've passed your message to the team and someone will get back to you.",
	"limit":    "I've reached the limit of what I can do in this conversation. I've passed it to the team and someone will follow up.",
	"tools":    "Sorry, I couldn't complete that. I've passed your request to the team and someone will follow up.",
	"too_long": "That message is too long for me to read. Please send it in a few shorter messages (at most 4,000 characters each).",
	"leak":     "Sorry, I can't share that.",
}

// cleanInput removes control characters (keeping new lines and tabs) and
// trims a visitor's message.
func cleanInput(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

// leakGuard notices when a reply starts quoting the system prompt: it
// hashes every run of leakWords words of the instructions and checks the
// reply's word runs against them as the reply streams.
type leakGuard struct {
	shingles map[uint64]bool
	words    []string
	partial  strings.Builder
}

const leakWords = 8

func normWord(w string) string {
	return strings.ToLower(strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }))
}

func shingleHash(ws []string) uint64 {
	h := fnv.New64a()
	for _, w := range ws {
		h.Write([]byte(w))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

func newLeakGuard(secret string) *leakGuard {
	g := &leakGuard{shingles: map[uint64]bool{}}
	var ws []string
	for _, w := range strings.Fields(secret) {
		if n := normWord(w); n != "" {
			ws = append(ws, n)
		}
	}
	for i := 0; i+leakWords <= len(ws); i++ {
		g.shingles[shingleHash(ws[i:i+leakWords])] = true
	}
	return g
}

// feed adds streamed text and reports whether the reply now quotes the
// instructions.
func (g *leakGuard) feed(text string) bool {
	if len(g.shingles) == 0 {
		return false
	}
	g.partial.WriteString(text)
	s := g.partial.String()
	// Only complete words count: keep the last, possibly partial, word.
	last := strings.LastIndexFunc(s, unicode.IsSpace)
	if last < 0 {
		return false
	}
	for _, w := range strings.Fields(s[:last]) {
		if n := normWord(w); n != "" {
			g.words = append(g.words, n)
			if len(g.words) >= leakWords && g.shingles[shingleHash(g.words[len(g.words)-leakWords:])] {
				return true
			}
		}
	}
	if len(g.words) > 4*leakWords {
		g.words = append(g.words[:0], g.words[len(g.words)-leakWords:]...)
	}
	rest := s[last:]
	g.partial.Reset()
	g.partial.WriteString(rest)
	return false
}

// finish checks the words left at the end of a reply.
func (g *leakGuard) finish() bool {
	if g.partial.Len() == 0 {
		return false
	}
	return g.feed(" ")
}
