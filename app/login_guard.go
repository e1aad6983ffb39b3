package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Sign-in throttling, after OWASP's Authentication and Credential Stuffing
// cheat sheets: failed sign-ins slow an account down instead of locking it,
// and nothing an attacker can do refuses the owner's correct password from
// a browser that signed in before (a device token, OWASP's "device
// cookie"), or a correct password sent with a correct second factor.
const (
	// LoginFreeFailures is how many failed sign-ins an account takes from
	// unknown browsers before each further attempt has to wait.
	LoginFreeFailures = 5
	// LoginMaxDelay is the longest wait between attempts on a slowed
	// account: 1 s after the 5th failure, doubling up to this.
	LoginMaxDelay = 5 * time.Minute
	// LoginFailureWindow is how long failures of an account are counted.
	LoginFailureWindow = time.Hour
	// LoginDeviceFailures is how many failures a trusted browser may make
	// in a window before it is treated as unknown (a stolen device token
	// is not a way around the slow-down).
	LoginDeviceFailures = 10
	// LoginSecondFactorTries is how many password-plus-code attempts a
	// slowed account accepts in a window (the code is 6 digits).
	LoginSecondFactorTries = 5
	// LoginDeviceTTL is how long a browser stays trusted after a sign-in.
	LoginDeviceTTL = 180 * 24 * time.Hour
)

// LoginGuard throttles sign-ins to one kind of account (Scope "admin" for
// Nexus, "portal" for client users). Counters live in the RateLimiter:
//   - per account: failures in LoginFailureWindow; from the
//     LoginFreeFailures-th on, a wait of 1 s, 2 s, 4 s ... LoginMaxDelay
//     after each failure before the next attempt from an unknown browser;
//   - per IP: LoginLimitPerIP failures in LoginWindow, then unknown
//     browsers from it wait for the window's end;
//   - per trusted browser: LoginDeviceFailures in LoginFailureWindow.
//
// A browser holding a device token for the account (signed with Key, made
// by Succeeded) skips the account and IP counters. So does a correct
// password sent with a correct second factor (at most
// LoginSecondFactorTries a window).
type LoginGuard struct {
	Limiter RateLimiter
	Key     []byte // signs device tokens; empty: no browser is trusted
	Scope   string
	Now     func() time.Time
	// BaseDelay is the first wait of a slowed account (0: 1 s); each
	// further failure doubles it, up to LoginMaxDelay.
	BaseDelay time.Duration
}

// Delay is the wait after the account's n-th failure in the window (0
// before LoginFreeFailures).
func (g *LoginGuard) Delay(n int) time.Duration {
	if n < LoginFreeFailures {
		return 0
	}
	base := g.BaseDelay
	if base <= 0 {
		base = time.Second
	}
	return min(base<<min(n-LoginFreeFailures, 20), LoginMaxDelay)
}

// LoginAttempt is one sign-in: the normalised email, the client's IP and
// the device token its browser sent ("" for none).
type LoginAttempt struct {
	Email  string
	IP     string
	Device string
}

// LoginGate is Check's answer: Trusted when the browser's device token is
// good for the account; Slowed (a *RateLimitError) when an unknown browser
// must wait. A slowed attempt may still sign in with a correct password
// and second factor (Check it with SecondFactorTry first).
type LoginGate struct {
	Trusted bool
	Slowed  *RateLimitError
}

func (g *LoginGuard) now() time.Time {
	if g.Now != nil {
		return g.Now()
	}
	return time.Now()
}

func (g *LoginGuard) key(kind, v string) string { return "login:" + g.Scope + ":" + kind + ":" + v }

// Check says whether the attempt may be checked now.
func (g *LoginGuard) Check(ctx context.Context, a LoginAttempt) (LoginGate, error) {
	if nonce, ok := g.device(a); ok {
		n, _, err := g.Limiter.Count(ctx, g.key("dev", nonce))
		if err != nil {
			return LoginGate{}, fmt.Errorf("login throttle: %w", err)
		}
		if n < LoginDeviceFailures {
			return LoginGate{Trusted: true}, nil
		}
	}
	var wait time.Time
	for _, k := range []struct {
		key string
		max int
	}{{g.key("ip", a.IP), LoginLimitPerIP}, {g.key("slow", a.Email), 1}} {
		n, reset, err := g.Limiter.Count(ctx, k.key)
		if err != nil {
			return LoginGate{}, fmt.Errorf("login throttle: %w", err)
		}
		if n >= k.max && reset.After(wait) {
			wait = reset
		}
	}
	if wait.IsZero() {
		return LoginGate{}, nil
	}
	d := max(wait.Sub(g.now()).Round(time.Second), time.Second)
	return LoginGate{Slowed: &RateLimitError{RetryAfter: d, Err: Errorf(ETOOMANY,
		"Too many failed sign-ins. Try again in %s, sign in from a browser you have used before, or enter your password together with your two-factor code.", humanDuration(d))}}, nil
}

