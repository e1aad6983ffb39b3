package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"orengen/app"
	"orengen/app/agents"
)

// AgentStore implements every store of agents.Stores: agents and their
// versions here, conversations and turns in agent_conversation.go,
// documents and chunks in agent_knowledge.go, usage, prices and settings
// in agent_usage.go. One type, because their writes share transactions
// (a turn's usage, a finished conversation's CRM updates).
type AgentStore struct {
	db *DB
}

var (
	_ agents.DefinitionStore   = (*AgentStore)(nil)
	_ agents.ConversationStore = (*AgentStore)(nil)
	_ agents.TurnStore         = (*AgentStore)(nil)
	_ agents.DocumentStore     = (*AgentStore)(nil)
	_ agents.ChunkStore        = (*AgentStore)(nil)
	_ agents.UsageStore        = (*AgentStore)(nil)
	_ agents.PriceStore        = (*AgentStore)(nil)
	_ agents.SettingsStore     = (*AgentStore)(nil)
)

// NewAgentStore returns an AgentStore on db.
func NewAgentStore(db *DB) *AgentStore { return &AgentStore{db: db} }

// Stores returns s as each of Agent Studio's stores, for
// agents.NewService.
func (s *AgentStore) Stores() agents.Stores {
	return agents.Stores{Agents: s, Conversations: s, Turns: s, Documents: s, Chunks: s, Usage: s, Prices: s, Settings: s, People: s}
}

const agentCols = `a.id, a.tenant_id, a.name, a.enabled, a.public_key, a.phone, a.version, a.version_id, a.created_at, a.updated_at, v.config`

func scanAgent(row scanner) (*agents.Agent, error) {
	var a agents.Agent
	var cfg string
	if err := row.Scan(&a.ID, &a.TenantID, &a.Name, &a.Enabled, &a.PublicKey, &a.Phone, &a.Version, &a.VersionID,
		Time{&a.CreatedAt}, Time{&a.UpdatedAt}, &cfg); err != nil {
		return nil, err
	}
	c, err := agents.ParseConfig([]byte(cfg))
	if err != nil {
		return nil, fmt.Errorf("agent %d config: %w", a.ID, err)
	}
	a.Config = c
	return &a, nil
}

