package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"hash/fnv"
	"math/big"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/enact-run/enact/hostfns"
)

// Every statement names the target table "t" and qualifies its columns
// with it. SQL text is built only from constants and from identifiers
// that the catalog returned, quoted; every value is a bound parameter.

// query is a statement being built and its parameters.
type query struct {
	args []any
}

// param binds v and returns its placeholder.
func (q *query) param(v any) string {
	q.args = append(q.args, v)
	return "$" + strconv.Itoa(len(q.args))
}

// bind converts a JSON value to the parameter for col: nil for null, and
// otherwise text that PostgreSQL converts to the column's type.
func bind(t *table, col *column, raw json.RawMessage) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil, invalid("column %s: no value", quote(col.name))
	}
	if string(raw) == "null" {
		return nil, nil
	}
	if col.kind == kindJSON || col.kind == kindJSONB {
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return nil, invalid("column %s: %v", quote(col.name), err)
		}
		return b.String(), nil
	}
	switch raw[0] {
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalid("column %s: %v", quote(col.name), err)
		}
		return s, nil
	case 't', 'f':
		return string(raw), nil
	case '{', '[':
		return nil, invalid("column %s of table %s is of type %s: objects and arrays go only into json and jsonb columns",
			quote(col.name), quote(t.name), col.typ)
	}
	n := string(raw)
	if col.kind == kindInt {
		n = integral(n)
	}
	return n, nil
}

// integral rewrites a JSON number with a fraction or exponent that is a
// whole number (3.0, 1e3) as an integer; any other number is returned as
// is.
func integral(n string) string {
	if !strings.ContainsAny(n, ".eE") || len(n) > 64 {
		return n
	}
	if i := strings.IndexAny(n, "eE"); i >= 0 {
		exp, err := strconv.Atoi(strings.TrimPrefix(n[i+1:], "+"))
		if err != nil || exp > 40 || exp < -40 {
			return n
		}
	}
	r, ok := new(big.Rat).SetString(n)
	if !ok || !r.IsInt() {
		return n
	}
	return r.Num().String()
}

// ref is a column of the target table in an expression.
func ref(col *column) string { return "t." + col.ident }

// eq is "column = value" (IS NULL for a null value); json columns compare
// as jsonb.
func (q *query) eq(col *column, v any) string {
	switch {
	case v == nil:
		return ref(col) + " IS NULL"
	case col.kind == kindJSON:
		return ref(col) + "::jsonb = " + q.param(v) + "::jsonb"
	}
	return ref(col) + " = " + q.param(v)
}

// same is "column holds value", NULL-safe.
func (q *query) same(col *column, v any) string {
	switch {
	case v == nil:
		return ref(col) + " IS NULL"
	case col.kind == kindJSON:
		return ref(col) + "::jsonb IS NOT DISTINCT FROM " + q.param(v) + "::jsonb"
	}
	return ref(col) + " IS NOT DISTINCT FROM " + q.param(v)
}

// binding is a column and its bound value.
type binding struct {
	col *column
	v   any
}

// bindAll binds a mapping column → JSON value, in column-name order.
func bindAll(t *table, m map[string]json.RawMessage) ([]binding, error) {
	out := make([]binding, 0, len(m))
	for _, name := range sortedKeys(m) {
		v, err := bind(t, t.byName[name], m[name])
		if err != nil {
			return nil, err
		}
		out = append(out, binding{t.byName[name], v})
	}
	return out, nil
}

// and joins conditions; "TRUE" for none.
func (q *query) and(bs []binding, cond func(*column, any) string) string {
	if len(bs) == 0 {
		return "TRUE"
	}
	parts := make([]string, len(bs))
	for i, b := range bs {
		parts[i] = cond(b.col, b.v)
	}
	return "(" + strings.Join(parts, " AND ") + ")"
}

// rowJSON renders the allowed columns of the target table's row as JSON
// text, keyed by column name.
func rowJSON(t *table) string {
	refs := make([]string, len(t.cols))
	for i, col := range t.cols {
		refs[i] = ref(col)
	}
	return "(SELECT row_to_json(r.*) FROM (SELECT " + strings.Join(refs, ", ") + ") r)::text"
}

