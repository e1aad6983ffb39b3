package agents

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// priceCache keeps the price table in memory (it changes only in Nexus).
type priceCache struct {
	mu     sync.Mutex
	byKey  map[string]*Price
	loaded time.Time
}

func (p *priceCache) forget() {
	p.mu.Lock()
	p.byKey = nil
	p.mu.Unlock()
}

func (s *Service) price(ctx context.Context, key string) *Price {
	p := &s.prices
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byKey == nil || time.Since(p.loaded) > time.Minute {
		ps, err := s.stores.Prices.Prices(ctx)
		if err != nil {
			s.Logger.Warn("agents: price table", "err", err)
			return nil
		}
		p.byKey = map[string]*Price{}
		for _, x := range ps {
			p.byKey[x.Key] = x
		}
		p.loaded = time.Now()
	}
	return p.byKey[key]
}

// tokenCost prices tokens of model (0 when the table has no line for it).
func (s *Service) tokenCost(ctx context.Context, model string, in, out int) int64 {
	p := s.price(ctx, model)
	if p == nil {
		return 0
	}
	return (int64(in)*p.InPerMTok + int64(out)*p.OutPerMTok + 500_000) / 1_000_000
}

// unitCost prices voice seconds ("voice", per minute, by the started
// second) or SMS segments ("sms").
func (s *Service) unitCost(ctx context.Context, key string, qty int) int64 {
	p := s.price(ctx, key)
	if p == nil {
		return 0
	}
	if key == UsageVoice {
		return (int64(qty)*p.Unit + 59) / 60
	}
	return int64(qty) * p.Unit
}

func (s *Service) tokenUsage(ctx context.Context, tenantID int64, kind, model string, in, out int) Usage {
	return Usage{TenantID: tenantID, Day: s.now().UTC().Format("2006-01-02"), Kind: kind, Model: model, TokensIn: in, TokensOut: out,
		CostMicros: s.tokenCost(ctx, model, in, out)}
}

// budgetCache remembers today's spend per tenant for a few seconds, so the
// check before each model call is not a query.
type budgetCache struct {
	mu sync.Mutex
	m  map[int64]budgetEntry
}

type budgetEntry struct {
	day    string
	spent  int64
	budget int64
	at     time.Time
}

func (b *budgetCache) forget(tenantID int64) {
	b.mu.Lock()
	delete(b.m, tenantID)
	b.mu.Unlock()
}

// add counts cost just spent (until the next refresh reads it back).
func (b *budgetCache) add(tenantID int64, cost int64) {
	b.mu.Lock()
	if e, ok := b.m[tenantID]; ok {
		e.spent += cost
		b.m[tenantID] = e
	}
	b.mu.Unlock()
}

// overBudget reports whether the tenant has spent its daily budget.
func (s *Service) overBudget(ctx context.Context, tenantID int64) bool {
	day := s.now().UTC().Format("2006-01-02")
	b := &s.budgets
	b.mu.Lock()
	if b.m == nil {
		b.m = map[int64]budgetEntry{}
	}
	e, ok := b.m[tenantID]
	b.mu.Unlock()
	if !ok || e.day != day || time.Since(e.at) > 10*time.Second {
		st, err := s.stores.Settings.FindSettings(ctx, tenantID)
		if err != nil {
			s.Logger.Warn("agents: budget settings", "err", err)
			return false
		}
		spent, err := s.stores.Usage.DayCost(ctx, tenantID, day)
		if err != nil {
			s.Logger.Warn("agents: day cost", "err", err)
			return false
		}
		e = budgetEntry{day: day, spent: spent, budget: st.DailyBudgetMicros, at: time.Now()}
		b.mu.Lock()
		b.m[tenantID] = e
		b.mu.Unlock()
	}
	return e.budget > 0 && e.spent >= e.budget
}

// SMSSegments counts the segments a text is billed as: 160 GSM-7
// characters (153 when split), else 70 UCS-2 characters (67 when split).
func SMSSegments(body string) int {
	if body == "" {
		return 0
	}
	gsm := true
	units := 0
	for _, r := range body {
		if !isGSM7(r) {
			gsm = false
			break
		}
		units++
		if isGSM7Ext(r) {
			units++
		}
	}
	if gsm {
		if units <= 160 {
			return 1
		}
		return (units + 152) / 153
	}
	n := 0
	for _, r := range body { // UTF-16 code units
		if r > 0xFFFF {
			n += 2
		} else {
			n++
		}
	}
	if n <= 70 {
		return 1
	}
	return (n + 66) / 67
}

const gsm7Basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
const gsm7Ext = "^{}\\[~]|€\f"

var gsm7Set = func() map[rune]bool {
	m := map[rune]bool{}
	for _, r := range gsm7Basic + gsm7Ext {
		m[r] = true
	}
	return m
}()

func isGSM7(r rune) bool { return gsm7Set[r] }

func isGSM7Ext(r rune) bool {
	for _, x := range gsm7Ext {
		if x == r {
			return true
		}
	}
	return false
}

// FormatMicros shows micro-units as money with four decimals ("$0.0123").
func FormatMicros(m int64) string {
	neg := ""
	if m < 0 {
		neg, m = "-", -m
	}
	return fmt.Sprintf("%s$%d.%04d", neg, m/1_000_000, (m%1_000_000)/100)
}

// ParseMicros reads a money amount like "0.15" or "$2.50" as micro-units.
func ParseMicros(s string) (int64, error) {
	var whole, frac int64
	var fracDigits int
	seenDot := false
	any := false
	for i, r := range s {
		switch {
		case r == '$' && i == 0, r == ' ', r == ',':
		case r == '.' && !seenDot:
			seenDot = true
		case r >= '0' && r <= '9':
			any = true
			if seenDot {
				if fracDigits >= 6 {
					return 0, fmt.Errorf("at most 6 decimals")
				}
				frac = frac*10 + int64(r-'0')
				fracDigits++
			} else {
				whole = whole*10 + int64(r-'0')
				if whole > 1e12 {
					return 0, fmt.Errorf("too large")
				}
			}
		default:
			return 0, fmt.Errorf("not a number")
		}
	}
	if !any {
		return 0, fmt.Errorf("not a number")
	}
	for ; fracDigits < 6; fracDigits++ {
		frac *= 10
	}
	return whole*1_000_000 + frac, nil
}