// SecondFactorTry counts a password-plus-code attempt on a slowed account;
// a *RateLimitError when the window's tries are spent.
func (g *LoginGuard) SecondFactorTry(ctx context.Context, a LoginAttempt) error {
	n, reset, err := g.Limiter.Hit(ctx, g.key("2fa", a.Email), LoginFailureWindow)
	if err != nil {
		return fmt.Errorf("login throttle: %w", err)
	}
	if n > LoginSecondFactorTries {
		d := max(reset.Sub(g.now()).Round(time.Second), time.Second)
		return &RateLimitError{RetryAfter: d, Err: Errorf(ETOOMANY, "Too many failed sign-ins. Try again in %s, or from a browser you have used before.", humanDuration(d))}
	}
	return nil
}

// Failed counts a failed attempt. firstSlowed is true for the failure that
// starts slowing the account down (once a window): the caller tells the
// account's owner and writes it in the audit log.
func (g *LoginGuard) Failed(ctx context.Context, a LoginAttempt, gate LoginGate) (firstSlowed bool, err error) {
	if gate.Trusted {
		nonce, _ := g.device(a)
		_, _, err := g.Limiter.Hit(ctx, g.key("dev", nonce), LoginFailureWindow)
		return false, err
	}
	if _, _, err := g.Limiter.Hit(ctx, g.key("ip", a.IP), LoginWindow); err != nil {
		return false, fmt.Errorf("login throttle: %w", err)
	}
	if a.Email == "" {
		return false, nil
	}
	n, _, err := g.Limiter.Hit(ctx, g.key("acct", a.Email), LoginFailureWindow)
	if err != nil {
		return false, fmt.Errorf("login throttle: %w", err)
	}
	if n < LoginFreeFailures {
		return false, nil
	}
	delay := g.Delay(n)
	if err := g.Limiter.Reset(ctx, g.key("slow", a.Email)); err != nil {
		return false, err
	}
	if _, _, err := g.Limiter.Hit(ctx, g.key("slow", a.Email), delay); err != nil {
		return false, fmt.Errorf("login throttle: %w", err)
	}
	return n == LoginFreeFailures, nil
}

// Succeeded records a successful sign-in and returns a new device token
// for the browser (empty without a Key). From an unknown browser it clears
// the account's failures and slow-down; from a trusted one only that
// browser's failures: the owner signing in at home must not give whoever
// is guessing elsewhere a fresh set of free attempts.
func (g *LoginGuard) Succeeded(ctx context.Context, a LoginAttempt, gate LoginGate) (string, error) {
	if gate.Trusted {
		nonce, _ := g.device(a)
		if err := g.Limiter.Reset(ctx, g.key("dev", nonce)); err != nil {
			return "", err
		}
	} else if err := g.Reset(ctx, a.Email); err != nil {
		return "", err
	}
	return g.NewDeviceToken(a.Email), nil
}

// Reset forgets an account's failures, slow-down and second-factor tries:
// a successful sign-in or a password reset.
func (g *LoginGuard) Reset(ctx context.Context, email string) error {
	for _, k := range []string{"acct", "slow", "2fa"} {
		if err := g.Limiter.Reset(ctx, g.key(k, email)); err != nil {
			return fmt.Errorf("login throttle: %w", err)
		}
	}
	return nil
}

// NewDeviceToken returns a token that makes this browser trusted for the
// account for LoginDeviceTTL: "d1.NONCE.EXPIRY.MAC", the MAC binding
// scope, email, nonce and expiry (the email itself is not in the token).
func (g *LoginGuard) NewDeviceToken(email string) string {
	if len(g.Key) == 0 {
		return ""
	}
	payload := "d1." + RandomToken(16) + "." + strconv.FormatInt(g.now().Add(LoginDeviceTTL).Unix(), 10)
	return payload + "." + g.deviceMAC(email, payload)
}

func (g *LoginGuard) deviceMAC(email, payload string) string {
	m := hmac.New(sha256.New, g.Key)
	m.Write([]byte("device|" + g.Scope + "|" + email + "|" + payload))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// device returns the nonce of a's device token when it is good for a's
// account and not expired.
func (g *LoginGuard) device(a LoginAttempt) (string, bool) {
	if len(g.Key) == 0 || a.Device == "" || a.Email == "" || len(a.Device) > 200 {
		return "", false
	}
	i := strings.LastIndexByte(a.Device, '.')
	if i < 0 || !hmac.Equal([]byte(a.Device[i+1:]), []byte(g.deviceMAC(a.Email, a.Device[:i]))) {
		return "", false
	}
	parts := strings.Split(a.Device[:i], ".")
	if len(parts) != 3 || parts[0] != "d1" {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || g.now().Unix() > exp {
		return "", false
	}
	return parts[1], true
}
