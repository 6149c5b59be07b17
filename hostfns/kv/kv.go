// Package kv is a connector for a small key-value store embedded in the
// runner (SQLite, one file under $ENACT_HOME). It lets capabilities keep
// state between runs — counters, cursors, what was already done — through
// the gate, so every write is policy-checked and recorded like any other
// action.
//
// Actions (arguments and results are JSON Schemas in Actions):
//
//	kv.get    {namespace?, key}                 → {found, key, value?, version}
//	kv.put    {namespace?, key, value, if_version?} → {key, version}
//	kv.delete {namespace?, key}                 → {deleted, key}
//	kv.list   {namespace?, prefix?, limit?}     → {items: [{key, version}], truncated}
//
// put is check-before-act: writing the value a key already holds changes
// nothing and answers already_existed, so a retried run never bumps a
// version twice. if_version makes a put conditional (0: the key must not
// exist); a mismatch is a conflict. delete of a missing key answers
// already_existed. Versions start at 1 and grow by one per change.
//
// Check (hostfns.Checker) makes the same lookup without writing: a put has
// taken effect when the key holds the value (compared as put compares it,
// whatever the version), a delete when the key is absent.
//
// # Namespaces belong to capabilities
//
// Every capability has namespaces of its own: the namespace a call names
// ("default" when it names none) lives inside the namespace of the run's
// capability id (hostfns.CallOptions.Capability), so one capability can
// neither read nor change, nor even list, what another keeps, however it
// spells the namespace. A namespace is shared only where the operator says
// so (WithShared, from the policy's kv.shared section): the capabilities
// listed for a shared namespace all see the one same namespace under that
// name, and every other capability still sees a namespace of its own by
// that name.
//
// Stored rows name their namespace "cap:<capability id>/<namespace>" or
// "shared:<namespace>". Rows written before namespaces were per
// capability have the bare namespace and are reachable by no run; an
// operator who wants a capability to keep them renames them:
//
//	UPDATE kv SET namespace = 'cap:' || 'CAPABILITY-ID' || '/' || namespace WHERE namespace NOT LIKE '%:%';
package kv

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	_ "modernc.org/sqlite" // database/sql driver "sqlite"

	"github.com/enact-run/enact/hostfns"
)

// Store is the kv connector. It is safe for concurrent use, and several
// processes may share one file.
type Store struct {
	db *sql.DB
	// shared maps a shared namespace to the capability ids that share it.
	shared map[string]map[string]bool
}

// Share is a namespace several capabilities share (policy.KVShare).
type Share struct {
	Namespace    string
	Capabilities []string
}

// WithShared returns a view of the store in which the listed capabilities
// share the listed namespaces; every other namespace stays the
// capability's own. The view uses the same database: closing either
// closes both.
func (s *Store) WithShared(shares []Share) *Store {
	v := &Store{db: s.db, shared: map[string]map[string]bool{}}
	for _, sh := range shares {
		if v.shared[sh.Namespace] == nil {
			v.shared[sh.Namespace] = map[string]bool{}
		}
		for _, c := range sh.Capabilities {
			v.shared[sh.Namespace][c] = true
		}
	}
	return v
}

// space is where a capability's namespace lives in the table.
func (s *Store) space(capability, namespace string) string {
	if s.shared[namespace][capability] {
		return "shared:" + namespace
	}
	// A namespace has no '/', so the last one splits the name one way.
	return "cap:" + capability + "/" + namespace
}

