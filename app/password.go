package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"runtime"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: OWASP's second recommended set (19 MiB, 2 passes,
// 1 lane). Hashes record their own parameters, so these can change later.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

// MinPasswordLength is the shortest password accepted.
const MinPasswordLength = 10

// hashSlots caps concurrent hashing so a burst of logins cannot take
// 19 MiB per request without bound: at most one hash per core at a time.
var hashSlots = make(chan struct{}, max(runtime.NumCPU(), 1))

func acquireHashSlot(ctx context.Context) error {
	select {
	case hashSlots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return Errorf(ETOOMANY, "The server is busy. Try again in a moment.")
	}
}

func releaseHashSlot() { <-hashSlots }

// HashPassword returns an argon2id hash in PHC string format.
func HashPassword(ctx context.Context, password string) (string, error) {
	if err := ValidatePassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, argonSaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	if err := acquireHashSlot(ctx); err != nil {
		return "", err
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	releaseHashSlot()
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// ValidatePassword checks a new password's length.
func ValidatePassword(password string) error {
	if len([]rune(password)) < MinPasswordLength {
		return FieldErrorf("password", "Password must be at least %d characters.", MinPasswordLength)
	}
	if len(password) > 1024 {
		return FieldErrorf("password", "Password must be at most 1024 bytes.")
	}
	return nil
}

// VerifyPassword reports whether password matches a PHC argon2id hash.
// A malformed hash never matches.
func VerifyPassword(ctx context.Context, hash, password string) (bool, error) {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, nil
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, nil
	}
	var mem uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &mem, &t, &p); err != nil || mem == 0 || mem > 256*1024 || t == 0 || t > 10 || p == 0 {
		return false, nil
	}
	enc := base64.RawStdEncoding
	salt, err := enc.DecodeString(parts[4])
	if err != nil {
		return false, nil
	}
	want, err := enc.DecodeString(parts[5])
	if err != nil || len(want) == 0 || len(want) > 64 {
		return false, nil
	}
	if err := acquireHashSlot(ctx); err != nil {
		return false, err
	}
	got := argon2.IDKey([]byte(password), salt, t, mem, p, uint32(len(want)))
	releaseHashSlot()
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// dummyHash is verified against when an account does not exist, so a login
// for an unknown email costs the same time as one for a known email.
var dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0bMnQ6p0xhT2fGQ5mM5R3o7VvVq2h0Xo8KQ0b9c3c8Q"

// RandomToken returns n random bytes encoded base64url without padding.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Errorf("crypto/rand: %w", err)) // the kernel's CSPRNG does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
