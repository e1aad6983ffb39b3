package app

import "fmt"

// FormatBytes formats a byte count for people: "512 B", "1.5 KiB",
// "12.3 MiB", "1.02 GiB"; "unknown" for a negative count.
func FormatBytes(n int64) string {
	switch {
	case n < 0:
		return "unknown"
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// Plural writes a count with its noun: "1 lead", "2 leads", "0 leads";
// many is the plural form ("people" for "person").
func Plural[N int | int64](n N, one, many string) string {
	if n == 1 || n == -1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}