// Open opens (creating if needed) the store in the SQLite file at path.
func Open(path string) (*Store, error) {
	dsn := "file:" + path + "?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("kv: open %s: %w", path, err)
	}
	// Several processes may open one new file at once (runs sharing a
	// home): switching it to WAL takes an exclusive lock, and SQLite
	// answers SQLITE_BUSY at once for some of those waits instead of
	// calling the busy handler. Such a refusal is retried for up to the
	// busy timeout; any other error is returned as it is.
	for wait, deadline := 10*time.Millisecond, time.Now().Add(5*time.Second); ; wait = min(2*wait, 200*time.Millisecond) {
		_, err = db.Exec(`CREATE TABLE IF NOT EXISTS kv (
		namespace TEXT NOT NULL,
		key       TEXT NOT NULL,
		value     BLOB NOT NULL,
		version   INTEGER NOT NULL,
		updated   TEXT NOT NULL,
		PRIMARY KEY (namespace, key))`)
		if err == nil || !busy(err) || time.Now().After(deadline) {
			break
		}
		time.Sleep(wait)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("kv: prepare %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// busy reports whether err is SQLite's "database is locked" (SQLITE_BUSY).
func busy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// Close closes the store.
func (s *Store) Close() error { return s.db.Close() }

// Name implements hostfns.Connector.
func (s *Store) Name() string { return "kv" }

const (
	keySchema = `{"type": "string", "minLength": 1, "maxLength": 256}`
	nsSchema  = `{"type": "string", "pattern": "^[A-Za-z0-9_.-]{1,64}$", "default": "default"}`
)

// Actions implements hostfns.Connector.
func (s *Store) Actions() []hostfns.ActionSpec {
	obj := func(props, required string) json.RawMessage {
		return json.RawMessage(`{"type": "object", "additionalProperties": false, "properties": {` + props + `}, "required": [` + required + `]}`)
	}
	return []hostfns.ActionSpec{
		{
			Name: "get", Description: "Read a key.",
			Args:   obj(`"namespace": `+nsSchema+`, "key": `+keySchema, `"key"`),
			Result: obj(`"found": {"type": "boolean"}, "key": {"type": "string"}, "value": {}, "version": {"type": "integer"}`, `"found", "key", "version"`),
		},
		{
			Name: "put", Description: "Write a JSON value under a key; a no-op when the key already holds it.", Mutating: true,
			Args:   obj(`"namespace": `+nsSchema+`, "key": `+keySchema+`, "value": {}, "if_version": {"type": "integer", "minimum": 0}`, `"key", "value"`),
			Result: obj(`"key": {"type": "string"}, "version": {"type": "integer"}`, `"key", "version"`),
		},
		{
			Name: "delete", Description: "Delete a key; a no-op when it is absent.", Mutating: true,
			Args:   obj(`"namespace": `+nsSchema+`, "key": `+keySchema, `"key"`),
			Result: obj(`"deleted": {"type": "boolean"}, "key": {"type": "string"}`, `"deleted", "key"`),
		},
		{
			Name: "list", Description: "List keys, optionally by prefix, in key order.",
			Args:   obj(`"namespace": `+nsSchema+`, "prefix": {"type": "string", "maxLength": 256}, "limit": {"type": "integer", "minimum": 1, "maximum": 1000}`, ``),
			Result: obj(`"items": {"type": "array"}, "truncated": {"type": "boolean"}`, `"items", "truncated"`),
		},
	}
}

// MaxValueBytes bounds a stored value's JSON encoding.
const MaxValueBytes = 256 << 10

type args struct {
	Namespace string `json:"namespace"`
	// space is the namespace as stored (Store.space).
	space     string
	Key       string          `json:"key"`
	Value     json.RawMessage `json:"value"`
	IfVersion *int64          `json:"if_version"`
	Prefix    string          `json:"prefix"`
	Limit     int             `json:"limit"`
}

// Call implements hostfns.Connector.
func (s *Store) Call(ctx context.Context, action string, raw json.RawMessage, opts hostfns.CallOptions) (hostfns.Outcome, error) {
	a, err := s.decodeArgs(raw, opts)
	if err != nil {
		return hostfns.Outcome{}, err
	}
	var (
		res     any
		existed bool
	)
	switch action {
	case "get":
		res, err = s.get(ctx, a)
	case "put":
		res, existed, err = s.put(ctx, a)
	case "delete":
		res, existed, err = s.delete(ctx, a)
	case "list":
		res, err = s.list(ctx, a)
	default:
		return hostfns.Outcome{}, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action kv." + action}
	}
	if err != nil {
		return hostfns.Outcome{}, connectorError(ctx, err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return hostfns.Outcome{}, err
	}
	return hostfns.Outcome{Result: b, AlreadyExisted: existed}, nil
}

func (s *Store) decodeArgs(raw json.RawMessage, opts hostfns.CallOptions) (args, error) {
	var a args
	if err := json.Unmarshal(raw, &a); err != nil {
		return a, &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: err.Error()}
	}
	if a.Namespace == "" {
		a.Namespace = "default"
	}
	if strings.Contains(a.Namespace, "/") {
		return a, &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: fmt.Sprintf("namespace %q: '/' is not allowed", a.Namespace)}
	}
	a.space = s.space(opts.Capability, a.Namespace)
	return a, nil
}

// connectorError gives a failure its stable code.
func connectorError(ctx context.Context, err error) error {
	var ce *hostfns.ConnectorError
	if errors.As(err, &ce) {
		return err
	}
	if ctx.Err() != nil {
		return &hostfns.ConnectorError{Code: hostfns.CodeTimeout, Message: ctx.Err().Error()}
	}
	return &hostfns.ConnectorError{Code: hostfns.CodeUnavailable, Message: err.Error()}
}

// Check implements hostfns.Checker: a put has taken effect when the key
// holds the value, a delete when the key is absent. It only reads.
func (s *Store) Check(ctx context.Context, action string, raw json.RawMessage, opts hostfns.CallOptions) (hostfns.CheckResult, error) {
	switch action {
	case "put", "delete":
	case "get", "list":
		return hostfns.CheckResult{}, &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: "kv." + action + " changes nothing: there is no effect to check"}
	default:
		return hostfns.CheckResult{}, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action kv." + action}
	}
	a, err := s.decodeArgs(raw, opts)
	if err != nil {
		return hostfns.CheckResult{}, err
	}
	var value []byte
	if action == "put" {
		if value, err = putValue(a); err != nil {
			return hostfns.CheckResult{}, err
		}
	}
	cur, err := lookup(ctx, s.db, a)
	if err != nil {
		return hostfns.CheckResult{}, connectorError(ctx, err)
	}
	where := fmt.Sprintf("kv key %q in namespace %q", a.Key, a.Namespace)
	var (
		performed bool
		res       any
		evidence  string
	)
	switch {
	case action == "delete" && !cur.found():
		performed, res, evidence = true, deleteResult(a.Key, false), where+" is absent"
	case action == "delete":
		evidence = fmt.Sprintf("%s is present (version %d)", where, cur.version)
	case cur.holds(value):
		performed, res, evidence = true, putResult(a.Key, cur.version), fmt.Sprintf("%s holds the value (version %d)", where, cur.version)
	case cur.found():
		evidence = fmt.Sprintf("%s holds another value (version %d)", where, cur.version)
	default:
		evidence = where + " is absent"
	}
	out := hostfns.CheckResult{Performed: performed, Evidence: evidence}
	if performed {
		if out.Result, err = json.Marshal(res); err != nil {
			return hostfns.CheckResult{}, err
		}
	}
	return out, nil
}

