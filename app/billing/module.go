package billing

import (
	"context"
	"slices"

	"orengen/app"
)

// Module is a part of the client portal a plan can switch off (feature
// switches): its navigation entry, pages and tenant API go together.
// Nexus is never gated.
type Module struct {
	Key, Label string
}

// Modules lists the switchable portal modules in display order. The CRM,
// leads, forms, automations and the account pages are the portal's core
// and always on.
var Modules = []Module{
	{"agents", "AI agents"},
	{"inbox", "Conversations"},
	{"courses", "Courses & community"},
	{"sites", "Websites & funnels"},
	{"calendar", "Calendar"},
	{"wiki", "Knowledge"},
	{"sheets", "Data & sheets"},
	{"federal", "Federal contracting"},
	{"creators", "Creators"},
	{"brand", "Brand & press kit"},
}

// ValidModule reports whether key names a switchable module.
func ValidModule(key string) bool {
	return slices.ContainsFunc(Modules, func(m Module) bool { return m.Key == key })
}

// ModuleLabel is the user-facing name of a module.
func ModuleLabel(key string) string {
	for _, m := range Modules {
		if m.Key == key {
			return m.Label
		}
	}
	return key
}

// Includes reports whether a tenant on p sees module.
func (p *Plan) Includes(module string) bool { return !slices.Contains(p.ModulesOff, module) }

// IncludedModules lists the module keys p includes, in display order.
func (p *Plan) IncludedModules() []string {
	out := []string{}
	for _, m := range Modules {
		if p.Includes(m.Key) {
			out = append(out, m.Key)
		}
	}
	return out
}

// SetIncludedModules switches off every module not in keys. Returns
// EINVALID naming "modules" for an unknown key.
func (p *Plan) SetIncludedModules(keys []string) error {
	for _, k := range keys {
		if !ValidModule(k) {
			return app.FieldErrorf("modules", "Unknown module %q.", k)
		}
	}
	p.ModulesOff = nil
	for _, m := range Modules {
		if !slices.Contains(keys, m.Key) {
			p.ModulesOff = append(p.ModulesOff, m.Key)
		}
	}
	return nil
}

// ModulesOff returns the modules the tenant's plan switches off (none
// for a tenant on no plan: it sees everything).
func (s *Service) ModulesOff(ctx context.Context, tenantID int64) (map[string]bool, error) {
	sub, err := s.store.FindSubscription(ctx, tenantID)
	if app.ErrorCode(err) == app.ENOTFOUND {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	off := map[string]bool{}
	for _, k := range sub.Plan.ModulesOff {
		off[k] = true
	}
	return off, nil
}
