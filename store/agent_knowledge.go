package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"orengen/app"
	"orengen/app/agents"
)

func bumpKnowledge(ctx context.Context, tx *Tx, tid int64) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO agent_knowledge_versions (tenant_id, version) VALUES (?, 1)
		ON CONFLICT (tenant_id) DO UPDATE SET version = version + 1`, tid)
	return err
}

// SaveDocument stores a document and its chunks (FTS-indexed by the
// chunks' triggers), replacing the chunks of the same document.
func (s *AgentStore) SaveDocument(ctx context.Context, d *agents.Document, chunks []string) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		now := FormatTime(tx.now)
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM agent_documents WHERE tenant_id = ? AND kind = ? AND ref = ?`, d.TenantID, d.Kind, d.Ref).Scan(&id)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if id != 0 {
			if _, err := tx.ExecContext(ctx, `DELETE FROM agent_chunks WHERE document_id = ?`, id); err != nil {
				return fmt.Errorf("replace chunks: %w", err)
			}
			if _, err := tx.ExecContext(ctx, `UPDATE agent_documents SET title = ?, bytes = ?, chunks = ?, sha256 = ?, updated_at = ? WHERE id = ?`,
				d.Title, d.Bytes, len(chunks), d.SHA256, now, id); err != nil {
				return err
			}
		} else {
			res, err := tx.ExecContext(ctx, `INSERT INTO agent_documents (tenant_id, title, kind, ref, bytes, chunks, sha256, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				d.TenantID, d.Title, d.Kind, d.Ref, d.Bytes, len(chunks), d.SHA256, now, now)
			if err != nil {
				return FormatError(fmt.Errorf("save document: %w", err), "That document exists.")
			}
			if id, err = res.LastInsertId(); err != nil {
				return err
			}
			d.CreatedAt = tx.now
		}
		d.ID, d.Chunks, d.UpdatedAt = id, len(chunks), tx.now
		for i, c := range chunks {
			if _, err := tx.ExecContext(ctx, `INSERT INTO agent_chunks (document_id, tenant_id, seq, text) VALUES (?, ?, ?, ?)`, id, d.TenantID, i, c); err != nil {
				return fmt.Errorf("save chunk: %w", err)
			}
		}
		return bumpKnowledge(ctx, tx, d.TenantID)
	})
}

const documentCols = `d.id, d.tenant_id, d.title, d.kind, d.ref, d.bytes, d.chunks, d.sha256, d.created_at, d.updated_at,
	(SELECT count(*) FROM agent_vectors v JOIN agent_chunks c ON c.id = v.chunk_id WHERE c.document_id = d.id),
	COALESCE((SELECT v.model FROM agent_vectors v JOIN agent_chunks c ON c.id = v.chunk_id WHERE c.document_id = d.id LIMIT 1), '')`

func scanDocument(row scanner) (*agents.Document, error) {
	var d agents.Document
	err := row.Scan(&d.ID, &d.TenantID, &d.Title, &d.Kind, &d.Ref, &d.Bytes, &d.Chunks, &d.SHA256, Time{&d.CreatedAt}, Time{&d.UpdatedAt}, &d.Embedded, &d.EmbedModel)
	return &d, err
}

// FindDocuments lists a tenant's documents (0: every tenant's).
func (s *AgentStore) FindDocuments(ctx context.Context, tenantID int64) ([]*agents.Document, error) {
	q, args := `SELECT `+documentCols+` FROM agent_documents d`, []any{}
	if tenantID != 0 {
		q += ` WHERE d.tenant_id = ?`
		args = append(args, tenantID)
	}
	rows, err := s.db.read.QueryContext(ctx, q+` ORDER BY d.tenant_id, d.kind, lower(d.title), d.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("find documents: %w", err)
	}
	return scanAll(rows, scanDocument)
}

// FindDocument returns a document of the tenant (0: any).
func (s *AgentStore) FindDocument(ctx context.Context, tenantID, id int64) (*agents.Document, error) {
	q, args := `SELECT `+documentCols+` FROM agent_documents d WHERE d.id = ?`, []any{id}
	if tenantID != 0 {
		q += ` AND d.tenant_id = ?`
		args = append(args, tenantID)
	}
	d, err := scanDocument(s.db.read.QueryRowContext(ctx, q, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, app.Errorf(app.ENOTFOUND, "Document not found.")
	}
	return d, err
}

const chunkCols = `c.id, c.document_id, c.tenant_id, c.seq, c.text, d.title, d.kind, d.ref`

func scanChunk(row scanner) (*agents.Chunk, error) {
	var c agents.Chunk
	err := row.Scan(&c.ID, &c.DocumentID, &c.TenantID, &c.Seq, &c.Text, &c.Title, &c.Kind, &c.Ref)
	return &c, err
}

// DocumentChunks returns a document's chunks in order.
func (s *AgentStore) DocumentChunks(ctx context.Context, tenantID, id int64) ([]*agents.Chunk, error) {
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+chunkCols+` FROM agent_chunks c JOIN agent_documents d ON d.id = c.document_id
		WHERE c.document_id = ? AND c.tenant_id = ? ORDER BY c.seq`, id, tenantID)
	if err != nil {
		return nil, fmt.Errorf("document chunks: %w", err)
	}
	return scanAll(rows, scanChunk)
}

// DeleteDocument deletes a document, its chunks and their vectors.
func (s *AgentStore) DeleteDocument(ctx context.Context, tenantID, id int64) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM agent_chunks WHERE document_id = ? AND tenant_id = ?`, id, tenantID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM agent_documents WHERE id = ? AND tenant_id = ?`, id, tenantID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return app.Errorf(app.ENOTFOUND, "Document not found.")
		}
		return bumpKnowledge(ctx, tx, tenantID)
	})
}