func (s *AgentStore) findAgent(ctx context.Context, q queryer, where string, args ...any) (*agents.Agent, error) {
	a, err := scanAgent(q.QueryRowContext(ctx, `SELECT `+agentCols+` FROM agents a JOIN agent_versions v ON v.id = a.version_id WHERE a.deleted = 0 AND `+where, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Agent not found.")
	}
	return a, err
}

// FindAgents lists the agents of a tenant (0: all), by name.
func (s *AgentStore) FindAgents(ctx context.Context, f agents.Filter) ([]*agents.Agent, error) {
	q := `SELECT ` + agentCols + ` FROM agents a JOIN agent_versions v ON v.id = a.version_id WHERE a.deleted = 0`
	var args []any
	if f.TenantID != 0 {
		q += ` AND a.tenant_id = ?`
		args = append(args, f.TenantID)
	}
	rows, err := s.db.read.QueryContext(ctx, q+` ORDER BY a.tenant_id, lower(a.name), a.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find agents: %w", err)
	}
	return scanAll(rows, scanAgent)
}

// FindAgent returns one agent of the tenant (0: any, for Nexus).
func (s *AgentStore) FindAgent(ctx context.Context, tenantID, id int64) (*agents.Agent, error) {
	if tenantID == 0 {
		return s.findAgent(ctx, s.db.read, `a.id = ?`, id)
	}
	return s.findAgent(ctx, s.db.read, `a.id = ? AND a.tenant_id = ?`, id, tenantID)
}

// FindAgentByKey finds an agent by its public key.
func (s *AgentStore) FindAgentByKey(ctx context.Context, key string) (*agents.Agent, error) {
	return s.findAgent(ctx, s.db.read, `a.public_key = ?`, key)
}

// FindAgentByPhone finds the tenant's enabled agent answering phone.
func (s *AgentStore) FindAgentByPhone(ctx context.Context, tenantID int64, phone string) (*agents.Agent, error) {
	p, err := app.NormalizePhone("phone", phone)
	if err != nil {
		return nil, app.Errorf(app.ENOTFOUND, "Agent not found.")
	}
	return s.findAgent(ctx, s.db.read, `a.tenant_id = ? AND a.phone = ? AND a.enabled = 1`, tenantID, p)
}

// FindAgentVersion returns the agent with one version's configuration.
func (s *AgentStore) FindAgentVersion(ctx context.Context, tenantID, versionID int64) (*agents.Agent, error) {
	row := s.db.read.QueryRowContext(ctx, `SELECT a.id, a.tenant_id, v.name, a.enabled, a.public_key, a.phone, v.version, v.id, a.created_at, v.created_at, v.config
		FROM agent_versions v JOIN agents a ON a.id = v.agent_id WHERE v.id = ? AND v.tenant_id = ?`, versionID, tenantID)
	a, err := scanAgent(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Agent version not found.")
	}
	return a, err
}

// AgentVersions lists an agent's versions, newest first.
func (s *AgentStore) AgentVersions(ctx context.Context, tenantID, agentID int64) ([]*agents.Agent, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT a.id, a.tenant_id, v.name, a.enabled, a.public_key, a.phone, v.version, v.id, a.created_at, v.created_at, v.config
		FROM agent_versions v JOIN agents a ON a.id = v.agent_id WHERE v.agent_id = ? AND v.tenant_id = ? ORDER BY v.version DESC LIMIT 100`, agentID, tenantID)
	if err != nil {
		return nil, fmt.Errorf("agent versions: %w", err)
	}
	return scanAll(rows, scanAgent)
}

// SaveAgent creates an agent or stores a new version of it.
func (s *AgentStore) SaveAgent(ctx context.Context, a *agents.Agent) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		now := FormatTime(tx.now)
		if a.ID == 0 {
			res, err := tx.ExecContext(ctx, `INSERT INTO agents (tenant_id, name, enabled, public_key, phone, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)`,
				a.TenantID, a.Name, a.Enabled, a.PublicKey, a.Phone, now, now)
			if err != nil {
				return FormatError(err, "Another enabled agent already answers "+a.Phone+".")
			}
			if a.ID, err = res.LastInsertId(); err != nil {
				return err
			}
			a.Version, a.CreatedAt = 1, tx.now
		} else {
			err := tx.QueryRowContext(ctx, `UPDATE agents SET name = ?, enabled = ?, phone = ?, version = version + 1, updated_at = ? WHERE id = ? AND tenant_id = ? AND deleted = 0 RETURNING version`,
				a.Name, a.Enabled, a.Phone, now, a.ID, a.TenantID).Scan(&a.Version)
			if errors.Is(err, sql.ErrNoRows) {
				return app.Errorf(app.ENOTFOUND, "Agent not found.")
			} else if err != nil {
				return FormatError(fmt.Errorf("update agent: %w", err), "Another enabled agent already answers "+a.Phone+".")
			}
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO agent_versions (agent_id, tenant_id, version, name, config, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.TenantID, a.Version, a.Name, a.Config.JSON(), app.ActorFromContext(ctx), now)
		if err != nil {
			return fmt.Errorf("save agent version: %w", err)
		}
		if a.VersionID, err = res.LastInsertId(); err != nil {
			return err
		}
		a.UpdatedAt = tx.now
		_, err = tx.ExecContext(ctx, `UPDATE agents SET version_id = ? WHERE id = ?`, a.VersionID, a.ID)
		return err
	})
}

// SetAgentEnabled turns an agent on or off.
func (s *AgentStore) SetAgentEnabled(ctx context.Context, tenantID, id int64, enabled bool) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE agents SET enabled = ?, updated_at = ? WHERE id = ? AND tenant_id = ? AND deleted = 0`, enabled, FormatTime(tx.now), id, tenantID)
		if err != nil {
			return FormatError(err, "Another enabled agent already answers this number; turn it off first.")
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Agent not found.")
		}
		return nil
	})
}

// DeleteAgent marks an agent deleted (its versions stay for its
// conversations) and ends nothing: running conversations finish on the
// version they have.
func (s *AgentStore) DeleteAgent(ctx context.Context, tenantID, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE agents SET deleted = 1, enabled = 0, updated_at = ? WHERE id = ? AND tenant_id = ? AND deleted = 0`, FormatTime(tx.now), id, tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Agent not found.")
		}
		return nil
	})
}
