// Package postgres is the connector for PostgreSQL (pgx/v5 with pgxpool).
// It lets capabilities read and write rows of tables the operator allows,
// through the gate, with check-before-act on every write.
//
// # Actions
//
// Arguments and results are JSON objects; Actions returns their exact JSON
// Schemas (draft 2020-12). Shapes, with ? for optional:
//
//	postgres.insert_row  {table, values: {col: v, ...}, unique_by?: [col, ...]}
//	                     → {inserted: bool, row: {...}, rows_affected: 0|1}
//	postgres.update_row  {table, values: {col: v, ...}, where: {col: v, ...}}
//	                     → {rows_affected, rows: [{...}, ...]}
//	postgres.delete_row  {table, where: {col: v, ...}}
//	                     → {rows_affected}
//	postgres.select_rows {table, where?, columns?: [col, ...], order_by?: [col | {column, desc?}, ...], limit?}
//	                     → {rows: [{...}, ...], truncated: bool}
//	postgres.count_rows  {table, where?}
//	                     → {count}
//
// select_rows and count_rows are read-only (they run in a READ ONLY
// transaction); count_rows is the lookup behind the policy fact
// postgres.rows_matching. The others are mutating.
//
// table names a table (or view) in SQL's syntax; see Names. Column names
// (the keys of values and where, columns, order_by, unique_by) are the
// catalog's names exactly, the keys rows come back with: no folding, no
// quoting. A where is a mapping column → value: equality, AND-ed; a null value
// means IS NULL. update_row and delete_row require a non-empty where, and
// refuse (invalid_args) a where that matches more than Config.MaxRows rows
// before changing anything. select_rows returns at most limit rows
// (default and maximum MaxRows; truncated says more matched); without
// order_by it orders by the primary key. A row in a result is a JSON
// object of the table's columns (those the allowlist allows), as
// PostgreSQL's row_to_json renders them.
//
// Values: JSON null is NULL; for json and jsonb columns any JSON value is
// stored as that JSON; for other columns strings, numbers and booleans are
// sent as text and PostgreSQL converts them to the column's type (an
// integral number such as 3.0 or 1e3 is accepted for integer columns);
// objects and arrays go only into json and jsonb columns.
//
// # Names
//
// A table is name or schema.name, each part an unquoted identifier
// (ASCII letters, digits, _ and $; not starting with a digit or $),
// which PostgreSQL's rule folds to lower case, or a double-quoted one,
// taken exactly ("" is a quote). So Audit_Log, AUDIT_LOG and
// "audit_log" are one table, audit_log, and "Audit_Log" is another.
// Anything else is refused: spaces, a third part, U&"..." names, and
// names over 63 bytes, which PostgreSQL would truncate into another name.
// An unqualified name means the default schema (the first of
// Config.Schemas, public by default), never what a search_path would find.
//
// Reach: a table must be in one of Config.Schemas (by default public, plus
// the schemas Config.Tables names), and in Config.Tables when that is set.
// System schemas (pg_catalog, information_schema, pg_toast, pg_temp and
// every other pg_* name) and the reserved schemas (ReservedSchema, the
// receipt store's "enact", and Config.Reserved) are never reachable; New
// refuses a configuration that lists them. A view (or materialized view)
// that reads, directly or through other views, a relation in a schema the
// connector may not reach is refused too: it runs with its owner's
// rights. Functions called by views, triggers and defaults, and what a
// foreign table maps to, are not followed: they are the database owner's
// design. The connector's
// sessions run with search_path = pg_catalog, <default schema>, pg_temp
// whatever the DSN or the role says, and every statement names its
// relations schema-qualified.
//
// New asks which privileges the connector's role holds on the reserved
// schemas and their relations (superuser, USAGE, CREATE, any table
// privilege) and reports them as Warnings, or refuses to start with
// Config.StrictPrivileges: the connector never reaches them, but a role
// that can is one bug away from letting a capability read other actors'
// stored outputs or plant a forged run key. Give it a role of its own.
//
// What policies see: the connector is a hostfns.Resolver. Before the
// policy runs, Resolve looks the table and columns up (every check above
// applies) and gives the gate the arguments with table in its canonical
// spelling, the bare name for the default schema (audit_log) and
// schema.name otherwise (archive.audit_log), each part quoted only when it
// must be ("Audit_Log"), and the target {"table": "public.audit_log" (always
// qualified), "schema": "public", "name": "audit_log" (the catalog's
// names), "columns": [the columns the arguments name, sorted]}. So a rule
// on action.args.table written with the unqualified name matches every
// spelling of that table of the default schema, and action.target
// matches whatever the schema. The receipt records the target.
//
// # Check-before-act
//
// A retried write never repeats its effect; the gate's reply then carries
// already_existed:
//
//   - insert_row looks for a row with the same natural key and, when one
//     exists, answers already_existed with that row (inserted: false)
//     instead of inserting. The natural key is unique_by when given, else
//     the primary key or the first unique constraint whose columns all have
//     non-null values in values, else all of values. The insert itself is
//     INSERT … ON CONFLICT DO NOTHING (a plain INSERT into a view), so a
//     concurrent insert of the same key is found, not duplicated; a
//     conflict on another unique constraint is a conflict error.
//     Concurrent inserts of a natural key that no unique constraint
//     covers are serialised with a transaction advisory lock (class
//     0x656e6163, "enac").
//   - update_row changes only matched rows that do not already hold the
//     values; when every matched row holds them it answers already_existed
//     (rows_affected 0). rows lists every matched row as it now is. A
//     where that matches nothing answers rows_affected 0, not
//     already_existed, except for the retry of an update that changed a
//     column its where tests: where {id: 7, status: "new"} with values
//     {status: "done"} then finds the rows matching the where's other
//     columns that hold the values ({id: 7, status: "done"}) and answers
//     already_existed with them.
//   - delete_row matching nothing answers already_existed.
//
// Check (hostfns.Checker) answers, for recovery, whether a write has taken
// effect, without writing: it makes the same lookup, in a READ ONLY
// transaction, and finds the effect exactly when a retry would answer
// already_existed (a delete_row whose where matches nothing, for one).
//
// # Safety
//
// Table and column names are looked up in the database catalog
// (pg_catalog: tables, partitioned tables, views, materialized views and
// foreign tables, in the schemas the connector may reach; see Names) and
// in Config.Tables when set, then quoted with pgx.Identifier; values are
// always bound parameters. No argument is ever spliced into SQL text. What the catalog
// says of a table is cached for 30 seconds; a column the cache does not
// know sends the connector back to the catalog. Errors have stable codes:
// unknown table or column, bad values and constraint violations other than
// uniqueness → invalid_args (naming the table or column); unique violation
// → conflict; permission denied and failed authentication → unauthorized;
// unreachable or lost connection → unavailable; the context's deadline or
// cancellation → timeout. A serialization failure is retried once (the
// only retry: it is the only failure known to have changed nothing). The
// DSN and its password never appear in an error or a result, and nothing
// is logged.
package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/enact-run/enact/hostfns"
)

