package app

import "time"

// DatabaseIdentity names one database across its copies: the data
// directory's orengen.db and its replicas carry the same ID, created when
// the database was first initialised, and a restore keeps it. A replica
// that holds another ID belongs to another database.
type DatabaseIdentity struct {
	ID        string
	CreatedAt time.Time
	// VaultKeyCheck is Cipher.Check of the vault's master key, "" until
	// the key was first checked: a start with another key is refused.
	VaultKeyCheck string
}
