package app_test

import (
	"context"
	"errors"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orengen/app"
	"orengen/store"

	"github.com/pquerna/otp/totp"
)

// openStores opens orengen.db and redka.db in a temporary directory.
func openStores(t *testing.T) (*store.DB, *store.KV) {
	t.Helper()
	dir := t.TempDir()
	db := store.NewDB(filepath.Join(dir, "orengen.db"))
	if err := db.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	kv := store.NewKV(filepath.Join(dir, "redka.db"))
	if err := kv.Open(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kv.Close(); db.Close() })
	return db, kv
}

func newAuth(t *testing.T) *app.AuthService {
	t.Helper()
	db, kv := openStores(t)
	return &app.AuthService{Admins: store.NewAdminStore(db), Sessions: store.NewSessionStore(kv), Limiter: store.NewRateLimiter(kv)}
}

func TestAuthService_SetupAndLogin(t *testing.T) {
	s := newAuth(t)
	ctx := app.NewContextWithRequest(context.Background(), app.RequestInfo{IP: "10.0.0.1"})
	tok, err := s.SetupToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedeemToken(ctx, tok, "boss@example.com", "Boss", "short"); app.ErrorField(err) != "password" {
		t.Fatalf("short password: %v", err)
	}
	a, err := s.RedeemToken(ctx, tok, "boss@example.com", "Boss", "a long enough password")
	if err != nil {
		t.Fatal(err)
	}
	if a.Role != app.RoleOwner {
		t.Fatalf("first admin role %q", a.Role)
	}
	if _, err := s.SetupToken(ctx); app.ErrorCode(err) != app.ECONFLICT {
		t.Fatalf("setup token after an admin exists: %v", err)
	}
	sess, got, err := s.Login(ctx, "Boss@Example.com", "a long enough password")
	if err != nil || got.ID != a.ID || sess.ID == "" {
		t.Fatalf("login = %v, %v", got, err)
	}
	if _, who, err := s.Authenticate(ctx, sess.ID); err != nil || who.ID != a.ID {
		t.Fatalf("authenticate = %v, %v", who, err)
	}
	// Wrong password and unknown account get the same message.
	_, _, e1 := s.Login(ctx, "boss@example.com", "wrong password!")
	_, _, e2 := s.Login(ctx, "nobody@example.com", "wrong password!")
	if app.ErrorCode(e1) != app.EUNAUTHORIZED || app.ErrorMessage(e1) != app.ErrorMessage(e2) {
		t.Fatalf("messages differ: %v / %v", e1, e2)
	}
	if err := s.Logout(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Authenticate(ctx, sess.ID); app.ErrorCode(err) != app.EUNAUTHORIZED {
		t.Fatalf("after logout: %v", err)
	}
}

// guardEnv is an AuthService with the production pieces that sign-in
// throttling touches: the redka limiter, a device-token key, admin TOTP
// through the vault, the audit log and a mailer that keeps what it sends.
type guardEnv struct {
	Auth  *app.AuthService
	TOTP  *app.AdminTOTPService
	Audit *app.AuditService
	Mail  *keptMail
}

type keptMail struct {
	mu   sync.Mutex
	msgs []*app.Message
}

// Ping implements app.Pinger: a test fake has no connection to test.
func (*keptMail) Ping(context.Context) error {
	return errors.New("a test's mailer has no connection to test")
}

func (m *keptMail) Send(_ context.Context, msg *app.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.msgs = append(m.msgs, msg)
	return nil
}

func (m *keptMail) sent() []*app.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]*app.Message(nil), m.msgs...)
}

func newGuardEnv(t *testing.T) *guardEnv {
	t.Helper()
	db, kv := openStores(t)
	ciph, err := app.NewCipher([]byte(strings.Repeat("m", 32)))
	if err != nil {
		t.Fatal(err)
	}
	limiter := store.NewRateLimiter(kv)
	audit := app.NewAuditService(store.NewAuditStore(db))
	vault := app.NewVaultService(store.NewVaultStore(db), ciph)
	vault.Audit = audit
	e := &guardEnv{Audit: audit, Mail: &keptMail{}}
	e.TOTP = app.NewAdminTOTPService(store.NewAdminTOTPStore(db))
	e.TOTP.Secrets, e.TOTP.Limiter, e.TOTP.Audit = vault, limiter, audit
	e.Auth = &app.AuthService{Admins: store.NewAdminStore(db), Sessions: store.NewSessionStore(kv), Limiter: limiter,
		// A long first wait: the tests see a slowed account as slowed
		// however loaded the machine (TestLoginGuard_Delay times the
		// doubling).
		Guard: &app.LoginGuard{Limiter: limiter, Scope: "admin", Key: []byte(strings.Repeat("d", 32)), BaseDelay: time.Minute},
		TOTP:  e.TOTP, Mailer: e.Mail, Audit: audit}
	return e
}

