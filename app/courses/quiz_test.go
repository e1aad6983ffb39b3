package courses_test

import (
	"slices"
	"strings"
	"testing"

	"orengen/app"
	"orengen/app/courses"
)

const quizText = `? Which colour is the sky on a clear day?
- Green
* Blue
- Red

? Which of these are prime?
* 2
* 3
- 4
* 5

? Capital of France?
- Lyon
* Paris
`

func TestParseQuiz(t *testing.T) {
	q, err := courses.ParseQuiz(quizText, 70)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Questions) != 3 || q.Questions[0].Multiple() || !q.Questions[1].Multiple() || !slices.Equal(q.Questions[1].Correct, []int{0, 1, 3}) {
		t.Fatalf("parsed %+v", q)
	}
	// The text form reads back the same.
	again, err := courses.ParseQuiz(q.Text(), 70)
	if err != nil || again.Text() != q.Text() {
		t.Errorf("round trip: %v\n%s", err, again.Text())
	}
	for src, want := range map[string]string{
		"* Blue":                        "Line 1: an option comes after a question",
		"? Sky?\n- Green\n- Red":        "Question 1 needs a right option",
		"? Sky?\n* Blue":                "Question 1 needs at least two options",
		"? Sky?\nBlue":                  "Line 2: start it with ?",
		"? Sky?\n* Blue\n- Red\n? Why?": "Question 2 needs at least two options",
	} {
		_, err := courses.ParseQuiz(src, 70)
		if err == nil || !strings.Contains(app.ErrorMessage(err), want) || app.ErrorField(err) != "quiz" {
			t.Errorf("ParseQuiz(%q) = %v, want %q", src, err, want)
		}
	}
	if _, err := courses.ParseQuiz(quizText, 0); app.ErrorField(err) != "pass_mark" {
		t.Errorf("pass mark 0: %v", err)
	}
}

// Scores computed by hand: 3 questions, each right only with exactly the
// right set of answers.
func TestQuiz_Score(t *testing.T) {
	q, err := courses.ParseQuiz(quizText, 70)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name    string
		answers [][]int
		right   int
		score   int
		passed  bool
		wrong   []int
	}{
		{"all right", [][]int{{1}, {0, 1, 3}, {1}}, 3, 100, true, nil},
		{"answers in any order", [][]int{{1}, {3, 0, 1}, {1}}, 3, 100, true, nil},
		{"multiple choice missing one: no partial credit", [][]int{{1}, {0, 1}, {1}}, 2, 66, false, []int{2}},
		{"multiple choice with a wrong extra", [][]int{{1}, {0, 1, 2, 3}, {1}}, 2, 66, false, []int{2}},
		{"one right", [][]int{{0}, {2}, {1}}, 1, 33, false, []int{1, 2}},
		{"none right", [][]int{{2}, {2}, {0}}, 0, 0, false, []int{1, 2, 3}},
	} {
		r, err := q.Score(c.answers)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if r.Right != c.right || r.Score != c.score || r.Passed != c.passed || !slices.Equal(r.Wrong, c.wrong) || r.Total != 3 {
			t.Errorf("%s: %+v, want right %d score %d passed %v wrong %v", c.name, r, c.right, c.score, c.passed, c.wrong)
		}
	}
	// The pass mark is inclusive: 2 of 3 is 66%, which passes at 66.
	q.PassMark = 66
	if r, _ := q.Score([][]int{{1}, {0, 1}, {1}}); !r.Passed {
		t.Errorf("66%% at pass mark 66: %+v", r)
	}
	for _, c := range []struct {
		answers [][]int
		field   string
	}{
		{[][]int{{1}, {0}}, "q1"},         // not every question
		{[][]int{{1}, {}, {1}}, "q2"},     // unanswered
		{[][]int{{0, 1}, {0}, {1}}, "q1"}, // two answers to single choice
		{[][]int{{1}, {0}, {7}}, "q3"},    // no such option
		{[][]int{{-1}, {0}, {1}}, "q1"},   // no such option
	} {
		if _, err := q.Score(c.answers); app.ErrorField(err) != c.field {
			t.Errorf("Score(%v): %v, want field %s", c.answers, err, c.field)
		}
	}
}
