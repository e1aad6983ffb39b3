package integrations

import (
	"strings"
	"testing"
)

func TestParseSMTPURL(t *testing.T) {
	c, err := ParseSMTPURL("smtps://bot%40ex.com:s3cr%3At@mail.example.com?from=hello@example.com")
	if err != nil || c.Port != 465 || !c.SSL || c.Username != "bot@ex.com" || c.Password != "s3cr:t" || c.From != "hello@example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	if c, err = ParseSMTPURL("smtp://mail.example.com:2525"); err != nil || c.Port != 2525 || c.SSL || c.From != "no-reply@mail.example.com" {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range []string{"http://u:topsecret@h", "smtp://u:topsecret@:25", "smtp://u:topsecret@h:99999", "smtp://u:topsecret@h?from=nope", "smtp://u:topsecret@h:25\x7f"} {
		_, err := ParseSMTPURL(bad)
		if err == nil {
			t.Errorf("%q: accepted", bad)
		} else if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("%q: error shows the password: %v", bad, err)
		}
	}
}
