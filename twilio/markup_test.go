package twilio

import (
	"encoding/xml"
	"strings"
	"testing"

	"orengen/app"
)

// TestMarkup_Script: each script is well-formed TwiML whose verbs carry
// the text back unchanged once parsed (the escaping is XML's), in the
// order Twilio runs them.
func TestMarkup_Script(t *testing.T) {
	text := `Tom & Jerry's "plumbing" <fast>`
	type say struct {
		Text string `xml:",chardata"`
	}
	type doc struct {
		XMLName xml.Name `xml:"Response"`
		Say     []say    `xml:"Say"`
		Gather  *struct {
			Input     string `xml:"input,attr"`
			NumDigits string `xml:"numDigits,attr"`
			Action    string `xml:"action,attr"`
			Method    string `xml:"method,attr"`
			Say       say    `xml:"Say"`
		} `xml:"Gather"`
		Dial string `xml:"Dial"`
	}
	for _, tc := range []struct {
		name string
		vs   app.VoiceScript
		want func(d doc) bool
	}{
		{"empty", app.VoiceScript{}, func(d doc) bool { return len(d.Say) == 0 && d.Gather == nil && d.Dial == "" }},
		{"say", app.VoiceScript{Say: text}, func(d doc) bool { return len(d.Say) == 1 && d.Say[0].Text == text && d.Gather == nil }},
		{"say and dial", app.VoiceScript{Say: text, Dial: "+15125550199"}, func(d doc) bool {
			return len(d.Say) == 1 && d.Say[0].Text == text && d.Dial == "+15125550199"
		}},
		{"gather", app.VoiceScript{Say: "Hi", Gather: true, Prompt: text, Action: "https://app.example.com/twilio/voice?a=1&b=2", Dial: "+1512"}, func(d doc) bool {
			return len(d.Say) == 1 && d.Say[0].Text == "Hi" && d.Gather != nil && d.Gather.Say.Text == text &&
				d.Gather.Action == "https://app.example.com/twilio/voice?a=1&b=2" && d.Gather.Method == "POST" &&
				d.Gather.NumDigits == "1" && d.Gather.Input == "dtmf speech" && d.Dial == ""
		}},
	} {
		out := Markup{}.Script(tc.vs)
		if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?><Response>`) {
			t.Errorf("%s: %s", tc.name, out)
			continue
		}
		var d doc
		if err := xml.Unmarshal([]byte(out), &d); err != nil {
			t.Errorf("%s: not well-formed XML: %v\n%s", tc.name, err, out)
			continue
		}
		if !tc.want(d) {
			t.Errorf("%s: %+v from\n%s", tc.name, d, out)
		}
	}
}