// entry is what a key holds; version 0 when it is absent.
type entry struct {
	value   []byte
	version int64
}

func (e entry) found() bool { return e.version > 0 }

// holds reports whether the key holds value (canonical JSON): put's
// check-before-act.
func (e entry) holds(value []byte) bool { return e.found() && string(e.value) == string(value) }

// queryer is the database or a transaction.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// lookup reads what a key holds: the lookup behind put's
// check-before-act, get and Check.
func lookup(ctx context.Context, q queryer, a args) (entry, error) {
	var e entry
	err := q.QueryRowContext(ctx, `SELECT value, version FROM kv WHERE namespace = ? AND key = ?`, a.space, a.Key).Scan(&e.value, &e.version)
	if errors.Is(err, sql.ErrNoRows) {
		return entry{}, nil
	}
	return e, err
}

func putResult(key string, version int64) map[string]any {
	return map[string]any{"key": key, "version": version}
}

func deleteResult(key string, deleted bool) map[string]any {
	return map[string]any{"deleted": deleted, "key": key}
}

func (s *Store) get(ctx context.Context, a args) (any, error) {
	e, err := lookup(ctx, s.db, a)
	if err != nil {
		return nil, err
	}
	if !e.found() {
		return map[string]any{"found": false, "key": a.Key, "version": 0}, nil
	}
	return map[string]any{"found": true, "key": a.Key, "value": json.RawMessage(e.value), "version": e.version}, nil
}

