package app

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// NewPendingLoginToken returns the token of a Nexus sign-in whose password
// was right while its two-factor code is still due:
// "adminID.expiry.nonce.mac", signed with key, valid for PendingLoginTTL
// from now. The nonce lets the caller make it usable once.
func NewPendingLoginToken(key []byte, adminID int64, now time.Time) string {
	payload := strconv.FormatInt(adminID, 10) + "." + strconv.FormatInt(now.Add(PendingLoginTTL).Unix(), 10) + "." + RandomToken(16)
	return payload + "." + pendingLoginMAC(key, payload)
}

// ParsePendingLoginToken returns the admin ID and nonce of a token made by
// NewPendingLoginToken with key that has not expired at now; ok is false
// for anything else (the cookie comes from the browser: any bytes).
func ParsePendingLoginToken(key []byte, tok string, now time.Time) (adminID int64, nonce string, ok bool) {
	i := strings.LastIndexByte(tok, '.')
	if i < 0 || len(key) == 0 || !hmac.Equal([]byte(tok[i+1:]), []byte(pendingLoginMAC(key, tok[:i]))) {
		return 0, "", false
	}
	parts := strings.Split(tok[:i], ".")
	if len(parts) != 3 {
		return 0, "", false
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	exp, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 || now.Unix() > exp {
		return 0, "", false
	}
	return id, parts[2], true
}

func pendingLoginMAC(key []byte, payload string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mfa|" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}
