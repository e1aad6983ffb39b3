package calendar

import "context"

// The reads and the delete the pages and the API make, so that ui talks
// to Service and Syncer and never to a store (issue #14). Like the
// stores, each works in the tenant ctx is scoped to (ENOTFOUND for a
// record of another tenant).

// FindCalendar returns one of the tenant's calendars. Returns ENOTFOUND.
func (s *Service) FindCalendar(ctx context.Context, id int64) (*Calendar, error) {
	return s.store.FindCalendar(ctx, id)
}

// FindCalendars lists the tenant's calendars.
func (s *Service) FindCalendars(ctx context.Context) ([]*Calendar, error) {
	return s.store.FindCalendars(ctx)
}

// FindEventType returns one of the tenant's event types. Returns ENOTFOUND.
func (s *Service) FindEventType(ctx context.Context, id int64) (*EventType, error) {
	return s.store.FindEventType(ctx, id)
}

// FindEventTypeBySlug returns the tenant's event type with that slug (its
// booking page). Returns ENOTFOUND.
func (s *Service) FindEventTypeBySlug(ctx context.Context, slug string) (*EventType, error) {
	return s.store.FindEventTypeBySlug(ctx, slug)
}

// FindEventTypes lists the tenant's event types.
func (s *Service) FindEventTypes(ctx context.Context) ([]*EventType, error) {
	return s.store.FindEventTypes(ctx)
}

// DeleteEventType deletes one of the tenant's event types. Returns
// ENOTFOUND.
func (s *Service) DeleteEventType(ctx context.Context, id int64) error {
	return s.store.DeleteEventType(ctx, id)
}

// FindBooking returns one of the tenant's bookings. Returns ENOTFOUND.
func (s *Service) FindBooking(ctx context.Context, id int64) (*Booking, error) {
	return s.store.FindBooking(ctx, id)
}

// FindBookings lists the tenant's bookings by f.
func (s *Service) FindBookings(ctx context.Context, f BookingFilter) ([]*Booking, error) {
	return s.store.FindBookings(ctx, f)
}

// FindSource returns one of the tenant's sync sources. Returns ENOTFOUND.
func (y *Syncer) FindSource(ctx context.Context, id int64) (*Source, error) {
	return y.store.FindSource(ctx, id)
}

// FindSources lists a calendar's sync sources (calendarID 0: all the
// tenant's).
func (y *Syncer) FindSources(ctx context.Context, calendarID int64) ([]*Source, error) {
	return y.store.FindSources(ctx, calendarID)
}
