package postgres

import (
	"context"
	"strconv"
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
	name    string // canonical schema.name (qualified), for messages and policies
	schema  string // the schema's name, as the catalog has it
	rel     string // the table's name, as the catalog has it
	ident   string // quoted, schema-qualified, for SQL
	refused string // why a view may not be used: it reads a schema the connector may not reach
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

// parseTable parses a table name in SQL's syntax: name or schema.name,
// each part an unquoted identifier (ASCII letters, digits, _ and $, not
// starting with a digit or $), folded to lower case as PostgreSQL folds
// it, or a double-quoted identifier, exact, with "" standing for one ".
// Nothing else is accepted: no spaces, no third part, no U&"..." form,
// no name longer than 63 bytes (PostgreSQL would truncate it and so reach
// another name). qualified says a schema was given.
func parseTable(s string) (schema, rel string, qualified bool, problem string) {
	var parts []string
	for i := 0; ; {
		part, n, problem := parseIdent(s[i:])
		if problem != "" {
			return "", "", false, problem
		}
		parts = append(parts, part)
		i += n
		if i == len(s) {
			break
		}
		if s[i] != '.' {
			return "", "", false, "a name ends at an unexpected " + strconv.QuoteRune(rune(s[i]))
		}
		if len(parts) == 2 {
			return "", "", false, "a table name has at most two parts, schema.name"
		}
		i++
	}
	if len(parts) == 1 {
		return "", parts[0], false, ""
	}
	return parts[0], parts[1], true, ""
}

// parseIdent reads one identifier at the start of s and returns it and
// the bytes it took.
func parseIdent(s string) (name string, n int, problem string) {
	if s == "" {
		return "", 0, "a part of the name is empty"
	}
	if s[0] == '"' {
		var b strings.Builder
		for i := 1; i < len(s); i++ {
			if s[i] != '"' {
				b.WriteByte(s[i])
				continue
			}
			if i+1 < len(s) && s[i+1] == '"' {
				b.WriteByte('"')
				i++
				continue
			}
			name = b.String()
			if !validName(name) {
				return "", 0, "a quoted identifier must hold 1 to 63 bytes of UTF-8 without NUL"
			}
			return name, i + 1, ""
		}
		return "", 0, "a quoted identifier has no closing quote"
	}
	i := 0
	for i < len(s) && (s[i] == '_' || 'a' <= s[i] && s[i] <= 'z' || 'A' <= s[i] && s[i] <= 'Z' || i > 0 && ('0' <= s[i] && s[i] <= '9' || s[i] == '$')) {
		i++
	}
	if i == 0 {
		return "", 0, "an unquoted identifier starts with a letter or _ (quote other names: \"My Table\")"
	}
	if i > maxNameLen {
		return "", 0, "an identifier is longer than 63 bytes"
	}
	return strings.ToLower(s[:i]), i, ""
}

// quoteIdent renders a name so that parseTable reads it back: bare when
// it is a folded unquoted identifier, else double-quoted.
func quoteIdent(s string) string {
	bare := s != "" && !('0' <= s[0] && s[0] <= '9') && s[0] != '$'
	for i := 0; bare && i < len(s); i++ {
		c := s[i]
		bare = c == '_' || c == '$' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9'
	}
	if bare {
		return s
	}
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// validName reports whether s can be a PostgreSQL identifier as is: 1 to
// 63 bytes of UTF-8 without NUL.
func validName(s string) bool {
	return s != "" && len(s) <= maxNameLen && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

// systemSchema reports whether s is one of PostgreSQL's own schemas
// (pg_catalog, information_schema, pg_toast, pg_temp_N...): every pg_
// name is reserved for the system.
func systemSchema(s string) bool {
	return s == "information_schema" || strings.HasPrefix(s, "pg_")
}

// qualified is a table's canonical name, schema.name, each part as
// quoteIdent renders it.
func qualified(schema, rel string) string { return quoteIdent(schema) + "." + quoteIdent(rel) }

// tableKey keys the allowlist and the cache; NUL cannot be in a name.
func tableKey(schema, rel string) string { return schema + "\x00" + rel }

// schemaFor is the schema a parsed name means: its own, or the default.
func (c *Connector) schemaFor(schema string, qualified bool) string {
	if qualified {
		return schema
	}
	return c.defaultSchema
}

// reachable says why the connector may not reach schema, or "" when it
// may.
func (c *Connector) reachable(schema string) string {
	switch {
	case systemSchema(schema):
		return "schema " + quote(schema) + " is a system schema"
	case c.reserved[schema]:
		return "schema " + quote(schema) + " holds Enact's own records (the receipt store), which no action may reach"
	case !c.schemas[schema]:
		return "schema " + quote(schema) + " is not among the schemas the postgres connector may reach (" + strings.Join(c.schemaList, ", ") + ")"
	}
	return ""
}

// resolve finds a table and checks that every named column exists and is
// allowed.
func (c *Connector) resolve(ctx context.Context, name string, columns ...string) (*table, error) {
	schema, rel, isQualified, problem := parseTable(name)
	if problem != "" {
		return nil, invalid("%s is not a table name: %s", quote(name), problem)
	}
	schema = c.schemaFor(schema, isQualified)
	if why := c.reachable(schema); why != "" {
		return nil, invalid("table %s: %s", quote(name), why)
	}
	key := tableKey(schema, rel)
	var allowed map[string]bool
	if c.allow != nil {
		var ok bool
		if allowed, ok = c.allow[key]; !ok {
			return nil, invalid("table %s is not in the postgres allowlist (it names %s)", quote(name), qualified(schema, rel))
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
	t := c.cache[key]
	c.mu.Unlock()
	for reloaded := false; ; reloaded = true {
		if t == nil || time.Since(t.loaded) > cacheTTL || reloaded {
			var err error
			if t, err = c.load(ctx, schema, rel, allowed); err != nil {
				return nil, err
			}
			if t == nil {
				return nil, invalid("table %s does not exist (it names %s)", quote(name), qualified(schema, rel))
			}
		}
		if t.refused != "" {
			return nil, invalid("table %s: %s", quote(name), t.refused)
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
		name:   qualified(schema, rel),
		schema: schema,
		rel:    rel,
		ident:  pgx.Identifier{schema, rel}.Sanitize(),
		byName: map[string]*column{},
		loaded: time.Now(),
	}
	var (
		oid     uint32
		relkind string
	)
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
		relkind = kind
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
	if relkind == "v" || relkind == "m" {
		// A view runs with its owner's rights: one over a schema the
		// connector may not reach would reach it.
		if t.refused, err = c.viewReaches(ctx, oid); err != nil {
			return nil, err
		}
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
	c.cache[tableKey(schema, rel)] = t
	c.mu.Unlock()
	return t, nil
}

// viewReaches follows a view's rewrite rules, through views over views,
// to every relation its query reads (each range-table entry of the stored
// query tree: pg_depend does not record the system catalogs, so it would
// miss a view over pg_authid), and says which one is in a schema the
// connector may not reach ("" when none is). Functions a view calls are
// not followed: what they read is the view owner's design.
func (c *Connector) viewReaches(ctx context.Context, oid uint32) (string, error) {
	rows, err := c.pool.Query(ctx, `
WITH RECURSIVE deps(oid) AS (
	SELECT $1::pg_catalog.oid
	UNION
	SELECT m[1]::pg_catalog.oid
	  FROM deps
	  JOIN pg_catalog.pg_rewrite r ON r.ev_class = deps.oid,
	       LATERAL pg_catalog.regexp_matches(r.ev_action::text, ':relid ([0-9]+)', 'g') AS m
)
SELECT DISTINCT n.nspname::text, c.relname::text
  FROM deps
  JOIN pg_catalog.pg_class c ON c.oid = deps.oid
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
 ORDER BY 1, 2`, oid)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var schema, rel string
		if err := rows.Scan(&schema, &rel); err != nil {
			return "", err
		}
		if why := c.reachable(schema); why != "" {
			return "it is a view that reads " + qualified(schema, rel) + ", and " + why, nil
		}
	}
	return "", rows.Err()
}
