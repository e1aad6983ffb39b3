package agents

import (
	"context"

	"orengen/app/wiki"
)

// pdfText reads a PDF's text layer with the wiki's extractor (one PDF
// reader in the appliance, bounded in time, panics recovered); "" when
// the file has no readable text.
func pdfText(ctx context.Context, data []byte) string {
	return wiki.ExtractText(ctx, "application/pdf", data)
}
