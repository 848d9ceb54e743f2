package store

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Record is one answered request.
type Record struct {
	Key    string
	Target string
	Suite  string
	Task   string
	Cell   string
	Length int
	Index  int

	Request  []byte // the exact request body (stored gzip-compressed)
	Response []byte // the exact response body (stored gzip-compressed)
	Text     string // the answer text that was scored
	Golds    []string
	Metric   string
	Score    float64

	PromptTokens     int // as the target reported them
	CompletionTokens int
	FittedTokens     int // as counted when the sample was fitted
	Duration         time.Duration
	Created          time.Time
}

// Store is an open result database; safe for concurrent use.
type Store struct{ db *sql.DB }

const schema = `
CREATE TABLE IF NOT EXISTS results (
	key TEXT PRIMARY KEY,
	target TEXT NOT NULL,
	suite TEXT NOT NULL,
	task TEXT NOT NULL,
	cell TEXT NOT NULL,
	length INTEGER NOT NULL,
	idx INTEGER NOT NULL,
	request BLOB NOT NULL,
	response BLOB NOT NULL,
	text TEXT NOT NULL,
	golds TEXT NOT NULL,
	metric TEXT NOT NULL,
	score REAL NOT NULL,
	prompt_tokens INTEGER NOT NULL,
	completion_tokens INTEGER NOT NULL,
	fitted_tokens INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	created TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS results_cell ON results(suite, task, cell, length);
`

// Open opens or creates the database at path.
func Open(path string) (*Store, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_pragma=busy_timeout(10000)")
	if err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	db.SetMaxOpenConns(1) // one writer; SQLite serialises anyway and this avoids SQLITE_BUSY
	if _, err := db.Exec(schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Key hashes the parts that decide an answer: the target's name (which
// includes its model), then the request body (prompt and parameters).
func Key(target string, request []byte) string {
	h := sha256.New()
	h.Write([]byte(target))
	h.Write([]byte{0})
	h.Write(request)
	return hex.EncodeToString(h.Sum(nil))
}

// Put writes r in one transaction, replacing an earlier row with its key.
func (s *Store) Put(r Record) error {
	req, err := compress(r.Request)
	if err != nil {
		return err
	}
	resp, err := compress(r.Response)
	if err != nil {
		return err
	}
	golds, err := json.Marshal(r.Golds)
	if err != nil {
		return err
	}
	if r.Created.IsZero() {
		r.Created = time.Now()
	}
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	_, err = tx.Exec(`INSERT OR REPLACE INTO results
		(key, target, suite, task, cell, length, idx, request, response, text, golds, metric, score,
		 prompt_tokens, completion_tokens, fitted_tokens, duration_ms, created)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Key, r.Target, r.Suite, r.Task, r.Cell, r.Length, r.Index, req, resp, r.Text, string(golds), r.Metric, r.Score,
		r.PromptTokens, r.CompletionTokens, r.FittedTokens, r.Duration.Milliseconds(), r.Created.UTC().Format(time.RFC3339Nano))
	if err != nil {
		tx.Rollback()
		return fmt.Errorf("store: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// Get returns the record stored under key; ok is false when there is none.
func (s *Store) Get(key string) (r Record, ok bool, err error) {
	var req, resp []byte
	var golds, created string
	var ms int64
	err = s.db.QueryRow(`SELECT key, target, suite, task, cell, length, idx, request, response, text, golds, metric, score,
		prompt_tokens, completion_tokens, fitted_tokens, duration_ms, created FROM results WHERE key = ?`, key).Scan(
		&r.Key, &r.Target, &r.Suite, &r.Task, &r.Cell, &r.Length, &r.Index, &req, &resp, &r.Text, &golds, &r.Metric, &r.Score,
		&r.PromptTokens, &r.CompletionTokens, &r.FittedTokens, &ms, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("store: %w", err)
	}
	if r.Request, err = decompress(req); err != nil {
		return Record{}, false, err
	}
	if r.Response, err = decompress(resp); err != nil {
		return Record{}, false, err
	}
	if err := json.Unmarshal([]byte(golds), &r.Golds); err != nil {
		return Record{}, false, fmt.Errorf("store: row %s: golds: %w", key, err)
	}
	r.Duration = time.Duration(ms) * time.Millisecond
	r.Created, _ = time.Parse(time.RFC3339Nano, created)
	return r, true, nil
}

// Count returns the number of stored results.
func (s *Store) Count() (int, error) {
	var n int
	err := s.db.QueryRow(`SELECT COUNT(*) FROM results`).Scan(&n)
	return n, err
}

func compress(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	if _, err := w.Write(b); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decompress(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("store: corrupt compressed body: %w", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("store: corrupt compressed body: %w", err)
	}
	return out, nil
}
