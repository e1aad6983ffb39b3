package twilio_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"orengen/twilio"
	"orengen/twilio/twiliotest"
)

// TestClient_Ping: the connection test reads the account's messages with
// the right token and sends nothing; a wrong token is Twilio's 401,
// without the token in the error.
func TestClient_Ping(t *testing.T) {
	const sid, token = "AC0123456789abcdef0123456789abcdef", "tok0123456789abcdef0123456789abcd"
	srv := twiliotest.Start(sid, token)
	defer srv.Close()
	c, err := twilio.New(twilio.Config{AccountSID: sid, AuthToken: token, From: "+15125550100", APIURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); err != nil {
		t.Fatalf("ping: %v", err)
	}
	if n := len(srv.Messages()) + len(srv.Calls()); n != 0 {
		t.Fatalf("a ping sent %d messages or calls", n)
	}
	const wrong = "wrong0123456789abcdef0123456789ab"
	bad, _ := twilio.New(twilio.Config{AccountSID: sid, AuthToken: wrong, From: "+15125550100", APIURL: srv.URL})
	err = bad.Ping(context.Background())
	var te *twilio.Error
	if !errors.As(err, &te) || te.Status != 401 || strings.Contains(err.Error(), wrong) {
		t.Fatalf("wrong token: %v", err)
	}
}
