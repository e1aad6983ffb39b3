package web

import (
	"bytes"
	"html/template"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// markdown renders notes. goldmark without html.WithUnsafe escapes raw
// HTML and drops javascript:, vbscript: and data: link targets, so a note
// can never inject script or markup (the CSP would block inline script
// anyway; this also keeps forms and styles out).
var markdown = goldmark.New(goldmark.WithExtensions(extension.GFM))

// Markdown returns the safe HTML of a note's markdown; on a render
// error, the escaped text.
func Markdown(src string) template.HTML {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return template.HTML("<p>" + template.HTMLEscapeString(src) + "</p>")
	}
	return template.HTML(buf.String())
}
