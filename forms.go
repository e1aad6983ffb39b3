package main

import (
	"orengen/app"
	"orengen/store"
)

// wireForms gives the server the form generator: the editor in the
// portal and Nexus, and hosted forms at /f/:id, whose submissions go
// through auto's capture transaction. Notifications go through the
// app-wide mailer after the commit.
func (m *Main) wireForms(sv *Services, auto *app.AutomationService) {
	m.Server.Forms = &app.FormService{Store: store.NewFormStore(m.DB), Automations: auto, Mailer: sv.Mailer,
		Tenants: sv.Tenants.Store, Audit: sv.Audit, Logger: m.Logger}
}
