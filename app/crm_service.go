package app

import "context"

// CRMService is the CRM for the ui, the API and the CLI: they call it,
// never a store. It owns what a CRM write means beyond one store call
// (the merge rule, MergePerson; the CSV import runner, RunImport and
// ImportFile) and holds the per-record stores as typed fields: the
// optional capabilities (saved views, tag administration, CSV import)
// are fields that are nil when not wired, and their methods then answer
// ENOTFOUND, instead of type assertions on one big store.
//
// Every method is tenant-scoped as the stores are (PersonStore): the
// tenant comes from ctx. The wiring fills the fields (store.CRMStores).
type CRMService struct {
	Timeline  Timeline
	Fields    CustomFieldStore
	People    PersonStore
	Companies CompanyStore
	Stages    PipelineStore
	Deals     DealStore
	Notes     NoteStore
	Tasks     TaskStore
	Owners    RecordOwnerStore

	Views   CRMViewStore   // nil: no saved views
	Tags    CRMTagStore    // nil: no tag administration
	Imports CRMImportStore // nil: no CSV import
}

// The methods below pass one call to the store that keeps the record
// kind; the rules of a single write (validation, timeline, tenant) are
// the store's, in its transaction.

// AddTimelineEntry calls Timeline.AddTimelineEntry.
func (s *CRMService) AddTimelineEntry(ctx context.Context, e *TimelineEntry) error {
	return s.Timeline.AddTimelineEntry(ctx, e)
}

// FindTimeline calls Timeline.FindTimeline.
func (s *CRMService) FindTimeline(ctx context.Context, recordType string, recordID int64) ([]*TimelineEntry, error) {
	return s.Timeline.FindTimeline(ctx, recordType, recordID)
}

// FindCustomFields calls CustomFieldStore.FindCustomFields.
func (s *CRMService) FindCustomFields(ctx context.Context, object string) ([]*CustomField, error) {
	return s.Fields.FindCustomFields(ctx, object)
}

// CreateCustomField calls CustomFieldStore.CreateCustomField.
func (s *CRMService) CreateCustomField(ctx context.Context, f *CustomField) error {
	return s.Fields.CreateCustomField(ctx, f)
}

// DeleteCustomField calls CustomFieldStore.DeleteCustomField.
func (s *CRMService) DeleteCustomField(ctx context.Context, id int64) error {
	return s.Fields.DeleteCustomField(ctx, id)
}

// FindPeople calls PersonStore.FindPeople.
func (s *CRMService) FindPeople(ctx context.Context, f PersonFilter) ([]*Person, string, error) {
	return s.People.FindPeople(ctx, f)
}

// FindPerson calls PersonStore.FindPerson.
func (s *CRMService) FindPerson(ctx context.Context, id int64) (*Person, error) {
	return s.People.FindPerson(ctx, id)
}

// CreatePerson calls PersonStore.CreatePerson.
func (s *CRMService) CreatePerson(ctx context.Context, p *Person) error {
	return s.People.CreatePerson(ctx, p)
}

// UpdatePerson calls PersonStore.UpdatePerson.
func (s *CRMService) UpdatePerson(ctx context.Context, id int64, upd PersonUpdate) (*Person, error) {
	return s.People.UpdatePerson(ctx, id, upd)
}

// DeletePerson calls PersonStore.DeletePerson.
func (s *CRMService) DeletePerson(ctx context.Context, id int64) error {
	return s.People.DeletePerson(ctx, id)
}

// FindDuplicates calls PersonStore.FindDuplicates.
func (s *CRMService) FindDuplicates(ctx context.Context, id int64) ([]*Person, error) {
	return s.People.FindDuplicates(ctx, id)
}

// MergePeople calls PersonStore.MergePeople.
func (s *CRMService) MergePeople(ctx context.Context, keepID, dropID int64) (*Person, error) {
	return s.People.MergePeople(ctx, keepID, dropID)
}

// UpsertPeople calls PersonStore.UpsertPeople.
func (s *CRMService) UpsertPeople(ctx context.Context, ps []*Person) error {
	return s.People.UpsertPeople(ctx, ps)
}

// FindCompanies calls CompanyStore.FindCompanies.
func (s *CRMService) FindCompanies(ctx context.Context, f CompanyFilter) ([]*Company, string, error) {
	return s.Companies.FindCompanies(ctx, f)
}

// FindCompany calls CompanyStore.FindCompany.
func (s *CRMService) FindCompany(ctx context.Context, id int64) (*Company, error) {
	return s.Companies.FindCompany(ctx, id)
}

// CreateCompany calls CompanyStore.CreateCompany.
func (s *CRMService) CreateCompany(ctx context.Context, c *Company) error {
	return s.Companies.CreateCompany(ctx, c)
}

