package cli

import (
	"orengen/app/brand"
	"orengen/brandpdf"
	"orengen/store"
)

// wireBrand builds the brand & press kit (issue #22): its store, the
// tenant service it writes the theme's colours and logo through, and the
// one-pager renderer.
func (a *App) wireBrand() {
	a.Brand = brand.NewService(store.NewBrandStore(a.DB))
	a.Brand.Tenants, a.Brand.Audit = a.Tenants, a.Audit
	a.Brand.RenderPDF = func(p *brand.Press) ([]byte, error) { return brandpdf.Render(p, false) }
	a.Server.Brand = a.Brand
}