// canonical re-encodes a JSON value so equal values have equal bytes
// (object keys sorted, no insignificant space).
func canonical(v json.RawMessage) ([]byte, error) {
	var x any
	dec := json.NewDecoder(strings.NewReader(string(v)))
	dec.UseNumber()
	if err := dec.Decode(&x); err != nil {
		return nil, &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: "value: " + err.Error()}
	}
	return json.Marshal(x)
}

// putValue is put's value, canonical and within MaxValueBytes.
func putValue(a args) ([]byte, error) {
	if len(a.Value) == 0 {
		return nil, &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: "value is required"}
	}
	value, err := canonical(a.Value)
	if err != nil {
		return nil, err
	}
	if len(value) > MaxValueBytes {
		return nil, &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: fmt.Sprintf("value is %d bytes; the limit is %d", len(value), MaxValueBytes)}
	}
	return value, nil
}

func (s *Store) put(ctx context.Context, a args) (any, bool, error) {
	value, err := putValue(a)
	if err != nil {
		return nil, false, err
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	cur, err := lookup(ctx, tx, a)
	if err != nil {
		return nil, false, err
	}
	version := cur.version
	if a.IfVersion != nil && *a.IfVersion != version {
		// A retry of a conditional put that already happened finds the
		// value it wrote: that is not a conflict.
		if !(version == *a.IfVersion+1 && cur.holds(value)) {
			return nil, false, &hostfns.ConnectorError{Code: hostfns.CodeConflict, Message: fmt.Sprintf("key %q is at version %d, not %d", a.Key, version, *a.IfVersion)}
		}
	}
	if cur.holds(value) {
		return putResult(a.Key, version), true, nil
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	if _, err := tx.ExecContext(ctx, `INSERT INTO kv (namespace, key, value, version, updated) VALUES (?, ?, ?, 1, ?)
		ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, version = kv.version + 1, updated = excluded.updated`,
		a.space, a.Key, value, now); err != nil {
		return nil, false, err
	}
	if err := tx.Commit(); err != nil {
		return nil, false, err
	}
	return putResult(a.Key, version+1), false, nil
}

func (s *Store) delete(ctx context.Context, a args) (any, bool, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM kv WHERE namespace = ? AND key = ?`, a.space, a.Key)
	if err != nil {
		return nil, false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return nil, false, err
	}
	return deleteResult(a.Key, n > 0), n == 0, nil
}

func (s *Store) list(ctx context.Context, a args) (any, error) {
	limit := a.Limit
	if limit <= 0 {
		limit = 100
	}
	// Keys are compared as text; the prefix range avoids LIKE's wildcards.
	rows, err := s.db.QueryContext(ctx, `SELECT key, version FROM kv WHERE namespace = ? AND key >= ? AND substr(key, 1, ?) = ? ORDER BY key LIMIT ?`,
		a.space, a.Prefix, utf8.RuneCountInString(a.Prefix), a.Prefix, limit+1)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	items := []map[string]any{}
	for rows.Next() {
		var key string
		var version int64
		if err := rows.Scan(&key, &version); err != nil {
			return nil, err
		}
		items = append(items, map[string]any{"key": key, "version": version})
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	truncated := len(items) > limit
	if truncated {
		items = items[:limit]
	}
	return map[string]any{"items": items, "truncated": truncated}, nil
}

var (
	_ hostfns.Connector = (*Store)(nil)
	_ hostfns.Checker   = (*Store)(nil)
)
