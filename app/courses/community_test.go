package courses

import (
	"errors"
	"reflect"
	"testing"

	"orengen/app"
)

func TestCheckWords(t *testing.T) {
	words, err := ParseWords("Spam\n, casino ,\nfree money\nspam")
	if err != nil || !reflect.DeepEqual(words, []string{"spam", "casino", "free money"}) {
		t.Fatalf("ParseWords = %q, %v", words, err)
	}
	for _, tc := range []struct {
		text      string
		word      string
		line, col int
	}{
		{"Hello class, no problem", "", 0, 0},      // whole words only
		{"spammer is fine, casinos too", "", 0, 0}, // no prefix match
		{"Win at the CASINO now", "casino", 1, 12}, // case-insensitive
		{"first line\nget Free  money", "", 0, 0},  // phrase needs its one space
		{"first line\nget free money\nspam", "free money", 2, 5},
		{"héllo spam", "spam", 1, 7}, // characters, not bytes
	} {
		err := CheckWords("body", tc.text, words)
		var fe *FilterError
		if tc.word == "" {
			if err != nil {
				t.Errorf("%q: %v", tc.text, err)
			}
			continue
		}
		if !errors.As(err, &fe) || fe.Word != tc.word || fe.Line != tc.line || fe.Col != tc.col {
			t.Errorf("%q: %+v, want %s at %d:%d", tc.text, fe, tc.word, tc.line, tc.col)
			continue
		}
		if app.ErrorCode(err) != app.EINVALID || app.ErrorField(err) != "body" {
			t.Errorf("%q: code %s field %s", tc.text, app.ErrorCode(err), app.ErrorField(err))
		}
		want := "“" + tc.word + "” is not allowed in this community"
		if msg := app.ErrorMessage(err); len(msg) < len(want) || msg[:len(want)] != want {
			t.Errorf("message %q", msg)
		}
	}
	if _, err := ParseWords(string(make([]byte, 0)) + "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); app.ErrorField(err) != "banned_words" {
		t.Errorf("long word: %v", err)
	}
}

func TestMentionsAndHandles(t *testing.T) {
	got := Mentions("Hi @jane.doe and @Bob, mail me at x@bob.test; @jane.doe again. (@zoë)")
	if !reflect.DeepEqual(got, []string{"jane.doe", "bob", "zoë"}) {
		t.Errorf("Mentions = %q", got)
	}
	for m, want := range map[*Member]string{
		{Name: "Jane  Doe"}: "jane.doe", {Name: "Zoë O'Neil"}: "zoë.o.neil", {Email: "bob.smith@x.test"}: "bob.smith",
	} {
		if h := m.Handle(); h != want {
			t.Errorf("Handle(%q) = %q, want %q", m.Name, h, want)
		}
	}
	if n := (&Member{Email: "secret@x.test"}).PublicName(); n != "@secret" {
		t.Errorf("PublicName = %q (never the email)", n)
	}
}

func TestSpace_Validate(t *testing.T) {
	for sp, field := range map[*Space]string{
		{Name: ""}: "name", {Name: "A", Access: "course"}: "course_id", {Name: "A", Access: "tag", Tag: " "}: "tag",
		{Name: "A", Access: "who"}: "access", {Name: "A", Slug: "Bad Slug"}: "slug",
	} {
		if err := sp.Validate(); app.ErrorField(err) != field {
			t.Errorf("%+v: %v, want field %s", sp, err, field)
		}
	}
	sp := &Space{Name: "VIP Lounge", Access: "tag", Tag: "VIP", CourseID: 3}
	if err := sp.Validate(); err != nil || sp.Slug != "vip-lounge" || sp.Tag != "vip" || sp.CourseID != 0 {
		t.Errorf("%+v %v", sp, err)
	}
}