// DefaultMaxRows is Config.MaxRows when it is zero.
const DefaultMaxRows = 1000

// ReservedSchema is the schema of Enact's own receipt store
// (receipts.PostgresSchema). The connector never reaches it, whatever the
// configuration.
const ReservedSchema = "enact"

// Config configures a Connector. Its zero value (plus a DSN) is usable:
// every table of schema public the role can reach, DefaultMaxRows.
type Config struct {
	// DSN is a postgres:// URL or keyword=value connection string,
	// credentials included. It never appears in errors.
	DSN string
	// Schemas are the schemas whose tables actions may reach. The first
	// is the default schema: the one an unqualified name means. When nil:
	// public, then the other schemas Tables names (in name order). System
	// schemas (pg_*, information_schema), ReservedSchema and Reserved may
	// not be listed.
	Schemas []string
	// Tables, when not nil, is the allowlist: table (a name as actions
	// give it, see the package doc; unqualified means the default schema)
	// → the columns actions may touch (write, test in a where, order by,
	// read back). Tables and columns outside it do not exist for the
	// connector. An empty column list allows no column. The policy file's
	// postgres.tables section (policy.Policy.PostgresTables) has this
	// shape.
	Tables map[string][]string
	// Reserved are further schemas no action may reach, whatever Schemas
	// and Tables say (ReservedSchema always is).
	Reserved []string
	// StrictPrivileges makes New fail when the connector's role holds any
	// privilege on a reserved schema or on a relation in it; without it
	// New succeeds and Warnings reports them.
	StrictPrivileges bool
	// MaxRows bounds the rows one action reads or writes (default
	// DefaultMaxRows).
	MaxRows int
}

