package app

import "context"

// TagCount is a tag used in a tenant's CRM with the number of records of
// each object carrying it.
type TagCount struct {
	Tag       string
	People    int
	Companies int
	Deals     int
}

// Total is the number of records carrying the tag.
func (t TagCount) Total() int { return t.People + t.Companies + t.Deals }

// CRMTagStore manages the tags of a tenant's people, companies and deals
// as one list (tenant from ctx; EUNAUTHORIZED without one).
type CRMTagStore interface {
	// FindTags lists every tag used in the tenant, by name, with counts.
	FindTags(ctx context.Context) ([]TagCount, error)
	// RenameTag renames tag from to to on every record of the tenant in
	// one transaction (a record carrying both keeps one), with a "tags"
	// field change on each record's timeline. Returns the number of
	// records changed, EINVALID naming "tag" (to is not a valid tag) or
	// ENOTFOUND (no record carries from).
	RenameTag(ctx context.Context, from, to string) (int, error)
	// DeleteTag removes tag from every record of the tenant in one
	// transaction, with timeline entries. Returns the number of records
	// changed or ENOTFOUND.
	DeleteTag(ctx context.Context, tag string) (int, error)
}

// NormalizeTag normalises one tag as NormalizeTags does. Returns EINVALID
// naming field for an empty or malformed tag.
func NormalizeTag(field, tag string) (string, error) {
	out, err := NormalizeTags(field, []string{tag})
	if err != nil {
		return "", err
	}
	if len(out) == 0 {
		return "", FieldErrorf(field, "Tag required.")
	}
	return out[0], nil
}
