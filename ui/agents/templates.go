package agents

import "embed"

// Templates are this package's pages (templates/<layout>/<page>.html)
// and partials, parsed with web's layouts at boot (web.NewRenderer).
//
//go:embed templates
var Templates embed.FS