// Connector is the postgres connector. It is safe for concurrent use.
type Connector struct {
	pool          *pgxpool.Pool
	allow         map[string]map[string]bool // by tableKey; nil: no allowlist
	schemas       map[string]bool            // reachable schemas
	schemaList    []string                   // the same, in Config order, for messages
	defaultSchema string
	reserved      map[string]bool
	warnings      []string
	maxRows       int
	secrets       []string // redacted from every message

	mu    sync.Mutex
	cache map[string]*table
}

// New connects to the database (and checks that it answers) and returns a
// connector. A failure to connect is a *hostfns.ConnectorError (wrapped)
// with code unavailable, unauthorized or timeout. New then asks the
// database which privileges the connector's role holds on the reserved
// schemas (see Warnings, Config.StrictPrivileges).
func New(ctx context.Context, cfg Config) (*Connector, error) {
	if cfg.MaxRows < 0 {
		return nil, errors.New("postgres: MaxRows must not be negative")
	}
	if cfg.MaxRows == 0 {
		cfg.MaxRows = DefaultMaxRows
	}
	c := &Connector{maxRows: cfg.MaxRows, cache: map[string]*table{}, schemas: map[string]bool{}, reserved: map[string]bool{ReservedSchema: true}}
	if cfg.DSN == "" {
		return nil, errors.New("postgres: no DSN")
	}
	c.secrets = append(c.secrets, cfg.DSN)
	for _, s := range cfg.Reserved {
		if !validName(s) {
			return nil, fmt.Errorf("postgres: reserved schema %s is not a schema name", quote(s))
		}
		c.reserved[s] = true
	}
	addSchema := func(s, what string) error {
		if !validName(s) {
			return fmt.Errorf("postgres: %s: %s is not a schema name", what, quote(s))
		}
		c.schemas[s] = true // marked first, so that reachable names the reason below
		if why := c.reachable(s); why != "" {
			return fmt.Errorf("postgres: %s: %s", what, why)
		}
		if !slices.Contains(c.schemaList, s) {
			c.schemaList = append(c.schemaList, s)
		}
		return nil
	}
	if cfg.Schemas != nil {
		if len(cfg.Schemas) == 0 {
			return nil, errors.New("postgres: Schemas, when set, must name at least one schema")
		}
		for _, s := range cfg.Schemas {
			if err := addSchema(s, "schemas"); err != nil {
				return nil, err
			}
		}
	} else if err := addSchema("public", "schemas"); err != nil {
		return nil, err
	}
	c.defaultSchema = c.schemaList[0]
	if cfg.Tables != nil {
		c.allow = map[string]map[string]bool{}
		var extra []string
		for name := range cfg.Tables {
			if schema, _, q, problem := parseTable(name); problem == "" && q && !c.schemas[schema] && cfg.Schemas == nil {
				extra = append(extra, schema)
			}
		}
		slices.Sort(extra)
		for _, s := range extra {
			if err := addSchema(s, "allowlist"); err != nil {
				return nil, err
			}
		}
		for name, cols := range cfg.Tables {
			schema, rel, q, problem := parseTable(name)
			if problem != "" {
				return nil, fmt.Errorf("postgres: allowlist: %s is not a table name: %s", quote(name), problem)
			}
			schema = c.schemaFor(schema, q)
			if why := c.reachable(schema); why != "" {
				return nil, fmt.Errorf("postgres: allowlist: table %s: %s", quote(name), why)
			}
			key := tableKey(schema, rel)
			if c.allow[key] == nil {
				c.allow[key] = map[string]bool{}
			}
			for _, col := range cols {
				if !validName(col) {
					return nil, fmt.Errorf("postgres: allowlist: %s of table %s is not a column name", quote(col), quote(name))
				}
				c.allow[key][col] = true
			}
		}
	}
	pc, err := pgxpool.ParseConfig(cfg.DSN)
	if err != nil {
		// The parser's messages can quote the DSN: say only what is wrong.
		return nil, errors.New("postgres: the DSN does not parse (want a postgres:// URL or keyword=value pairs)")
	}
	if pw := pc.ConnConfig.Password; len(pw) >= 3 {
		c.secrets = append(c.secrets, pw, url.QueryEscape(pw), url.PathEscape(pw))
	}
	if _, ok := pc.ConnConfig.RuntimeParams["application_name"]; !ok {
		pc.ConnConfig.RuntimeParams["application_name"] = "enact"
	}
	// Every statement names its relations schema-qualified; the session's
	// search_path still holds only the system catalog (first, so that no
	// function or operator elsewhere can shadow a built-in), the default
	// schema (for triggers and defaults that name tables unqualified) and
	// pg_temp last, whatever the DSN or the role's settings say.
	searchPath := "SET search_path = pg_catalog, " + pgx.Identifier{c.defaultSchema}.Sanitize() + ", pg_temp"
	pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
		_, err := conn.Exec(ctx, searchPath)
		return err
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", c.classify(ctx, err))
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", c.classify(ctx, err))
	}
	c.pool = pool
	if err := c.checkPrivileges(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	if cfg.StrictPrivileges && len(c.warnings) > 0 {
		pool.Close()
		return nil, errors.New("postgres: refusing to start: " + strings.Join(c.warnings, "; "))
	}
	return c, nil
}

