package ui

import (
	"errors"
	"strconv"
	"strings"

	"orengen/app"
)

func itoa(n int) string { return strconv.Itoa(n) }

func atoiDefault(s string, def int) (int, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return def, err
	}
	return n, nil
}

func asRateLimit(err error, rl **app.RateLimitError) bool { return errors.As(err, rl) }
