package postgres

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
)

// What the connector knows of a table is cached for cacheTTL; a name it
// does not know sends it back to the catalog (at most every reloadAfter
// for a table it knows), so a new table or column is seen at once.
const (
	cacheTTL    = 30 * time.Second
	reloadAfter = time.Second
	maxCached   = 1024
	maxNameLen  = 63 // PostgreSQL's NAMEDATALEN - 1; longer names are truncated by the server
)

// table is a relation found in the catalog, with the columns the
// allowlist allows.
type table struct {
	name    string // schema.name, for messages
	ident   string // quoted, schema-qualified
	table   bool   // a table or partitioned table, not a view or a foreign table
	cols    []*column
	byName  map[string]*column // every column, allowed or not
	primary []string           // primary key columns, empty when none
	unique  [][]string         // key columns of the unique indexes, primary first
	loaded  time.Time
}

type colKind int

const (
	kindPlain colKind = iota
	kindInt
	kindJSON
	kindJSONB
)

type column struct {
	name    string
	ident   string // quoted
	typ     string // as format_type renders it
	kind    colKind
	allowed bool
}

// splitTable parses "name" or "schema.name" (split at the first dot).
func splitTable(s string) (schema, rel string, ok bool) {
	schema, rel = "public", s
	if i := strings.IndexByte(s, '.'); i >= 0 {
		schema, rel = s[:i], s[i+1:]
	}
	return schema, rel, validName(schema) && validName(rel)
}

// validName reports whether s can be a PostgreSQL identifier as is: 1 to
// 63 bytes of UTF-8 without NUL.
func validName(s string) bool {
	return s != "" && len(s) <= maxNameLen && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func systemSchema(s string) bool {
	return s == "pg_catalog" || s == "information_schema" || strings.HasPrefix(s, "pg_toast") || strings.HasPrefix(s, "pg_temp")
}

// resolve finds a table and checks that every named column exists and is
// allowed.
func (c *Connector) resolve(ctx context.Context, name string, columns ...string) (*table, error) {
	schema, rel, ok := splitTable(name)
	if !ok {
		return nil, invalid("%s is not a table name", quote(name))
	}
	if systemSchema(schema) {
		return nil, invalid("table %s is in a system schema", quote(name))
	}
	full := schema + "." + rel
	var allowed map[string]bool
	if c.allow != nil {
		if allowed, ok = c.allow[full]; !ok {
			return nil, invalid("table %s is not in the postgres allowlist", quote(name))
		}
	}
	for _, col := range columns {
		if !validName(col) {
			return nil, invalid("%s is not a column name", quote(col))
		}
		if allowed != nil && !allowed[col] {
			return nil, invalid("column %s of table %s is not in the postgres allowlist", quote(col), quote(name))
		}
	}
	c.mu.Lock()
	t := c.cache[full]
	c.mu.Unlock()
	for reloaded := false; ; reloaded = true {
		if t == nil || time.Since(t.loaded) > cacheTTL || reloaded {
			var err error
			if t, err = c.load(ctx, schema, rel, allowed); err != nil {
				return nil, err
			}
			if t == nil {
				return nil, invalid("table %s does not exist", quote(name))
			}
		}
		missing := ""
		for _, col := range columns {
			if t.byName[col] == nil {
				missing = col
				break
			}
		}
		if missing == "" {
			return t, nil
		}
		if reloaded || time.Since(t.loaded) < reloadAfter {
			return nil, invalid("table %s has no column %s", quote(name), quote(missing))
		}
	}
}

// load reads a relation's columns and unique keys from the catalog; nil
// when there is no such relation.
func (c *Connector) load(ctx context.Context, schema, rel string, allowed map[string]bool) (*table, error) {
	rows, err := c.pool.Query(ctx, `
SELECT c.oid, c.relkind::text, a.attnum, a.attname::text, format_type(a.atttypid, a.atttypmod),
       CASE WHEN ty.typtype = 'd' THEN (SELECT b.typname::text FROM pg_catalog.pg_type b WHERE b.oid = ty.typbasetype)
            ELSE ty.typname::text END
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
  JOIN pg_catalog.pg_type ty ON ty.oid = a.atttypid
 WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
   AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY a.attnum`, schema, rel)
	if err != nil {
		return nil, err
	}
	t := &table{
		name:   schema + "." + rel,
		ident:  pgx.Identifier{schema, rel}.Sanitize(),
		byName: map[string]*column{},
		loaded: time.Now(),
	}
	var oid uint32
	names := map[int16]string{}
	for rows.Next() {
		var (
			kind, name, typ, base string
			num                   int16
		)
		if err := rows.Scan(&oid, &kind, &num, &name, &typ, &base); err != nil {
			rows.Close()
			return nil, err
		}
		t.table = kind == "r" || kind == "p"
		col := &column{name: name, ident: pgx.Identifier{name}.Sanitize(), typ: typ, allowed: allowed == nil || allowed[name]}
		switch base {
		case "int2", "int4", "int8":
			col.kind = kindInt
		case "json":
			col.kind = kindJSON
		case "jsonb":
			col.kind = kindJSONB
		}
		names[num] = name
		t.byName[name] = col
		if col.allowed {
			t.cols = append(t.cols, col)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(t.byName) == 0 {
		return nil, nil
	}
	// The key columns (not INCLUDE columns) of valid, total, plain-column
	// unique indexes.
	rows, err = c.pool.Query(ctx, `
SELECT i.indisprimary, i.indkey::int2[], i.indnkeyatts
  FROM pg_catalog.pg_index i
 WHERE i.indrelid = $1 AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
 ORDER BY i.indisprimary DESC, i.indexrelid`, oid)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			primary bool
			keys    []int16
			n       int16
		)
		if err := rows.Scan(&primary, &keys, &n); err != nil {
			return nil, err
		}
		if int(n) > len(keys) {
			continue
		}
		var cols []string
		for _, k := range keys[:n] {
			if names[k] == "" {
				cols = nil
				break
			}
			cols = append(cols, names[k])
		}
		if len(cols) == 0 {
			continue
		}
		if primary {
			t.primary = cols
		}
		t.unique = append(t.unique, cols)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.cache) >= maxCached {
		clear(c.cache)
	}
	c.cache[schema+"."+rel] = t
	c.mu.Unlock()
	return t, nil
}
