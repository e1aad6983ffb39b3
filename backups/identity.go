package backups

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/superfly/ltx"
)

// IdentityPath is where a replica records the database it belongs to,
// beside the databases' own paths (a name without ".db", so it is never
// listed or restored as a database).
const IdentityPath = ".orengen-identity"

// ErrForeignReplica: the replica holds the backups of another database
// (errors.As finds a *ForeignReplicaError with the details).
var ErrForeignReplica = errors.New("replica belongs to another database")

// ForeignReplicaError says which replica holds which database's backups.
type ForeignReplicaError struct {
	Replica Replica
	Has     *Identity // what the replica records
	msg     string
}

func (e *ForeignReplicaError) Error() string { return e.msg + ": " + ErrForeignReplica.Error() }

// Is makes errors.Is(err, ErrForeignReplica) true.
func (e *ForeignReplicaError) Is(target error) bool { return target == ErrForeignReplica }

// Identity is what a replica records about the database it belongs to.
type Identity struct {
	DatabaseID string    `json:"database_id"` // orengen.db's identity (store.ReadIdentity)
	DataDir    string    `json:"data_dir"`    // where that database was last served from
	Host       string    `json:"host"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// String describes the identity for an error message.
func (id *Identity) String() string {
	return fmt.Sprintf("database %s, served from %s:%s", id.DatabaseID, id.Host, id.DataDir)
}

// identityPageSize is the page of the LTX file that carries the identity.
const identityPageSize = 4096

// ReadIdentity returns the identity the replica records, or nil when it
// records none (an empty replica, or one written before identities).
//
// The identity travels as a one-page LTX file at level 0 under
// IdentityPath, written through the replica's own Litestream client, so
// file, S3 and SFTP replicas record it the same way; the page holds the
// JSON, padded with zeros.
func ReadIdentity(ctx context.Context, r Replica) (*Identity, error) {
	c, err := r.client(IdentityPath)
	if err != nil {
		return nil, err
	}
	if err := c.Init(ctx); err != nil {
		return nil, fmt.Errorf("replica %s: init: %s", r.Name, scrub(err.Error(), []Replica{r}))
	}
	infos, err := listLevel(ctx, c, 0)
	if err != nil {
		return nil, fmt.Errorf("replica %s: read identity: %s", r.Name, scrub(err.Error(), []Replica{r}))
	}
	if len(infos) == 0 {
		return nil, nil
	}
	last := infos[len(infos)-1]
	rc, err := c.OpenLTXFile(ctx, 0, last.MinTXID, last.MaxTXID, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("replica %s: read identity: %s", r.Name, scrub(err.Error(), []Replica{r}))
	}
	defer rc.Close()
	dec := ltx.NewDecoder(rc)
	if err := dec.DecodeHeader(); err != nil {
		return nil, fmt.Errorf("replica %s: read identity: %w", r.Name, err)
	}
	page := make([]byte, dec.Header().PageSize)
	var ph ltx.PageHeader
	if err := dec.DecodePage(&ph, page); err != nil {
		return nil, fmt.Errorf("replica %s: read identity: %w", r.Name, err)
	}
	var id Identity
	if err := json.Unmarshal(bytes.TrimRight(page, "\x00"), &id); err != nil || id.DatabaseID == "" {
		return nil, fmt.Errorf("replica %s: identity unreadable (%v)", r.Name, err)
	}
	return &id, nil
}

// WriteIdentity records id in the replica, replacing what it recorded.
// Each write is a new file (the next TXID) and the older ones are deleted
// after it: SFTP servers do not rename over an existing file.
func WriteIdentity(ctx context.Context, r Replica, id Identity) error {
	b, err := json.Marshal(id)
	if err != nil {
		return err
	}
	if len(b) > identityPageSize {
		return fmt.Errorf("identity too long")
	}
	c, err := r.client(IdentityPath)
	if err != nil {
		return err
	}
	if err := c.Init(ctx); err != nil {
		return fmt.Errorf("replica %s: init: %s", r.Name, scrub(err.Error(), []Replica{r}))
	}
	old, err := listLevel(ctx, c, 0)
	if err != nil {
		return fmt.Errorf("replica %s: read identity: %s", r.Name, scrub(err.Error(), []Replica{r}))
	}
	txid := ltx.TXID(1)
	if len(old) > 0 {
		txid = old[len(old)-1].MaxTXID + 1
	}
	page := make([]byte, identityPageSize)
	copy(page, b)
	var buf bytes.Buffer
	enc, err := ltx.NewEncoder(&buf)
	if err != nil {
		return err
	}
	if err := enc.EncodeHeader(ltx.Header{Version: ltx.Version, Flags: ltx.HeaderFlagNoChecksum, PageSize: identityPageSize,
		Commit: 1, MinTXID: txid, MaxTXID: txid, Timestamp: time.Now().UnixMilli()}); err != nil {
		return fmt.Errorf("encode identity: %w", err)
	}
	if err := enc.EncodePage(ltx.PageHeader{Pgno: 1}, page); err != nil {
		return fmt.Errorf("encode identity: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode identity: %w", err)
	}
	if _, err := c.WriteLTXFile(ctx, 0, txid, txid, &buf); err != nil {
		return fmt.Errorf("replica %s: write identity: %s", r.Name, scrub(err.Error(), []Replica{r}))
	}
	if len(old) > 0 {
		if err := c.DeleteLTXFiles(ctx, old); err != nil {
			return fmt.Errorf("replica %s: replace identity: %s", r.Name, scrub(err.Error(), []Replica{r}))
		}
	}
	return nil
}

// ThisHost names this machine in an identity.
func ThisHost() string {
	h, err := os.Hostname()
	if err != nil {
		return "unknown"
	}
	return h
}

// ClaimReplicas makes every replica record id. A replica that records
// nothing (new, or written before identities) is claimed; one that records
// the same database is updated when the database moved (another data
// directory or host); one that records another database is refused with
// ErrForeignReplica and nothing is written to any replica. A replica that
// cannot be reached is skipped: its error is returned in unreachable, and
// the next start tries again.
func ClaimReplicas(ctx context.Context, reps []Replica, id Identity) (unreachable []error, err error) {
	type claim struct {
		r   Replica
		has *Identity
	}
	var todo []claim
	for _, r := range reps {
		has, err := ReadIdentity(ctx, r)
		if err != nil {
			unreachable = append(unreachable, err)
			continue
		}
		if has != nil && has.DatabaseID != id.DatabaseID {
			return unreachable, &ForeignReplicaError{Replica: r, Has: has, msg: fmt.Sprintf("replica %s holds the backups of another database (%s), not of this one (database %s in %s)",
				r.Redacted(), has, id.DatabaseID, id.DataDir)}
		}
		if has == nil || has.DataDir != id.DataDir || has.Host != id.Host {
			todo = append(todo, claim{r, has})
		}
	}
	for _, c := range todo {
		id.UpdatedAt = time.Now().UTC()
		if err := WriteIdentity(ctx, c.r, id); err != nil {
			unreachable = append(unreachable, err)
		}
	}
	return unreachable, nil
}

// checkRestoreSource refuses to restore automatically from a replica of
// another database: one recording another database ID than the local
// database's (want), or, for a data directory without a database (want
// ""), one recording a database served from another directory. A replica
// recording nothing (written before identities) is accepted.
func checkRestoreSource(ctx context.Context, r Replica, dataDir, want string) error {
	has, err := ReadIdentity(ctx, r)
	if err != nil || has == nil {
		return err
	}
	switch {
	case want != "" && has.DatabaseID != want:
		return &ForeignReplicaError{Replica: r, Has: has, msg: fmt.Sprintf("replica %s holds the backups of another database (%s), not of the database in %s (%s)",
			r.Redacted(), has, dataDir, want)}
	case want == "" && has.DataDir != dataDir:
		return &ForeignReplicaError{Replica: r, Has: has, msg: fmt.Sprintf("replica %s holds the backups of the database served from %s:%s (database %s), not of this data directory %s",
			r.Redacted(), has.Host, has.DataDir, has.DatabaseID, dataDir)}
	}
	return nil
}