func (e *guardEnv) admin(t *testing.T, ctx context.Context, email string) {
	t.Helper()
	tok, err := e.Auth.InviteAdmin(ctx, &app.Admin{Email: email, Role: app.RoleOwner})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.RedeemToken(ctx, tok, email, "", "a long enough password"); err != nil {
		t.Fatal(err)
	}
}

func ipCtx(ip string) context.Context {
	return app.NewContextWithRequest(context.Background(), app.RequestInfo{IP: ip})
}

// TestAuthService_LoginRateLimit: failed sign-ins slow an account down
// instead of locking it, per OWASP. The attempt before the limit still
// passes; after it an unknown browser waits 1 s, 2 s, 4 s ... while the
// owner's browser (device token) and the right password with the right
// two-factor code still get in; the owner is emailed once and the audit
// log says so; a password reset ends the slow-down.
func TestAuthService_LoginRateLimit(t *testing.T) {
	e := newGuardEnv(t)
	ctx := ipCtx("10.0.0.2")
	const pw = "a long enough password"
	tok, err := e.Auth.SetupToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.RedeemToken(ctx, tok, "boss@example.com", "", pw); err != nil {
		t.Fatal(err)
	}
	// The owner signs in once from their browser: it becomes trusted.
	owner, err := e.Auth.SignIn(ipCtx("10.0.0.7"), app.Credentials{Email: "boss@example.com", Password: pw})
	if err != nil || owner.Device == "" {
		t.Fatalf("first sign-in: %+v %v", owner, err)
	}

	// LoginFreeFailures-1 failures, then the right password: it passes
	// (the attempt just before the limit is not refused).
	for i := 0; i < app.LoginFreeFailures-1; i++ {
		if _, _, err := e.Auth.Login(ctx, "boss@example.com", "bad"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if _, _, err := e.Auth.Login(ctx, "boss@example.com", pw); err != nil {
		t.Fatalf("the right password after %d failures: %v", app.LoginFreeFailures-1, err)
	}
	// That success cleared the count: LoginFreeFailures more failures are
	// all checked (EUNAUTHORIZED); the last one starts the slow-down.
	for i := 0; i < app.LoginFreeFailures; i++ {
		if _, _, err := e.Auth.Login(ctx, "boss@example.com", "bad"); app.ErrorCode(err) != app.EUNAUTHORIZED {
			t.Fatalf("failure %d: %v", i, err)
		}
	}
	// An unknown browser now waits, even with the right password.
	_, _, err = e.Auth.Login(ctx, "boss@example.com", pw)
	var rl *app.RateLimitError
	if !errors.As(err, &rl) || app.ErrorCode(err) != app.ETOOMANY || rl.RetryAfter < 50*time.Second || rl.RetryAfter > time.Minute {
		t.Fatalf("slowed: %v, want a wait of about the first delay (a minute here)", err)
	}
	// The owner's browser is not slowed down by others' failures.
	if in, err := e.Auth.SignIn(ipCtx("10.0.0.7"), app.Credentials{Email: "boss@example.com", Password: pw, Device: owner.Device}); err != nil || in.Session == nil {
		t.Fatalf("trusted browser while slowed: %v", err)
	}
	// A device token of another account is no way in.
	if _, err := e.Auth.SignIn(ctx, app.Credentials{Email: "boss@example.com", Password: pw, Device: e.Auth.Guard.NewDeviceToken("other@example.com")}); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("another account's device token: %v", err)
	}
	// The owner was told once, and the audit log has it.
	if m := e.Mail.sent(); len(m) != 1 || m[0].To != "boss@example.com" || !strings.Contains(m[0].Text, "10.0.0.2") {
		t.Fatalf("alert emails: %+v", m)
	}
	if entries, _, _ := e.Audit.Find(app.NewContextWithAdmin(context.Background(), &app.Admin{ID: 1}), app.AuditFilter{Action: "login.slowed", Limit: 10}); len(entries) != 1 {
		t.Fatalf("audit: %d login.slowed entries, want 1", len(entries))
	}

	if len(e.Mail.sent()) != 1 {
		t.Fatal("the owner was emailed again")
	}

	// A password reset ends the slow-down.
	rt, err := e.Auth.ResetToken(ctx, "boss@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Auth.RedeemToken(ctx, rt, "", "", "another long password"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Auth.Login(ctx, "boss@example.com", "another long password"); err != nil {
		t.Fatalf("after a reset: %v", err)
	}
	// So does the CLI's reset-password --password-stdin.
	for i := 0; i < app.LoginFreeFailures; i++ {
		e.Auth.Login(ctx, "boss@example.com", "bad")
	}
	if _, err := e.Auth.SetPassword(ctx, "boss@example.com", pw); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Auth.Login(ctx, "boss@example.com", pw); err != nil {
		t.Fatalf("after SetPassword: %v", err)
	}
}

// TestAuthService_LoginSecondFactorWhileSlowed: while sign-ins are slowed
// down, the right password with the right two-factor code signs in at
// once; any other combination gets the same answer as a wrong password
// (the slowed attempts tell nothing about the password); per-IP limits
// (an office behind one address) do not refuse them either.
func TestAuthService_LoginSecondFactorWhileSlowed(t *testing.T) {
	e := newGuardEnv(t)
	ctx := ipCtx("10.0.1.1")
	const pw = "a long enough password"
	e.admin(t, ctx, "mfa@example.com")
	e.admin(t, ctx, "plain@example.com")
	a, err := e.Auth.Admins.FindAdminByEmail(ctx, "mfa@example.com")
	if err != nil {
		t.Fatal(err)
	}
	setup, err := e.TOTP.New(app.NewContextWithAdmin(ctx, a))
	if err != nil {
		t.Fatal(err)
	}
	enabledAt := time.Now()
	code, _ := totp.GenerateCode(setup.Secret, enabledAt)
	if err := e.TOTP.Enable(app.NewContextWithAdmin(ctx, a), setup.Secret, code); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"mfa@example.com", "plain@example.com"} {
		for i := 0; i < app.LoginFreeFailures; i++ {
			e.Auth.Login(ctx, email, "bad")
		}
	}
	slowedMsg := func(err error) string {
		var rl *app.RateLimitError
		if !errors.As(err, &rl) {
			t.Fatalf("want a slow-down, got %v", err)
		}
		return strings.Split(app.ErrorMessage(err), ". ")[0]
	}
	// Without a code: wait. With a wrong code, a wrong password, or an
	// account without two-factor: the same answer.
	want := slowedMsg(func() error { _, _, err := e.Auth.Login(ctx, "mfa@example.com", pw); return err }())
	later, _ := totp.GenerateCode(setup.Secret, time.Now().Add(5*time.Minute))
	for _, c := range []app.Credentials{
		{Email: "mfa@example.com", Password: pw, Code: later},
		{Email: "mfa@example.com", Password: "bad", Code: code},
		{Email: "plain@example.com", Password: pw, Code: "123456"},
	} {
		_, err := e.Auth.SignIn(ctx, c)
		if got := slowedMsg(err); got != want {
			t.Fatalf("%s/%s: %q, want %q", c.Email, c.Password, got, want)
		}
	}
	// Right password and right code: in, with no code step after.
	nowAt := time.Now().Add(30 * time.Second)
	now, _ := totp.GenerateCode(setup.Secret, nowAt)
	in, err := e.Auth.SignIn(ctx, app.Credentials{Email: "mfa@example.com", Password: pw, Code: now})
	if err != nil || !in.SecondFactorDone || in.Session == nil {
		t.Fatalf("password and code while slowed: %+v %v", in, err)
	}

	// 20 failures from one IP (other accounts) slow that IP down for
	// unknown browsers, not for the right password with its code. The
	// sign-in before the IP's limit still passes (an account nobody has
	// failed on: the slowed ones above would be refused anyway).
	e.admin(t, ctx, "office@example.com")
	office := ipCtx("10.0.2.2")
	for i := 0; i < app.LoginLimitPerIP-1; i++ {
		e.Auth.Login(office, "user"+strconv.Itoa(i)+"@example.com", "x")
	}
	if _, _, err := e.Auth.Login(office, "office@example.com", pw); err != nil {
		t.Fatalf("the sign-in before the IP's limit (%d failures): %v", app.LoginLimitPerIP-1, err)
	}
	e.Auth.Login(office, "last@example.com", "x")
	if _, _, err := e.Auth.Login(office, "office@example.com", pw); app.ErrorCode(err) != app.ETOOMANY {
		t.Fatalf("IP at its limit (%d failures): %v", app.LoginLimitPerIP, err)
	}
	e.Auth.Guard.Reset(ctx, "mfa@example.com")
	// A code of a time step not used yet (a used one is refused as a
	// replay): the test is slow under -race, so the step 30 s back may be
	// the one used to enable two-factor or to sign in above. Of the three
	// steps accepted (one either side) at most two are used.
	var again string
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		if at := time.Now().Add(d); at.Unix()/30 != nowAt.Unix()/30 && at.Unix()/30 != enabledAt.Unix()/30 {
			again, _ = totp.GenerateCode(setup.Secret, at)
			break
		}
	}
	if _, err := e.Auth.SignIn(office, app.Credentials{Email: "mfa@example.com", Password: pw, Code: again}); err != nil {
		t.Fatalf("password and code from the slowed IP: %v", err)
	}
	// The password-with-code way is limited too (6 digits).
	for i := 0; i < app.LoginSecondFactorTries; i++ {
		e.Auth.SignIn(office, app.Credentials{Email: "plain@example.com", Password: "bad", Code: "000000"})
	}
	if _, err := e.Auth.SignIn(office, app.Credentials{Email: "plain@example.com", Password: "bad", Code: "000000"}); !strings.Contains(app.ErrorMessage(err), "from a browser you have used before") {
		t.Fatalf("second-factor tries spent: %v", err)
	}
}

