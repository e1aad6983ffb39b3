package app

import "slices"

// The one rule for folding a record into another of its kind, used where
// two records become one: merging two people (MergePeople) and an
// import's row updating the record it matched (dedupe "update"). The
// merged values are returned; the caller validates and writes them.
//
//   - One-value fields (the kind's descriptor fields, company, amount,
//     stage...):
//     the winner's non-empty value, else the other's. In an import the
//     row wins (it is the newer word); in a merge the person kept wins and
//     the one merged away only fills what it lacks.
//   - Lists (emails, phones, tags, a deal's people): united, the base's
//     first.
//   - Consent: granted if either granted it.
//   - Custom values: the row's replace the stored ones key by key in an
//     import (MergeCustom); a merge keeps the kept person's.
//   - Where the person came from (source) and who owns them stay the
//     base's; a merge fills them when the kept person has none.
//
// Lead capture (Person.AddContact) adds one contact's details to a person
// under the same rule with the input winning the names, plus the caps on
// emails and phones a public form must not fail on.

// MergePerson returns base with in folded into it. inWins says whether
// in's one-value fields win (an import's row) or only fill base's empty
// ones (the person merged away).
func MergePerson(base, in *Person, inWins bool) *Person {
	m := *base
	KindPerson.mergeFields(&m, in, inWins)
	m.CompanyID = pick(m.CompanyID, in.CompanyID, inWins)
	m.Emails, m.Phones, m.Tags = unite(base.Emails, in.Emails), unite(base.Phones, in.Phones), unite(base.Tags, in.Tags)
	m.Consent = Consent{Email: base.Consent.Email || in.Consent.Email, SMS: base.Consent.SMS || in.Consent.SMS, Calls: base.Consent.Calls || in.Consent.Calls}
	if inWins {
		m.Custom = MergeCustom(base.Custom, in.Custom)
	} else {
		m.OwnerID = pick(m.OwnerID, in.OwnerID, false)
	}
	return &m
}

// MergeCompany returns base with an import row's company folded into it
// (the row wins; see MergePerson).
func MergeCompany(base, in *Company) *Company {
	m := *base
	KindCompany.mergeFields(&m, in, true)
	m.Tags = unite(base.Tags, in.Tags)
	m.Custom = MergeCustom(base.Custom, in.Custom)
	return &m
}

// MergeDeal returns base with an import row's deal folded into it (the
// row wins; see MergePerson). A row's amount brings its currency, its
// stage its pipeline.
func MergeDeal(base, in *Deal) *Deal {
	m := *base
	m.PersonIDs = slices.Clone(base.PersonIDs)
	KindDeal.mergeFields(&m, in, true)
	if in.Amount != 0 {
		m.Amount, m.Currency = in.Amount, in.Currency
	}
	if in.StageID != 0 {
		m.PipelineID, m.StageID = in.PipelineID, in.StageID
	}
	if in.ExpectedClose != nil {
		m.ExpectedClose = in.ExpectedClose
	}
	if in.Probability != nil {
		m.Probability = in.Probability
	}
	m.CompanyID = pick(m.CompanyID, in.CompanyID, true)
	m.Tags = unite(base.Tags, in.Tags)
	m.Custom = MergeCustom(base.Custom, in.Custom)
	return &m
}

// pick is in when it is set and wins or cur is empty, else cur.
func pick[T comparable](cur, in T, inWins bool) T {
	var zero T
	if in != zero && (inWins || cur == zero) {
		return in
	}
	return cur
}

// unite returns a's values then b's not in a.
func unite(a, b []string) []string {
	out := slices.Clone(a)
	for _, x := range b {
		if !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}