// Warnings are what New found wrong with the connector's role and did
// not refuse: privileges on a reserved schema (the receipt store's) or on
// relations in it. The connector never names those relations itself, but
// a role that can reach them is one bug away from letting a capability
// read or forge the store's records: give the connector a role of its
// own. Empty when nothing was found.
func (c *Connector) Warnings() []string { return slices.Clone(c.warnings) }

// checkPrivileges fills c.warnings with the privileges the session's role
// holds on the reserved schemas and their relations.
func (c *Connector) checkPrivileges(ctx context.Context) error {
	reserved := make([]string, 0, len(c.reserved))
	for s := range c.reserved {
		reserved = append(reserved, s)
	}
	slices.Sort(reserved)
	rows, err := c.pool.Query(ctx, `
SELECT n.nspname::text, current_user::text,
       (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user),
       pg_catalog.has_schema_privilege(n.oid, 'USAGE'), pg_catalog.has_schema_privilege(n.oid, 'CREATE'),
       coalesce((SELECT pg_catalog.string_agg(c.relname::text, ', ' ORDER BY c.relname)
                   FROM pg_catalog.pg_class c
                  WHERE c.relnamespace = n.oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
                    AND pg_catalog.has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')), '')
  FROM pg_catalog.pg_namespace n
 WHERE n.nspname = ANY($1)
 ORDER BY 1`, reserved)
	if err != nil {
		return fmt.Errorf("postgres: checking the role's privileges on the reserved schemas: %w", c.classify(ctx, err))
	}
	defer rows.Close()
	for rows.Next() {
		var (
			schema, role, tables string
			super, usage, create bool
		)
		if err := rows.Scan(&schema, &role, &super, &usage, &create, &tables); err != nil {
			return fmt.Errorf("postgres: checking the role's privileges: %w", c.classify(ctx, err))
		}
		var held []string
		if super {
			held = append(held, "it is a superuser")
		}
		if usage {
			held = append(held, "USAGE on the schema")
		}
		if create {
			held = append(held, "CREATE on the schema")
		}
		if tables != "" {
			held = append(held, "privileges on its relations "+tables)
		}
		if len(held) > 0 {
			c.warnings = append(c.warnings, fmt.Sprintf("the connector's role %s can reach schema %s, which holds Enact's own records: %s "+
				"(give the connector a role of its own, without privileges there: REVOKE ALL ON SCHEMA %s FROM %s, and on its tables)",
				quote(role), quote(schema), strings.Join(held, "; "), pgx.Identifier{schema}.Sanitize(), pgx.Identifier{role}.Sanitize()))
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("postgres: checking the role's privileges: %w", c.classify(ctx, err))
	}
	return nil
}

// Close closes the connections. Calls in flight fail.
func (c *Connector) Close() { c.pool.Close() }

// Name implements hostfns.Connector.
func (c *Connector) Name() string { return "postgres" }

const (
	tableSchema  = `{"type": "string", "minLength": 1, "maxLength": 127, "description": "table or schema.table (default schema public)"}`
	columnSchema = `{"type": "string", "minLength": 1, "maxLength": 63}`
	rowSchema    = `{"type": "object"}`
)

func obj(props, required string) json.RawMessage {
	return json.RawMessage(`{"type": "object", "additionalProperties": false, "properties": {` + props + `}, "required": [` + required + `]}`)
}

func mapping(minProps int) string {
	return `{"type": "object", "minProperties": ` + strconv.Itoa(minProps) + `, "maxProperties": 1600, "propertyNames": ` + columnSchema + `}`
}

// Actions implements hostfns.Connector.
func (c *Connector) Actions() []hostfns.ActionSpec {
	max := strconv.Itoa(c.maxRows)
	columns := `{"type": "array", "minItems": 1, "maxItems": 1600, "uniqueItems": true, "items": ` + columnSchema + `}`
	orderBy := `{"type": "array", "minItems": 1, "maxItems": 32, "items": {"anyOf": [` + columnSchema +
		`, {"type": "object", "additionalProperties": false, "properties": {"column": ` + columnSchema + `, "desc": {"type": "boolean"}}, "required": ["column"]}]}}`
	rows := `{"type": "array", "maxItems": ` + max + `, "items": ` + rowSchema + `}`
	count := `{"type": "integer", "minimum": 0}`
	return []hostfns.ActionSpec{
		{
			Name:        "insert_row",
			Description: "Insert one row, unless a row with the same natural key (unique_by, else the primary key or a unique constraint, else all values) exists: then answer it, already_existed.",
			Mutating:    true,
			Args:        obj(`"table": `+tableSchema+`, "values": `+mapping(1)+`, "unique_by": `+columns, `"table", "values"`),
			Result:      obj(`"inserted": {"type": "boolean"}, "row": `+rowSchema+`, "rows_affected": {"type": "integer", "minimum": 0, "maximum": 1}`, `"inserted", "row", "rows_affected"`),
		},
		{
			Name:        "update_row",
			Description: "Set values on the rows where matches (column = value, AND-ed; required); rows already holding them are left alone. Refused when where matches more than " + max + " rows.",
			Mutating:    true,
			Args:        obj(`"table": `+tableSchema+`, "values": `+mapping(1)+`, "where": `+mapping(1), `"table", "values", "where"`),
			Result:      obj(`"rows_affected": `+count+`, "rows": `+rows, `"rows_affected", "rows"`),
		},
		{
			Name:        "delete_row",
			Description: "Delete the rows where matches (column = value, AND-ed; required). Refused when where matches more than " + max + " rows.",
			Mutating:    true,
			Args:        obj(`"table": `+tableSchema+`, "where": `+mapping(1), `"table", "where"`),
			Result:      obj(`"rows_affected": `+count, `"rows_affected"`),
		},
		{
			Name:        "select_rows",
			Description: "Read the rows where matches (all rows without where), at most limit (default and maximum " + max + ").",
			Args: obj(`"table": `+tableSchema+`, "where": `+mapping(0)+`, "columns": `+columns+`, "order_by": `+orderBy+
				`, "limit": {"type": "integer", "minimum": 1, "maximum": `+max+`}`, `"table"`),
			Result: obj(`"rows": `+rows+`, "truncated": {"type": "boolean"}`, `"rows", "truncated"`),
		},
		{
			Name:        "count_rows",
			Description: "Count the rows where matches (all rows without where).",
			Args:        obj(`"table": `+tableSchema+`, "where": `+mapping(0), `"table"`),
			Result:      obj(`"count": `+count, `"count"`),
		},
	}
}

// Call implements hostfns.Connector.
func (c *Connector) Call(ctx context.Context, action string, args json.RawMessage, _ hostfns.CallOptions) (hostfns.Outcome, error) {
	var (
		res     any
		existed bool
		err     error
	)
	switch action {
	case "insert_row":
		res, existed, err = c.insertRow(ctx, args)
	case "update_row":
		res, existed, err = c.updateRow(ctx, args)
	case "delete_row":
		res, existed, err = c.deleteRow(ctx, args)
	case "select_rows":
		res, err = c.selectRows(ctx, args)
	case "count_rows":
		res, err = c.countRows(ctx, args)
	default:
		return hostfns.Outcome{}, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action postgres." + quoteBare(action)}
	}
	if err != nil {
		return hostfns.Outcome{}, c.classify(ctx, err)
	}
	b, err := json.Marshal(res)
	if err != nil {
		return hostfns.Outcome{}, &hostfns.ConnectorError{Code: hostfns.CodeConnectorError, Message: "result not encodable: " + c.redact(err.Error())}
	}
	return hostfns.Outcome{Result: b, AlreadyExisted: existed}, nil
}

// Check implements hostfns.Checker: it makes the lookup of the action's
// check-before-act, read-only, and says whether the action would find its
// effect in place (see the package doc). Table and column names pass the
// same allowlist and catalog checks as in Call.
func (c *Connector) Check(ctx context.Context, action string, args json.RawMessage, _ hostfns.CallOptions) (hostfns.CheckResult, error) {
	var (
		res hostfns.CheckResult
		err error
	)
	switch action {
	case "insert_row":
		res, err = c.checkInsert(ctx, args)
	case "update_row":
		res, err = c.checkUpdate(ctx, args)
	case "delete_row":
		res, err = c.checkDelete(ctx, args)
	case "select_rows", "count_rows":
		return hostfns.CheckResult{}, invalid("postgres.%s changes nothing: there is no effect to check", action)
	default:
		return hostfns.CheckResult{}, &hostfns.ConnectorError{Code: hostfns.CodeNotFound, Message: "no action postgres." + quoteBare(action)}
	}
	if err != nil {
		return hostfns.CheckResult{}, c.classify(ctx, err)
	}
	res.Evidence = c.redact(res.Evidence)
	return res, nil
}

func invalid(format string, a ...any) error {
	return &hostfns.ConnectorError{Code: hostfns.CodeInvalidArgs, Message: fmt.Sprintf(format, a...)}
}

// decode decodes args strictly into v: one JSON object, no unknown fields.
func decode(args json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(args))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return invalid("arguments: %s", strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("arguments: trailing data after the object")
	}
	// encoding/json matches keys ignoring case; the names of the
	// arguments are exact, as the action's schema says.
	var keys map[string]json.RawMessage
	if json.Unmarshal(args, &keys) == nil {
		known := fieldNames(reflect.TypeOf(v))
		for k := range keys {
			if !known[k] {
				return invalid("arguments: unknown field %s", quote(k))
			}
		}
	}
	return nil
}