// UpdateCompany calls CompanyStore.UpdateCompany.
func (s *CRMService) UpdateCompany(ctx context.Context, id int64, upd CompanyUpdate) (*Company, error) {
	return s.Companies.UpdateCompany(ctx, id, upd)
}

// DeleteCompany calls CompanyStore.DeleteCompany.
func (s *CRMService) DeleteCompany(ctx context.Context, id int64) error {
	return s.Companies.DeleteCompany(ctx, id)
}

// UpsertCompanies calls CompanyStore.UpsertCompanies.
func (s *CRMService) UpsertCompanies(ctx context.Context, cs []*Company) error {
	return s.Companies.UpsertCompanies(ctx, cs)
}

// Pipelines calls PipelineStore.Pipelines.
func (s *CRMService) Pipelines(ctx context.Context) ([]*Pipeline, error) {
	return s.Stages.Pipelines(ctx)
}

// CreatePipeline calls PipelineStore.CreatePipeline.
func (s *CRMService) CreatePipeline(ctx context.Context, p *Pipeline) error {
	return s.Stages.CreatePipeline(ctx, p)
}

// UpdatePipeline calls PipelineStore.UpdatePipeline.
func (s *CRMService) UpdatePipeline(ctx context.Context, id int64, name *string, stages []*Stage) (*Pipeline, error) {
	return s.Stages.UpdatePipeline(ctx, id, name, stages)
}

// StageTotals calls PipelineStore.StageTotals.
func (s *CRMService) StageTotals(ctx context.Context, pipelineID int64) ([]StageTotal, error) {
	return s.Stages.StageTotals(ctx, pipelineID)
}

// FindDeals calls DealStore.FindDeals.
func (s *CRMService) FindDeals(ctx context.Context, f DealFilter) ([]*Deal, string, error) {
	return s.Deals.FindDeals(ctx, f)
}

// FindDeal calls DealStore.FindDeal.
func (s *CRMService) FindDeal(ctx context.Context, id int64) (*Deal, error) {
	return s.Deals.FindDeal(ctx, id)
}

// CreateDeal calls DealStore.CreateDeal.
func (s *CRMService) CreateDeal(ctx context.Context, d *Deal) error {
	return s.Deals.CreateDeal(ctx, d)
}

// UpdateDeal calls DealStore.UpdateDeal.
func (s *CRMService) UpdateDeal(ctx context.Context, id int64, upd DealUpdate) (*Deal, error) {
	return s.Deals.UpdateDeal(ctx, id, upd)
}

// DeleteDeal calls DealStore.DeleteDeal.
func (s *CRMService) DeleteDeal(ctx context.Context, id int64) error {
	return s.Deals.DeleteDeal(ctx, id)
}

// UpsertDeals calls DealStore.UpsertDeals.
func (s *CRMService) UpsertDeals(ctx context.Context, ds []*Deal) error {
	return s.Deals.UpsertDeals(ctx, ds)
}

// FindNotes calls NoteStore.FindNotes.
func (s *CRMService) FindNotes(ctx context.Context, f NoteFilter) ([]*Note, string, error) {
	return s.Notes.FindNotes(ctx, f)
}

// FindNote calls NoteStore.FindNote.
func (s *CRMService) FindNote(ctx context.Context, id int64) (*Note, error) {
	return s.Notes.FindNote(ctx, id)
}

// CreateNote calls NoteStore.CreateNote.
func (s *CRMService) CreateNote(ctx context.Context, n *Note) error {
	return s.Notes.CreateNote(ctx, n)
}

// UpdateNote calls NoteStore.UpdateNote.
func (s *CRMService) UpdateNote(ctx context.Context, id int64, upd NoteUpdate) (*Note, error) {
	return s.Notes.UpdateNote(ctx, id, upd)
}

// DeleteNote calls NoteStore.DeleteNote.
func (s *CRMService) DeleteNote(ctx context.Context, id int64) error {
	return s.Notes.DeleteNote(ctx, id)
}

// UpsertNotes calls NoteStore.UpsertNotes.
func (s *CRMService) UpsertNotes(ctx context.Context, ns []*Note) error {
	return s.Notes.UpsertNotes(ctx, ns)
}

// FindTasks calls TaskStore.FindTasks.
func (s *CRMService) FindTasks(ctx context.Context, f TaskFilter) ([]*Task, string, error) {
	return s.Tasks.FindTasks(ctx, f)
}

// FindTask calls TaskStore.FindTask.
func (s *CRMService) FindTask(ctx context.Context, id int64) (*Task, error) {
	return s.Tasks.FindTask(ctx, id)
}

// CreateTask calls TaskStore.CreateTask.
func (s *CRMService) CreateTask(ctx context.Context, t *Task) error {
	return s.Tasks.CreateTask(ctx, t)
}