// scopeSQL is the condition selecting the scope's documents (alias d).
func scopeSQL(k agents.KnowledgeScope) (string, []any) {
	var or []string
	var args []any
	if k.AllDocs {
		or = append(or, `d.kind IN ('markdown', 'text', 'pdf')`)
	}
	if k.Site {
		or = append(or, `d.kind = 'site'`)
	}
	if len(k.DocIDs) > 0 {
		or = append(or, `d.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(k.DocIDs)), ", ")+`)`)
		for _, id := range k.DocIDs {
			args = append(args, id)
		}
	}
	if len(or) == 0 {
		return "0", nil
	}
	return "(" + strings.Join(or, " OR ") + ")", args
}

// SearchChunks ranks the scope's chunks by BM25.
func (s *AgentStore) SearchChunks(ctx context.Context, tenantID int64, scope agents.KnowledgeScope, q string, limit int) ([]*agents.Chunk, error) {
	if strings.TrimSpace(q) == "" {
		return nil, nil
	}
	cond, sargs := scopeSQL(scope)
	args := append([]any{q, tenantID}, sargs...)
	args = append(args, limit)
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+chunkCols+`, -bm25(agent_chunks_fts) FROM agent_chunks_fts
		JOIN agent_chunks c ON c.id = agent_chunks_fts.rowid JOIN agent_documents d ON d.id = c.document_id
		WHERE agent_chunks_fts MATCH ? AND c.tenant_id = ? AND `+cond+` ORDER BY bm25(agent_chunks_fts) LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("search knowledge: %w", err)
	}
	return scanAll(rows, func(row scanner) (*agents.Chunk, error) {
		var c agents.Chunk
		err := row.Scan(&c.ID, &c.DocumentID, &c.TenantID, &c.Seq, &c.Text, &c.Title, &c.Kind, &c.Ref, &c.Score)
		return &c, err
	})
}

// FindChunks returns the tenant's chunks with these IDs.
func (s *AgentStore) FindChunks(ctx context.Context, tenantID int64, ids []int64) ([]*agents.Chunk, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{tenantID}
	for _, id := range ids {
		args = append(args, id)
	}
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+chunkCols+` FROM agent_chunks c JOIN agent_documents d ON d.id = c.document_id
		WHERE c.tenant_id = ? AND c.id IN (`+strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("find chunks: %w", err)
	}
	return scanAll(rows, scanChunk)
}

// ChunksWithoutVector lists chunks in scope lacking a vector of model.
func (s *AgentStore) ChunksWithoutVector(ctx context.Context, tenantID int64, scope agents.KnowledgeScope, model string, limit int) ([]*agents.Chunk, error) {
	cond, sargs := scopeSQL(scope)
	args := append([]any{tenantID}, sargs...)
	args = append(args, model, limit)
	rows, err := s.db.read.QueryContext(ctx, `SELECT `+chunkCols+` FROM agent_chunks c JOIN agent_documents d ON d.id = c.document_id
		WHERE c.tenant_id = ? AND `+cond+` AND NOT EXISTS (SELECT 1 FROM agent_vectors v WHERE v.chunk_id = c.id AND v.model = ?) ORDER BY c.id LIMIT ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("chunks without vectors: %w", err)
	}
	return scanAll(rows, scanChunk)
}

func encodeVector(v []float32) []byte {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	return b
}

func decodeVector(b []byte) []float32 {
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// SaveVectors stores vectors of the tenant's chunks and the usage that
// metered them, in one transaction.
func (s *AgentStore) SaveVectors(ctx context.Context, tenantID int64, model string, vs []agents.ChunkVector, usage agents.Usage) error {
	return s.db.Update(ctx, func(tx *Tx) error {
		if _, err := addUsage(ctx, tx, []agents.Usage{usage}); err != nil {
			return err
		}
		for _, v := range vs {
			// Only a chunk of the tenant takes a vector.
			if _, err := tx.ExecContext(ctx, `INSERT INTO agent_vectors (chunk_id, model, tenant_id, vector) SELECT id, ?, tenant_id, ? FROM agent_chunks WHERE id = ? AND tenant_id = ?
				ON CONFLICT (chunk_id, model) DO UPDATE SET vector = excluded.vector`, model, encodeVector(v.Vector), v.ChunkID, tenantID); err != nil {
				return fmt.Errorf("save vector: %w", err)
			}
		}
		return bumpKnowledge(ctx, tx, tenantID)
	})
}

// Vectors returns the vectors of model of the scope's chunks.
func (s *AgentStore) Vectors(ctx context.Context, tenantID int64, scope agents.KnowledgeScope, model string) ([]agents.ChunkVector, error) {
	cond, sargs := scopeSQL(scope)
	args := append([]any{tenantID, model}, sargs...)
	rows, err := s.db.read.QueryContext(ctx, `SELECT v.chunk_id, v.vector FROM agent_vectors v JOIN agent_chunks c ON c.id = v.chunk_id JOIN agent_documents d ON d.id = c.document_id
		WHERE v.tenant_id = ? AND v.model = ? AND `+cond+` ORDER BY v.chunk_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	return scanAll(rows, func(row scanner) (agents.ChunkVector, error) {
		var cv agents.ChunkVector
		var b []byte
		if err := row.Scan(&cv.ChunkID, &b); err != nil {
			return cv, err
		}
		cv.Vector = decodeVector(b)
		return cv, nil
	})
}

// KnowledgeVersion returns the tenant's knowledge version.
func (s *AgentStore) KnowledgeVersion(ctx context.Context, tenantID int64) (int64, error) {
	var v int64
	err := s.db.read.QueryRowContext(ctx, `SELECT version FROM agent_knowledge_versions WHERE tenant_id = ?`, tenantID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return v, err
}