// TestLoginGuard_Delay: the wait doubles with each failure past the free
// ones, up to LoginMaxDelay, and a slowed account takes an attempt again
// once its wait is over, whose failure doubles the wait.
func TestLoginGuard_Delay(t *testing.T) {
	g := &app.LoginGuard{}
	for n, want := range map[int]time.Duration{0: 0, app.LoginFreeFailures - 1: 0, app.LoginFreeFailures: time.Second,
		app.LoginFreeFailures + 1: 2 * time.Second, app.LoginFreeFailures + 3: 8 * time.Second, app.LoginFreeFailures + 20: app.LoginMaxDelay} {
		if got := g.Delay(n); got != want {
			t.Errorf("Delay(%d) = %s, want %s", n, got, want)
		}
	}
	e := newGuardEnv(t)
	g = &app.LoginGuard{Limiter: e.Auth.Limiter, Scope: "timing", BaseDelay: 2 * time.Second}
	ctx := context.Background()
	at := app.LoginAttempt{Email: "a@example.com", IP: "10.9.9.9"}
	for i := 0; i < app.LoginFreeFailures; i++ {
		if _, err := g.Failed(ctx, at, app.LoginGate{}); err != nil {
			t.Fatal(err)
		}
	}
	gate, err := g.Check(ctx, at)
	if err != nil || gate.Slowed == nil || gate.Slowed.RetryAfter > 2*time.Second {
		t.Fatalf("after %d failures: %+v %v", app.LoginFreeFailures, gate, err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for gate.Slowed != nil && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
		gate, _ = g.Check(ctx, at)
	}
	if gate.Slowed != nil {
		t.Fatal("still slowed after the wait")
	}
	if _, err := g.Failed(ctx, at, gate); err != nil {
		t.Fatal(err)
	}
	// The next failure doubled the wait to 4 s (more than the first 2 s
	// however slow this machine is between these two calls).
	if gate, _ = g.Check(ctx, at); gate.Slowed == nil || gate.Slowed.RetryAfter <= 2*time.Second {
		t.Fatalf("after one more failure: %+v", gate)
	}
}