// fieldNames lists the JSON names of a struct's fields (t is the struct
// or a pointer to it).
func fieldNames(t reflect.Type) map[string]bool {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	names := map[string]bool{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name == "" {
			name = t.Field(i).Name
		}
		names[name] = true
	}
	return names
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// quote renders a caller's name for a message: Go-quoted, at most 64
// bytes of it.
func quote(s string) string {
	if len(s) > 64 {
		cut := 64
		for cut > 0 && s[cut]&0xC0 == 0x80 {
			cut--
		}
		return strconv.Quote(s[:cut]) + "…"
	}
	return strconv.Quote(s)
}

func quoteBare(s string) string {
	q := quote(s)
	if len(s) <= 64 && q == `"`+s+`"` {
		return s
	}
	return q
}

// redact removes the DSN and its password from a message.
func (c *Connector) redact(msg string) string {
	for _, s := range c.secrets {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[redacted]")
		}
	}
	return msg
}

var (
	_ hostfns.Connector = (*Connector)(nil)
	_ hostfns.Checker   = (*Connector)(nil)
)

// Specs are the connector's actions as a connector with the default
// limits (DefaultMaxRows) describes them, without a database: for
// documentation and for tools that check action ids.
func Specs() []hostfns.ActionSpec { return (&Connector{maxRows: DefaultMaxRows}).Actions() }
