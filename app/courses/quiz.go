package courses

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"orengen/app"
)

// Quiz limits.
const (
	MaxQuestions     = 50
	MaxOptions       = 10
	DefaultPassMark  = 70
	maxQuestionText  = 500
	maxOptionText    = 300
	EventQuizFailed  = "quiz_failed"
	EventQuizPassed  = "quiz_passed"
	quizSourceMaxLen = 50_000
)

// Question is one quiz question: single choice when one option is
// correct, multiple choice when several are.
type Question struct {
	Text    string   `json:"text"`
	Options []string `json:"options"`
	Correct []int    `json:"correct"` // indexes into Options, ascending
}

// Multiple reports whether the question takes several answers.
func (q *Question) Multiple() bool { return len(q.Correct) > 1 }

// Quiz is a lesson's quiz: its questions and the pass mark (percent of
// questions answered right).
type Quiz struct {
	Questions []Question `json:"questions"`
	PassMark  int        `json:"pass_mark"`
}

// ParseQuiz reads a quiz from its text form, one question per block:
//
//	? Which colour is the sky on a clear day?
//	- Green
//	* Blue
//
// "? " starts a question, "* " is a right option and "- " a wrong one; a
// question with several right options is multiple choice. Blank lines
// are ignored. Returns EINVALID (field quiz) naming the question at fault.
func ParseQuiz(src string, passMark int) (*Quiz, error) {
	if len(src) > quizSourceMaxLen {
		return nil, app.FieldErrorf("quiz", "The quiz must be at most %d characters.", quizSourceMaxLen)
	}
	q := &Quiz{PassMark: passMark}
	for n, line := range strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		kind, text := line[:1], strings.TrimSpace(line[1:])
		switch kind {
		case "?":
			if len(q.Questions) >= MaxQuestions {
				return nil, app.FieldErrorf("quiz", "A quiz has at most %d questions.", MaxQuestions)
			}
			if text == "" || len(text) > maxQuestionText {
				return nil, app.FieldErrorf("quiz", "Line %d: a question needs text (at most %d characters).", n+1, maxQuestionText)
			}
			q.Questions = append(q.Questions, Question{Text: text})
		case "*", "-":
			if len(q.Questions) == 0 {
				return nil, app.FieldErrorf("quiz", "Line %d: an option comes after a question (a line starting with ?).", n+1)
			}
			cur := &q.Questions[len(q.Questions)-1]
			if text == "" || len(text) > maxOptionText {
				return nil, app.FieldErrorf("quiz", "Line %d: an option needs text (at most %d characters).", n+1, maxOptionText)
			}
			if len(cur.Options) >= MaxOptions {
				return nil, app.FieldErrorf("quiz", "Question %d has more than %d options.", len(q.Questions), MaxOptions)
			}
			if kind == "*" {
				cur.Correct = append(cur.Correct, len(cur.Options))
			}
			cur.Options = append(cur.Options, text)
		default:
			return nil, app.FieldErrorf("quiz", "Line %d: start it with ? (a question), * (a right option) or - (a wrong option).", n+1)
		}
	}
	return q, q.Validate()
}

// Validate checks a quiz (an empty one is no quiz). Returns EINVALID.
func (q *Quiz) Validate() error {
	if q.PassMark < 1 || q.PassMark > 100 {
		return app.FieldErrorf("pass_mark", "Pass mark must be a percentage from 1 to 100.")
	}
	for i, qu := range q.Questions {
		if len(qu.Options) < 2 {
			return app.FieldErrorf("quiz", "Question %d needs at least two options.", i+1)
		}
		if len(qu.Correct) == 0 {
			return app.FieldErrorf("quiz", "Question %d needs a right option (a line starting with *).", i+1)
		}
		for _, c := range qu.Correct {
			if c < 0 || c >= len(qu.Options) {
				return app.FieldErrorf("quiz", "Question %d has a right answer that is not one of its options.", i+1)
			}
		}
	}
	return nil
}

// Text is the quiz in its text form (ParseQuiz reads it back).
func (q *Quiz) Text() string {
	if q == nil {
		return ""
	}
	var b strings.Builder
	for i, qu := range q.Questions {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "? %s\n", qu.Text)
		for j, o := range qu.Options {
			mark := "-"
			if slices.Contains(qu.Correct, j) {
				mark = "*"
			}
			fmt.Fprintf(&b, "%s %s\n", mark, o)
		}
	}
	return b.String()
}

// Result is a scored attempt.
type Result struct {
	Right  int
	Total  int
	Score  int // percent, rounded down
	Passed bool
	// Wrong are the numbers (from 1) of the questions answered wrong.
	Wrong []int
}

// Score marks answers (per question, the chosen option indexes): a
// question counts only when the chosen set is exactly its right set (no
// partial credit on multiple choice). The score is the percentage of
// questions right, rounded down; it passes at the pass mark or above.
// Returns EINVALID (field q<N>) for an unanswered question, an option
// that does not exist, or several answers to a single-choice question.
func (q *Quiz) Score(answers [][]int) (*Result, error) {
	if len(answers) != len(q.Questions) {
		return nil, app.FieldErrorf("q1", "Answer every question.")
	}
	r := &Result{Total: len(q.Questions)}
	for i, qu := range q.Questions {
		field := fmt.Sprintf("q%d", i+1)
		got := slices.Clone(answers[i])
		slices.Sort(got)
		got = slices.Compact(got)
		if len(got) == 0 {
			return nil, app.FieldErrorf(field, "Answer question %d.", i+1)
		}
		if !qu.Multiple() && len(got) > 1 {
			return nil, app.FieldErrorf(field, "Question %d takes one answer.", i+1)
		}
		for _, a := range got {
			if a < 0 || a >= len(qu.Options) {
				return nil, app.FieldErrorf(field, "Question %d has no such option.", i+1)
			}
		}
		want := slices.Clone(qu.Correct)
		slices.Sort(want)
		if slices.Equal(got, want) {
			r.Right++
		} else {
			r.Wrong = append(r.Wrong, i+1)
		}
	}
	if r.Total > 0 {
		r.Score = r.Right * 100 / r.Total
	}
	r.Passed = r.Score >= q.PassMark
	return r, nil
}

// Attempt is a member's scored quiz attempt.
type Attempt struct {
	ID        int64
	LessonID  int64
	MemberID  int64
	Score     int
	Passed    bool
	CreatedAt time.Time
}
