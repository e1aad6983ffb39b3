package federal

import (
	"strings"
	"testing"
	"time"
)

func TestDueAlerts(t *testing.T) {
	now := time.Date(2026, 11, 24, 23, 0, 0, 0, time.UTC)
	day := func(n int) time.Time { return time.Date(2026, 11, 24+n, 9, 0, 0, 0, time.UTC) }
	prof := &Profile{SAMExpires: day(90), Certifications: []Certification{{Name: "HUBZone", Expires: day(7)}, {Name: "Old", Expires: day(-1)}, {Name: "Far", Expires: day(91)}}}
	pipe := []*PipelineEntry{{NoticeID: "a", Title: "Open", Stage: StageCapture, ResponseDeadline: day(30)},
		{NoticeID: "b", Title: "Sent", Stage: StageSubmitted, ResponseDeadline: day(3)}}
	grants := []*GrantPipelineEntry{{GrantID: "g1", Stage: GrantEligibility, CloseDate: day(31)}, {GrantID: "g2", Stage: GrantDeclined, CloseDate: day(2)}}
	as := DueAlerts(1, now, prof, pipe, grants)
	var got []string
	for _, a := range as {
		got = append(got, a.Key)
	}
	want := []string{"expiry:sam:2027-02-22:90", "expiry:cert:HUBZone:2026-12-01:7", "deadline:notice:a:2026-12-24:30", "deadline:grant:g1:2026-12-25:90"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("keys\n got %v\nwant %v", got, want)
	}
	if as[1].Link != "/federal/compliance" || as[2].Link != "/federal/opportunities/a" || !strings.Contains(as[1].Subject, "HUBZone expires in 7 day(s)") {
		t.Errorf("alert %+v", as[1])
	}
	if threshold(0) != 7 || threshold(8) != 30 || threshold(-1) != 0 || threshold(91) != 0 {
		t.Error("thresholds")
	}
}
