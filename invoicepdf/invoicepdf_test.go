package invoicepdf_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/ledongthuc/pdf"

	"orengen/app/billing"
	"orengen/invoicepdf"
)

// pdfText extracts the text of every page with a PDF reader that shares
// no code with the writer.
func pdfText(t *testing.T, data []byte) string {
	t.Helper()
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		s, err := p.GetPlainText(nil)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(s)
	}
	return b.String()
}

// The invoice PDF reads back with the agency's brand, the client, the
// number, every line and the totals; a credit note says so.
func TestRender_Readable(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	inv := &billing.Invoice{Number: "INV-000042", Kind: billing.KindInvoice, Currency: "USD", PeriodStart: at.AddDate(0, -1, 0), PeriodEnd: at,
		PlanName: "Pro", SubtotalMicros: 78_670_000, TaxRateBP: 825, TaxMicros: 6_490_000, TotalMicros: 85_160_000, Status: billing.InvoiceOpen, IssuedAt: at,
		Lines: []*billing.InvoiceLine{{Description: "Pro, Nov 1, 2026 – Nov 30, 2026", Quantity: 1, AmountMicros: 62_000_000},
			{Description: "SMS segments: 150 used, 100 included", Quantity: 50, AmountMicros: 1_000_000}}}
	for _, compressed := range []bool{false, true} {
		data, err := invoicepdf.Render(inv, billing.Brand{Name: "Orion Agency", Color: "#1d4ed8", SupportEmail: "billing@orion.test"}, "Alpha Plumbing", !compressed)
		if err != nil {
			t.Fatal(err)
		}
		text := pdfText(t, data)
		for _, want := range []string{"Orion Agency", "billing@orion.test", "Invoice INV-000042", "Alpha Plumbing", "SMS segments: 150 used, 100 included", "$62.00", "$1.00",
			"Subtotal", "$78.67", "Tax (8.25%)", "$6.49", "Total USD", "$85.16"} {
			if !strings.Contains(text, want) {
				t.Errorf("compressed=%v: PDF text lacks %q:\n%s", compressed, want, text)
			}
		}
	}
	inv.Kind, inv.Number = billing.KindCreditNote, "INV-000043"
	data, _ := invoicepdf.Render(inv, billing.Brand{Name: "Orion Agency"}, "Alpha Plumbing", false)
	if text := pdfText(t, data); !strings.Contains(text, "Credit note INV-000043") {
		t.Errorf("credit note: %s", text)
	}
}