func needColumns(t *table) error {
	if len(t.cols) == 0 {
		return invalid("the postgres allowlist allows no column of table %s", quote(t.name))
	}
	return nil
}

// querier is a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// collect runs a query whose rows are one JSON text each.
func collect(ctx context.Context, q querier, sql string, args []any) ([]json.RawMessage, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return scanJSON(rows)
}

func scanJSON(rows pgx.Rows) ([]json.RawMessage, error) {
	defer rows.Close()
	out := []json.RawMessage{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, json.RawMessage(s))
	}
	return out, rows.Err()
}

var readWrite = pgx.TxOptions{}

// retried runs fn again once if it fails with a serialization failure:
// the only failure known to have changed nothing that a retry may fix.
func retried(ctx context.Context, fn func() error) error {
	err := fn()
	if sqlState(err) == "40001" && ctx.Err() == nil {
		err = fn()
	}
	return err
}

// inTx runs fn in a transaction, committed when fn returns nil, retried
// once on a serialization failure.
func (c *Connector) inTx(ctx context.Context, opts pgx.TxOptions, fn func(pgx.Tx) error) error {
	return retried(ctx, func() error { return pgx.BeginTxFunc(ctx, c.pool, opts, fn) })
}

// read runs one query in a READ ONLY transaction, pipelined in one round
// trip (BEGIN READ ONLY; query; COMMIT), retried once on a serialization
// failure.
func (c *Connector) read(ctx context.Context, sql string, args []any, scan func(pgx.Rows) error) error {
	return retried(ctx, func() error {
		conn, err := c.pool.Acquire(ctx)
		if err != nil {
			return err
		}
		defer conn.Release()
		b := &pgx.Batch{}
		b.Queue("BEGIN READ ONLY")
		b.Queue(sql, args...)
		b.Queue("COMMIT")
		br := conn.SendBatch(ctx, b)
		_, err = br.Exec()
		if err == nil {
			var rows pgx.Rows
			if rows, err = br.Query(); err == nil {
				err = scan(rows)
				rows.Close()
			}
		}
		if err == nil {
			_, err = br.Exec()
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		if err != nil && !conn.Conn().IsClosed() && conn.Conn().PgConn().TxStatus() != 'I' {
			// The failed query left the transaction open: end it so the
			// connection can be reused (else the pool drops it).
			conn.Exec(ctx, "ROLLBACK")
		}
		return err
	})
}

// lockClass is the first key of the advisory locks insert_row takes.
const lockClass = 0x656e6163 // "enac"

type insertArgs struct {
	Table    string                     `json:"table"`
	Values   map[string]json.RawMessage `json:"values"`
	UniqueBy []string                   `json:"unique_by"`
}

func (c *Connector) insertRow(ctx context.Context, raw json.RawMessage) (any, bool, error) {
	var a insertArgs
	if err := decode(raw, &a); err != nil {
		return nil, false, err
	}
	if len(a.Values) == 0 {
		return nil, false, invalid("values must name at least one column")
	}
	names := sortedKeys(a.Values)
	t, err := c.resolve(ctx, a.Table, append(names, a.UniqueBy...)...)
	if err != nil {
		return nil, false, err
	}
	values, err := bindAll(t, a.Values)
	if err != nil {
		return nil, false, err
	}
	byName := map[string]binding{}
	for _, b := range values {
		byName[b.col.name] = b
	}
	// The natural key, and whether a unique index makes it race-free.
	var key []binding
	if a.UniqueBy != nil {
		seen := map[string]bool{}
		for _, name := range a.UniqueBy {
			b, ok := byName[name]
			if !ok {
				return nil, false, invalid("unique_by column %s has no value in values", quote(name))
			}
			if seen[name] {
				return nil, false, invalid("unique_by names column %s twice", quote(name))
			}
			seen[name] = true
			key = append(key, b)
		}
		if len(key) == 0 {
			return nil, false, invalid("unique_by must name at least one column")
		}
	} else {
	keys:
		for _, cols := range t.unique {
			for _, name := range cols {
				if b, ok := byName[name]; !ok || b.v == nil {
					continue keys
				}
			}
			for _, name := range cols {
				key = append(key, byName[name])
			}
			break
		}
		if key == nil {
			key = values
		}
	}
	covered := false
	inKey := map[string]bool{}
	for _, b := range key {
		if b.v != nil {
			inKey[b.col.name] = true
		}
	}
unique:
	for _, cols := range t.unique {
		for _, name := range cols {
			if !inKey[name] {
				continue unique
			}
		}
		covered = true
		break
	}

	find := &query{}
	findSQL := "SELECT " + rowJSON(t) + " FROM " + t.ident + " AS t WHERE " + find.and(key, find.eq) + " LIMIT 1"
	ins := &query{}
	cols := make([]string, len(values))
	params := make([]string, len(values))
	for i, b := range values {
		cols[i] = b.col.ident
		params[i] = ins.param(b.v)
	}
	insSQL := "INSERT INTO " + t.ident + " AS t (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(params, ", ") + ")"
	if t.table {
		insSQL += " ON CONFLICT DO NOTHING"
	}
	insSQL += " RETURNING " + rowJSON(t)
	var lockKey int32
	if !covered {
		h := fnv.New32a()
		h.Write([]byte(t.name))
		for _, b := range key {
			h.Write([]byte{0})
			h.Write([]byte(b.col.name))
			h.Write([]byte{0})
			if s, ok := b.v.(string); ok {
				h.Write([]byte(s))
			} else {
				h.Write([]byte{1})
			}
		}
		lockKey = int32(h.Sum32())
	}

	var (
		row      json.RawMessage
		inserted bool
	)
	// find, insert unless found, and find again when the insert met a
	// conflict. With a unique index on the key each statement may run on
	// its own: ON CONFLICT settles a race. Without one, an advisory lock
	// on the key, held to the end of a transaction, does.
	attempt := func(q querier) error {
		row, inserted = nil, false
		found, err := collect(ctx, q, findSQL, find.args)
		if err != nil || len(found) > 0 {
			if len(found) > 0 {
				row = found[0]
			}
			return err
		}
		got, err := collect(ctx, q, insSQL, ins.args)
		if err != nil {
			return err
		}
		if len(got) > 0 {
			row, inserted = got[0], true
			return nil
		}
		// ON CONFLICT DO NOTHING did nothing: a row with the same key
		// came in meanwhile, or the row breaks another unique index.
		if found, err = collect(ctx, q, findSQL, find.args); err != nil || len(found) > 0 {
			if len(found) > 0 {
				row = found[0]
			}
			return err
		}
		return &hostfns.ConnectorError{Code: hostfns.CodeConflict,
			Message: "table " + quote(t.name) + " has no row with this natural key, but another row holds the same value of another unique key"}
	}
	if covered {
		err = retried(ctx, func() error { return attempt(c.pool) })
	} else {
		err = c.inTx(ctx, readWrite, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1::int4, $2::int4)", int32(lockClass), lockKey); err != nil {
				return err
			}
			return attempt(tx)
		})
	}
	if err != nil {
		return nil, false, err
	}
	affected := 0
	if inserted {
		affected = 1
	}
	return map[string]any{"inserted": inserted, "row": row, "rows_affected": affected}, !inserted, nil
}