// UpdateTask calls TaskStore.UpdateTask.
func (s *CRMService) UpdateTask(ctx context.Context, id int64, upd TaskUpdate) (*Task, error) {
	return s.Tasks.UpdateTask(ctx, id, upd)
}

// DeleteTask calls TaskStore.DeleteTask.
func (s *CRMService) DeleteTask(ctx context.Context, id int64) error {
	return s.Tasks.DeleteTask(ctx, id)
}

// UpsertTasks calls TaskStore.UpsertTasks.
func (s *CRMService) UpsertTasks(ctx context.Context, ts []*Task) error {
	return s.Tasks.UpsertTasks(ctx, ts)
}

// RecordTenant calls RecordOwnerStore.RecordTenant.
func (s *CRMService) RecordTenant(ctx context.Context, recordType string, id int64) (int64, error) {
	return s.Owners.RecordTenant(ctx, recordType, id)
}

// FindViews calls CRMViewStore.FindViews.
func (s *CRMService) FindViews(ctx context.Context, object string) ([]*View, error) {
	if s.Views == nil {
		return nil, Errorf(ENOTFOUND, "Views are not available.")
	}
	return s.Views.FindViews(ctx, object)
}

// FindView calls CRMViewStore.FindView.
func (s *CRMService) FindView(ctx context.Context, id int64) (*View, error) {
	if s.Views == nil {
		return nil, Errorf(ENOTFOUND, "Views are not available.")
	}
	return s.Views.FindView(ctx, id)
}

// CreateView calls CRMViewStore.CreateView.
func (s *CRMService) CreateView(ctx context.Context, v *View) error {
	if s.Views == nil {
		return Errorf(ENOTFOUND, "Views are not available.")
	}
	return s.Views.CreateView(ctx, v)
}

// DeleteView calls CRMViewStore.DeleteView.
func (s *CRMService) DeleteView(ctx context.Context, id int64) error {
	if s.Views == nil {
		return Errorf(ENOTFOUND, "Views are not available.")
	}
	return s.Views.DeleteView(ctx, id)
}

// FindTags calls CRMTagStore.FindTags.
func (s *CRMService) FindTags(ctx context.Context) ([]TagCount, error) {
	if s.Tags == nil {
		return nil, Errorf(ENOTFOUND, "Tags are not available.")
	}
	return s.Tags.FindTags(ctx)
}

// RenameTag calls CRMTagStore.RenameTag.
func (s *CRMService) RenameTag(ctx context.Context, from, to string) (int, error) {
	if s.Tags == nil {
		return 0, Errorf(ENOTFOUND, "Tags are not available.")
	}
	return s.Tags.RenameTag(ctx, from, to)
}

// DeleteTag calls CRMTagStore.DeleteTag.
func (s *CRMService) DeleteTag(ctx context.Context, tag string) (int, error) {
	if s.Tags == nil {
		return 0, Errorf(ENOTFOUND, "Tags are not available.")
	}
	return s.Tags.DeleteTag(ctx, tag)
}

// CreateImportJob calls CRMImportStore.CreateImportJob.
func (s *CRMService) CreateImportJob(ctx context.Context, j *ImportJob) error {
	if s.Imports == nil {
		return Errorf(ENOTFOUND, "Import is not available.")
	}
	return s.Imports.CreateImportJob(ctx, j)
}

// FindImportJob calls CRMImportStore.FindImportJob.
func (s *CRMService) FindImportJob(ctx context.Context, id int64) (*ImportJob, error) {
	if s.Imports == nil {
		return nil, Errorf(ENOTFOUND, "Import is not available.")
	}
	return s.Imports.FindImportJob(ctx, id)
}

// FindImportJobs calls CRMImportStore.FindImportJobs.
func (s *CRMService) FindImportJobs(ctx context.Context, limit int) ([]*ImportJob, error) {
	if s.Imports == nil {
		return nil, Errorf(ENOTFOUND, "Import is not available.")
	}
	return s.Imports.FindImportJobs(ctx, limit)
}

// UpdateImportJob calls CRMImportStore.UpdateImportJob.
func (s *CRMService) UpdateImportJob(ctx context.Context, j *ImportJob) error {
	if s.Imports == nil {
		return Errorf(ENOTFOUND, "Import is not available.")
	}
	return s.Imports.UpdateImportJob(ctx, j)
}

// FindImportErrors calls CRMImportStore.FindImportErrors.
func (s *CRMService) FindImportErrors(ctx context.Context, jobID int64, limit int) ([]ImportRowError, error) {
	if s.Imports == nil {
		return nil, Errorf(ENOTFOUND, "Import is not available.")
	}
	return s.Imports.FindImportErrors(ctx, jobID, limit)
}
