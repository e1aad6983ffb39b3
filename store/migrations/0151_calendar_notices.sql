-- Calendar notices: the emails and workflow triggers a booking change
-- causes (booked, rescheduled, cancelled, confirmed, reminders), written
-- in the booking's transaction and sent by the calendar's notifier.

CREATE TABLE calendar_notices (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
	booking_id INTEGER NOT NULL REFERENCES calendar_bookings (id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	minutes INTEGER NOT NULL DEFAULT 0,
	due_at TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'dropped')),
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at TEXT NOT NULL,
	sent_at TEXT
);
CREATE INDEX calendar_notices_due ON calendar_notices (due_at) WHERE status IN ('pending', 'sending');
CREATE INDEX calendar_notices_booking ON calendar_notices (booking_id);