type updateArgs struct {
	Table  string                     `json:"table"`
	Values map[string]json.RawMessage `json:"values"`
	Where  map[string]json.RawMessage `json:"where"`
}

func (c *Connector) updateRow(ctx context.Context, raw json.RawMessage) (any, bool, error) {
	var a updateArgs
	if err := decode(raw, &a); err != nil {
		return nil, false, err
	}
	if len(a.Values) == 0 {
		return nil, false, invalid("values must name at least one column")
	}
	if len(a.Where) == 0 {
		return nil, false, invalid("where is required: update_row never updates every row")
	}
	t, err := c.resolve(ctx, a.Table, append(sortedKeys(a.Values), sortedKeys(a.Where)...)...)
	if err != nil {
		return nil, false, err
	}
	values, err := bindAll(t, a.Values)
	if err != nil {
		return nil, false, err
	}
	where, err := bindAll(t, a.Where)
	if err != nil {
		return nil, false, err
	}
	rj := rowJSON(t)

	// The matched rows, each with whether it already holds the values.
	pre := &query{}
	preSQL := "SELECT " + pre.and(values, pre.same) + ", " + rj + " FROM " + t.ident + " AS t WHERE " + pre.and(where, pre.eq) +
		" LIMIT " + pre.param(int64(c.maxRows)+1)

	upd := &query{}
	sets := make([]string, len(values))
	for i, b := range values {
		sets[i] = b.col.ident + " = " + upd.param(b.v)
	}
	updSQL := "UPDATE " + t.ident + " AS t SET " + strings.Join(sets, ", ") + " WHERE " + upd.and(where, upd.eq) +
		" AND NOT " + upd.and(values, upd.same) + " RETURNING " + rj

	// Rows that look like this update's result: the where's other
	// columns, and the values.
	var rest []binding
	for _, b := range where {
		if _, set := a.Values[b.col.name]; !set {
			rest = append(rest, b)
		}
	}
	after := &query{}
	afterSQL := "SELECT " + rj + " FROM " + t.ident + " AS t WHERE " + after.and(rest, after.eq) + " AND " + after.and(values, after.same) +
		" LIMIT " + after.param(int64(c.maxRows))

	var (
		rows     []json.RawMessage
		affected int
	)
	err = c.inTx(ctx, readWrite, func(tx pgx.Tx) error {
		rows, affected = []json.RawMessage{}, 0
		matched, pending := 0, 0
		r, err := tx.Query(ctx, preSQL, pre.args...)
		if err != nil {
			return err
		}
		for r.Next() {
			var holds bool
			var row string
			if err := r.Scan(&holds, &row); err != nil {
				r.Close()
				return err
			}
			matched++
			if holds {
				rows = append(rows, json.RawMessage(row))
			} else {
				pending++
			}
		}
		if err := r.Err(); err != nil {
			return err
		}
		if matched > c.maxRows {
			return c.tooMany("update_row", t)
		}
		if matched == 0 {
			if len(rest) == 0 || len(rest) == len(where) {
				return nil
			}
			rows, err = collect(ctx, tx, afterSQL, after.args)
			return err
		}
		if pending == 0 {
			return nil
		}
		changed, err := collect(ctx, tx, updSQL, upd.args)
		if err != nil {
			return err
		}
		affected = len(changed)
		rows = append(rows, changed...)
		if len(rows) > c.maxRows { // rows came in between the count and the update
			return c.tooMany("update_row", t)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return map[string]any{"rows_affected": affected, "rows": rows}, affected == 0 && len(rows) > 0, nil
}

func (c *Connector) tooMany(action string, t *table) error {
	return invalid("%s: the where matches more than %d rows of table %s (the limit); nothing was changed", action, c.maxRows, quote(t.name))
}

type deleteArgs struct {
	Table string                     `json:"table"`
	Where map[string]json.RawMessage `json:"where"`
}

func (c *Connector) deleteRow(ctx context.Context, raw json.RawMessage) (any, bool, error) {
	var a deleteArgs
	if err := decode(raw, &a); err != nil {
		return nil, false, err
	}
	if len(a.Where) == 0 {
		return nil, false, invalid("where is required: delete_row never deletes every row")
	}
	t, err := c.resolve(ctx, a.Table, sortedKeys(a.Where)...)
	if err != nil {
		return nil, false, err
	}
	where, err := bindAll(t, a.Where)
	if err != nil {
		return nil, false, err
	}
	cnt := &query{}
	cond := cnt.and(where, cnt.eq)
	cntSQL := "SELECT count(*) FROM (SELECT FROM " + t.ident + " AS t WHERE " + cond + " LIMIT " + cnt.param(int64(c.maxRows)+1) + ") s"
	del := &query{}
	delSQL := "DELETE FROM " + t.ident + " AS t WHERE " + del.and(where, del.eq)
	var affected int64
	err = c.inTx(ctx, readWrite, func(tx pgx.Tx) error {
		affected = 0
		var n int64
		if err := tx.QueryRow(ctx, cntSQL, cnt.args...).Scan(&n); err != nil {
			return err
		}
		if n > int64(c.maxRows) {
			return c.tooMany("delete_row", t)
		}
		if n == 0 {
			return nil
		}
		tag, err := tx.Exec(ctx, delSQL, del.args...)
		if err != nil {
			return err
		}
		if affected = tag.RowsAffected(); affected > int64(c.maxRows) {
			return c.tooMany("delete_row", t)
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return map[string]any{"rows_affected": affected}, affected == 0, nil
}

type selectArgs struct {
	Table   string                     `json:"table"`
	Where   map[string]json.RawMessage `json:"where"`
	Columns []string                   `json:"columns"`
	OrderBy []json.RawMessage          `json:"order_by"`
	Limit   *int                       `json:"limit"`
}

type orderItem struct {
	Column string `json:"column"`
	Desc   bool   `json:"desc"`
}

func (c *Connector) selectRows(ctx context.Context, raw json.RawMessage) (any, error) {
	var a selectArgs
	if err := decode(raw, &a); err != nil {
		return nil, err
	}
	limit := c.maxRows
	if a.Limit != nil {
		if *a.Limit < 1 || *a.Limit > c.maxRows {
			return nil, invalid("limit must be between 1 and %d", c.maxRows)
		}
		limit = *a.Limit
	}
	if a.Columns != nil && len(a.Columns) == 0 {
		return nil, invalid("columns, when given, must name at least one column")
	}
	order := make([]orderItem, 0, len(a.OrderBy))
	for _, o := range a.OrderBy {
		var item orderItem
		if err := json.Unmarshal(o, &item.Column); err != nil {
			if err := decode(o, &item); err != nil {
				return nil, invalid("order_by items are column names or {\"column\": name, \"desc\": bool}")
			}
		}
		order = append(order, item)
	}
	names := sortedKeys(a.Where)
	names = append(names, a.Columns...)
	for _, o := range order {
		names = append(names, o.Column)
	}
	t, err := c.resolve(ctx, a.Table, names...)
	if err != nil {
		return nil, err
	}
	view := t
	if a.Columns != nil {
		v := *t
		v.cols = make([]*column, 0, len(a.Columns))
		seen := map[string]bool{}
		for _, name := range a.Columns {
			if seen[name] {
				return nil, invalid("columns names %s twice", quote(name))
			}
			seen[name] = true
			v.cols = append(v.cols, t.byName[name])
		}
		view = &v
	}
	if err := needColumns(view); err != nil {
		return nil, err
	}
	where, err := bindAll(t, a.Where)
	if err != nil {
		return nil, err
	}
	if len(order) == 0 && len(t.primary) > 0 {
		for _, name := range t.primary {
			if !t.byName[name].allowed {
				order = nil
				break
			}
			order = append(order, orderItem{Column: name})
		}
	}
	q := &query{}
	sql := "SELECT " + rowJSON(view) + " FROM " + t.ident + " AS t WHERE " + q.and(where, q.eq)
	if len(order) > 0 {
		parts := make([]string, len(order))
		for i, o := range order {
			parts[i] = ref(t.byName[o.Column])
			if o.Desc {
				parts[i] += " DESC"
			}
		}
		sql += " ORDER BY " + strings.Join(parts, ", ")
	}
	sql += " LIMIT " + q.param(int64(limit)+1)
	var rows []json.RawMessage
	err = c.read(ctx, sql, q.args, func(r pgx.Rows) error {
		var err error
		rows, err = scanJSON(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	truncated := len(rows) > limit
	if truncated {
		rows = rows[:limit]
	}
	return map[string]any{"rows": rows, "truncated": truncated}, nil
}

type countArgs struct {
	Table string                     `json:"table"`
	Where map[string]json.RawMessage `json:"where"`
}

func (c *Connector) countRows(ctx context.Context, raw json.RawMessage) (any, error) {
	var a countArgs
	if err := decode(raw, &a); err != nil {
		return nil, err
	}
	t, err := c.resolve(ctx, a.Table, sortedKeys(a.Where)...)
	if err != nil {
		return nil, err
	}
	where, err := bindAll(t, a.Where)
	if err != nil {
		return nil, err
	}
	q := &query{}
	sql := "SELECT count(*) FROM " + t.ident + " AS t WHERE " + q.and(where, q.eq)
	var n int64
	err = c.read(ctx, sql, q.args, func(r pgx.Rows) error {
		if !r.Next() {
			return r.Err()
		}
		return r.Scan(&n)
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"count": n}, nil
}
