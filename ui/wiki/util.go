package wiki

import (
	"strconv"
	"strings"
)

// joinMax joins at most n items, saying how many more there are.
func joinMax(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:n], "; ") + "; and " + strconv.Itoa(len(items)-n) + " more"
}
